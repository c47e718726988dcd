//! A lab user reports results in the browser: one by the form (no result
//! preselected, a positive confirmed), many from a CSV file (checked before
//! sending, the GUID's start in the preview, progress and the receipt only
//! once sent, a message that the results are stored); a phone's poll turns
//! positive. With the tested person's date of birth the result reaches a
//! phone that registered with it, as the official apps do.

use shared::portal::Role;
use shared::verification::{DateOfBirth, HashedGuid, TestGuid};

use crate::support::portal::{PASSWORD, add_user, log_in};
use crate::support::{Backend, Page, browser_test};

/// A phone registers the test of `guid` (with the date-of-birth id when
/// `dob` is given, as iOS sends it) and returns its registration token.
async fn phone_registers(page: &Page, guid: &str, dob: Option<&str>) -> anyhow::Result<String> {
    let hashed = HashedGuid::from_guid(guid);
    let mut body = serde_json::json!({"key": hashed.expose(), "keyType": "GUID"});
    if let Some(dob) = dob {
        let id = TestGuid::parse(guid)
            .map_err(|error| anyhow::anyhow!("{error}"))?
            .dob_id(DateOfBirth::parse(dob).map_err(|error| anyhow::anyhow!("{error}"))?);
        body["keyDob"] = serde_json::json!(id.expose());
    }
    let response = reqwest::Client::new()
        .post(format!("{}/version/v1/registrationToken", page.base_url()))
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(response.status() == reqwest::StatusCode::CREATED);
    let body: serde_json::Value = response.json().await?;
    Ok(body["registrationToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// What the phone's poll answers: the result code (`None` for a 403, the
/// answer to a date of birth that does not match).
async fn phone_polls(page: &Page, token: &str) -> anyhow::Result<Option<i64>> {
    let response = reqwest::Client::new()
        .post(format!("{}/version/v1/testresult", page.base_url()))
        .json(&serde_json::json!({"registrationToken": token}))
        .send()
        .await?;
    if response.status() == reqwest::StatusCode::FORBIDDEN {
        return Ok(None);
    }
    anyhow::ensure!(response.status() == reqwest::StatusCode::OK);
    let body: serde_json::Value = response.json().await?;
    Ok(body["testResult"].as_i64())
}

/// Sets a date input as a person picking `value` (`YYYY-MM-DD`) would.
pub async fn pick_date(page: &Page, id: &str, value: &str) -> anyhow::Result<()> {
    page.by_id(id).await?;
    page.script(&format!(
        "const field = document.getElementById('{id}'); field.value = '{value}'; \
         field.dispatchEvent(new Event('input', {{bubbles: true}}));"
    ))
    .await?;
    Ok(())
}

/// How many result choices are selected on the form.
async fn chosen_results(page: &Page) -> anyhow::Result<i64> {
    let count = page
        .script("return document.querySelectorAll('input[name=\"lab-result\"]:checked').length;")
        .await?;
    count
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("no count: {count}"))
}

/// Clicks the result choice labelled `name`.
pub async fn choose_result(page: &Page, name: &str) -> anyhow::Result<()> {
    page.texts("//fieldset[@id='lab-result']//label").await?;
    let id = page
        .script(&format!(
            "return [...document.querySelectorAll('#lab-result label')]\
             .find(label => label.textContent.trim() === '{name}')?.htmlFor ?? null;"
        ))
        .await?;
    let id = id
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no result choice {name:?}"))?
        .to_owned();
    page.by_id(&id).await?.click().await?;
    Ok(())
}

/// An official-format GUID (6-8-4-4-4-12 hex digits), new each time.
pub fn unique_guid() -> String {
    let hex = shared::verification::Uuid4::generate()
        .expose()
        .replace('-', "")
        .to_uppercase();
    format!(
        "{}-{}-{}-{}-{}-{}",
        &hex[..6],
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

const ENTER: &str = "\u{e007}";

/// Whether the question about a positive is on the page.
async fn confirmation_shown(page: &Page) -> anyhow::Result<bool> {
    let shown = page
        .script("return document.getElementById('lab-confirm') !== null;")
        .await?;
    Ok(shown.as_bool().unwrap_or(true))
}

/// The text in the GUID field.
async fn guid_field_text(page: &Page) -> anyhow::Result<String> {
    let value = page
        .script("return document.getElementById('lab-guid').value;")
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn lab_form_preselects_no_result_and_confirms_a_positive() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "lab-form", Role::Lab).await?;
        log_in(&page, "lab-form", PASSWORD).await?;
        page.heading("Ein Ergebnis melden").await?;
        let guid = unique_guid();
        let token = phone_registers(&page, &guid, None).await?;

        // The three choices, none of them chosen.
        let choices = page.texts("//fieldset[@id='lab-result']//label").await?;
        anyhow::ensure!(
            choices == ["negativ", "positiv", "ungültig"],
            "choices: {choices:?}"
        );
        anyhow::ensure!(chosen_results(&page).await? == 0, "a result is preselected");

        // Enter in the GUID field sends nothing: the page asks for a result
        // and puts the focus on the first choice.
        page.fill("GUID der Probe", &guid).await?;
        page.field("GUID der Probe").await?.send_keys(ENTER).await?;
        page.text_of("lab-status", |text| {
            text == "Bitte ein Ergebnis wählen: negativ, positiv oder ungültig."
        })
        .await?;
        page.focus_is_on("negativ").await?;
        anyhow::ensure!(phone_polls(&page, &token).await? == Some(0), "nothing sent");

        // Positive, then Enter: only a question, with "Abbrechen" focused, so
        // a second Enter cancels; still nothing sent.
        choose_result(&page, "positiv").await?;
        page.field("GUID der Probe").await?.send_keys(ENTER).await?;
        page.heading("Positives Ergebnis bestätigen").await?;
        page.text_of("lab-confirm-text", |text| {
            text == "Sie melden ein POSITIVES Ergebnis. Die getestete Person wird aufgefordert, \
                     andere zu warnen. Stimmt das?"
        })
        .await?;
        page.focus_is_on("Abbrechen").await?;
        anyhow::ensure!(
            phone_polls(&page, &token).await? == Some(0),
            "sent unconfirmed"
        );
        page.press_enter().await?;
        page.focus_is_on("positiv").await?;
        anyhow::ensure!(
            !confirmation_shown(&page).await?,
            "the question stays after Abbrechen"
        );
        anyhow::ensure!(
            phone_polls(&page, &token).await? == Some(0),
            "sent after Enter, Enter"
        );

        // Confirmed on purpose: stored, said so, and the form is ready for
        // the next sample: empty, no result chosen, the focus in the GUID field.
        page.by_id("lab-submit").await?.click().await?;
        page.button("Ja, positiv melden").await?.click().await?;
        page.text_of("lab-status", |text| {
            text == "Gespeichert: positiv. Die App der getesteten Person zeigt das Ergebnis \
                     beim nächsten Abruf."
        })
        .await?;
        anyhow::ensure!(phone_polls(&page, &token).await? == Some(2));
        anyhow::ensure!(
            !confirmation_shown(&page).await?,
            "the question stays after sending"
        );
        anyhow::ensure!(
            chosen_results(&page).await? == 0,
            "the next sample starts chosen"
        );
        page.focus_is_on("GUID der Probe").await?;
        anyhow::ensure!(guid_field_text(&page).await?.is_empty(), "GUID kept");

        // In English: the same question, and a negative needs none.
        page.button("English").await?.click().await?;
        page.heading("Report one result").await?;
        let choices = page.texts("//fieldset[@id='lab-result']//label").await?;
        anyhow::ensure!(
            choices == ["negative", "positive", "invalid"],
            "choices: {choices:?}"
        );
        let second = unique_guid();
        let second_token = phone_registers(&page, &second, None).await?;
        page.fill("Sample GUID", &second).await?;
        page.field("Sample GUID").await?.send_keys(ENTER).await?;
        page.text_of("lab-status", |text| {
            text == "Please choose a result: negative, positive or invalid."
        })
        .await?;
        page.focus_is_on("negative").await?;
        choose_result(&page, "positive").await?;
        page.by_id("lab-submit").await?.click().await?;
        page.heading("Confirm a positive result").await?;
        page.text_of("lab-confirm-text", |text| {
            text == "You are reporting a POSITIVE result. The tested person will be asked to \
                     warn others. Is that right?"
        })
        .await?;
        page.focus_is_on("Cancel").await?;
        page.button("Yes, report positive").await?;
        page.button("Cancel").await?.click().await?;
        anyhow::ensure!(
            phone_polls(&page, &second_token).await? == Some(0),
            "sent after Cancel"
        );
        choose_result(&page, "negative").await?;
        page.by_id("lab-submit").await?.click().await?;
        page.text_of("lab-status", |text| {
            text == "Stored: negative. The tested person's app shows the result when it next asks."
        })
        .await?;
        anyhow::ensure!(
            !confirmation_shown(&page).await?,
            "a negative was questioned"
        );
        anyhow::ensure!(phone_polls(&page, &second_token).await? == Some(1));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn lab_form_with_a_date_of_birth_reaches_a_phone_registered_with_it() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "lab-dob", Role::Lab).await?;
        log_in(&page, "lab-dob", PASSWORD).await?;
        page.heading("Ein Ergebnis melden").await?;
        page.field("Geburtsdatum (optional)").await?;
        let guid = unique_guid();
        let token = phone_registers(&page, &guid, Some("1990-05-17")).await?;

        // QR content that is not a test's: said, in German and in English,
        // with the focus back in the GUID field.
        page.fill("GUID der Probe", "https://localhost/?kein-test")
            .await?;
        choose_result(&page, "negativ").await?;
        page.by_id("lab-submit").await?.click().await?;
        page.text_of("lab-status", |text| {
            text == "Der QR-Inhalt ist nicht https://localhost/? mit einer GUID."
        })
        .await?;
        page.focus_is_on("GUID der Probe").await?;
        page.button("English").await?.click().await?;
        page.by_id("lab-submit").await?.click().await?;
        page.text_of("lab-status", |text| {
            text == "The QR content is not https://localhost/? followed by a GUID."
        })
        .await?;
        page.focus_is_on("Sample GUID").await?;
        page.field("Date of birth (optional)").await?;
        page.button("Deutsch").await?.click().await?;

        // Without the date of birth the phone's pair does not match.
        page.fill("GUID der Probe", &format!("https://localhost/?{guid}"))
            .await?;
        page.by_id("lab-submit").await?.click().await?;
        page.text_of("lab-status", |text| {
            text.starts_with("Gespeichert: negativ.")
        })
        .await?;
        anyhow::ensure!(
            phone_polls(&page, &token).await?.is_none(),
            "no match expected"
        );

        // With it (the QR content scanned into the field), the phone sees it.
        page.fill("GUID der Probe", &format!("https://localhost/?{guid}"))
            .await?;
        choose_result(&page, "negativ").await?;
        pick_date(&page, "lab-dob", "1990-05-17").await?;
        page.by_id("lab-submit").await?.click().await?;
        page.text_of("lab-status", |text| {
            text.starts_with("Gespeichert: negativ.")
        })
        .await?;
        anyhow::ensure!(phone_polls(&page, &token).await? == Some(1));
        // The date of birth is cleared with the GUID, for the next sample.
        let dob = page
            .script("return document.getElementById('lab-dob').value;")
            .await?;
        anyhow::ensure!(dob == "", "date of birth kept: {dob}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn lab_uploads_a_csv_and_a_phones_poll_turns_positive() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "lab-csv", Role::Lab).await?;
        log_in(&page, "lab-csv", PASSWORD).await?;
        page.heading("Ein Ergebnis melden").await?;

        let positive = unique_guid();
        let negative = unique_guid();
        let token = phone_registers(&page, &positive, Some("2001-02-03")).await?;
        anyhow::ensure!(phone_polls(&page, &token).await? == Some(0), "pending first");

        let folder = tempfile::tempdir()?;
        // A file with broken lines: every error is listed, nothing can be sent.
        let broken = folder.path().join("broken.csv");
        std::fs::write(
            &broken,
            format!(
                "guid,result,sample time,date of birth\n{positive},vielleicht,\n,positiv,\n\
                 {negative},1,,07.06.1995\n"
            ),
        )?;
        page.by_id("lab-csv")
            .await?
            .send_keys(&broken.display().to_string())
            .await?;
        page.text_of("lab-csv-summary", |text| {
            text == "3 Zeilen gelesen, 3 fehlerhaft: bitte die Datei korrigieren und neu wählen. \
                     Nichts wurde gesendet."
        })
        .await?;
        let errors = page
            .text_of("lab-csv-errors", |text| text.contains("die GUID fehlt"))
            .await?;
        for problem in [
            "Ergebnis \"vielleicht\" ist nicht 1/negativ, 2/positiv oder 3/ungültig",
            "Geburtsdatum \"07.06.1995\" ist kein Datum JJJJ-MM-TT",
        ] {
            anyhow::ensure!(errors.contains(problem), "{problem} not in: {errors}");
        }
        let send = page.by_id("lab-csv-send").await?;
        anyhow::ensure!(
            send.attr("disabled").await?.is_some(),
            "sending is possible with errors"
        );
        anyhow::ensure!(phone_polls(&page, &token).await? == Some(0), "nothing was sent");

        let good = folder.path().join("results.csv");
        std::fs::write(
            &good,
            format!(
                "guid;result;sample time;date of birth\n{positive};positiv;2026-11-28T09:30:00Z;2001-02-03\n{negative};1;;\n"
            ),
        )?;
        page.by_id("lab-csv")
            .await?
            .send_keys(&good.display().to_string())
            .await?;
        page.text_of("lab-csv-summary", |text| {
            text == "2 Ergebnisse gelesen, alle gültig."
        })
        .await?;
        // The preview shows each line's GUID start, to match it to its sample.
        let preview = page
            .text_of("lab-csv-preview", |text| text.contains("GUID (Anfang)"))
            .await?;
        for guid in [&positive, &negative] {
            let start: String = guid.chars().take(8).collect();
            anyhow::ensure!(preview.contains(&format!("{start}…")), "{preview}");
        }
        // Only the first line comes with a date of birth.
        let dob_cells = page
            .texts("//table[@id='lab-csv-preview']/tbody/tr/td[5]")
            .await?;
        anyhow::ensure!(dob_cells == ["angegeben", ""], "{dob_cells:?}");
        // Before sending: no progress to count, no receipt, no "stored".
        let body = page.text_at("the page", "//main").await?;
        anyhow::ensure!(
            !body.contains(" von 0 gesendet") && !body.contains(" von 2 gesendet"),
            "progress before sending: {body}"
        );
        anyhow::ensure!(!body.contains("Quittung"), "receipt before sending: {body}");
        anyhow::ensure!(!body.contains("gespeichert"), "stored before sending: {body}");

        page.button("Ergebnisse senden").await?.click().await?;
        page.text_of("lab-csv-progress-text", |text| text == "2 von 2 gesendet")
            .await?;
        page.text_of("lab-csv-stored", |text| {
            text.starts_with("Alle 2 Ergebnisse sind gespeichert.")
        })
        .await?;
        let body = page.text_at("the page", "//main").await?;
        anyhow::ensure!(
            body.matches("2 von 2 gesendet").count() == 1,
            "progress shown more than once: {body}"
        );
        page.button("Quittung herunterladen (CSV)").await?;
        anyhow::ensure!(
            phone_polls(&page, &token).await? == Some(2),
            "the phone that registered with its date of birth sees the positive result"
        );

        // The same page in English.
        page.button("English").await?.click().await?;
        page.text_of("lab-csv-stored", |text| {
            text.starts_with("All 2 results are stored.")
        })
        .await?;
        page.text_of("lab-csv-progress-text", |text| text == "2 of 2 sent")
            .await?;
        page.button("Download receipt (CSV)").await?;
        page.text_of("lab-csv-preview", |text| text.contains("GUID (start)"))
            .await?;
        let dob_cells = page
            .texts("//table[@id='lab-csv-preview']/tbody/tr/td[5]")
            .await?;
        anyhow::ensure!(dob_cells == ["given", ""], "{dob_cells:?}");
        Ok(())
    })
    .await;
}
