//! The Web Worker's protocol: what the pages ask it to do with bytes they
//! downloaded or were given, and what it answers.
//!
//! Everything that needs signature verification, zip, inflate or the
//! protobuf of a bundle happens in the worker, so that the page's own
//! WebAssembly stays small (the portal's size budget) and a long check
//! never blocks the page.
//!
//! The page posts a JS array: first a [`Envelope`]`<`[`Request`]`>` as
//! JSON, then the request's files as `Uint8Array`s. The worker answers with
//! [`Envelope`]`<`[`WorkerMessage`]`>` JSON strings carrying the request's
//! id: any number of [`WorkerMessage::Progress`], then exactly one final
//! message. It announces itself once with [`WorkerMessage::Ready`] (id 0),
//! before which posted requests would be lost.

use prost::Message as _;
use serde::{Deserialize, Serialize};
use shared::bundle::{KeyIdentity, verify_payload};
use shared::risk::ApplicationConfig;

use crate::Language;
use crate::check::{CheckReport, check, describe_bundle_error};
use crate::job::{self, JobError, JobSpec, Outcome, Progress};
use crate::keys::{PublishedKey, key_ring};

/// The reason of [`WorkerMessage::Failed`], part of the protocol; defined
/// at the crate root so that `check` and `job` word their failures without
/// knowing the protocol.
pub use crate::Reason;

/// A message and the id of the request it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// The request's number (chosen by the page; 0 for `Ready`).
    pub id: u32,
    /// The request or the answer.
    pub body: T,
}

/// What a page asks the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Request {
    /// Check the attached bundles, one per source name, against the ring of
    /// `keys` and `pasted_key`. Without files it only checks the keys.
    #[serde(rename_all = "camelCase")]
    Check {
        /// The server's published keys (may be empty).
        keys: Vec<PublishedKey>,
        /// A pasted PEM public key (may be blank).
        #[serde(default)]
        pasted_key: String,
        /// A name per attached bundle.
        sources: Vec<String>,
    },
    /// Verify the attached signed application configurations with `keys`
    /// and read them: the v1 `app_config` and `app_config_android` (both
    /// risk models), or `app_config_android` alone (version 2; version 1
    /// then has the production values).
    Config {
        /// The server's published keys.
        keys: Vec<PublishedKey>,
    },
    /// The phone's job: verify, match and score (bundles attached in the
    /// order of its names).
    Match(Box<JobSpec>),
}

/// One answer of the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum WorkerMessage {
    /// The worker is listening (messages posted before it would be lost:
    /// its WebAssembly loads after the worker's script has run).
    Ready,
    /// A step of a match job is done.
    Progress(Progress),
    /// The checked bundles, in the order of the request's sources.
    Checked {
        /// One report per bundle.
        reports: Vec<CheckReport>,
    },
    /// The verified application configuration.
    Config(Box<ConfigReport>),
    /// The match job is done.
    Done(Box<Outcome>),
    /// The request could not be carried out.
    Failed(Reason),
}

impl WorkerMessage {
    /// Whether this is the last message for its request.
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::Ready | Self::Progress(_))
    }
}

impl From<JobError> for WorkerMessage {
    /// The message that reports a job that could not run.
    fn from(error: JobError) -> Self {
        Self::Failed(error.reason())
    }
}

/// A verified application configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigReport {
    /// What it says.
    pub config: ApplicationConfig,
    /// The key that signed it.
    pub signed_by: KeyIdentity,
}

/// Carries out `request` on its `files`; `progress` hears the steps of a
/// match job. Returns the final message.
pub fn handle(
    request: &Request,
    files: &[Vec<u8>],
    progress: impl FnMut(Progress),
) -> WorkerMessage {
    match request {
        Request::Check {
            keys,
            pasted_key,
            sources,
        } => {
            if sources.len() != files.len() {
                return WorkerMessage::Failed(count_mismatch(sources.len(), files.len()));
            }
            match key_ring(keys, pasted_key) {
                Ok(ring) => WorkerMessage::Checked {
                    reports: sources
                        .iter()
                        .zip(files)
                        .map(|(source, bytes)| check(source.clone(), bytes, &ring).report())
                        .collect(),
                },
                Err(problem) => {
                    WorkerMessage::Failed(Reason::of(|language| problem.describe(language)))
                }
            }
        }
        Request::Config { keys } => {
            let verified = match files {
                [android] => verify_config(keys, None, android),
                [v1, android] => verify_config(keys, Some(v1), android),
                _ => Err(count_mismatch(2, files.len())),
            };
            match verified {
                Ok(report) => WorkerMessage::Config(Box::new(report)),
                Err(reason) => WorkerMessage::Failed(reason),
            }
        }
        Request::Match(spec) => match job::run(spec, files, progress) {
            Ok(outcome) => WorkerMessage::Done(Box::new(outcome)),
            Err(error) => WorkerMessage::from(error),
        },
    }
}

/// Verifies the signed configurations (the v1 `app_config` when given, and
/// `app_config_android`) with `keys` and reads them as the apps do, from the
/// official field numbers.
pub fn verify_config(
    keys: &[PublishedKey],
    v1: Option<&[u8]>,
    android: &[u8],
) -> Result<ConfigReport, Reason> {
    let ring =
        key_ring(keys, "").map_err(|problem| Reason::of(|language| problem.describe(language)))?;
    let verify = |bytes: &[u8], name: &'static str| {
        let (payload, signed_by) = verify_payload(bytes, &ring).map_err(|error| {
            Reason::of(|language| format!("{name}: {}", describe_bundle_error(&error, language)))
        })?;
        Ok::<_, Reason>((payload, signed_by))
    };
    let (payload, signed_by) = verify(android, "app_config_android")?;
    let android = proto::appconfig::ApplicationConfigurationAndroid::decode(payload.as_slice())
        .map_err(|error| Reason::of(|_| format!("app_config_android: export.bin: {error}")))?;
    let v1 = match v1 {
        Some(bytes) => {
            let (payload, _) = verify(bytes, "app_config")?;
            proto::appconfig::ApplicationConfiguration::decode(payload.as_slice())
                .map_err(|error| Reason::of(|_| format!("app_config: export.bin: {error}")))?
        }
        None => shared::risk::defaults::default_application_configuration(),
    };
    let config = ApplicationConfig::from_published(&v1, &android)
        .map_err(|error| Reason::of(|_| error.to_string()))?;
    Ok(ConfigReport { config, signed_by })
}

fn count_mismatch(names: usize, files: usize) -> Reason {
    Reason::of(|language| match language {
        Language::German => format!("{names} Namen, aber {files} Dateien"),
        Language::English => format!("{names} names but {files} files"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::bundle;
    use shared::bundle::{Signer, sign_payload};

    #[test]
    fn requests_and_answers_survive_json() {
        let signer = Signer::generate(KeyIdentity::new("DE", "v1"));
        let request = Envelope {
            id: 3,
            body: Request::Check {
                keys: vec![PublishedKey::of(&signer)],
                pasted_key: String::new(),
                sources: vec!["a.zip".into()],
            },
        };
        let text = serde_json::to_string(&request).expect("serializes");
        let back: Envelope<Request> = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(back, request);

        let answer = handle(&request.body, &[bundle(&signer)], |_| {});
        let text = serde_json::to_string(&Envelope {
            id: 3,
            body: answer.clone(),
        })
        .expect("serializes");
        let back: Envelope<WorkerMessage> = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(back.body, answer);
        let WorkerMessage::Checked { reports } = answer else {
            panic!("not checked: {answer:?}");
        };
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].outcome, Ok(signer.identity().clone()));
        assert_eq!(
            reports[0].summary.as_ref().map(|summary| summary.keys),
            Some(3)
        );
    }

    #[test]
    fn a_check_with_bad_keys_or_wrong_counts_fails_with_a_reason() {
        let none = Request::Check {
            keys: Vec::new(),
            pasted_key: " ".into(),
            sources: Vec::new(),
        };
        let WorkerMessage::Failed(reason) = handle(&none, &[], |_| {}) else {
            panic!("checked without keys");
        };
        assert!(reason.english.starts_with("No public key"), "{reason:?}");
        assert!(
            reason.german.starts_with("Kein öffentlicher Schlüssel"),
            "{reason:?}"
        );

        let signer = Signer::generate(KeyIdentity::new("DE", "v1"));
        let two = Request::Check {
            keys: vec![PublishedKey::of(&signer)],
            pasted_key: String::new(),
            sources: vec!["a".into(), "b".into()],
        };
        let WorkerMessage::Failed(reason) = handle(&two, &[bundle(&signer)], |_| {}) else {
            panic!("two names and one file checked");
        };
        assert_eq!(reason.english, "2 names but 1 files");
        // Only the keys: an empty list when they are usable.
        let keys_only = Request::Check {
            keys: vec![PublishedKey::of(&signer)],
            pasted_key: String::new(),
            sources: Vec::new(),
        };
        assert_eq!(
            handle(&keys_only, &[], |_| {}),
            WorkerMessage::Checked {
                reports: Vec::new()
            }
        );
    }

    #[test]
    fn the_signed_configurations_are_read_and_a_tampered_one_refused() {
        let signer = Signer::generate(KeyIdentity::new("DE", "v1"));
        let v1 = shared::risk::defaults::default_application_configuration();
        let android = proto::appconfig::ApplicationConfigurationAndroid {
            risk_calculation_parameters: Some((&shared::risk::defaults::v2()).into()),
            ..Default::default()
        };
        let expected = ApplicationConfig::from_published(&v1, &android).expect("the defaults read");
        let signed_v1 = sign_payload(&v1.encode_to_vec(), &[&signer]);
        let signed_android = sign_payload(&android.encode_to_vec(), &[&signer]);
        let request = Request::Config {
            keys: vec![PublishedKey::of(&signer)],
        };
        let WorkerMessage::Config(report) = handle(
            &request,
            &[signed_v1.clone(), signed_android.clone()],
            |_| {},
        ) else {
            panic!("the configuration did not verify");
        };
        assert_eq!(report.signed_by, *signer.identity());
        assert_eq!(report.config, expected);
        assert_eq!(report.config.v1.min_risk_score, 11);

        let stranger = Signer::generate(KeyIdentity::new("DE", "v1"));
        let foreign = sign_payload(&android.encode_to_vec(), &[&stranger]);
        let WorkerMessage::Failed(reason) = handle(&request, &[signed_v1, foreign], |_| {}) else {
            panic!("a configuration of another key verified");
        };
        assert!(
            reason
                .english
                .starts_with("app_config_android: the signature does not match"),
            "{reason:?}"
        );
        assert!(
            reason
                .german
                .starts_with("app_config_android: die Signatur passt nicht"),
            "{reason:?}"
        );
        let WorkerMessage::Failed(reason) = handle(&request, &[], |_| {}) else {
            panic!("no file verified");
        };
        assert_eq!(reason.english, "2 names but 0 files");
    }
}
