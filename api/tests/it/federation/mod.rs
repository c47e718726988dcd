//! Federation: the gateway's contract (refusals store nothing, paging,
//! a country never sees its own keys) on SQLite and PostgreSQL, and three
//! `warn serve` processes (DE, FR, gateway) exchanging keys end to end.

mod callbacks;
mod efgs;
pub mod gateway;
mod three_processes;
pub mod wire;

use std::path::Path;

use api::federation::batch::{CONTENT_TYPE, FederatedKey};
use api::federation::certs::{self, Identity};
use api::federation::client::FederationClient;
use prost::Message;
use proto::efgs::DiagnosisKeyBatch;
use shared::keys::{DiagnosisKey, ReportType};

/// Test certificates for `countries` in a fresh folder.
pub fn certificates(countries: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    let codes: Vec<String> = countries.iter().map(|code| (*code).to_owned()).collect();
    certs::create(dir.path(), &codes).expect("certificates created");
    dir
}

/// A client of the gateway authenticated as `name` (a country, or another CA's).
pub fn client(dir: &Path, name: &str) -> FederationClient {
    let identity = Identity::in_dir(dir, name).expect("identity");
    let ca = certs::load_ca(&dir.join(certs::CA_CERT)).expect("CA");
    certs::http_client(&identity, &ca).expect("client")
}

/// `count` random keys of `origin` that visited `visited`.
pub fn keys(count: usize, origin: &str, visited: &[&str]) -> Vec<FederatedKey> {
    let today = i64::from(u32::try_from(api::clock::now() / 600).expect("fits")) / 144 * 144;
    (0..count)
        .map(|index| {
            let data = shared::random::bytes::<16>();
            FederatedKey::local(
                DiagnosisKey::new(shared::keys::KeyFields {
                    key_data: data,
                    transmission_risk_level: (index % 8 + 1) as i64,
                    rolling_start_interval_number: today - 144 * (index as i64 % 10),
                    rolling_period: 144,
                    report_type: ReportType::ConfirmedTest,
                    days_since_onset_of_symptoms: Some(0),
                })
                .expect("valid key"),
                origin.to_owned(),
                visited.iter().map(|code| (*code).to_owned()).collect(),
                today / 144,
            )
        })
        .collect()
}

/// The batch of `keys`, and its signature by `signer`'s certificate.
pub fn signed(keys: &[FederatedKey], dir: &Path, signer: &str) -> (Vec<u8>, String) {
    let batch = DiagnosisKeyBatch {
        keys: keys.iter().map(FederatedKey::to_efgs).collect(),
    };
    let identity = Identity::in_dir(dir, signer).expect("identity");
    let signature = api::federation::signature::sign(
        &api::federation::signature::canonical_bytes(&batch),
        &identity,
    )
    .expect("signed");
    (batch.encode_to_vec(), signature)
}

/// Uploads a body with a tag and signature; the status and body.
pub async fn upload(
    client: &FederationClient,
    base: &str,
    tag: &str,
    body: Vec<u8>,
    signature: &str,
) -> (reqwest::StatusCode, String) {
    let answer = client
        .send(
            axum::http::Method::POST,
            &format!("{base}/diagnosiskeys/upload"),
            &[
                ("content-type", CONTENT_TYPE),
                ("batchTag", tag),
                ("batchSignature", signature),
            ],
            body,
        )
        .await
        .expect("the gateway answers");
    (
        reqwest::StatusCode::from_u16(answer.status.as_u16()).expect("a status"),
        answer.text(),
    )
}

/// `GET` on the gateway; the answer, or `None` when the connection failed.
pub async fn get(
    client: &FederationClient,
    url: &str,
    headers: &[(&str, &str)],
) -> Option<api::federation::client::Answer> {
    client.get(url, headers).await.ok()
}
