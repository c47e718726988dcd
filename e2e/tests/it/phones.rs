//! Two phones in two tabs meet; one tests positive (a lab uploads the
//! result) and warns through the pages; after a distribution run the other
//! finds the key in the bundles, matched in the verifier's Web Worker, and
//! shows high risk.
//!
//! The lab's result goes through the portal's lab page, as a lab user
//! would enter it.

use std::time::Duration;

use shared::portal::Role;

use crate::support::portal::{PASSWORD, add_user, log_in};
use crate::support::{Backend, browser_test};

/// Matching runs in a worker and downloads every bundle: more than a page's usual patience.
const MATCHING: Duration = Duration::from_secs(60);
const GUID: &str = "3f2c7a0e-8d1b-4c55-9a61-2b7e4f0d9c13";

#[tokio::test]
async fn two_phones_meet_one_warns_and_the_other_shows_high_risk() {
    browser_test(Backend::Warn, |page| async move {
        // Phone B, then phone A in a second tab; A meets B (two days ago, 30
        // minutes at 50 dB), and both record each other's beacons.
        page.open("/phone?name=B").await?;
        page.heading("Telefon-Simulator").await?;
        let tab_b = page.current_tab().await?;
        page.new_tab().await?;
        page.open("/phone?name=A").await?;
        page.heading("Telefon-Simulator").await?;
        page.fill("Vor Tagen", "2").await?;
        page.fill("Minuten", "30").await?;
        page.fill("Dämpfung (dB)", "50").await?;
        page.button("Andere Tabs treffen").await?.click().await?;
        page.wait_for_text(
            "phone A's beacons",
            "//p[contains(@class, 'phone__observations')]",
            MATCHING,
            |text| text.contains("(von B)") && !text.starts_with("0 "),
        )
        .await?;

        // A registers its test; the lab reports it positive.
        page.fill("GUID oder QR-Inhalt", &format!("https://localhost/?{GUID}"))
            .await?;
        page.button("Test registrieren").await?.click().await?;
        page.wait_for_text(
            "A's test",
            "//p[contains(@class, 'phone__test')]",
            MATCHING,
            |text| text.starts_with("Test registriert"),
        )
        .await?;
        // The lab reports it positive on the portal's lab page, in a third
        // tab (the GUID is hashed in that page; only its hash is sent).
        let tab_a = page.current_tab().await?;
        page.new_tab().await?;
        add_user(&page, "lab-phones", Role::Lab).await?;
        log_in(&page, "lab-phones", PASSWORD).await?;
        page.heading("Ein Ergebnis melden").await?;
        page.by_id("lab-result").await?.select_by_value("2").await?;
        page.fill("GUID der Probe", GUID).await?;
        page.by_id("lab-submit").await?.click().await?;
        page.text_of("lab-status", |text| text == "Gespeichert: positiv.")
            .await?;
        page.switch_to(&tab_a).await?;

        // A polls, gets a TAN and warns.
        page.button("Ergebnis abfragen").await?.click().await?;
        page.wait_for_text(
            "A's result",
            "//p[contains(@class, 'phone__test')]",
            MATCHING,
            |text| text.ends_with("positiv"),
        )
        .await?;
        page.button("TAN anfordern").await?.click().await?;
        page.wait_for_text(
            "A's TAN",
            "//p[contains(@class, 'phone__test')]",
            MATCHING,
            |text| text.starts_with("TAN erhalten"),
        )
        .await?;
        page.button("Andere warnen").await?.click().await?;
        page.wait_for_text(
            "A's warning",
            "//p[contains(@class, 'phone__test')]",
            MATCHING,
            |text| text.starts_with("Schlüssel geteilt"),
        )
        .await?;

        // The hourly run, two hours on (the keys' embargo ends with the
        // hour after their submission).
        let report = page.distribute(api::clock::now() + 2 * 3600).await?;
        anyhow::ensure!(report.keys_in_window > 0, "nothing published: {report:?}");

        // B checks now: low risk before, high risk after.
        page.switch_to(&tab_b).await?;
        page.wait_for_text(
            "B's risk card before",
            "//*[@aria-label='Risikokarte']/p[@class='risk__level']",
            MATCHING,
            |text| text == "Niedriges Risiko",
        )
        .await?;
        page.button("Jetzt nach Paketen suchen")
            .await?
            .click()
            .await?;
        page.wait_for_text(
            "B's risk card",
            "//*[@aria-label='Risikokarte']/p[@class='risk__level']",
            MATCHING,
            |text| text == "Erhöhtes Risiko",
        )
        .await?;
        let days = page
            .text_at(
                "B's days since exposure",
                "//*[@aria-label='Risikokarte']/p[@class='risk__days']",
            )
            .await?;
        anyhow::ensure!(days == "Letzte Begegnung vor 2 Tagen", "{days:?}");
        Ok(())
    })
    .await;
}
