//! `cargo xtask fuzz [TARGET|all] [SECONDS]`: the coverage-guided fuzz
//! targets of `fuzz/` (libFuzzer through cargo-fuzz), each for SECONDS.
//!
//! The machine has only the stable toolchain: cargo-fuzz's instrumentation
//! flags (`-Zsanitizer=address`, ...) are nightly features, which
//! `RUSTC_BOOTSTRAP=1` unlocks on stable. The fuzz crate is its own
//! workspace, so the project's `cargo test --workspace` never sees them.
//!
//! Each run starts from the committed seeds (`fuzz/seeds/TARGET`, read
//! only) and a working corpus in the target folder (`fuzz-corpus/TARGET`,
//! where libFuzzer keeps what it finds, so later runs start further on).
//! A crash stops with the input's path: turn it into a test of the crate
//! that owns the parser, then fix the parser.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

use crate::shell::Shell;

/// The cargo-fuzz release this project runs (installed when missing).
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The targets of `fuzz/Cargo.toml`, in the order they run.
pub const TARGETS: [&str; 7] = [
    "submission",
    "bundle",
    "efgs_batch",
    "efgs_signature",
    "lab_csv",
    "json_bodies",
    "app_config",
];

/// What one target's run measured (libFuzzer's final lines).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Figures {
    /// The target.
    pub target: String,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
    /// `stat::number_of_executed_units`.
    pub executions: u64,
    /// Edges covered (`cov:` of the last status line).
    pub cov: u64,
    /// Features (`ft:` of the last status line).
    pub ft: u64,
    /// Inputs in the corpus at the end (`corp:`).
    pub corpus: u64,
}

/// Runs `cargo xtask fuzz [TARGET|all] [SECONDS]` (default: every target,
/// 10 seconds each).
pub fn run(shell: &Shell, args: &[String]) -> anyhow::Result<()> {
    let targets: Vec<&str> = match args.first().map(String::as_str) {
        None | Some("all") => TARGETS.to_vec(),
        Some(name) if TARGETS.contains(&name) => vec![name],
        Some(other) => bail!("no fuzz target {other:?}; targets: {}", TARGETS.join(", ")),
    };
    let seconds: u64 = match args.get(1) {
        Some(text) => text
            .parse()
            .with_context(|| format!("SECONDS must be a whole number, not {text:?}"))?,
        None => 10,
    };
    let figures = fuzz(shell, &targets, seconds)?;
    print_table(&figures);
    Ok(())
}

/// Builds the targets once, then runs each for `seconds`; fails at the
/// first crash, naming the input that caused it.
pub fn fuzz(shell: &Shell, targets: &[&str], seconds: u64) -> anyhow::Result<Vec<Figures>> {
    install(shell)?;
    let target_dir = shell.target_dir().join("fuzz");
    let mut build = cargo_fuzz(shell, &target_dir);
    build.arg("build").args(build_options(&target_dir));
    if targets.len() == 1 {
        build.arg(targets[0]);
    }
    shell.run(&mut build)?;
    let mut all = Vec::new();
    for target in targets {
        let figures = fuzz_one(shell, &target_dir, target, seconds)?;
        println!(
            "    {target}: {} executions in {:.0} s, cov {} ft {}, corpus {}",
            figures.executions, figures.seconds, figures.cov, figures.ft, figures.corpus
        );
        all.push(figures);
    }
    Ok(all)
}

fn fuzz_one(
    shell: &Shell,
    target_dir: &Path,
    target: &str,
    seconds: u64,
) -> anyhow::Result<Figures> {
    let corpus = shell.target_dir().join("fuzz-corpus").join(target);
    let artifacts = shell.target_dir().join("fuzz-artifacts").join(target);
    std::fs::create_dir_all(&corpus)?;
    std::fs::create_dir_all(&artifacts)?;
    let seeds = shell.root.join("fuzz/seeds").join(target);
    let mut command = cargo_fuzz(shell, target_dir);
    command
        .arg("run")
        .args(build_options(target_dir))
        .arg(target)
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1")
        // Inputs as large as the biggest request a route takes (a bundle
        // or a lab file can be larger, but their structure is what matters).
        .arg("-max_len=65536")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    println!("==> fuzz {target} for {seconds} s");
    let started = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("cannot start cargo fuzz run {target}"))?;
    let log = String::from_utf8_lossy(&output.stderr);
    let elapsed = started.elapsed().as_secs_f64();
    if !output.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        for line in tail.into_iter().rev() {
            eprintln!("    | {line}");
        }
        let crash = newest_file(&artifacts);
        bail!(
            "fuzz target {target} failed ({}); the input: {} \
             (replay: cargo fuzz run --fuzz-dir fuzz {target} FILE; \
             make it a test of the crate that owns the parser, then fix it)",
            output.status,
            crash.map_or_else(
                || "none written".to_owned(),
                |path| path.display().to_string()
            )
        );
    }
    let mut figures = parse_figures(&log);
    figures.target = target.to_owned();
    figures.seconds = elapsed;
    Ok(figures)
}

/// The same for `build` and `run` (so `run` does not build again): the
/// fuzz crate, our target folder, 16 code units (a build in minutes, not
/// tens of minutes, on two cores; the targets run a little slower).
fn build_options(target_dir: &Path) -> Vec<String> {
    vec![
        "--fuzz-dir".into(),
        "fuzz".into(),
        "--target-dir".into(),
        target_dir.display().to_string(),
        "--codegen-units".into(),
        "16".into(),
    ]
}

/// `cargo fuzz` on the stable toolchain: `RUSTC_BOOTSTRAP=1` lets rustc take
/// the sanitizer flags cargo-fuzz passes.
fn cargo_fuzz(shell: &Shell, target_dir: &Path) -> Command {
    let mut command = shell.cargo();
    command
        .arg("fuzz")
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", target_dir);
    command
}

fn install(shell: &Shell) -> anyhow::Result<()> {
    let wanted = format!("cargo-fuzz {CARGO_FUZZ_VERSION}");
    if shell.output_of("cargo-fuzz", &["--version"]).as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    println!("    installing cargo-fuzz {CARGO_FUZZ_VERSION} from crates.io");
    shell.run(shell.cargo().args([
        "install",
        "cargo-fuzz",
        "--version",
        CARGO_FUZZ_VERSION,
        "--locked",
        "--force",
    ]))
}

/// Reads libFuzzer's log: the last status line (`#N ... cov: C ft: F corp:
/// K/...`) and the final statistics (`stat::number_of_executed_units: N`).
pub fn parse_figures(log: &str) -> Figures {
    let mut figures = Figures::default();
    let field = |line: &str, name: &str| -> Option<u64> {
        let mut words = line.split_whitespace();
        words.find(|word| *word == name)?;
        let value = words.next()?;
        value.split('/').next()?.parse().ok()
    };
    for line in log.lines() {
        if line.starts_with('#') {
            if let Some(cov) = field(line, "cov:") {
                figures.cov = cov;
            }
            if let Some(ft) = field(line, "ft:") {
                figures.ft = ft;
            }
            if let Some(corpus) = field(line, "corp:") {
                figures.corpus = corpus;
            }
        }
        if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
            figures.executions = rest.trim().parse().unwrap_or(0);
        }
    }
    figures
}

fn print_table(figures: &[Figures]) {
    println!("| target | seconds | executions | cov | ft | corpus | crashes |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in figures {
        println!(
            "| `{}` | {:.0} | {} | {} | {} | {} | 0 |",
            row.target, row.seconds, row.executions, row.cov, row.ft, row.corpus
        );
    }
}

fn newest_file(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let modified = entry.metadata().ok()?.modified().ok()?;
            Some((modified, entry.path()))
        })
        .max()
        .map(|(_, path)| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_come_from_the_last_status_line_and_the_final_stats() {
        let log = "\
INFO: Seed: 1
#2\tINITED cov: 10 ft: 11 corp: 1/1b exec/s: 0 rss: 30Mb
#1024\tpulse  cov: 120 ft: 300 corp: 40/2Kb lim: 14 exec/s: 512 rss: 40Mb
#5000\tDONE   cov: 130 ft: 321 corp: 44/3Kb lim: 20 exec/s: 1000 rss: 41Mb
stat::number_of_executed_units: 5000
stat::peak_rss_mb:              41
";
        let figures = parse_figures(log);
        assert_eq!(
            (figures.executions, figures.cov, figures.ft, figures.corpus),
            (5000, 130, 321, 44)
        );
    }

    /// `name version` of every package of a `Cargo.lock`.
    fn locked(lock: &str) -> std::collections::BTreeSet<(String, String)> {
        let mut packages = std::collections::BTreeSet::new();
        let mut name = None;
        for line in lock.lines() {
            if let Some(value) = line.strip_prefix("name = ") {
                name = Some(value.trim_matches('"').to_owned());
            } else if let (Some(value), Some(package)) =
                (line.strip_prefix("version = "), name.take())
            {
                packages.insert((package, value.trim_matches('"').to_owned()));
            }
        }
        packages
    }

    #[test]
    fn the_fuzz_crate_locks_the_versions_the_project_ships() {
        // The fuzz crate is its own workspace with its own lock file: it must
        // fuzz the same zip, prost, p256, ... as the server runs.
        let project = locked(include_str!("../../Cargo.lock"));
        let names: std::collections::BTreeSet<&String> =
            project.iter().map(|(name, _)| name).collect();
        let fuzz = locked(include_str!("../../fuzz/Cargo.lock"));
        let different: Vec<_> = fuzz
            .iter()
            .filter(|(name, _)| names.contains(name) && name != "warn-fuzz")
            .filter(|package| !project.contains(*package))
            .collect();
        assert!(
            different.is_empty(),
            "fuzz/Cargo.lock differs from Cargo.lock (copy Cargo.lock over it and build): {different:?}"
        );
    }

    #[test]
    fn the_target_list_matches_the_fuzz_crate() {
        let manifest = include_str!("../../fuzz/Cargo.toml");
        for target in TARGETS {
            assert!(
                manifest.contains(&format!("name = \"{target}\"")),
                "fuzz/Cargo.toml has no target {target}"
            );
        }
        assert_eq!(manifest.matches("[[bin]]").count(), TARGETS.len());
    }
}
