//! Keys as the gateway contract carries them: conversion between
//! [`DiagnosisKey`] and the EFGS protobuf, and the checks every key passes
//! on the way in (at the gateway and again at a national server).

use proto::efgs;
use shared::keys::{DiagnosisKey, ReportType};

/// Most keys in one batch (the gateway answers 413 above).
pub const MAX_KEYS_PER_BATCH: usize = 5_000;
/// The content type of a batch.
pub const CONTENT_TYPE: &str = "application/protobuf; version=1.0";

/// A key with what travels with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedKey {
    /// The key.
    pub key: DiagnosisKey,
    /// ISO 3166 alpha-2 code of the country whose user submitted it.
    pub origin: String,
    /// Countries the user visited, sorted, unique.
    pub visited: Vec<String>,
}

impl FederatedKey {
    /// The key in the EFGS format. An unknown onset travels as 0.
    pub fn to_efgs(&self) -> efgs::DiagnosisKey {
        efgs::DiagnosisKey {
            key_data: bytes::Bytes::copy_from_slice(&self.key.key_data),
            rolling_start_interval_number: self.key.rolling_start_interval_number,
            rolling_period: self.key.rolling_period,
            transmission_risk_level: i32::from(self.key.transmission_risk_level),
            visited_countries: self.visited.clone(),
            origin: self.origin.clone(),
            report_type: self.key.report_type.code(),
            days_since_onset_of_symptoms: self.key.days_since_onset_of_symptoms.unwrap_or(0),
        }
    }

    /// Checks a key off the wire: 16 bytes of key data, every range, an
    /// origin and visited countries that are ISO 3166 alpha-2 codes.
    pub fn from_efgs(key: &efgs::DiagnosisKey) -> Result<Self, String> {
        let key_data: [u8; 16] = key
            .key_data
            .as_ref()
            .try_into()
            .map_err(|_| format!("key data of {} bytes", key.key_data.len()))?;
        let checked = DiagnosisKey::new(
            key_data,
            i64::from(key.transmission_risk_level),
            i64::from(key.rolling_start_interval_number),
            i64::from(key.rolling_period),
            ReportType::from_code(key.report_type),
            Some(key.days_since_onset_of_symptoms),
        )
        .map_err(|error| error.to_string())?;
        if !is_country(&key.origin) {
            return Err(format!("origin {:?} is not a country code", key.origin));
        }
        let mut visited = Vec::with_capacity(key.visited_countries.len());
        for country in &key.visited_countries {
            if !is_country(country) {
                return Err(format!("visited country {country:?} is not a country code"));
            }
            visited.push(country.clone());
        }
        visited.sort();
        visited.dedup();
        Ok(Self {
            key: checked,
            origin: key.origin.clone(),
            visited,
        })
    }
}

/// Two upper-case ASCII letters.
pub fn is_country(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// A batch tag as the contract allows it: 1 to 100 letters, digits, `-`, `_`, `.`.
pub fn is_batch_tag(tag: &str) -> bool {
    (1..=100).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `YYYY-MM-DD` of unix seconds (UTC).
pub fn date_of(seconds: i64) -> String {
    crate::distribution::run::date(seconds.div_euclid(86_400))
}

/// Unix day of a `YYYY-MM-DD` date.
pub fn day_of(date: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(date, &format).ok()?;
    Some(
        date.midnight()
            .assume_utc()
            .unix_timestamp()
            .div_euclid(86_400),
    )
}
