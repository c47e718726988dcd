//! The test harness: what is needed and where it is ([`Tools`]), the server
//! ([`TestApp`], or only the portal's files: [`Backend`]), ChromeDriver and a
//! browser session ([`Browser`]), and the page as a person sees it ([`Page`]).

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use tempfile::TempDir;
use tokio::sync::oneshot;

/// How long a page gets to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(10);

/// What serves the portal in a test.
pub enum Backend {
    /// The real server: API and portal.
    Warn,
    /// Only the portal's files, as a misconfigured proxy or a static host
    /// would serve them: every API request fails.
    PortalFilesOnly,
}

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
    let page = Page {
        client: browser.client.clone(),
        base_url: format!("http://{}", app.address),
    };
    // A task of its own, so that a panic in the steps still lets us close the
    // session; otherwise Chromium outlives the test.
    let outcome = tokio::spawn(steps(page)).await;
    browser.close().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(error)) => panic!("{error:#}"),
        Err(panic) => std::panic::resume_unwind(panic.into_panic()),
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
}

impl Tools {
    /// Finds everything, or says what is missing.
    fn find() -> Result<Self, String> {
        let workspace_root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("e2e lives one level below the workspace root");
        let portal_dir = workspace_root.join("dist");
        if !portal_dir.join("index.html").is_file() {
            return Err(format!(
                "{} is missing: build the portal first (`trunk build --release`, or `cargo xtask test`)",
                portal_dir.join("index.html").display()
            ));
        }
        let chromedriver = program("CHROMEDRIVER", &["chromedriver"]).ok_or(
            "chromedriver not found (set CHROMEDRIVER or install Debian's chromium-driver)",
        )?;
        let chromium = program(
            "CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        )
        .ok_or("chromium not found (set CHROMIUM or install Debian's chromium)")?;
        Ok(Self {
            chromedriver,
            chromium,
            portal_dir,
        })
    }
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

/// A server on a free port; stops when dropped.
pub struct TestApp {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    _data_dir: Option<TempDir>,
}

impl TestApp {
    /// The real server, started the way `warn serve` starts it, with an
    /// empty SQLite database in a temporary folder.
    async fn spawn(portal_dir: &Path) -> anyhow::Result<Self> {
        let data_dir = tempfile::tempdir()?;
        let mut config = api::config::ServerConfig::new(
            "127.0.0.1:0".parse()?,
            api::config::StorageConfig {
                data_dir: data_dir.path().to_path_buf(),
                database_url: None,
            },
        );
        config.portal_dir = Some(portal_dir.to_path_buf());
        let app = api::server::Application::build(config).await?;
        let address = app.address();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            address,
            shutdown: Some(shutdown),
            _data_dir: Some(data_dir),
        })
    }

    /// A plain file server for the portal folder, without the API.
    async fn spawn_files_only(portal_dir: &Path) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let files =
            axum::Router::new().fallback_service(tower_http::services::ServeDir::new(portal_dir));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = axum::serve(listener, files).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        tokio::spawn(server.into_future());
        Ok(Self {
            address,
            shutdown: Some(shutdown),
            _data_dir: None,
        })
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A ChromeDriver process; killed when dropped.
struct ChromeDriver {
    process: Child,
    url: String,
}

impl ChromeDriver {
    async fn start(program: &Path) -> anyhow::Result<Self> {
        // The free port is only known to be free when we ask; another
        // process may take it before ChromeDriver binds it, so try again.
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let process = Command::new(program)
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("cannot start {}", program.display()))?;
            let mut driver = Self {
                process,
                url: format!("http://127.0.0.1:{port}"),
            };
            let deadline = Instant::now() + PATIENCE;
            while Instant::now() < deadline {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    return Ok(driver);
                }
                if driver.process.try_wait()?.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        bail!("{} did not start listening", program.display())
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A WebDriver session with headless Chromium.
struct Browser {
    client: Client,
    _driver: ChromeDriver,
    _profile: TempDir,
}

impl Browser {
    async fn start(tools: &Tools) -> anyhow::Result<Self> {
        let driver = ChromeDriver::start(&tools.chromedriver).await?;
        let profile = tempfile::tempdir()?;
        // --no-sandbox: the tests may run as root. The networking switches stop
        // Chromium from dialling out to services this machine cannot reach.
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": tools.chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--window-size=1280,800",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("json! of an object is an object")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .context("cannot open a WebDriver session")?;
        Ok(Self {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    async fn close(self) {
        if let Err(error) = self.client.close().await {
            eprintln!("closing the WebDriver session failed: {error}");
        }
    }
}

/// The portal in the browser, found the way a person finds things: headings
/// by their text, regions by their role, links by their label.
pub struct Page {
    client: Client,
    base_url: String,
}

impl Page {
    /// Opens `path` on the test server.
    pub async fn open(&self, path: &str) -> anyhow::Result<()> {
        let url = format!("{}{path}", self.base_url);
        self.client
            .goto(&url)
            .await
            .with_context(|| format!("cannot open {url}"))
    }

    /// Waits until a heading with exactly this text is visible.
    pub async fn heading(&self, name: &str) -> anyhow::Result<Element> {
        let xpath = format!(
            "//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6 \
             or @role='heading'][normalize-space(.)={}]",
            xpath_literal(name)
        );
        self.visible(&format!("heading \"{name}\""), &xpath).await
    }

    /// Waits until a link with exactly this text is visible.
    pub async fn link(&self, name: &str) -> anyhow::Result<Element> {
        let xpath = format!("//a[@href][normalize-space(.)={}]", xpath_literal(name));
        self.visible(&format!("link \"{name}\""), &xpath).await
    }

    /// Waits until the element with ARIA role `role` shows text for which
    /// `done` holds, and returns that text.
    pub async fn role_text(
        &self,
        role: &str,
        done: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let xpath = format!("//*[@role={}]", xpath_literal(role));
        let deadline = Instant::now() + PATIENCE;
        let mut last = None;
        loop {
            if let Ok(element) = self.client.find(Locator::XPath(&xpath)).await {
                let text = element.text().await?;
                if done(&text) {
                    return Ok(text);
                }
                last = Some(text);
            }
            if Instant::now() >= deadline {
                bail!(
                    "after {PATIENCE:?}, the {role} region shows {}",
                    last.map_or("nothing (not found)".to_string(), |text| format!(
                        "{text:?}"
                    ))
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn visible(&self, what: &str, xpath: &str) -> anyhow::Result<Element> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(element) = self.client.find(Locator::XPath(xpath)).await
                && element.is_displayed().await?
            {
                return Ok(element);
            }
            if Instant::now() >= deadline {
                let source = self.client.source().await.unwrap_or_default();
                bail!("no visible {what} after {PATIENCE:?}; the page is:\n{source}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `text` as an XPath string literal (XPath 1.0 has no escapes).
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
