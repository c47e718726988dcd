//! ChromeDriver and a WebDriver session with headless Chromium.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder};
use tempfile::TempDir;

use super::{PATIENCE, Tools};

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
pub(super) struct Browser {
    pub(super) client: Client,
    _driver: ChromeDriver,
    _profile: TempDir,
}

impl Browser {
    pub(super) async fn start(tools: &Tools) -> anyhow::Result<Self> {
        let driver = ChromeDriver::start(&tools.chromedriver).await?;
        let profile = tempfile::tempdir()?;
        // --no-sandbox: the tests may run as root. The networking switches stop
        // Chromium from dialling out to services this machine cannot reach.
        // The browser's languages are German, as a German user's (the pages
        // take their first language from them); tests of English set theirs.
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
                    "--lang=de-DE",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": "de-DE,de" },
            },
            // The browser's console, for `Page::console` (ChromeDriver's
            // log of type "browser").
            "goog:loggingPrefs": { "browser": "ALL" },
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
        // axe-core on a long page (every bundle of a run, a page of 50
        // teleTANs) takes more than ChromeDriver's 30 s for a script when
        // the machine is busy with builds.
        client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                Some(Duration::from_secs(120)),
                None,
                None,
            ))
            .await
            .context("cannot set the script timeout")?;
        Ok(Self {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    pub(super) async fn close(self) {
        if let Err(error) = self.client.close().await {
            eprintln!("closing the WebDriver session failed: {error}");
        }
    }
}
