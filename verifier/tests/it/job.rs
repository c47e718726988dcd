//! The job the worker runs: verify, match, score, with progress.

use shared::bundle::archive::{read_archive, write_archive};
use shared::risk::RiskLevel;
use verifier::job::{self, JobError, Progress};
use verifier::task::{self, Envelope, Request, WorkerMessage};

use crate::support::fixture;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn finds_every_key_met_and_reports_progress_to_the_end() {
    let fixture = fixture(3, 200, 300, 11);
    let mut reports: Vec<Progress> = Vec::new();
    let outcome = job::run(&fixture.spec, &fixture.bundles, |progress| {
        reports.push(progress)
    })
    .expect("the job runs");
    assert_eq!(outcome.bundles.len(), 3);
    assert!(
        outcome
            .bundles
            .iter()
            .all(|bundle| bundle.valid && bundle.keys == 200)
    );
    assert_eq!(outcome.diagnosis_keys, 600);
    assert!(fixture.keys_met > 0, "the scenario meets some keys");
    assert_eq!(outcome.keys_matched, fixture.keys_met);
    assert!(!outcome.windows.is_empty());
    assert!(
        outcome
            .windows
            .windows(2)
            .all(|pair| pair[0].start <= pair[1].start),
        "windows by start time"
    );
    // Progress only grows and ends at its total.
    assert!(reports.len() >= 4, "{reports:?}");
    assert!(reports.windows(2).all(|pair| pair[0].done < pair[1].done));
    let last = reports.last().expect("progress was reported");
    assert_eq!(last.done, last.total);
    // The result object says what a phone would say.
    let days =
        outcome.result.number_of_days_with_low_risk + outcome.result.number_of_days_with_high_risk;
    assert!(days >= 1, "{:?}", outcome.result);
}

#[test]
fn a_tampered_bundle_is_reported_and_its_keys_are_not_used() {
    let mut fixture = fixture(2, 100, 200, 5);
    let archive = read_archive(&fixture.bundles[0]).expect("a zip");
    let mut bin = archive.bin;
    let last = bin.len() - 1;
    bin[last] ^= 0x55;
    fixture.bundles[0] = write_archive(&bin, &archive.sig);
    let outcome = job::run(&fixture.spec, &fixture.bundles, |_| {}).expect("the job runs");
    assert!(!outcome.bundles[0].valid);
    assert!(
        outcome.bundles[0]
            .reason_german
            .as_deref()
            .is_some_and(|reason| reason.starts_with("die Signatur passt nicht")),
        "{:?}",
        outcome.bundles[0]
    );
    assert!(
        outcome.bundles[0]
            .reason_english
            .as_deref()
            .is_some_and(|reason| reason.starts_with("the signature does not match"))
    );
    assert!(outcome.bundles[1].valid);
    assert_eq!(outcome.diagnosis_keys, 100, "only the valid bundle's keys");
}

#[test]
fn no_windows_means_low_risk_and_no_exposure() {
    let mut fixture = fixture(2, 50, 100, 3);
    fixture.spec.log.observations.clear();
    let outcome = job::run(&fixture.spec, &fixture.bundles, |_| {}).expect("the job runs");
    assert_eq!(outcome.keys_matched, 0);
    assert!(outcome.windows.is_empty());
    assert_eq!(outcome.result.total_risk_level, RiskLevel::Low);
    assert_eq!(outcome.result.age_of_most_recent_date_with_high_risk, None);
}

#[test]
fn a_job_without_keys_or_with_missing_bundles_fails_clearly() {
    let mut fixture = fixture(1, 10, 10, 1);
    let bundles = fixture.bundles.clone();
    assert!(matches!(
        job::run(&fixture.spec, &bundles[..0], |_| {}),
        Err(JobError::BundleCount {
            names: 1,
            bundles: 0
        })
    ));
    fixture.spec.keys.clear();
    let error = job::run(&fixture.spec, &bundles, |_| {}).expect_err("no keys");
    assert!(matches!(error, JobError::Keys(_)));
    let WorkerMessage::Failed(reason) = WorkerMessage::from(error) else {
        panic!("not a failure message");
    };
    assert!(reason.german.starts_with("Kein öffentlicher Schlüssel"));
    assert!(reason.english.starts_with("No public key"));
    // A pasted key instead of the server's works the same.
    fixture.spec.pasted_key = fixture.signer.verifying_key_pem();
    assert!(job::run(&fixture.spec, &bundles, |_| {}).is_ok());
}

#[test]
fn messages_travel_as_json() {
    let fixture = fixture(1, 20, 40, 2);
    let outcome = job::run(&fixture.spec, &fixture.bundles, |_| {}).expect("the job runs");
    for message in [
        WorkerMessage::Progress(Progress { done: 1, total: 2 }),
        WorkerMessage::Done(Box::new(outcome.clone())),
    ] {
        let envelope = Envelope {
            id: 9,
            body: message,
        };
        let text = serde_json::to_string(&envelope).expect("serializes");
        let back: Envelope<WorkerMessage> = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(back, envelope);
    }
    let request = Envelope {
        id: 9,
        body: Request::Match(Box::new(fixture.spec.clone())),
    };
    let text = serde_json::to_string(&request).expect("serializes");
    let back: Envelope<Request> = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(back, request);
    // The worker's dispatch runs the same job, reporting progress on the way.
    let mut steps = 0;
    let answer = task::handle(&back.body, &fixture.bundles, |_| steps += 1);
    assert_eq!(answer, WorkerMessage::Done(Box::new(outcome)));
    assert!(steps > 0);
}
