//! `warn user add NAME --role ROLE`: portal users from the command line
//! (the first administrator needs one).

use std::process::ExitCode;

use anyhow::Context;
use shared::portal::Role;

use super::StorageArgs;
use crate::config::FileConfig;
use crate::db::Db;
use crate::portal::{accounts, audit};

/// The user subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add a portal user and print a random initial password, once, alone on
    /// the last line. The second factor is set up at the first log-in.
    Add(AddArgs),
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
    /// Storage.
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
    let UserCommand::Add(args) = command;
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
        println!("Log in to the portal with it, then set up the second factor (TOTP).");
        println!("{password}");
        Ok(ExitCode::SUCCESS)
    })
}

async fn add(db: &Db, name: &str, role: Role) -> anyhow::Result<(String, String)> {
    let now = crate::clock::now();
    let password = accounts::generate_password().map_err(|error| anyhow::anyhow!("{error}"))?;
    let user = accounts::create(db, name, role, &password, now)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let detail = format!("{} ({})", user.name, user.role);
    audit::record(db, "warn", "user.created", &detail, 1, now).await?;
    Ok((user.name, password))
}
