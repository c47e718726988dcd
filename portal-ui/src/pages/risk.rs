//! `/risk` (public, no log-in): the signed application configuration,
//! verified here with `shared` (in the verifier's Web Worker) and shown parameter by parameter, and the two
//! risk calculators, computed with the same code a phone runs: version 1
//! step by step (bucket scores, product, minimum risk score, attenuation
//! durations, combined risk score, class) and version 2 (exposure windows
//! from a form or as JSON, per window and per day).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::bundle::KeyIdentity;
use shared::paths;
use shared::risk::v1::{self, Exposure, ExposuresFile};
use shared::risk::v2::{self, Dropped, ExposureWindow};
use shared::risk::{ApplicationConfig, Range, RiskLevel};

use crate::api;
use crate::i18n::{Lang, tr, use_lang};
use crate::worker::{PageWorker, unexpected};
use verifier::task::{Reason, Request, WorkerMessage};

/// Where the configuration the calculators use came from.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// Still loading.
    Loading,
    /// The server's, verified.
    Verified(KeyIdentity),
    /// The production defaults, because the server's could not be used.
    Defaults(Reason),
}

/// The configuration and risk page.
#[component]
pub fn RiskPage() -> impl IntoView {
    let lang = use_lang();
    let config = RwSignal::new(ApplicationConfig::default());
    let source = RwSignal::new(Source::Loading);
    let worker = PageWorker::new();
    spawn_local(async move {
        match load_config(worker).await {
            Ok((loaded, identity)) => {
                config.set(loaded);
                source.set(Source::Verified(identity));
            }
            Err(reason) => source.set(Source::Defaults(reason)),
        }
    });

    let title = tr("Konfiguration und Risiko", "Configuration and risk");
    let intro = tr(
        "Die signierte Konfiguration der App wird hier im Browser geprüft; beide Rechner rechnen mit ihr und mit demselben Rust-Code wie ein Telefon.",
        "The app's signed configuration is verified here in the browser; both calculators use it and the same Rust code as a phone.",
    );
    let config_title = tr("Konfiguration der App", "Application configuration");
    view! {
        <section class="card" aria-labelledby="risk-title">
            <h1 id="risk-title">{title}</h1>
            <p>{intro}</p>
        </section>
        <section class="card" aria-labelledby="config-title">
            <h2 id="config-title">{config_title}</h2>
            {move || {
                let lang = lang.get();
                match source.get() {
                    Source::Loading => view! {
                        <p class="hint" role="status">{lang.pick("Lade und prüfe …", "Loading and verifying …")}</p>
                    }.into_any(),
                    Source::Verified(identity) => view! {
                        <p class="bundle__status bundle__status--valid" role="status">
                            {match lang {
                                Lang::De => format!("gültig, signiert mit Schlüssel {} Version {}", identity.key_id, identity.key_version),
                                Lang::En => format!("valid, signed with key {} version {}", identity.key_id, identity.key_version),
                            }}
                        </p>
                    }.into_any(),
                    Source::Defaults(reason) => view! {
                        <p class="bundle__status bundle__status--invalid" role="status">
                            {let reason = reason.describe(lang.language());
                            match lang {
                                Lang::De => format!("Konfiguration des Servers nicht verwendbar ({reason}); die Rechner nutzen die Produktionswerte."),
                                Lang::En => format!("The server's configuration is not usable ({reason}); the calculators use the production values."),
                            }}
                        </p>
                    }.into_any(),
                }
            }}
            {move || config_view(&config.get(), lang.get())}
        </section>
        <V1Calculator config=config />
        <V2Calculator config=config />
    }
}

/// Downloads the keys and the two configuration bundles (v1, and the
/// Android one with the version 2 parameters) and has the worker verify
/// and read them.
async fn load_config(worker: PageWorker) -> Result<(ApplicationConfig, KeyIdentity), Reason> {
    let reason = |error: api::ApiError| Reason {
        german: error.describe(Lang::De),
        english: error.describe(Lang::En),
    };
    let keys = api::published_keys().await.map_err(reason)?;
    let home = api::home_country().await.map_err(reason)?;
    let v1 = api::bytes(&paths::url(&paths::app_config(&home)))
        .await
        .map_err(reason)?;
    // The configuration the released Android app reads (version 2 parameters).
    let android = api::bytes(&paths::url(&paths::app_config_android("v2")))
        .await
        .map_err(reason)?;
    match worker.call(Request::Config { keys }, &[v1, android]).await {
        WorkerMessage::Config(report) => Ok((report.config, report.signed_by)),
        WorkerMessage::Failed(reason) => Err(reason),
        other => Err(unexpected(&other)),
    }
}

fn range(range: &Range) -> String {
    format!(
        "{}{}, {}{}",
        if range.min_exclusive { "(" } else { "[" },
        range.min,
        range.max,
        if range.max_exclusive { ")" } else { "]" }
    )
}

fn level(level: Option<RiskLevel>, lang: Lang) -> &'static str {
    match level {
        Some(RiskLevel::Low) => lang.pick("niedrig", "low"),
        Some(RiskLevel::High) => lang.pick("erhöht", "high"),
        None => "–",
    }
}

fn list(values: &[u8; 8]) -> String {
    values.map(|value| value.to_string()).join(", ")
}

/// The configuration's parameters as a description list: version 1, then
/// version 2, then the supported countries.
fn config_view(config: &ApplicationConfig, lang: Lang) -> impl IntoView + use<> {
    let v2 = &config.risk_calculation_parameters;
    let mut rows = v1_rows(&config.v1, lang);
    rows.extend(v2_weighting_rows(v2, lang));
    rows.extend(v2_transmission_rows(v2, lang));
    rows.push((
        lang.pick("Unterstützte Länder", "Supported countries"),
        config.supported_countries.join(", "),
    ));
    // Name and value pairs: a description list, whose values go under
    // their names on a phone instead of scrolling inside the card.
    view! {
        <dl class="facts" aria-label=lang.pick("Parameter", "Parameters")>
            {rows.into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
        </dl>
    }
}

/// The version 1 parameters, name and value: the minimum risk score, the
/// four score tables, the attenuation durations' thresholds, weights,
/// offset and divisor, and the risk classes.
fn v1_rows(v1: &v1::V1Config, lang: Lang) -> Vec<(&'static str, String)> {
    let scores = &v1.exposure_config;
    let duration = &v1.attenuation_duration;
    let classes = v1
        .risk_score_classes
        .risk_classes
        .iter()
        .map(|class| format!("{} [{}, {})", class.label, class.min, class.max))
        .collect::<Vec<_>>()
        .join("; ");
    vec![
        (
            lang.pick(
                "Version 1: minimaler Risikowert",
                "Version 1: minimum risk score",
            ),
            v1.min_risk_score.to_string(),
        ),
        (
            lang.pick(
                "Werte Übertragungsrisiko 1–8",
                "Transmission risk scores 1–8",
            ),
            list(&scores.transmission),
        ),
        (
            lang.pick("Werte Dauer (Stufen 0–7)", "Duration scores (buckets 0–7)"),
            list(&scores.duration),
        ),
        (
            lang.pick("Werte Tage seit Begegnung", "Days since exposure scores"),
            list(&scores.days_since_last_exposure),
        ),
        (
            lang.pick("Werte Dämpfung", "Attenuation scores"),
            list(&scores.attenuation),
        ),
        (
            lang.pick("Dämpfungsschwellen (dB)", "Attenuation thresholds (dB)"),
            format!(
                "{} / {}",
                duration.thresholds.lower, duration.thresholds.upper
            ),
        ),
        (
            lang.pick("Gewichte nah / mittel / fern", "Weights near / mid / far"),
            format!(
                "{} / {} / {}",
                duration.weights.low, duration.weights.mid, duration.weights.high
            ),
        ),
        (
            lang.pick(
                "Versatz, Normierungsteiler",
                "Offset, normalization divisor",
            ),
            format!(
                "{}, {}",
                duration.default_bucket_offset, duration.risk_score_normalization_divisor
            ),
        ),
        (lang.pick("Risikoklassen", "Risk classes"), classes),
    ]
}

/// A normalized-time-to-risk-level table: "range → level; …".
fn level_mapping(table: &[v2::NormalizedTimeToRiskLevelMapping], lang: Lang) -> String {
    table
        .iter()
        .map(|entry| {
            format!(
                "{} → {}",
                range(&entry.normalized_time_range),
                level(Some(entry.risk_level), lang)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The version 2 parameters that drop and weigh windows, name and value:
/// the minutes-at-attenuation and TRL filters, the weights by attenuation
/// and the risk levels per window and per day.
fn v2_weighting_rows(
    v2: &v2::RiskCalculationParameters,
    lang: Lang,
) -> Vec<(&'static str, String)> {
    vec![
        (
            lang.pick(
                "Version 2: Filter Minuten bei Dämpfung",
                "Version 2: minutes-at-attenuation filters",
            ),
            v2.minutes_at_attenuation_filters
                .iter()
                .map(|filter| {
                    format!(
                        "{} dB: {} min",
                        range(&filter.attenuation_range),
                        range(&filter.drop_if_minutes_in_range)
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (
            lang.pick("TRL-Filter", "TRL filters"),
            v2.trl_filters
                .iter()
                .map(|filter| range(&filter.drop_if_trl_in_range))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (
            lang.pick("Gewichte nach Dämpfung", "Weights by attenuation"),
            v2.minutes_at_attenuation_weights
                .iter()
                .map(|weight| {
                    format!(
                        "{} dB → {}",
                        range(&weight.attenuation_range),
                        weight.weight
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (
            lang.pick("Stufe je Fenster", "Level per window"),
            level_mapping(&v2.normalized_time_per_ew_to_risk_level_mapping, lang),
        ),
        (
            lang.pick("Stufe je Tag", "Level per day"),
            level_mapping(&v2.normalized_time_per_day_to_risk_level_mapping, lang),
        ),
    ]
}

/// The version 2 parameters of the transmission risk, name and value: how
/// the TRL is encoded in infectiousness and report type, and the risk value
/// of each TRL.
fn v2_transmission_rows(
    v2: &v2::RiskCalculationParameters,
    lang: Lang,
) -> Vec<(&'static str, String)> {
    let encoding = &v2.trl_encoding;
    vec![
        (
            lang.pick("TRL-Kodierung", "TRL encoding"),
            format!(
                "{}: {}/{}; {}: {}/{}/{}/{}",
                lang.pick("Infektiosität normal/hoch", "infectiousness standard/high"),
                encoding.infectiousness_offset_standard,
                encoding.infectiousness_offset_high,
                lang.pick(
                    "Meldeart rekursiv/selbst/klinisch/Labortest",
                    "report type recursive/self/clinical/lab test"
                ),
                encoding.report_type_offset_recursive,
                encoding.report_type_offset_self_report,
                encoding.report_type_offset_confirmed_clinical_diagnosis,
                encoding.report_type_offset_confirmed_test,
            ),
        ),
        (
            lang.pick(
                "Übertragungsrisikowert je TRL",
                "Transmission risk value per TRL",
            ),
            v2.transmission_risk_value_mapping
                .iter()
                .map(|entry| {
                    format!(
                        "{} → {}",
                        entry.transmission_risk_level, entry.transmission_risk_value
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ]
}

const V1_EXAMPLE: &str = r#"{
  "exposures": [
    {"daysSinceExposure": 2, "transmissionRiskLevel": 6,
     "attenuations": [{"attenuation": 50, "minutes": 20}, {"attenuation": 60, "minutes": 10}]},
    {"daysSinceExposure": 9, "transmissionRiskLevel": 3,
     "attenuations": [{"attenuation": 70, "minutes": 5}]}
  ]
}"#;

#[component]
fn V1Calculator(config: RwSignal<ApplicationConfig>) -> impl IntoView {
    let lang = use_lang();
    let input = RwSignal::new(V1_EXAMPLE.to_owned());
    let outcome = Memo::new(move |_| {
        let exposures: Vec<Exposure> = serde_json::from_str::<ExposuresFile>(&input.get())
            .map(|file| file.exposures)
            .map_err(|error| error.to_string())?;
        config
            .with(|config| config.v1.calculate(&exposures))
            .map_err(|error| error.to_string())
    });
    let title = tr(
        "Rechner Version 1 (Referenzarchitektur)",
        "Calculator version 1 (reference architecture)",
    );
    let input_label = tr("Begegnungen (JSON)", "Exposures (JSON)");
    view! {
        <section class="card" aria-labelledby="v1-title">
            <h2 id="v1-title">{title}</h2>
            <div class="form">
                <label for="v1-input">{input_label}</label>
                <textarea
                    id="v1-input"
                    rows="8"
                    spellcheck="false"
                    prop:value=move || input.get()
                    on:input=move |ev| input.set(event_target_value(&ev))
                ></textarea>
            </div>
            {move || {
                let lang = lang.get();
                match outcome.get() {
                    Err(reason) => view! { <p class="alert alert--error" role="alert">{reason}</p> }.into_any(),
                    Ok(calculation) => config.with(|config| v1_steps(&calculation, &config.v1, lang)).into_any(),
                }
            }}
        </section>
    }
}

fn bucket(bucket: v1::Bucket) -> String {
    format!("{} → {}", bucket.bucket, bucket.score)
}

fn v1_steps(
    calculation: &v1::Calculation,
    config: &v1::V1Config,
    lang: Lang,
) -> impl IntoView + use<> {
    let rows = calculation
        .exposures
        .iter()
        .map(|steps| {
            let counted = if steps.counted { lang.pick("ja", "yes") } else { lang.pick("nein", "no") };
            view! {
                <tr>
                    <td>{steps.index + 1}</td>
                    <td>{format!("{:.1} dB", steps.attenuation)}</td>
                    <td>{bucket(steps.attenuation_score)}</td>
                    <td>{bucket(steps.days_score)}</td>
                    <td>{format!("{} min: {}", steps.duration_minutes, bucket(steps.duration_score))}</td>
                    <td>{bucket(steps.transmission_score)}</td>
                    <td>{steps.total_risk_score}</td>
                    <td>{counted}</td>
                    <td>{steps.attenuation_durations.map(|minutes| minutes.to_string()).join(" / ")}</td>
                </tr>
            }
        })
        .collect_view();
    let combined = &calculation.combined;
    let duration = &config.attenuation_duration;
    let [d0, d1, d2] = combined.attenuation_durations;
    let class = calculation.risk_class.clone().unwrap_or_else(|| "–".into());
    view! {
        <table class="table table--scroll" tabindex="0">
            <caption>{lang.pick("Schritt 1–3: Stufen und Werte je Begegnung", "Steps 1–3: buckets and scores per exposure")}</caption>
            <thead>
                <tr>
                    <th scope="col">"#"</th>
                    <th scope="col">{lang.pick("Dämpfung (gewichtet)", "Attenuation (weighted)")}</th>
                    <th scope="col">{lang.pick("Dämpfung: Stufe → Wert", "Attenuation: bucket → score")}</th>
                    <th scope="col">{lang.pick("Tage: Stufe → Wert", "Days: bucket → score")}</th>
                    <th scope="col">{lang.pick("Dauer: Stufe → Wert", "Duration: bucket → score")}</th>
                    <th scope="col">{lang.pick("TRL: Stufe → Wert", "TRL: bucket → score")}</th>
                    <th scope="col">{lang.pick("Produkt", "Product")}</th>
                    <th scope="col">{format!("≥ {}?", config.min_risk_score)}</th>
                    <th scope="col">{lang.pick("Minuten nah / mittel / fern", "Minutes near / mid / far")}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <dl class="facts" aria-label=lang.pick("Ergebnis Version 1", "Result version 1")>
            <dt>{lang.pick("Höchster Gesamtrisikowert", "Maximum total risk score")}</dt>
            <dd>{calculation.maximum_risk_score}</dd>
            <dt>{lang.pick("Minuten nah / mittel / fern (max. 30)", "Minutes near / mid / far (max. 30)")}</dt>
            <dd>{format!("{d0} / {d1} / {d2}")}</dd>
            <dt>{lang.pick("Expositionswert", "Exposure score")}</dt>
            <dd>{format!(
                "{} · {d0} + {} · {d1} + {} · {d2} + {} = {}",
                duration.weights.low, duration.weights.mid, duration.weights.high,
                duration.default_bucket_offset, combined.exposure_score
            )}</dd>
            <dt>{lang.pick("Normierter Höchstwert", "Normalized maximum score")}</dt>
            <dd>{format!("{} / {} = {}", calculation.maximum_risk_score, duration.risk_score_normalization_divisor, combined.normalized_max_risk_score)}</dd>
            <dt>{lang.pick("Kombinierter Risikowert", "Combined risk score")}</dt>
            <dd class="risk-v1-combined">{combined.combined_risk_score}</dd>
            <dt>{lang.pick("Risikoklasse", "Risk class")}</dt>
            <dd class="risk-v1-class">{class}</dd>
        </dl>
    }
}

const V2_EXAMPLE: &str = r#"[
  {"ageInDays": 1, "reportType": 1, "infectiousness": 2, "calibrationConfidence": 0,
   "scanInstances": [{"minAttenuation": 45, "typicalAttenuation": 50, "secondsSinceLastScan": 300},
                     {"minAttenuation": 60, "typicalAttenuation": 62, "secondsSinceLastScan": 300}]},
  {"ageInDays": 3, "reportType": 3, "infectiousness": 1, "calibrationConfidence": 1,
   "scanInstances": [{"minAttenuation": 70, "typicalAttenuation": 72, "secondsSinceLastScan": 180}]}
]"#;

/// The version 2 calculator: a form that adds a window, the windows as
/// JSON, and the calculation step by step (or why the JSON cannot be read
/// or scored).
#[component]
fn V2Calculator(config: RwSignal<ApplicationConfig>) -> impl IntoView {
    let lang = use_lang();
    let input = RwSignal::new(V2_EXAMPLE.to_owned());
    let outcome = Memo::new(move |_| {
        let windows: Vec<ExposureWindow> =
            serde_json::from_str(&input.get()).map_err(|error| error.to_string())?;
        config
            .with(|config| config.risk_calculation_parameters.calculate(&windows))
            .map_err(|error| error.to_string())
    });
    let title = tr(
        "Rechner Version 2 (Begegnungsfenster)",
        "Calculator version 2 (exposure windows)",
    );
    let input_label = tr("Begegnungsfenster (JSON)", "Exposure windows (JSON)");
    view! {
        <section class="card" aria-labelledby="v2-title">
            <h2 id="v2-title">{title}</h2>
            <AddWindow input=input />
            <div class="form">
                <label for="v2-input">{input_label}</label>
                <textarea
                    id="v2-input"
                    rows="10"
                    spellcheck="false"
                    prop:value=move || input.get()
                    on:input=move |ev| input.set(event_target_value(&ev))
                ></textarea>
            </div>
            {move || {
                let lang = lang.get();
                match outcome.get() {
                    Err(reason) => view! { <p class="alert alert--error" role="alert">{reason}</p> }.into_any(),
                    Ok(calculation) => v2_steps(&calculation, lang).into_any(),
                }
            }}
        </section>
    }
}

/// The fields of the form that adds a window, as typed.
#[derive(Clone, Copy)]
struct WindowForm {
    age: RwSignal<String>,
    report: RwSignal<String>,
    infectious: RwSignal<String>,
    attenuation: RwSignal<String>,
    minutes: RwSignal<String>,
}

impl WindowForm {
    /// The window the fields describe: one scan of that attenuation (as
    /// minimum and typical) lasting that many minutes; none when a field is
    /// not a whole number the window can hold.
    fn window(self) -> Option<ExposureWindow> {
        Some(ExposureWindow {
            age_in_days: self.age.get_untracked().trim().parse().ok()?,
            report_type: self.report.get_untracked().parse().ok()?,
            infectiousness: self.infectious.get_untracked().parse().ok()?,
            calibration_confidence: 0,
            scan_instances: vec![v2::ScanInstance {
                min_attenuation: self.attenuation.get_untracked().trim().parse().ok()?,
                typical_attenuation: self.attenuation.get_untracked().trim().parse().ok()?,
                seconds_since_last_scan: self
                    .minutes
                    .get_untracked()
                    .trim()
                    .parse::<i64>()
                    .ok()?
                    .checked_mul(60)?,
            }],
        })
    }
}

/// The form that adds one window with one scan to the JSON in `input`
/// (re-written pretty-printed), or says the fields need whole numbers.
#[component]
fn AddWindow(input: RwSignal<String>) -> impl IntoView {
    let lang = use_lang();
    let form = WindowForm {
        age: RwSignal::new("0".to_owned()),
        report: RwSignal::new("1".to_owned()),
        infectious: RwSignal::new("1".to_owned()),
        attenuation: RwSignal::new("55".to_owned()),
        minutes: RwSignal::new("15".to_owned()),
    };
    let form_error = RwSignal::new(None::<String>);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(window) = form.window() else {
            form_error.set(Some(
                lang.get_untracked()
                    .pick(
                        "Bitte ganze Zahlen eingeben.",
                        "Please enter whole numbers.",
                    )
                    .into(),
            ));
            return;
        };
        form_error.set(None);
        let mut windows: Vec<ExposureWindow> =
            serde_json::from_str(&input.get_untracked()).unwrap_or_default();
        windows.push(window);
        if let Ok(text) = serde_json::to_string_pretty(&windows) {
            input.set(text);
        }
    };
    let WindowForm {
        age,
        report,
        infectious,
        attenuation,
        minutes,
    } = form;
    let form_title = tr("Fenster hinzufügen", "Add a window");
    view! {
        <form class="form form--inline" on:submit=add aria-label=form_title>
            <label for="v2-age">{tr("Alter (Tage)", "Age (days)")}</label>
            <input id="v2-age" type="number" min="0" max="14" prop:value=move || age.get() on:input=move |ev| age.set(event_target_value(&ev)) />
            <label for="v2-report">{tr("Meldeart", "Report type")}</label>
            <select id="v2-report" prop:value=move || report.get() on:change=move |ev| report.set(event_target_value(&ev))>
                <option value="1">{tr("Labortest", "Lab test")}</option>
                <option value="2">{tr("klinische Diagnose", "Clinical diagnosis")}</option>
                <option value="3">{tr("Selbstauskunft", "Self report")}</option>
                <option value="4">{tr("rekursiv", "Recursive")}</option>
            </select>
            <label for="v2-infectiousness">{tr("Infektiosität", "Infectiousness")}</label>
            <select id="v2-infectiousness" prop:value=move || infectious.get() on:change=move |ev| infectious.set(event_target_value(&ev))>
                <option value="1">{tr("normal", "standard")}</option>
                <option value="2">{tr("hoch", "high")}</option>
            </select>
            <label for="v2-attenuation">{tr("Dämpfung (dB)", "Attenuation (dB)")}</label>
            <input id="v2-attenuation" type="number" min="0" max="255" prop:value=move || attenuation.get() on:input=move |ev| attenuation.set(event_target_value(&ev)) />
            <label for="v2-minutes">{tr("Minuten", "Minutes")}</label>
            <input id="v2-minutes" type="number" min="0" prop:value=move || minutes.get() on:input=move |ev| minutes.set(event_target_value(&ev)) />
            <button type="submit">{form_title}</button>
        </form>
        {move || form_error.get().map(|text| view! { <p class="alert alert--error" role="alert">{text}</p> })}
    }
}

fn dropped(reason: Option<Dropped>, lang: Lang) -> String {
    match reason {
        None => String::new(),
        Some(Dropped::MinutesAtAttenuation { filter, minutes }) => match lang {
            Lang::De => format!("verworfen: Filter {} ({minutes} min)", filter + 1),
            Lang::En => format!("dropped: filter {} ({minutes} min)", filter + 1),
        },
        Some(Dropped::TransmissionRiskLevel { filter }) => match lang {
            Lang::De => format!("verworfen: TRL-Filter {}", filter + 1),
            Lang::En => format!("dropped: TRL filter {}", filter + 1),
        },
        Some(Dropped::NoRiskLevel) => lang
            .pick("verworfen: keine Stufe", "dropped: no level")
            .into(),
    }
}

fn v2_steps(calculation: &v2::Calculation, lang: Lang) -> impl IntoView + use<> {
    let windows = calculation
        .windows
        .iter()
        .map(|steps| {
            view! {
                <tr>
                    <td>{steps.index + 1}</td>
                    <td>{steps.age_in_days}</td>
                    <td>{steps.transmission_risk_level}</td>
                    <td>{steps.transmission_risk_value}</td>
                    <td>{format!("{:.2}", steps.weighted_minutes)}</td>
                    <td>{format!("{:.2}", steps.normalized_time)}</td>
                    <td>{level(steps.risk_level, lang)}</td>
                    <td>{dropped(steps.dropped, lang)}</td>
                </tr>
            }
        })
        .collect_view();
    let days = calculation
        .days
        .iter()
        .map(|day| view! {
            <tr>
                <td>{day.age_in_days}</td>
                <td>{day.windows.iter().map(|index| (index + 1).to_string()).collect::<Vec<_>>().join(", ")}</td>
                <td>{day.normalized_time}</td>
                <td>{level(day.risk_level, lang)}</td>
                <td>{format!("{} / {}", day.distinct_encounters_with_low_risk, day.distinct_encounters_with_high_risk)}</td>
            </tr>
        })
        .collect_view();
    let result = &calculation.result;
    let age = |age: Option<u32>| age.map_or("–".to_owned(), |age| age.to_string());
    view! {
        <table class="table table--scroll" tabindex="0">
            <caption>{lang.pick("Je Fenster", "Per window")}</caption>
            <thead>
                <tr>
                    <th scope="col">"#"</th>
                    <th scope="col">{lang.pick("Alter", "Age")}</th>
                    <th scope="col">"TRL"</th>
                    <th scope="col">{lang.pick("Risikowert", "Risk value")}</th>
                    <th scope="col">{lang.pick("Gewichtete Minuten", "Weighted minutes")}</th>
                    <th scope="col">{lang.pick("Normierte Zeit", "Normalized time")}</th>
                    <th scope="col">{lang.pick("Stufe", "Level")}</th>
                    <th scope="col">{lang.pick("Anmerkung", "Note")}</th>
                </tr>
            </thead>
            <tbody>{windows}</tbody>
        </table>
        <table class="table table--scroll" tabindex="0">
            <caption>{lang.pick("Je Tag", "Per day")}</caption>
            <thead>
                <tr>
                    <th scope="col">{lang.pick("Alter", "Age")}</th>
                    <th scope="col">{lang.pick("Fenster", "Windows")}</th>
                    <th scope="col">{lang.pick("Normierte Zeit", "Normalized time")}</th>
                    <th scope="col">{lang.pick("Stufe", "Level")}</th>
                    <th scope="col">{lang.pick("Begegnungen niedrig / erhöht", "Encounters low / high")}</th>
                </tr>
            </thead>
            <tbody>{days}</tbody>
        </table>
        <dl class="facts" aria-label=lang.pick("Ergebnis Version 2", "Result version 2")>
            <dt>{lang.pick("Gesamtrisiko", "Total risk")}</dt>
            <dd class="risk-v2-total">{level(Some(result.total_risk_level), lang)}</dd>
            <dt>{lang.pick("Letzter Tag mit erhöhtem Risiko (vor Tagen)", "Last day with high risk (days ago)")}</dt>
            <dd>{age(result.age_of_most_recent_date_with_high_risk)}</dd>
            <dt>{lang.pick("Letzter Tag mit niedrigem Risiko (vor Tagen)", "Last day with low risk (days ago)")}</dt>
            <dd>{age(result.age_of_most_recent_date_with_low_risk)}</dd>
            <dt>{lang.pick("Tage niedrig / erhöht", "Days low / high")}</dt>
            <dd>{format!("{} / {}", result.number_of_days_with_low_risk, result.number_of_days_with_high_risk)}</dd>
        </dl>
    }
}
