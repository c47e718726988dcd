//! Faults production brings: `warn serve` killed with SIGKILL in a burst,
//! PostgreSQL restarted under load, the publish folder's disk full. Each
//! test fails when data is lost: a 2xx answer whose data is gone, or data
//! of a refused request that was kept.
//!
//! The tests drive the real `warn` binary through its public interfaces
//! (HTTP routes, the command line, the published tree), not its tables.

mod disk_full;
mod kill;
mod postgres_restart;

use prost::Message;
use proto::exposurenotification::TemporaryExposureKey;
use proto::submission::SubmissionPayload;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::verification::HashedGuid;

/// Content type of a submission.
pub const PROTOBUF: &str = "application/x-protobuf";

/// Unix seconds now.
pub fn unix_now() -> i64 {
    api::clock::now()
}

/// RFC 3339 of unix seconds, for `warn distribute --now`.
pub fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .expect("a valid time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats")
}

/// `YYYY-MM-DD` of unix seconds.
pub fn date_of(seconds: i64) -> String {
    rfc3339(seconds)[..10].to_owned()
}

/// Random key data.
pub fn random_key() -> [u8; 16] {
    shared::random::bytes()
}

/// A submission of `keys` that started two days ago (so their embargo is
/// over by the next hour), each valid for a whole day.
pub fn payload(keys: &[[u8; 16]], rolling_period: i32) -> Vec<u8> {
    let start = (unix_now() / 86_400 - 2) * 144;
    SubmissionPayload {
        keys: keys
            .iter()
            .enumerate()
            .map(|(index, key)| TemporaryExposureKey {
                key_data: Some(key.to_vec().into()),
                transmission_risk_level: Some(index as i32 % 6 + 3),
                rolling_start_interval_number: Some(start as i32),
                rolling_period: Some(rolling_period),
                report_type: None,
                days_since_onset_of_symptoms: Some(1),
            })
            .collect(),
        request_padding: Default::default(),
        visited_countries: Vec::new(),
        origin: "DE".into(),
        consent_to_federation: false,
        submission_type: 0,
    }
    .encode_to_vec()
}

/// A phone (or a lab) talking to one server.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

/// An answer, or none (the connection failed or was cut).
pub type Answer = Option<(StatusCode, Value)>;

impl Client {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .expect("a client"),
        }
    }

    /// POSTs JSON; `None` when no answer came.
    pub async fn post(&self, path: &str, body: &Value, bearer: Option<&str>) -> Answer {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(key) = bearer {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.ok()?;
        let status = response.status();
        let text = response.text().await.ok()?;
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// Registers a hashed GUID: the registration token, or the answer.
    pub async fn register(&self, guid: &HashedGuid) -> Result<String, Answer> {
        let answer = self
            .post(
                "/version/v1/registrationToken",
                &json!({"key": guid.expose(), "keyType": "GUID"}),
                None,
            )
            .await;
        match &answer {
            Some((StatusCode::CREATED, body)) => Ok(body["registrationToken"]
                .as_str()
                .expect("a token")
                .to_owned()),
            _ => Err(answer),
        }
    }

    /// The test result code of a registration token (`testResult`).
    pub async fn poll(&self, token: &str) -> Answer {
        self.post(
            "/version/v1/testresult",
            &json!({"registrationToken": token}),
            None,
        )
        .await
    }

    /// A TAN for a registration token with a positive result.
    pub async fn tan(&self, token: &str) -> Result<String, Answer> {
        let answer = self
            .post(
                "/version/v1/tan",
                &json!({"registrationToken": token}),
                None,
            )
            .await;
        match &answer {
            Some((StatusCode::CREATED, body)) => {
                Ok(body["tan"].as_str().expect("a TAN").to_owned())
            }
            _ => Err(answer),
        }
    }

    /// Uploads one lab result (`result`: 1 negative, 2 positive).
    pub async fn upload(&self, lab_key: &str, guid: &HashedGuid, result: u8) -> Answer {
        self.post(
            "/api/v1/lab/results",
            &json!({"testResults": [{"id": guid.expose(), "result": result}]}),
            Some(lab_key),
        )
        .await
    }

    /// Submits keys with a TAN (or as a fake); the status, or `None`.
    pub async fn submit(&self, tan: &str, body: Vec<u8>, fake: bool) -> Option<StatusCode> {
        let response = self
            .http
            .post(format!("{}/version/v1/diagnosis-keys", self.base))
            .header("content-type", PROTOBUF)
            .header("cwa-fake", if fake { "1" } else { "0" })
            .header("cwa-authorization", tan)
            .body(body)
            .send()
            .await
            .ok()?;
        let status = response.status();
        response.bytes().await.ok()?;
        Some(status)
    }

    /// The status of `GET path`, or `None`.
    pub async fn get_status(&self, path: &str) -> Option<StatusCode> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .timeout(std::time::Duration::from_secs(15))
            .send()
            .await
            .ok()?;
        Some(response.status())
    }
}

/// A fresh GUID and its hash.
pub fn new_guid() -> HashedGuid {
    let guid = format!(
        "{}-FAULT",
        shared::verification::Uuid4::generate()
            .expose()
            .to_uppercase()
    );
    HashedGuid::from_guid(&guid)
}

/// A lab's API key: `warn lab add` prints it alone on its last line.
pub fn add_lab(storage_args: &[String]) -> String {
    let mut args = vec!["lab", "add", "Fault Lab"];
    args.extend(storage_args.iter().map(String::as_str));
    let output = crate::support::warn(&args);
    assert!(
        output.status.success(),
        "warn lab add failed: {}",
        crate::support::stderr(&output)
    );
    crate::support::stdout(&output)
        .lines()
        .last()
        .expect("the key line")
        .trim()
        .to_owned()
}
