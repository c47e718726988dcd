//! Portal steps several tests share: a user in the database, a log-in
//! through the pages with the TOTP code computed from the shown secret.

use shared::portal::Role;

use super::Page;

/// The password test users get.
pub const PASSWORD: &str = "a long test password";

/// Adds a user with [`PASSWORD`] straight to the server's database.
pub async fn add_user(page: &Page, name: &str, role: Role) -> anyhow::Result<()> {
    api::portal::accounts::create(page.db()?, name, role, PASSWORD, api::clock::now())
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok(())
}

/// Logs in through the pages; at the first log-in reads the secret the
/// page shows. Returns the secret.
pub async fn log_in(page: &Page, name: &str, password: &str) -> anyhow::Result<String> {
    page.open("/login").await?;
    page.heading("Anmelden").await?;
    page.fill("Benutzername", name).await?;
    page.fill("Passwort", password).await?;
    page.button("Weiter").await?.click().await?;
    page.heading("Zweiten Faktor einrichten").await?;
    let (secret, code) = enrolment_code(page).await?;
    page.fill("Code aus der Authenticator-App", &code).await?;
    page.button("Bestätigen").await?.click().await?;
    Ok(secret)
}

/// On the set-up page of the second factor: the secret it shows, and the
/// code an authenticator app would give for it now.
pub async fn enrolment_code(page: &Page) -> anyhow::Result<(String, String)> {
    let secret = page
        .text_at(
            "the key",
            "//p[starts-with(normalize-space(.), 'Schlüssel')]/code",
        )
        .await?;
    let code = api::portal::totp::code_at(&secret, api::clock::now())
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok((secret, code))
}
