//! Administration in the browser: its pages under one sub-navigation; an
//! administrator creates a lab user who then logs in and replaces the
//! initial password; an administrator resets a password; disabling a user
//! or a lab key and resetting a second factor or a password ask first,
//! with Cancel as the default; the audit log filters by action and user
//! name; the statistics show the real peak; a hotline agent cannot open
//! the pages; sessions expire.

use shared::portal::{AuditAction, Role};

use crate::support::portal::{PASSWORD, add_user, log_in};
use crate::support::{Backend, Page, browser_test};

#[tokio::test]
async fn administrator_creates_a_lab_user_who_then_logs_in() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "root", Role::Admin).await?;
        log_in(&page, "root", PASSWORD).await?;
        page.heading("Administration").await?;
        page.link("Benutzer").await?.click().await?;
        page.heading("Benutzer").await?;

        page.fill("Benutzername", "lab-nord").await?;
        let role = page.field("Rolle").await?;
        role.select_by_value("lab").await?;
        page.button("Anlegen").await?.click().await?;
        let password = page.labelled_text("initial password").await?;
        anyhow::ensure!(password.len() == 24, "initial password {password:?}");

        page.button("Abmelden").await?.click().await?;
        page.heading("Anmelden").await?;
        log_in(&page, "lab-nord", &password).await?;
        // The initial password is replaced before anything else.
        change_password(&page, &password, "ein neues, langes Passwort").await?;
        // The lab's start page, and the header names the logged-in user.
        page.heading("Ein Ergebnis melden").await?;
        page.text_at(
            "the user's name in the header",
            "//nav//span[normalize-space(.)='lab-nord']",
        )
        .await?;
        Ok(())
    })
    .await;
}

/// Fills the password page and saves.
async fn change_password(
    page: &crate::support::Page,
    current: &str,
    new: &str,
) -> anyhow::Result<()> {
    page.heading("Passwort ändern").await?;
    page.fill("Aktuelles Passwort", current).await?;
    page.fill("Neues Passwort", new).await?;
    page.fill("Neues Passwort wiederholen", new).await?;
    page.button("Passwort speichern").await?.click().await?;
    Ok(())
}

#[tokio::test]
async fn administrator_resets_a_password_that_is_replaced_at_the_next_log_in() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "root", Role::Admin).await?;
        add_user(&page, "hotline-9", Role::Hotline).await?;
        log_in(&page, "root", PASSWORD).await?;
        page.heading("Administration").await?;
        page.open("/admin/users").await?;
        page.heading("Benutzer").await?;
        // Users are listed by name: hotline-9's button comes before root's.
        page.button("Passwort zurücksetzen").await?.click().await?;
        dialog(&page, "Passwort von „hotline-9“ zurücksetzen?", "Abbrechen").await?;
        page.button("Ja, zurücksetzen").await?.click().await?;
        let one_time = page.labelled_text("initial password").await?;
        anyhow::ensure!(one_time.len() == 24, "one-time password {one_time:?}");

        page.button("Abmelden").await?.click().await?;
        page.heading("Anmelden").await?;
        log_in(&page, "hotline-9", &one_time).await?;
        change_password(&page, &one_time, "mein eigenes Passwort 9").await?;
        page.heading("teleTAN ausgeben").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn hotline_agent_cannot_open_administration() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "hotline-1", Role::Hotline).await?;
        log_in(&page, "hotline-1", PASSWORD).await?;
        page.heading("teleTAN ausgeben").await?;
        for path in [
            "/admin",
            "/admin/users",
            "/admin/labs",
            "/admin/statistics",
            "/admin/audit",
        ] {
            page.open(path).await?;
            page.heading("Kein Zugriff").await?;
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn an_idle_session_expires() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "hotline-2", Role::Hotline).await?;
        log_in(&page, "hotline-2", PASSWORD).await?;
        page.heading("teleTAN ausgeben").await?;
        // 21 minutes without a request.
        sqlx::query("UPDATE portal_sessions SET last_seen_at = last_seen_at - 1260")
            .execute(page.db()?.pool())
            .await?;
        page.open("/teletan").await?;
        page.link("Zur Anmeldung").await?;
        Ok(())
    })
    .await;
}

/// Waits until the question `label` (a dialog's accessible name) shows,
/// with the focus on its Cancel button (`cancel` in the page's language).
async fn dialog(page: &Page, label: &str, cancel: &str) -> anyhow::Result<()> {
    let xpath = format!("//*[@role='alertdialog'][@aria-label={}]", literal(label));
    page.visible_xpath(&format!("the question {label:?}"), &xpath)
        .await?;
    page.focus_is_on(cancel).await
}

/// Presses the button labelled `button` and checks the question it asks,
/// with the focus on its cautious answer `cancel`.
async fn ask(page: &Page, button: &str, question: &str, cancel: &str) -> anyhow::Result<()> {
    labelled_button(page, button).await?.click().await?;
    dialog(page, question, cancel).await
}

/// Waits until no question is shown.
async fn no_dialog(page: &Page) -> anyhow::Result<()> {
    page.wait_for_script(
        "the questions shown",
        "return document.querySelectorAll('[role=alertdialog]').length;",
        |count| count == 0,
    )
    .await?;
    Ok(())
}

/// `text` as an XPath literal (these labels hold „“ but no apostrophe).
fn literal(text: &str) -> String {
    format!("'{text}'")
}

/// The button whose accessible name is `label` (the row buttons name
/// their user or lab).
async fn labelled_button(
    page: &Page,
    label: &str,
) -> anyhow::Result<fantoccini::elements::Element> {
    page.visible_xpath(
        &format!("the button {label:?}"),
        &format!("//button[@aria-label={}]", literal(label)),
    )
    .await
}

/// A user's or lab's state in its table row (the row whose first cell
/// is `name`, the state in column `column`).
async fn state_of(page: &Page, name: &str, column: u32, state: &str) -> anyhow::Result<()> {
    page.wait_for_text(
        &format!("{name}'s state"),
        &format!("//tr[td[1]={}]/td[{column}]", literal(name)),
        std::time::Duration::from_secs(10),
        |text| text == state,
    )
    .await?;
    Ok(())
}

/// Whether the focus is on the page's main heading `name` (not a link or
/// button of the same words).
async fn focus_on_heading(page: &Page, name: &str) -> anyhow::Result<()> {
    page.focus_is_on(name).await?;
    let tag = page
        .script("return document.activeElement.tagName;")
        .await?;
    anyhow::ensure!(
        tag == "H1",
        "the focus is on a {tag} {name:?}, not the heading"
    );
    Ok(())
}

const SUB_NAVIGATION: &str = "//nav[@aria-label='Bereiche der Administration']";

#[tokio::test]
async fn each_administration_task_has_its_page_under_one_sub_navigation() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "root", Role::Admin).await?;
        log_in(&page, "root", PASSWORD).await?;
        // The log-in leads to the index, its heading focused.
        page.heading("Administration").await?;
        focus_on_heading(&page, "Administration").await?;
        let links = page.texts(&format!("{SUB_NAVIGATION}/a")).await?;
        anyhow::ensure!(
            links
                == [
                    "Übersicht",
                    "Benutzer",
                    "Labor-API-Schlüssel",
                    "Statistik",
                    "Audit-Log"
                ],
            "the sub-navigation: {links:?}"
        );
        page.axe("/admin").await?;
        for (link, heading, path) in [
            ("Benutzer", "Benutzer", "/admin/users"),
            ("Labor-API-Schlüssel", "Labor-API-Schlüssel", "/admin/labs"),
            ("Statistik", "Statistik (30 Tage, UTC)", "/admin/statistics"),
            ("Audit-Log", "Audit-Log", "/admin/audit"),
            ("Übersicht", "Administration", "/admin"),
        ] {
            page.visible_xpath(
                &format!("the sub-navigation's link {link:?}"),
                &format!("{SUB_NAVIGATION}/a[normalize-space(.)={}]", literal(link)),
            )
            .await?
            .click()
            .await?;
            page.heading(heading).await?;
            focus_on_heading(&page, heading).await?;
            let location = page.script("return location.pathname;").await?;
            anyhow::ensure!(location == path, "{link} leads to {location}");
            let marked = page
                .texts(&format!("{SUB_NAVIGATION}/a[@aria-current='page']"))
                .await?;
            anyhow::ensure!(
                marked == [link],
                "on {path} the sub-navigation marks {marked:?}"
            );
            page.axe(path).await?;
        }
        // Each page is an address of its own, in English too.
        page.open("/admin/audit").await?;
        page.heading("Audit-Log").await?;
        page.button("English").await?.click().await?;
        page.heading("Audit log").await?;
        let links = page
            .texts("//nav[@aria-label='Administration sections']/a")
            .await?;
        anyhow::ensure!(
            links
                == [
                    "Overview",
                    "Users",
                    "Lab API keys",
                    "Statistics",
                    "Audit log"
                ],
            "the sub-navigation in English: {links:?}"
        );
        page.axe("/admin/audit in English").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn disabling_and_resetting_ask_first_with_cancel_as_the_default() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "root", Role::Admin).await?;
        add_user(&page, "hotline-7", Role::Hotline).await?;
        api::testresult::labs::add(page.db()?, "Labor-Nord", api::clock::now())
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        log_in(&page, "root", PASSWORD).await?;
        page.heading("Administration").await?;
        page.open("/admin/users").await?;
        page.heading("Benutzer").await?;

        // Disabling asks, naming the user; Enter on the focused answer
        // cancels, and the focus goes back to the button.
        ask(
            &page,
            "Sperren hotline-7",
            "Benutzer „hotline-7“ sperren?",
            "Abbrechen",
        )
        .await?;
        page.axe("/admin/users asking before disabling").await?;
        page.press_enter().await?;
        no_dialog(&page).await?;
        page.focus_is_on("Sperren").await?;
        state_of(&page, "hotline-7", 3, "aktiv, 2. Faktor offen").await?;
        // Escape cancels too.
        ask(
            &page,
            "Sperren hotline-7",
            "Benutzer „hotline-7“ sperren?",
            "Abbrechen",
        )
        .await?;
        page.type_here("\u{e00c}").await?;
        no_dialog(&page).await?;
        // Confirmed, it is done.
        ask(
            &page,
            "Sperren hotline-7",
            "Benutzer „hotline-7“ sperren?",
            "Abbrechen",
        )
        .await?;
        page.button("Ja, sperren").await?.click().await?;
        no_dialog(&page).await?;
        state_of(&page, "hotline-7", 3, "gesperrt").await?;
        // Enabling takes nothing away: no question.
        labelled_button(&page, "Entsperren hotline-7")
            .await?
            .click()
            .await?;
        state_of(&page, "hotline-7", 3, "aktiv, 2. Faktor offen").await?;

        // The second factor, asked in English.
        page.button("English").await?.click().await?;
        ask(
            &page,
            "Reset second factor hotline-7",
            "Reset the second factor of “hotline-7”?",
            "Cancel",
        )
        .await?;
        page.button("Cancel").await?.click().await?;
        no_dialog(&page).await?;
        page.focus_is_on("Reset second factor").await?;
        ask(
            &page,
            "Reset password hotline-7",
            "Reset the password of “hotline-7”?",
            "Cancel",
        )
        .await?;
        page.button("Cancel").await?.click().await?;
        no_dialog(&page).await?;
        page.button("Deutsch").await?.click().await?;

        // A lab's key.
        page.open("/admin/labs").await?;
        page.heading("Labor-API-Schlüssel").await?;
        state_of(&page, "Labor-Nord", 2, "aktiv").await?;
        ask(
            &page,
            "Sperren Labor-Nord",
            "Schlüssel des Labors „Labor-Nord“ sperren?",
            "Abbrechen",
        )
        .await?;
        page.axe("/admin/labs asking before disabling").await?;
        page.press_enter().await?;
        no_dialog(&page).await?;
        state_of(&page, "Labor-Nord", 2, "aktiv").await?;
        ask(
            &page,
            "Sperren Labor-Nord",
            "Schlüssel des Labors „Labor-Nord“ sperren?",
            "Abbrechen",
        )
        .await?;
        page.button("Ja, sperren").await?.click().await?;
        state_of(&page, "Labor-Nord", 2, "gesperrt").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_audit_log_filters_by_action_and_by_user_name_in_any_case() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "root", Role::Admin).await?;
        let now = api::clock::now();
        for (actor, action) in [
            ("Anna.Berg", AuditAction::TeleTanIssued),
            ("Anna.Berg", AuditAction::PasswordChanged),
            ("otto", AuditAction::TeleTanIssued),
        ] {
            api::portal::audit::record(page.db()?, actor, action, "", 1, now).await?;
        }
        log_in(&page, "root", PASSWORD).await?;
        page.heading("Administration").await?;
        page.open("/admin/audit").await?;
        page.heading("Audit-Log").await?;
        // The known actions by name.
        let options = page.texts("//select[@id='audit-action']/option").await?;
        anyhow::ensure!(
            options.len() == 1 + shared::portal::AUDIT_ACTIONS.len()
                && options[0] == "Alle Aktionen"
                && options.iter().any(|option| option == "teleTAN ausgegeben")
                && options.iter().any(|option| option == "Benutzer angelegt")
                && options.iter().all(|option| !option.contains('.')),
            "the actions offered: {options:?}"
        );
        page.field("Aktion")
            .await?
            .select_by_value("teletan.issued")
            .await?;
        page.fill("Benutzer", "ANNA.BERG").await?;
        page.button("Filtern").await?.click().await?;
        let rows = "//table/tbody/tr";
        page.wait_for_text(
            "the filtered entries",
            rows,
            std::time::Duration::from_secs(10),
            |text| text.contains("Anna.Berg teleTAN ausgegeben"),
        )
        .await?;
        let shown = page.texts(rows).await?;
        anyhow::ensure!(shown.len() == 1, "the filter shows {shown:?}");
        page.axe("/admin/audit filtered").await?;

        // Nobody of that name: the table says so.
        page.fill("Benutzer", "niemand").await?;
        page.button("Filtern").await?.click().await?;
        page.wait_for_text(
            "the empty log",
            rows,
            std::time::Duration::from_secs(10),
            |text| text == "Keine Einträge",
        )
        .await?;
        page.axe("/admin/audit without entries").await?;
        page.button("English").await?.click().await?;
        page.wait_for_text(
            "the empty log in English",
            rows,
            std::time::Duration::from_secs(10),
            |text| text == "No entries",
        )
        .await?;
        let chosen = page
            .text_at(
                "the chosen action",
                "//select[@id='audit-action']/option[@value='teletan.issued']",
            )
            .await?;
        anyhow::ensure!(
            chosen == "teleTAN issued",
            "in English the action reads {chosen:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_statistics_show_the_real_peak() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "root", Role::Admin).await?;
        log_in(&page, "root", PASSWORD).await?;
        page.heading("Administration").await?;
        page.open("/admin/statistics").await?;
        let caption = "//figcaption[starts-with(normalize-space(.), 'Ausgegebene teleTANs')]";
        // Nothing issued: the peak is 0, not 1.
        page.wait_for_text(
            "the teleTAN chart",
            caption,
            std::time::Duration::from_secs(10),
            |text| text.contains("Summe"),
        )
        .await
        .and_then(|text| {
            anyhow::ensure!(
                text == "Ausgegebene teleTANs – Summe: 0, Höchstwert: 0",
                "with nothing issued the chart says {text:?}"
            );
            Ok(())
        })?;
        // Three today: total and peak 3.
        let today = api::clock::now() / 86_400 * 86_400;
        sqlx::query("INSERT INTO daily_counts (day, metric, count) VALUES ($1, 'teletans', 3)")
            .bind(today)
            .execute(page.db()?.pool())
            .await?;
        page.open("/admin/statistics").await?;
        page.wait_for_text(
            "the teleTAN chart",
            caption,
            std::time::Duration::from_secs(10),
            |text| text == "Ausgegebene teleTANs – Summe: 3, Höchstwert: 3",
        )
        .await?;
        page.button("English").await?.click().await?;
        page.wait_for_text(
            "the teleTAN chart in English",
            "//figcaption[starts-with(normalize-space(.), 'teleTANs issued')]",
            std::time::Duration::from_secs(10),
            |text| text == "teleTANs issued – Total: 3, Peak: 3",
        )
        .await?;
        Ok(())
    })
    .await;
}
