//! Seed inputs, made by the project's own code: one valid input per
//! parser (and a few near misses), from which libFuzzer mutates.
//!
//! `examples/seeds.rs` writes them to `seeds/TARGET/NAME`; the EFGS
//! signature's seed needs a CA, which that example makes as well.

use prost::Message as _;
use proto::efgs::{DiagnosisKey as EfgsKey, DiagnosisKeyBatch};
use proto::exposurenotification::TemporaryExposureKey;
use proto::submission::SubmissionPayload;
use shared::bundle::{ExportSpec, build_export, sign_payload};
use shared::keys::{DiagnosisKey, ReportType};

use crate::NOW;

/// A named seed input.
pub type Seed = (&'static str, Vec<u8>);

/// Midnight UTC of the day before [`NOW`], in 10-minute intervals.
fn yesterday_interval() -> u32 {
    u32::try_from((NOW / 86_400 - 1) * 144).expect("fits")
}

fn export_keys() -> Vec<DiagnosisKey> {
    (0u8..3)
        .map(|n| {
            DiagnosisKey::new(shared::keys::KeyFields {
                key_data: [n + 1; 16],
                transmission_risk_level: i64::from(n % 8 + 1),
                rolling_start_interval_number: i64::from(yesterday_interval()),
                rolling_period: 144,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: Some(i32::from(n)),
            })
            .expect("a valid key")
        })
        .collect()
}

/// `SubmissionPayload`s: a valid one, one with a duplicate key.
pub fn submission() -> Vec<Seed> {
    let key = |n: u8| TemporaryExposureKey {
        key_data: Some(vec![n; 16].into()),
        transmission_risk_level: Some(i32::from(n % 8 + 1)),
        rolling_start_interval_number: Some(yesterday_interval() as i32),
        rolling_period: Some(144),
        report_type: None,
        days_since_onset_of_symptoms: Some(1),
    };
    let payload = |keys: Vec<TemporaryExposureKey>| SubmissionPayload {
        keys,
        request_padding: vec![0; 8].into(),
        visited_countries: vec!["FR".into(), "NL".into()],
        origin: "DE".into(),
        consent_to_federation: true,
        submission_type: 0,
    };
    vec![
        ("valid", payload((1..=3).map(key).collect()).encode_to_vec()),
        ("duplicate", payload(vec![key(1), key(1)]).encode_to_vec()),
    ]
}

/// Export bundles signed with [`crate::signer`], and the signed
/// configuration bundle (no header).
pub fn bundle() -> Vec<Seed> {
    let signer = crate::signer();
    let spec = ExportSpec {
        region: "DE".into(),
        start_timestamp: 1_795_140_000,
        end_timestamp: 1_795_143_600,
        batch_num: 1,
        batch_size: 1,
        keys: export_keys(),
    };
    let bundle = build_export(spec, &[&signer]).expect("the bundle builds");
    let config = proto::appconfig::ApplicationConfiguration::from(
        &shared::risk::ApplicationConfig::default().v1,
    )
    .encode_to_vec();
    let config_bundle = sign_payload(&config, &[&signer]);
    vec![("export", bundle), ("app_config", config_bundle)]
}

/// An EFGS batch of valid keys (one with a range-encoded onset).
pub fn efgs_batch_value() -> DiagnosisKeyBatch {
    let key = |n: u8, dsos: i32| EfgsKey {
        key_data: vec![n; 16].into(),
        rolling_start_interval_number: yesterday_interval(),
        rolling_period: 144,
        transmission_risk_level: 3,
        visited_countries: vec!["DE".into(), "FR".into()],
        origin: "DE".into(),
        report_type: 1,
        days_since_onset_of_symptoms: dsos,
    };
    DiagnosisKeyBatch {
        keys: vec![key(1, 2), key(2, 301), key(3, 4000)],
    }
}

/// The batch as bytes.
pub fn efgs_batch() -> Vec<Seed> {
    vec![("valid", efgs_batch_value().encode_to_vec())]
}

/// Lab CSV files: a header, both separators, every result spelling.
pub fn lab_csv() -> Vec<Seed> {
    vec![
        (
            "comma",
            "guid,result,sample time\n3fa85f64-5717-4562-b3fc-2c963f66afa6,positive,2026-11-20T09:30:00Z\n\
              7c9e6679-7425-40de-944b-e07fc1f90ae7,1,1795140000\nabc,ungültig,\n"
                .as_bytes()
                .to_vec(),
        ),
        (
            "semicolon",
            "\u{feff}guid;result\nx1;negativ\nx1;2\n\"quoted;guid\";3\n"
                .as_bytes()
                .to_vec(),
        ),
    ]
}

/// One body per JSON type (the first byte picks it, see [`crate::json_bodies`]).
pub fn json_bodies() -> Vec<Seed> {
    let guid_hash = "a".repeat(64);
    let bodies: [(&str, u8, String); 12] = [
        (
            "registration",
            0,
            format!(r#"{{"key":"{guid_hash}","keyType":"GUID"}}"#),
        ),
        (
            "token",
            1,
            r#"{"registrationToken":"1ea6ce8a-9740-41ea-bb37-0242ac130002"}"#.into(),
        ),
        (
            "tan_verify",
            2,
            r#"{"tan":"edc07f08-a1aa-11ea-bb37-0242ac130002"}"#.into(),
        ),
        (
            "lab_results",
            3,
            format!(
                r#"{{"labId":"lab1","testResults":[{{"id":"{guid_hash}","result":2,"sc":1795140000}},{{"id":"{guid_hash}","result":9}}]}}"#
            ),
        ),
        ("app_result", 4, format!(r#"{{"id":"{guid_hash}"}}"#)),
        ("login", 5, r#"{"name":"anna","password":"secret"}"#.into()),
        ("totp", 6, r#"{"code":"123456"}"#.into()),
        (
            "create_user",
            7,
            r#"{"name":"ben","role":"hotline"}"#.into(),
        ),
        ("teletan_batch", 8, r#"{"count":50}"#.into()),
        ("lab_key", 9, r#"{"name":"Labor Berlin"}"#.into()),
        (
            "audit",
            10,
            r#"{"actor":"anna","action":"login","since":1,"until":2,"beforeId":3}"#.into(),
        ),
        (
            "error",
            11,
            r#"{"error":"bad","message":"a sentence"}"#.into(),
        ),
    ];
    bodies
        .into_iter()
        .map(|(name, which, body)| {
            let mut bytes = vec![which];
            bytes.extend_from_slice(body.as_bytes());
            (name, bytes)
        })
        .collect()
}

/// The default configuration as protobuf (first byte even) and as JSON (odd).
pub fn app_config() -> Vec<Seed> {
    let config = shared::risk::ApplicationConfig::default();
    let mut protobuf = vec![0];
    protobuf.extend(proto::appconfig::ApplicationConfiguration::from(&config.v1).encode_to_vec());
    let mut json = vec![1];
    json.extend(serde_json::to_vec(&config).expect("the configuration serialises"));
    vec![("protobuf", protobuf), ("json", json)]
}

/// Every seed of target `name` that needs no CA (all but `efgs_signature`,
/// whose seed `examples/seeds.rs` makes with the CA it creates).
pub fn of(name: &str) -> Vec<Seed> {
    match name {
        "submission" => submission(),
        "bundle" => bundle(),
        "efgs_batch" => efgs_batch(),
        "lab_csv" => lab_csv(),
        "json_bodies" => json_bodies(),
        "app_config" => app_config(),
        _ => Vec::new(),
    }
}
