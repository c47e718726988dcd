//! The inputs of version 2 in the apps' JSON shapes: the risk calculation
//! parameters and the exposure windows.

use serde::{Deserialize, Serialize};

use crate::risk::levels::{Range, RiskLevel};

/// Parameters of the calculation, in the apps' JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskCalculationParameters {
    /// Windows with too few minutes at some attenuation are dropped.
    pub minutes_at_attenuation_filters: Vec<MinutesAtAttenuationFilter>,
    /// Windows whose TRL falls in one of these ranges are dropped.
    pub trl_filters: Vec<TrlFilter>,
    /// Weight of a scan's seconds by its minimum attenuation (first match).
    pub minutes_at_attenuation_weights: Vec<MinutesAtAttenuationWeight>,
    /// Normalized time of a window → its level (first match).
    #[serde(rename = "normalizedTimePerEWToRiskLevelMapping")]
    pub normalized_time_per_ew_to_risk_level_mapping: Vec<NormalizedTimeToRiskLevelMapping>,
    /// Normalized time of a day → its level (first match).
    pub normalized_time_per_day_to_risk_level_mapping: Vec<NormalizedTimeToRiskLevelMapping>,
    /// Offsets that make a TRL out of report type and infectiousness.
    pub trl_encoding: TrlEncoding,
    /// TRL → transmission risk value (a TRL not listed has value 0).
    pub transmission_risk_value_mapping: Vec<TransmissionRiskValueMapping>,
}

/// Drop a window when its minutes at an attenuation fall in a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MinutesAtAttenuationFilter {
    /// Scans whose minimum attenuation (dB) lies here count.
    pub attenuation_range: Range,
    /// Drop the window when the counted minutes lie here.
    pub drop_if_minutes_in_range: Range,
}

/// Drop a window by its transmission risk level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrlFilter {
    /// Drop the window when its TRL lies here.
    pub drop_if_trl_in_range: Range,
}

/// The weight of the seconds of scans at an attenuation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MinutesAtAttenuationWeight {
    /// Minimum attenuation (dB) of the scans this weight is for.
    pub attenuation_range: Range,
    /// The weight.
    pub weight: f64,
}

/// A range of normalized time and the level it means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NormalizedTimeToRiskLevelMapping {
    /// Normalized time (minutes weighted by attenuation and transmission risk).
    pub normalized_time_range: Range,
    /// The level.
    pub risk_level: RiskLevel,
}

/// Offsets whose sum is a window's transmission risk level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrlEncoding {
    /// Infectiousness 1 (standard).
    pub infectiousness_offset_standard: i32,
    /// Infectiousness 2 (high).
    pub infectiousness_offset_high: i32,
    /// Report type 4 (recursive).
    pub report_type_offset_recursive: i32,
    /// Report type 3 (self report).
    pub report_type_offset_self_report: i32,
    /// Report type 2 (confirmed clinical diagnosis).
    pub report_type_offset_confirmed_clinical_diagnosis: i32,
    /// Report type 1 (confirmed test).
    pub report_type_offset_confirmed_test: i32,
}

/// The transmission risk value of one TRL.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransmissionRiskValueMapping {
    /// The TRL.
    pub transmission_risk_level: i32,
    /// Its value.
    pub transmission_risk_value: f64,
}

/// An exposure window as the framework reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposureWindow {
    /// Days between the window's day and today (0 = today).
    pub age_in_days: u32,
    /// 1 confirmed test, 2 confirmed clinical diagnosis, 3 self report, 4 recursive.
    pub report_type: i32,
    /// 1 standard, 2 high.
    pub infectiousness: i32,
    /// How well the observing phone's Bluetooth is calibrated (0 lowest to 3).
    #[serde(default)]
    pub calibration_confidence: i32,
    /// The scans that saw the key.
    #[serde(default)]
    pub scan_instances: Vec<ScanInstance>,
}

/// One scan that saw a window's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanInstance {
    /// Lowest attenuation (dB) of the key's beacons in this scan.
    pub min_attenuation: i32,
    /// Typical (average) attenuation (dB) of those beacons.
    pub typical_attenuation: i32,
    /// Seconds since the previous scan; a negative value counts as 0.
    pub seconds_since_last_scan: i64,
}

/// Report type codes of [`ExposureWindow::report_type`].
pub mod report_type {
    /// Confirmed by a laboratory test.
    pub const CONFIRMED_TEST: i32 = 1;
    /// Confirmed by a clinical diagnosis.
    pub const CONFIRMED_CLINICAL_DIAGNOSIS: i32 = 2;
    /// Reported by the person.
    pub const SELF_REPORT: i32 = 3;
    /// Derived from another key.
    pub const RECURSIVE: i32 = 4;
}

/// Infectiousness codes of [`ExposureWindow::infectiousness`].
pub mod infectiousness {
    /// Standard infectiousness of the day (the framework's `standard`).
    pub const STANDARD: i32 = 1;
    /// High infectiousness of the day (the framework's `high`).
    pub const HIGH: i32 = 2;
}

/// A window the calculation cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// A report type outside 1..=4.
    #[error("exposure window {window}: report type must be 1 to 4, got {code}")]
    ReportType {
        /// Position of the window in the input.
        window: usize,
        /// The value found.
        code: i32,
    },
    /// An infectiousness other than 1 or 2.
    #[error(
        "exposure window {window}: infectiousness must be 1 (standard) or 2 (high), got {code}"
    )]
    Infectiousness {
        /// Position of the window in the input.
        window: usize,
        /// The value found.
        code: i32,
    },
}
