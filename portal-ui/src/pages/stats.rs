//! `/admin/statistics`: statistics of the last 30 days as bar charts.

use leptos::prelude::*;
use shared::portal::DayStats;

use crate::api;
use crate::components::chart::BarChart;
use crate::components::focus::heading_takes_focus;
use crate::i18n::{tr, use_lang};

/// A chart: element name, German and English title, the day's value.
type Series = (
    &'static str,
    &'static str,
    &'static str,
    fn(&DayStats) -> i64,
);

/// Days shown.
const DAYS: i64 = 30;

/// The five daily series.
#[component]
pub fn Statistics() -> impl IntoView {
    let lang = use_lang();
    let stats = LocalResource::new(|| api::stats(DAYS));
    let heading = NodeRef::<leptos::html::H1>::new();
    heading_takes_focus(heading);
    let title = tr("Statistik (30 Tage, UTC)", "Statistics (30 days, UTC)");
    let loading = tr("Wird geladen …", "Loading …");
    let series: [Series; 5] = [
        (
            "chart-teletans",
            "Ausgegebene teleTANs",
            "teleTANs issued",
            |d| d.teletans,
        ),
        (
            "chart-registrations",
            "Registrierungen",
            "Registrations",
            |d| d.registrations,
        ),
        (
            "chart-positive",
            "Positive Ergebnisse",
            "Positive results",
            |d| d.positive_results,
        ),
        (
            "chart-keys",
            "Übermittelte Schlüssel",
            "Keys submitted",
            |d| d.keys_submitted,
        ),
        (
            "chart-bundles",
            "Veröffentlichte Pakete",
            "Bundles published",
            |d| d.bundles_published,
        ),
    ];
    let charts = move || {
        stats.get().map(|result| match result {
            Ok(days) => series
                .into_iter()
                .map(|(name, de, en, pick)| {
                    let values: Vec<(i64, i64)> =
                        days.iter().map(|day| (day.day, pick(day))).collect();
                    let title = Signal::derive(tr(de, en));
                    view! { <BarChart title=title name=name values=values /> }
                })
                .collect_view()
                .into_any(),
            Err(failure) => {
                let text = failure.describe(lang.get());
                view! { <p class="alert alert--error" role="alert">{text}</p> }.into_any()
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="stats-title">
            <h1 id="stats-title" tabindex="-1" node_ref=heading>{title}</h1>
            <Transition fallback=move || view! { <p role="status">{loading}</p> }>{charts}</Transition>
        </section>
    }
}
