//! Running programs from the workspace root, with `$CARGO_HOME/bin` first on
//! `PATH` so that tools installed by `cargo install` are found even when the
//! caller's `PATH` lacks it.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// Where commands run and how they find their tools.
pub struct Shell {
    /// The workspace root.
    pub root: PathBuf,
    /// `$CARGO_HOME/bin`, where `cargo install` puts binaries.
    pub cargo_bin: PathBuf,
    /// Where npm installs binaryen (`wasm-opt`) for trunk, outside the
    /// workspace like cargo's tools.
    pub binaryen: PathBuf,
    /// Where npm installs axe-core for the browser tests.
    pub axe_core: PathBuf,
    path: OsString,
    cargo: OsString,
}

impl Shell {
    /// Finds the workspace root and the cargo binary directory.
    pub fn new() -> anyhow::Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask lives one level below the workspace root")?
            .to_path_buf();
        let cargo_home = match std::env::var_os("CARGO_HOME") {
            Some(home) => PathBuf::from(home),
            None => PathBuf::from(
                std::env::var_os("HOME").context("neither CARGO_HOME nor HOME is set")?,
            )
            .join(".cargo"),
        };
        let cargo_bin = cargo_home.join("bin");
        let cache = match std::env::var_os("XDG_CACHE_HOME") {
            Some(cache) => PathBuf::from(cache),
            None => {
                PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".cache")
            }
        };
        let binaryen = cache.join("warn-tools").join("binaryen");
        let axe_core = cache.join("warn-tools").join("axe-core");
        let mut paths = vec![
            cargo_bin.clone(),
            binaryen.join("node_modules").join(".bin"),
        ];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let path = std::env::join_paths(paths).context("PATH holds an entry with ':' in it")?;
        // The cargo that runs xtask, so that every step uses the same toolchain.
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Ok(Self {
            root,
            cargo_bin,
            binaryen,
            axe_core,
            path,
            cargo,
        })
    }

    /// A command for `program`, run in the workspace root with our `PATH`.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.root).env("PATH", &self.path);
        command
    }

    /// A `cargo` command (the same cargo that runs xtask).
    pub fn cargo(&self) -> Command {
        self.command(&self.cargo)
    }

    /// Cargo's target directory: `CARGO_TARGET_DIR`, or `target` in the root.
    pub fn target_dir(&self) -> PathBuf {
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| self.root.join("target"), PathBuf::from)
    }

    /// The cargo program, for [`Shell::output_of`].
    pub fn cargo_program(&self) -> &OsStr {
        &self.cargo
    }

    /// Runs `command` with inherited output; fails unless it exits with 0.
    pub fn run(&self, command: &mut Command) -> anyhow::Result<()> {
        let shown = show(command);
        println!("    $ {shown}");
        let status = command
            .status()
            .with_context(|| format!("cannot start `{shown}`"))?;
        if !status.success() {
            bail!("`{shown}` failed ({status})");
        }
        Ok(())
    }

    /// The trimmed standard output of `program args`, or `None` when it cannot
    /// be started or fails (how we ask whether a tool is installed).
    pub fn output_of(&self, program: impl AsRef<OsStr>, args: &[&str]) -> Option<String> {
        let output = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    }
}

/// `program arg arg`, for messages.
fn show(command: &Command) -> String {
    let mut shown = Path::new(command.get_program())
        .file_name()
        .unwrap_or(command.get_program())
        .to_string_lossy()
        .into_owned();
    for arg in command.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    shown
}
