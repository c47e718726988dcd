//! Fuzz targets for every parser of outside bytes, one function per target,
//! and the seed inputs each starts from.
//!
//! Each `fuzz_targets/NAME.rs` calls [`run`] with the target's name; the
//! functions here feed the bytes to the same public functions the server,
//! the command line and the browser apps call. A target must never panic:
//! every input is either read or refused with an error.
//!
//! - [`submission`]: `SubmissionPayload` protobuf and the submission rules.
//! - [`bundle`]: export bundles (zip, `export.bin`, `export.sig`), inspected
//!   and verified.
//! - [`efgs_batch`]: the EFGS `DiagnosisKeyBatch` protobuf, its keys
//!   checked and its canonical (signed) bytes.
//! - [`efgs_signature`]: the batch signature (CMS `SignedData`, DER).
//! - [`lab_csv`]: the lab's CSV file.
//! - [`json_bodies`]: the JSON request bodies (phone, lab, portal).
//! - [`app_config`]: the application configuration (protobuf and JSON).
//!
//! `examples/seeds.rs` writes `seeds/NAME/` with [`seeds`].

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::Decode as _;
use prost::Message as _;
use shared::bundle::{KeyIdentity, KeyRing, Signer};

/// The names of the fuzz targets, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: [&str; 7] = [
    "submission",
    "bundle",
    "efgs_batch",
    "efgs_signature",
    "lab_csv",
    "json_bodies",
    "app_config",
];

/// The time every target checks against: 2026-11-21T00:30:00Z.
pub const NOW: i64 = 1_795_228_200;

/// Runs the target `name` on `data`.
///
/// # Panics
/// When `name` is not one of [`TARGETS`] (or when the parser under test
/// panics, which is what fuzzing looks for).
pub fn run(name: &str, data: &[u8]) {
    match name {
        "submission" => submission(data),
        "bundle" => bundle(data),
        "efgs_batch" => efgs_batch(data),
        "efgs_signature" => efgs_signature(data),
        "lab_csv" => lab_csv(data),
        "json_bodies" => json_bodies(data),
        "app_config" => app_config(data),
        other => panic!("no fuzz target {other}"),
    }
}

/// A submission as the phone sends it: the protobuf, then the rules.
pub fn submission(data: &[u8]) {
    let Ok(payload) = proto::submission::SubmissionPayload::decode(data) else {
        return;
    };
    let countries = api::config::Countries::default();
    if let Ok(keys) = api::submission::validate::validate(&payload, &countries, NOW) {
        assert!(keys.len() <= payload.keys.len());
    }
}

/// An export bundle, as `warn bundle inspect|verify`, the verifier and the
/// phone simulation read it.
pub fn bundle(data: &[u8]) {
    let _ = shared::bundle::archive::read_archive(data);
    let _ = shared::bundle::inspect_export(data);
    let _ = shared::bundle::verify_export(data, key_ring());
    let _ = shared::bundle::verify_payload(data, key_ring());
}

/// An EFGS batch, as the gateway and the national download read it.
pub fn efgs_batch(data: &[u8]) {
    let Ok(batch) = proto::efgs::DiagnosisKeyBatch::decode(data) else {
        return;
    };
    for key in &batch.keys {
        if let Ok(checked) = api::federation::batch::FederatedKey::from_efgs(key) {
            // What was accepted travels on unchanged.
            let again = checked.to_efgs();
            assert_eq!(again.key_data, key.key_data);
        }
    }
    let _ = api::federation::signature::canonical_bytes(&batch);
}

/// The EFGS batch signature: base64 of a DER `ContentInfo`. The bytes are
/// the DER (the fuzzer mutates structure, not base64 text); also tried as
/// the header's text itself.
pub fn efgs_signature(data: &[u8]) {
    let (ca, content, now) = efgs_fixture();
    let _ = api::federation::signature::verify(content, &STANDARD.encode(data), ca, *now);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = api::federation::signature::verify(content, text, ca, *now);
    }
}

/// The lab's CSV file, as the portal reads it in the browser.
pub fn lab_csv(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rows) = shared::lab_csv::parse(text) {
        assert!(rows.len() <= shared::lab_csv::MAX_ROWS);
    }
}

/// The JSON bodies: the first byte picks the type, the rest is the body.
pub fn json_bodies(data: &[u8]) {
    use shared::portal;
    use shared::verification::wire;
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    fn read<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
        serde_json::from_slice(body).ok()
    }
    match which % 12 {
        0 => drop(read::<wire::RegistrationTokenRequest>(body)),
        1 => drop(read::<wire::RegistrationTokenBody>(body)),
        2 => drop(read::<wire::TanVerifyRequest>(body)),
        3 => {
            if let Some(request) = read::<wire::LabResultsRequest>(body) {
                let _ = api::testresult::validate::checked(&request.test_results);
            }
        }
        4 => drop(read::<wire::AppResultRequest>(body)),
        5 => drop(read::<portal::LoginRequest>(body)),
        6 => drop(read::<portal::TotpRequest>(body)),
        7 => drop(read::<portal::CreateUserRequest>(body)),
        8 => drop(read::<portal::TeleTanBatchRequest>(body)),
        9 => drop(read::<portal::CreateLabKeyRequest>(body)),
        10 => drop(read::<portal::AuditQuery>(body)),
        _ => drop(read::<wire::ErrorBody>(body)),
    }
}

/// The application configuration: the first byte picks the protobufs
/// (even: the rest read as the v1 `ApplicationConfiguration` and as the
/// `ApplicationConfigurationAndroid`, then both together, as the verifier
/// reads what a server published) or JSON (odd, the `--app-config` file's
/// form, encoded back to the v1 protobuf).
pub fn app_config(data: &[u8]) {
    use proto::appconfig::{ApplicationConfiguration, ApplicationConfigurationAndroid};
    use shared::risk::ApplicationConfig;
    use shared::risk::v1::V1Config;
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    if which % 2 == 0 {
        let v1 = ApplicationConfiguration::decode(body).ok();
        if let Some(v1) = &v1 {
            let _ = V1Config::try_from(v1);
        }
        if let Ok(android) = ApplicationConfigurationAndroid::decode(body) {
            let v1 = v1.unwrap_or_default();
            let _ = ApplicationConfig::from_published(&v1, &android);
        }
    } else if let Ok(config) = serde_json::from_slice::<ApplicationConfig>(body) {
        let _ = ApplicationConfiguration::from(&config.v1);
    }
}

/// A fixed P-256 key, so committed seed bundles verify in every run.
pub fn signer() -> Signer {
    use p256::pkcs8::{EncodePrivateKey, LineEnding};
    let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).expect("a valid scalar");
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("PKCS#8 encodes");
    Signer::from_pkcs8_pem(&pem, KeyIdentity::new("262", "v1")).expect("our own PEM reads")
}

fn key_ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        let signer = signer();
        let mut ring = KeyRing::new();
        ring.add(signer.identity().clone(), signer.verifying_key());
        ring
    })
}

/// The test CA the seed signature was made under (`fixtures/efgs-ca.der`,
/// written by `examples/seeds.rs`), the content it signed
/// (`fixtures/efgs-content`) and a time within the certificates' validity
/// (`fixtures/efgs-now`, unix seconds of the day the seeds were made).
fn efgs_fixture() -> &'static (x509_cert::Certificate, Vec<u8>, i64) {
    static FIXTURE: OnceLock<(x509_cert::Certificate, Vec<u8>, i64)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // Read at start (not compiled in), so `examples/seeds.rs` can
        // renew them without a rebuild of the targets.
        let read = |name: &str| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(name);
            std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        };
        let ca = x509_cert::Certificate::from_der(&read("efgs-ca.der"))
            .expect("the committed CA parses");
        let now = String::from_utf8_lossy(&read("efgs-now"))
            .trim()
            .parse()
            .expect("unix seconds");
        (ca, read("efgs-content"), now)
    })
}

pub mod seeds;

#[cfg(test)]
mod tests {
    /// Every committed seed goes through its target without a panic.
    #[test]
    fn every_seed_passes_its_target() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
        for target in super::TARGETS {
            let seeds: Vec<_> = std::fs::read_dir(root.join(target))
                .unwrap_or_else(|error| panic!("seeds/{target}: {error}"))
                .map(|entry| entry.expect("entry").path())
                .collect();
            assert!(!seeds.is_empty(), "no seed for {target}");
            for seed in seeds {
                super::run(target, &std::fs::read(&seed).expect("readable seed"));
            }
        }
    }
}
