//! A bar chart as inline SVG (no script, no style attribute, so the strict
//! Content-Security-Policy holds), with the numbers as a table beside it
//! for screen readers and for reading exact values.

use leptos::prelude::*;

use crate::components::time::utc_date;
use crate::i18n::tr;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 20.0;

/// One series of daily values (`(day as unix seconds, value)`); `name`
/// makes the element ids unique on the page.
#[component]
pub fn BarChart(
    title: Signal<&'static str>,
    name: &'static str,
    values: Vec<(i64, i64)>,
) -> impl IntoView {
    // The real peak is shown (0 when every day is 0); the bars are scaled
    // to at least 1, so an empty series draws no bar instead of dividing
    // by zero.
    let peak = values.iter().map(|(_, value)| *value).max().unwrap_or(0);
    let scale = peak.max(1);
    let total: i64 = values.iter().map(|(_, value)| *value).sum();
    let count = values.len().max(1) as f64;
    let slot = WIDTH / count;
    let bar = (slot * 0.8).max(1.0);
    let plot = HEIGHT - TOP - BOTTOM;
    let bars = values
        .iter()
        .enumerate()
        .map(|(index, (day, value))| {
            let height = plot * (*value as f64) / (scale as f64);
            let x = index as f64 * slot + (slot - bar) / 2.0;
            let y = TOP + plot - height;
            let label = format!("{}: {value}", utc_date(*day));
            view! {
                <rect class="chart__bar" x=format!("{x:.1}") y=format!("{y:.1}")
                    width=format!("{bar:.1}") height=format!("{height:.1}")>
                    <title>{label}</title>
                </rect>
            }
        })
        .collect_view();
    let first = values
        .first()
        .map(|(day, _)| utc_date(*day))
        .unwrap_or_default();
    let last = values
        .last()
        .map(|(day, _)| utc_date(*day))
        .unwrap_or_default();
    let rows = values
        .iter()
        .map(|(day, value)| view! { <tr><td>{utc_date(*day)}</td><td>{*value}</td></tr> })
        .collect_view();
    let total_label = tr("Summe", "Total");
    let peak_label = tr("Höchstwert", "Peak");
    let day_label = tr("Tag (UTC)", "Day (UTC)");
    let count_label = tr("Anzahl", "Count");
    let numbers = tr("Zahlen", "Numbers");
    let title_id = format!("{name}-title");
    let figure_label = title_id.clone();
    let svg_label = title_id.clone();
    view! {
        <figure class="chart" aria-labelledby=figure_label>
            <figcaption id=title_id>
                <strong>{move || title.get()}</strong>
                " – " {total_label} ": " {total} ", " {peak_label} ": " {peak}
            </figcaption>
            <svg class="chart__svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
                aria-labelledby=svg_label preserveAspectRatio="none">
                <line class="chart__axis" x1="0" x2=WIDTH.to_string()
                    y1=(HEIGHT - BOTTOM).to_string() y2=(HEIGHT - BOTTOM).to_string() />
                {bars}
                <text class="chart__label" x="0" y=(HEIGHT - 4.0).to_string()>{first}</text>
                <text class="chart__label" x=WIDTH.to_string() y=(HEIGHT - 4.0).to_string()
                    text-anchor="end">{last}</text>
                <text class="chart__label" x="0" y="12">{peak}</text>
            </svg>
            <details>
                <summary>{numbers}</summary>
                <table class="table" tabindex="0">
                    <thead><tr><th scope="col">{day_label}</th><th scope="col">{count_label}</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}
