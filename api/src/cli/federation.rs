//! `warn federation`: test certificates, and one federation run (as
//! `warn serve` runs it with the distribution).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::args::{CountryArgs, StorageArgs};
use crate::config::FederationSettings;
use crate::config::{FileConfig, GatewayTls};
use crate::db::Db;
use crate::federation::{Federation, certs};

/// Options of the federation, shared by `warn serve` and `warn federation sync`.
#[derive(Debug, Clone, clap::Args)]
pub struct FederationArgs {
    /// Base URL of the federation gateway (https://HOST:PORT); with it, the
    /// distribution service also uploads and downloads keys.
    #[arg(long, env = "WARN_FEDERATION_GATEWAY", value_name = "URL")]
    pub federation_gateway: Option<String>,
    /// This server's federation certificate (PEM; the gateway's own with
    /// --services gateway).
    #[arg(long, env = "WARN_FEDERATION_CERT", value_name = "FILE")]
    pub federation_cert: Option<PathBuf>,
    /// The private key of --federation-cert (PKCS#8 PEM).
    #[arg(long, env = "WARN_FEDERATION_KEY", value_name = "FILE")]
    pub federation_key: Option<PathBuf>,
    /// The federation's CA certificate (PEM).
    #[arg(long, env = "WARN_FEDERATION_CA", value_name = "FILE")]
    pub federation_ca: Option<PathBuf>,
    /// Fewest keys per upload; fewer wait for the next run (default 140).
    #[arg(long, env = "WARN_FEDERATION_MIN_BATCH", value_name = "N")]
    pub federation_min_batch: Option<usize>,
    /// URL the gateway calls when another country's batch arrives
    /// (e.g. https://HOST/federation/v1/callback).
    #[arg(long, env = "WARN_FEDERATION_CALLBACK", value_name = "URL")]
    pub federation_callback: Option<String>,
    /// With --services gateway: accept callback URLs that are http or on
    /// private, loopback or link-local addresses. Only for a local set-up:
    /// it lets any country make the gateway call internal services.
    #[arg(long, env = "WARN_FEDERATION_ALLOW_LOCAL_CALLBACKS")]
    pub federation_allow_local_callbacks: bool,
}

impl FederationArgs {
    /// These options over the configuration file's (`federation-gateway`,
    /// `federation-cert`, ...): an option or its environment variable wins.
    pub fn resolve(&self, file: &FileConfig) -> Self {
        Self {
            federation_gateway: self
                .federation_gateway
                .clone()
                .or_else(|| file.federation_gateway.clone()),
            federation_cert: self
                .federation_cert
                .clone()
                .or_else(|| file.federation_cert.clone()),
            federation_key: self
                .federation_key
                .clone()
                .or_else(|| file.federation_key.clone()),
            federation_ca: self
                .federation_ca
                .clone()
                .or_else(|| file.federation_ca.clone()),
            federation_min_batch: self.federation_min_batch.or(file.federation_min_batch),
            federation_callback: self
                .federation_callback
                .clone()
                .or_else(|| file.federation_callback.clone()),
            federation_allow_local_callbacks: self.federation_allow_local_callbacks
                || file.federation_allow_local_callbacks.unwrap_or(false),
        }
    }

    fn files(&self) -> anyhow::Result<(PathBuf, PathBuf, PathBuf)> {
        match (
            &self.federation_cert,
            &self.federation_key,
            &self.federation_ca,
        ) {
            (Some(cert), Some(key), Some(ca)) => Ok((cert.clone(), key.clone(), ca.clone())),
            _ => anyhow::bail!(
                "the federation needs --federation-cert, --federation-key and --federation-ca \
                 (or federation-cert, federation-key and federation-ca in the configuration file)"
            ),
        }
    }

    /// The national side's settings; `None` without a gateway URL.
    pub fn national(&self) -> anyhow::Result<Option<FederationSettings>> {
        let Some(gateway_url) = &self.federation_gateway else {
            return Ok(None);
        };
        let (cert, key, ca) = self.files()?;
        Ok(Some(FederationSettings {
            gateway_url: gateway_url.clone(),
            cert,
            key,
            ca,
            min_batch: self.federation_min_batch,
            callback_url: self.federation_callback.clone(),
        }))
    }

    /// The gateway's files, when all three are given.
    pub fn gateway(&self) -> Option<GatewayTls> {
        self.files().ok().map(|(cert, key, ca)| GatewayTls {
            cert,
            key,
            ca,
            allow_local_callbacks: self.federation_allow_local_callbacks,
        })
    }
}

/// `warn federation ...`.
#[derive(Debug, clap::Subcommand)]
pub enum FederationCommand {
    /// Create a test CA, the gateway's certificate and one certificate per
    /// country (C= the country) in a folder; existing files are kept.
    Cert(CertArgs),
    /// Upload consenting keys and download foreign ones once.
    Sync(Box<SyncArgs>),
}

/// Options of `warn federation cert`.
#[derive(Debug, clap::Args)]
pub struct CertArgs {
    /// Folder for ca.pem/ca.key, gateway.pem/gateway.key and CC.pem/CC.key.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// ISO 3166 alpha-2 codes of the countries, e.g. DE FR.
    #[arg(value_name = "COUNTRY", required = true)]
    pub countries: Vec<String>,
}

/// Options of `warn federation sync`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The time the run takes as now (RFC 3339 or unix seconds; default: now).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// How this server reaches the federation gateway (or, as the gateway, its own certificate).
    #[command(flatten)]
    pub federation: FederationArgs,
    /// Where stored data is (`--data-dir`, `--database-url`, the hash key file).
    #[command(flatten)]
    pub storage: StorageArgs,
    /// This server's country and the countries it supports.
    #[command(flatten)]
    pub countries: CountryArgs,
}

/// Runs a `warn federation` command.
pub fn run(command: FederationCommand, file: &FileConfig) -> anyhow::Result<ExitCode> {
    match command {
        FederationCommand::Cert(args) => cert(args),
        FederationCommand::Sync(args) => sync(*args, file),
    }
}

fn cert(args: CertArgs) -> anyhow::Result<ExitCode> {
    let mut countries = Vec::new();
    for code in &args.countries {
        let code = code.trim().to_ascii_uppercase();
        anyhow::ensure!(
            crate::federation::batch::is_country(&code),
            "{code:?} is not an ISO 3166 alpha-2 country code"
        );
        countries.push(code);
    }
    let created = certs::create(&args.dir, &countries)?;
    for path in &created.written {
        println!("wrote {}", path.display());
    }
    if created.written.is_empty() {
        println!("every certificate exists already in {}", args.dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn sync(args: SyncArgs, file: &FileConfig) -> anyhow::Result<ExitCode> {
    crate::telemetry::init();
    let now = super::args::time_or_now(args.now.as_deref())?;
    let settings = args
        .federation
        .resolve(file)
        .national()?
        .context("give the gateway with --federation-gateway (or federation-gateway in the configuration file)")?;
    let storage = args.storage.resolve(file);
    let countries = args.countries.resolve(file)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let db = Db::open(&storage).await?;
        db.migrate().await?;
        let federation = Federation::open(db.clone(), &countries, &settings)?;
        let report = federation.run(now).await;
        db.close().await;
        let report = report?;
        println!("{report}");
        Ok(ExitCode::SUCCESS)
    })
}
