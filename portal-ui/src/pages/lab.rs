//! `/lab` (lab users): one result by form, or many from a CSV file. The
//! GUID (or the QR code's content) is hashed in the page by `shared` (as a
//! phone hashes it); only the hash is sent, with the date-of-birth id too
//! when the date of birth is given. The form preselects no result and asks
//! again before a positive is sent. A CSV file is checked line by line
//! before anything is sent, then sent in batches of at most 1,000 results
//! with a progress bar; once sent, the page says the results are stored and
//! offers the receipt (one line per result, with what happened to it).

use leptos::html::Input;
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
use crate::session::{SessionState, use_session};

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
/// Gives `field` the focus, if it is on the page.
fn focus_field(field: NodeRef<Input>) {
    if let Some(element) = field.get_untracked() {
        let _ = element.focus();
    }
}

/// The form for one result: what was typed and chosen, the positive that
/// waits for its confirmation, the outcome of the last attempt, and the
/// fields the focus goes to where the person has to act next.
#[derive(Clone, Copy)]
struct ResultForm {
    session: RwSignal<SessionState>,
    lang: RwSignal<Lang>,
    guid: RwSignal<String>,
    /// No result is preselected: a lab worker must choose one on purpose.
    result: RwSignal<Option<u8>>,
    sample_time: RwSignal<String>,
    dob: RwSignal<String>,
    /// A positive waits here for its confirmation.
    confirming: RwSignal<Option<LabResultsRequest>>,
    /// (success, text) of the last attempt.
    status: RwSignal<Option<(bool, String)>>,
    busy: RwSignal<bool>,
    guid_field: NodeRef<Input>,
    first_result: NodeRef<Input>,
    dob_field: NodeRef<Input>,
    time_field: NodeRef<Input>,
}

impl ResultForm {
    /// An empty form, no result chosen.
    fn new() -> Self {
        Self {
            session: use_session(),
            lang: use_lang(),
            guid: RwSignal::new(String::new()),
            result: RwSignal::new(None),
            sample_time: RwSignal::new(String::new()),
            dob: RwSignal::new(String::new()),
            confirming: RwSignal::new(None),
            status: RwSignal::new(None),
            busy: RwSignal::new(false),
            guid_field: NodeRef::new(),
            first_result: NodeRef::new(),
            dob_field: NodeRef::new(),
            time_field: NodeRef::new(),
        }
    }

    /// The request the form describes: the hashed GUID, and the
    /// date-of-birth id when a date of birth is given, each with the chosen
    /// result and sample time. Else what is wrong (the first problem, in
    /// the order of the fields) and the field to fix it in.
    fn request(self, lang: Lang) -> Result<LabResultsRequest, (String, NodeRef<Input>)> {
        let test_guid = lab_csv::parse_guid(&self.guid.get_untracked())
            .map_err(|error| (sentence(&row_error(&error, lang)), self.guid_field))?;
        let Some(code) = self.result.get_untracked() else {
            return Err((
                lang.pick(
                    "Bitte ein Ergebnis wählen: negativ, positiv oder ungültig.",
                    "Please choose a result: negative, positive or invalid.",
                )
                .to_owned(),
                self.first_result,
            ));
        };
        let date_of_birth = lab_csv::parse_date_of_birth(&self.dob.get_untracked())
            .map_err(|error| (sentence(&row_error(&error, lang)), self.dob_field))?;
        let time_text = self.sample_time.get_untracked();
        let sc = if time_text.trim().is_empty() {
            None
        } else if let Some(seconds) = local_input_seconds(&time_text) {
            Some(seconds)
        } else {
            return Err((
                lang.pick(
                    "Die Probenzeit ist ungültig.",
                    "The sample time is invalid.",
                )
                .to_owned(),
                self.time_field,
            ));
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
        Ok(LabResultsRequest {
            lab_id: None,
            test_results,
        })
    }

    /// The form was submitted: a problem is shown with the focus on its
    /// field, a positive waits for its confirmation, any other result is
    /// sent at once.
    fn submit(self) {
        self.confirming.set(None);
        match self.request(self.lang.get_untracked()) {
            // Says what is wrong and puts the focus on the field to fix.
            Err((text, field)) => {
                self.status.set(Some((false, text)));
                focus_field(field);
            }
            // A positive tells the person to warn others: never by accident
            // (Enter in the GUID field), only after a second, explicit yes.
            Ok(request)
                if request
                    .test_results
                    .first()
                    .is_some_and(|item| item.result == 2) =>
            {
                self.status.set(None);
                self.confirming.set(Some(request));
            }
            Ok(request) => self.send(request),
        }
    }

    /// Sends `request`. Once stored, the form is emptied for the next sample
    /// (its result chosen anew) and the GUID field takes the focus; when
    /// it fails, the form keeps everything that was typed.
    fn send(self, request: LabResultsRequest) {
        let Some(csrf) = self.session.with_untracked(|state| state.csrf()) else {
            return;
        };
        let lang = self.lang.get_untracked();
        let code = request.test_results.first().map_or(0, |item| item.result);
        self.busy.set(true);
        self.status.set(None);
        self.confirming.set(None);
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
                    self.status.set(Some((true, text)));
                    // Ready for the next sample: its result is chosen anew.
                    self.guid.set(String::new());
                    self.dob.set(String::new());
                    self.result.set(None);
                    focus_field(self.guid_field);
                }
                // The form keeps everything that was typed.
                Err(failure) => self.status.set(Some((false, failure.describe(lang)))),
            }
            self.busy.set(false);
        });
    }
}

/// The card that reports one result: the form, the question that confirms
/// a positive, and what became of the last attempt.
#[component]
fn SingleResult() -> impl IntoView {
    let form = ResultForm::new();
    let status = form.status;
    let heading = NodeRef::<leptos::html::H1>::new();
    heading_takes_focus(heading);
    let title = tr("Ein Ergebnis melden", "Report one result");
    view! {
        <section class="card" aria-labelledby="lab-title">
            <h1 id="lab-title" tabindex="-1" node_ref=heading>{title}</h1>
            <ResultFields form=form />
            <ConfirmPositive form=form />
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

/// The form's fields: GUID, result, sample time and date of birth, and the
/// button that sends them. Changing the GUID, the result or the date of
/// birth withdraws a question that waits for its confirmation.
#[component]
fn ResultFields(form: ResultForm) -> impl IntoView {
    let ResultForm {
        guid,
        sample_time,
        dob,
        confirming,
        busy,
        guid_field,
        dob_field,
        time_field,
        ..
    } = form;
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        form.submit();
    };
    let guid_label = tr("GUID der Probe", "Sample GUID");
    let guid_hint = tr(
        "GUID oder Inhalt des QR-Codes. Sie wird hier im Browser gehasht; nur der Hash wird gesendet.",
        "GUID or the QR code's content. It is hashed here in the browser; only the hash is sent.",
    );
    let time_label = tr("Zeit der Probenahme (optional)", "Sample time (optional)");
    let dob_label = tr("Geburtsdatum (optional)", "Date of birth (optional)");
    let dob_hint = tr(
        "Nur wenn die Person es bei der Probe angegeben hat: Dann wird das Ergebnis auch unter der Kennung aus GUID und Geburtsdatum gemeldet, die die App sendet.",
        "Only if the person gave it with the sample: the result is then also reported under the id from GUID and date of birth that the app sends.",
    );
    let submit_label = tr("Ergebnis senden", "Send result");
    view! {
        <form class="form" on:submit=submit>
            <label for="lab-guid">{guid_label}</label>
            <input id="lab-guid" type="text" required autocomplete="off" spellcheck="false"
                aria-describedby="lab-guid-hint" node_ref=guid_field
                prop:value=move || guid.get()
                on:input=move |ev| { confirming.set(None); guid.set(event_target_value(&ev)) } />
            <p id="lab-guid-hint" class="hint">{guid_hint}</p>
            <ResultChoice form=form />
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
    }
}

/// The three results as radio buttons, none chosen at first; the first one
/// takes the focus when the form is sent without a choice.
#[component]
fn ResultChoice(form: ResultForm) -> impl IntoView {
    let ResultForm {
        lang,
        result,
        confirming,
        first_result,
        ..
    } = form;
    let result_legend = tr("Ergebnis", "Result");
    view! {
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
    }
}

/// The question a positive result waits behind. It appears with its least
/// harmful answer focused (as the WAI-ARIA practices advise), so a second
/// Enter cancels, never confirms; cancelling goes back to the chosen result,
/// to change it or to send again.
#[component]
fn ConfirmPositive(form: ResultForm) -> impl IntoView {
    let ResultForm {
        confirming, busy, ..
    } = form;
    let cancel_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if confirming.with(Option::is_some)
            && let Some(button) = cancel_button.get()
        {
            let _ = button.focus();
        }
    });
    let confirm = move |_| {
        if let Some(request) = confirming.get_untracked() {
            form.send(request);
        }
    };
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
    let confirm_title = tr("Positives Ergebnis bestätigen", "Confirm a positive result");
    let confirm_text = tr(
        "Sie melden ein POSITIVES Ergebnis. Die getestete Person wird aufgefordert, andere zu warnen. Stimmt das?",
        "You are reporting a POSITIVE result. The tested person will be asked to warn others. Is that right?",
    );
    let confirm_label = tr("Ja, positiv melden", "Yes, report positive");
    let cancel_label = tr("Abbrechen", "Cancel");
    view! {
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
    }
}

/// What happened to one line when it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Delivery {
    Waiting,
    Stored,
    Failed(String),
}

/// The chosen CSV file and its sending: the file's name, its lines as read
/// (or why the file cannot be used), what happened to each line, how many
/// lines are sent of how many, whether a send runs, the last failure and
/// when the server received the results.
#[derive(Clone, Copy)]
struct CsvFile {
    session: RwSignal<SessionState>,
    lang: RwSignal<Lang>,
    file_name: RwSignal<String>,
    parsed: RwSignal<Option<Result<Vec<Row>, FileError>>>,
    sent: RwSignal<Vec<Delivery>>,
    /// Lines sent, of all lines (0 of 0 before sending begins).
    progress: RwSignal<(usize, usize)>,
    sending: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    received_at: RwSignal<Option<i64>>,
    /// Whether a send was tried (the receipt is offered only then).
    attempted: RwSignal<bool>,
}

impl CsvFile {
    /// No file chosen.
    fn new() -> Self {
        Self {
            session: use_session(),
            lang: use_lang(),
            file_name: RwSignal::new(String::new()),
            parsed: RwSignal::new(None),
            sent: RwSignal::new(Vec::new()),
            progress: RwSignal::new((0, 0)),
            sending: RwSignal::new(false),
            error: RwSignal::new(None),
            received_at: RwSignal::new(None),
            attempted: RwSignal::new(false),
        }
    }

    /// The lines with errors (none before a file is read).
    fn errors(self) -> usize {
        self.parsed.with(|parsed| match parsed {
            Some(Ok(rows)) => rows.iter().filter(|row| row.outcome.is_err()).count(),
            _ => 0,
        })
    }

    /// The lines read (none when the file cannot be used).
    fn total(self) -> usize {
        self.parsed.with(|parsed| {
            parsed
                .as_ref()
                .and_then(|p| p.as_ref().ok())
                .map_or(0, Vec::len)
        })
    }

    /// Forgets the previous file and its sending, then reads `file` and
    /// checks it line by line.
    fn read(self, file: web_sys::File) {
        self.file_name.set(file.name());
        self.parsed.set(None);
        self.sent.set(Vec::new());
        self.progress.set((0, 0));
        self.error.set(None);
        self.received_at.set(None);
        self.attempted.set(false);
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|value| value.as_string())
                .unwrap_or_default();
            let rows = lab_csv::parse(&text);
            if let Ok(rows) = &rows {
                self.sent.set(vec![Delivery::Waiting; rows.len()]);
            }
            self.parsed.set(Some(rows));
        });
    }

    /// Sends every line of a file without errors, batch after batch; the
    /// first batch that fails stops the sending.
    fn send_all(self) {
        let Some(csrf) = self.session.with_untracked(|state| state.csrf()) else {
            return;
        };
        let Some(Ok(rows)) = self.parsed.get_untracked() else {
            return;
        };
        if rows.iter().any(|row| row.outcome.is_err()) {
            return;
        }
        let lines: Vec<RowResult> = rows
            .into_iter()
            .filter_map(|row| row.outcome.ok())
            .collect();
        let count = lines.len();
        let batches = in_batches(lines);
        self.sending.set(true);
        self.error.set(None);
        self.progress.set((0, count));
        spawn_local(async move {
            self.upload(&csrf, batches, count).await;
            self.sending.set(false);
            self.attempted.set(true);
        });
    }

    /// Uploads `batches` (of `count` lines in all) one after the other,
    /// marking each line stored or failed, until one fails.
    async fn upload(self, csrf: &str, batches: Vec<Vec<RowResult>>, count: usize) {
        let mut done = 0;
        for batch in batches {
            let request = LabResultsRequest {
                lab_id: None,
                test_results: batch
                    .iter()
                    .flat_map(|line| line.results().cloned())
                    .collect(),
            };
            match api::upload_lab_results(csrf, &request).await {
                Ok(receipt) => {
                    self.mark(done, batch.len(), &Delivery::Stored);
                    self.received_at.set(Some(receipt.received_at));
                    done += batch.len();
                    self.progress.set((done, count));
                }
                Err(failure) => {
                    let text = failure.describe(self.lang.get_untracked());
                    self.mark(done, batch.len(), &Delivery::Failed(text));
                    self.error.set(Some(failure));
                    break;
                }
            }
        }
    }

    /// Marks the `len` lines from line `first` (counted from 0) as `delivery`.
    fn mark(self, first: usize, len: usize, delivery: &Delivery) {
        self.sent.update(|sent| {
            for state in sent.iter_mut().skip(first).take(len) {
                *state = delivery.clone();
            }
        });
    }

    /// Downloads the receipt: one line per line of the file, with what
    /// happened to it, named after the time the server received the results.
    fn download_receipt(self) {
        let Some(Ok(rows)) = self.parsed.get_untracked() else {
            return;
        };
        let text = receipt_csv(&rows, &self.sent.get_untracked());
        let stamp = self
            .received_at
            .get_untracked()
            .map(utc_rfc3339)
            .unwrap_or_default()
            .replace(':', "-");
        let _ = download(&format!("receipt-{stamp}.csv"), "text/csv", &text);
    }
}

/// `lines` in batches of at most [`MAX_LAB_RESULTS_PER_REQUEST`] results; a
/// line's two results (with a date of birth) always travel in the same
/// all-or-nothing batch.
fn in_batches(lines: Vec<RowResult>) -> Vec<Vec<RowResult>> {
    let mut batches: Vec<Vec<RowResult>> = Vec::new();
    let mut in_batch = 0;
    for line in lines {
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
    batches
}

/// The receipt's CSV text: a header, then for each line of the file its
/// hashes, result and sample time, and whether it was stored, not sent,
/// failed (why) or invalid (why).
fn receipt_csv(rows: &[Row], states: &[Delivery]) -> String {
    let mut text = String::from("line,guid_start,hashed_guid,dob_id,result,sample_time,status\r\n");
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
    text
}

/// What reading the file gave, as (all good, sentence): no results, too
/// many, or how many lines were read and how many have errors.
fn file_summary(parsed: &Result<Vec<Row>, FileError>, lang: Lang) -> (bool, String) {
    match parsed {
        Err(FileError::Empty) => (
            false,
            lang.pick(
                "Die Datei enthält keine Ergebnisse.",
                "The file holds no results.",
            )
            .to_owned(),
        ),
        Err(FileError::TooLarge) => (
            false,
            match lang {
                Lang::De => format!(
                    "Die Datei enthält mehr als {} Ergebnisse.",
                    lab_csv::MAX_ROWS
                ),
                Lang::En => format!("The file holds more than {} results.", lab_csv::MAX_ROWS),
            },
        ),
        Ok(rows) => {
            let bad = rows.iter().filter(|row| row.outcome.is_err()).count();
            let text = match (lang, bad) {
                (Lang::De, 0) => format!("{} Ergebnisse gelesen, alle gültig.", rows.len()),
                (Lang::En, 0) => format!("{} results read, all valid.", rows.len()),
                (Lang::De, bad) => format!(
                    "{} Zeilen gelesen, {bad} fehlerhaft: bitte die Datei korrigieren und neu wählen. Nichts wurde gesendet.",
                    rows.len()
                ),
                (Lang::En, bad) => format!(
                    "{} lines read, {bad} with errors: please correct the file and choose it again. Nothing was sent.",
                    rows.len()
                ),
            };
            (bad == 0, text)
        }
    }
}

/// The card that sends many results from a CSV file: the file input and
/// what reading the file gave, the lines with errors, a preview of the
/// first lines, and the sending.
#[component]
fn CsvUpload() -> impl IntoView {
    let csv = CsvFile::new();
    let CsvFile {
        lang,
        parsed,
        sending,
        ..
    } = csv;
    let choose = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            csv.read(file);
        }
    };
    let summary = move || {
        let lang = lang.get();
        parsed.with(|parsed| parsed.as_ref().map(|parsed| file_summary(parsed, lang)))
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
            <CsvErrors csv=csv />
            <CsvPreview csv=csv />
            <CsvSending csv=csv />
        </section>
    }
}

/// The table of the file's lines with errors (the first [`SHOWN_ERRORS`];
/// the receipt has all of them), when there are any.
#[component]
fn CsvErrors(csv: CsvFile) -> impl IntoView {
    let CsvFile { lang, parsed, .. } = csv;
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
    let col_line = tr("Zeile", "Line");
    let col_problem = tr("Fehler", "Problem");
    let errors_title = tr("Fehlerhafte Zeilen", "Lines with errors");
    view! {
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
    }
}

/// The table of the file's first [`PREVIEW`] lines, valid ones only, under
/// the file's name and its number of lines.
#[component]
fn CsvPreview(csv: CsvFile) -> impl IntoView {
    let CsvFile {
        lang,
        file_name,
        parsed,
        ..
    } = csv;
    let total = move || csv.total();
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
    let col_line = tr("Zeile", "Line");
    let col_guid = tr("GUID (Anfang)", "GUID (start)");
    let col_dob = tr("Geburtsdatum", "Date of birth");
    let col_result = tr("Ergebnis", "Result");
    let col_time = tr("Probenzeit (UTC)", "Sample time (UTC)");
    let preview_title = tr("Vorschau", "Preview");
    view! {
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
    }
}

/// Sending the file's results, once a file with lines is read: the send
/// button (usable when no line has an error and not everything is sent),
/// the progress once sending has begun, the failure, the message that all
/// results are stored and the receipt once a send was tried.
#[component]
fn CsvSending(csv: CsvFile) -> impl IntoView {
    let CsvFile {
        lang,
        progress,
        sending,
        error,
        attempted,
        ..
    } = csv;
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
    let send_label = tr("Ergebnisse senden", "Send results");
    let receipt_label = tr("Quittung herunterladen (CSV)", "Download receipt (CSV)");
    let progress_label = tr("Fortschritt", "Progress");
    view! {
        <Show when=move || { csv.total() > 0 }>
            <div class="upload">
                <button id="lab-csv-send" class="button button--primary" on:click=move |_| csv.send_all()
                    disabled={move || sending.get() || csv.errors() != 0 || progress.get().0 == csv.total()}>
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
                    <button id="lab-csv-receipt" class="button" on:click=move |_| csv.download_receipt()>
                        {receipt_label}
                    </button>
                </Show>
            </div>
        </Show>
    }
}
