//! A hotline agent logs in with password and TOTP (setting up the second
//! factor on the way), issues a teleTAN, and a phone redeems it.

use shared::portal::Role;

use crate::support::{Backend, browser_test};

use crate::support::portal::PASSWORD;

#[tokio::test]
async fn hotline_agent_logs_in_and_issues_a_teletan_a_phone_redeems() {
    browser_test(Backend::Warn, |page| async move {
        let now = api::clock::now();
        api::portal::accounts::create(page.db()?, "hanna", Role::Hotline, PASSWORD, now)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;

        page.open("/login").await?;
        page.heading("Anmelden").await?;
        page.fill("Benutzername", "hanna").await?;
        page.fill("Passwort", PASSWORD).await?;
        page.button("Weiter").await?.click().await?;

        // First log-in: the page shows the secret to set up the app with.
        page.heading("Zweiten Faktor einrichten").await?;
        let secret = page
            .text_at(
                "the key",
                "//p[starts-with(normalize-space(.), 'Schlüssel')]/code",
            )
            .await?;
        let code = api::portal::totp::code_at(&secret, api::clock::now())
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        page.fill("Code aus der Authenticator-App", &code).await?;
        page.button("Bestätigen").await?.click().await?;

        page.heading("teleTAN ausgeben").await?;
        page.button("teleTAN ausgeben").await?.click().await?;
        let shown = page.labelled_text("teleTAN").await?;
        let teletan: String = shown.split_whitespace().collect();
        anyhow::ensure!(teletan.len() == 10, "the page shows {shown:?}");

        // The phone exchanges it for a registration token.
        let response = reqwest::Client::new()
            .post(format!("{}/version/v1/registrationToken", page.base_url()))
            .json(&serde_json::json!({"key": teletan, "keyType": "TELETAN"}))
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == reqwest::StatusCode::CREATED,
            "redeeming answered {}",
            response.status()
        );

        // A second click within 30 seconds says when the next is possible.
        page.button("teleTAN ausgeben").await?.click().await?;
        page.role_text("status", |text| {
            text.starts_with("Die nächste teleTAN ist in")
        })
        .await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn health_officer_prints_a_batch_and_the_interval_applies() {
    use crate::support::portal::{add_user, log_in};
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "officer", Role::HealthOfficer).await?;
        log_in(&page, "officer", PASSWORD).await?;
        page.heading("teleTAN-Stapel").await?;
        page.fill("Anzahl (1–50)", "3").await?;
        page.button("Stapel ausgeben").await?.click().await?;
        let sheet = page
            .text_of("teletan-sheet", |text| text.lines().count() == 4)
            .await?;
        // Three rows: number, the grouped teleTAN, valid until.
        let values: Vec<String> = sheet
            .lines()
            .skip(1)
            .filter_map(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                (words.len() >= 3).then(|| format!("{}{}", words[1], words[2]))
            })
            .collect();
        anyhow::ensure!(
            values.len() == 3 && values.iter().all(|value| value.len() == 10),
            "the sheet shows {sheet:?}"
        );
        // The sheet counts down to its hiding, ten minutes after issuing.
        page.role_text("timer", |text| {
            text.starts_with("Noch 10:00") || text.starts_with("Noch 9:")
        })
        .await?;
        page.button("Drucken").await?;
        page.button("CSV herunterladen").await?;
        // A second batch within the interval: the page says when.
        page.button("Stapel ausgeben").await?.click().await?;
        page.text_of("teletan-batch-limit", |text| {
            text.starts_with("Der nächste Stapel ist in")
        })
        .await?;
        Ok(())
    })
    .await;
}
