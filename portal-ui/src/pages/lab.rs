//! `/lab` (lab users): one result by form, or many from a CSV file. The
//! GUID (or the QR code's content) is hashed in the page by `shared` (as a
//! phone hashes it); only the hash is sent, with the date-of-birth id too
//! when the date of birth is given. The form preselects no result and asks
//! again before a positive is sent. A CSV file is checked line by line
//! before anything is sent, then sent in batches of at most 1,000 results
//! with a progress bar; once sent, the page says the results are stored and
//! offers the receipt (one line per result, with what happened to it).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::lab_csv::{self, FileError, Row, RowError, RowResult};
use shared::portal::Role;
use shared::verification::wire::{LabResultsRequest, LabTestResult, MAX_LAB_RESULTS_PER_REQUEST};
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::components::download::{csv_field, download};
use crate::components::error_line::ErrorLine;
use crate::components::focus::heading_takes_focus;
use crate::components::protected::Protected;
use crate::components::time::utc_rfc3339;
use crate::i18n::{Lang, tr, use_lang};
use crate::session::use_session;

/// Error rows shown in the preview (the receipt has all of them).
const SHOWN_ERRORS: usize = 100;
/// Lines of the preview.
const PREVIEW: usize = 10;

/// The lab page.
#[component]
pub fn LabPage() -> impl IntoView {
    view! {
        <Protected roles=&[Role::Lab]>
            <SingleResult />
            <CsvUpload />
        </Protected>
    }
}

fn result_name(code: u8, lang: Lang) -> &'static str {
    match code {
        1 => lang.pick("negativ", "negative"),
        2 => lang.pick("positiv", "positive"),
        3 => lang.pick("ungültig", "invalid"),
        _ => "?",
    }
}

fn row_error(error: &RowError, lang: Lang) -> String {
    match (error, lang) {
        (_, Lang::En) => error.to_string(),
        (RowError::Malformed(detail), Lang::De) => format!("kein lesbares CSV: {detail}"),
        (RowError::MissingGuid, Lang::De) => "die GUID fehlt".into(),
        (RowError::InvalidGuid, Lang::De) => {
            "die GUID enthält Leerzeichen oder nicht druckbare Zeichen oder ist länger als 128 Zeichen".into()
        }
        (RowError::DuplicateGuid(line), Lang::De) => format!("dieselbe GUID wie Zeile {line}"),
        (RowError::InvalidResult(text), Lang::De) => {
            format!("Ergebnis {text:?} ist nicht 1/negativ, 2/positiv oder 3/ungültig")
        }
        (RowError::InvalidSampleTime(text), Lang::De) => format!(
            "Probenzeit {text:?} ist weder Unix-Sekunden noch RFC 3339 (2026-11-28T09:30:00Z)"
        ),
        (RowError::TooManyColumns, Lang::De) => "mehr als vier Spalten".into(),
        (RowError::InvalidQrContent, Lang::De) => {
            "der QR-Inhalt ist nicht https://localhost/? mit einer GUID".into()
        }
        (RowError::InvalidDateOfBirth(text), Lang::De) => {
            format!("Geburtsdatum {text:?} ist kein Datum JJJJ-MM-TT")
        }
    }
}

/// A line's problem (written for a table cell) as a sentence for the form.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |first| {
        first.to_uppercase().chain(chars).collect::<String>() + "."
    })
}

/// Unix seconds of a `datetime-local` value, read in the browser's time zone.
fn local_input_seconds(value: &str) -> Option<i64> {
    let millis = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value)).get_time();
    (millis.is_finite() && millis >= 0.0).then(|| (millis / 1000.0).floor() as i64)
}

#[component]
fn SingleResult() -> impl IntoView {
    let session = use_session();
    let lang = use_lang();
    let guid = RwSignal::new(String::new());
    // No result is preselected: a lab worker must choose one on purpose.
    let result = RwSignal::new(None::<u8>);
    let sample_time = RwSignal::new(String::new());
    let dob = RwSignal::new(String::new());
    // A positive waits here for its confirmation.
    let confirming = RwSignal::new(None::<LabResultsRequest>);
    // (success, text) of the last attempt.
    let status = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    // Focus goes where the person has to act next.
    let guid_field = NodeRef::<leptos::html::Input>::new();
    let first_result = NodeRef::<leptos::html::Input>::new();
    let dob_field = NodeRef::<leptos::html::Input>::new();
    let time_field = NodeRef::<leptos::html::Input>::new();
    let cancel_button = NodeRef::<leptos::html::Button>::new();
    let focus = |field: NodeRef<leptos::html::Input>| {
        if let Some(element) = field.get_untracked() {
            let _ = element.focus();
        }
    };
    // The question appears with its least harmful answer focused (as the
    // WAI-ARIA practices advise): a second Enter cancels, never confirms.
    Effect::new(move |_| {
        if confirming.with(Option::is_some)
            && let Some(button) = cancel_button.get()
        {
            let _ = button.focus();
        }
    });

    let send = move |request: LabResultsRequest| {
        let Some(csrf) = session.with_untracked(|state| state.csrf()) else {
            return;
        };
        let lang = lang.get_untracked();
        let code = request.test_results.first().map_or(0, |item| item.result);
        busy.set(true);
        status.set(None);
        confirming.set(None);
        spawn_local(async move {
            match api::upload_lab_results(&csrf, &request).await {
                Ok(_) => {
                    let text = match lang {
                        Lang::De => format!(
                            "Gespeichert: {}. Die App der getesteten Person zeigt das Ergebnis beim nächsten Abruf.",
                            result_name(code, lang)
                        ),
                        Lang::En => format!(
                            "Stored: {}. The tested person's app shows the result when it next asks.",
                            result_name(code, lang)
                        ),
                    };
                    status.set(Some((true, text)));
                    // Ready for the next sample: its result is chosen anew.
                    guid.set(String::new());
                    dob.set(String::new());
                    result.set(None);
                    focus(guid_field);
                }
                // The form keeps everything that was typed.
                Err(failure) => status.set(Some((false, failure.describe(lang)))),
            }
            busy.set(false);
        });
    };

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let lang = lang.get_untracked();
        confirming.set(None);
        // Says what is wrong and puts the focus on the field to fix.
        let fail = |text: String, field: NodeRef<leptos::html::Input>| {
            status.set(Some((false, text)));
            focus(field);
        };
        let test_guid = match lab_csv::parse_guid(&guid.get_untracked()) {
            Ok(test_guid) => test_guid,
            Err(error) => return fail(sentence(&row_error(&error, lang)), guid_field),
        };
        let Some(code) = result.get_untracked() else {
            return fail(
                lang.pick(
                    "Bitte ein Ergebnis wählen: negativ, positiv oder ungültig.",
                    "Please choose a result: negative, positive or invalid.",
                )
                .to_owned(),
                first_result,
            );
        };
        let date_of_birth = match lab_csv::parse_date_of_birth(&dob.get_untracked()) {
            Ok(date_of_birth) => date_of_birth,
            Err(error) => return fail(sentence(&row_error(&error, lang)), dob_field),
        };
        let time_text = sample_time.get_untracked();
        let sc = if time_text.trim().is_empty() {
            None
        } else if let Some(seconds) = local_input_seconds(&time_text) {
            Some(seconds)
        } else {
            return fail(
                lang.pick(
                    "Die Probenzeit ist ungültig.",
                    "The sample time is invalid.",
                )
                .to_owned(),
                time_field,
            );
        };
        let under = |id: &str| LabTestResult {
            id: id.to_owned(),
            result: code,
            sc,
        };
        let mut test_results = vec![under(test_guid.hashed().expose())];
        if let Some(date_of_birth) = date_of_birth {
            test_results.push(under(test_guid.dob_id(date_of_birth).expose()));
        }
        let request = LabResultsRequest {
            lab_id: None,
            test_results,
        };
        if code == 2 {
            // A positive tells the person to warn others: never by accident
            // (Enter in the GUID field), only after a second, explicit yes.
            status.set(None);
            confirming.set(Some(request));
        } else {
            send(request);
        }
    };
    let confirm = move |_| {
        if let Some(request) = confirming.get_untracked() {
            send(request);
        }
    };
    // Back to the choice, to change it or to send again.
    let cancel = move |_| {
        confirming.set(None);
        if let Some(chosen) = document()
            .query_selector("input[name=\"lab-result\"]:checked")
            .ok()
            .flatten()
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = chosen.focus();
        }
    };

    let heading = NodeRef::<leptos::html::H1>::new();
    heading_takes_focus(heading);
    let title = tr("Ein Ergebnis melden", "Report one result");
    let guid_label = tr("GUID der Probe", "Sample GUID");
    let guid_hint = tr(
        "GUID oder Inhalt des QR-Codes. Sie wird hier im Browser gehasht; nur der Hash wird gesendet.",
        "GUID or the QR code's content. It is hashed here in the browser; only the hash is sent.",
    );
    let result_legend = tr("Ergebnis", "Result");
    let time_label = tr("Zeit der Probenahme (optional)", "Sample time (optional)");
    let dob_label = tr("Geburtsdatum (optional)", "Date of birth (optional)");
    let dob_hint = tr(
        "Nur wenn die Person es bei der Probe angegeben hat: Dann wird das Ergebnis auch unter der Kennung aus GUID und Geburtsdatum gemeldet, die die App sendet.",
        "Only if the person gave it with the sample: the result is then also reported under the id from GUID and date of birth that the app sends.",
    );
    let submit_label = tr("Ergebnis senden", "Send result");
    let confirm_title = tr("Positives Ergebnis bestätigen", "Confirm a positive result");
    let confirm_text = tr(
        "Sie melden ein POSITIVES Ergebnis. Die getestete Person wird aufgefordert, andere zu warnen. Stimmt das?",
        "You are reporting a POSITIVE result. The tested person will be asked to warn others. Is that right?",
    );
    let confirm_label = tr("Ja, positiv melden", "Yes, report positive");
    let cancel_label = tr("Abbrechen", "Cancel");
    view! {
        <section class="card" aria-labelledby="lab-title">
            <h1 id="lab-title" tabindex="-1" node_ref=heading>{title}</h1>
            <form class="form" on:submit=submit>
                <label for="lab-guid">{guid_label}</label>
                <input id="lab-guid" type="text" required autocomplete="off" spellcheck="false"
                    aria-describedby="lab-guid-hint" node_ref=guid_field
                    prop:value=move || guid.get()
                    on:input=move |ev| { confirming.set(None); guid.set(event_target_value(&ev)) } />
                <p id="lab-guid-hint" class="hint">{guid_hint}</p>
                <fieldset id="lab-result" class="choices">
                    <legend>{result_legend}</legend>
                    {[1_u8, 2, 3].into_iter().map(|code| {
                        let id = format!("lab-result-{code}");
                        view! {
                            <div class="choice">
                                <input type="radio" name="lab-result" id=id.clone() value=code.to_string()
                                    node_ref=if code == 1 { first_result } else { NodeRef::new() }
                                    prop:checked=move || result.get() == Some(code)
                                    on:change=move |_| { confirming.set(None); result.set(Some(code)) } />
                                <label for=id>{move || result_name(code, lang.get())}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <label for="lab-sample-time">{time_label}</label>
                <input id="lab-sample-time" type="datetime-local" node_ref=time_field
                    prop:value=move || sample_time.get()
                    on:input=move |ev| sample_time.set(event_target_value(&ev)) />
                <label for="lab-dob">{dob_label}</label>
                <input id="lab-dob" type="date" aria-describedby="lab-dob-hint" node_ref=dob_field
                    prop:value=move || dob.get()
                    on:input=move |ev| { confirming.set(None); dob.set(event_target_value(&ev)) } />
                <p id="lab-dob-hint" class="hint">{dob_hint}</p>
                <button id="lab-submit" type="submit" class="button button--primary"
                    disabled=move || busy.get()>{submit_label}</button>
            </form>
            <Show when=move || confirming.with(Option::is_some)>
                <div id="lab-confirm" class="alert alert--error" role="alertdialog"
                    aria-labelledby="lab-confirm-title" aria-describedby="lab-confirm-text">
                    <h2 id="lab-confirm-title">{confirm_title}</h2>
                    <p id="lab-confirm-text">{confirm_text}</p>
                    <div class="form form--inline">
                        <button type="button" class="button button--primary" on:click=confirm
                            disabled=move || busy.get()>{confirm_label}</button>
                        <button type="button" class="button" on:click=cancel
                            node_ref=cancel_button>{cancel_label}</button>
                    </div>
                </div>
            </Show>
            <p id="lab-status" role="status" aria-live="polite"
                class=move || match status.get() {
                    Some((true, _)) => "alert alert--info",
                    Some((false, _)) => "alert alert--error",
                    None => "lab-status--empty",
                }>
                {move || status.get().map(|(_, text)| text)}
            </p>
        </section>
    }
}

/// What happened to one line when it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Delivery {
    Waiting,
    Stored,
    Failed(String),
}

#[component]
fn CsvUpload() -> impl IntoView {
    let session = use_session();
    let lang = use_lang();
    let file_name = RwSignal::new(String::new());
    let parsed = RwSignal::new(None::<Result<Vec<Row>, FileError>>);
    let sent = RwSignal::new(Vec::<Delivery>::new());
    let progress = RwSignal::new((0_usize, 0_usize));
    let sending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let received_at = RwSignal::new(None::<i64>);
    // Whether a send was tried (the receipt is offered only then).
    let attempted = RwSignal::new(false);

    let choose = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        file_name.set(file.name());
        parsed.set(None);
        sent.set(Vec::new());
        progress.set((0, 0));
        error.set(None);
        received_at.set(None);
        attempted.set(false);
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|value| value.as_string())
                .unwrap_or_default();
            let rows = lab_csv::parse(&text);
            if let Ok(rows) = &rows {
                sent.set(vec![Delivery::Waiting; rows.len()]);
            }
            parsed.set(Some(rows));
        });
    };

    let errors = move || {
        parsed.with(|parsed| match parsed {
            Some(Ok(rows)) => rows.iter().filter(|row| row.outcome.is_err()).count(),
            _ => 0,
        })
    };
    let total = move || {
        parsed.with(|parsed| {
            parsed
                .as_ref()
                .and_then(|p| p.as_ref().ok())
                .map_or(0, Vec::len)
        })
    };

    let send_all = move |_| {
        let Some(csrf) = session.with_untracked(|state| state.csrf()) else {
            return;
        };
        let Some(Ok(rows)) = parsed.get_untracked() else {
            return;
        };
        if rows.iter().any(|row| row.outcome.is_err()) {
            return;
        }
        let lines: Vec<RowResult> = rows
            .into_iter()
            .filter_map(|row| row.outcome.ok())
            .collect();
        // Batches of at most 1,000 results; a line's two results (with a
        // date of birth) always travel in the same all-or-nothing batch.
        let mut batches: Vec<Vec<RowResult>> = Vec::new();
        let mut in_batch = 0;
        for line in lines.iter().cloned() {
            let count = line.results().count();
            if batches.is_empty() || in_batch + count > MAX_LAB_RESULTS_PER_REQUEST {
                batches.push(Vec::new());
                in_batch = 0;
            }
            in_batch += count;
            if let Some(batch) = batches.last_mut() {
                batch.push(line);
            }
        }
        sending.set(true);
        error.set(None);
        progress.set((0, lines.len()));
        spawn_local(async move {
            let mut done = 0;
            for batch in batches {
                let request = LabResultsRequest {
                    lab_id: None,
                    test_results: batch
                        .iter()
                        .flat_map(|line| line.results().cloned())
                        .collect(),
                };
                match api::upload_lab_results(&csrf, &request).await {
                    Ok(receipt) => {
                        sent.update(|sent| {
                            for state in sent.iter_mut().skip(done).take(batch.len()) {
                                *state = Delivery::Stored;
                            }
                        });
                        received_at.set(Some(receipt.received_at));
                        done += batch.len();
                        progress.set((done, lines.len()));
                    }
                    Err(failure) => {
                        let text = failure.describe(lang.get_untracked());
                        sent.update(|sent| {
                            for state in sent.iter_mut().skip(done).take(batch.len()) {
                                *state = Delivery::Failed(text.clone());
                            }
                        });
                        error.set(Some(failure));
                        break;
                    }
                }
            }
            sending.set(false);
            attempted.set(true);
        });
    };

    let receipt = move |_| {
        let Some(Ok(rows)) = parsed.get_untracked() else {
            return;
        };
        let states = sent.get_untracked();
        let mut text =
            String::from("line,guid_start,hashed_guid,dob_id,result,sample_time,status\r\n");
        for (row, state) in rows.iter().zip(states.iter()) {
            let (start, id, dob_id, result, sc) = match &row.outcome {
                Ok(line) => (
                    line.guid_start.clone(),
                    line.result.id.clone(),
                    line.dob_result
                        .as_ref()
                        .map(|item| item.id.clone())
                        .unwrap_or_default(),
                    line.result.result.to_string(),
                    line.result.sc.map(utc_rfc3339).unwrap_or_default(),
                ),
                Err(_) => Default::default(),
            };
            let status = match (state, &row.outcome) {
                (_, Err(error)) => format!("invalid: {error}"),
                (Delivery::Stored, _) => "stored".to_owned(),
                (Delivery::Waiting, _) => "not sent".to_owned(),
                (Delivery::Failed(reason), _) => format!("failed: {reason}"),
            };
            text.push_str(&format!(
                "{},{},{},{},{},{},{}\r\n",
                row.line,
                csv_field(&start),
                id,
                dob_id,
                result,
                sc,
                csv_field(&status)
            ));
        }
        let stamp = received_at
            .get_untracked()
            .map(utc_rfc3339)
            .unwrap_or_default()
            .replace(':', "-");
        let _ = download(&format!("receipt-{stamp}.csv"), "text/csv", &text);
    };

    let title = tr(
        "Viele Ergebnisse aus einer CSV-Datei",
        "Many results from a CSV file",
    );
    let format_note = tr(
        "Spalten: GUID (oder QR-Inhalt), Ergebnis (1/negativ, 2/positiv, 3/ungültig), Probenzeit (optional: Unix-Sekunden oder 2026-11-28T09:30:00Z), Geburtsdatum (optional: JJJJ-MM-TT). Trennzeichen Komma oder Semikolon; eine Kopfzeile mit „guid“ wird übersprungen. Die GUIDs werden hier gehasht.",
        "Columns: GUID (or QR content), result (1/negative, 2/positive, 3/invalid), sample time (optional: unix seconds or 2026-11-28T09:30:00Z), date of birth (optional: YYYY-MM-DD). Comma or semicolon; a header line starting with “guid” is skipped. The GUIDs are hashed here.",
    );
    let file_label = tr("CSV-Datei", "CSV file");
    let send_label = tr("Ergebnisse senden", "Send results");
    let receipt_label = tr("Quittung herunterladen (CSV)", "Download receipt (CSV)");
    let progress_label = tr("Fortschritt", "Progress");
    let col_line = tr("Zeile", "Line");
    let col_guid = tr("GUID (Anfang)", "GUID (start)");
    let col_dob = tr("Geburtsdatum", "Date of birth");
    let col_result = tr("Ergebnis", "Result");
    let col_time = tr("Probenzeit (UTC)", "Sample time (UTC)");
    let col_problem = tr("Fehler", "Problem");
    let preview_title = tr("Vorschau", "Preview");
    let errors_title = tr("Fehlerhafte Zeilen", "Lines with errors");

    let summary = move || {
        let lang = lang.get();
        parsed.with(|parsed| {
            parsed.as_ref().map(|parsed| match parsed {
                Err(FileError::Empty) => (false, lang.pick("Die Datei enthält keine Ergebnisse.", "The file holds no results.").to_owned()),
                Err(FileError::TooLarge) => (false, match lang {
                    Lang::De => format!("Die Datei enthält mehr als {} Ergebnisse.", lab_csv::MAX_ROWS),
                    Lang::En => format!("The file holds more than {} results.", lab_csv::MAX_ROWS),
                }),
                Ok(rows) => {
                    let bad = rows.iter().filter(|row| row.outcome.is_err()).count();
                    let text = match (lang, bad) {
                        (Lang::De, 0) => format!("{} Ergebnisse gelesen, alle gültig.", rows.len()),
                        (Lang::En, 0) => format!("{} results read, all valid.", rows.len()),
                        (Lang::De, bad) => format!("{} Zeilen gelesen, {bad} fehlerhaft: bitte die Datei korrigieren und neu wählen. Nichts wurde gesendet.", rows.len()),
                        (Lang::En, bad) => format!("{} lines read, {bad} with errors: please correct the file and choose it again. Nothing was sent.", rows.len()),
                    };
                    (bad == 0, text)
                }
            })
        })
    };

    let error_rows = move || {
        let lang = lang.get();
        parsed.with(|parsed| {
            let Some(Ok(rows)) = parsed else {
                return Vec::new();
            };
            rows.iter()
                .filter_map(|row| {
                    row.outcome
                        .as_ref()
                        .err()
                        .map(|error| (row.line, row_error(error, lang)))
                })
                .take(SHOWN_ERRORS)
                .collect::<Vec<_>>()
        })
    };
    let preview_rows = move || {
        parsed.with(|parsed| {
            let Some(Ok(rows)) = parsed else {
                return Vec::new();
            };
            rows.iter()
                .take(PREVIEW)
                .filter_map(|row| {
                    row.outcome.as_ref().ok().map(|line| {
                        (
                            row.line,
                            line.guid_start.clone(),
                            line.result.result,
                            line.result.sc,
                            line.dob_result.is_some(),
                        )
                    })
                })
                .collect::<Vec<_>>()
        })
    };
    let progress_text = move || {
        let (done, all) = progress.get();
        match lang.get() {
            Lang::De => format!("{done} von {all} gesendet"),
            Lang::En => format!("{done} of {all} sent"),
        }
    };

    let stored_all = move || {
        let (done, all) = progress.get();
        all > 0 && done == all && !sending.get()
    };
    let stored_text = move || {
        let count = progress.get().1;
        match lang.get() {
            Lang::De => format!(
                "Alle {count} Ergebnisse sind gespeichert. Die Apps der getesteten Personen zeigen sie beim nächsten Abruf. Bitte laden Sie die Quittung für Ihre Unterlagen herunter."
            ),
            Lang::En => format!(
                "All {count} results are stored. The tested people's apps show them when they next ask. Please download the receipt for your records."
            ),
        }
    };

    view! {
        <section class="card" aria-labelledby="lab-csv-title">
            <h2 id="lab-csv-title">{title}</h2>
            <p class="hint">{format_note}</p>
            <div class="form">
                <label for="lab-csv">{file_label}</label>
                <input id="lab-csv" type="file" accept=".csv,text/csv,text/plain" on:change=choose
                    disabled=move || sending.get() />
            </div>
            {move || summary().map(|(ok, text)| view! {
                <p id="lab-csv-summary" class={if ok { "alert alert--info" } else { "alert alert--error" }}
                    role={if ok { "status" } else { "alert" }}>{text}</p>
            })}
            <Show when=move || !error_rows().is_empty()>
                <table class="table" id="lab-csv-errors" tabindex="0">
                    <caption>{errors_title}</caption>
                    <thead><tr><th scope="col">{col_line}</th><th scope="col">{col_problem}</th></tr></thead>
                    <tbody>
                        {move || error_rows().into_iter().map(|(line, text)| view! {
                            <tr><td>{line}</td><td>{text}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
            <Show when=move || !preview_rows().is_empty()>
                <table class="table table--scroll" id="lab-csv-preview" tabindex="0">
                    <caption>{preview_title} " (" {file_name} ", " {total} ")"</caption>
                    <thead><tr>
                        <th scope="col">{col_line}</th>
                        <th scope="col">{col_guid}</th>
                        <th scope="col">{col_result}</th>
                        <th scope="col">{col_time}</th>
                        <th scope="col">{col_dob}</th>
                    </tr></thead>
                    <tbody>
                        {move || preview_rows().into_iter().map(|(line, start, result, sc, with_dob)| view! {
                            <tr>
                                <td>{line}</td>
                                <td><code>{start}</code></td>
                                <td>{move || result_name(result, lang.get())}</td>
                                <td>{sc.map(utc_rfc3339).unwrap_or_default()}</td>
                                <td>{move || if with_dob { lang.get().pick("angegeben", "given") } else { "" }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
            <Show when=move || { total() > 0 }>
                <div class="upload">
                    <button id="lab-csv-send" class="button button--primary" on:click=send_all
                        disabled={move || sending.get() || errors() != 0 || progress.get().0 == total()}>
                        {send_label}
                    </button>
                    // Progress only once sending has begun: before, there is
                    // nothing to count.
                    <Show when=move || { progress.get().1 > 0 }>
                        <label for="lab-csv-progress">{progress_label}</label>
                        <progress id="lab-csv-progress" max=move || progress.get().1.max(1).to_string()
                            value=move || progress.get().0.to_string()></progress>
                        <p id="lab-csv-progress-text" role="status" aria-live="polite">{progress_text}</p>
                    </Show>
                    <ErrorLine error=error />
                    <Show when=move || { stored_all() }>
                        <p id="lab-csv-stored" class="alert alert--info" role="status">{stored_text}</p>
                    </Show>
                    <Show when=move || { attempted.get() && !sending.get() }>
                        <button id="lab-csv-receipt" class="button" on:click=receipt>
                            {receipt_label}
                        </button>
                    </Show>
                </div>
            </Show>
        </section>
    }
}
