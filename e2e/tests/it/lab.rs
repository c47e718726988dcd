//! A lab user reports results in the browser: one by the form, many from a
//! CSV file (checked before sending); a phone's poll turns positive.

use shared::portal::Role;
use shared::verification::HashedGuid;

use crate::support::portal::{PASSWORD, add_user, log_in};
use crate::support::{Backend, Page, browser_test};

/// A phone registers the test of `guid` and returns its registration token.
async fn phone_registers(page: &Page, guid: &str) -> anyhow::Result<String> {
    let hashed = HashedGuid::from_guid(guid);
    let response = reqwest::Client::new()
        .post(format!("{}/version/v1/registrationToken", page.base_url()))
        .json(&serde_json::json!({"key": hashed.expose(), "keyType": "GUID"}))
        .send()
        .await?;
    anyhow::ensure!(response.status() == reqwest::StatusCode::CREATED);
    let body: serde_json::Value = response.json().await?;
    Ok(body["registrationToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// What the phone's poll answers: the result code.
async fn phone_polls(page: &Page, token: &str) -> anyhow::Result<i64> {
    let response = reqwest::Client::new()
        .post(format!("{}/version/v1/testresult", page.base_url()))
        .json(&serde_json::json!({"registrationToken": token}))
        .send()
        .await?;
    anyhow::ensure!(response.status() == reqwest::StatusCode::OK);
    let body: serde_json::Value = response.json().await?;
    body["testResult"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("no testResult in {body}"))
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        shared::verification::Uuid4::generate()
            .expose()
            .to_uppercase()
    )
}

#[tokio::test]
async fn lab_uploads_a_csv_and_a_phones_poll_turns_positive() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "lab-csv", Role::Lab).await?;
        log_in(&page, "lab-csv", PASSWORD).await?;
        page.heading("Ein Ergebnis melden").await?;

        let positive = unique("E2E");
        let negative = unique("E2E");
        let token = phone_registers(&page, &positive).await?;
        anyhow::ensure!(phone_polls(&page, &token).await? == 0, "pending first");

        let folder = tempfile::tempdir()?;
        // A file with broken lines: every error is listed, nothing can be sent.
        let broken = folder.path().join("broken.csv");
        std::fs::write(
            &broken,
            format!("guid,result,sample time\n{positive},vielleicht,\n,positiv,\n"),
        )?;
        page.by_id("lab-csv")
            .await?
            .send_keys(&broken.display().to_string())
            .await?;
        page.text_of("lab-csv-summary", |text| text.contains("2 fehlerhaft"))
            .await?;
        let errors = page
            .text_of("lab-csv-errors", |text| text.contains("die GUID fehlt"))
            .await?;
        anyhow::ensure!(errors.contains("vielleicht"), "errors: {errors}");
        let send = page.by_id("lab-csv-send").await?;
        anyhow::ensure!(
            send.attr("disabled").await?.is_some(),
            "sending is possible with errors"
        );
        anyhow::ensure!(phone_polls(&page, &token).await? == 0, "nothing was sent");

        let good = folder.path().join("results.csv");
        std::fs::write(
            &good,
            format!(
                "guid;result;sample time\n{positive};positiv;2026-11-28T09:30:00Z\n{negative};1;\n"
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
        page.button("Ergebnisse senden").await?.click().await?;
        page.text_of("lab-csv-progress-text", |text| text == "2 von 2 gesendet")
            .await?;
        page.button("Quittung herunterladen (CSV)").await?;

        anyhow::ensure!(
            phone_polls(&page, &token).await? == 2,
            "the phone sees the positive result"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn lab_reports_one_result_by_the_form() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "lab-form", Role::Lab).await?;
        log_in(&page, "lab-form", PASSWORD).await?;
        page.heading("Ein Ergebnis melden").await?;
        let guid = unique("FORM");
        let token = phone_registers(&page, &guid).await?;

        // Without a GUID the page says why and sends nothing.
        page.by_id("lab-result").await?.select_by_value("2").await?;
        page.by_id("lab-guid").await?.send_keys("   ").await?;
        page.by_id("lab-submit").await?.click().await?;
        page.text_of("lab-status", |text| text == "die GUID fehlt")
            .await?;

        page.fill("GUID der Probe", &guid).await?;
        page.by_id("lab-submit").await?.click().await?;
        page.text_of("lab-status", |text| text == "Gespeichert: positiv.")
            .await?;
        anyhow::ensure!(phone_polls(&page, &token).await? == 2);
        Ok(())
    })
    .await;
}
