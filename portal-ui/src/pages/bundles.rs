//! `/bundles` (public, no log-in): the browser verifier. Reads the
//! country, date and hour indexes, downloads every bundle and verifies it
//! here with `shared` (in the verifier's Web Worker) against the server's
//! published keys or a pasted PEM key; a file chosen or dropped on the
//! page (any name: a CDN serves bundles without `.zip`) is checked the same
//! way, offline. Per bundle: valid or why not, time window, key count,
//! signing key and charts of transmission risk levels and report types.
//! Above the results: how many are valid and invalid, the keys per day,
//! and a filter (all, invalid only, valid only); while loading, the
//! progress as "n of m".

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::paths;
use wasm_bindgen::JsCast;

use verifier::check::{CheckReport, report_type_names};
use verifier::keys::PublishedKey;
use verifier::task::{Reason, Request, WorkerMessage};
use verifier::utc;

use crate::api::{self, ApiError};
use crate::components::bars::BarChart;
use crate::components::error_line::ErrorLine;
use crate::i18n::{Lang, tr, use_lang};
use crate::worker::{PageWorker, unexpected};

/// What the page's cards share: the server's published keys and the
/// choice of keys, the countries of the distribution, the results so far
/// (newest local file first, the server's bundles in order), whether the
/// server's bundles are loading and how far, and the problems met.
#[derive(Clone, Copy)]
struct BundleChecks {
    worker: PageWorker,
    published: RwSignal<Option<Vec<PublishedKey>>>,
    keys_error: RwSignal<Option<ApiError>>,
    use_server_keys: RwSignal<bool>,
    pasted: RwSignal<String>,
    /// Why no key ring can be made of the chosen keys.
    key_problem: RwSignal<Option<Reason>>,
    countries: RwSignal<Vec<String>>,
    country: RwSignal<String>,
    load_error: RwSignal<Option<ApiError>>,
    results: RwSignal<Vec<CheckReport>>,
    busy: RwSignal<bool>,
    progress: RwSignal<Option<(usize, usize)>>,
    filter: RwSignal<Filter>,
}

impl BundleChecks {
    /// Nothing loaded or checked yet; the server's keys are used.
    fn new() -> Self {
        Self {
            worker: PageWorker::new(),
            published: RwSignal::new(None),
            keys_error: RwSignal::new(None),
            use_server_keys: RwSignal::new(true),
            pasted: RwSignal::new(String::new()),
            key_problem: RwSignal::new(None),
            countries: RwSignal::new(Vec::new()),
            country: RwSignal::new(String::new()),
            load_error: RwSignal::new(None),
            results: RwSignal::new(Vec::new()),
            busy: RwSignal::new(false),
            progress: RwSignal::new(None),
            filter: RwSignal::new(Filter::All),
        }
    }

    /// Asks the server for its published keys, then for its countries
    /// (the first one chosen). No country index means no run yet: the page
    /// says so when asked to load.
    fn fetch_keys_and_countries(self) {
        spawn_local(async move {
            match api::published_keys().await {
                Ok(keys) => self.published.set(Some(keys)),
                Err(error) => self.keys_error.set(Some(error)),
            }
            match api::distribution_index::<Vec<String>>(&paths::url(&paths::country_index())).await
            {
                Ok(list) => {
                    if let Some(first) = list.first() {
                        self.country.set(first.clone());
                    }
                    self.countries.set(list);
                }
                // No run yet: the index does not exist. The page says so when asked to load.
                Err(error) if error.status() == Some(404) => {}
                Err(error) => self.load_error.set(Some(error)),
            }
        });
    }

    /// The keys as the controls say now.
    fn keys(self) -> Keys {
        let server = if self.use_server_keys.get_untracked() {
            self.published.get_untracked().unwrap_or_default()
        } else {
            Vec::new()
        };
        Keys {
            server,
            pasted: self.pasted.get_untracked(),
        }
    }

    /// Loads and checks every bundle the chosen country's indexes name,
    /// unless a load runs; the results so far are cleared first.
    fn load_server(self) {
        if self.busy.get_untracked() {
            return;
        }
        let keys = self.keys();
        let region = self.country.get_untracked();
        self.busy.set(true);
        self.load_error.set(None);
        self.results.set(Vec::new());
        spawn_local(async move {
            if keys.usable(self.worker, self.key_problem).await {
                let checker = Checker {
                    worker: self.worker,
                    keys,
                    results: self.results,
                    progress: self.progress,
                };
                if let Err(error) = checker.server(&region).await {
                    self.load_error.set(Some(error));
                }
            }
            self.progress.set(None);
            self.busy.set(false);
        });
    }

    /// Checks the files of `list`, each result put first. The files are
    /// taken out of the list at once: resetting the input (so that the same
    /// file can be chosen again) empties its list.
    fn check_files(self, list: &web_sys::FileList) {
        let files: Vec<web_sys::File> = (0..list.length())
            .filter_map(|index| list.item(index))
            .collect();
        let keys = self.keys();
        spawn_local(async move {
            if !keys.usable(self.worker, self.key_problem).await {
                return;
            }
            for file in files {
                let name = file.name();
                let report = match read_file(&file).await {
                    Ok(bytes) => keys.check(self.worker, name, bytes).await,
                    Err(reason) => unavailable(name, reason),
                };
                self.results.update(|list| list.insert(0, report));
            }
        });
    }
}

/// The bundle verifier page: what it does, then the cards for the keys,
/// the server's bundles, a local file and the results.
#[component]
pub fn BundlesPage() -> impl IntoView {
    let checks = BundleChecks::new();
    checks.fetch_keys_and_countries();
    let title = tr("Schlüsselpakete prüfen", "Check key bundles");
    let intro = tr(
        "Jede Prüfung läuft hier im Browser, mit demselben Rust-Code wie auf dem Server: Signatur, Format und Inhalt jedes Pakets, so wie ein Telefon es sieht.",
        "Every check runs here in the browser, with the same Rust code as the server: signature, format and contents of each bundle, as a phone sees it.",
    );
    view! {
        <section class="card" aria-labelledby="bundles-title">
            <h1 id="bundles-title">{title}</h1>
            <p>{intro}</p>
        </section>
        <PublicKeys checks=checks />
        <ServerBundles checks=checks />
        <LocalFile checks=checks />
        <CheckResults checks=checks />
    }
}

/// The keys card: whether to use the server's keys (and which they are),
/// a pasted PEM key, and why no key ring can be made of them.
#[component]
fn PublicKeys(checks: BundleChecks) -> impl IntoView {
    let lang = use_lang();
    let BundleChecks {
        published,
        keys_error,
        use_server_keys,
        pasted,
        key_problem,
        ..
    } = checks;
    let keys_title = tr("Öffentliche Schlüssel", "Public keys");
    let use_server_label = tr("Schlüssel des Servers verwenden", "Use the server's keys");
    let pem_label = tr(
        "Eigener öffentlicher Schlüssel (PEM, optional)",
        "Own public key (PEM, optional)",
    );
    view! {
        <section class="card" aria-labelledby="keys-title">
            <h2 id="keys-title">{keys_title}</h2>
            <div class="form">
                <div class="checkbox">
                    <input
                        id="keys-server"
                        type="checkbox"
                        prop:checked=move || use_server_keys.get()
                        on:change=move |ev| use_server_keys.set(event_target_checked(&ev))
                    />
                    <label for="keys-server">{use_server_label}</label>
                </div>
                <p class="hint" aria-live="polite">
                    {move || published_text(lang.get(), published.get().as_deref())}
                </p>
                <ErrorLine error=keys_error />
                <label for="keys-pem">{pem_label}</label>
                <textarea
                    id="keys-pem"
                    rows="5"
                    spellcheck="false"
                    placeholder="-----BEGIN PUBLIC KEY-----"
                    prop:value=move || pasted.get()
                    on:input=move |ev| pasted.set(event_target_value(&ev))
                ></textarea>
                {move || key_problem.get().map(|problem| view! {
                    <p class="alert alert--error" role="alert">{problem.describe(lang.get().language()).to_owned()}</p>
                })}
            </div>
        </section>
    }
}

/// The server's bundles card: the country, the button that loads and
/// checks its bundles, a note when nothing is published, the progress
/// and the failure of a load.
#[component]
fn ServerBundles(checks: BundleChecks) -> impl IntoView {
    let lang = use_lang();
    let BundleChecks {
        countries,
        country,
        load_error,
        busy,
        progress,
        ..
    } = checks;
    let server_title = tr("Pakete des Servers", "The server's bundles");
    let country_label = tr("Land", "Country");
    let load_label = tr("Pakete laden und prüfen", "Load and check bundles");
    view! {
        <section class="card" aria-labelledby="server-title">
            <h2 id="server-title">{server_title}</h2>
            <div class="form form--inline">
                <label for="bundles-country">{country_label}</label>
                <select
                    id="bundles-country"
                    prop:value=move || country.get()
                    on:change=move |ev| country.set(event_target_value(&ev))
                >
                    {move || countries.get().into_iter().map(|code| view! { <option value=code.clone()>{code.clone()}</option> }).collect_view()}
                </select>
                <button class="button button--primary" on:click=move |_| checks.load_server() disabled=move || busy.get()>
                    {load_label}
                </button>
            </div>
            {move || (countries.with(Vec::is_empty) && !busy.get()).then(|| view! {
                <p class="hint">{no_bundles_text(lang.get())}</p>
            })}
            {move || progress.get().map(|(done, total)| {
                let text = match lang.get() {
                    Lang::De => format!("{done} von {total} Paketen geprüft …"),
                    Lang::En => format!("{done} of {total} bundles checked …"),
                };
                view! { <p class="hint" role="status" id="bundles-progress">{text}</p> }
            })}
            <ErrorLine error=load_error />
        </section>
    }
}

/// The local file card: a drop zone and a file input; the files dropped or
/// chosen are checked here and never leave the browser.
#[component]
fn LocalFile(checks: BundleChecks) -> impl IntoView {
    let on_pick = move |event: leptos::ev::Event| {
        let input = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(files) = input.as_ref().and_then(web_sys::HtmlInputElement::files) {
            checks.check_files(&files);
        }
        if let Some(input) = input {
            // The same file chosen again is checked again.
            input.set_value("");
        }
    };
    let dragging = RwSignal::new(false);
    let on_drop = move |event: leptos::ev::DragEvent| {
        event.prevent_default();
        dragging.set(false);
        if let Some(files) = event.data_transfer().and_then(|data| data.files()) {
            checks.check_files(&files);
        }
    };
    let local_title = tr("Lokale Datei", "Local file");
    let drop_text = tr(
        "Eine Paketdatei (.zip oder ohne Endung, wie der Server sie ausliefert) hierher ziehen oder auswählen; sie verlässt den Browser nicht.",
        "Drop a bundle file (.zip or without an extension, as the server serves it) here or choose one; it does not leave the browser.",
    );
    let file_label = tr("Datei auswählen", "Choose a file");
    view! {
        <section class="card" aria-labelledby="local-title">
            <h2 id="local-title">{local_title}</h2>
            <div
                class=move || if dragging.get() { "dropzone dropzone--active" } else { "dropzone" }
                on:dragover=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <p>{drop_text}</p>
                <label for="bundles-file">{file_label}</label>
                <input id="bundles-file" type="file" multiple on:change=on_pick />
            </div>
        </section>
    }
}

/// The results card: a note while nothing is checked, then the counts,
/// keys per day and filter, and a card per bundle the filter shows.
#[component]
fn CheckResults(checks: BundleChecks) -> impl IntoView {
    let lang = use_lang();
    let BundleChecks {
        results, filter, ..
    } = checks;
    let results_title = tr("Ergebnisse", "Results");
    let none_yet = tr("Noch nichts geprüft.", "Nothing checked yet.");
    view! {
        <section class="card" aria-labelledby="results-title">
            <h2 id="results-title">{results_title}</h2>
            {move || results.with(Vec::is_empty).then(|| view! { <p class="hint">{none_yet}</p> })}
            {move || {
                let lang = lang.get();
                results.with(|list| (!list.is_empty()).then(|| summary_view(list, lang, filter)))
            }}
            <div class="bundle-list">
                {move || {
                    let lang = lang.get();
                    let shown = filter.get();
                    results
                        .get()
                        .into_iter()
                        .filter(|checked| shown.shows(checked))
                        .map(|checked| bundle_card(checked, lang))
                        .collect_view()
                }}
            </div>
        </section>
    }
}

fn published_text(lang: Lang, keys: Option<&[PublishedKey]>) -> String {
    let Some(keys) = keys else {
        return lang
            .pick(
                "Lade die Schlüssel des Servers …",
                "Loading the server's keys …",
            )
            .into();
    };
    let names = keys
        .iter()
        .map(|key| {
            let active = if key.active {
                lang.pick(" (aktiv)", " (active)")
            } else {
                ""
            };
            format!("{} {}{active}", key.key_id, key.key_version)
        })
        .collect::<Vec<_>>()
        .join(", ");
    match lang {
        Lang::De => format!("{} Schlüssel vom Server: {names}", keys.len()),
        Lang::En => format!("{} keys from the server: {names}", keys.len()),
    }
}

fn no_bundles_text(lang: Lang) -> &'static str {
    lang.pick(
        "Der Server hat noch keine Pakete veröffentlicht.",
        "The server has not published any bundles yet.",
    )
}

/// The keys a check uses: the server's (when chosen) and a pasted one.
#[derive(Clone)]
struct Keys {
    server: Vec<PublishedKey>,
    pasted: String,
}

impl Keys {
    fn request(&self, sources: Vec<String>) -> Request {
        Request::Check {
            keys: self.server.clone(),
            pasted_key: self.pasted.clone(),
            sources,
        }
    }

    /// Whether a key ring can be made of them; if not, `problem` says why.
    async fn usable(&self, worker: PageWorker, problem: RwSignal<Option<Reason>>) -> bool {
        match worker.call(self.request(Vec::new()), &[]).await {
            WorkerMessage::Checked { .. } => {
                problem.set(None);
                true
            }
            WorkerMessage::Failed(reason) => {
                problem.set(Some(reason));
                false
            }
            other => {
                problem.set(Some(unexpected(&other)));
                false
            }
        }
    }

    /// The bundle `bytes` checked in the worker.
    async fn check(&self, worker: PageWorker, source: String, bytes: Vec<u8>) -> CheckReport {
        match worker
            .call(self.request(vec![source.clone()]), &[bytes])
            .await
        {
            WorkerMessage::Checked { mut reports } if reports.len() == 1 => reports.remove(0),
            WorkerMessage::Failed(reason) => CheckReport {
                source,
                summary: None,
                outcome: Err(reason),
            },
            other => CheckReport {
                source,
                summary: None,
                outcome: Err(unexpected(&other)),
            },
        }
    }
}

fn unavailable(source: String, reason: String) -> CheckReport {
    CheckReport {
        source,
        summary: None,
        outcome: Err(Reason {
            german: format!("nicht lesbar: {reason}"),
            english: format!("not readable: {reason}"),
        }),
    }
}

/// Checks the server's bundles one after the other, appending each result
/// as it comes.
struct Checker {
    worker: PageWorker,
    keys: Keys,
    results: RwSignal<Vec<CheckReport>>,
    progress: RwSignal<Option<(usize, usize)>>,
}

impl Checker {
    /// Walks the indexes of `region` and checks every daily and hourly
    /// bundle (and the further files of a batch).
    async fn server(&self, region: &str) -> Result<(), ApiError> {
        if region.is_empty() {
            return Ok(());
        }
        let dates: Vec<String> =
            api::distribution_index(&paths::url(&paths::date_index(region))).await?;
        // The current day is not in the date index; its hour index is.
        let now = (js_sys::Date::now() / 1000.0) as u64;
        // Not tomorrow: its hour index cannot exist yet (it was a 404 on
        // every check).
        let tomorrow = shared::en::matching::date_of_day(now / 86_400 + 1);
        let days: Vec<String> = verifier::phone::days_by_hour(&dates, now)
            .into_iter()
            .filter(|date| *date != tomorrow)
            .collect();
        // First every bundle's path, so that the progress counts of a known total.
        let mut files = Vec::new();
        for (date, daily) in dates
            .into_iter()
            .map(|date| (date, true))
            .chain(days.into_iter().map(|date| (date, false)))
        {
            if daily {
                files.push(paths::url(&paths::day_bundle(region, &date, 1)));
            }
            let hour_index = paths::url(&paths::hour_index(region, &date));
            let hours: Vec<u32> = match api::distribution_index(&hour_index).await {
                Ok(hours) => hours,
                Err(error) if error.status() == Some(404) => Vec::new(),
                Err(error) => return Err(error),
            };
            files.extend(
                hours
                    .into_iter()
                    .map(|hour| paths::url(&paths::hour_bundle(region, &date, hour, 1))),
            );
        }
        self.progress.set(Some((0, files.len())));
        for path in files {
            self.path(&path).await;
        }
        Ok(())
    }

    /// Checks the bundle at `path` and, when it is the first of a batch, the others.
    async fn path(&self, path: &str) {
        let first = self.one(path.to_owned()).await;
        let batch_size = first
            .summary
            .as_ref()
            .filter(|_| first.outcome.is_ok())
            .map_or(1, |summary| summary.batch_size);
        self.results.update(|list| list.push(first));
        let extra = usize::try_from(batch_size).unwrap_or(1).saturating_sub(1);
        self.progress
            .update(|progress| *progress = progress.map(|(done, total)| (done, total + extra)));
        for batch in 2..=u32::try_from(batch_size).unwrap_or(1) {
            let report = self.one(paths::batch_file(path, batch)).await;
            self.results.update(|list| list.push(report));
        }
    }

    async fn one(&self, path: String) -> CheckReport {
        let report = match api::bytes(&path).await {
            Ok(bytes) => self.keys.check(self.worker, path, bytes).await,
            Err(error) => unavailable(path, error.describe(Lang::En)),
        };
        self.progress
            .update(|progress| *progress = progress.map(|(done, total)| (done + 1, total)));
        report
    }
}

/// Which results the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Invalid,
    Valid,
}

impl Filter {
    fn shows(self, checked: &CheckReport) -> bool {
        match self {
            Self::All => true,
            Self::Invalid => checked.outcome.is_err(),
            Self::Valid => checked.outcome.is_ok(),
        }
    }
}

/// The keys of the valid bundles per UTC day (of each bundle's start): a
/// day's daily bundle when it was checked, else the sum of its hourly
/// bundles (a daily bundle holds its hours' keys again).
fn keys_per_day(results: &[CheckReport]) -> Vec<(i64, u32)> {
    let mut days = std::collections::BTreeMap::<i64, (u32, u32)>::new();
    for checked in results.iter().filter(|checked| checked.outcome.is_ok()) {
        let Some(summary) = &checked.summary else {
            continue;
        };
        let day = (summary.start_timestamp / 86_400) as i64;
        let entry = days.entry(day).or_default();
        let keys = u32::try_from(summary.keys).unwrap_or(u32::MAX);
        if checked.source.contains("/hour/") {
            entry.1 = entry.1.saturating_add(keys);
        } else {
            entry.0 = entry.0.saturating_add(keys);
        }
    }
    days.into_iter()
        .map(|(day, (daily, hourly))| (day, if daily > 0 { daily } else { hourly }))
        .collect()
}

/// Counts, keys per day and the filter above the results.
fn summary_view(
    results: &[CheckReport],
    lang: Lang,
    filter: RwSignal<Filter>,
) -> impl IntoView + use<> {
    let valid = results
        .iter()
        .filter(|checked| checked.outcome.is_ok())
        .count();
    let invalid = results.len() - valid;
    let per_day = keys_per_day(results);
    let counts = match lang {
        Lang::De => format!(
            "{} geprüft: {valid} gültig, {invalid} ungültig.",
            results.len()
        ),
        Lang::En => format!(
            "{} checked: {valid} valid, {invalid} invalid.",
            results.len()
        ),
    };
    let counts_class = if invalid > 0 {
        "bundle-summary__counts bundle-summary__counts--invalid"
    } else {
        "bundle-summary__counts"
    };
    let bars: Vec<(String, u32)> = per_day
        .iter()
        .map(|(day, keys)| {
            (
                crate::components::time::utc_date(*day * 86_400)[5..].to_owned(),
                *keys,
            )
        })
        .collect();
    let chart = (!bars.is_empty()).then(|| {
        view! {
            <BarChart
                title=lang.pick("Schlüssel pro Tag (UTC)", "Keys per day (UTC)").to_owned()
                bars=bars
            />
        }
    });
    let options = [
        (Filter::All, "all", lang.pick("alle", "all")),
        (
            Filter::Invalid,
            "invalid",
            lang.pick("nur ungültige", "invalid only"),
        ),
        (
            Filter::Valid,
            "valid",
            lang.pick("nur gültige", "valid only"),
        ),
    ];
    view! {
        <div class="bundle-summary" id="bundles-summary">
            <p class=counts_class>{counts}</p>
            {chart}
            <div class="form form--inline">
                <label for="bundles-filter">{lang.pick("Zeigen", "Show")}</label>
                <select
                    id="bundles-filter"
                    on:change=move |ev| {
                        filter.set(match event_target_value(&ev).as_str() {
                            "invalid" => Filter::Invalid,
                            "valid" => Filter::Valid,
                            _ => Filter::All,
                        })
                    }
                >
                    {options.into_iter().map(|(value, code, label)| view! {
                        <option value=code selected=move || filter.get() == value>{label}</option>
                    }).collect_view()}
                </select>
            </div>
        </div>
    }
}

async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|error| format!("{error:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

fn bundle_card(checked: CheckReport, lang: Lang) -> impl IntoView {
    let (status_class, status) = match &checked.outcome {
        Ok(identity) => (
            "bundle__status bundle__status--valid",
            match lang {
                Lang::De => format!(
                    "gültig, signiert mit Schlüssel {} Version {}",
                    identity.key_id, identity.key_version
                ),
                Lang::En => format!(
                    "valid, signed with key {} version {}",
                    identity.key_id, identity.key_version
                ),
            },
        ),
        Err(reason) => (
            "bundle__status bundle__status--invalid",
            format!(
                "{}: {}",
                lang.pick("ungültig", "invalid"),
                reason.describe(lang.language())
            ),
        ),
    };
    let details = checked.summary.map(|summary| {
        let unverified = checked.outcome.is_err().then(|| {
            view! {
                <p class="hint">
                    {lang.pick(
                        "Inhalt ungeprüft (Signatur nicht gültig):",
                        "Contents unverified (signature not valid):",
                    )}
                </p>
            }
        });
        let levels = (1..=8)
            .map(|level| (level.to_string(), summary.transmission_risk_levels[level]))
            .chain((summary.transmission_risk_levels[0] > 0).then(|| ("?".to_owned(), summary.transmission_risk_levels[0])))
            .collect::<Vec<_>>();
        let reports = report_type_names(lang.language())
            .iter()
            .zip(summary.report_types)
            .map(|(name, count)| ((*name).to_owned(), count))
            .collect::<Vec<_>>();
        view! {
            {unverified}
            <dl class="facts">
                <dt>{lang.pick("Region", "Region")}</dt>
                <dd>{summary.region.clone()}</dd>
                <dt>{lang.pick("Zeitfenster", "Time window")}</dt>
                <dd>{format!("{} – {}", utc(summary.start_timestamp), utc(summary.end_timestamp))}</dd>
                <dt>{lang.pick("Schlüssel", "Keys")}</dt>
                <dd class="bundle__keys">{summary.keys.to_string()}</dd>
                <dt>{lang.pick("Überarbeitete Schlüssel", "Revised keys")}</dt>
                <dd>{summary.revised_keys.to_string()}</dd>
                <dt>{lang.pick("Teil", "Batch")}</dt>
                <dd>{format!("{} / {}", summary.batch_num, summary.batch_size)}</dd>
            </dl>
            <div class="charts">
                <BarChart
                    title=lang.pick("Übertragungsrisiko (TRL)", "Transmission risk level").to_owned()
                    bars=levels
                />
                <BarChart title=lang.pick("Meldeart", "Report type").to_owned() bars=reports />
            </div>
        }
    });
    view! {
        <article class="bundle" aria-label=checked.source.clone()>
            <h3 class="bundle__source">{checked.source.clone()}</h3>
            <p class=status_class>{status}</p>
            {details}
        </article>
    }
}
