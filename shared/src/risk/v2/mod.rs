//! Risk from exposure windows (version 2, SPEC section 8), step by step.
//!
//! Per window: the minutes-at-attenuation filters, the transmission risk
//! level (TRL) from report type and infectiousness, the TRL filters, the
//! transmission risk value, weighted minutes, normalized time and the
//! window's level (no level: dropped). Per day (windows grouped by
//! `ageInDays`): the normalized times summed and rounded to one decimal,
//! the day's level (no level: the day does not count) and the distinct
//! encounters, that is distinct (TRL, calibration confidence) pairs among
//! the day's LOW and among its HIGH windows. Overall: HIGH if any day is.
//!
//! [`RiskCalculationParameters::calculate`] returns all of it as a
//! [`Calculation`]; its `result` is the result object of the apps. The
//! inputs and their JSON shapes are in [`inputs`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::levels::{RiskLevel, round_to};

pub mod inputs;

pub use inputs::{
    ExposureWindow, MinutesAtAttenuationFilter, MinutesAtAttenuationWeight,
    NormalizedTimeToRiskLevelMapping, RiskCalculationParameters, ScanInstance,
    TransmissionRiskValueMapping, TrlEncoding, TrlFilter, WindowError, infectiousness, report_type,
};

/// The result object of the apps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskResult {
    /// HIGH if any day is HIGH, else LOW.
    pub total_risk_level: RiskLevel,
    /// Age of the most recent LOW day.
    pub age_of_most_recent_date_with_low_risk: Option<u32>,
    /// Age of the most recent HIGH day.
    pub age_of_most_recent_date_with_high_risk: Option<u32>,
    /// Days that are LOW.
    pub number_of_days_with_low_risk: u32,
    /// Days that are HIGH.
    pub number_of_days_with_high_risk: u32,
    /// Sum over days of their distinct encounters in LOW windows.
    pub total_minimum_distinct_encounters_with_low_risk: u32,
    /// Sum over days of their distinct encounters in HIGH windows.
    pub total_minimum_distinct_encounters_with_high_risk: u32,
}

/// Why a window does not count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "reason")]
pub enum Dropped {
    /// A minutes-at-attenuation filter matched.
    #[serde(rename_all = "camelCase")]
    MinutesAtAttenuation {
        /// Position of the filter in the parameters.
        filter: usize,
        /// The minutes it counted.
        minutes: f64,
    },
    /// A TRL filter matched.
    #[serde(rename_all = "camelCase")]
    TransmissionRiskLevel {
        /// Position of the filter in the parameters.
        filter: usize,
    },
    /// No range of the per-window table holds the normalized time.
    NoRiskLevel,
}

/// Every step of one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowSteps {
    /// Position of the window in the input.
    pub index: usize,
    /// Its day.
    pub age_in_days: u32,
    /// Per minutes-at-attenuation filter, the minutes it counted.
    pub minutes_at_attenuation: Vec<f64>,
    /// Report-type offset plus infectiousness offset.
    pub transmission_risk_level: i32,
    /// From the TRL table (0 when the TRL is not listed).
    pub transmission_risk_value: f64,
    /// Σ seconds × weight(minimum attenuation) / 60.
    pub weighted_minutes: f64,
    /// Transmission risk value × weighted minutes.
    pub normalized_time: f64,
    /// The window's level from the per-window table.
    pub risk_level: Option<RiskLevel>,
    /// Why the window does not count, if it does not.
    pub dropped: Option<Dropped>,
}

/// Every step of one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DaySteps {
    /// The day.
    pub age_in_days: u32,
    /// Positions of the windows that count on this day.
    pub windows: Vec<usize>,
    /// Their normalized times summed.
    pub normalized_time_sum: f64,
    /// That sum rounded to one decimal: what the per-day table sees.
    pub normalized_time: f64,
    /// The day's level; `None` when no range holds it (the day does not count).
    pub risk_level: Option<RiskLevel>,
    /// Distinct (TRL, calibration confidence) pairs among LOW windows.
    pub distinct_encounters_with_low_risk: u32,
    /// Distinct (TRL, calibration confidence) pairs among HIGH windows.
    pub distinct_encounters_with_high_risk: u32,
}

/// The whole calculation: windows in input order, days from the most recent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Calculation {
    /// Per window.
    pub windows: Vec<WindowSteps>,
    /// Per day that has counting windows.
    pub days: Vec<DaySteps>,
    /// The result object.
    pub result: RiskResult,
}

impl RiskCalculationParameters {
    /// Report-type offset plus infectiousness offset.
    pub fn transmission_risk_level(
        &self,
        window: &ExposureWindow,
        index: usize,
    ) -> Result<i32, WindowError> {
        let encoding = &self.trl_encoding;
        let report_type_offset = match window.report_type {
            report_type::CONFIRMED_TEST => encoding.report_type_offset_confirmed_test,
            report_type::CONFIRMED_CLINICAL_DIAGNOSIS => {
                encoding.report_type_offset_confirmed_clinical_diagnosis
            }
            report_type::SELF_REPORT => encoding.report_type_offset_self_report,
            report_type::RECURSIVE => encoding.report_type_offset_recursive,
            code => {
                return Err(WindowError::ReportType {
                    window: index,
                    code,
                });
            }
        };
        let infectiousness_offset = match window.infectiousness {
            infectiousness::STANDARD => encoding.infectiousness_offset_standard,
            infectiousness::HIGH => encoding.infectiousness_offset_high,
            code => {
                return Err(WindowError::Infectiousness {
                    window: index,
                    code,
                });
            }
        };
        Ok(report_type_offset.saturating_add(infectiousness_offset))
    }

    /// The value of a TRL; 0 when the table does not list it.
    pub fn transmission_risk_value(&self, transmission_risk_level: i32) -> f64 {
        self.transmission_risk_value_mapping
            .iter()
            .find(|mapping| mapping.transmission_risk_level == transmission_risk_level)
            .map_or(0.0, |mapping| mapping.transmission_risk_value)
    }

    /// Σ seconds × weight / 60 over the scans, the weight chosen by the
    /// scan's minimum attenuation (first matching range; none: 0).
    pub fn weighted_minutes(&self, scans: &[ScanInstance]) -> f64 {
        let weighted_seconds: f64 = scans
            .iter()
            .map(|scan| {
                let weight = self
                    .minutes_at_attenuation_weights
                    .iter()
                    .find(|weight| {
                        weight
                            .attenuation_range
                            .contains(f64::from(scan.min_attenuation))
                    })
                    .map_or(0.0, |weight| weight.weight);
                seconds(scan) * weight
            })
            .sum();
        weighted_seconds / 60.0
    }

    /// Runs every step for the windows.
    pub fn calculate(&self, windows: &[ExposureWindow]) -> Result<Calculation, WindowError> {
        let steps = windows
            .iter()
            .enumerate()
            .map(|(index, window)| self.window_steps(window, index))
            .collect::<Result<Vec<_>, _>>()?;
        let days = self.day_steps(windows, &steps);
        let result = result_of(&days);
        Ok(Calculation {
            windows: steps,
            days,
            result,
        })
    }

    fn window_steps(
        &self,
        window: &ExposureWindow,
        index: usize,
    ) -> Result<WindowSteps, WindowError> {
        let minutes_at_attenuation: Vec<f64> = self
            .minutes_at_attenuation_filters
            .iter()
            .map(|filter| {
                let seconds: f64 = window
                    .scan_instances
                    .iter()
                    .filter(|scan| {
                        filter
                            .attenuation_range
                            .contains(f64::from(scan.min_attenuation))
                    })
                    .map(seconds)
                    .sum();
                seconds / 60.0
            })
            .collect();
        let transmission_risk_level = self.transmission_risk_level(window, index)?;
        let transmission_risk_value = self.transmission_risk_value(transmission_risk_level);
        let weighted_minutes = self.weighted_minutes(&window.scan_instances);
        let normalized_time = transmission_risk_value * weighted_minutes;
        let risk_level = level_of(
            &self.normalized_time_per_ew_to_risk_level_mapping,
            normalized_time,
        );

        let dropped_by_minutes = self
            .minutes_at_attenuation_filters
            .iter()
            .zip(&minutes_at_attenuation)
            .position(|(filter, minutes)| filter.drop_if_minutes_in_range.contains(*minutes))
            .map(|filter| Dropped::MinutesAtAttenuation {
                filter,
                minutes: minutes_at_attenuation[filter],
            });
        let dropped_by_trl = || {
            self.trl_filters
                .iter()
                .position(|filter| {
                    filter
                        .drop_if_trl_in_range
                        .contains(f64::from(transmission_risk_level))
                })
                .map(|filter| Dropped::TransmissionRiskLevel { filter })
        };
        let dropped = dropped_by_minutes
            .or_else(dropped_by_trl)
            .or(risk_level.is_none().then_some(Dropped::NoRiskLevel));
        Ok(WindowSteps {
            index,
            age_in_days: window.age_in_days,
            minutes_at_attenuation,
            transmission_risk_level,
            transmission_risk_value,
            weighted_minutes,
            normalized_time,
            risk_level,
            dropped,
        })
    }

    fn day_steps(&self, windows: &[ExposureWindow], steps: &[WindowSteps]) -> Vec<DaySteps> {
        let mut by_day: BTreeMap<u32, Vec<&WindowSteps>> = BTreeMap::new();
        for step in steps.iter().filter(|step| step.dropped.is_none()) {
            by_day.entry(step.age_in_days).or_default().push(step);
        }
        by_day
            .into_iter()
            .map(|(age_in_days, day)| {
                let normalized_time_sum: f64 = day.iter().map(|step| step.normalized_time).sum();
                let normalized_time = round_to(normalized_time_sum, 1);
                let risk_level = level_of(
                    &self.normalized_time_per_day_to_risk_level_mapping,
                    normalized_time,
                );
                let encounters = |level: RiskLevel| {
                    let distinct: BTreeSet<(i32, i32)> = day
                        .iter()
                        .filter(|step| step.risk_level == Some(level))
                        .map(|step| {
                            (
                                step.transmission_risk_level,
                                windows[step.index].calibration_confidence,
                            )
                        })
                        .collect();
                    distinct.len() as u32
                };
                DaySteps {
                    age_in_days,
                    windows: day.iter().map(|step| step.index).collect(),
                    normalized_time_sum,
                    normalized_time,
                    risk_level,
                    distinct_encounters_with_low_risk: encounters(RiskLevel::Low),
                    distinct_encounters_with_high_risk: encounters(RiskLevel::High),
                }
            })
            .collect()
    }
}

/// A scan's seconds, negative counted as 0.
fn seconds(scan: &ScanInstance) -> f64 {
    scan.seconds_since_last_scan.max(0) as f64
}

/// The level of the first range that holds `normalized_time`.
fn level_of(table: &[NormalizedTimeToRiskLevelMapping], normalized_time: f64) -> Option<RiskLevel> {
    table
        .iter()
        .find(|mapping| mapping.normalized_time_range.contains(normalized_time))
        .map(|mapping| mapping.risk_level)
}

fn result_of(days: &[DaySteps]) -> RiskResult {
    // Days without a level do not count at all, not even their encounters.
    let counted = || days.iter().filter(|day| day.risk_level.is_some());
    let with = |level: RiskLevel| counted().filter(move |day| day.risk_level == Some(level));
    let total_risk_level = if with(RiskLevel::High).next().is_some() {
        RiskLevel::High
    } else {
        RiskLevel::Low
    };
    RiskResult {
        total_risk_level,
        age_of_most_recent_date_with_low_risk: with(RiskLevel::Low)
            .map(|day| day.age_in_days)
            .min(),
        age_of_most_recent_date_with_high_risk: with(RiskLevel::High)
            .map(|day| day.age_in_days)
            .min(),
        number_of_days_with_low_risk: with(RiskLevel::Low).count() as u32,
        number_of_days_with_high_risk: with(RiskLevel::High).count() as u32,
        total_minimum_distinct_encounters_with_low_risk: counted()
            .map(|day| day.distinct_encounters_with_low_risk)
            .sum(),
        total_minimum_distinct_encounters_with_high_risk: counted()
            .map(|day| day.distinct_encounters_with_high_risk)
            .sum(),
    }
}
