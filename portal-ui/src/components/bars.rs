//! A bar chart as inline SVG: no script, no inline style (the bars' colour
//! comes from `style.css`), readable without colour (values above bars)
//! and by screen readers (a table beside it, visually hidden).

use leptos::prelude::*;

/// One bar: its label and value.
pub type Bar = (String, u32);

const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 140.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 22.0;

/// A bar chart of `bars` titled `title`.
#[component]
pub fn BarChart(title: String, bars: Vec<Bar>) -> impl IntoView {
    let highest = bars
        .iter()
        .map(|(_, value)| *value)
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = WIDTH / bars.len().max(1) as f64;
    let plot = HEIGHT - TOP - BOTTOM;
    let rects = bars
        .iter()
        .enumerate()
        .map(|(index, (label, value))| {
            let height = plot * f64::from(*value) / f64::from(highest);
            let x = slot * index as f64;
            let y = TOP + plot - height;
            let centre = x + slot / 2.0;
            view! {
                <g>
                    <rect class="chart__bar" x={x + slot * 0.15} y=y width={slot * 0.7} height=height></rect>
                    <text class="chart__value" x=centre y={y - 3.0} text-anchor="middle">{value.to_string()}</text>
                    <text class="chart__label" x=centre y={HEIGHT - 6.0} text-anchor="middle">{label.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let rows = bars
        .iter()
        .map(|(label, value)| view! { <tr><th scope="row">{label.clone()}</th><td>{value.to_string()}</td></tr> })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>{title.clone()}</figcaption>
            <svg
                class="chart__svg"
                viewBox={format!("0 0 {WIDTH} {HEIGHT}")}
                role="img"
                aria-label=title.clone()
            >
                <line class="chart__axis" x1="0" y1={TOP + plot} x2=WIDTH y2={TOP + plot}></line>
                {rects}
            </svg>
            // A table keeps at least its content's size whatever its width
            // says: the box that hides it is a block around it.
            <div class="visually-hidden">
                <table>
                    <caption>{title}</caption>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </figure>
    }
}
