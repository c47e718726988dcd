//! The portal in the browser, as a person finds things on it.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use super::PATIENCE;

/// The portal in the browser, found the way a person finds things: headings
/// by their text, regions by their role, links by their label.
pub struct Page {
    client: Client,
    base_url: String,
    db: Option<api::db::Db>,
    distribution: Option<api::distribution::Distribution>,
    /// axe-core's `axe.min.js`, when found (see [`Page::axe`]).
    axe: Option<std::sync::Arc<String>>,
}

impl Page {
    pub(super) fn new(
        client: Client,
        base_url: String,
        db: Option<api::db::Db>,
        distribution: Option<api::distribution::Distribution>,
        axe: Option<std::sync::Arc<String>>,
    ) -> Self {
        Self {
            client,
            base_url,
            db,
            distribution,
            axe,
        }
    }

    /// Runs the server's distribution as of `now` (unix seconds) and
    /// serves what it published, as the hourly run does.
    pub async fn distribute(&self, now: i64) -> anyhow::Result<api::distribution::run::RunReport> {
        let distribution = self
            .distribution
            .as_ref()
            .context("this test runs without the real server")?;
        distribution
            .run_and_reload(now)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))
    }

    /// The tab shown now.
    pub async fn current_tab(&self) -> anyhow::Result<fantoccini::wd::WindowHandle> {
        Ok(self.client.window().await?)
    }

    /// Opens a new tab and shows it.
    pub async fn new_tab(&self) -> anyhow::Result<fantoccini::wd::WindowHandle> {
        let tab = self.client.new_window(true).await?.handle;
        self.client.switch_to_window(tab.clone()).await?;
        Ok(tab)
    }

    /// Shows `tab`.
    pub async fn switch_to(&self, tab: &fantoccini::wd::WindowHandle) -> anyhow::Result<()> {
        Ok(self.client.switch_to_window(tab.clone()).await?)
    }

    /// The texts of every element `xpath` finds now (no waiting).
    pub async fn texts(&self, xpath: &str) -> anyhow::Result<Vec<String>> {
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::XPath(xpath)).await? {
            texts.push(element.text().await?);
        }
        Ok(texts)
    }

    /// Waits until the element `xpath` finds shows text for which `done`
    /// holds, and returns the text.
    pub async fn wait_for_text(
        &self,
        what: &str,
        xpath: &str,
        patience: Duration,
        done: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + patience;
        let mut last = None;
        loop {
            // An element the page replaces between the two calls is stale:
            // look again.
            if let Ok(element) = self.client.find(Locator::XPath(xpath)).await
                && let Ok(text) = element.text().await
            {
                if done(&text) {
                    return Ok(text);
                }
                last = Some(text);
            }
            if Instant::now() >= deadline {
                bail!(
                    "after {patience:?}, {what} shows {}",
                    last.map_or("nothing (not found)".to_string(), |text| format!(
                        "{text:?}"
                    ))
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `http://127.0.0.1:PORT` of the server, for calls a phone would make.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The server's database, to arrange what no page does (the first user).
    pub fn db(&self) -> anyhow::Result<&api::db::Db> {
        self.db
            .as_ref()
            .context("this test runs without the real server")
    }

    /// Waits until the input labelled exactly `label` is visible.
    pub async fn field(&self, label: &str) -> anyhow::Result<Element> {
        let label = xpath_literal(label);
        let xpath = format!(
            "//*[self::input or self::select or self::textarea]\
             [@id=//label[normalize-space(.)={label}]/@for or @aria-label={label}]"
        );
        self.visible(&format!("field {label}"), &xpath).await
    }

    /// Types `text` into the field labelled `label` (after clearing it).
    pub async fn fill(&self, label: &str, text: &str) -> anyhow::Result<()> {
        let field = self.field(label).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Waits until a button with exactly this text is visible and enabled.
    pub async fn button(&self, name: &str) -> anyhow::Result<Element> {
        let xpath = format!(
            "//button[normalize-space(.)={}][not(@disabled)]",
            xpath_literal(name)
        );
        self.visible(&format!("button \"{name}\""), &xpath).await
    }

    /// Waits until an element whose ARIA label is `label` shows text, and
    /// returns the text.
    pub async fn labelled_text(&self, label: &str) -> anyhow::Result<String> {
        let xpath = format!("//*[@aria-label={}]", xpath_literal(label));
        let element = self
            .visible(&format!("element labelled {label:?}"), &xpath)
            .await?;
        Ok(element.text().await?)
    }

    /// Waits until the text of the element found by `xpath` is not empty.
    pub async fn text_at(&self, what: &str, xpath: &str) -> anyhow::Result<String> {
        Ok(self.visible(what, xpath).await?.text().await?)
    }

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

    /// Waits until an element with ARIA role `role` (any of them: a page
    /// may hold several status lines) shows text for which `done` holds,
    /// and returns that text.
    pub async fn role_text(
        &self,
        role: &str,
        done: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let xpath = format!("//*[@role={}]", xpath_literal(role));
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut seen = Vec::new();
            for element in self.client.find_all(Locator::XPath(&xpath)).await? {
                // An element the page replaced meanwhile is skipped.
                if let Ok(text) = element.text().await {
                    if done(&text) {
                        return Ok(text);
                    }
                    seen.push(text);
                }
            }
            if Instant::now() >= deadline {
                bail!("after {PATIENCE:?}, the {role} regions show {seen:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` until its answer satisfies `done` (the page may
    /// change after its next render), and returns that answer.
    pub async fn wait_for_script(
        &self,
        what: &str,
        script: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> anyhow::Result<serde_json::Value> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let answer = self.script(script).await?;
            if done(&answer) {
                return Ok(answer);
            }
            if Instant::now() >= deadline {
                bail!("after {PATIENCE:?}, {what} is {answer}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the element with id `id` shows text for which `done`
    /// holds, and returns that text.
    pub async fn text_of(&self, id: &str, done: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        let xpath = format!("//*[@id={}]", xpath_literal(id));
        self.wait_for_text(&format!("#{id}"), &xpath, PATIENCE, done)
            .await
    }

    /// The element with id `id` (visible), e.g. a file input.
    pub async fn by_id(&self, id: &str) -> anyhow::Result<Element> {
        let xpath = format!("//*[@id={}]", xpath_literal(id));
        self.visible(&format!("#{id}"), &xpath).await
    }

    /// What has the keyboard focus, named as a person sees it: a field by
    /// its label, anything else by its text.
    pub async fn focused(&self) -> anyhow::Result<String> {
        let name = self
            .script(
                "const element = document.activeElement; \
                 if (!element) return ''; \
                 const label = element.labels && element.labels.length \
                     ? element.labels[0] : element; \
                 return label.textContent.trim();",
            )
            .await?;
        Ok(name.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until the keyboard focus is on what [`Page::focused`] names
    /// `name` (the page may move it after its next render).
    pub async fn focus_is_on(&self, name: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let focused = self.focused().await?;
            if focused == name {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("after {PATIENCE:?}, the focus is on {focused:?}, not on {name:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `text` where the keyboard focus is (as a person types without
    /// clicking first).
    pub async fn type_here(&self, text: &str) -> anyhow::Result<()> {
        self.client.active_element().await?.send_keys(text).await?;
        Ok(())
    }

    /// Presses Tab: the keyboard focus moves to what comes next.
    pub async fn press_tab(&self) -> anyhow::Result<()> {
        self.type_here("\u{e004}").await
    }

    /// Presses Enter where the keyboard focus is.
    pub async fn press_enter(&self) -> anyhow::Result<()> {
        self.client
            .active_element()
            .await?
            .send_keys("\u{e007}")
            .await?;
        Ok(())
    }

    /// Runs `script` in the page (for measurements the page cannot show).
    pub async fn script(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        Ok(self.client.execute(script, Vec::new()).await?)
    }

    /// Sends the DevTools command `cmd` with `params` to the page's tab
    /// (ChromeDriver's `goog/cdp/execute`), e.g. to emulate print media.
    pub async fn cdp(
        &self,
        cmd: &str,
        params: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let answer = self
            .client
            .issue_cmd(ChromeDriverPost {
                path: "goog/cdp/execute",
                body: serde_json::json!({ "cmd": cmd, "params": params }),
            })
            .await
            .with_context(|| format!("the DevTools command {cmd} failed"))?;
        Ok(answer)
    }

    /// What the browser's console received since the last call (ChromeDriver
    /// hands each entry out once): `(level, message)`, the level as
    /// ChromeDriver names it (`SEVERE` for errors and failed requests,
    /// `WARNING`, `INFO`).
    pub async fn console(&self) -> anyhow::Result<Vec<(String, String)>> {
        let answer = self
            .client
            .issue_cmd(ChromeDriverPost {
                path: "se/log",
                body: serde_json::json!({ "type": "browser" }),
            })
            .await
            .context("ChromeDriver did not hand out the browser's log")?;
        let entries: Vec<serde_json::Value> = serde_json::from_value(answer)?;
        Ok(entries
            .into_iter()
            .map(|entry| {
                let text = |key: &str| entry[key].as_str().unwrap_or_default().to_owned();
                (text("level"), text("message"))
            })
            .collect())
    }

    /// The URLs the page has requested since it loaded (the browser's
    /// resource timing entries: scripts, WebAssembly, API calls).
    pub async fn requested_urls(&self) -> anyhow::Result<Vec<String>> {
        let answer = self
            .script("return performance.getEntriesByType('resource').map(entry => entry.name);")
            .await?;
        Ok(serde_json::from_value(answer)?)
    }

    /// Shows the page as a phone 390×844 px screen would (`Some`), or as
    /// the desktop window again (`None`).
    pub async fn phone_screen(&self, on: bool) -> anyhow::Result<()> {
        if on {
            self.cdp(
                "Emulation.setDeviceMetricsOverride",
                serde_json::json!({
                    "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true
                }),
            )
            .await?;
        } else {
            self.cdp(
                "Emulation.clearDeviceMetricsOverride",
                serde_json::json!({}),
            )
            .await?;
        }
        Ok(())
    }

    /// Moves the mouse pointer over `element` (its `:hover` style applies).
    pub async fn hover(&self, element: &Element) -> anyhow::Result<()> {
        use fantoccini::actions::{InputSource, MouseActions, PointerAction};
        let actions = MouseActions::new("mouse".to_owned()).then(PointerAction::MoveToElement {
            element: element.clone(),
            duration: None,
            x: 0.0,
            y: 0.0,
        });
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// The page printed to PDF (A4), as the browser's print dialog would.
    pub async fn print_pdf(&self) -> anyhow::Result<Vec<u8>> {
        // Not shrunk to fit: the sheet's own size decides the pages.
        let configuration = fantoccini::wd::PrintConfiguration::builder()
            .size(fantoccini::wd::PrintSize::A4)
            .shrink_to_fit(false)
            .build()
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        Ok(self.client.print(configuration).await?)
    }

    /// Saves what the browser shows as `folder/name.png`.
    pub async fn screenshot_to(&self, folder: &std::path::Path, name: &str) -> anyhow::Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::create_dir_all(folder)?;
        std::fs::write(folder.join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// Forgets the cookies (the session): the next page is a stranger's.
    pub async fn forget_cookies(&self) -> anyhow::Result<()> {
        Ok(self.client.delete_all_cookies().await?)
    }

    /// Runs axe-core on the page as it is now and fails on any WCAG 2.1
    /// A or AA violation, naming each. `state` says which page state this
    /// is, for the message. Without axe-core (outside CI) it says so and
    /// checks nothing.
    pub async fn axe(&self, state: &str) -> anyhow::Result<()> {
        let Some(axe) = &self.axe else {
            eprintln!("axe-core not found: {state} not checked for WCAG violations");
            return Ok(());
        };
        // The script is sent with the call (WebDriver scripts are not
        // subject to the page's Content-Security-Policy).
        let script = format!(
            "const done = arguments[arguments.length - 1];\n\
             if (!window.axe) {{ {axe}\n }}\n\
             window.axe.run(document, {{ runOnly: {{ type: 'tag', values: \
             ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }}, resultTypes: ['violations'] }})\
             .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' \
             + v.nodes.map(n => n.target.join(' ')).join(', '))))\
             .catch(e => done(['axe failed: ' + e]));"
        );
        let answer = self.client.execute_async(&script, Vec::new()).await?;
        let violations: Vec<String> = serde_json::from_value(answer)?;
        anyhow::ensure!(
            violations.is_empty(),
            "axe-core finds WCAG 2.1 A/AA violations on {state}:\n{}",
            violations.join("\n")
        );
        Ok(())
    }

    /// Waits until the element `xpath` finds is visible.
    pub async fn visible_xpath(&self, what: &str, xpath: &str) -> anyhow::Result<Element> {
        self.visible(what, xpath).await
    }

    async fn visible(&self, what: &str, xpath: &str) -> anyhow::Result<Element> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            // An element the page replaces between the two calls is stale:
            // look again, as for one not there yet.
            if let Ok(element) = self.client.find(Locator::XPath(xpath)).await
                && matches!(element.is_displayed().await, Ok(true))
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

/// A ChromeDriver extension command, `POST /session/{id}/PATH` with a JSON
/// body: `goog/cdp/execute` (one DevTools command for the session's tab)
/// and `se/log` (the console entries collected since the last call, which
/// the session asks for with `goog:loggingPrefs`).
#[derive(Debug)]
struct ChromeDriverPost {
    path: &'static str,
    body: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for ChromeDriverPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}
