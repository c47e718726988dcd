//! First render of the portal in headless Chromium on loopback: the time
//! from navigation to the first contentful paint, which for this
//! client-side rendered app is the first paint of the app itself (the
//! document has no visible content of its own). A measurement, so it is
//! ignored in the ordinary run: `cargo test -p e2e --test it timing --
//! --ignored --nocapture` (BENCHMARKS.md). It fails when a load takes a
//! second or more.

use crate::support::{Backend, browser_test};

const MEASURE: &str = "\
    const paint = performance.getEntriesByName('first-contentful-paint')[0];\
    const wasm = performance.getEntriesByType('resource').find(r => r.name.endsWith('.wasm'));\
    return [paint ? paint.startTime : null, wasm ? wasm.responseEnd : null];";

#[tokio::test]
#[ignore = "a measurement; run with --ignored --nocapture (BENCHMARKS.md)"]
async fn first_render_is_under_a_second() {
    browser_test(Backend::Warn, |page| async move {
        let mut samples = Vec::new();
        for load in 0..6 {
            // A new document each time; the first load has a cold cache.
            page.open(&format!("/?load={load}")).await?;
            page.heading("Warn").await?;
            // The paint entry is recorded once the frame is presented, which
            // can be just after the heading is in the document.
            let mut measured = page.script(MEASURE).await?;
            for _ in 0..40 {
                if measured[0].is_f64() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                measured = page.script(MEASURE).await?;
            }
            let paint = measured[0]
                .as_f64()
                .ok_or_else(|| anyhow::anyhow!("no first-contentful-paint entry: {measured}"))?;
            let wasm = measured[1].as_f64().unwrap_or(f64::NAN);
            println!(
                "load {load} ({}): first contentful paint {paint:.0} ms, WebAssembly loaded at {wasm:.0} ms",
                if load == 0 { "cold cache" } else { "warm cache" }
            );
            samples.push(paint);
        }
        let cold = samples[0];
        let mut warm = samples[1..].to_vec();
        warm.sort_by(f64::total_cmp);
        let median = warm[warm.len() / 2];
        println!("first render: cold {cold:.0} ms, warm median {median:.0} ms");
        anyhow::ensure!(cold < 1000.0, "the cold first render took {cold:.0} ms");
        anyhow::ensure!(median < 1000.0, "the warm first render took {median:.0} ms");
        Ok(())
    })
    .await;
}
