//! `run` and `test`, as named steps that print their time and stop at the
//! first failure with the step's name.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::setup::{self, CHROMEDRIVER, CHROMIUM, WASM_TARGET};
use crate::shell::Shell;

/// `warn serve`'s options and the values `cargo xtask run` gives them unless
/// the caller names the option itself.
const SERVE_DEFAULTS: [(&str, &str); 3] = [
    ("--listen", "127.0.0.1:8080"),
    ("--data-dir", "./data"),
    ("--portal-dir", "./dist"),
];

/// `cargo xtask build`: the tools and the two browser apps.
pub fn build(shell: &Shell) -> anyhow::Result<()> {
    let mut steps = Steps::new();
    steps.run("set-up", || setup::build_tools(shell))?;
    steps.run("portal build (trunk)", || build_portal(shell))?;
    steps.summary();
    Ok(())
}

/// `cargo xtask run [-- ARGS]`.
pub fn run(shell: &Shell, args: &[String]) -> anyhow::Result<()> {
    let args = match args.first().map(String::as_str) {
        Some("--") => &args[1..],
        _ => args,
    };
    let (demo, args) = split_demo(args);
    let args = args.as_slice();
    let mut steps = Steps::new();
    steps.run("set-up", || setup::build_tools(shell))?;
    steps.run("portal build (trunk)", || build_portal(shell))?;
    steps.summary();

    let option = |option: &str| {
        args.iter()
            .position(|arg| arg == option)
            .and_then(|at| args.get(at + 1))
            .cloned()
            .or_else(|| {
                args.iter()
                    .find_map(|arg| arg.strip_prefix(&format!("{option}=")).map(str::to_owned))
            })
    };
    let storage: Vec<String> = match option("--database-url") {
        Some(url) => vec!["--database-url".to_owned(), url],
        None => vec![
            "--data-dir".to_owned(),
            option("--data-dir").unwrap_or_else(|| "./data".to_owned()),
        ],
    };
    let listen = option("--listen").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let warn = |command: &[&str]| {
        let mut warn = shell.cargo();
        warn.args(["run", "--quiet", "--package", "api", "--bin", "warn", "--"]);
        warn.args(command).args(&storage);
        warn
    };

    // A first administrator on an empty database, so the portal can be
    // tried at once; `warn` prints the one-time password.
    println!("==> first administrator (only on an empty database)");
    let added = warn_output(&mut warn(&[
        "user",
        "add",
        "admin",
        "--role",
        "admin",
        "--if-no-users",
    ]))?;
    match last_line(&added).filter(|_| !added.contains("exist already")) {
        Some(password) if !demo => println!("{}", first_run_guide(&listen, password)),
        Some(password) => {
            let mut accounts = vec![("admin", "admin", password.to_owned())];
            for (name, role) in [
                ("hotline", "hotline"),
                ("officer", "health-officer"),
                ("lab", "lab"),
            ] {
                let output = warn_output(&mut warn(&["user", "add", name, "--role", role]))?;
                let password = last_line(&output).context("`warn user add` printed no password")?;
                accounts.push((name, role, password.to_owned()));
            }
            let output = warn_output(&mut warn(&["lab", "add", "demo-lab"]))?;
            let lab_key = last_line(&output)
                .context("`warn lab add` printed no key")?
                .to_owned();
            println!("==> demo keys: 1,000 cases over the last 14 days");
            shell.run(&mut warn(&[
                "demo", "seed", "--cases", "1000", "--days", "14", "--seed", "1",
            ]))?;
            println!("{}", demo_guide(&listen, &accounts, &lab_key));
        }
        None => println!(
            "    The database has portal users already: log in at http://{listen}/login.\n    \
             A new administrator: `cargo run -p api --bin warn -- user add NAME --role admin {}`.\n    \
             A fresh demo (sample users, a lab, keys): `cargo xtask run -- --demo --data-dir ./demo-data`.",
            storage.join(" ")
        ),
    }

    let mut command = shell.cargo();
    command.args(["run", "--package", "api", "--bin", "warn", "--", "serve"]);
    for (option, default) in SERVE_DEFAULTS {
        let named = args
            .iter()
            .any(|arg| arg == option || arg.starts_with(&format!("{option}=")));
        if !named {
            command.args([option, default]);
        }
    }
    command.args(args);
    println!("==> warn serve (Ctrl-C stops it)");
    shell.run(&mut command)
}

/// `cargo xtask test`: everything CI checks, in the order that fails fastest.
pub fn test(shell: &Shell) -> anyhow::Result<()> {
    let mut steps = Steps::new();
    let result = test_steps(shell, &mut steps);
    steps.summary();
    result
}

fn test_steps(shell: &Shell, steps: &mut Steps) -> anyhow::Result<()> {
    steps.run("set-up", || {
        setup::build_tools(shell)?;
        setup::lint_tools(shell)?;
        setup::browser(shell)
    })?;
    steps.run("format (cargo fmt --check)", || {
        shell.run(shell.cargo().args("fmt --all -- --check".split(' ')))
    })?;
    steps.run("shape (module circles, function length)", || {
        crate::shape::check(shell)
    })?;
    steps.run("lint host (cargo clippy)", || {
        let args = "clippy --workspace --all-targets -- -D warnings";
        shell.run(shell.cargo().args(args.split(' ')))
    })?;
    steps.run("lint wasm32 (cargo clippy)", || {
        // Not --all-targets: the benchmarks use criterion, which is host-only.
        let args = "clippy --package shared --package proto --package portal-ui \
                    --package verifier --target wasm32-unknown-unknown --lib --bins --tests \
                    -- -D warnings";
        shell.run(shell.cargo().args(args.split_whitespace()))
    })?;
    steps.run("portal build (trunk)", || build_portal(shell))?;
    steps.run("tests host (cargo test, with browser tests)", || {
        shell.run(
            shell
                .cargo()
                .args(["test", "--workspace"])
                .env("CHROMEDRIVER", CHROMEDRIVER)
                .env("CHROMIUM", CHROMIUM)
                .env("AXE_CORE", setup::axe_core_script(shell)),
        )
    })?;
    steps.run("tests wasm32 (headless Chromium)", || wasm_tests(shell))?;
    steps.run("fuzz (every target briefly)", || {
        // A few seconds each from the committed seeds and the corpus of
        // earlier runs: a parser change that crashes on known inputs, or
        // on what libFuzzer finds quickly, fails here.
        crate::fuzz::fuzz(shell, &crate::fuzz::TARGETS, CI_FUZZ_SECONDS).map(|_| ())
    })
}

/// Seconds each fuzz target runs in `cargo xtask test`.
const CI_FUZZ_SECONDS: u64 = 5;

/// `--demo` taken out of `args`: whether it was there, and the rest (for
/// `warn serve`).
fn split_demo(args: &[String]) -> (bool, Vec<String>) {
    let demo = args.iter().any(|arg| arg == "--demo");
    let rest = args
        .iter()
        .filter(|arg| *arg != "--demo")
        .cloned()
        .collect();
    (demo, rest)
}

/// Runs `command` (a `warn` command), shows its output and returns it.
fn warn_output(command: &mut std::process::Command) -> anyhow::Result<String> {
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot start `warn`")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{text}");
    anyhow::ensure!(output.status.success(), "`warn` failed ({})", output.status);
    Ok(text)
}

/// The last non-empty line of `text` (where `warn` prints a secret).
fn last_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).rfind(|line| !line.is_empty())
}

/// What to do after the first administrator was added.
fn first_run_guide(listen: &str, password: &str) -> String {
    format!(
        "\n    The portal has its first administrator. To log in:\n    \
         1. Open http://{listen}/login\n    \
         2. User name: admin   Password: {password}\n    \
         3. Scan the QR code with an authenticator app (TOTP) and enter its code.\n    \
         4. Under Administration, add the other users (hotline, health-officer, lab).\n    \
         To try everything with sample users, a lab and keys instead:\n    \
         cargo xtask run -- --demo --data-dir ./demo-data\n"
    )
}

/// The demo's accounts, lab key and pages.
fn demo_guide(listen: &str, accounts: &[(&str, &str, String)], lab_key: &str) -> String {
    let mut text = format!(
        "\n    Demo ready (passwords shown only now). Log in at http://{listen}/login;\n    \
         the first log-in of each account sets up its authenticator app (TOTP).\n"
    );
    for (name, role, password) in accounts {
        text.push_str(&format!("      {name:<8} {role:<15} {password}\n"));
    }
    text.push_str(&format!(
        "    Lab API key of demo-lab (Authorization: Bearer): {lab_key}\n    \
         Public pages: http://{listen}/bundles, /risk, /phone?name=A (the keys are\n    \
         published by the first distribution run, a few seconds after the start).\n"
    ));
    text
}

/// Where `cargo xtask screenshots` saves its pictures (README names it).
pub const SCREENSHOTS_DIR: &str = "target/screenshots";

/// `cargo xtask screenshots`: builds the apps, then the browser test that
/// visits every page (public and each role's) saves each at 1280 px and at
/// 390 px wide into [`SCREENSHOTS_DIR`].
pub fn screenshots(shell: &Shell) -> anyhow::Result<()> {
    let mut steps = Steps::new();
    steps.run("set-up", || {
        setup::build_tools(shell)?;
        setup::browser(shell)
    })?;
    steps.run("portal build (trunk)", || build_portal(shell))?;
    let folder = shell.root.join(SCREENSHOTS_DIR);
    steps.run("screenshots (browser test every_page)", || {
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
        shell.run(
            shell
                .cargo()
                .args(["test", "--package", "e2e", "--test", "it", "every_page"])
                .env("CHROMEDRIVER", CHROMEDRIVER)
                .env("CHROMIUM", CHROMIUM)
                .env("AXE_CORE", setup::axe_core_script(shell))
                .env("WARN_SCREENSHOTS", &folder),
        )
    })?;
    steps.summary();
    println!("    screenshots: {}", folder.display());
    Ok(())
}

/// Builds the two browser apps with trunk, never downloading anything: the
/// staff portal (`index.html`) into `dist/`, then the public verifier
/// (`verifier.html`) into `dist/verifier/` (after the portal: trunk
/// empties its own output folder first).
fn build_portal(shell: &Shell) -> anyhow::Result<()> {
    // A browser repairs a broken sheet silently; refuse it here instead.
    let style = shell.root.join("portal-ui/style.css");
    let css = std::fs::read_to_string(&style)
        .with_context(|| format!("cannot read {}", style.display()))?;
    crate::css::check_structure("portal-ui/style.css", &css)?;
    // trunk builds with `cargo --offline`, so the crates must be here first.
    shell.run(shell.cargo().arg("fetch"))?;
    let apps: [(&str, &[&str]); 2] = [
        ("index.html", &[]),
        (
            "verifier.html",
            &["--dist", "dist/verifier", "--public-url", "/verifier/"],
        ),
    ];
    for (page, options) in apps {
        shell.run(
            shell
                .command("trunk")
                .args(["build", page, "--release", "--offline"])
                .args(options)
                .env("TRUNK_SKIP_VERSION_CHECK", "true"),
        )?;
    }
    check_wasm_budget(&shell.root.join("dist"))
}

/// The tests of `shared` and `verifier` (the Web Worker's job) compiled to
/// wasm32 and run by wasm-bindgen-test-runner in headless Chromium.
fn wasm_tests(shell: &Shell) -> anyhow::Result<()> {
    // The runner adds `headless`, `no-sandbox` and `disable-dev-shm-usage`
    // itself and reads further capabilities from this file: Debian's binary
    // and no background traffic (Chromium otherwise keeps dialling out).
    let webdriver_json = shell.target_dir().join("xtask").join("webdriver.json");
    std::fs::create_dir_all(webdriver_json.parent().expect("a file path has a parent"))?;
    std::fs::write(
        &webdriver_json,
        format!(
            r#"{{"goog:chromeOptions":{{"binary":"{CHROMIUM}","args":["--disable-gpu","--disable-quic","--no-first-run","--disable-background-networking","--disable-component-update","--disable-sync"]}}}}"#
        ),
    )
    .with_context(|| format!("cannot write {}", webdriver_json.display()))?;
    for package in ["shared", "verifier"] {
        let mut command = shell.cargo();
        command
            .args([
                "test",
                "--package",
                package,
                "--target",
                WASM_TARGET,
                "--test",
                "it",
            ])
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &webdriver_json);
        // The runner's default (20 s) is for all tests of the binary together.
        if std::env::var_os("WASM_BINDGEN_TEST_TIMEOUT").is_none() {
            command.env("WASM_BINDGEN_TEST_TIMEOUT", "300");
        }
        shell.run(&mut command)?;
    }
    Ok(())
}

/// The steps run so far and how long each took.
struct Steps {
    started: Instant,
    done: Vec<(&'static str, Duration)>,
}

impl Steps {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            done: Vec::new(),
        }
    }

    /// Runs one step; its error names the step.
    fn run(
        &mut self,
        name: &'static str,
        step: impl FnOnce() -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        println!("==> {name}");
        let started = Instant::now();
        let result = step();
        let elapsed = started.elapsed();
        match result {
            Ok(()) => {
                println!("==> {name}: ok ({})", seconds(elapsed));
                self.done.push((name, elapsed));
                Ok(())
            }
            Err(error) => {
                Err(error.context(format!("step `{name}` failed after {}", seconds(elapsed))))
            }
        }
    }

    fn summary(&self) {
        println!("==> steps passed:");
        for (name, elapsed) in &self.done {
            println!("    {:>8}  {name}", seconds(*elapsed));
        }
        println!("    {:>8}  total", seconds(self.started.elapsed()));
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// The budget of each browser app's WebAssembly, gzip-compressed (issue:
/// "the portal's WebAssembly at most 400 KB gzip-compressed").
const WASM_BUDGET_GZIP: u64 = 400 * 1000;

/// Fails when an app's WebAssembly (`dist/portal-ui-*_bg.wasm`,
/// `dist/verifier/verifier-ui-*_bg.wasm`) is over [`WASM_BUDGET_GZIP`]
/// after `gzip -9`, so the build that grows it past the budget fails.
fn check_wasm_budget(dist: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write as _;
    for (folder, app) in [
        (dist.to_path_buf(), "portal-ui-"),
        (dist.join("verifier"), "verifier-ui-"),
    ] {
        let wasm = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot list {}", folder.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with(app) && name.ends_with("_bg.wasm"))
            })
            .with_context(|| format!("no {app}*_bg.wasm in {}", folder.display()))?;
        let bytes = std::fs::read(&wasm)?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&bytes)?;
        let compressed = gzip.finish()?.len() as u64;
        println!(
            "    {}: {} bytes, {compressed} bytes gzip -9 (budget {WASM_BUDGET_GZIP})",
            wasm.display(),
            bytes.len()
        );
        anyhow::ensure!(
            compressed <= WASM_BUDGET_GZIP,
            "{} is {compressed} bytes gzip-compressed, over the budget of {WASM_BUDGET_GZIP}",
            wasm.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_taken_out_of_the_serve_arguments() {
        let args: Vec<String> = ["--demo", "--data-dir", "./demo-data"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            split_demo(&args),
            (
                true,
                vec!["--data-dir".to_owned(), "./demo-data".to_owned()]
            )
        );
        assert_eq!(split_demo(&args[1..]), (false, args[1..].to_vec()));
    }

    #[test]
    fn the_first_run_says_where_to_log_in_with_which_password() {
        let printed = "user \"admin\" (admin) added; the password is shown only now.\n\
                       Log in to the portal with it, then set up the second factor (TOTP).\n\
                       s3cret-one-time\n";
        let password = last_line(printed).expect("a password");
        assert_eq!(password, "s3cret-one-time");
        let guide = first_run_guide("127.0.0.1:8080", password);
        assert!(
            guide.contains("Open http://127.0.0.1:8080/login"),
            "{guide}"
        );
        assert!(
            guide.contains("User name: admin   Password: s3cret-one-time"),
            "{guide}"
        );
        assert!(guide.contains("cargo xtask run -- --demo"), "{guide}");
        let demo = demo_guide(
            "0.0.0.0:80",
            &[("hotline", "hotline", "pw-1".to_owned())],
            "lab-key",
        );
        assert!(demo.contains("http://0.0.0.0:80/login"), "{demo}");
        assert!(demo.contains("hotline  hotline         pw-1"), "{demo}");
        assert!(demo.contains("Bearer): lab-key"), "{demo}");
    }
}
