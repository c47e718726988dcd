//! Keys as the gateway contract carries them: conversion between
//! [`DiagnosisKey`] and the EFGS protobuf, and the checks every key passes
//! on the way in (at the gateway and again at a national server).

use proto::efgs;
use shared::keys::{DiagnosisKey, ReportType};

/// Most keys in one batch (the gateway answers 413 above; EFGS
/// `upload-settings.maximum-upload-batch-size`).
pub const MAX_KEYS_PER_BATCH: usize = 5_000;
/// The content type of a batch.
pub const CONTENT_TYPE: &str = "application/protobuf; version=1.0";
/// The transmission risk level that says "not set" (EFGS
/// `DiagnosisKeyBatchValidator.TRL_DEFAULT_VALUE`).
pub const TRL_NOT_SET: i32 = 0x7fff_ffff;

/// The checks EFGS makes on every uploaded key
/// (`DiagnosisKeyBatchValidator` in efgs-federation-gateway): 16 bytes of
/// key data; a rolling start from midnight UTC 15 days ago to the next
/// 10-minute interval after `now`; a rolling period 1 to 144; a
/// transmission risk level 0 to 8 or [`TRL_NOT_SET`]. Nothing else: the
/// gateway keeps every other field as it came.
pub fn check_for_gateway(key: &efgs::DiagnosisKey, now: i64) -> Result<(), String> {
    if key.key_data.len() != 16 {
        return Err(format!(
            "the key data is {} bytes, not 16",
            key.key_data.len()
        ));
    }
    let earliest = (now.div_euclid(86_400) - 15) * 86_400 / 600;
    let latest = now.div_euclid(600) + 1;
    let start = i64::from(key.rolling_start_interval_number);
    if !(earliest..=latest).contains(&start) {
        return Err(format!(
            "rolling start interval number {start} is outside {earliest}..={latest}"
        ));
    }
    if !(1..=144).contains(&key.rolling_period) {
        return Err(format!(
            "rolling period {} is not 1 to 144",
            key.rolling_period
        ));
    }
    let level = key.transmission_risk_level;
    if !(0..=8).contains(&level) && level != TRL_NOT_SET {
        return Err(format!(
            "transmission risk level {level} is not 0 to 8 nor 0x7fffffff (not set)"
        ));
    }
    Ok(())
}

/// Days since onset of symptoms as the EFGS encodes them in the protobuf's
/// `days_since_onset_of_symptoms`: one signed integer carries both the days
/// and what they count from, in ranges that do not overlap (each `d` in
/// -14..=14):
///
/// | value | meaning | `d` counts from |
/// |---|---|---|
/// | `d` | symptomatic, onset known | the onset to the key's day |
/// | `n*100 + d`, `n` 1..=19 | symptomatic, onset within a range of `n` days | the range's last day to the key's day |
/// | `2000 + d` | symptomatic, onset unknown | the submission day to the key's day |
/// | `3000 + d` | asymptomatic | the submission day to the key's day |
/// | `4000 + d` | symptom status unknown | the submission day to the key's day |
///
/// Sources (public code of the national servers that used the EFGS; the
/// gateway's own repository does not document the field): the DP-3T
/// back end's interoperability README ("Days Since Onset of Symptoms",
/// `dpppt-backend-sdk-interops/README.md`) lists these five ranges; the
/// Corona-Warn-App server's `DaysSinceSymptomsRangeSpecification` and
/// `EfgsDaysSinceSymptomsDecoder` decode them the same way (range `n` from
/// the nearest hundred), and DP-3T's `EfgsDsosUtil` computes `d` for the
/// submission-relative ranges as the key's date minus the submission date.
/// The phones of this service's protocol (SPEC section 4: -14..4000) send
/// the same encoding, so a stored value is already an EFGS value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dsos {
    /// Symptomatic, onset known: days from the onset to the key's day.
    Onset(i32),
    /// Symptomatic, onset somewhere in a range of `days` days: days from
    /// the range's last day to the key's day.
    OnsetRange {
        /// The range's length in days, 1 to 19.
        days: i32,
        /// Days from the range's last day to the key's day.
        offset: i32,
    },
    /// Symptomatic, onset unknown: days from the submission to the key's day.
    SymptomaticUnknownOnset(i32),
    /// Asymptomatic: days from the submission to the key's day.
    Asymptomatic(i32),
    /// Symptom status unknown: days from the submission to the key's day.
    UnknownSymptoms(i32),
}

/// Most days an EFGS value counts either way from its reference day.
const DSOS_DAYS: i32 = 14;
/// Longest onset range in days (`n*100`; 20 would be 2000, the next range).
const DSOS_MAX_RANGE: i64 = 19;
const DSOS_SYMPTOMATIC_UNKNOWN_ONSET: i32 = 2000;
const DSOS_ASYMPTOMATIC: i32 = 3000;
const DSOS_UNKNOWN_SYMPTOMS: i32 = 4000;

impl Dsos {
    /// Reads a value off the wire; `None` when it lies in no range.
    pub fn decode(value: i32) -> Option<Self> {
        let days = -DSOS_DAYS..=DSOS_DAYS;
        if days.contains(&value) {
            return Some(Self::Onset(value));
        }
        // The nearest multiple of 100 names the range; i64 keeps extreme
        // values from overflowing.
        let hundreds = (i64::from(value) + 50).div_euclid(100);
        let offset = i32::try_from(i64::from(value) - hundreds * 100).ok()?;
        if !days.contains(&offset) {
            return None;
        }
        let base = i32::try_from(hundreds * 100).ok()?;
        match base {
            DSOS_SYMPTOMATIC_UNKNOWN_ONSET => Some(Self::SymptomaticUnknownOnset(offset)),
            DSOS_ASYMPTOMATIC => Some(Self::Asymptomatic(offset)),
            DSOS_UNKNOWN_SYMPTOMS => Some(Self::UnknownSymptoms(offset)),
            _ if (1..=DSOS_MAX_RANGE).contains(&hundreds) => Some(Self::OnsetRange {
                days: i32::try_from(hundreds).ok()?,
                offset,
            }),
            _ => None,
        }
    }

    /// The value on the wire.
    pub fn encode(self) -> i32 {
        match self {
            Self::Onset(days) => days,
            Self::OnsetRange { days, offset } => days.saturating_mul(100).saturating_add(offset),
            Self::SymptomaticUnknownOnset(days) => {
                DSOS_SYMPTOMATIC_UNKNOWN_ONSET.saturating_add(days)
            }
            Self::Asymptomatic(days) => DSOS_ASYMPTOMATIC.saturating_add(days),
            Self::UnknownSymptoms(days) => DSOS_UNKNOWN_SYMPTOMS.saturating_add(days),
        }
    }

    /// The EFGS value of a stored key: a stored value is an EFGS value
    /// already; an unknown one (`None`), or one in no EFGS range, travels as
    /// "symptom status unknown", counted from the submission day (never as
    /// 0, which says "onset on the key's day").
    pub fn from_stored(stored: Option<i32>, days_since_submission: i64) -> Self {
        stored.and_then(Self::decode).unwrap_or_else(|| {
            let clamped = days_since_submission.clamp(-i64::from(DSOS_DAYS), i64::from(DSOS_DAYS));
            Self::UnknownSymptoms(i32::try_from(clamped).unwrap_or(0))
        })
    }

    /// What storage and distribution keep (SPEC: -14..4000 when present):
    /// the EFGS value itself, except "symptom status unknown", which is what
    /// a stored `None` means (and whose 4001..4014 storage would refuse).
    pub fn to_stored(self) -> Option<i32> {
        match self {
            Self::UnknownSymptoms(_) => None,
            known => Some(known.encode()),
        }
    }
}

/// A key with what travels with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedKey {
    /// The key; its `days_since_onset_of_symptoms` is `dsos.to_stored()`.
    pub key: DiagnosisKey,
    /// ISO 3166 alpha-2 code of the country whose user submitted it.
    pub origin: String,
    /// Countries the user visited, as they travel.
    pub visited: Vec<String>,
    /// Days since onset of symptoms as the gateway carries them.
    pub dsos: Dsos,
}

impl FederatedKey {
    /// A key of this server's storage, submitted on `submission_day` (unix
    /// days): its stored days since onset become their EFGS value.
    pub fn local(
        key: DiagnosisKey,
        origin: String,
        visited: Vec<String>,
        submission_day: i64,
    ) -> Self {
        let key_day = i64::from(key.rolling_start_interval_number).div_euclid(144);
        let dsos = Dsos::from_stored(key.days_since_onset_of_symptoms, key_day - submission_day);
        Self {
            key: DiagnosisKey {
                days_since_onset_of_symptoms: dsos.to_stored(),
                ..key
            },
            origin,
            visited,
            dsos,
        }
    }

    /// The key in the EFGS format.
    pub fn to_efgs(&self) -> efgs::DiagnosisKey {
        efgs::DiagnosisKey {
            key_data: bytes::Bytes::copy_from_slice(&self.key.key_data),
            rolling_start_interval_number: self.key.rolling_start_interval_number,
            rolling_period: self.key.rolling_period,
            transmission_risk_level: i32::from(self.key.transmission_risk_level),
            visited_countries: self.visited.clone(),
            origin: self.origin.clone(),
            report_type: self.key.report_type.code(),
            days_since_onset_of_symptoms: self.dsos.encode(),
        }
    }

    /// Checks a key off the wire: 16 bytes of key data, every range, days
    /// since onset in an EFGS range, an origin and visited countries that
    /// are ISO 3166 alpha-2 codes.
    pub fn from_efgs(key: &efgs::DiagnosisKey) -> Result<Self, String> {
        let key_data: [u8; 16] = key
            .key_data
            .as_ref()
            .try_into()
            .map_err(|_| format!("key data of {} bytes", key.key_data.len()))?;
        let dsos = Dsos::decode(key.days_since_onset_of_symptoms).ok_or_else(|| {
            format!(
                "days since onset of symptoms {} is in no EFGS range (-14..14, n*100-14..n*100+14 \
                 for n 1..19, 2000, 3000 or 4000 -14..+14)",
                key.days_since_onset_of_symptoms
            )
        })?;
        let level = match key.transmission_risk_level {
            level @ 1..=8 => level,
            _ => i32::from(trl_from_dsos(key.days_since_onset_of_symptoms)),
        };
        let checked = DiagnosisKey::new(shared::keys::KeyFields {
            key_data,
            transmission_risk_level: i64::from(level),
            rolling_start_interval_number: i64::from(key.rolling_start_interval_number),
            rolling_period: i64::from(key.rolling_period),
            report_type: ReportType::from_code(key.report_type),
            days_since_onset_of_symptoms: dsos.to_stored(),
        })
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
        Ok(Self {
            key: checked,
            origin: key.origin.clone(),
            visited,
            dsos,
        })
    }
}

/// The transmission risk level of a downloaded key that carries none (0,
/// or EFGS's "not set" [`TRL_NOT_SET`], which most members send since
/// Exposure Notification v2), from its EFGS days since onset, as
/// cwa-server's download service derives it (`FederationKeyNormalizer`,
/// `tek-field-derivations.trl-from-dsos` of
/// `common/persistence/src/main/resources/derivation-maps.yaml`, and its
/// `default-trl` 1 for a value the map lacks).
pub fn trl_from_dsos(days_since_onset: i32) -> u8 {
    match days_since_onset {
        // Onset known.
        -5 | 5 | 6 => 2,
        -4 => 4,
        -3 | 2 => 6,
        -2 => 7,
        -1..=1 => 8,
        3 => 5,
        4 => 3,
        // Onset within a range of 7 days.
        692 | 704 => 2,
        693 | 703 => 3,
        694 | 702 => 4,
        695 | 696 | 699 | 700 => 6,
        697 | 698 => 7,
        701 => 5,
        // Symptomatic, onset unknown.
        1992 => 2,
        1993 => 3,
        1994 | 2000 => 5,
        1995 => 7,
        1996..=1998 => 8,
        1999 => 6,
        // Asymptomatic.
        2997 => 2,
        2998 => 3,
        2999 | 3000 => 4,
        // Symptom status unknown.
        3992 => 2,
        3993 => 3,
        3994 => 4,
        3995 | 3999 => 6,
        3996..=3998 => 7,
        4000 => 5,
        _ => 1,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Wire values at and around every range's edges: what they decode to.
    const WIRE: [(i32, Option<Dsos>); 30] = [
        (i32::MIN, None),
        (-15, None),
        (-14, Some(Dsos::Onset(-14))),
        (0, Some(Dsos::Onset(0))),
        (14, Some(Dsos::Onset(14))),
        (15, None),
        (85, None),
        (
            86,
            Some(Dsos::OnsetRange {
                days: 1,
                offset: -14,
            }),
        ),
        (100, Some(Dsos::OnsetRange { days: 1, offset: 0 })),
        (
            114,
            Some(Dsos::OnsetRange {
                days: 1,
                offset: 14,
            }),
        ),
        (115, None),
        (
            697,
            Some(Dsos::OnsetRange {
                days: 7,
                offset: -3,
            }),
        ),
        (
            1914,
            Some(Dsos::OnsetRange {
                days: 19,
                offset: 14,
            }),
        ),
        (1915, None),
        (1985, None),
        (1986, Some(Dsos::SymptomaticUnknownOnset(-14))),
        (2000, Some(Dsos::SymptomaticUnknownOnset(0))),
        (2014, Some(Dsos::SymptomaticUnknownOnset(14))),
        (2015, None),
        (2500, None),
        (2986, Some(Dsos::Asymptomatic(-14))),
        (3000, Some(Dsos::Asymptomatic(0))),
        (3014, Some(Dsos::Asymptomatic(14))),
        (3985, None),
        (3986, Some(Dsos::UnknownSymptoms(-14))),
        (4000, Some(Dsos::UnknownSymptoms(0))),
        (4014, Some(Dsos::UnknownSymptoms(14))),
        (4015, None),
        (5000, None),
        (i32::MAX, None),
    ];

    #[test]
    fn wire_values_decode_by_range_and_encode_back() {
        for (wire, expected) in WIRE {
            let decoded = Dsos::decode(wire);
            assert_eq!(decoded, expected, "decoding {wire}");
            if let Some(dsos) = decoded {
                assert_eq!(dsos.encode(), wire, "encoding {dsos:?}");
            }
        }
    }

    #[test]
    fn stored_values_encode_for_upload() {
        // (stored, key day minus submission day, on the wire)
        let cases: [(Option<i32>, i64, i32); 12] = [
            // Unknown: symptom status unknown, counted from the submission.
            (None, 0, 4000),
            (None, -3, 3997),
            (None, -13, 3987),
            (None, -20, 3986),
            (None, 20, 4014),
            // Stored values are EFGS values already.
            (Some(-2), -5, -2),
            (Some(0), -5, 0),
            (Some(14), 0, 14),
            (Some(500), -1, 500),
            (Some(1995), -5, 1995),
            (Some(3000), -5, 3000),
            // A stored value in no EFGS range says nothing the gateway knows.
            (Some(50), -1, 3999),
        ];
        for (stored, since_submission, wire) in cases {
            assert_eq!(
                Dsos::from_stored(stored, since_submission).encode(),
                wire,
                "stored {stored:?}, {since_submission} days since the submission"
            );
        }
    }

    #[test]
    fn wire_values_decode_into_what_storage_accepts() {
        // (on the wire, stored)
        let cases: [(i32, Option<i32>); 9] = [
            (-5, Some(-5)),
            (14, Some(14)),
            (700, Some(700)),
            (1990, Some(1990)),
            (3005, Some(3005)),
            (3990, None),
            (4000, None),
            (4010, None),
            (-14, Some(-14)),
        ];
        for (wire, stored) in cases {
            let dsos = Dsos::decode(wire).expect("an EFGS value");
            assert_eq!(dsos.to_stored(), stored, "wire {wire}");
            // What SPEC section 4 lets storage and distribution hold.
            if let Some(days) = stored {
                assert!((-14..=4000).contains(&days), "wire {wire} stored as {days}");
            }
        }
    }

    fn wire_key(days_since_onset: i32) -> efgs::DiagnosisKey {
        efgs::DiagnosisKey {
            key_data: vec![7; 16].into(),
            rolling_start_interval_number: 2_900_016,
            rolling_period: 144,
            transmission_risk_level: 5,
            visited_countries: vec!["FR".into()],
            origin: "DE".into(),
            report_type: 1,
            days_since_onset_of_symptoms: days_since_onset,
        }
    }

    #[test]
    fn keys_off_the_wire_carry_both_forms_and_bad_values_are_refused() {
        let unknown = FederatedKey::from_efgs(&wire_key(3998)).expect("valid");
        assert_eq!(unknown.dsos, Dsos::UnknownSymptoms(-2));
        assert_eq!(unknown.key.days_since_onset_of_symptoms, None);
        assert_eq!(unknown.to_efgs(), wire_key(3998), "sent on unchanged");
        let known = FederatedKey::from_efgs(&wire_key(-3)).expect("valid");
        assert_eq!(known.key.days_since_onset_of_symptoms, Some(-3));
        for bad in [15, 2500, 4015, -100] {
            let error = FederatedKey::from_efgs(&wire_key(bad)).expect_err("refused");
            assert!(error.contains("no EFGS range"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_key_without_a_level_gets_cwa_servers_level_from_its_days_since_onset() {
        // derivation-maps.yaml: a few values of each range, and the default.
        for (days, level) in [
            (-14, 1),
            (-5, 2),
            (-4, 4),
            (-1, 8),
            (0, 8),
            (1, 8),
            (2, 6),
            (3, 5),
            (4, 3),
            (6, 2),
            (7, 1),
            (21, 1),
            (697, 7),
            (701, 5),
            (1996, 8),
            (2000, 5),
            (2999, 4),
            (3000, 4),
            (3996, 7),
            (4000, 5),
            (100, 1),
            (i32::MAX, 1),
        ] {
            assert_eq!(trl_from_dsos(days), level, "days since onset {days}");
        }
        for sent in [0, TRL_NOT_SET] {
            let mut wire = wire_key(3996);
            wire.transmission_risk_level = sent;
            let key = FederatedKey::from_efgs(&wire).expect("accepted");
            assert_eq!(key.key.transmission_risk_level, 7, "sent {sent}");
            assert_eq!(key.to_efgs().transmission_risk_level, 7);
        }
        let sent = FederatedKey::from_efgs(&wire_key(3996)).expect("accepted");
        assert_eq!(sent.key.transmission_risk_level, 5, "a level 1..8 is kept");
    }

    #[test]
    fn a_local_key_counts_from_its_submission_day() {
        let key = |onset: Option<i32>| {
            DiagnosisKey::new(shared::keys::KeyFields {
                key_data: [1; 16],
                transmission_risk_level: 5,
                rolling_start_interval_number: 2_900_016,
                rolling_period: 144,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: onset,
            })
            .expect("valid")
        };
        let key_day = 2_900_016 / 144;
        let local = FederatedKey::local(key(None), "DE".into(), vec!["FR".into()], key_day + 4);
        assert_eq!(local.to_efgs().days_since_onset_of_symptoms, 3996);
        assert_eq!(local.key.days_since_onset_of_symptoms, None);
        let local = FederatedKey::local(key(Some(2)), "DE".into(), Vec::new(), key_day + 4);
        assert_eq!(local.to_efgs().days_since_onset_of_symptoms, 2);
    }
}
