//! `warn user add NAME --role ROLE` and `warn user reset-password NAME`:
//! portal users from the command line (the first administrator needs one,
//! and an operator can let an administrator back in).

use std::process::ExitCode;

use anyhow::Context;
use shared::portal::{AuditAction, Role};

use super::args::StorageArgs;
use crate::config::FileConfig;
use crate::db::Db;
use crate::portal::{accounts, audit};

/// The user subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add a portal user and print a random initial password, once, alone on
    /// the last line. At the first log-in the user sets up the second factor,
    /// then replaces the password.
    Add(AddArgs),
    /// Give a portal user a new random one-time password (printed once, alone
    /// on the last line) to be replaced at the next log-in; ends the user's
    /// sessions and forgets their failed log-ins.
    ResetPassword(ResetArgs),
}

/// Options of `warn user reset-password`.
#[derive(Debug, clap::Args)]
pub struct ResetArgs {
    /// The user name.
    pub name: String,
    /// Where stored data is (`--data-dir`, `--database-url`, the hash key file).
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options of `warn user add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The user name (letters, digits, '.', '-', '_', '@'; unique).
    pub name: String,
    /// The role: hotline, health-officer, lab or admin.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// Add the user only when there is no portal user yet (for demos:
    /// `cargo xtask run` makes a first administrator this way).
    #[arg(long)]
    pub if_no_users: bool,
    /// Where stored data is (`--data-dir`, `--database-url`, the hash key file).
    #[command(flatten)]
    pub storage: StorageArgs,
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::parse(name).ok_or_else(|| {
        let known: Vec<_> = Role::ALL.iter().map(|role| role.as_str()).collect();
        format!("unknown role {name:?} (known: {})", known.join(", "))
    })
}

/// Runs a user subcommand.
pub fn run(command: UserCommand, file: &FileConfig) -> anyhow::Result<ExitCode> {
    let args = match command {
        UserCommand::Add(args) => args,
        UserCommand::ResetPassword(args) => return reset(args, file),
    };
    let storage = args.storage.resolve(file);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let db = Db::open(&storage).await?;
        db.migrate().await?;
        if args.if_no_users && accounts::count(&db).await.map_err(anyhow::Error::msg)? > 0 {
            db.close().await;
            println!("portal users exist already; none added.");
            return Ok(ExitCode::SUCCESS);
        }
        let result = add(&db, &args.name, args.role).await;
        db.close().await;
        let (name, password) = result?;
        println!(
            "user {name:?} ({}) added; the password is shown only now.",
            args.role
        );
        println!(
            "Log in to the portal with it, set up the second factor (TOTP), then choose a new password."
        );
        println!("{password}");
        Ok(ExitCode::SUCCESS)
    })
}

fn reset(args: ResetArgs, file: &FileConfig) -> anyhow::Result<ExitCode> {
    let storage = args.storage.resolve(file);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let db = Db::connect(&storage.data_dir, storage.database_url.as_deref()).await?;
        db.migrate().await?;
        let result = reset_in(&db, &args.name).await;
        db.close().await;
        let password = result?;
        println!(
            "user {:?} has a new one-time password, shown only now; it must be changed at the next log-in.",
            args.name
        );
        println!("{password}");
        Ok(ExitCode::SUCCESS)
    })
}

async fn reset_in(db: &Db, name: &str) -> anyhow::Result<String> {
    let user = accounts::by_name(db, name)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?
        .with_context(|| format!("no portal user named {name:?}"))?;
    let (user, password) = accounts::reset_password(db, user.id)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?
        .with_context(|| format!("no portal user named {name:?}"))?;
    let now = crate::clock::now();
    audit::record(
        db,
        "warn",
        AuditAction::UserPasswordReset,
        &user.name,
        1,
        now,
    )
    .await?;
    Ok(password)
}

async fn add(db: &Db, name: &str, role: Role) -> anyhow::Result<(String, String)> {
    let now = crate::clock::now();
    let (user, password) = accounts::create_with_initial_password(db, name, role, now)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let detail = format!("{} ({})", user.name, user.role);
    audit::record(db, "warn", AuditAction::UserCreated, &detail, 1, now).await?;
    Ok((user.name, password))
}
