//! Crash safety: `warn distribute` killed at random moments never leaves an
//! index entry that points at a missing, partial or unverifiable bundle, and
//! the next run completes the work.

use std::process::{Command, Stdio};
use std::time::Instant;

use super::{Storage, key_ring, on_both_storages, walk};

/// Kills of a running process per scenario.
const KILLS: usize = 24;
/// Attempts at most (a kill may come after the run finished).
const MAX_ATTEMPTS: usize = 96;
const SEEDED_AT: &str = "2026-11-20T12:00:00Z";
const RUN_AT: &str = "2026-11-21T00:30:00Z";

fn distribute(storage: &Storage, min_keys: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warn"));
    command
        .args(["distribute", "--now", RUN_AT, "--min-keys", min_keys])
        .args(storage.args())
        .env_remove("WARN_CONFIG")
        .env_remove("WARN_DATA_DIR")
        .env_remove("WARN_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

async fn a_killed_run_leaves_every_index_entry_complete(storage: &Storage) {
    storage.warn(&[
        "demo", "seed", "--cases", "3000", "--days", "13", "--now", SEEDED_AT, "--seed", "3",
    ]);
    // Calibrate: a full run from scratch (the later runs rewrite most
    // bundles, because the threshold alternates).
    let started = Instant::now();
    let status = distribute(storage, "1").status().expect("warn runs");
    assert!(status.success());
    let full = started.elapsed();
    let ring = key_ring(storage, false);
    let mut rng = fastrand::Rng::with_seed(11);
    // Kill until 24 kills hit a running process (a kill that comes after
    // the run finished proves nothing); a loaded machine stretches runs
    // unevenly, so the number of attempts is not fixed.
    let mut killed_while_running = 0;
    let mut attempts = 0;
    while killed_while_running < KILLS && attempts < MAX_ATTEMPTS {
        // Alternate the threshold so that every run has bundles to rewrite.
        let min_keys = if attempts % 2 == 0 { "400" } else { "1" };
        attempts += 1;
        let mut child = distribute(storage, min_keys).spawn().expect("warn starts");
        let delay = full.mul_f64(rng.f64() * 0.9);
        std::thread::sleep(delay);
        if child.try_wait().expect("status").is_none() {
            killed_while_running += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        // Panics, naming the path, when an index names a broken bundle.
        walk(&storage.public(), &ring, Some("2026-11-21"));
    }
    assert_eq!(
        killed_while_running, KILLS,
        "only {killed_while_running} of {attempts} kills hit a running process (a run takes {full:?})"
    );
    let status = distribute(storage, "1").status().expect("warn runs");
    assert!(status.success());
    let tree = walk(&storage.public(), &ring, Some("2026-11-21"));
    // The completing run deleted what the killed writers left half-written.
    let leftovers = staging_files(&storage.public());
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert_eq!(tree.hourly.len(), super::publishable_count(storage).await);
    assert!(
        tree.hourly
            .values()
            .chain(tree.daily.values())
            .all(|count| *count == 1)
    );
}

on_both_storages!(a_killed_run_leaves_every_index_entry_complete);

/// Temporary files of the local store (`NAME#N`) under `dir`.
fn staging_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().contains('#'))
            {
                found.push(path);
            }
        }
    }
    found
}
