//! The landing page and paths the portal does not know.

use crate::support::{Backend, browser_test};

#[tokio::test]
async fn landing_page_shows_server_status() {
    browser_test(Backend::Warn, |page| async move {
        page.open("/").await?;

        page.heading("Warn").await?;
        let status = page
            .role_text("status", |text| text.starts_with("Server erreichbar"))
            .await?;

        // The e2e crate shares the workspace version with the server.
        let expected = format!(
            "Server erreichbar — Version {}, Datenbank sqlite",
            env!("CARGO_PKG_VERSION")
        );
        anyhow::ensure!(
            status == expected,
            "status shows {status:?}, expected {expected:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn unknown_path_loads_the_app_with_a_way_back() {
    browser_test(Backend::Warn, |page| async move {
        page.open("/portal/anything").await?;

        page.heading("Seite nicht gefunden").await?;
        page.link("Zur Startseite").await?.click().await?;

        page.heading("Warn").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn status_box_says_why_when_the_api_does_not_answer() {
    browser_test(Backend::PortalFilesOnly, |page| async move {
        page.open("/").await?;

        page.heading("Warn").await?;
        let status = page
            .role_text("status", |text| text.starts_with("Serverstatus unbekannt"))
            .await?;

        anyhow::ensure!(
            status.contains("HTTP-Status 404"),
            "status shows {status:?}, expected it to name HTTP status 404"
        );
        Ok(())
    })
    .await;
}
