//! What the released apps download, decoded as they decode it: from the
//! official field numbers only (hand-written prost messages below that
//! name nothing but the numbers and types of cwa-server's `.proto` files),
//! never through the project's own generated types.
//!
//! - Keys: cwa-server's transmission-risk encoding
//!   (`main-config/transmission-risk-encoding.yaml`), read back through the
//!   apps' `diagnosisKeysDataMapping` and `trlEncoding` (Android
//!   `ExposureWindowRiskCalculationConfigMapper`, the framework's mapping).
//! - Regions: `[home, "EUR"]` always (`DiagnosisKeysCountryDirectory.java`);
//!   only supported countries that foreign keys visited become regions too
//!   (issue 15, point 10).
//! - Configurations: v1 `app_config`, v2 `app_config_android` and
//!   `app_config_ios` (`internal/app_config.proto`, `internal/v2/*.proto`),
//!   signed like bundles, batch 1 of 1.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use api::submission::StoredKey;
use prost::Message;
use shared::bundle::KeyRing;
use shared::keys::{DiagnosisKey, ReportType};

use super::{Storage, index, key_ring, on_both_storages, read};

const RUN_AT: &str = "2026-11-21T00:30:00Z";
/// 2026-11-19, the keys' day (unix seconds / 600).
const KEY_DAY_INTERVAL: i64 = 1_795_046_400 / 600;
/// 05:00 on 2026-11-20: the keys land in the daily bundle of 2026-11-20.
const DISTRIBUTABLE_HOUR: i64 = 1_795_046_400 / 3600 + 24 + 5;
const COUNTRY: &str = "version/v1/diagnosis-keys/country";
const DAY: &str = "2026-11-20";

// The official messages, by field number (cwa-server
// external/exposurenotification/temporary_exposure_key_export.proto).

#[derive(Clone, PartialEq, Message)]
struct OfficialExport {
    #[prost(string, optional, tag = "3")]
    region: Option<String>,
    #[prost(message, repeated, tag = "7")]
    keys: Vec<OfficialKey>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialKey {
    #[prost(bytes = "vec", optional, tag = "1")]
    key_data: Option<Vec<u8>>,
    #[prost(int32, optional, tag = "2")]
    transmission_risk_level: Option<i32>,
    #[prost(int32, optional, tag = "3")]
    rolling_start_interval_number: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    rolling_period: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    report_type: Option<i32>,
    #[prost(sint32, optional, tag = "6")]
    days_since_onset_of_symptoms: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialSignatureList {
    #[prost(message, repeated, tag = "1")]
    signatures: Vec<OfficialSignature>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialSignature {
    #[prost(int32, optional, tag = "2")]
    batch_num: Option<i32>,
    #[prost(int32, optional, tag = "3")]
    batch_size: Option<i32>,
}

// internal/v2/app_config_android.proto, risk_calculation_parameters.proto.

#[derive(Clone, PartialEq, Message)]
struct OfficialAndroid {
    #[prost(int64, tag = "1")]
    min_version_code: i64,
    #[prost(int64, tag = "2")]
    latest_version_code: i64,
    #[prost(string, repeated, tag = "4")]
    supported_countries: Vec<String>,
    #[prost(message, optional, tag = "5")]
    key_download_parameters: Option<OfficialKeyDownloadAndroid>,
    #[prost(message, optional, tag = "6")]
    exposure_detection_parameters: Option<OfficialDetectionAndroid>,
    #[prost(message, optional, tag = "7")]
    risk_calculation_parameters: Option<OfficialRiskParameters>,
    #[prost(message, optional, tag = "8")]
    diagnosis_keys_data_mapping: Option<OfficialDataMapping>,
    #[prost(message, optional, tag = "9")]
    daily_summaries_config: Option<OfficialDailySummaries>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialKeyDownloadAndroid {
    #[prost(int32, tag = "3")]
    download_timeout_in_seconds: i32,
    #[prost(int32, tag = "4")]
    overall_timeout_in_seconds: i32,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialDetectionAndroid {
    #[prost(int32, tag = "1")]
    max_exposure_detections_per_interval: i32,
    #[prost(int32, tag = "2")]
    overall_timeout_in_seconds: i32,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialDataMapping {
    #[prost(map = "int32, int32", tag = "1")]
    days_since_onset_to_infectiousness: HashMap<i32, i32>,
    #[prost(int32, tag = "2")]
    infectiousness_when_days_since_onset_missing: i32,
    #[prost(int32, tag = "3")]
    report_type_when_missing: i32,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialDailySummaries {
    #[prost(int32, repeated, tag = "1")]
    attenuation_bucket_threshold_db: Vec<i32>,
    #[prost(double, repeated, tag = "2")]
    attenuation_bucket_weights: Vec<f64>,
    #[prost(map = "int32, double", tag = "6")]
    report_type_weights: HashMap<i32, f64>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialRiskParameters {
    #[prost(message, repeated, tag = "1")]
    minutes_at_attenuation_filters: Vec<OfficialFilter>,
    #[prost(message, repeated, tag = "2")]
    trl_filters: Vec<OfficialTrlFilter>,
    #[prost(message, repeated, tag = "3")]
    minutes_at_attenuation_weights: Vec<OfficialWeight>,
    #[prost(message, repeated, tag = "4")]
    per_window: Vec<OfficialLevelMapping>,
    #[prost(message, repeated, tag = "5")]
    per_day: Vec<OfficialLevelMapping>,
    #[prost(message, optional, tag = "6")]
    trl_encoding: Option<OfficialTrlEncoding>,
    #[prost(double, tag = "7")]
    transmission_risk_level_multiplier: f64,
    #[prost(message, repeated, tag = "8")]
    transmission_risk_value_mapping: Vec<OfficialRiskValue>,
    #[prost(uint32, tag = "9")]
    max_encounter_age_in_days: u32,
}

#[derive(Clone, Copy, PartialEq, Message)]
struct OfficialRange {
    #[prost(double, tag = "1")]
    min: f64,
    #[prost(bool, tag = "2")]
    min_exclusive: bool,
    #[prost(double, tag = "3")]
    max: f64,
    #[prost(bool, tag = "4")]
    max_exclusive: bool,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialFilter {
    #[prost(message, optional, tag = "1")]
    attenuation_range: Option<OfficialRange>,
    #[prost(message, optional, tag = "2")]
    drop_if_minutes_in_range: Option<OfficialRange>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialTrlFilter {
    #[prost(message, optional, tag = "1")]
    drop_if_trl_in_range: Option<OfficialRange>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialWeight {
    #[prost(message, optional, tag = "1")]
    attenuation_range: Option<OfficialRange>,
    #[prost(double, tag = "2")]
    weight: f64,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialLevelMapping {
    #[prost(message, optional, tag = "1")]
    normalized_time_range: Option<OfficialRange>,
    #[prost(int32, tag = "2")]
    risk_level: i32,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialTrlEncoding {
    #[prost(int32, tag = "1")]
    infectiousness_offset_standard: i32,
    #[prost(int32, tag = "2")]
    infectiousness_offset_high: i32,
    #[prost(int32, tag = "3")]
    report_type_offset_recursive: i32,
    #[prost(int32, tag = "4")]
    report_type_offset_self_report: i32,
    #[prost(int32, tag = "5")]
    report_type_offset_confirmed_clinical_diagnosis: i32,
    #[prost(int32, tag = "6")]
    report_type_offset_confirmed_test: i32,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialRiskValue {
    #[prost(int32, tag = "1")]
    transmission_risk_level: i32,
    #[prost(double, tag = "2")]
    transmission_risk_value: f64,
}

// internal/v2/app_config_ios.proto.

#[derive(Clone, PartialEq, Message)]
struct OfficialIos {
    #[prost(message, optional, tag = "1")]
    min_version: Option<OfficialVersion>,
    #[prost(message, optional, tag = "2")]
    latest_version: Option<OfficialVersion>,
    #[prost(string, repeated, tag = "4")]
    supported_countries: Vec<String>,
    #[prost(message, optional, tag = "6")]
    exposure_detection_parameters: Option<OfficialDetectionIos>,
    #[prost(message, optional, tag = "7")]
    risk_calculation_parameters: Option<OfficialRiskParameters>,
    #[prost(message, optional, tag = "8")]
    exposure_configuration: Option<OfficialExposureConfiguration>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialVersion {
    #[prost(uint32, tag = "1")]
    major: u32,
    #[prost(uint32, tag = "2")]
    minor: u32,
    #[prost(uint32, tag = "3")]
    patch: u32,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialDetectionIos {
    #[prost(int32, tag = "1")]
    max_exposure_detections_per_interval: i32,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialExposureConfiguration {
    #[prost(map = "int32, int32", tag = "1")]
    infectiousness_for_days_since_onset_of_symptoms: HashMap<i32, i32>,
    #[prost(int32, tag = "2")]
    report_type_none_map: i32,
    #[prost(int32, repeated, tag = "3")]
    attenuation_duration_thresholds: Vec<i32>,
    #[prost(double, tag = "9")]
    infectiousness_standard_weight: f64,
    #[prost(double, tag = "14")]
    report_type_recursive_weight: f64,
}

// internal/app_config.proto (v1) and the files it imports.

#[derive(Clone, PartialEq, Message)]
struct OfficialV1 {
    #[prost(int32, tag = "1")]
    min_risk_score: i32,
    #[prost(message, optional, tag = "2")]
    risk_score_classes: Option<OfficialClasses>,
    #[prost(message, optional, tag = "3")]
    exposure_config: Option<OfficialScores>,
    #[prost(message, optional, tag = "4")]
    attenuation_duration: Option<OfficialAttenuationDuration>,
    #[prost(message, optional, tag = "5")]
    app_version: Option<OfficialAppVersion>,
    #[prost(string, repeated, tag = "7")]
    supported_countries: Vec<String>,
    #[prost(message, optional, tag = "9")]
    android_key_download_parameters: Option<OfficialKeyDownloadAndroid>,
    #[prost(message, optional, tag = "10")]
    ios_exposure_detection_parameters: Option<OfficialDetectionIos>,
    #[prost(message, optional, tag = "11")]
    android_exposure_detection_parameters: Option<OfficialDetectionAndroid>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialClasses {
    #[prost(message, repeated, tag = "1")]
    risk_classes: Vec<OfficialClass>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialClass {
    #[prost(string, tag = "1")]
    label: String,
    #[prost(int32, tag = "2")]
    min: i32,
    #[prost(int32, tag = "3")]
    max: i32,
    #[prost(string, tag = "4")]
    url: String,
}

/// `RiskScoreParameters`: each input a message of eight `RiskLevel` fields.
#[derive(Clone, PartialEq, Message)]
struct OfficialScores {
    #[prost(message, optional, tag = "1")]
    transmission: Option<OfficialEight>,
    #[prost(double, tag = "2")]
    transmission_weight: f64,
    #[prost(message, optional, tag = "3")]
    duration: Option<OfficialEight>,
    #[prost(double, tag = "4")]
    duration_weight: f64,
    #[prost(message, optional, tag = "5")]
    days_since_last_exposure: Option<OfficialEight>,
    #[prost(double, tag = "6")]
    days_weight: f64,
    #[prost(message, optional, tag = "7")]
    attenuation: Option<OfficialEight>,
    #[prost(double, tag = "8")]
    attenuation_weight: f64,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialEight {
    #[prost(int32, tag = "1")]
    b1: i32,
    #[prost(int32, tag = "2")]
    b2: i32,
    #[prost(int32, tag = "3")]
    b3: i32,
    #[prost(int32, tag = "4")]
    b4: i32,
    #[prost(int32, tag = "5")]
    b5: i32,
    #[prost(int32, tag = "6")]
    b6: i32,
    #[prost(int32, tag = "7")]
    b7: i32,
    #[prost(int32, tag = "8")]
    b8: i32,
}

impl OfficialEight {
    fn all(&self) -> [i32; 8] {
        [
            self.b1, self.b2, self.b3, self.b4, self.b5, self.b6, self.b7, self.b8,
        ]
    }
}

#[derive(Clone, PartialEq, Message)]
struct OfficialAttenuationDuration {
    #[prost(message, optional, tag = "1")]
    thresholds: Option<OfficialThresholds>,
    #[prost(message, optional, tag = "2")]
    weights: Option<OfficialWeights>,
    #[prost(int32, tag = "3")]
    default_bucket_offset: i32,
    #[prost(int32, tag = "4")]
    risk_score_normalization_divisor: i32,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialThresholds {
    #[prost(int32, tag = "1")]
    lower: i32,
    #[prost(int32, tag = "2")]
    upper: i32,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialWeights {
    #[prost(double, tag = "1")]
    low: f64,
    #[prost(double, tag = "2")]
    mid: f64,
    #[prost(double, tag = "3")]
    high: f64,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialAppVersion {
    #[prost(message, optional, tag = "1")]
    ios: Option<OfficialVersionInfo>,
    #[prost(message, optional, tag = "2")]
    android: Option<OfficialVersionInfo>,
}

#[derive(Clone, PartialEq, Message)]
struct OfficialVersionInfo {
    #[prost(message, optional, tag = "1")]
    latest: Option<OfficialVersion>,
    #[prost(message, optional, tag = "2")]
    min: Option<OfficialVersion>,
}

/// A key of the home country stored with level `trl` and the report type
/// and onset a phone sent (which publication must not change in storage).
fn stored(byte: u8, trl: u8, origin: &str, visited: &[&str]) -> StoredKey {
    StoredKey {
        key: DiagnosisKey::new(shared::keys::KeyFields {
            key_data: [byte; 16],
            transmission_risk_level: i64::from(trl),
            rolling_start_interval_number: KEY_DAY_INTERVAL,
            rolling_period: 144,
            report_type: ReportType::ConfirmedTest,
            days_since_onset_of_symptoms: Some(-3),
        })
        .expect("a valid key"),
        origin_country: origin.into(),
        visited_countries: visited.iter().map(|code| (*code).to_owned()).collect(),
        consent_to_federation: false,
        submission_type: 0,
        submitted_hour: DISTRIBUTABLE_HOUR - 1,
        distributable_hour: DISTRIBUTABLE_HOUR,
    }
}

async fn insert(storage: &Storage, keys: &[StoredKey]) {
    // `warn distribute` creates the database; insert after a first run.
    let db = storage.db().await;
    db.migrate().await.expect("migrations");
    api::submission::store::insert_keys(&db, keys)
        .await
        .expect("keys stored");
    db.close().await;
}

/// Runs `warn distribute` with the configuration `config` (TOML, may be empty).
fn distribute(storage: &Storage, config: &str) {
    let file = storage.data_dir().join("app-config.toml");
    std::fs::create_dir_all(storage.data_dir()).expect("data folder");
    std::fs::write(&file, config).expect("configuration written");
    let path = file.display().to_string();
    storage.warn(&[
        "distribute",
        "--now",
        RUN_AT,
        "--min-keys",
        "1",
        "--app-config",
        &path,
    ]);
}

/// The `export.bin` of the bundle at `path`, checked as the apps check it
/// (signature by the operator's key), decoded by field number.
fn export_of(public: &Path, ring: &KeyRing, path: &str) -> OfficialExport {
    let bytes = read(public, path).unwrap_or_else(|| panic!("{path} is published"));
    shared::bundle::verify_export(&bytes, ring)
        .unwrap_or_else(|error| panic!("{path} does not verify: {error}"));
    let (bin, _) = entries(&bytes);
    OfficialExport::decode(&bin[16..]).expect("export.bin decodes")
}

/// `export.bin` and `export.sig` of a zip.
fn entries(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let archive = shared::bundle::archive::read_archive(bytes).expect("a zip of two entries");
    (archive.bin, archive.sig)
}

/// A signed configuration as the apps read it: verified with the
/// operator's key, one signature saying batch 1 of 1, the payload decoded.
fn configuration<M: Message + Default>(public: &Path, ring: &KeyRing, path: &str) -> M {
    let bytes = read(public, path).unwrap_or_else(|| panic!("{path} is published"));
    let (payload, _) = shared::bundle::verify_payload(&bytes, ring)
        .unwrap_or_else(|error| panic!("{path} does not verify: {error}"));
    let (bin, sig) = entries(&bytes);
    assert_eq!(bin, payload, "{path}: export.bin is the bare payload");
    let signatures = OfficialSignatureList::decode(sig.as_slice()).expect("export.sig decodes");
    assert_eq!(signatures.signatures.len(), 1, "{path}");
    assert_eq!(
        (
            signatures.signatures[0].batch_num,
            signatures.signatures[0].batch_size
        ),
        (Some(1), Some(1)),
        "{path}: batch 1 of 1"
    );
    M::decode(payload.as_slice()).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The level an app computes for a published key: the framework's
/// infectiousness and report type from `diagnosisKeysDataMapping`, then
/// `trlEncoding`'s offsets; `None` when the framework drops the key.
fn level_in_the_app(key: &OfficialKey, android: &OfficialAndroid) -> Option<i32> {
    let mapping = android
        .diagnosis_keys_data_mapping
        .as_ref()
        .expect("diagnosisKeysDataMapping");
    let infectiousness = match key.days_since_onset_of_symptoms {
        Some(days) => *mapping.days_since_onset_to_infectiousness.get(&days)?,
        None => mapping.infectiousness_when_days_since_onset_missing,
    };
    let report_type = match key.report_type.unwrap_or(0) {
        0 => mapping.report_type_when_missing,
        other => other,
    };
    let encoding = android
        .risk_calculation_parameters
        .as_ref()
        .and_then(|parameters| parameters.trl_encoding.as_ref())
        .expect("trlEncoding");
    let infectiousness_offset = match infectiousness {
        1 => encoding.infectiousness_offset_standard,
        2 => encoding.infectiousness_offset_high,
        _ => return None,
    };
    let report_type_offset = match report_type {
        1 => encoding.report_type_offset_confirmed_test,
        2 => encoding.report_type_offset_confirmed_clinical_diagnosis,
        3 => encoding.report_type_offset_self_report,
        4 => encoding.report_type_offset_recursive,
        _ => return None,
    };
    Some(report_type_offset + infectiousness_offset)
}

async fn every_transmission_risk_level_reaches_the_apps(storage: &Storage) {
    distribute(storage, "minimumTrlValueAllowed = 1\n");
    let keys: Vec<StoredKey> = (1..=8).map(|trl| stored(trl, trl, "DE", &["DE"])).collect();
    insert(storage, &keys).await;
    distribute(storage, "minimumTrlValueAllowed = 1\n");

    let ring = key_ring(storage, false);
    let public = storage.public();
    let android: OfficialAndroid = configuration(&public, &ring, "version/v2/app_config_android");
    let export = export_of(&public, &ring, &format!("{COUNTRY}/DE/date/{DAY}"));
    assert_eq!(export.keys.len(), 8, "every level is published");
    // cwa-server's transmission-risk-encoding.yaml, TRL 1..8.
    let report_types = [4, 4, 3, 3, 2, 2, 1, 1];
    let onsets = [1, 2, 1, 2, 1, 2, 1, 2];
    for key in &export.keys {
        let data = key.key_data.clone().expect("key data");
        let trl = data[0];
        let index = usize::from(trl - 1);
        assert_eq!(key.transmission_risk_level, Some(i32::from(trl)));
        assert_eq!(key.report_type, Some(report_types[index]), "TRL {trl}");
        assert_eq!(
            key.days_since_onset_of_symptoms,
            Some(onsets[index]),
            "TRL {trl}"
        );
        assert_eq!(key.rolling_period, Some(144));
        assert_eq!(
            key.rolling_start_interval_number,
            Some(i32::try_from(KEY_DAY_INTERVAL).expect("fits"))
        );
        assert_eq!(
            level_in_the_app(key, &android),
            Some(i32::from(trl)),
            "TRL {trl} comes back in the app"
        );
        // The shared functions the browser verifier uses agree.
        let published =
            DiagnosisKey::from_proto(&proto::exposurenotification::TemporaryExposureKey {
                key_data: Some(data.clone().into()),
                transmission_risk_level: key.transmission_risk_level,
                rolling_start_interval_number: key.rolling_start_interval_number,
                rolling_period: key.rolling_period,
                report_type: key.report_type,
                days_since_onset_of_symptoms: key.days_since_onset_of_symptoms,
            })
            .expect("valid");
        let mapping = shared::risk::published::data_mapping_of(
            &proto::appconfig::ApplicationConfigurationAndroid::decode(
                android.encode_to_vec().as_slice(),
            )
            .expect("decodes"),
        );
        assert_eq!(
            mapping.window_of(&published),
            Some((report_types[index], 1 + i32::from(trl % 2 == 0))),
            "TRL {trl}"
        );
    }

    // Storage keeps what the phone sent.
    let db = storage.db().await;
    let rows: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT report_type, days_since_onset_of_symptoms FROM diagnosis_keys")
            .fetch_all(db.pool())
            .await
            .expect("rows");
    db.close().await;
    assert_eq!(rows.len(), 8);
    assert!(
        rows.iter().all(|row| *row == (1, Some(-3))),
        "stored keys unchanged: {rows:?}"
    );
}

async fn levels_under_cwa_servers_minimum_are_not_published(storage: &Storage) {
    distribute(storage, "");
    let keys: Vec<StoredKey> = (1..=8).map(|trl| stored(trl, trl, "DE", &["DE"])).collect();
    insert(storage, &keys).await;
    distribute(storage, "");
    let ring = key_ring(storage, false);
    let export = export_of(
        &storage.public(),
        &ring,
        &format!("{COUNTRY}/DE/date/{DAY}"),
    );
    let levels: BTreeSet<i32> = export
        .keys
        .iter()
        .filter_map(|key| key.transmission_risk_level)
        .collect();
    assert_eq!(levels, (3..=8).collect(), "TRL 1 and 2 stay out");
}

async fn eur_holds_every_key_and_the_index_is_home_and_eur(storage: &Storage) {
    distribute(storage, "");
    let countries: Vec<String> = index(&storage.public(), COUNTRY);
    assert_eq!(countries, ["DE", "EUR"], "no keys at all");
    let keys: Vec<StoredKey> = (3..=8).map(|trl| stored(trl, trl, "DE", &["DE"])).collect();
    insert(storage, &keys).await;
    distribute(storage, "");
    let public = storage.public();
    let countries: Vec<String> = index(&public, COUNTRY);
    assert_eq!(countries, ["DE", "EUR"], "domestic keys only");
    let ring = key_ring(storage, false);
    let key_set = |region: &str| -> BTreeSet<Vec<u8>> {
        let export = export_of(&public, &ring, &format!("{COUNTRY}/{region}/date/{DAY}"));
        assert_eq!(export.region.as_deref(), Some(region));
        export
            .keys
            .into_iter()
            .filter_map(|key| key.key_data)
            .collect()
    };
    assert_eq!(key_set("EUR").len(), 6);
    assert_eq!(key_set("EUR"), key_set("DE"));
}

async fn made_up_visited_countries_make_no_region(storage: &Storage) {
    distribute(storage, "");
    // 40 codes no operator supports, and France (supported).
    let made_up: Vec<String> = ["X", "Y"]
        .iter()
        .flat_map(|first| (b'A'..=b'T').map(move |second| format!("{first}{}", second as char)))
        .collect();
    assert_eq!(made_up.len(), 40);
    let mut visited: Vec<&str> = made_up.iter().map(String::as_str).collect();
    visited.extend(["FR", "NL"]);
    visited.sort_unstable();
    let keys = vec![
        stored(0x51, 6, "NL", &visited),
        stored(0x52, 7, "DE", &["DE"]),
    ];
    insert(storage, &keys).await;
    distribute(storage, "");
    let public = storage.public();
    let countries: Vec<String> = index(&public, COUNTRY);
    assert_eq!(countries, ["DE", "FR", "EUR"]);
    for region in ["XA", "NL"] {
        assert!(
            !public.join(COUNTRY).join(region).exists(),
            "no files for {region}"
        );
    }
    let ring = key_ring(storage, false);
    let eur = export_of(&public, &ring, &format!("{COUNTRY}/EUR/date/{DAY}"));
    assert_eq!(
        eur.keys.len(),
        2,
        "EUR: the foreign key and the domestic one"
    );
}

async fn the_configurations_read_as_the_apps_read_them(storage: &Storage) {
    distribute(storage, "");
    let ring = key_ring(storage, false);
    let public = storage.public();

    let v1: OfficialV1 = configuration(
        &public,
        &ring,
        "version/v1/configuration/country/DE/app_config",
    );
    assert_eq!(v1.min_risk_score, 11);
    let classes = v1
        .risk_score_classes
        .expect("riskScoreClasses")
        .risk_classes;
    assert_eq!(
        classes
            .iter()
            .map(|class| (class.label.as_str(), class.min, class.max))
            .collect::<Vec<_>>(),
        [("LOW", 0, 15), ("HIGH", 15, 9999)]
    );
    assert_eq!(classes[0].url, "https://www.coronawarn.app");
    let scores = v1.exposure_config.expect("exposureConfig");
    assert_eq!(
        scores.transmission.expect("transmission").all(),
        [0, 0, 3, 4, 5, 6, 7, 8]
    );
    assert_eq!(
        scores.duration.expect("duration").all(),
        [0, 0, 0, 1, 1, 1, 1, 1]
    );
    assert_eq!(scores.days_since_last_exposure.expect("days").all(), [5; 8]);
    assert_eq!(
        scores.attenuation.expect("attenuation").all(),
        [0, 2, 2, 2, 2, 2, 2, 2]
    );
    assert_eq!(
        (
            scores.transmission_weight,
            scores.duration_weight,
            scores.days_weight,
            scores.attenuation_weight
        ),
        (50.0, 50.0, 20.0, 50.0)
    );
    let duration = v1.attenuation_duration.expect("attenuationDuration");
    let thresholds = duration.thresholds.expect("thresholds");
    assert_eq!((thresholds.lower, thresholds.upper), (55, 63));
    let weights = duration.weights.expect("weights");
    assert_eq!((weights.low, weights.mid, weights.high), (1.0, 0.5, 0.0));
    assert_eq!(duration.risk_score_normalization_divisor, 50);
    let versions = v1.app_version.expect("appVersion");
    assert!(versions.ios.and_then(|info| info.min).is_some());
    assert!(versions.android.and_then(|info| info.latest).is_some());
    assert!(v1.supported_countries.contains(&"DE".to_owned()));
    assert_eq!(
        v1.android_key_download_parameters
            .expect("androidKeyDownloadParameters")
            .overall_timeout_in_seconds,
        480
    );
    assert_eq!(
        v1.ios_exposure_detection_parameters
            .expect("iosExposureDetectionParameters")
            .max_exposure_detections_per_interval,
        6
    );
    assert_eq!(
        v1.android_exposure_detection_parameters
            .expect("androidExposureDetectionParameters")
            .overall_timeout_in_seconds,
        900
    );

    // Releases before 1.15 (version/v1) weigh by TRL × multiplier: cwa-server's
    // legacy 0.2; later ones (version/v2) use the value mapping and get 0.
    for (version, multiplier) in [("v1", 0.2), ("v2", 0.0)] {
        let android: OfficialAndroid = configuration(
            &public,
            &ring,
            &format!("version/{version}/app_config_android"),
        );
        check_risk_parameters(android.risk_calculation_parameters.as_ref(), multiplier);
        assert!(android.supported_countries.contains(&"FR".to_owned()));
        assert_eq!(
            (android.min_version_code, android.latest_version_code),
            (0, 0)
        );
        let mapping = android.diagnosis_keys_data_mapping.expect("mapping");
        assert_eq!(
            mapping.days_since_onset_to_infectiousness,
            HashMap::from([(1, 1), (2, 2)])
        );
        assert_eq!(mapping.infectiousness_when_days_since_onset_missing, 0);
        assert_eq!(mapping.report_type_when_missing, 1);
        let summaries = android
            .daily_summaries_config
            .expect("dailySummariesConfig");
        assert_eq!(summaries.attenuation_bucket_threshold_db, [30, 50, 70]);
        assert_eq!(summaries.attenuation_bucket_weights, [1.0; 4]);
        assert_eq!(summaries.report_type_weights.len(), 4);
        assert_eq!(
            android
                .key_download_parameters
                .expect("keyDownloadParameters")
                .download_timeout_in_seconds,
            60
        );
        assert_eq!(
            android
                .exposure_detection_parameters
                .expect("exposureDetectionParameters")
                .max_exposure_detections_per_interval,
            6
        );

        let ios: OfficialIos =
            configuration(&public, &ring, &format!("version/{version}/app_config_ios"));
        check_risk_parameters(ios.risk_calculation_parameters.as_ref(), multiplier);
        assert!(ios.supported_countries.contains(&"DE".to_owned()));
        assert!(ios.min_version.is_some() && ios.latest_version.is_some());
        assert_eq!(
            ios.exposure_detection_parameters
                .expect("exposureDetectionParameters")
                .max_exposure_detections_per_interval,
            6
        );
        let exposure = ios.exposure_configuration.expect("exposureConfiguration");
        assert_eq!(
            exposure.infectiousness_for_days_since_onset_of_symptoms,
            HashMap::from([(1, 1), (2, 2)])
        );
        assert_eq!(exposure.report_type_none_map, 0);
        assert_eq!(exposure.attenuation_duration_thresholds, [30, 50, 70]);
        assert_eq!(exposure.infectiousness_standard_weight, 1.0);
        assert_eq!(exposure.report_type_recursive_weight, 1.0);
    }
}

/// The version 2 parameters of cwa-server's
/// `v2/risk-calculation-parameters-1.15.yaml` (no filters, its level
/// tables, `maxEncounterAgeInDays` 10) with the TRL values of
/// `trl-value-mapping-1.15.yaml`, read by number.
fn check_risk_parameters(parameters: Option<&OfficialRiskParameters>, multiplier: f64) {
    let parameters = parameters.expect("riskCalculationParameters");
    let range = |range: Option<OfficialRange>| {
        let range = range.expect("a range");
        (
            range.min,
            range.min_exclusive,
            range.max,
            range.max_exclusive,
        )
    };
    assert!(parameters.minutes_at_attenuation_filters.is_empty());
    assert!(parameters.trl_filters.is_empty());
    let weights: Vec<_> = parameters
        .minutes_at_attenuation_weights
        .iter()
        .map(|weight| (range(weight.attenuation_range), weight.weight))
        .collect();
    assert_eq!(
        weights,
        [
            ((0.0, false, 63.0, true), 0.8),
            ((63.0, false, 73.0, true), 1.0),
            ((73.0, false, 79.0, true), 0.1),
        ]
    );
    let levels = |table: &[OfficialLevelMapping]| -> Vec<_> {
        table
            .iter()
            .map(|mapping| (range(mapping.normalized_time_range), mapping.risk_level))
            .collect()
    };
    assert_eq!(
        levels(&parameters.per_window),
        [
            ((0.0, false, 9.0, true), 1),
            ((9.0, false, 9999.0, false), 2)
        ]
    );
    assert_eq!(
        levels(&parameters.per_day),
        [
            ((5.0, false, 9.0, true), 1),
            ((9.0, false, 99999.0, false), 2)
        ]
    );
    let encoding = parameters.trl_encoding.as_ref().expect("trlEncoding");
    assert_eq!(
        (
            encoding.infectiousness_offset_standard,
            encoding.infectiousness_offset_high,
            encoding.report_type_offset_recursive,
            encoding.report_type_offset_self_report,
            encoding.report_type_offset_confirmed_clinical_diagnosis,
            encoding.report_type_offset_confirmed_test
        ),
        (1, 2, 0, 2, 4, 6)
    );
    let values: Vec<_> = parameters
        .transmission_risk_value_mapping
        .iter()
        .map(|value| (value.transmission_risk_level, value.transmission_risk_value))
        .collect();
    assert_eq!(
        values,
        [
            (1, 0.0),
            (2, 0.0),
            (3, 0.6),
            (4, 0.8),
            (5, 1.0),
            (6, 1.2),
            (7, 1.4),
            (8, 1.6)
        ]
    );
    assert_eq!(parameters.max_encounter_age_in_days, 10);
    assert_eq!(parameters.transmission_risk_level_multiplier, multiplier);
}

on_both_storages!(
    every_transmission_risk_level_reaches_the_apps,
    levels_under_cwa_servers_minimum_are_not_published,
    eur_holds_every_key_and_the_index_is_home_and_eur,
    made_up_visited_countries_make_no_region,
    the_configurations_read_as_the_apps_read_them,
);
