//! Each service's own state, built only when the service runs in this
//! process, with the other services it calls: in this process (the same
//! database) or over HTTP on their internal listener. A service that needs
//! another one that is neither here nor configured is refused at start.

use std::sync::Arc;

use crate::config::{ServerConfig, Service, ServiceToken};
use crate::db::Db;
use crate::internal::{HttpTanVerifier, HttpTestResults, TanVerifier, TestResults};
use crate::portal::PortalState;
use crate::submission::SubmissionState;
use crate::testresult::LocalTestResults;
use crate::verification::reservation::LocalTanVerifier;
use crate::verification::{VerificationConfig, VerificationState};

/// The states of the services this process runs.
pub(super) struct States {
    /// The database every service of this process shares.
    pub db: Db,
    /// The verification service (and the portal, which runs beside it).
    pub verification: Option<VerificationState>,
    /// The submission service.
    pub submission: Option<SubmissionState>,
    /// The portal API: it issues teleTANs in-process, so it runs with the
    /// verification service.
    pub portal: Option<PortalState>,
    /// Whether the test result service runs here (its routes need only
    /// the database).
    pub runs_testresult: bool,
}

impl States {
    /// The states of `config.services`, or why a service cannot run.
    pub fn new(
        config: &ServerConfig,
        db: &Db,
        token: Option<&Arc<ServiceToken>>,
    ) -> anyhow::Result<Self> {
        let verification = verification(config, db, token)?;
        let portal = match &verification {
            Some(verification) => Some(PortalState {
                db: db.clone(),
                config: Arc::new(config.portal.clone()),
                login_limits: Arc::new(crate::portal::limits::LoginLimits::new(&config.portal)?),
                rules: Arc::clone(&verification.rules),
                trusted_proxy_hops: config.limits.trusted_proxy_hops,
            }),
            None => None,
        };
        Ok(Self {
            db: db.clone(),
            submission: submission(config, db, token)?,
            verification,
            portal,
            runs_testresult: config.services.runs(Service::Testresult),
        })
    }
}

fn verification(
    config: &ServerConfig,
    db: &Db,
    token: Option<&Arc<ServiceToken>>,
) -> anyhow::Result<Option<VerificationState>> {
    let services = &config.services;
    if !services.runs(Service::Verification) {
        return Ok(None);
    }
    let test_results: Arc<dyn TestResults> = match peer(
        services.runs(Service::Testresult),
        config.testresult_url.as_deref(),
        token,
    ) {
        Peer::Here => Arc::new(LocalTestResults::new(db.clone())),
        Peer::At(url, token) => Arc::new(HttpTestResults::new(url, token)),
        Peer::Missing => anyhow::bail!(
            "the verification service needs the test result service: run both here, \
             or give --testresult-url and --service-token"
        ),
    };
    Ok(Some(VerificationState {
        db: db.clone(),
        rules: Arc::new(VerificationConfig::default()),
        test_results,
    }))
}

fn submission(
    config: &ServerConfig,
    db: &Db,
    token: Option<&Arc<ServiceToken>>,
) -> anyhow::Result<Option<SubmissionState>> {
    let services = &config.services;
    if !services.runs(Service::Submission) {
        return Ok(None);
    }
    let tan_verifier: Arc<dyn TanVerifier> = match peer(
        services.runs(Service::Verification),
        config.verification_url.as_deref(),
        token,
    ) {
        Peer::Here => Arc::new(LocalTanVerifier::new(db.clone())),
        Peer::At(url, token) => Arc::new(HttpTanVerifier::new(url, token)),
        Peer::Missing => anyhow::bail!(
            "the submission service needs the verification service: run both here, \
             or give --verification-url and --service-token"
        ),
    };
    Ok(Some(SubmissionState {
        db: db.clone(),
        tan_verifier,
        countries: Arc::new(config.countries.clone()),
    }))
}

/// Where a service another one calls is.
enum Peer<'a> {
    /// In this process.
    Here,
    /// On the internal listener at this URL, with the service token.
    At(&'a str, Arc<ServiceToken>),
    /// Neither here nor configured.
    Missing,
}

fn peer<'a>(here: bool, url: Option<&'a str>, token: Option<&Arc<ServiceToken>>) -> Peer<'a> {
    match (here, url, token) {
        (true, _, _) => Peer::Here,
        (false, Some(url), Some(token)) => Peer::At(url, Arc::clone(token)),
        _ => Peer::Missing,
    }
}
