//! What people see, measured in the browser (issue 18): computed styles,
//! contrast, the print layout and pages on a phone's screen. A style sheet
//! that the browser cuts short (issue 18 point 1: an unclosed block nested
//! half the sheet inside `.chart__svg`) fails these, though every element
//! is still there.

use std::time::Duration;

use anyhow::Context;
use api::distribution::seed::{self, SeedOptions};
use shared::portal::Role;

use crate::support::portal::{PASSWORD, add_user, log_in};
use crate::support::{Backend, Page, browser_test};

/// Verifying a few days of bundles takes longer than a page's usual patience.
const LOADING: Duration = Duration::from_secs(60);
const DAY: i64 = 86_400;

/// WCAG 2.1 AA (1.4.3) for normal text.
const READABLE: f64 = 4.5;

/// The computed style properties `properties` of the element `xpath` finds.
async fn style(page: &Page, xpath: &str, properties: &[&str]) -> anyhow::Result<Vec<String>> {
    let script = format!(
        "const element = document.evaluate({}, document, null, \
         XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;\
         if (!element) return null;\
         const style = getComputedStyle(element);\
         return {}.map(property => style.getPropertyValue(property));",
        serde_json::to_string(xpath)?,
        serde_json::to_string(properties)?
    );
    let answer = page.script(&script).await?;
    serde_json::from_value::<Option<Vec<String>>>(answer)?
        .with_context(|| format!("nothing at {xpath}"))
}

/// The contrast ratio (WCAG 2.1) of the text colour of the element `xpath`
/// finds against the background it is drawn on (its own, else the first
/// ancestor's that is not transparent).
async fn contrast(page: &Page, xpath: &str) -> anyhow::Result<f64> {
    let script = format!(
        "const element = document.evaluate({}, document, null, \
         XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;\
         if (!element) return null;\
         const rgb = text => text.match(/[\\d.]+/g).map(Number);\
         const luminance = ([r, g, b]) => {{\
           const linear = c => {{ c /= 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); }};\
           return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);\
         }};\
         let background = null;\
         for (let node = element; node && node.nodeType === 1; node = node.parentElement) {{\
           const color = rgb(getComputedStyle(node).backgroundColor);\
           if (color.length < 4 || color[3] > 0) {{ background = color; break; }}\
         }}\
         background = background || [255, 255, 255];\
         const a = luminance(rgb(getComputedStyle(element).color));\
         const b = luminance(background);\
         return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);",
        serde_json::to_string(xpath)?
    );
    page.script(&script)
        .await?
        .as_f64()
        .with_context(|| format!("nothing at {xpath}"))
}

/// Seeds two days of keys and publishes them.
async fn publish_keys(page: &Page) -> anyhow::Result<u64> {
    let now = api::clock::now();
    let options = SeedOptions {
        cases: 12,
        days: 2,
        now,
        country: "DE".into(),
    };
    let keys = seed::generate(&options, &mut fastrand::Rng::with_seed(7));
    api::submission::store::insert_keys(page.db()?, &keys).await?;
    let report = page.distribute(now).await?;
    anyhow::ensure!(report.bundles > 0, "the run made no bundle: {report:?}");
    Ok(report.bundles)
}

const LOAD_BUTTON: &str = "//button[normalize-space(.)='Pakete laden und prüfen']";
/// The load button once enabled again: every bundle is checked.
const LOAD_DONE: &str = "//button[normalize-space(.)='Pakete laden und prüfen'][not(@disabled)]";

#[tokio::test]
async fn bundles_valid_and_invalid_look_different_and_primary_buttons_stay_readable() {
    browser_test(Backend::Warn, |page| async move {
        publish_keys(&page).await?;
        page.open("/bundles").await?;
        page.heading("Schlüsselpakete prüfen").await?;
        page.wait_for_text(
            "the key line",
            "//p[contains(., 'Schlüssel vom Server')]",
            LOADING,
            |text| text.contains("DE v1 (aktiv)"),
        )
        .await?;

        // Point 5: the primary button inside a `.form` keeps its primary
        // look (filled with the brand colour, not the card's white) and
        // readable text, also under the mouse.
        let button = page.button("Pakete laden und prüfen").await?;
        let [background] =
            <[String; 1]>::try_from(style(&page, LOAD_BUTTON, &["background-color"]).await?)
                .map_err(|_| anyhow::anyhow!("one property"))?;
        anyhow::ensure!(
            background != "rgb(255, 255, 255)" && background != "rgba(0, 0, 0, 0)",
            "the primary button is not filled: background {background}"
        );
        let normal = contrast(&page, LOAD_BUTTON).await?;
        anyhow::ensure!(
            normal >= READABLE,
            "the primary button's contrast is {normal:.2}:1"
        );
        page.hover(&button).await?;
        let hovered_background = style(&page, LOAD_BUTTON, &["background-color"]).await?;
        anyhow::ensure!(
            hovered_background[0] != background,
            "hovering does not change the primary button ({background})"
        );
        let hovered = contrast(&page, LOAD_BUTTON).await?;
        anyhow::ensure!(
            hovered >= READABLE,
            "the hovered primary button's contrast is {hovered:.2}:1"
        );
        page.axe("/bundles before loading").await?;

        // The drop zone has a visible border.
        let zone = style(
            &page,
            "//*[contains(@class, 'dropzone')]",
            &["border-top-style", "border-top-width"],
        )
        .await?;
        anyhow::ensure!(
            zone[0] == "dashed" && zone[1] != "0px",
            "the drop zone's border: {zone:?}"
        );

        // Point 10: the progress counts bundles (it showed a file path).
        page.script(
            "window.__progress = [];\
             new MutationObserver(() => {\
               const line = document.getElementById('bundles-progress');\
               if (line) window.__progress.push(line.textContent);\
             }).observe(document.body, { childList: true, subtree: true, characterData: true });\
             return true;",
        )
        .await?;
        button.click().await?;
        page.wait_for_text("the load button", LOAD_DONE, LOADING, |_| true)
            .await?;
        page.visible_xpath(
            "a checked bundle",
            "//article[@class='bundle']/p[contains(@class, 'bundle__status--valid')]",
        )
        .await?;
        let progress: Vec<String> =
            serde_json::from_value(page.script("return window.__progress;").await?)?;
        let counted = |text: &str| {
            let words: Vec<&str> = text.split_whitespace().collect();
            words.len() == 6
                && words[0].parse::<u32>().is_ok()
                && words[1] == "von"
                && words[2].parse::<u32>().is_ok()
                && words[3..] == ["Paketen", "geprüft", "…"]
        };
        anyhow::ensure!(
            !progress.is_empty() && progress.iter().all(|text| counted(text)),
            "the progress showed {progress:?}"
        );
        let checked = page.texts("//article[@class='bundle']").await?.len();

        // A tampered bundle beside them.
        let bundle = crate::support::tampered_daily_bundle(page.base_url()).await?;
        let tampered = &bundle.path;
        page.by_id("bundles-file")
            .await?
            .send_keys(&tampered.display().to_string())
            .await?;
        let invalid = "//article[@aria-label='tampered.zip']/p[contains(@class, 'bundle__status')]";
        page.wait_for_text("the tampered bundle", invalid, LOADING, |text| {
            text.starts_with("ungültig")
        })
        .await?;
        // Point 10: any file is taken, also one without `.zip` (as a CDN
        // serves bundles).
        let accept = page
            .script("return document.getElementById('bundles-file').accept;")
            .await?;
        anyhow::ensure!(accept == "", "the file chooser accepts only {accept}");
        let plain = bundle.folder.path().join(bundle.date.as_str());
        std::fs::write(&plain, &bundle.original)?;
        page.by_id("bundles-file")
            .await?
            .send_keys(&plain.display().to_string())
            .await?;
        page.wait_for_text(
            "the bundle without extension",
            &format!(
                "//article[@aria-label='{}']/p[contains(@class, 'bundle__status')]",
                bundle.date
            ),
            LOADING,
            |text| text.starts_with("gültig"),
        )
        .await?;
        // The summary counts them, and the filter shows the invalid one alone.
        let summary = page
            .text_of("bundles-summary", |text| text.contains("geprüft"))
            .await?;
        let expected = format!(
            "{} geprüft: {} gültig, 1 ungültig.",
            checked + 2,
            checked + 1
        );
        anyhow::ensure!(
            summary.starts_with(&expected) && summary.contains("Schlüssel pro Tag (UTC)"),
            "the summary says {summary:?}, expected {expected:?} and the keys per day"
        );
        page.field("Zeigen")
            .await?
            .select_by_value("invalid")
            .await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let shown = page.texts("//article[@class='bundle']").await?.len();
        anyhow::ensure!(
            shown == 1,
            "the filter \"nur ungültige\" shows {shown} results"
        );
        page.field("Zeigen").await?.select_by_value("all").await?;

        // Point 1: "gültig" and "ungültig" differ in colour and background.
        let properties = ["color", "background-color"];
        let valid = style(
            &page,
            "//article[@class='bundle']/p[contains(@class, 'bundle__status--valid')]",
            &properties,
        )
        .await?;
        let invalid_style = style(&page, invalid, &properties).await?;
        anyhow::ensure!(
            valid[0] != invalid_style[0] && valid[1] != invalid_style[1],
            "valid {valid:?} and invalid {invalid_style:?} look alike"
        );
        for (what, xpath) in [
            (
                "valid",
                "//article[@class='bundle']/p[contains(@class, 'bundle__status--valid')]",
            ),
            ("invalid", invalid),
        ] {
            let ratio = contrast(&page, xpath).await?;
            anyhow::ensure!(ratio >= READABLE, "{what}: contrast {ratio:.2}:1");
        }

        // The tables for screen readers under the charts take no room.
        let shown = page
            .script(
                "const tables = [...document.querySelectorAll('.bundle .visually-hidden table')];\
                 return [tables.length, tables.filter(t => {\
                   const box = t.closest('.visually-hidden').getBoundingClientRect();\
                   return box.width > 1 || box.height > 1;\
                 }).length];",
            )
            .await?;
        anyhow::ensure!(
            shown[0].as_u64() > Some(0) && shown[1].as_u64() == Some(0),
            "tables under the charts (all, visible): {shown}"
        );
        page.axe("/bundles with valid and invalid results").await?;
        Ok(())
    })
    .await;
}

/// A phone's stored state with one exposure window `days` ago: 30 minutes
/// close by (high risk with the default parameters), as the phone page
/// stores what its worker found.
fn phone_with_a_window(now: i64, days: i64) -> String {
    let start = now - days * DAY;
    serde_json::json!({
        "keys": [],
        "observations": [],
        "windows": [{
            "date": "",
            "start": start,
            "end": start + 600,
            "transmissionRiskLevel": 8,
            "window": {
                "ageInDays": 0,
                "reportType": 1,
                "infectiousness": 2,
                "calibrationConfidence": 0,
                "scanInstances": [
                    {"minAttenuation": 45, "typicalAttenuation": 50, "secondsSinceLastScan": 1800}
                ],
            },
        }],
    })
    .to_string()
}

#[tokio::test]
async fn low_and_high_risk_look_different_on_the_phone() {
    browser_test(Backend::Warn, |page| async move {
        let card = "//div[@aria-label='Risikokarte']";
        page.open("/phone?name=calm").await?;
        page.heading("Telefon-Simulator").await?;
        page.wait_for_text("the risk card", card, LOADING, |text| {
            text.starts_with("Niedriges Risiko")
        })
        .await?;
        let properties = ["color", "background-color"];
        let low = style(&page, card, &properties).await?;
        page.axe("/phone with low risk").await?;

        let state = phone_with_a_window(api::clock::now(), 1);
        page.script(&format!(
            "localStorage.setItem('warn-phone:met', {}); return true;",
            serde_json::to_string(&state)?
        ))
        .await?;
        page.open("/phone?name=met").await?;
        let text = page
            .wait_for_text("the risk card", card, LOADING, |text| {
                text.starts_with("Erhöhtes Risiko")
            })
            .await?;
        // Point 6: German grammar for one day.
        anyhow::ensure!(
            text.ends_with("Letzte Begegnung vor 1 Tag"),
            "the risk card says {text:?}"
        );
        let high = style(&page, card, &properties).await?;
        anyhow::ensure!(
            low[0] != high[0] && low[1] != high[1],
            "low risk {low:?} and high risk {high:?} look alike"
        );
        let ratio = contrast(&page, card).await?;
        anyhow::ensure!(ratio >= READABLE, "high risk: contrast {ratio:.2}:1");
        page.axe("/phone with high risk").await?;
        Ok(())
    })
    .await;
}

/// Whether `text` holds an ISO 8601 time ("2026-12-04T23:58:48Z": a digit,
/// `T`, a digit) or names UTC.
fn has_iso_time(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    text.contains("UTC")
        || chars
            .windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1] == 'T' && w[2].is_ascii_digit())
}

/// Counts the pages of a PDF (its page objects, `/Type /Page`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    let mut pages = 0;
    let mut rest = text.as_ref();
    while let Some(at) = rest.find("/Type") {
        rest = &rest[at + "/Type".len()..];
        let value = rest.trim_start();
        if value.starts_with("/Page") && !value.starts_with("/Pages") {
            pages += 1;
        }
    }
    pages
}

#[tokio::test]
async fn a_printed_batch_sheet_shows_only_the_sheet_on_one_page() {
    browser_test(Backend::Warn, |page| async move {
        add_user(&page, "printer", Role::HealthOfficer).await?;
        log_in(&page, "printer", PASSWORD).await?;
        page.heading("teleTAN-Stapel").await?;
        page.fill("Anzahl (1–50)", "50").await?;
        page.button("Stapel ausgeben").await?.click().await?;
        page.text_of("teletan-sheet", |text| text.lines().count() == 51)
            .await?;
        page.axe("/teletan with a batch sheet").await?;
        // Point 7: the sheet says plainly how long it is valid, and shows
        // no raw ISO time.
        let validity = page
            .text_of("teletan-sheet-validity", |text| !text.is_empty())
            .await?;
        anyhow::ensure!(
            validity.starts_with("Diese teleTANs gelten nur 1 Stunde, bis ")
                && validity.ends_with(" Uhr. Danach bitte neue ausgeben."),
            "the sheet says {validity:?}"
        );
        let sheet_text = page
            .script(
                "return [document.getElementById('sheet-title').innerText,\
                   ...[...document.querySelectorAll('#teletan-sheet td:nth-child(3)')]\
                     .map(cell => cell.innerText)].join('\\n');",
            )
            .await?;
        let sheet_text = sheet_text.as_str().unwrap_or_default();
        anyhow::ensure!(
            !has_iso_time(sheet_text),
            "the sheet shows raw times: {sheet_text:?}"
        );

        page.cdp(
            "Emulation.setEmulatedMedia",
            serde_json::json!({ "media": "print" }),
        )
        .await?;
        // Printed, the page's text is the sheet's text: no header, menu,
        // buttons, form or footer.
        let texts = page
            .script(
                "const sheet = document.querySelector('.teletan-sheet');\
                 return [document.body.innerText.trim(), sheet ? sheet.innerText.trim() : null,\
                   [...document.querySelectorAll('button, header, footer, nav, form')]\
                     .filter(e => e.getClientRects().length > 0).map(e => e.outerHTML.slice(0, 80))];",
            )
            .await?;
        anyhow::ensure!(
            texts[1].is_string() && texts[0] == texts[1],
            "printed, the page shows more than the sheet: {:?}",
            texts[0]
        );
        anyhow::ensure!(
            texts[2].as_array().is_some_and(Vec::is_empty),
            "printed, these still show: {}",
            texts[2]
        );
        let pdf = page.print_pdf().await?;
        let pages = pdf_pages(&pdf);
        anyhow::ensure!(pages == 1, "50 teleTANs print on {pages} pages");
        page.cdp(
            "Emulation.setEmulatedMedia",
            serde_json::json!({ "media": "" }),
        )
        .await?;
        Ok(())
    })
    .await;
}

/// Checks the page shown now on a 390×844 screen: nothing wider than the
/// screen, nothing that scrolls sideways inside the page (a table or box
/// wider than its card) but the tables made to (`.table--scroll`: many
/// columns of numbers, reachable by keyboard), and each of `visible`
/// (button or link texts in the header) within it. Saves screenshots at both widths when `WARN_SCREENSHOTS`
/// names a folder (`cargo xtask screenshots`), and runs axe-core.
async fn check_page(page: &Page, name: &str, visible: &[&str]) -> anyhow::Result<()> {
    // Let the page settle (server answers, fonts).
    tokio::time::sleep(Duration::from_millis(500)).await;
    page.axe(name).await?;
    let screenshots = std::env::var_os("WARN_SCREENSHOTS").map(std::path::PathBuf::from);
    let file = name.trim_matches('/').replace(['/', '?', '='], "-");
    let file = if file.is_empty() { "start" } else { &file };
    if let Some(folder) = &screenshots {
        page.screenshot_to(folder, &format!("{file}-1280")).await?;
    }
    page.phone_screen(true).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let measured = page
        .script(
            "const width = document.documentElement.clientWidth;\
             const named = e => e.tagName + '.' + e.className + (e.id ? '#' + e.id : '');\
             const wide = [...document.querySelectorAll('body *')]\
               .filter(e => e.getBoundingClientRect().right > width + 0.5\
                 && !e.closest('.table--scroll, .visually-hidden, .skip-link'))\
               .slice(0, 5).map(e => named(e) + ' ' + Math.round(e.getBoundingClientRect().right));\
             const scrolling = [...document.querySelectorAll('main *')]\
               .filter(e => e.scrollWidth > e.clientWidth + 1\
                 && ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX)\
                 && !e.matches('.table--scroll') && !e.closest('.visually-hidden'))\
               .slice(0, 5).map(e => named(e) + ' ' + e.scrollWidth + ' in ' + e.clientWidth);\
             return [document.documentElement.scrollWidth, width, wide, scrolling];",
        )
        .await?;
    let outcome = async {
        anyhow::ensure!(
            measured[0].as_u64() <= Some(390) && measured[1].as_u64() == Some(390),
            "{name} at 390 px: scroll width, screen width, widest: {measured}"
        );
        anyhow::ensure!(
            measured[2].as_array().is_some_and(Vec::is_empty)
                && measured[3].as_array().is_some_and(Vec::is_empty),
            "{name} at 390 px: wider than the screen, scrolling inside the page: {} {}",
            measured[2],
            measured[3]
        );
        for label in visible {
            let box_ = page
                .script(&format!(
                    "const element = [...document.querySelectorAll('header button, header a')]\
                       .find(e => e.textContent.trim() === {});\
                     if (!element) return null;\
                     const box = element.getBoundingClientRect();\
                     return box.width > 0 && box.left >= 0 && box.right <= 390;",
                    serde_json::to_string(label)?
                ))
                .await?;
            anyhow::ensure!(
                box_ == serde_json::Value::Bool(true),
                "{name} at 390 px: {label:?} is not on the screen ({box_})"
            );
        }
        page.axe(&format!("{name} at 390 px")).await?;
        if let Some(folder) = &screenshots {
            page.screenshot_to(folder, &format!("{file}-390")).await?;
        }
        anyhow::Ok(())
    }
    .await;
    page.phone_screen(false).await?;
    outcome
}

#[tokio::test]
async fn every_page_fits_a_phone_and_passes_axe() {
    browser_test(Backend::Warn, |page| async move {
        publish_keys(&page).await?;
        let language = ["Deutsch", "English"];
        for (path, heading) in [
            ("/", "Warn"),
            ("/login", "Anmelden"),
            ("/bundles", "Schlüsselpakete prüfen"),
            ("/risk", "Konfiguration und Risiko"),
            ("/phone", "Telefon-Simulator"),
            ("/no-such-page", "Seite nicht gefunden"),
        ] {
            page.open(path).await?;
            page.heading(heading).await?;
            check_page(&page, path, &language).await?;
        }
        // The risk page's longer English words fit as well.
        page.open("/risk").await?;
        page.button("English").await?.click().await?;
        page.heading("Configuration and risk").await?;
        check_page(&page, "/risk-en", &language).await?;
        page.button("Deutsch").await?.click().await?;
        // /bundles with its results.
        page.open("/bundles").await?;
        page.button("Pakete laden und prüfen")
            .await?
            .click()
            .await?;
        page.wait_for_text("the load button", LOAD_DONE, LOADING, |_| true)
            .await?;
        page.visible_xpath("a checked bundle", "//article[@class='bundle']")
            .await?;
        check_page(&page, "/bundles-checked", &language).await?;

        let signed_in = ["Abmelden", "Deutsch", "English"];
        for (role, name, path) in [
            (Role::Hotline, "hotline", "/teletan"),
            (Role::HealthOfficer, "officer", "/teletan"),
            (Role::Lab, "lab", "/lab"),
            (Role::Admin, "admin", "/admin"),
        ] {
            add_user(&page, name, role).await?;
            log_in(&page, name, PASSWORD).await?;
            // The role's start page, once the second factor is confirmed
            // (the log-in page's own heading stays until then).
            page.visible_xpath(
                "the start page's heading",
                "//main//h1[normalize-space(.) != 'Anmelden']",
            )
            .await?;
            page.open(path).await?;
            page.visible_xpath("the page's heading", "//main//h1")
                .await?;
            check_page(&page, &format!("{path}-{name}"), &signed_in).await?;
            if role == Role::HealthOfficer {
                page.fill("Anzahl (1–50)", "20").await?;
                page.button("Stapel ausgeben").await?.click().await?;
                page.text_of("teletan-sheet", |text| text.lines().count() == 21)
                    .await?;
                check_page(&page, "/teletan-officer-sheet", &signed_in).await?;
            }
            if role == Role::Hotline {
                page.button("teleTAN ausgeben").await?.click().await?;
                page.labelled_text("teleTAN").await?;
                check_page(&page, "/teletan-hotline-issued", &signed_in).await?;
            }
            if role == Role::Admin {
                check_admin_pages(&page, &signed_in).await?;
            }
            page.forget_cookies().await?;
        }
        Ok(())
    })
    .await;
}

/// The administration's pages, and the states that add to them: a
/// question before disabling, a one-time password, a lab key, an audit
/// log without entries.
async fn check_admin_pages(page: &Page, signed_in: &[&str]) -> anyhow::Result<()> {
    api::testresult::labs::add(page.db()?, "Labor Süd", api::clock::now())
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    for (path, heading) in [
        ("/admin/users", "Benutzer"),
        ("/admin/labs", "Labor-API-Schlüssel"),
        ("/admin/statistics", "Statistik (30 Tage, UTC)"),
        ("/admin/audit", "Audit-Log"),
    ] {
        page.open(path).await?;
        page.heading(heading).await?;
        check_page(page, path, signed_in).await?;
    }
    page.open("/admin/users").await?;
    page.button("Sperren").await?.click().await?;
    page.button("Abbrechen").await?;
    check_page(page, "/admin/users-asking", signed_in).await?;
    page.button("Abbrechen").await?.click().await?;
    // Another user's: resetting one's own password ends one's session.
    page.visible_xpath(
        "hotline's password reset",
        "//button[@aria-label='Passwort zurücksetzen hotline']",
    )
    .await?
    .click()
    .await?;
    page.button("Ja, zurücksetzen").await?.click().await?;
    page.labelled_text("initial password").await?;
    check_page(page, "/admin/users-one-time-password", signed_in).await?;
    page.open("/admin/labs").await?;
    page.fill("Name des Labors", "Labor West").await?;
    page.button("Schlüssel erzeugen").await?.click().await?;
    page.labelled_text("lab API key").await?;
    check_page(page, "/admin/labs-new-key", signed_in).await?;
    page.open("/admin/audit").await?;
    page.fill("Benutzer", "niemand").await?;
    page.button("Filtern").await?.click().await?;
    page.wait_for_text("the empty log", "//table/tbody/tr", LOADING, |text| {
        text == "Keine Einträge"
    })
    .await?;
    check_page(page, "/admin/audit-empty", signed_in).await?;
    Ok(())
}

/// The two language buttons as the page draws them: for each, its text,
/// `aria-pressed`, left and right edge, font weight, text decoration and
/// left border.
const LANGUAGE_BUTTONS: &str = "return [...document.querySelectorAll('.lang-switch button')].map(b => {\
      const box = b.getBoundingClientRect(); const style = getComputedStyle(b);\
      return [b.textContent.trim(), b.getAttribute('aria-pressed'), box.left, box.right,\
        style.fontWeight, style.textDecorationLine, style.borderLeftStyle + ' ' + style.borderLeftWidth];\
    });";

#[tokio::test]
async fn the_language_buttons_read_as_two_and_the_chosen_one_stands_out() {
    browser_test(Backend::Warn, |page| async move {
        page.open("/").await?;
        page.heading("Warn").await?;
        for (chosen, other) in [("Deutsch", "English"), ("English", "Deutsch")] {
            page.button(chosen).await?.click().await?;
            let german_pressed = if chosen == "Deutsch" { "true" } else { "false" };
            let buttons = page
                .wait_for_script("the language buttons", LANGUAGE_BUTTONS, |answer| {
                    answer[0][1] == german_pressed
                })
                .await?;
            let [german, english] =
                <[serde_json::Value; 2]>::try_from(
                    serde_json::from_value::<Vec<serde_json::Value>>(buttons.clone())?,
                )
                .map_err(|_| anyhow::anyhow!("two language buttons: {buttons}"))?;
            anyhow::ensure!(
                german[0] == "Deutsch" && english[0] == "English",
                "the buttons: {buttons}"
            );
            // At 1280 px a clear gap and a line between them.
            let gap = english[2].as_f64().unwrap_or(0.0) - german[3].as_f64().unwrap_or(0.0);
            anyhow::ensure!(gap >= 11.5, "the buttons are {gap} px apart: {buttons}");
            anyhow::ensure!(
                english[6] == "solid 1px",
                "no line between the buttons: {buttons}"
            );
            // The chosen one is pressed, bold and not underlined; the other
            // is underlined like a link.
            let (pressed, unpressed) = if chosen == "Deutsch" {
                (&german, &english)
            } else {
                (&english, &german)
            };
            anyhow::ensure!(
                pressed[1] == "true"
                    && pressed[4] == "700"
                    && pressed[5] == "none"
                    && unpressed[1] == "false"
                    && unpressed[4] == "400"
                    && unpressed[5] == "underline",
                "{chosen} chosen, {other} not: {buttons}"
            );
        }
        page.heading("Warn").await?;
        page.axe("/ with English chosen").await?;
        page.button("Deutsch").await?.click().await?;
        Ok(())
    })
    .await;
}
