//! The federation service of a national server: uploads the keys whose
//! submitters consented, downloads the other countries' batches and stores
//! their keys (with their origin) for the distribution.
//!
//! - Upload: keys of this country's origin, `consentToFederation`, past the
//!   same embargo as the distribution, not uploaded before; sent only when
//!   at least `min_batch` (default 140) wait, in batches of at most 4,000,
//!   each signed ([`super::signature`]). A batch carries keys and their
//!   countries only: nothing links it to a submission.
//! - Download: every batch since the last run (the first run after start:
//!   the gateway's 14 days), by `nextBatchTag`, each once
//!   (`federation_downloads`); on a schedule and when the gateway calls
//!   back. Each batch with keys is audited first
//!   (`/diagnosiskeys/audit/download/{date}/{batchTag}`): every origin's
//!   keys must carry that country's signature over EFGS's canonical bytes,
//!   by a certificate of the federation's CA; a batch that fails is not
//!   stored (and is tried again by the next run). Keys are checked again;
//!   keys of this country's origin are dropped.
//! - Requests and answers as cwa-server's federation client sends and
//!   reads them (`FederationGatewayClient`): `application/protobuf;
//!   version=1.0` both ways, JSON for the 207 of an upload; answers are
//!   read with a size limit.

use std::sync::Arc;

use prost::Message;
use proto::efgs::DiagnosisKeyBatch;

use super::batch::{self, FederatedKey};
use super::certs::{self, Identity};
use super::store;
use crate::config::{Countries, CountryCode, FederationSettings};
use crate::db::Db;
use crate::submission::StoredKey;

/// Days back the first scheduled download looks (the gateway keeps 14).
const CATCH_UP_DAYS: i64 = 14;

/// The fewest keys an upload carries (fewer wait for the next run).
pub const DEFAULT_MIN_BATCH: usize = 140;
/// The most keys one uploaded batch carries.
pub const MAX_BATCH: usize = 4_000;

/// Why a federation run failed; the next run starts over.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// The database failed.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// Certificates could not be read.
    #[error(transparent)]
    Cert(#[from] certs::CertError),
    /// The batch could not be signed.
    #[error(transparent)]
    Sign(#[from] super::signature::SignError),
    /// The gateway could not be reached or answered an error.
    #[error("gateway: {0}")]
    Gateway(String),
    /// The configuration is inconsistent.
    #[error("{0}")]
    Config(String),
}

/// The federation service of one national server.
#[derive(Clone)]
pub struct Federation {
    db: Db,
    home: CountryCode,
    gateway: url::Url,
    client: super::client::FederationClient,
    identity: Arc<Identity>,
    ca: Arc<x509_cert::Certificate>,
    min_batch: usize,
    callback_url: Option<String>,
    /// One run at a time in this process (schedule and callbacks).
    running: Arc<tokio::sync::Mutex<()>>,
    /// The day (unix days) of the last scheduled download that completed;
    /// `None` until the first, which sweeps the gateway's whole retention.
    downloaded_through: Arc<tokio::sync::Mutex<Option<i64>>>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("home", &self.home)
            .field("gateway", &self.gateway.as_str())
            .finish_non_exhaustive()
    }
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FederationReport {
    /// Batches uploaded.
    pub batches_uploaded: u64,
    /// Keys the gateway accepted (new or already known to it).
    pub keys_uploaded: u64,
    /// Consenting keys waiting for a full batch.
    pub keys_waiting: u64,
    /// Batches downloaded (new to this server).
    pub batches_downloaded: u64,
    /// Foreign keys stored.
    pub keys_downloaded: u64,
    /// Batches not stored because their audit failed.
    pub batches_refused: u64,
}

impl std::fmt::Display for FederationReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} keys uploaded in {} batches ({} waiting), {} keys downloaded from {} batches",
            self.keys_uploaded,
            self.batches_uploaded,
            self.keys_waiting,
            self.keys_downloaded,
            self.batches_downloaded
        )?;
        if self.batches_refused > 0 {
            write!(f, ", {} batches refused by the audit", self.batches_refused)?;
        }
        Ok(())
    }
}

impl Federation {
    /// Reads the certificates; the certificate must name the home country.
    pub fn open(
        db: Db,
        countries: &Countries,
        settings: &FederationSettings,
    ) -> Result<Self, FederationError> {
        let identity = Identity::load(&settings.cert, &settings.key)?;
        if identity.country.as_deref() != Some(countries.home().as_str()) {
            return Err(FederationError::Config(format!(
                "the federation certificate {} names country {:?}, but this server is {}",
                settings.cert.display(),
                identity.country.as_deref().unwrap_or("none"),
                countries.home()
            )));
        }
        let ca = certs::load_ca(&settings.ca)?;
        let client = certs::http_client(&identity, &ca)?;
        let ca_parsed = {
            use der::Decode;
            x509_cert::Certificate::from_der(ca.as_ref()).map_err(|error| {
                FederationError::Config(format!("{}: {error}", settings.ca.display()))
            })?
        };
        let gateway = url::Url::parse(&settings.gateway_url)
            .map_err(|error| FederationError::Config(format!("gateway URL: {error}")))?;
        Ok(Self {
            db,
            home: countries.home(),
            gateway,
            client,
            identity: Arc::new(identity),
            ca: Arc::new(ca_parsed),
            min_batch: settings.min_batch.unwrap_or(DEFAULT_MIN_BATCH).max(1),
            callback_url: settings.callback_url.clone(),
            running: Arc::new(tokio::sync::Mutex::new(())),
            downloaded_through: Arc::default(),
        })
    }

    fn url(&self, path: &str) -> Result<url::Url, FederationError> {
        self.gateway
            .join(path)
            .map_err(|error| FederationError::Config(format!("gateway URL: {error}")))
    }

    /// Registers the callback URL (when one is configured).
    pub async fn register_callback(&self) -> Result<(), FederationError> {
        let Some(callback) = &self.callback_url else {
            return Ok(());
        };
        let mut url = self.url(&format!("diagnosiskeys/callback/{}", self.home))?;
        url.query_pairs_mut().append_pair("url", callback);
        let answer = self
            .client
            .send(axum::http::Method::PUT, url.as_str(), &[], Vec::new())
            .await
            .map_err(FederationError::Gateway)?;
        if !answer.status.is_success() {
            return Err(FederationError::Gateway(format!(
                "registering the callback: {}",
                answer.status
            )));
        }
        Ok(())
    }

    /// Uploads, then downloads every batch since the last completed run (from
    /// the day before it, so that a batch of late yesterday is not missed);
    /// the first run after start sweeps the gateway's whole retention, so a
    /// server that was offline for days catches up. As of `now`.
    pub async fn run(&self, now: i64) -> Result<FederationReport, FederationError> {
        let _running = self.running.lock().await;
        let mut report = FederationReport::default();
        self.upload(now, &mut report).await?;
        let today = now.div_euclid(86_400);
        let mut through = self.downloaded_through.lock().await;
        let first = through
            .map_or(today - CATCH_UP_DAYS, |day| day - 1)
            .max(today - CATCH_UP_DAYS);
        for day in first..=today {
            self.download_date(&batch::date_of(day * 86_400), now, &mut report)
                .await?;
        }
        *through = Some(today);
        Ok(report)
    }

    /// Downloads the batches of one date (a callback's).
    pub async fn download(
        &self,
        date: &str,
        now: i64,
    ) -> Result<FederationReport, FederationError> {
        let _running = self.running.lock().await;
        let mut report = FederationReport::default();
        self.download_date(date, now, &mut report).await?;
        Ok(report)
    }

    async fn upload(&self, now: i64, report: &mut FederationReport) -> Result<(), FederationError> {
        let keys =
            store::consenting_keys(&self.db, self.home, crate::distribution::plan::hour_of(now))
                .await?;
        if keys.len() < self.min_batch {
            report.keys_waiting = keys.len() as u64;
            return Ok(());
        }
        let batches = keys.len().div_ceil(MAX_BATCH);
        let size = keys.len().div_ceil(batches);
        for (index, chunk) in keys.chunks(size).enumerate() {
            let tag = format!("{}-{}-{}-{}", self.home, now, index + 1, random_hex());
            let batch = DiagnosisKeyBatch {
                keys: chunk.iter().map(FederatedKey::to_efgs).collect(),
            };
            let signature =
                super::signature::sign(&super::signature::canonical_bytes(&batch), &self.identity)?;
            let answer = self
                .client
                .send(
                    axum::http::Method::POST,
                    self.url("diagnosiskeys/upload")?.as_str(),
                    &[
                        ("content-type", batch::CONTENT_TYPE),
                        ("accept", "application/json; version=1.0"),
                        ("batchTag", &tag),
                        ("batchSignature", &signature),
                    ],
                    batch.encode_to_vec(),
                )
                .await
                .map_err(FederationError::Gateway)?;
            let status = answer.status;
            let held: Vec<&FederatedKey> = if status == axum::http::StatusCode::CREATED {
                chunk.iter().collect()
            } else if status == axum::http::StatusCode::MULTI_STATUS {
                // EFGS stored nothing: the keys it listed under 409 it
                // holds already; the others wait for the next run (as
                // cwa-server's `Upload` retries them).
                let result: MultiStatus = serde_json::from_slice(&answer.body).map_err(|_| {
                    FederationError::Gateway(format!("upload answered 207: {}", answer.text()))
                })?;
                result
                    .conflicts
                    .iter()
                    .filter_map(|index| chunk.get(*index))
                    .collect()
            } else {
                return Err(FederationError::Gateway(format!(
                    "upload refused with {status}: {}",
                    answer.text()
                )));
            };
            store::mark_uploaded(&self.db, &tag, &held, now, status.as_u16()).await?;
            report.batches_uploaded += 1;
            report.keys_uploaded += held.len() as u64;
        }
        Ok(())
    }

    async fn download_date(
        &self,
        date: &str,
        now: i64,
        report: &mut FederationReport,
    ) -> Result<(), FederationError> {
        let url = self.url(&format!("diagnosiskeys/download/{date}"))?;
        let mut tag: Option<String> = None;
        loop {
            let mut headers: Vec<(&str, &str)> = vec![("accept", batch::CONTENT_TYPE)];
            if let Some(tag) = &tag {
                headers.push(("batchTag", tag.as_str()));
            }
            let answer = self
                .client
                .get(url.as_str(), &headers)
                .await
                .map_err(FederationError::Gateway)?;
            let status = answer.status;
            if tag.is_none()
                && (status == axum::http::StatusCode::NOT_FOUND
                    || status == axum::http::StatusCode::GONE)
            {
                return Ok(());
            }
            if !status.is_success() {
                return Err(FederationError::Gateway(format!(
                    "download of {date} answered {status}"
                )));
            }
            let this = answer
                .header("batchTag")
                .map(str::to_owned)
                .ok_or_else(|| FederationError::Gateway("a batch without batchTag".into()))?;
            let next = answer.header("nextBatchTag").map(str::to_owned);
            let body = answer.body;
            if !store::already_downloaded(&self.db, &this).await? {
                let batch = DiagnosisKeyBatch::decode(body).map_err(|_| {
                    FederationError::Gateway(format!("batch {this} is not protobuf"))
                })?;
                match self.audit(date, &this, &batch, now).await {
                    Ok(()) => {
                        let stored = self.store_foreign(&batch, now).await?;
                        store::record_download(&self.db, &this, date, now, stored).await?;
                        report.batches_downloaded += 1;
                        report.keys_downloaded += stored;
                    }
                    Err(error) => {
                        tracing::warn!(batch = %this, %error, "federation: batch refused by its audit");
                        report.batches_refused += 1;
                    }
                }
            }
            match next {
                Some(next) if next != "null" && next != this => tag = Some(next),
                _ => return Ok(()),
            }
        }
    }

    /// Checks a downloaded batch against the gateway's audit interface:
    /// for each origin in the batch, the one upload of that country it
    /// names must have signed exactly these keys (EFGS canonical bytes)
    /// with a certificate of the federation's CA for that country.
    async fn audit(
        &self,
        date: &str,
        tag: &str,
        batch: &DiagnosisKeyBatch,
        now: i64,
    ) -> Result<(), String> {
        if batch.keys.is_empty() {
            return Ok(());
        }
        let mut url = self
            .url("diagnosiskeys/audit/download/")
            .map_err(|error| error.to_string())?;
        url.path_segments_mut()
            .map_err(|()| "the gateway URL cannot take a path".to_owned())?
            .pop_if_empty()
            .push(date)
            .push(tag);
        let answer = self
            .client
            .get(url.as_str(), &[("accept", "application/json")])
            .await?;
        if answer.status != axum::http::StatusCode::OK {
            return Err(format!("the audit answered {}", answer.status));
        }
        let entries: Vec<AuditEntry> = serde_json::from_slice(&answer.body)
            .map_err(|error| format!("the audit is not JSON: {error}"))?;
        check_audit(batch, &entries, &self.ca, now)
    }

    /// Stores the valid foreign keys of a batch; answers how many were new.
    async fn store_foreign(
        &self,
        batch: &DiagnosisKeyBatch,
        now: i64,
    ) -> Result<u64, FederationError> {
        let hour = crate::distribution::plan::hour_of(now);
        let keys: Vec<StoredKey> = batch
            .keys
            .iter()
            .filter_map(|key| FederatedKey::from_efgs(key).ok())
            .filter(|key| key.origin != self.home.as_str())
            .map(|key| {
                let mut visited = key.visited.clone();
                visited.push(key.origin.clone());
                visited.sort();
                visited.dedup();
                StoredKey {
                    distributable_hour: crate::submission::distributable_hour(&key.key, hour),
                    key: key.key,
                    origin_country: key.origin,
                    visited_countries: visited,
                    // Never sent on: only local keys are uploaded.
                    consent_to_federation: false,
                    submission_type: 0,
                    submitted_hour: hour,
                }
            })
            .collect();
        Ok(crate::submission::store::insert_keys(&self.db, &keys).await?)
    }

    /// Runs now and then every `period` until the task is aborted.
    pub async fn run_every(self, period: std::time::Duration) {
        if let Err(error) = self.register_callback().await {
            tracing::warn!(%error, "federation: registering the callback failed");
        }
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match self.run(crate::clock::now()).await {
                Ok(report) => tracing::info!("federation: {report}"),
                Err(error) => tracing::warn!(%error, "federation failed; retrying at the next run"),
            }
        }
    }
}

/// The 207 of an upload (cwa-server's `BatchUploadResponse`): indices
/// into the uploaded batch.
#[derive(Debug, serde::Deserialize)]
struct MultiStatus {
    #[serde(rename = "409", default)]
    conflicts: Vec<usize>,
}

/// What the national side reads of an audit entry: one upload of a
/// country whose keys are in the downloaded batch (EFGS
/// `DiagnosisKeyEntityRepository.findAllByBatchTag`: grouped by the
/// uploader's batch tag, in no stated order).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// The uploading country.
    pub country: String,
    /// Keys of that upload in the batch.
    pub amount: i64,
    /// The upload's detached CMS signature (base64).
    pub batch_signature: String,
}

/// Most uploads an audit may name: bounds the work one answer can ask for.
const MAX_AUDITED_UPLOADS: usize = 10_000;

/// Checks a downloaded batch against its audit entries: for each origin,
/// its keys are the keys of that country's uploads, each signed (EFGS
/// canonical bytes) by a certificate of the federation's CA for that
/// country. EFGS puts whole uploads into a download batch, one after the
/// other, and names them in no particular order; so the origin's keys are
/// taken in batch order, upload by upload, each run matched to an unused
/// entry of its length whose signature verifies over it.
pub fn check_audit(
    batch: &DiagnosisKeyBatch,
    entries: &[AuditEntry],
    ca: &x509_cert::Certificate,
    now: i64,
) -> Result<(), String> {
    if entries.len() > MAX_AUDITED_UPLOADS {
        return Err(format!(
            "the audit names {} uploads, more than {MAX_AUDITED_UPLOADS}",
            entries.len()
        ));
    }
    let mut origins: std::collections::BTreeMap<&str, Vec<proto::efgs::DiagnosisKey>> =
        std::collections::BTreeMap::new();
    for key in &batch.keys {
        origins
            .entry(key.origin.as_str())
            .or_default()
            .push(key.clone());
    }
    for (origin, keys) in origins {
        let mut uploads: Vec<(usize, &AuditEntry)> = Vec::new();
        for entry in entries.iter().filter(|entry| entry.country == origin) {
            match usize::try_from(entry.amount) {
                Ok(amount) if amount > 0 => uploads.push((amount, entry)),
                _ => {
                    return Err(format!(
                        "the audit counts {} keys of an upload",
                        entry.amount
                    ));
                }
            }
        }
        if uploads.is_empty() {
            return Err(format!("the audit names no upload of {origin}"));
        }
        let counted: usize = uploads.iter().map(|(amount, _)| amount).sum();
        if counted != keys.len() {
            return Err(format!(
                "the audit counts {counted} keys of {origin}, the batch holds {}",
                keys.len()
            ));
        }
        let mut start = 0;
        while start < keys.len() {
            let signed_by_origin = |amount: usize, entry: &AuditEntry| {
                let run = DiagnosisKeyBatch {
                    keys: keys.get(start..start + amount)?.to_vec(),
                };
                let bytes = super::signature::canonical_bytes(&run);
                super::signature::verify(&bytes, &entry.batch_signature, ca, now)
                    .ok()
                    .filter(|signer| signer.country == origin)
            };
            let matched = uploads
                .iter()
                .position(|&(amount, entry)| signed_by_origin(amount, entry).is_some())
                .ok_or_else(|| {
                    format!(
                        "{origin}'s keys from position {start} are signed by no upload the audit names"
                    )
                })?;
            let (amount, _) = uploads.swap_remove(matched);
            start += amount;
        }
    }
    Ok(())
}

fn random_hex() -> String {
    hex::encode(shared::random::bytes::<4>())
}
