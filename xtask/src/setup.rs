//! Installs the tools the build needs, each only when it is missing or at
//! the wrong version, so that a repeated run costs a few `--version` calls.
//!
//! Versions: wasm-bindgen-cli must equal the `wasm-bindgen` crate in
//! `Cargo.lock` (and `Trunk.toml` pins the same), trunk is pinned here.

use std::path::Path;

use anyhow::{Context, bail};

use crate::shell::Shell;

/// The trunk release this project builds with (0.22 needs a newer rustc).
const TRUNK_VERSION: &str = "0.21.14";
/// binaryen's release for trunk's `wasm-opt` (from npm; `Trunk.toml` pins
/// the same). It strips the apps' name sections, which would otherwise
/// double their download.
const BINARYEN_VERSION: &str = "132";
/// axe-core's release (from npm), which the browser tests inject into every
/// page they check for WCAG 2.1 A/AA violations.
pub const AXE_CORE_VERSION: &str = "4.14.1";
/// The browser target the portal and `shared`'s browser tests build for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Debian's Chromium and its matching ChromeDriver.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// See [`CHROMIUM`].
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What `run` and `test` both need: the wasm32 target, wasm-bindgen and trunk.
pub fn build_tools(shell: &Shell) -> anyhow::Result<()> {
    let wasm_bindgen = wasm_bindgen_version(&shell.root)?;
    check_trunk_pin(&shell.root, &wasm_bindgen)?;
    wasm_target(shell)?;
    cargo_tool(
        shell,
        "wasm-bindgen-cli",
        &wasm_bindgen,
        &["wasm-bindgen", "wasm-bindgen-test-runner"],
        false,
    )?;
    cargo_tool(shell, "trunk", TRUNK_VERSION, &["trunk"], true)?;
    binaryen(shell)
}

/// binaryen from npm (Debian's 108 breaks the page, GitHub is out of
/// reach), into [`Shell::binaryen`], which is on the tools' `PATH`.
fn binaryen(shell: &Shell) -> anyhow::Result<()> {
    let wanted = format!("wasm-opt version {BINARYEN_VERSION} ");
    let installed = |shell: &Shell| {
        shell
            .output_of("wasm-opt", &["--version"])
            .is_some_and(|version| version.starts_with(&wanted))
    };
    if installed(shell) {
        return Ok(());
    }
    if shell.output_of("npm", &["--version"]).is_none() {
        bail!("npm not found: install Node.js and npm (binaryen's wasm-opt comes from npm)");
    }
    println!("    installing binaryen {BINARYEN_VERSION} (wasm-opt) from npm");
    std::fs::create_dir_all(&shell.binaryen)
        .with_context(|| format!("cannot create {}", shell.binaryen.display()))?;
    shell.run(
        shell
            .command("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&shell.binaryen)
            .args(["--no-audit", "--no-fund", "--no-save"])
            .arg(format!("binaryen@{BINARYEN_VERSION}")),
    )?;
    if !installed(shell) {
        bail!("npm installed binaryen but `wasm-opt --version` does not say {wanted:?}");
    }
    Ok(())
}

/// rustfmt and clippy, which rustup's `minimal` profile leaves out.
pub fn lint_tools(shell: &Shell) -> anyhow::Result<()> {
    let missing: Vec<&str> = [("rustfmt", "fmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(_, subcommand)| {
            shell
                .output_of(shell.cargo_program(), &[subcommand, "--version"])
                .is_none()
        })
        .map(|(component, _)| component)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("    installing the Rust components {}", missing.join(", "));
    shell.run(
        shell
            .command("rustup")
            .args(["component", "add"])
            .args(&missing),
    )
}

/// Chromium and ChromeDriver from Debian, and axe-core from npm, for the
/// browser tests.
pub fn browser(shell: &Shell) -> anyhow::Result<()> {
    debian_packages(
        shell,
        &[(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")],
    )?;
    axe_core(shell)
}

/// `axe.min.js` of [`AXE_CORE_VERSION`] (the file the browser tests read,
/// `AXE_CORE` in their environment).
pub fn axe_core_script(shell: &Shell) -> std::path::PathBuf {
    shell
        .axe_core
        .join("node_modules")
        .join("axe-core")
        .join("axe.min.js")
}

/// axe-core from npm into [`Shell::axe_core`], only when missing or at
/// another version.
fn axe_core(shell: &Shell) -> anyhow::Result<()> {
    let package = shell
        .axe_core
        .join("node_modules")
        .join("axe-core")
        .join("package.json");
    let wanted = format!("\"version\": \"{AXE_CORE_VERSION}\"");
    let installed = || {
        std::fs::read_to_string(&package).is_ok_and(|text| text.contains(&wanted))
            && axe_core_script(shell).is_file()
    };
    if installed() {
        return Ok(());
    }
    if shell.output_of("npm", &["--version"]).is_none() {
        bail!(
            "npm not found: install Node.js and npm (the browser tests' axe-core comes from npm)"
        );
    }
    println!("    installing axe-core {AXE_CORE_VERSION} from npm");
    std::fs::create_dir_all(&shell.axe_core)
        .with_context(|| format!("cannot create {}", shell.axe_core.display()))?;
    shell.run(
        shell
            .command("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&shell.axe_core)
            .args(["--no-audit", "--no-fund", "--no-save"])
            .arg(format!("axe-core@{AXE_CORE_VERSION}")),
    )?;
    if !installed() {
        bail!("npm installed axe-core but it is not version {AXE_CORE_VERSION}");
    }
    Ok(())
}

/// wrk (the load generator) and nginx (the yardstick for serving), for the
/// load tests.
pub fn load_tools(shell: &Shell) -> anyhow::Result<()> {
    debian_packages(
        shell,
        &[("/usr/bin/wrk", "wrk"), ("/usr/sbin/nginx", "nginx-light")],
    )
}

/// Installs the Debian packages whose file (the first of each pair) is
/// missing; needs root or password-less sudo.
fn debian_packages(shell: &Shell, packages: &[(&str, &str)]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(file, _)| !Path::new(file).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    println!("    installing {list} from Debian");
    let sudo = match shell.output_of("id", &["-u"]).as_deref() {
        Some("0") => false,
        _ if shell.output_of("sudo", &["-n", "true"]).is_some() => true,
        _ => bail!(
            "{list} missing and installing needs root: \
             run `apt-get install -y {list}` as root, or allow sudo"
        ),
    };
    let mut install = vec!["apt-get", "install", "-y", "--no-install-recommends"];
    install.extend(&missing);
    for args in [&["apt-get", "update"][..], &install[..]] {
        let mut command = if sudo {
            shell.command("sudo")
        } else {
            shell.command(args[0])
        };
        if sudo {
            command.arg(args[0]);
        }
        command
            .args(&args[1..])
            .env("DEBIAN_FRONTEND", "noninteractive");
        shell.run(&mut command)?;
    }
    for (file, _) in packages {
        if !Path::new(file).exists() {
            bail!("apt-get finished but {file} is still missing");
        }
    }
    Ok(())
}

fn wasm_target(shell: &Shell) -> anyhow::Result<()> {
    // Asking rustc's sysroot also works where rustup is missing.
    let sysroot = shell
        .output_of("rustc", &["--print", "sysroot"])
        .context("cannot run `rustc --print sysroot`: is Rust installed?")?;
    if Path::new(&sysroot)
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .exists()
    {
        return Ok(());
    }
    println!("    installing the Rust target {WASM_TARGET}");
    shell.run(shell.command("rustup").args(["target", "add", WASM_TARGET]))
}

/// Installs `package` at `version` with `cargo install` unless every one of
/// its `binaries` already answers `--version` with that version.
fn cargo_tool(
    shell: &Shell,
    package: &str,
    version: &str,
    binaries: &[&str],
    locked: bool,
) -> anyhow::Result<()> {
    let missing: Vec<&str> = binaries
        .iter()
        .copied()
        .filter(|binary| installed_version(shell, binary).as_deref() != Some(version))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!(
        "    installing {package} {version} (missing or other version: {})",
        missing.join(", ")
    );
    let mut command = shell.cargo();
    command
        .args(["install", package, "--version", version, "--force"])
        // These tools need not be as fast as possible, the CI run must: trunk's
        // own profile (fat LTO, one codegen unit) makes its install take
        // minutes longer on one busy core at the end.
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
    if locked {
        command.arg("--locked");
    }
    shell.run(&mut command)?;
    for binary in binaries {
        let found = installed_version(shell, binary);
        if found.as_deref() != Some(version) {
            bail!(
                "after installing {package} {version}, `{binary} --version` reports {} \
                 (is another {binary} earlier on PATH than {}?)",
                found.as_deref().unwrap_or("nothing"),
                shell.cargo_bin.display()
            );
        }
    }
    Ok(())
}

/// `trunk 0.21.14` -> `0.21.14`.
fn installed_version(shell: &Shell, binary: &str) -> Option<String> {
    let output = shell.output_of(binary, &["--version"])?;
    output.split_whitespace().nth(1).map(str::to_string)
}

/// The version of the `wasm-bindgen` crate in `Cargo.lock`.
pub fn wasm_bindgen_version(root: &Path) -> anyhow::Result<String> {
    let lock_path = root.join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("cannot read {}", lock_path.display()))?;
    lock_package_version(&lock, "wasm-bindgen").context("Cargo.lock has no `wasm-bindgen` package")
}

/// Finds `version = "..."` of the `[[package]]` named `name` in a lock file.
fn lock_package_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    lock.split("[[package]]").find_map(|block| {
        let mut lines = block.lines().map(str::trim);
        lines.any(|line| line == wanted).then_some(())?;
        block
            .lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix("version = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .map(str::to_string)
    })
}

/// `Trunk.toml`'s `[tools] wasm_bindgen` must equal the lock file's version:
/// otherwise trunk ignores the installed wasm-bindgen and tries to download one.
fn check_trunk_pin(root: &Path, lock_version: &str) -> anyhow::Result<()> {
    let path = root.join("Trunk.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let pinned = text.lines().map(str::trim).find_map(|line| {
        let value = line
            .strip_prefix("wasm_bindgen")?
            .trim_start()
            .strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_string())
    });
    match pinned {
        Some(pinned) if pinned == lock_version => Ok(()),
        Some(pinned) => bail!(
            "Trunk.toml pins wasm_bindgen = \"{pinned}\" but Cargo.lock has wasm-bindgen {lock_version}: \
             set `wasm_bindgen = \"{lock_version}\"` under [tools] in Trunk.toml"
        ),
        None => bail!("Trunk.toml lacks `wasm_bindgen = \"{lock_version}\"` under [tools]"),
    }
}

#[cfg(test)]
mod tests {
    use super::lock_package_version;

    #[test]
    fn lock_version_is_read_from_the_named_package_only() {
        let lock = r#"
[[package]]
name = "wasm-bindgen-futures"
version = "0.4.80"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        assert_eq!(
            lock_package_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(lock_package_version(lock, "trunk"), None);
    }
}
