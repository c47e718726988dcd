//! `warn serve`: every service in one process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::{CountryArgs, StorageArgs};
use crate::config::{DEFAULT_LISTEN, FileConfig, ServerConfig, Services};
use crate::server::Application;

/// Options of `warn serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default: 127.0.0.1:8080; port 0 picks a free port).
    #[arg(long, env = "WARN_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Folder with the built portal (trunk's dist); without it only the API is served.
    #[arg(long, env = "WARN_PORTAL_DIR", value_name = "DIR")]
    pub portal_dir: Option<PathBuf>,
    /// Services to run: a comma-separated list of verification, testresult,
    /// submission, distribution, or all (default); or gateway alone.
    #[arg(long, env = "WARN_SERVICES", value_name = "LIST")]
    pub services: Option<Services>,
    /// Listen for calls between services here (when they run as separate processes).
    #[arg(long, env = "WARN_INTERNAL_LISTEN", value_name = "ADDR:PORT")]
    pub internal_listen: Option<SocketAddr>,
    /// Token every call between services carries (at least 32 characters).
    #[arg(
        long,
        env = "WARN_SERVICE_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub service_token: Option<String>,
    /// Internal listener of the test result service, when it runs in another process.
    #[arg(long, env = "WARN_TESTRESULT_URL", value_name = "URL")]
    pub testresult_url: Option<String>,
    /// Internal listener of the verification service, when it runs in another process.
    #[arg(long, env = "WARN_VERIFICATION_URL", value_name = "URL")]
    pub verification_url: Option<String>,
    /// Storage.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Countries.
    #[command(flatten)]
    pub countries: CountryArgs,
    /// A portal session ends after this many minutes without a request (default 20).
    #[arg(long, env = "WARN_SESSION_IDLE_MINUTES", value_name = "MINUTES", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub session_idle_minutes: u64,
    /// A portal session ends this many hours after the log-in (default 8).
    #[arg(long, env = "WARN_SESSION_MAX_HOURS", value_name = "HOURS", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(1..=72))]
    pub session_max_hours: u64,
    /// Mark the portal's session cookie Secure (the portal is reached over TLS).
    #[arg(long, env = "WARN_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Distribution.
    #[command(flatten)]
    pub distribution: super::distribute::DistributionArgs,
    /// Federation.
    #[command(flatten)]
    pub federation: super::federation::FederationArgs,
}

/// Starts the server and serves until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs, file: &FileConfig) -> anyhow::Result<ExitCode> {
    crate::telemetry::init();
    let federation = args.federation.resolve(file);
    let config = ServerConfig {
        listen: match args.listen.or(file.listen) {
            Some(listen) => listen,
            None => DEFAULT_LISTEN.parse().context("default listen address")?,
        },
        storage: args.storage.resolve(file),
        portal_dir: args.portal_dir.or_else(|| file.portal_dir.clone()),
        services: args
            .services
            .or_else(|| file.services.clone())
            .unwrap_or_else(Services::all),
        internal_listen: args.internal_listen.or(file.internal_listen),
        service_token: args.service_token.or_else(|| file.service_token.clone()),
        testresult_url: args.testresult_url.or_else(|| file.testresult_url.clone()),
        verification_url: args
            .verification_url
            .or_else(|| file.verification_url.clone()),
        cleanup_interval: Some(crate::cleanup::INTERVAL),
        countries: args.countries.resolve(file)?,
        portal: crate::portal::PortalConfig {
            idle_timeout: std::time::Duration::from_secs(args.session_idle_minutes * 60),
            absolute_timeout: std::time::Duration::from_secs(args.session_max_hours * 3600),
            secure_cookie: args.secure_cookies,
        },
        distribution_interval: Some(crate::distribution::INTERVAL),
        distribution_watch: crate::distribution::WATCH_INTERVAL,
        distribution: args.distribution.resolve(file),
        federation: federation.national()?,
        gateway_tls: federation.gateway(),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let app = Application::build(config.clone()).await?;
        let scheme = if app.is_tls() { "https" } else { "http" };
        tracing::info!(
            address = %app.address(),
            data_dir = %config.storage.data_dir.display(),
            database = if config.storage.database_url.is_some() { "postgres" } else { "sqlite" },
            "serving on {scheme}://{}",
            app.address()
        );
        if let Some(internal) = app.internal_address() {
            tracing::info!("internal listener on http://{internal}");
        }
        app.run_until_stopped(shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
