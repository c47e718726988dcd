//! A hotline agent logs in with password and TOTP (setting up the second
//! factor on the way), issues a teleTAN, and a phone redeems it.

use shared::portal::Role;

use crate::support::{Backend, browser_test};

use crate::support::portal::{PASSWORD, enrolment_code};

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
        let (_, code) = enrolment_code(&page).await?;
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

/// The live region that announces a new teleTAN: whether it is there,
/// its text, whether it is the node marked before (`__probe`), and its
/// width on screen.
const ANNOUNCEMENT: &str = "const region = document.getElementById('teletan-announcement');\
    if (!region) return null;\
    return [region.getAttribute('role'), region.getAttribute('aria-live'),\
      region.textContent, region.__probe === true, region.getBoundingClientRect().width];";

#[tokio::test]
async fn the_keyboard_focus_follows_the_log_in_and_a_new_teletan_is_announced() {
    use crate::support::portal::add_user;
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "hanna-k", Role::Hotline).await?;
        page.open("/login").await?;
        page.heading("Anmelden").await?;
        // On arrival the user name takes what a person types.
        page.focus_is_on("Benutzername").await?;
        page.type_here("hanna-k").await?;
        page.press_tab().await?;
        page.focus_is_on("Passwort").await?;
        page.type_here(PASSWORD).await?;
        page.press_enter().await?;
        // After the password: the code field, ready for the code.
        page.heading("Zweiten Faktor einrichten").await?;
        page.focus_is_on("Code aus der Authenticator-App").await?;
        let (_, code) = enrolment_code(&page).await?;
        page.type_here(&code).await?;
        page.press_enter().await?;
        // Logged in: the page's heading has the focus (not its button of
        // the same words).
        page.focus_is_on("teleTAN ausgeben").await?;
        let tag = page
            .script("return document.activeElement.tagName;")
            .await?;
        anyhow::ensure!(tag == "H1", "the focus is on a {tag}, not the heading");

        // The live region is there, empty and hidden, before any teleTAN.
        let before = page.script(ANNOUNCEMENT).await?;
        anyhow::ensure!(
            before[0] == "status"
                && before[1] == "polite"
                && before[2] == ""
                && before[4].as_f64().is_some_and(|width| width <= 1.0),
            "before issuing, the live region is {before}"
        );
        page.script("document.getElementById('teletan-announcement').__probe = true; return true;")
            .await?;
        page.button("teleTAN ausgeben").await?.click().await?;
        let shown = page.labelled_text("teleTAN").await?;
        let german = page
            .wait_for_script("the live region", ANNOUNCEMENT, |answer| {
                answer[2].as_str().is_some_and(|text| !text.is_empty())
            })
            .await?;
        anyhow::ensure!(
            german[2] == format!("Neue teleTAN: {shown}").as_str() && german[3] == true,
            "after issuing, the live region is {german} (shown: {shown:?}); \
             it must be the same element, filled"
        );
        page.button("English").await?.click().await?;
        let english = page
            .wait_for_script("the live region in English", ANNOUNCEMENT, |answer| {
                answer[2]
                    .as_str()
                    .is_some_and(|text| text.starts_with("New"))
            })
            .await?;
        anyhow::ensure!(
            english[2] == format!("New teleTAN: {shown}").as_str(),
            "in English, the live region says {english}"
        );
        page.axe("/teletan with an announced teleTAN").await?;
        Ok(())
    })
    .await;
}
