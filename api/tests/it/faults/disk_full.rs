//! The publish folder's disk fills up during a distribution run: the run
//! fails with a clear message, the published tree stays valid (every index
//! names only complete, verifiable bundles), and once there is space again
//! the next run publishes everything.
//!
//! The disk is a small tmpfs the test mounts, which needs root; outside CI
//! the test says so and skips when not run as root.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::distribution::{Storage, key_ring, walk};
use crate::support::{self, skip};

const SEEDED_AT: &str = "2026-11-20T12:00:00Z";
const RUN_AT: &str = "2026-11-21T00:30:00Z";
const TODAY: &str = "2026-11-21";
/// The small disk: the first run's tree fits, the second's does not.
const DISK: &str = "size=4m";
/// Cases (14 keys each) before and added after the first run.
const CASES_FIRST: usize = 200;
const CASES_MORE: usize = 3000;

/// A tmpfs mounted on a temporary folder, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(options: &str) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|error| format!("mount: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn resize(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "the tmpfs can be resized");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// A run into `publish` that publishes every key: the seed's keys have
/// every transmission risk level, and the counts below are of all of them
/// (the default configuration leaves out levels under cwa-server's 3).
fn distribute(storage: &Storage, publish: &Path) -> std::process::Output {
    let url = format!("file://{}", publish.display());
    let config = storage.data_dir().join("every-level.toml");
    std::fs::write(&config, "minimumTrlValueAllowed = 1\n").expect("configuration written");
    let config = config.display().to_string();
    let mut args = vec![
        "distribute",
        "--now",
        RUN_AT,
        "--min-keys",
        "1",
        "--publish-url",
        &url,
        "--app-config",
        &config,
    ];
    let storage_args = storage.args();
    args.extend(storage_args.iter().map(String::as_str));
    support::warn(&args)
}

/// Files of the folder whose name marks them temporary (`NAME#N`).
fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.to_string_lossy().contains('#') {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn a_full_disk_fails_the_run_clearly_and_leaves_the_tree_valid() {
    let test = "a_full_disk_fails_the_run_clearly_and_leaves_the_tree_valid";
    if !is_root() {
        return skip(test, "mounting a small tmpfs needs root");
    }
    let disk = match SmallDisk::mount(DISK) {
        Ok(disk) => disk,
        Err(reason) => return skip(test, &reason),
    };
    let storage = Storage::sqlite();
    let cases = CASES_FIRST.to_string();
    storage.warn(&[
        "demo", "seed", "--cases", &cases, "--days", "13", "--now", SEEDED_AT, "--seed", "5",
    ]);
    let first = distribute(&storage, disk.path());
    assert!(
        first.status.success(),
        "the first run fits on the disk: {}",
        support::stderr(&first)
    );
    let ring = key_ring(&storage, false);
    let before = walk(disk.path(), &ring, Some(TODAY));
    assert_eq!(before.hourly.len(), CASES_FIRST * 14);

    // More keys than the disk holds: the run must fail, and say why.
    let more = CASES_MORE.to_string();
    storage.warn(&[
        "demo", "seed", "--cases", &more, "--days", "13", "--now", SEEDED_AT, "--seed", "6",
    ]);
    let second = distribute(&storage, disk.path());
    let message = support::stderr(&second);
    assert!(
        !second.status.success(),
        "a run on a full disk reports success"
    );
    assert!(
        message.contains("No space left on device") || message.contains("space"),
        "the failure does not say the disk is full: {message}"
    );
    // Panics, naming the path, when an index names a missing, partial or
    // unverifiable bundle.
    let during = walk(disk.path(), &ring, Some(TODAY));
    assert!(
        during.hourly.len() >= CASES_FIRST * 14,
        "published keys disappeared"
    );

    // With space again, the next run completes the work and tidies up.
    disk.resize("size=64m");
    let third = distribute(&storage, disk.path());
    assert!(
        third.status.success(),
        "the run after the disk grew: {}",
        support::stderr(&third)
    );
    let after = walk(disk.path(), &ring, Some(TODAY));
    assert_eq!(after.hourly.len(), (CASES_FIRST + CASES_MORE) * 14);
    let leftovers = temporary_files(disk.path());
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}
