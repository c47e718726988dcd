//! `warn keygen` and `warn bundle sign|verify|inspect`.

use std::path::Path;

use crate::support::{skip, stderr, stdout, testdata, warn};

fn path(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

const KEYS_JSON: &str = r#"{"temporaryExposureKeys": [
  {"key": "K2MFOsSDI43hdhaehh89zQ==", "rollingStartNumber": 2649866, "rollingPeriod": 114, "transmissionRisk": 1},
  {"key": "Fy/EgOWYSQw0F3YEM5sVQw==", "rollingStartNumber": 2649980, "rollingPeriod": 1, "transmissionRisk": 8,
   "reportType": 1, "daysSinceOnsetOfSymptoms": -2}
]}"#;

fn keygen(dir: &Path) {
    let output = warn(&[
        "keygen",
        "--out",
        path(dir),
        "--key-id",
        "262",
        "--key-version",
        "v1",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn sign_verify_inspect_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, KEYS_JSON).unwrap();
    let bundle = dir.path().join("bundle.zip");

    let output = warn(&[
        "bundle",
        "sign",
        "--key",
        path(&dir.path().join("private.pem")),
        "--region",
        "DE",
        "--start",
        "2026-11-20T13:00:00Z",
        "--end",
        "1795183200",
        path(&keys),
        "--out",
        path(&bundle),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    let output = warn(&[
        "bundle",
        "verify",
        "--key",
        path(&dir.path().join("public.pem")),
        path(&bundle),
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        summary,
        serde_json::json!({
            "region": "DE",
            "startTimestamp": 1_795_179_600u64,
            "endTimestamp": 1_795_183_200u64,
            "batchNum": 1,
            "batchSize": 1,
            "keys": 2,
            "revisedKeys": 0,
            "transmissionRiskLevels": [0, 1, 0, 0, 0, 0, 0, 0, 1],
            "reportTypes": [1, 1, 0, 0, 0, 0],
            "signature": {"keyId": "262", "keyVersion": "v1", "algorithm": "1.2.840.10045.4.3.2"}
        })
    );

    let output = warn(&["bundle", "inspect", path(&bundle), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let inspected: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    // Sorted by key data: 0x17... before 0x2b...
    assert_eq!(
        inspected["keys"],
        serde_json::json!([
            {"keyData": "172fc480e598490c3417760433 9b1543".replace(' ', ""), "transmissionRiskLevel": 8,
             "rollingStartIntervalNumber": 2649980, "rollingPeriod": 1, "reportType": 1, "daysSinceOnsetOfSymptoms": -2},
            {"keyData": "2b63053ac483238de176169e861f3dcd", "transmissionRiskLevel": 1,
             "rollingStartIntervalNumber": 2649866, "rollingPeriod": 114, "reportType": 0, "daysSinceOnsetOfSymptoms": null}
        ])
    );
    assert_eq!(inspected["region"], "DE");
    assert_eq!(inspected["signatureInfos"][0]["keyId"], "262");
}

#[test]
fn verify_fails_with_one_line_for_the_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let other = dir.path().join("other");
    let output = warn(&[
        "keygen",
        "--out",
        path(&other),
        "--key-id",
        "262",
        "--key-version",
        "v1",
    ]);
    assert!(output.status.success());
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, KEYS_JSON).unwrap();
    let bundle = dir.path().join("bundle.zip");
    let output = warn(&[
        "bundle",
        "sign",
        "--key",
        path(&dir.path().join("private.pem")),
        "--region",
        "DE",
        "--start",
        "0",
        "--end",
        "3600",
        path(&keys),
        "--out",
        path(&bundle),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    let output = warn(&[
        "bundle",
        "verify",
        "--key",
        path(&other.join("public.pem")),
        path(&bundle),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("signature does not match"), "{message}");
}

#[test]
fn garbage_and_bad_input_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let garbage = dir.path().join("garbage.zip");
    std::fs::write(&garbage, b"PK\x03\x04 definitely not a zip").unwrap();
    let output = warn(&[
        "bundle",
        "verify",
        "--key",
        path(&dir.path().join("public.pem")),
        path(&garbage),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("not a zip archive"),
        "{}",
        stderr(&output)
    );

    let bad_keys = dir.path().join("bad.json");
    std::fs::write(
        &bad_keys,
        r#"{"temporaryExposureKeys":[{"key":"AAAA","rollingStartNumber":1}]}"#,
    )
    .unwrap();
    let output = warn(&[
        "bundle",
        "sign",
        "--key",
        path(&dir.path().join("private.pem")),
        "--region",
        "DE",
        "--start",
        "0",
        "--end",
        "1",
        path(&bad_keys),
        "--out",
        path(&dir.path().join("x.zip")),
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("key 0: key data must be 16 bytes"),
        "{}",
        stderr(&output)
    );
    assert!(
        !dir.path().join("x.zip").exists(),
        "nothing is written on error"
    );

    let output = warn(&[
        "keygen",
        "--out",
        path(dir.path()),
        "--key-id",
        "262",
        "--key-version",
        "v1",
    ]);
    assert!(
        !output.status.success(),
        "an existing key is not overwritten"
    );
    assert!(stderr(&output).contains("--force"));
}

#[test]
fn published_bundles_verify_with_their_keys_and_fail_with_the_wrong_one() {
    let Some(data) = testdata() else {
        return skip("published_bundles_verify", "../shared/testdata not found");
    };
    let cases = [
        (
            "bundles/google-en-server-example/testExport-2-records-1-of-1.zip",
            "bundles/google-en-server-example/public.pem",
            2,
            "some_id",
        ),
        (
            "bundles/google-en-internals-sample/sample_diagnosis_key_file.zip",
            "bundles/google-en-internals-sample/public-310-v1.pem",
            140,
            "310",
        ),
    ];
    let wrong = data.join("bundles/google-en-internals-sample/wrong-key-ExampleServer-v1.pem");
    for (bundle, key, count, key_id) in cases {
        let bundle = data.join(bundle);
        let output = warn(&[
            "bundle",
            "verify",
            "--key",
            path(&data.join(key)),
            path(&bundle),
            "--json",
        ]);
        assert!(
            output.status.success(),
            "{}: {}",
            bundle.display(),
            stderr(&output)
        );
        let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(summary["keys"], count);
        assert_eq!(summary["region"], "US");
        assert_eq!(summary["signature"]["keyId"], key_id);

        let output = warn(&["bundle", "verify", "--key", path(&wrong), path(&bundle)]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{} verified with the wrong key",
            bundle.display()
        );
    }
}

#[test]
fn help_describes_every_subcommand() {
    let output = warn(&["--help"]);
    let help = stdout(&output);
    for command in ["serve", "keygen", "bundle", "risk"] {
        assert!(
            help.contains(command),
            "warn --help lacks {command}: {help}"
        );
    }
    let output = warn(&["serve", "--help"]);
    let help = stdout(&output);
    for option in [
        "--listen",
        "--data-dir",
        "--database-url",
        "--portal-dir",
        "WARN_DATA_DIR",
        "--config",
    ] {
        assert!(
            help.contains(option),
            "warn serve --help lacks {option}: {help}"
        );
    }
}

#[test]
fn bundle_options_come_from_the_config_file_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, KEYS_JSON).unwrap();
    let config = dir.path().join("warn.toml");
    std::fs::write(
        &config,
        format!(
            "signing-key = {:?}\nregion = \"FR\"\n",
            path(&dir.path().join("private.pem"))
        ),
    )
    .unwrap();
    let bundle = dir.path().join("bundle.zip");
    let output = warn(&[
        "--config",
        path(&config),
        "bundle",
        "sign",
        "--start",
        "0",
        "--end",
        "3600",
        path(&keys),
        "--out",
        path(&bundle),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_warn"))
        .args(["bundle", "verify", path(&bundle), "--json"])
        .env("WARN_VERIFY_KEYS", dir.path().join("public.pem"))
        .env_remove("WARN_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["region"], "FR");

    let output = warn(&["bundle", "verify", path(&bundle)]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--key"), "{}", stderr(&output));
}

/// `WARN_CONFIG` names the TOML file of the commands that read one, and
/// never reaches `warn risk`, which reads none.
#[test]
fn warn_config_reaches_toml_commands_only() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, KEYS_JSON).unwrap();
    let config = dir.path().join("warn.toml");
    std::fs::write(
        &config,
        format!(
            "signing-key = {:?}\nregion = \"NL\"\n",
            path(&dir.path().join("private.pem"))
        ),
    )
    .unwrap();
    let bundle = dir.path().join("bundle.zip");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_warn"))
        .args(["bundle", "sign", "--start", "0", "--end", "3600"])
        .args([path(&keys), "--out", path(&bundle)])
        .env("WARN_CONFIG", &config)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let output = warn(&["bundle", "inspect", path(&bundle), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["region"], "NL");

    let windows = dir.path().join("windows.json");
    std::fs::write(&windows, "[]").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_warn"))
        .args(["risk", "v2", "--windows", path(&windows)])
        .env("WARN_CONFIG", &config)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let result: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(result.is_object(), "{result}");
}

/// `warn risk` and `warn match` take their risk parameters with
/// `--parameters`; `--config` (the TOML file, once their name for the
/// parameters) is refused, not ignored, so that an old command line does
/// not score with the production values without a word.
#[test]
fn risk_parameters_come_with_parameters_and_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let windows = dir.path().join("windows.json");
    std::fs::write(&windows, "[]").unwrap();
    let parameters = dir.path().join("parameters.json");
    std::fs::write(
        &parameters,
        serde_json::to_string(&shared::risk::defaults::v2()).unwrap(),
    )
    .unwrap();
    let output = warn(&[
        "risk",
        "v2",
        "--parameters",
        path(&parameters),
        "--windows",
        path(&windows),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    let parameters = path(&parameters);
    let windows = path(&windows);
    let old_spellings: [&[&str]; 2] = [
        &["risk", "v2", "--config", parameters, "--windows", windows],
        &[
            "match",
            "--config",
            parameters,
            "--bundle",
            "b.zip",
            "--observations",
            "o.json",
            "--key",
            "k.pem",
        ],
    ];
    for args in old_spellings {
        let output = warn(args);
        assert!(!output.status.success(), "{args:?} ran");
        assert!(
            stderr(&output).contains("with --parameters"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}
