//! The browser verifier (`/bundles`, no log-in): the server's bundles
//! verify in the browser with the server's published keys; a tampered
//! bundle dropped on the page is shown invalid, with the reason.

use std::time::Duration;

use api::distribution::seed::{self, SeedOptions};

use crate::support::{Backend, browser_test};

/// Verifying every bundle of three days takes longer than a page's usual patience.
const LOADING: Duration = Duration::from_secs(60);

#[tokio::test]
async fn the_servers_bundles_verify_and_a_tampered_bundle_is_invalid_with_its_reason() {
    browser_test(Backend::Warn, |page| async move {
        let now = api::clock::now();
        let options = SeedOptions {
            cases: 12,
            days: 2,
            now,
            country: "DE".into(),
        };
        let keys = seed::generate(&options, &mut fastrand::Rng::with_seed(7));
        api::submission::store::insert_keys(page.db()?, &keys).await?;
        let report = page.distribute(now).await?;
        anyhow::ensure!(report.bundles > 0, "the run made no bundle: {report:?}");

        page.open("/bundles").await?;
        page.heading("Schlüsselpakete prüfen").await?;
        page.wait_for_text(
            "the key line",
            "//p[contains(., 'Schlüssel vom Server')]",
            LOADING,
            |text| text.contains("DE v1 (aktiv)"),
        )
        .await?;
        page.button("Pakete laden und prüfen")
            .await?
            .click()
            .await?;
        // The button is enabled again when every bundle is checked.
        page.wait_for_text(
            "the load button",
            "//button[normalize-space(.)='Pakete laden und prüfen'][not(@disabled)]",
            LOADING,
            |_| true,
        )
        .await?;
        let statuses = page
            .texts("//article[@class='bundle']/p[contains(@class, 'bundle__status')]")
            .await?;
        // The page checks the bundles of the region it shows (the first of
        // the index, `DE`); the run made as many again for `EUR`, which holds
        // the same keys when none came from abroad.
        anyhow::ensure!(
            statuses.len() as u64 * 2 == report.bundles,
            "{} results for {} bundles of DE and EUR: {statuses:?}",
            statuses.len(),
            report.bundles
        );
        anyhow::ensure!(
            statuses
                .iter()
                .all(|status| status == "gültig, signiert mit Schlüssel DE Version v1"),
            "{statuses:?}"
        );
        let counts = page
            .texts("//article[@class='bundle']//dd[@class='bundle__keys']")
            .await?;
        let total: u64 = counts
            .iter()
            .filter_map(|count| count.parse::<u64>().ok())
            .sum();
        anyhow::ensure!(total > 0, "no bundle shows keys: {counts:?}");
        // The charts are drawn (inline SVG, one bar per level or type).
        let charts = page
            .texts("//article[@class='bundle']//figure[@class='chart']/figcaption")
            .await?;
        anyhow::ensure!(
            charts
                .iter()
                .any(|caption| caption == "Übertragungsrisiko (TRL)"),
            "{charts:?}"
        );

        // A daily bundle, one byte of export.bin changed, dropped on the page.
        let bundle = crate::support::tampered_daily_bundle(page.base_url()).await?;
        let tampered = &bundle.path;
        page.field("Datei auswählen")
            .await?
            .send_keys(&tampered.display().to_string())
            .await?;
        let status = page
            .wait_for_text(
                "the tampered bundle's status",
                "//article[@aria-label='tampered.zip']/p[contains(@class, 'bundle__status')]",
                LOADING,
                |text| !text.is_empty(),
            )
            .await?;
        anyhow::ensure!(
            status.starts_with(
                "ungültig: die Signatur passt nicht (Schlüssel-ID \"DE\", Version \"v1\")"
            ),
            "{status:?}"
        );

        // The same in English.
        page.button("English").await?.click().await?;
        let status = page
            .wait_for_text(
                "the tampered bundle's status in English",
                "//article[@aria-label='tampered.zip']/p[contains(@class, 'bundle__status')]",
                LOADING,
                |text| text.starts_with("invalid"),
            )
            .await?;
        anyhow::ensure!(
            status == "invalid: the signature does not match (key id \"DE\", version \"v1\")",
            "{status:?}"
        );
        Ok(())
    })
    .await;
}
