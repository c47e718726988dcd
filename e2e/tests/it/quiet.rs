//! The public pages make no noise a developer would take for a fault:
//! they ask for no portal session (the verifier has no log-in; the
//! question was answered 401 on every visit), the browser's console shows
//! no error, and the verifier's worker starts the way wasm-bindgen
//! expects (its glue logged a deprecation warning when trunk's loader shim
//! started it).

use std::time::Duration;

use api::distribution::seed::{self, SeedOptions};

use crate::support::{Backend, Page, browser_test};

/// The worker verifies the published configuration: more than a page's
/// usual patience on a busy machine.
const VERIFYING: Duration = Duration::from_secs(60);

/// Seeds a day of keys and publishes them with the configurations.
async fn publish(page: &Page) -> anyhow::Result<()> {
    let now = api::clock::now();
    let options = SeedOptions {
        cases: 4,
        days: 1,
        now,
        country: "DE".into(),
    };
    let keys = seed::generate(&options, &mut fastrand::Rng::with_seed(5));
    api::submission::store::insert_keys(page.db()?, &keys).await?;
    page.distribute(now).await?;
    Ok(())
}

/// Waits until `/risk` says the server's configuration verified (its
/// worker has started and answered).
async fn configuration_verified(page: &Page) -> anyhow::Result<()> {
    page.wait_for_text(
        "the configuration's status",
        "//p[@role='status'][contains(@class, 'bundle__status')]",
        VERIFYING,
        |text| text.starts_with("gültig, signiert"),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn public_pages_ask_for_no_session_and_log_no_error() {
    browser_test(Backend::Warn, |page| async move {
        publish(&page).await?;
        for (path, heading) in [
            ("/bundles", "Schlüsselpakete prüfen"),
            ("/risk", "Konfiguration und Risiko"),
            ("/phone", "Telefon-Simulator"),
        ] {
            page.console().await?;
            page.open(path).await?;
            page.heading(heading).await?;
            if path == "/risk" {
                configuration_verified(&page).await?;
            }
            // Time for whatever the page asks at start.
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            let asked: Vec<String> = page
                .requested_urls()
                .await?
                .into_iter()
                .filter(|url| url.contains("/api/v1/portal/"))
                .collect();
            anyhow::ensure!(asked.is_empty(), "{path} asks the portal's API: {asked:?}");
            let errors: Vec<String> = page
                .console()
                .await?
                .into_iter()
                .filter(|(level, _)| level == "SEVERE")
                .map(|(_, message)| message)
                .collect();
            anyhow::ensure!(
                errors.is_empty(),
                "{path} logs errors in the console: {errors:?}"
            );
            // The header still offers the log-in.
            page.link("Anmelden").await?;
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_verifier_worker_starts_without_a_deprecation_warning() {
    browser_test(Backend::Warn, |page| async move {
        publish(&page).await?;
        page.console().await?;
        page.open("/risk").await?;
        page.heading("Konfiguration und Risiko").await?;
        configuration_verified(&page).await?;
        // ChromeDriver's log holds the worker's console too, each entry
        // starting with the script that wrote it.
        let console = page.console().await?;
        let from_the_worker: Vec<&(String, String)> = console
            .iter()
            .filter(|(_, message)| {
                message.contains("verifier-worker") || message.contains("deprecated")
            })
            .collect();
        anyhow::ensure!(
            from_the_worker.is_empty(),
            "starting the worker logs: {from_the_worker:?}"
        );
        Ok(())
    })
    .await;
}
