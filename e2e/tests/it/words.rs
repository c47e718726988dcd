//! What the pages say (issue 18): the server's error codes as sentences
//! that say what to do, in German and English, with a live countdown for a
//! rate limit; the language taken from the browser the first time and
//! remembered across reloads and both apps; plain dates on a batch sheet.
//!
//! The test browser's languages are German (`support::browser`).

use std::time::Duration;

use shared::portal::Role;

use crate::support::portal::{PASSWORD, add_user};
use crate::support::{Backend, Page, browser_test};

const WRONG_LOG_IN_DE: &str = "Anmeldung nicht möglich: Benutzername, Passwort oder Code stimmt nicht, oder die Sitzung ist abgelaufen. Bitte prüfen und erneut anmelden.";
const WRONG_LOG_IN_EN: &str = "Could not log you in: the user name, password or code is wrong, or the session has expired. Please check them and log in again.";

/// The text of the alert shown now, once it satisfies `done`.
async fn alert(page: &Page, done: impl Fn(&str) -> bool) -> anyhow::Result<String> {
    page.role_text("alert", done).await
}

async fn try_password(page: &Page, name: &str, password: &str) -> anyhow::Result<()> {
    let field = page.field("Benutzername").await?;
    field.clear().await?;
    field.send_keys(name).await?;
    page.fill("Passwort", password).await?;
    page.button("Weiter").await?.click().await?;
    Ok(())
}

#[tokio::test]
async fn a_wrong_log_in_and_the_rate_limit_say_what_to_do_in_both_languages() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "sam", Role::Hotline).await?;
        page.open("/login").await?;
        page.heading("Anmelden").await?;
        try_password(&page, "sam", "not the password").await?;
        let text = alert(&page, |text| !text.is_empty()).await?;
        anyhow::ensure!(text == WRONG_LOG_IN_DE, "a wrong password shows {text:?}");
        page.axe("/login after a wrong password").await?;
        page.button("English").await?.click().await?;
        let text = alert(&page, |text| text.starts_with("Could")).await?;
        anyhow::ensure!(text == WRONG_LOG_IN_EN, "in English: {text:?}");
        page.button("Deutsch").await?.click().await?;

        // An unknown user reads the same (the server does not tell them apart).
        try_password(&page, "nobody", "not the password").await?;
        let text = alert(&page, |text| !text.is_empty()).await?;
        anyhow::ensure!(text == WRONG_LOG_IN_DE, "an unknown user shows {text:?}");

        // Five failures make the account wait 30 seconds: the sixth attempt
        // is told how long, and the wait counts down.
        for _ in 0..4 {
            try_password(&page, "sam", "not the password").await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        try_password(&page, "sam", PASSWORD).await?;
        let text = alert(&page, |text| text.starts_with("Zu viele")).await?;
        anyhow::ensure!(
            text.starts_with("Zu viele Versuche in kurzer Zeit. Bitte in ")
                && text.ends_with(" Sekunden erneut versuchen."),
            "the rate limit shows {text:?}"
        );
        let first = page
            .text_of("error-countdown", |text| text.starts_with("Noch "))
            .await?;
        let seconds = |text: &str| -> Option<u64> { text.split_whitespace().nth(1)?.parse().ok() };
        let start = seconds(&first).unwrap_or(0);
        anyhow::ensure!(
            (25..=30).contains(&start),
            "the countdown starts at {first:?}"
        );
        // The line is redrawn once a second, so each reading may be up to a
        // second old: after 3.2 seconds it must show at least 2 fewer.
        tokio::time::sleep(Duration::from_millis(3_200)).await;
        let later = page
            .text_of("error-countdown", |text| text.starts_with("Noch "))
            .await?;
        anyhow::ensure!(
            seconds(&later).is_some_and(|left| left + 2 <= start),
            "the countdown does not count: {first:?}, then {later:?}"
        );
        page.button("English").await?.click().await?;
        let text = alert(&page, |text| text.starts_with("Too many")).await?;
        anyhow::ensure!(
            text.starts_with("Too many attempts in a short time. Please try again in ")
                && text.ends_with(" seconds."),
            "in English: {text:?}"
        );
        page.text_of("error-countdown", |text| text.ends_with(" seconds left."))
            .await?;
        page.axe("/login with a rate limit").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_mistyped_teletan_on_the_phone_says_what_to_do() {
    browser_test(Backend::Warn, |page| async move {
        page.open("/phone?name=typo").await?;
        page.heading("Telefon-Simulator").await?;
        // Ten characters of the teleTAN alphabet whose check character is wrong.
        let mut wrong = None;
        for last in shared::verification::teletan::ALPHABET.iter().map(|&byte| char::from(byte)) {
            let candidate = format!("R3ZNUEV9J{last}");
            if shared::verification::teletan::TeleTan::parse(&candidate).is_err() {
                wrong = Some(candidate);
                break;
            }
        }
        let wrong = wrong.ok_or_else(|| anyhow::anyhow!("no wrong check character found"))?;
        page.fill("teleTAN", &wrong).await?;
        page.button("teleTAN einlösen").await?.click().await?;
        let text = alert(&page, |text| text.starts_with("Die teleTAN")).await?;
        anyhow::ensure!(
            text == "Die teleTAN stimmt nicht: Ihr letztes Zeichen passt nicht zu den anderen. Bitte jedes Zeichen mit der Hotline vergleichen und erneut eingeben.",
            "a mistyped teleTAN shows {text:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_language_is_remembered_across_reloads_and_both_apps() {
    browser_test(Backend::Warn, |page| async move {
        // German browser: German pages.
        page.open("/bundles").await?;
        page.heading("Schlüsselpakete prüfen").await?;
        page.button("English").await?.click().await?;
        page.heading("Check key bundles").await?;
        // A reload keeps English, and so does the portal (another app).
        page.open("/bundles").await?;
        page.heading("Check key bundles").await?;
        page.open("/").await?;
        page.heading("What the service offers").await?;
        page.role_text("status", |text| text.starts_with("Server reachable"))
            .await?;
        let lang = page.script("return document.documentElement.lang;").await?;
        anyhow::ensure!(lang == "en", "the document's language is {lang}");
        page.button("Deutsch").await?.click().await?;
        page.heading("Was der Dienst bietet").await?;
        page.open("/phone").await?;
        page.heading("Telefon-Simulator").await?;

        // A first visit from an English browser is in English.
        let agent = page.script("return navigator.userAgent;").await?;
        page.cdp(
            "Emulation.setUserAgentOverride",
            serde_json::json!({ "userAgent": agent, "acceptLanguage": "en-US,en" }),
        )
        .await?;
        page.script("localStorage.clear(); return true;").await?;
        page.open("/").await?;
        page.heading("What the service offers").await?;
        // One that prefers neither gets German.
        page.cdp(
            "Emulation.setUserAgentOverride",
            serde_json::json!({ "userAgent": agent, "acceptLanguage": "fr-FR,fr" }),
        )
        .await?;
        page.open("/bundles").await?;
        page.heading("Schlüsselpakete prüfen").await?;
        Ok(())
    })
    .await;
}
