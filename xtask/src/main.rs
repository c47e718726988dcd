//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! - `cargo xtask run [-- ARGS]`: installs what is missing, builds the portal,
//!   starts `warn serve` on 127.0.0.1:8080 (ARGS go to `warn serve`).
//! - `cargo xtask test` (also `ci`): installs what is missing, then formatting,
//!   lints (host and wasm32), the portal build, the host tests (with the
//!   browser tests) and the wasm32 tests in headless Chromium.
//! - `cargo xtask fuzz [TARGET|all] [SECONDS]`: the fuzz targets of `fuzz/`.
//! - `cargo xtask shape`: the module graph and function length rules
//!   ([`shape`]), also a step of `test`.
//! - `cargo xtask load soak [MINUTES] [sqlite|postgres]`: a mixed load on
//!   `warn serve` over time (memory, errors, p99 per route).
//! - `cargo xtask screenshots`: every page at 1280 px and 390 px into
//!   `target/screenshots/`.
//!
//! Layout: [`shell`] (running commands), [`setup`] (tool installs, each only
//! when missing), [`tasks`] (the commands above, step by step).

mod css;
mod fuzz;
mod load;
mod load_api;
mod setup;
mod shape;
mod shell;
mod soak;
mod tasks;

use std::process::ExitCode;

use shell::Shell;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  build           install what is missing, build the two browser apps into dist/
                  and check their WebAssembly against the size budget
  run [-- ARGS]   install what is missing, build the portal, start `warn serve`
                  (default: --listen 127.0.0.1:8080 --data-dir ./data --portal-dir ./dist;
                  ARGS are passed on and replace a default they name)
  test            install what is missing, then fmt, clippy (host and wasm32),
                  portal build, host tests (incl. browser tests), wasm32 tests
  ci              the same as test
  screenshots     build the apps, then save every page (public and each role's)
                  at 1280 px and 390 px wide into target/screenshots/
  load api [SECONDS [CONNECTIONS]]
                  the verification service under wrk on SQLite and PostgreSQL,
                  beside a trivial route (default: 10 s, 256 connections)
  load serve      warn serve against nginx on the same published folder (wrk)
  load soak [MINUTES [sqlite|postgres]]
                  a mixed load (registrations, polls, lab uploads, submissions
                  with fakes, distribution runs) on warn serve: errors, p99 per
                  route, memory over time (default: 10 minutes, sqlite)
  shape           no import circle of more than 3 modules in any crate, no
                  function over 80 lines without a written reason (also in test)
  fuzz [TARGET|all [SECONDS]]
                  the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer), each for
                  SECONDS (default: all, 10 s each)";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    let result = match command.as_deref() {
        Some("build") if rest.is_empty() => Shell::new().and_then(|shell| tasks::build(&shell)),
        Some("screenshots") if rest.is_empty() => {
            Shell::new().and_then(|shell| tasks::screenshots(&shell))
        }
        Some("run") => Shell::new().and_then(|shell| tasks::run(&shell, &rest)),
        Some("test" | "ci") if rest.is_empty() => {
            Shell::new().and_then(|shell| tasks::test(&shell))
        }
        Some("load") if rest.first().map(String::as_str) == Some("api") => {
            let number = |index: usize, default: u32| -> u32 {
                rest.get(index)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(default)
            };
            let options = load_api::Options {
                seconds: number(1, 10),
                connections: number(2, 256),
            };
            Shell::new().and_then(|shell| load_api::run(&shell, &options))
        }
        Some("load") if rest.first().map(String::as_str) == Some("soak") => {
            Shell::new().and_then(|shell| soak::run(&shell, &rest[1..]))
        }
        Some("load") => Shell::new().and_then(|shell| load::run(&shell, &rest)),
        Some("fuzz") => Shell::new().and_then(|shell| fuzz::run(&shell, &rest)),
        Some("shape") if rest.is_empty() => Shell::new().and_then(|shell| shape::check(&shell)),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
