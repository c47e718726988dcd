//! What a run publishes: every eligible key once per level, the threshold,
//! re-runs that rewrite nothing, key rotation.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use api::submission::StoredKey;
use shared::keys::{DiagnosisKey, ReportType};

use super::{Storage, index, key_ring, on_both_storages, walk};

/// Submissions happen over the three days before this time.
const SEEDED_AT: &str = "2026-11-20T12:00:00Z";
/// The run: half an hour into the next day, long after every embargo.
const RUN_AT: &str = "2026-11-21T00:30:00Z";
const RUN_HOUR: i64 = 1_795_221_000 / 3600;

/// Keys that become distributable only after the run's hour.
fn future_keys() -> Vec<StoredKey> {
    (0..3u8)
        .map(|byte| StoredKey {
            key: DiagnosisKey::new(shared::keys::KeyFields {
                key_data: [0xF0 + byte; 16],
                transmission_risk_level: 5,
                rolling_start_interval_number: 2_991_900,
                rolling_period: 144,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: Some(1),
            })
            .expect("a valid key"),
            origin_country: "DE".into(),
            visited_countries: vec!["DE".into()],
            consent_to_federation: false,
            submission_type: 0,
            submitted_hour: RUN_HOUR,
            distributable_hour: RUN_HOUR + 1,
        })
        .collect()
}

/// Every stored key that the default configuration publishes (transmission
/// risk level 3 or more, cwa-server's minimum) with the hour of its own bundle.
async fn stored_hours(storage: &Storage) -> BTreeMap<[u8; 16], i64> {
    use sqlx::Row;
    let db = storage.db().await;
    let rows = sqlx::query(
        "SELECT key_data, distributable_hour FROM diagnosis_keys \
         WHERE transmission_risk_level >= 3",
    )
    .fetch_all(db.pool())
    .await
    .expect("keys");
    db.close().await;
    rows.iter()
        .map(|row| {
            let data: Vec<u8> = row.get(0);
            let hour: i64 = row.get(1);
            (data.try_into().expect("16 bytes"), hour - 1)
        })
        .collect()
}

async fn seed(storage: &Storage, cases: &str) {
    storage.warn(&[
        "demo", "seed", "--cases", cases, "--days", "3", "--now", SEEDED_AT, "--seed", "1",
    ]);
    let db = storage.db().await;
    api::submission::store::insert_keys(&db, &future_keys())
        .await
        .expect("future keys stored");
    db.close().await;
}

async fn every_eligible_key_is_published_once_per_level(storage: &Storage) {
    seed(storage, "200").await;
    let output = storage.warn(&["distribute", "--now", RUN_AT, "--min-keys", "1"]);
    let summary = crate::support::stdout(&output);

    let ring = key_ring(storage, false);
    let public = storage.public();
    let countries: Vec<String> = index(&public, "version/v1/diagnosis-keys/country");
    assert_eq!(countries, ["DE", "EUR"]);
    let dates: Vec<String> = index(&public, "version/v1/diagnosis-keys/country/DE/date");
    assert_eq!(dates.len(), 14, "{dates:?}");
    assert_eq!(
        (dates[0].as_str(), dates[13].as_str()),
        ("2026-11-07", "2026-11-20")
    );
    let today: Vec<u32> = index(
        &public,
        "version/v1/diagnosis-keys/country/DE/date/2026-11-21/hour",
    );
    assert!(
        today.is_empty(),
        "no hour of the current day is over: {today:?}"
    );

    let tree = walk(&public, &ring, Some("2026-11-21"));
    let stored = stored_hours(storage).await;
    let eligible: Vec<_> = stored
        .iter()
        .filter(|(_, hour)| **hour < RUN_HOUR)
        .collect();
    assert!(
        eligible.len() > 200 * 14 / 3 && eligible.len() < 200 * 14,
        "the keys of level 1 and 2 are not published: {} of {}\n{summary}",
        eligible.len(),
        200 * 14
    );
    for (key, hour) in &eligible {
        assert_eq!(tree.hourly.get(*key), Some(&1), "hourly count of {key:?}");
        assert_eq!(tree.daily.get(*key), Some(&1), "daily count of {key:?}");
        assert_eq!(tree.hour_of.get(*key), Some(*hour), "hour of {key:?}");
    }
    for key in future_keys() {
        assert!(
            !tree.hourly.contains_key(&key.key.key_data)
                && !tree.daily.contains_key(&key.key.key_data)
        );
    }
    assert_eq!(tree.hourly.len(), eligible.len());
    // 14 days of 24 hourly bundles plus 14 daily bundles.
    assert_eq!(tree.bundles, 14 * 25);
    assert!(summary.contains("keys published"), "{summary}");

    let db = storage.db().await;
    let finished: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM distribution_runs WHERE finished_at IS NOT NULL AND bundles_written = 700")
        .fetch_one(db.pool())
        .await
        .expect("runs");
    db.close().await;
    assert_eq!(finished, 1);
}

async fn hours_under_the_threshold_publish_empty_bundles_and_carry_their_keys(storage: &Storage) {
    seed(storage, "60").await;
    storage.warn(&["distribute", "--now", RUN_AT, "--min-keys", "100"]);
    let tree = walk(
        &storage.public(),
        &key_ring(storage, false),
        Some("2026-11-21"),
    );
    assert!(
        tree.hour_sizes
            .iter()
            .all(|size| *size == 0 || *size >= 100),
        "{:?}",
        tree.hour_sizes
    );
    let stored = stored_hours(storage).await;
    let mut carried = 0;
    for (key, published_in) in &tree.hour_of {
        let own = stored[key];
        assert!(
            *published_in >= own,
            "a key is never published before its hour"
        );
        carried += usize::from(*published_in > own);
    }
    assert!(carried > 0, "some keys were carried forward");
    let empty_with_keys_of_their_own = stored
        .values()
        .filter(|hour| **hour < RUN_HOUR)
        .any(|hour| !tree.hour_of.values().any(|published| published == hour));
    assert!(
        empty_with_keys_of_their_own,
        "an hour with keys of its own published none"
    );
}

fn modification_times(dir: &Path) -> BTreeMap<String, SystemTime> {
    walkdir(dir)
        .into_iter()
        .map(|path| {
            let time = std::fs::metadata(&path)
                .and_then(|meta| meta.modified())
                .expect("mtime");
            (path.display().to_string(), time)
        })
        .collect()
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walkdir(&path));
        } else {
            files.push(path);
        }
    }
    files
}

async fn a_rerun_with_nothing_new_rewrites_nothing(storage: &Storage) {
    seed(storage, "50").await;
    storage.warn(&["distribute", "--now", RUN_AT, "--min-keys", "1"]);
    let before = modification_times(&storage.public());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let output = storage.warn(&["distribute", "--now", RUN_AT, "--min-keys", "1"]);
    assert_eq!(modification_times(&storage.public()), before);
    let summary = crate::support::stdout(&output);
    assert!(summary.contains("(0 written"), "{summary}");
}

async fn after_rotation_new_bundles_are_signed_by_the_new_key(storage: &Storage) {
    seed(storage, "20").await;
    storage.warn(&["distribute", "--now", RUN_AT, "--min-keys", "1"]);
    let old = key_ring(storage, false);
    storage.warn(&["key", "rotate"]);
    let listed = crate::support::stdout(&storage.warn(&["key", "list"]));
    assert_eq!(listed, "DE v1 retired\nDE v2 active\n");
    storage.warn(&["distribute", "--now", RUN_AT, "--min-keys", "1"]);

    let new = key_ring(storage, false);
    let tree = walk(&storage.public(), &new, Some("2026-11-21"));
    assert!(
        tree.signers.iter().all(|signer| signer == "DE/v2"),
        "{:?}",
        tree.signers
    );
    let bundle = super::read(
        &storage.public(),
        "version/v1/diagnosis-keys/country/DE/date/2026-11-20",
    )
    .expect("a daily bundle");
    assert!(
        shared::bundle::verify_export(&bundle, &old).is_err(),
        "the old key did not sign it"
    );

    let keys: Vec<serde_json::Value> = index(&storage.public(), "version/v1/keys");
    let listed: Vec<(String, bool)> = keys
        .iter()
        .map(|key| {
            (
                key["keyVersion"].as_str().unwrap_or_default().to_owned(),
                key["active"] == true,
            )
        })
        .collect();
    assert_eq!(listed, [("v1".to_owned(), false), ("v2".to_owned(), true)]);
    let all = key_ring(storage, true);
    assert!(shared::bundle::verify_export(&bundle, &all).is_ok());
}

/// A country index that cannot be read fails the run, which changes
/// nothing (a run that went on could never delete the files of a region it
/// stopped publishing); the next run after a repair completes.
async fn an_unreadable_country_index_fails_the_run_and_changes_nothing(storage: &Storage) {
    seed(storage, "20").await;
    storage.warn(&["distribute", "--now", RUN_AT, "--min-keys", "1"]);
    let index = storage
        .public()
        .join("version/v1/diagnosis-keys/country/index");
    let listed = std::fs::read(&index).expect("the country index");
    std::fs::write(&index, b"<html>not a list</html>").expect("index replaced");
    let before = modification_times(&storage.public());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut args = vec!["distribute", "--now", RUN_AT, "--min-keys", "1"];
    let storage_args = storage.args();
    args.extend(storage_args.iter().map(String::as_str));
    let output = crate::support::warn(&args);
    assert!(!output.status.success(), "the run went on");
    let said = crate::support::stderr(&output);
    assert!(
        said.contains("the country index is not a list of regions"),
        "{said}"
    );
    assert_eq!(modification_times(&storage.public()), before);

    std::fs::write(&index, &listed).expect("index restored");
    let output = storage.warn(&["distribute", "--now", RUN_AT, "--min-keys", "1"]);
    let summary = crate::support::stdout(&output);
    assert!(summary.contains("(0 written"), "{summary}");
}

on_both_storages!(
    an_unreadable_country_index_fails_the_run_and_changes_nothing,
    every_eligible_key_is_published_once_per_level,
    hours_under_the_threshold_publish_empty_bundles_and_carry_their_keys,
    a_rerun_with_nothing_new_rewrites_nothing,
    after_rotation_new_bundles_are_signed_by_the_new_key,
);
