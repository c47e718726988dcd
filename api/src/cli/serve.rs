//! `warn serve`: every service in one process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::builder::TypedValueParser;

use super::args::{CountryArgs, StorageArgs};
use crate::config::{
    DEFAULT_LISTEN, FileConfig, ServerConfig, Service, ServiceToken, Services, StorageConfig,
};
use crate::db::Db;
use crate::limits::Limits;
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
    /// Refused: a token on the command line is visible to every user of the
    /// machine (`ps`). Use --service-token-file or WARN_SERVICE_TOKEN.
    #[arg(long = "service-token", value_name = "TOKEN", hide = true)]
    pub service_token_on_command_line: Option<String>,
    /// File holding the token every call between services carries (at least
    /// 32 characters; surrounding white space is ignored). The environment
    /// variable WARN_SERVICE_TOKEN may hold the token itself instead.
    #[arg(long, env = "WARN_SERVICE_TOKEN_FILE", value_name = "FILE")]
    pub service_token_file: Option<PathBuf>,
    /// Internal listener of the test result service, when it runs in another process.
    #[arg(long, env = "WARN_TESTRESULT_URL", value_name = "URL")]
    pub testresult_url: Option<String>,
    /// Internal listener of the verification service, when it runs in another process.
    #[arg(long, env = "WARN_VERIFICATION_URL", value_name = "URL")]
    pub verification_url: Option<String>,
    /// Where stored data is (`--data-dir`, `--database-url`, the hash key file).
    #[command(flatten)]
    pub storage: StorageArgs,
    /// This server's country and the countries it supports.
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
    /// The portal is reached over TLS: its session cookie is
    /// `__Host-warn_session` (Secure, Path=/).
    #[arg(long, env = "WARN_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// How the distribution publishes: object store, threshold, signing key, app configuration.
    #[command(flatten)]
    pub distribution: super::distribute::DistributionArgs,
    /// How this server reaches the federation gateway (or, as the gateway, its own certificate).
    #[command(flatten)]
    pub federation: super::federation::FederationArgs,
    /// Bounds on connections, time and requests per client.
    #[command(flatten)]
    pub limits: LimitsArgs,
}

/// What a stranger can make the server spend (SECURITY.md, "Limits an operator can set").
#[derive(Debug, clap::Args)]
pub struct LimitsArgs {
    /// Open connections the public listener holds at once; more clients wait.
    #[arg(long, env = "WARN_MAX_CONNECTIONS", value_name = "N",
          default_value_t = Limits::MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000).map(|n| n as usize))]
    pub max_connections: usize,
    /// Open connections the internal listener holds at once (its own budget).
    #[arg(long, env = "WARN_INTERNAL_MAX_CONNECTIONS", value_name = "N",
          default_value_t = Limits::INTERNAL_MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000).map(|n| n as usize))]
    pub internal_max_connections: usize,
    /// Seconds a connection may take to send a complete request head.
    #[arg(long, env = "WARN_HEADER_READ_TIMEOUT", value_name = "SECONDS",
          default_value_t = Limits::HEADER_READ_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout: u64,
    /// Seconds a request may take to send its body after its head.
    #[arg(long, env = "WARN_BODY_READ_TIMEOUT", value_name = "SECONDS",
          default_value_t = Limits::BODY_READ_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_read_timeout: u64,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(long, env = "WARN_IDLE_TIMEOUT", value_name = "SECONDS",
          default_value_t = Limits::IDLE_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout: u64,
    /// Seconds a TLS handshake may take (the gateway's listener).
    #[arg(long, env = "WARN_TLS_HANDSHAKE_TIMEOUT", value_name = "SECONDS",
          default_value_t = Limits::TLS_HANDSHAKE_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub tls_handshake_timeout: u64,
    /// Requests a minute one client address may send to each phone route (0: no limit).
    #[arg(long, env = "WARN_PHONE_REQUESTS_PER_MINUTE", value_name = "N",
          default_value_t = Limits::PHONE_REQUESTS_PER_MINUTE)]
    pub phone_requests_per_minute: u32,
    /// Requests a minute one client address may send to the lab API (0: no limit).
    #[arg(long, env = "WARN_LAB_REQUESTS_PER_MINUTE", value_name = "N",
          default_value_t = Limits::LAB_REQUESTS_PER_MINUTE)]
    pub lab_requests_per_minute: u32,
    /// Proxies in front that append the client to X-Forwarded-For; 0 (the
    /// default) ignores the header, which any client can write.
    #[arg(long, env = "WARN_TRUSTED_PROXY_HOPS", value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u8).map(usize::from))]
    pub trusted_proxy_hops: usize,
    /// Seconds between two downloads that gateway callbacks start (calls in
    /// between join the next download).
    #[arg(long, env = "WARN_FEDERATION_CALLBACK_INTERVAL", value_name = "SECONDS",
          default_value_t = Limits::FEDERATION_CALLBACK_INTERVAL_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub federation_callback_interval: u64,
}

impl LimitsArgs {
    fn resolve(&self) -> Limits {
        let seconds = std::time::Duration::from_secs;
        Limits {
            max_connections: self.max_connections,
            internal_max_connections: self.internal_max_connections,
            header_read_timeout: seconds(self.header_read_timeout),
            body_read_timeout: seconds(self.body_read_timeout),
            idle_timeout: seconds(self.idle_timeout),
            tls_handshake_timeout: seconds(self.tls_handshake_timeout),
            phone_requests_per_minute: self.phone_requests_per_minute,
            lab_requests_per_minute: self.lab_requests_per_minute,
            trusted_proxy_hops: self.trusted_proxy_hops,
            federation_callback_interval: seconds(self.federation_callback_interval),
        }
    }
}

/// The service token: from `--service-token-file`, else `WARN_SERVICE_TOKEN`,
/// else the configuration file; never from the command line, where every
/// user of the machine can read it.
fn service_token(args: &ServeArgs, file: &FileConfig) -> anyhow::Result<Option<ServiceToken>> {
    if args.service_token_on_command_line.is_some() {
        anyhow::bail!(
            "--service-token on the command line is visible to every user of this machine \
             (ps): put the token in a file and give --service-token-file FILE, or set \
             WARN_SERVICE_TOKEN"
        );
    }
    if let Some(path) = &args.service_token_file {
        let token = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the service token file {}", path.display()))?;
        return parse(&token).map(Some);
    }
    if let Ok(token) = std::env::var("WARN_SERVICE_TOKEN") {
        return parse(&token).map(Some);
    }
    file.service_token.as_deref().map(parse).transpose()
}

fn parse(token: &str) -> anyhow::Result<ServiceToken> {
    ServiceToken::new(token.trim()).map_err(anyhow::Error::msg)
}

/// Starts the server and serves until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs, file: &FileConfig) -> anyhow::Result<ExitCode> {
    crate::telemetry::init();
    let service_token = service_token(&args, file)?;
    let limits = args.limits.resolve();
    crate::limits::raise_file_limit(&limits);
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
        service_token,
        testresult_url: args.testresult_url.or_else(|| file.testresult_url.clone()),
        verification_url: args
            .verification_url
            .or_else(|| file.verification_url.clone()),
        cleanup_interval: Some(crate::config::CLEANUP_INTERVAL),
        countries: args.countries.resolve(file)?,
        portal: crate::config::PortalConfig {
            idle_timeout: std::time::Duration::from_secs(args.session_idle_minutes * 60),
            absolute_timeout: std::time::Duration::from_secs(args.session_max_hours * 3600),
            secure_cookie: args.secure_cookies,
            ..crate::config::PortalConfig::default()
        },
        distribution_interval: Some(crate::config::DISTRIBUTION_INTERVAL),
        distribution_watch: crate::config::DISTRIBUTION_WATCH_INTERVAL,
        distribution: args.distribution.resolve(file),
        federation: federation.national()?,
        gateway_tls: federation.gateway(),
        limits,
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
        if config.services.runs(Service::Verification) {
            hint_first_administrator(app.db(), &config.storage).await;
        }
        app.run_until_stopped(shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// On a database without portal users, says how to add the first
/// administrator: until one exists nobody can log in to the portal.
async fn hint_first_administrator(db: &Db, storage: &StorageConfig) {
    match crate::portal::accounts::count(db).await {
        Ok(0) => tracing::info!(
            "the portal has no user yet: add the first administrator with `{}` \
             (it prints a one-time password; the first log-in at /login sets up \
             the second factor)",
            first_administrator_command(storage)
        ),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "cannot count the portal's users"),
    }
}

/// `warn user add NAME --role admin` with this process's storage options;
/// a database URL only as a placeholder (it may hold a password, which is
/// never logged).
fn first_administrator_command(storage: &StorageConfig) -> String {
    let mut command = "warn user add NAME --role admin".to_owned();
    match &storage.database_url {
        Some(_) => command.push_str(" --database-url URL"),
        None => {
            command.push_str(" --data-dir ");
            command.push_str(&shell_word(&storage.data_dir.display().to_string()));
        }
    }
    if let Some(file) = &storage.hash_key_file {
        command.push_str(" --hash-key-file ");
        command.push_str(&shell_word(&file.display().to_string()));
    }
    command
}

/// `word` as one word of a shell command: quoted when it holds anything
/// but letters, digits and `/._-`.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
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
