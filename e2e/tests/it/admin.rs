//! Administration in the browser: an administrator creates a lab user who
//! then logs in and replaces the initial password; an administrator
//! resets a password; a hotline agent cannot open the page; sessions
//! expire.

use shared::portal::Role;

use crate::support::portal::{PASSWORD, add_user, log_in};
use crate::support::{Backend, browser_test};

#[tokio::test]
async fn administrator_creates_a_lab_user_who_then_logs_in() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "root", Role::Admin).await?;
        log_in(&page, "root", PASSWORD).await?;
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
        page.heading("Benutzer").await?;
        // Users are listed by name: hotline-9's button comes before root's.
        page.button("Passwort zurücksetzen").await?.click().await?;
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
        page.open("/admin").await?;
        page.heading("Kein Zugriff").await?;
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
