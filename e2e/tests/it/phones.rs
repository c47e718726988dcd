//! Two phones in two tabs meet; one tests positive (a lab uploads the
//! result) and warns through the pages; after a distribution run the other
//! finds the key in the bundles, matched in the verifier's Web Worker, and
//! shows high risk.
//!
//! The lab's result goes through the portal's lab page, as a lab user
//! would enter it. A phone also says, in German and English, why it cannot
//! register QR content that is not a test's.

use std::time::Duration;

use shared::portal::Role;

use crate::support::portal::{PASSWORD, add_user, log_in};
use crate::support::{Backend, browser_test};

/// Matching runs in a worker and downloads every bundle: more than a page's usual patience.
const MATCHING: Duration = Duration::from_secs(60);
/// In the official form (6-8-4-4-4-12), as the apps accept it in a QR code.
const GUID: &str = "3F2C7A-3F2C7A0E-8D1B-4C55-9A61-2B7E4F0D9C13";
/// The tested person's date of birth, given on the phone and to the lab.
const DOB: &str = "1988-08-08";

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

        // A registers its test with the date of birth (as the apps do when a
        // certificate is wanted); the lab reports it positive.
        page.fill("GUID oder QR-Inhalt", &format!("https://localhost/?{GUID}"))
            .await?;
        crate::lab::pick_date(&page, "phone-dob", DOB).await?;
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
        page.fill("GUID der Probe", GUID).await?;
        crate::lab::choose_result(&page, "positiv").await?;
        crate::lab::pick_date(&page, "lab-dob", DOB).await?;
        page.by_id("lab-submit").await?.click().await?;
        page.button("Ja, positiv melden").await?.click().await?;
        page.text_of("lab-status", |text| {
            text.starts_with("Gespeichert: positiv.")
        })
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

#[tokio::test]
async fn a_phone_says_what_is_wrong_with_a_qr_code_or_date_of_birth() {
    browser_test(Backend::Warn, |page| async move {
        page.open("/phone?name=C").await?;
        page.heading("Telefon-Simulator").await?;

        // QR content that is not a test's: the phone says why, in German
        // and in English, and puts the focus back into the field.
        page.fill("GUID oder QR-Inhalt", "https://localhost/?kein-test")
            .await?;
        page.button("Test registrieren").await?.click().await?;
        page.text_of("phone-guid-problem", |text| {
            text == "Der QR-Inhalt muss https://localhost/? und eine GUID wie \
                     3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDA sein."
        })
        .await?;
        page.focus_is_on("GUID oder QR-Inhalt").await?;
        page.button("English").await?.click().await?;
        page.text_of("phone-guid-problem", |text| {
            text == "QR content must be https://localhost/? followed by a GUID like \
                     3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDA."
        })
        .await?;
        page.field("Date of birth (optional)").await?;

        // A valid test: registered, and the message is gone.
        let guid = crate::lab::unique_guid();
        page.fill("GUID or QR content", &format!("https://localhost/?{guid}"))
            .await?;
        crate::lab::pick_date(&page, "phone-dob", DOB).await?;
        page.button("Register test").await?.click().await?;
        page.wait_for_text(
            "C's test",
            "//p[contains(@class, 'phone__test')]",
            MATCHING,
            |text| text == "Test registered, result: not polled yet",
        )
        .await?;
        let problems = page.texts("//*[@id='phone-guid-problem']").await?;
        anyhow::ensure!(problems.is_empty(), "still shown: {problems:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_hint_names_another_phone_than_this_one() {
    browser_test(Backend::Warn, |page| async move {
        let hint = "//section[@aria-labelledby='phone-title']/p[@class='hint']";
        for (path, german, english) in [
            (
                "/phone?name=B",
                "Telefon „B“ – ein anderes Telefon: /phone?name=A in einem weiteren Tab.",
                "Phone “B” – another phone: /phone?name=A in another tab.",
            ),
            (
                "/phone",
                "Telefon „A“ – ein anderes Telefon: /phone?name=B in einem weiteren Tab.",
                "Phone “A” – another phone: /phone?name=B in another tab.",
            ),
        ] {
            page.open(path).await?;
            page.heading("Telefon-Simulator").await?;
            page.wait_for_text("the phone's hint", hint, MATCHING, |text| text == german)
                .await?;
            page.button("English").await?.click().await?;
            page.wait_for_text("the phone's hint in English", hint, MATCHING, |text| {
                text == english
            })
            .await?;
            page.button("Deutsch").await?.click().await?;
        }
        Ok(())
    })
    .await;
}
