//! The HTTP server: one startup path, used by `warn serve` and by tests.
//!
//! [`Application::build`] binds the listener (port 0 picks a free one) and,
//! when the services run as separate processes, the internal listener; opens
//! the database and assembles the routers of the services this process runs.
//! [`Application::run_until_stopped`] serves until the shutdown future completes.
//!
//! Every listener runs through [`listener::serve`] (connection limit and time
//! bounds); every answer carries the security headers ([`security_headers`]);
//! the app-facing routes and the federation callback are rate limited per
//! client ([`rate_limit`]);
//! `/metrics` is on the internal listener only.

mod health;
mod metrics;
pub mod openapi;
mod portal;
mod states;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::config::{ServerConfig, Service, ServiceToken};
use crate::db::Db;
use crate::distribution::Distribution;
use crate::federation::Federation;
use crate::{listener, rate_limit};
use states::States;

/// The distribution of this process and how often its loops run.
struct DistributionLoops {
    distribution: Distribution,
    /// Own runs; `None` runs none here.
    interval: Option<std::time::Duration>,
    /// Looking for runs of other processes.
    watch: std::time::Duration,
}

/// A bound, ready-to-run server.
pub struct Application {
    /// Bounds on connections and time for every listener.
    limits: crate::limits::Limits,
    listener: TcpListener,
    address: SocketAddr,
    router: Router,
    internal: Option<(TcpListener, Router)>,
    cleanup_interval: Option<std::time::Duration>,
    /// Session limits, for the clean-up of expired sessions.
    portal: crate::config::PortalConfig,
    db: Db,
    /// The distribution and how often it runs, when this process runs it.
    distribution: Option<DistributionLoops>,
    /// The federation service and how often it runs, when configured.
    federation: Option<(Federation, Option<std::time::Duration>)>,
    /// The gateway role serves its listener over mutual TLS.
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl Application {
    /// Binds the listeners, opens the database and builds the routers of
    /// the services this process runs.
    pub async fn build(config: ServerConfig) -> anyhow::Result<Self> {
        let db = Db::open(&config.storage).await?;
        db.migrate().await?;
        if config.services.runs(Service::Gateway) {
            return Self::build_gateway(config, db).await;
        }
        let token = config.service_token.clone().map(Arc::new);
        let states = States::new(&config, &db, token.as_ref())?;
        let distribution = open_distribution(&config, &db).await?;
        let federation = open_federation(&config, &db)?;
        let listener = TcpListener::bind(config.listen).await?;
        let address = listener.local_addr()?;
        let hsts = config.portal.secure_cookie;
        let internal = match (config.internal_listen, token) {
            (None, _) => None,
            (Some(_), None) => anyhow::bail!("an internal listener needs --service-token"),
            (Some(internal), Some(token)) => Some((
                TcpListener::bind(internal).await?,
                security_headers(internal_router(&states, token), hsts),
            )),
        };
        // One set of rate limits for the app-facing routes and the callback.
        let rate_limits = rate_limit::RateLimits::new(&config.limits);
        let files = distribution
            .as_ref()
            .map(|loops| loops.distribution.files().clone());
        let mut router = router(&config, &states, files, &rate_limits);
        if let Some((federation, _)) = &federation {
            router = router.merge(callback_router(federation, &config.limits, rate_limits));
        }
        Ok(Self {
            limits: config.limits.clone(),
            federation,
            tls: None,
            distribution,
            cleanup_interval: config.cleanup_interval,
            portal: config.portal.clone(),
            listener,
            address,
            router: security_headers(router, hsts),
            internal,
            db,
        })
    }

    /// The gateway role: the EFGS contract on an mTLS listener, alone.
    async fn build_gateway(config: ServerConfig, db: Db) -> anyhow::Result<Self> {
        use crate::federation::{certs, gateway};
        if config.services != crate::config::Services::only(Service::Gateway) {
            anyhow::bail!("the gateway runs alone: --services gateway");
        }
        let Some(tls) = &config.gateway_tls else {
            anyhow::bail!(
                "the gateway needs --federation-cert, --federation-key and --federation-ca"
            );
        };
        let identity = certs::Identity::load(&tls.cert, &tls.key)?;
        let ca = certs::load_ca(&tls.ca)?;
        let ca_parsed = {
            use der::Decode;
            x509_cert::Certificate::from_der(ca.as_ref())
                .map_err(|error| anyhow::anyhow!("{}: {error}", tls.ca.display()))?
        };
        let server = certs::server_config(&identity, &ca)?;
        let state = gateway::GatewayState {
            db: db.clone(),
            ca: Arc::new(ca_parsed),
            callbacks: crate::federation::client::FederationClient::for_callbacks(
                certs::client_config(&identity, &ca)?,
                tls.allow_local_callbacks,
            ),
            allow_local_callbacks: tls.allow_local_callbacks,
        };
        let router = gateway::routes(state)
            .merge(openapi::gateway_routes())
            .route("/healthz", axum::routing::get(health::healthz))
            .layer(tower_http::trace::TraceLayer::new_for_http());
        // The gateway speaks only TLS: browsers may pin that.
        let router = security_headers(router, true);
        let listener = TcpListener::bind(config.listen).await?;
        let address = listener.local_addr()?;
        Ok(Self {
            limits: config.limits.clone(),
            listener,
            address,
            router,
            internal: None,
            cleanup_interval: None,
            portal: config.portal.clone(),
            db,
            distribution: None,
            federation: None,
            tls: Some(Arc::new(server)),
        })
    }

    /// Whether the listener speaks TLS (the gateway role).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The server's database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The address the server listens on (with the real port when 0 was asked for).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The distribution this process runs, when it runs one (tests run it
    /// at a chosen time instead of waiting for the hourly run).
    pub fn distribution(&self) -> Option<Distribution> {
        self.distribution
            .as_ref()
            .map(|loops| loops.distribution.clone())
    }

    /// The address of the internal listener, when there is one.
    pub fn internal_address(&self) -> Option<SocketAddr> {
        self.internal
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// Serves requests (and runs the hourly clean-up) until `shutdown`
    /// completes, then closes the database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let wait = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        let portal = self.portal.clone();
        let cleanup = self
            .cleanup_interval
            .map(|period| tokio::spawn(crate::cleanup::run_every(self.db.clone(), portal, period)));
        let distribution = self.distribution.map(|loops| {
            let watch = tokio::spawn(loops.distribution.clone().watch_every(loops.watch));
            let runs = loops
                .interval
                .map(|period| tokio::spawn(loops.distribution.run_every(period)));
            (watch, runs)
        });
        let federation = self.federation.and_then(|(federation, interval)| {
            interval.map(|period| tokio::spawn(federation.run_every(period)))
        });
        let internal = self.internal.map(|(listener, router)| {
            tokio::spawn(listener::serve(
                listener,
                router,
                listener::Plain,
                listener::Bounds::internal(&self.limits),
                wait(stopped.clone()),
            ))
        });
        let bounds = listener::Bounds::public(&self.limits);
        let result = match self.tls {
            Some(tls) => {
                let handshake = crate::federation::tls::MutualTls::new(tls);
                listener::serve(self.listener, self.router, handshake, bounds, wait(stopped)).await
            }
            None => {
                listener::serve(
                    self.listener,
                    self.router,
                    listener::Plain,
                    bounds,
                    wait(stopped),
                )
                .await
            }
        };
        if let Some(internal) = internal {
            internal.await.map_err(std::io::Error::other)??;
        }
        if let Some(cleanup) = cleanup {
            cleanup.abort();
        }
        if let Some((watch, runs)) = distribution {
            watch.abort();
            if let Some(runs) = runs {
                runs.abort();
            }
        }
        if let Some(federation) = federation {
            federation.abort();
        }
        self.db.close().await;
        result
    }
}

/// The headers every answer carries: no content sniffing, no referrer,
/// a restrictive Content-Security-Policy where the route set none (the
/// portal and the API page set their own), and HSTS when the service is
/// reached over TLS (`--secure-cookies`, or the gateway).
fn security_headers(router: Router, hsts: bool) -> Router {
    use axum::http::{HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer;
    let router = router
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ));
    if hsts {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        ))
    } else {
        router
    }
}

/// `Strict-Transport-Security`: one year (the preload lists' minimum), this
/// host only (the operator's other hosts are not ours to pin).
pub const HSTS: &str = "max-age=31536000";

/// The public listener's routes: each service's routes with its own state,
/// the app-facing ones rate limited per client; the portal's files; the
/// published files.
fn router(
    config: &ServerConfig,
    states: &States,
    published: Option<crate::distribution::serve::PublishedFiles>,
    rate_limits: &Arc<rate_limit::RateLimits>,
) -> Router {
    // One delay model for every fakeable route of this process.
    let delays = Arc::new(crate::fake::DelayModel::default());
    let mut apps = Router::new();
    if let Some(state) = &states.verification {
        apps = apps.merge(crate::verification::routes::routes(&delays).with_state(state.clone()));
    }
    if let Some(state) = &states.submission {
        apps = apps.merge(crate::submission::routes::routes(&delays).with_state(state.clone()));
    }
    if states.runs_testresult {
        apps = apps.merge(crate::testresult::routes::routes().with_state(states.db.clone()));
    }
    // One rate-limit layer for the app-facing routes: outside the
    // fake-request layer, so fakes count alike.
    let apps = apps.route_layer(axum::middleware::from_fn_with_state(
        Arc::clone(rate_limits),
        rate_limit::layer,
    ));
    let mut api = Router::new()
        .merge(health::routes().with_state(states.db.clone()))
        // The federation's callback route is merged by the caller when the
        // federation service is configured; its description goes with it.
        .merge(openapi::routes(config.federation.is_some()))
        .merge(apps);
    if let Some(state) = &states.portal {
        api = api.merge(crate::portal::routes::routes().with_state(state.clone()));
    }
    let app = match &config.portal_dir {
        Some(dir) => api.fallback_service(portal::service(dir)),
        None => api,
    };
    let app = app
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    // Published files are served like a CDN would: from memory, without the
    // per-request metrics and trace spans (they are most of the traffic).
    match published {
        Some(files) => app.merge(crate::distribution::serve::routes(files)),
        None => app,
    }
}

/// The internal listener's routes: the calls between services behind the
/// service token, health and the operator's metrics without it.
fn internal_router(states: &States, token: Arc<ServiceToken>) -> Router {
    let mut calls = Router::new();
    if let Some(state) = &states.verification {
        calls =
            calls.merge(crate::verification::internal_routes::routes().with_state(state.clone()));
    }
    if states.runs_testresult {
        calls =
            calls.merge(crate::testresult::routes::internal_routes().with_state(states.db.clone()));
    }
    crate::internal::guarded(calls, token)
        .merge(health::routes().with_state(states.db.clone()))
        .merge(metrics::routes())
        .layer(axum::middleware::from_fn(metrics::track))
}

/// The gateway's announcements of new batches, one download per
/// `federation_callback_interval`, rate limited per client.
fn callback_router(
    federation: &Federation,
    limits: &crate::limits::Limits,
    rate_limits: Arc<rate_limit::RateLimits>,
) -> Router {
    crate::federation::callback_routes(federation.clone(), limits.federation_callback_interval)
        .route_layer(axum::middleware::from_fn_with_state(
            rate_limits,
            rate_limit::layer,
        ))
}

/// The distribution with its loops, when this process runs it.
async fn open_distribution(
    config: &ServerConfig,
    db: &Db,
) -> anyhow::Result<Option<DistributionLoops>> {
    if !config.services.runs(Service::Distribution) {
        return Ok(None);
    }
    let distribution = Distribution::open(
        db.clone(),
        &config.storage.data_dir,
        &config.countries,
        config.distribution.clone(),
    )
    .await?;
    distribution.reload().await?;
    Ok(Some(DistributionLoops {
        distribution,
        interval: config.distribution_interval,
        watch: config.distribution_watch,
    }))
}

/// The federation and how often it runs, when it is configured (beside
/// the distribution, whose keys it shares).
fn open_federation(
    config: &ServerConfig,
    db: &Db,
) -> anyhow::Result<Option<(Federation, Option<std::time::Duration>)>> {
    match &config.federation {
        None => Ok(None),
        Some(_) if !config.services.runs(Service::Distribution) => {
            anyhow::bail!("the federation runs beside the distribution service: run both here")
        }
        Some(settings) => Ok(Some((
            Federation::open(db.clone(), &config.countries, settings)?,
            config.distribution_interval,
        ))),
    }
}
