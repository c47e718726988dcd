//! The test harness: what is needed and where it is ([`Tools`]), what serves
//! the portal ([`server`]), ChromeDriver and a browser session ([`browser`]),
//! and the page as a person sees it ([`page`]).

mod browser;
mod page;
pub mod portal;
mod server;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use browser::Browser;
pub use page::Page;
pub use server::Backend;
use server::TestApp;

/// How long a page (or ChromeDriver) gets to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(10);

/// Starts `backend` and a browser, runs `steps` against the page, closes the
/// browser (also when the steps fail or panic), then fails the test if the
/// steps did. Skips when the browser or the built portal is missing, except
/// under `CI=true`.
pub async fn browser_test<F, Fut>(backend: Backend, steps: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let tools = match Tools::find() {
        Ok(tools) => tools,
        Err(reason) if running_in_ci() => panic!("browser test cannot run under CI=true: {reason}"),
        Err(reason) => {
            eprintln!("skipped: {reason}");
            return;
        }
    };
    let app = match backend {
        Backend::Warn => TestApp::spawn(&tools.portal_dir).await,
        Backend::PortalFilesOnly => TestApp::spawn_files_only(&tools.portal_dir).await,
    }
    .expect("the server starts");
    let browser = Browser::start(&tools)
        .await
        .expect("Chromium starts under ChromeDriver");
    let page = Page::new(
        browser.client.clone(),
        app.base_url(),
        app.db(),
        app.distribution(),
        tools.axe.clone(),
    );
    // A task of its own, so that a panic in the steps still lets us close the
    // session; otherwise Chromium outlives the test.
    let outcome = tokio::spawn(steps(page)).await;
    if !matches!(outcome, Ok(Ok(()))) {
        save_screenshot(&browser.client).await;
    }
    browser.close().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(error)) => panic!("{error:#}"),
        Err(panic) => std::panic::resume_unwind(panic.into_panic()),
    }
}

/// Saves what the browser shows to `target/e2e-screenshots/<test>.png`
/// (the test's name is its thread's name), and says where.
async fn save_screenshot(client: &fantoccini::Client) {
    let test = std::thread::current()
        .name()
        .unwrap_or("browser-test")
        .replace("::", "-");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
    let saved = async {
        let png = client.screenshot().await?;
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{test}.png"));
        std::fs::write(&path, png)?;
        anyhow::Ok(path)
    };
    match saved.await {
        Ok(path) => eprintln!("screenshot of the failure: {}", path.display()),
        Err(error) => eprintln!("no screenshot of the failure: {error:#}"),
    }
}

fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true" || value == "1")
}

/// The programs and files a browser test needs.
pub struct Tools {
    chromedriver: PathBuf,
    chromium: PathBuf,
    portal_dir: PathBuf,
    /// axe-core's script; `None` outside CI when it is not installed.
    axe: Option<std::sync::Arc<String>>,
}

impl Tools {
    /// Finds everything, or says what is missing.
    fn find() -> Result<Self, String> {
        let workspace_root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("e2e lives one level below the workspace root");
        let portal_dir = workspace_root.join("dist");
        // Both apps: the staff portal and the public verifier.
        for page in [
            portal_dir.join("index.html"),
            portal_dir.join("verifier").join("index.html"),
        ] {
            if !page.is_file() {
                return Err(format!(
                    "{} is missing: build the apps first (`cargo xtask build`)",
                    page.display()
                ));
            }
        }
        let chromedriver = program("CHROMEDRIVER", &["chromedriver"]).ok_or(
            "chromedriver not found (set CHROMEDRIVER or install Debian's chromium-driver)",
        )?;
        let chromium = program(
            "CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        )
        .ok_or("chromium not found (set CHROMIUM or install Debian's chromium)")?;
        let axe = match axe_core() {
            Ok(script) => Some(std::sync::Arc::new(script)),
            Err(reason) if running_in_ci() => return Err(reason),
            Err(reason) => {
                eprintln!("{reason}: pages are not checked with axe-core");
                None
            }
        };
        Ok(Self {
            chromedriver,
            chromium,
            portal_dir,
            axe,
        })
    }
}

/// axe-core's `axe.min.js`: the file `AXE_CORE` names, else where
/// `cargo xtask test` installs it (`~/.cache/warn-tools/axe-core`).
fn axe_core() -> Result<String, String> {
    let path = match std::env::var_os("AXE_CORE") {
        Some(path) => PathBuf::from(path),
        None => {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
                .ok_or("neither XDG_CACHE_HOME nor HOME is set")?;
            cache.join("warn-tools/axe-core/node_modules/axe-core/axe.min.js")
        }
    };
    std::fs::read_to_string(&path).map_err(|error| {
        format!(
            "axe-core not found at {} ({error}; `cargo xtask test` installs it, or set AXE_CORE)",
            path.display()
        )
    })
}

/// The path in the environment variable `variable`, else the first of
/// `names` found on `PATH`.
fn program(variable: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable) {
        return Some(PathBuf::from(path)).filter(|path| path.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The first daily bundle a server publishes for `DE`, and a copy with
/// the last byte of its `export.bin` flipped, written as `tampered.zip`.
pub struct TamperedBundle {
    /// The temporary folder holding `path` (the file lives as long as it).
    pub folder: tempfile::TempDir,
    /// The bundle's date, as the index names it.
    pub date: String,
    /// The bundle as served.
    pub original: Vec<u8>,
    /// `tampered.zip` in `folder`.
    pub path: PathBuf,
}

/// Downloads the first daily `DE` bundle of the server at `base` and
/// writes its tampered copy ([`TamperedBundle`]).
pub async fn tampered_daily_bundle(base: &str) -> anyhow::Result<TamperedBundle> {
    use anyhow::Context;
    let dates: Vec<String> =
        reqwest::get(format!("{base}/version/v1/diagnosis-keys/country/DE/date"))
            .await?
            .json()
            .await?;
    let date = dates.first().context("no date is published")?.clone();
    let original = reqwest::get(format!(
        "{base}/version/v1/diagnosis-keys/country/DE/date/{date}"
    ))
    .await?
    .bytes()
    .await?
    .to_vec();
    let archive = shared::bundle::archive::read_archive(&original)?;
    let mut bin = archive.bin;
    let last = bin.len().checked_sub(1).context("an empty export.bin")?;
    bin[last] ^= 0x01;
    let folder = tempfile::tempdir()?;
    let path = folder.path().join("tampered.zip");
    std::fs::write(
        &path,
        shared::bundle::archive::write_archive(&bin, &archive.sig),
    )?;
    Ok(TamperedBundle {
        folder,
        date,
        original,
        path,
    })
}
