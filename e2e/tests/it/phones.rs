//! Two phones in two tabs meet; one tests positive (a lab uploads the
//! result) and warns through the pages; after a distribution run the other
//! finds the key in the bundles, matched in the verifier's Web Worker, and
//! shows high risk.
//!
//! The lab's upload goes through the lab API (`/api/v1/lab/results` with a
//! lab key from `warn lab add`'s function): the portal's lab page is built
//! on another branch; once merged, this step can use its form (`lab-guid`,
//! `lab-result`, `lab-submit`).

use std::time::Duration;

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
        let lab_key = api::testresult::labs::add(page.db()?, "Labor Berlin", api::clock::now())
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let hashed = shared::verification::token::HashedGuid::from_guid(GUID);
        let upload = reqwest::Client::new()
            .post(format!("{}/api/v1/lab/results", page.base_url()))
            .bearer_auth(&lab_key)
            .json(&serde_json::json!({
                "labId": "berlin",
                "testResults": [{"id": hashed.expose(), "result": 2}]
            }))
            .send()
            .await?;
        anyhow::ensure!(
            upload.status().is_success(),
            "lab upload: {}",
            upload.status()
        );

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
