//! The simulated phone's memory and rules, free of browser APIs: one TEK
//! per day, the observation log, the test registration, the submission
//! payload with its padding, when to look for new bundles (a random minute
//! of each hour; after a failure, random and growing waits), which bundles
//! to fetch to catch up, and the risk card over every window found so far.
//!
//! The page (`portal-ui`'s `/phone`) keeps a [`PhoneState`] as JSON in the
//! browser's storage and calls these functions.

use std::collections::BTreeSet;

use prost::Message;
use proto::exposurenotification::TemporaryExposureKey;
use proto::submission::SubmissionPayload;
use serde::{Deserialize, Serialize};
use shared::en::matching::date_of_day;
use shared::en::observations::Observation;
use shared::en::simulate::{Encounter, SCAN_INTERVAL_SECONDS, encounter};
use shared::risk::RiskLevel;
use shared::risk::v2::RiskCalculationParameters;
use shared::verification::wire::{KeyType, RegistrationTokenRequest};
use shared::verification::{DateOfBirth, GuidError, TestGuid};

use crate::job::WindowReport;

/// Seconds in a day.
pub const DAY: u64 = 86_400;
/// Days of keys a phone keeps and uploads.
pub const KEPT_DAYS: u64 = 14;
/// Keys' worth every submission is padded to, fake or real (SPEC 4).
pub const PADDED_KEYS: usize = 15;
/// The metadata every simulated phone broadcasts, as the reference
/// scenario does (`0x40`: version 1.0; `0xf6`: -10 dBm transmit power).
pub const METADATA: [u8; 4] = [0x40, 0xf6, 0, 0];
/// The longest wait between two attempts after failures.
pub const MAX_RETRY_SECONDS: u64 = 3_600;

/// One Temporary Exposure Key of one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyKey {
    /// The day, counted from 1970-01-01.
    pub day: u64,
    /// The key, 32 hex digits.
    pub key: String,
}

impl DailyKey {
    /// The key bytes (zeros if the stored text was damaged).
    pub fn bytes(&self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        if let Ok(decoded) = hex::decode(&self.key)
            && decoded.len() == 16
        {
            bytes.copy_from_slice(&decoded);
        }
        bytes
    }
}

/// Where the phone's test stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestState {
    /// The registration token, once registered.
    pub registration_token: Option<String>,
    /// The last result polled (0 pending … 4 redeemed).
    pub result: Option<u8>,
    /// The TAN, once obtained (until the keys are submitted).
    pub tan: Option<String>,
    /// When the keys were submitted, unix seconds.
    pub submitted_at: Option<u64>,
}

/// What the phone remembers between visits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneState {
    /// One key per day, oldest first.
    pub keys: Vec<DailyKey>,
    /// Beacons received from other phones.
    pub observations: Vec<Observation>,
    /// The test.
    #[serde(default)]
    pub test: TestState,
    /// Bundles already matched (their paths).
    #[serde(default)]
    pub bundles_done: BTreeSet<String>,
    /// Every exposure window found so far.
    #[serde(default)]
    pub windows: Vec<WindowReport>,
    /// The last successful check for bundles, unix seconds.
    #[serde(default)]
    pub last_check: Option<u64>,
    /// Failed attempts since the last success.
    #[serde(default)]
    pub failures: u32,
    /// Fake requests sent.
    #[serde(default)]
    pub fakes_sent: u32,
}

impl PhoneState {
    /// Makes sure there is a key for each of the last [`KEPT_DAYS`] days
    /// and today (a new phone starts as if it had been running for two
    /// weeks), and forgets older keys and beacons. `random` gives 16 bytes.
    pub fn keep_keys(&mut self, now: u64, mut random: impl FnMut() -> [u8; 16]) {
        let today = now / DAY;
        let first = today.saturating_sub(KEPT_DAYS);
        self.keys.retain(|key| key.day >= first && key.day <= today);
        for day in first..=today {
            if !self.keys.iter().any(|key| key.day == day) {
                self.keys.push(DailyKey {
                    day,
                    key: hex::encode(random()),
                });
            }
        }
        self.keys.sort_by_key(|key| key.day);
        self.observations
            .retain(|observation| observation.time / DAY >= first);
    }

    /// The key of `day`, if the phone has one.
    pub fn key_of(&self, day: u64) -> Option<[u8; 16]> {
        self.keys
            .iter()
            .find(|key| key.day == day)
            .map(DailyKey::bytes)
    }

    /// The beacons another phone would record when meeting this one at
    /// `start` for `minutes` at `attenuation` dB (one scan every 4 minutes).
    pub fn beacons_for_peer(
        &self,
        start: u64,
        minutes: u64,
        attenuation: u8,
    ) -> Option<Vec<Observation>> {
        let key = self.key_of(start / DAY)?;
        let meeting = Encounter {
            start,
            duration: minutes * 60,
            attenuation,
        };
        Some(encounter(&key, &METADATA, &meeting, SCAN_INTERVAL_SECONDS))
    }

    /// Records beacons received.
    pub fn record(&mut self, beacons: &[Observation]) {
        self.observations.extend_from_slice(beacons);
        self.observations
            .sort_by_key(|observation| observation.time);
        self.observations.dedup();
    }

    /// Adds windows found by a match, each once.
    pub fn add_windows(&mut self, found: &[WindowReport]) {
        for window in found {
            if !self.windows.iter().any(|known| {
                known.start == window.start
                    && known.end == window.end
                    && known.transmission_risk_level == window.transmission_risk_level
            }) {
                self.windows.push(window.clone());
            }
        }
        self.windows.sort_by_key(|window| window.start);
    }
}

/// The registration request a phone sends for a test's QR content (or a
/// GUID typed by hand) and, when the person gave it, their date of birth
/// (`YYYY-MM-DD`; empty for none): `key` is the hashed GUID, `keyDob` the
/// date-of-birth id, as the official apps compute them
/// ([`TestGuid::hashed`], [`TestGuid::dob_id`]).
pub fn registration_request(
    qr_or_guid: &str,
    date_of_birth: &str,
) -> Result<RegistrationTokenRequest, GuidError> {
    let guid = TestGuid::parse(qr_or_guid)?;
    let key_dob = match date_of_birth.trim() {
        "" => None,
        date => Some(guid.dob_id(DateOfBirth::parse(date)?).expose().to_owned()),
    };
    Ok(RegistrationTokenRequest {
        key: guid.hashed().expose().to_owned(),
        key_type: KeyType::Guid,
        key_dob,
    })
}

/// The keys to upload: every kept day up to today, with the app's
/// transmission risk levels by age (today 6, then 8, 8, 8, 5, 3, 1, ...).
pub fn keys_to_submit(state: &PhoneState, now: u64) -> Vec<TemporaryExposureKey> {
    const LEVELS: [i32; 15] = [6, 8, 8, 8, 5, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    let today = now / DAY;
    state
        .keys
        .iter()
        .rev()
        .filter(|key| key.day <= today)
        .take(KEPT_DAYS as usize)
        .map(|key| {
            let age = usize::try_from(today - key.day).unwrap_or(usize::MAX);
            TemporaryExposureKey {
                key_data: Some(bytes::Bytes::copy_from_slice(&key.bytes())),
                transmission_risk_level: Some(*LEVELS.get(age).unwrap_or(&1)),
                rolling_start_interval_number: i32::try_from(key.day * 144).ok(),
                rolling_period: Some(144),
                report_type: Some(1),
                days_since_onset_of_symptoms: None,
            }
        })
        .collect()
}

/// A submission payload holding `keys`, padded with `padding_byte` so that
/// every payload (fake or real, any number of keys up to 15) has the size of
/// 15 keys.
pub fn submission_payload(keys: Vec<TemporaryExposureKey>, padding_byte: u8) -> Vec<u8> {
    let one_key = full_key().encoded_len() + 2;
    let mut payload = SubmissionPayload {
        keys,
        request_padding: bytes::Bytes::new(),
        visited_countries: vec!["DE".into()],
        origin: "DE".into(),
        consent_to_federation: false,
        submission_type: 0,
    };
    let target = PADDED_KEYS * one_key + 64;
    // The padding's own length prefix grows with it: shrink until it fits.
    let mut padding = target.saturating_sub(payload.encoded_len());
    loop {
        payload.request_padding = vec![padding_byte; padding].into();
        let length = payload.encoded_len();
        if length <= target || padding == 0 {
            break;
        }
        padding -= (length - target).min(padding);
    }
    payload.encode_to_vec()
}

/// A key with every field set, for the size of one key.
fn full_key() -> TemporaryExposureKey {
    TemporaryExposureKey {
        key_data: Some(bytes::Bytes::from_static(&[0xff; 16])),
        transmission_risk_level: Some(8),
        rolling_start_interval_number: Some(i32::MAX),
        rolling_period: Some(144),
        report_type: Some(1),
        days_since_onset_of_symptoms: None,
    }
}

/// When to look for bundles next after a success at `now`: a random minute
/// (and second) of the next hour. `random` is uniform in `[0, 1)`.
pub fn next_check(now: u64, random: f64) -> u64 {
    let next_hour = (now / 3_600 + 1) * 3_600;
    next_hour + (random.clamp(0.0, 0.999_999) * 3_600.0) as u64
}

/// How long to wait after the `failures`-th failure in a row: one minute
/// doubling with each failure, drawn between half and the whole of that
/// (so phones do not retry in step), never more than an hour.
pub fn retry_after(failures: u32, random: f64) -> u64 {
    let ceiling = 60u64
        .saturating_mul(1u64 << failures.saturating_sub(1).min(16))
        .min(MAX_RETRY_SECONDS);
    let share = 0.5 + random.clamp(0.0, 1.0) / 2.0;
    ((ceiling as f64 * share) as u64).max(1)
}

/// The days whose hour index the phone reads besides the complete days the
/// date index lists: those after the last listed day up to tomorrow (the
/// server's clock may be ahead of the phone's).
pub fn days_by_hour(listed: &[String], now: u64) -> Vec<String> {
    let today = now / DAY;
    (today.saturating_sub(1)..=today + 1)
        .map(date_of_day)
        .filter(|date| !listed.contains(date))
        .collect()
}

/// The risk card: the level and the days since the last exposure, over
/// every window found, with ages counted from today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskCard {
    /// Low or high.
    pub level: RiskLevel,
    /// Days since the most recent day of that level's risk (none: no exposure).
    pub days_since_last_exposure: Option<u32>,
    /// Windows counted.
    pub windows: usize,
}

/// Scores the windows as of `now`.
pub fn risk_card(
    windows: &[WindowReport],
    now: u64,
    parameters: &RiskCalculationParameters,
) -> Result<RiskCard, String> {
    let today = now / DAY;
    let exposure_windows: Vec<_> = windows
        .iter()
        .filter(|window| window.start / DAY + KEPT_DAYS >= today)
        .map(|window| {
            let mut exposure = window.window.clone();
            exposure.age_in_days =
                u32::try_from(today.saturating_sub(window.start / DAY)).unwrap_or(u32::MAX);
            exposure
        })
        .collect();
    let result = parameters
        .calculate(&exposure_windows)
        .map_err(|error| error.to_string())?
        .result;
    let days_since_last_exposure = match result.total_risk_level {
        RiskLevel::High => result.age_of_most_recent_date_with_high_risk,
        RiskLevel::Low => result.age_of_most_recent_date_with_low_risk,
    };
    Ok(RiskCard {
        level: result.total_risk_level,
        days_since_last_exposure,
        windows: exposure_windows.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::risk::defaults;

    fn counter() -> impl FnMut() -> [u8; 16] {
        let mut next = 0u8;
        move || {
            next = next.wrapping_add(1);
            [next; 16]
        }
    }

    const NOW: u64 = 20_400 * DAY + 12 * 3_600;

    #[test]
    fn registers_qr_content_with_and_without_a_date_of_birth() {
        // The known answer of cwa-app-android's DateOfBirthKeyTest, case 1.
        let qr = "https://localhost/?E1277F-E1277F24-4AD2-40BC-AFF8-CBCCCD893E4B";
        let request = registration_request(qr, "2000-01-01").expect("valid");
        let json = serde_json::to_value(&request).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "key": shared::verification::HashedGuid::from_guid("E1277F-E1277F24-4AD2-40BC-AFF8-CBCCCD893E4B").expose(),
                "keyType": "GUID",
                "keyDob": "xfa760e171f000ef5a7f863ab180f6f6e8185c4890224550395281d839d85458",
            })
        );
        let without = registration_request(qr, " ").expect("valid");
        assert_eq!(without.key, request.key);
        assert!(
            !serde_json::to_string(&without)
                .expect("json")
                .contains("keyDob")
        );
        assert_eq!(
            registration_request("https://localhost/?not-a-guid", ""),
            Err(GuidError::QrContent)
        );
        assert_eq!(
            registration_request(qr, "31.12.1990"),
            Err(GuidError::DateOfBirth)
        );
    }

    #[test]
    fn keeps_one_key_per_day_for_two_weeks_and_today() {
        let mut phone = PhoneState::default();
        phone.keep_keys(NOW, counter());
        assert_eq!(phone.keys.len(), 15);
        assert_eq!(phone.keys.first().map(|key| key.day), Some(20_386));
        assert_eq!(phone.keys.last().map(|key| key.day), Some(20_400));
        let before = phone.keys.clone();
        phone.keep_keys(NOW + 60, counter());
        assert_eq!(phone.keys, before, "the same day keeps its keys");
        phone.keep_keys(NOW + DAY, counter());
        assert_eq!(phone.keys.len(), 15);
        assert_eq!(phone.keys.first().map(|key| key.day), Some(20_387));
    }

    #[test]
    fn a_peer_records_my_beacons_and_they_derive_from_my_key() {
        let mut me = PhoneState::default();
        me.keep_keys(NOW, counter());
        let start = NOW - 2 * DAY;
        let beacons = me
            .beacons_for_peer(start, 20, 50)
            .expect("a key of that day");
        assert!(beacons.len() >= 5, "{}", beacons.len());
        let key = me.key_of(start / DAY).expect("key");
        let rpi = shared::en::crypto::TekKeys::derive(&key)
            .rpi_cipher()
            .rpi((start / 600) as u32);
        assert!(beacons.iter().any(|beacon| beacon.rpi == rpi));
        let mut peer = PhoneState::default();
        peer.record(&beacons);
        peer.record(&beacons);
        assert_eq!(peer.observations.len(), beacons.len(), "recorded once");
        assert!(me.beacons_for_peer(NOW - 30 * DAY, 20, 50).is_none());
    }

    #[test]
    fn payloads_have_one_size_whatever_they_hold() {
        let mut phone = PhoneState::default();
        phone.keep_keys(NOW, counter());
        let keys = keys_to_submit(&phone, NOW);
        assert_eq!(keys.len(), 14);
        assert_eq!(keys[0].transmission_risk_level, Some(6));
        let real = submission_payload(keys, 0);
        let fake = submission_payload(Vec::new(), 0);
        let one = submission_payload(keys_to_submit(&phone, NOW)[..1].to_vec(), 0);
        assert_eq!(real.len(), fake.len());
        assert_eq!(real.len(), one.len());
        let decoded = SubmissionPayload::decode(real.as_slice()).expect("protobuf");
        assert_eq!(decoded.keys.len(), 14);
    }

    #[test]
    fn checks_at_a_random_minute_of_the_next_hour_and_backs_off() {
        let hour = NOW / 3_600 * 3_600;
        assert_eq!(next_check(NOW, 0.0), hour + 3_600);
        assert_eq!(next_check(NOW, 0.5), hour + 3_600 + 1_800);
        assert!(next_check(NOW, 1.0) < hour + 7_200);
        let waits: Vec<u64> = (1..=10)
            .map(|failures| retry_after(failures, 1.0))
            .collect();
        assert_eq!(waits[0], 60);
        assert!(waits.windows(2).all(|pair| pair[0] <= pair[1]), "{waits:?}");
        assert_eq!(*waits.last().expect("waits"), MAX_RETRY_SECONDS);
        assert_eq!(retry_after(1, 0.0), 30);
    }

    #[test]
    fn reads_hour_indexes_of_the_days_not_yet_complete() {
        let listed = vec![date_of_day(NOW / DAY - 1)];
        assert_eq!(
            days_by_hour(&listed, NOW),
            vec![date_of_day(NOW / DAY), date_of_day(NOW / DAY + 1)]
        );
    }

    #[test]
    fn the_risk_card_counts_days_from_today() {
        use shared::risk::v2::{ExposureWindow, ScanInstance};
        let window = |start: u64, minutes: i64| WindowReport {
            date: date_of_day(start / DAY),
            start,
            end: start + 600,
            transmission_risk_level: 8,
            window: ExposureWindow {
                age_in_days: 0,
                report_type: 1,
                infectiousness: 2,
                calibration_confidence: 0,
                scan_instances: vec![ScanInstance {
                    min_attenuation: 45,
                    typical_attenuation: 50,
                    seconds_since_last_scan: minutes * 60,
                }],
            },
        };
        let parameters = defaults::v2();
        let none = risk_card(&[], NOW, &parameters).expect("scores");
        assert_eq!(none.level, RiskLevel::Low);
        assert_eq!(none.days_since_last_exposure, None);
        let high = risk_card(&[window(NOW - 2 * DAY, 30)], NOW, &parameters).expect("scores");
        assert_eq!(high.level, RiskLevel::High);
        assert_eq!(high.days_since_last_exposure, Some(2));
        let later =
            risk_card(&[window(NOW - 2 * DAY, 30)], NOW + DAY, &parameters).expect("scores");
        assert_eq!(later.days_since_last_exposure, Some(3));
    }
}
