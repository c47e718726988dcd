//! The Web Worker of the browser verifier: runs [`verifier::job`] off the
//! page's thread, so the page keeps answering while 14 days of keys are
//! verified and matched. trunk builds it (`data-type="worker"` in
//! `index.html`); the page starts it from `verifier-worker_loader.js`.
//!
//! Protocol: the page posts `[specJson, bundle1, bundle2, ...]` (a string
//! and `Uint8Array`s); the worker answers with JSON strings, each a
//! [`verifier::job::WorkerMessage`]: progress after every step, then the
//! outcome or the reason it failed.

#[cfg(target_arch = "wasm32")]
fn main() {
    use verifier::job::{self, JobSpec, WorkerMessage};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    console_error_panic_hook::set_once();
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let poster = scope.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let reply = |message: &WorkerMessage| {
                if let Ok(text) = serde_json::to_string(message) {
                    let _ = poster.post_message(&JsValue::from_str(&text));
                }
            };
            let data = js_sys::Array::from(&event.data());
            let spec = data
                .get(0)
                .as_string()
                .ok_or_else(|| "the first element is not the job as JSON".to_owned())
                .and_then(|text| {
                    serde_json::from_str::<JobSpec>(&text).map_err(|error| error.to_string())
                });
            let spec = match spec {
                Ok(spec) => spec,
                Err(reason) => {
                    reply(&WorkerMessage::Failed {
                        german: format!("Auftrag nicht lesbar: {reason}"),
                        english: format!("job not readable: {reason}"),
                    });
                    return;
                }
            };
            let bundles: Vec<Vec<u8>> = (1..data.length())
                .map(|index| js_sys::Uint8Array::new(&data.get(index)).to_vec())
                .collect();
            match job::run(&spec, &bundles, |progress| {
                reply(&WorkerMessage::Progress(progress));
            }) {
                Ok(outcome) => reply(&WorkerMessage::Done(Box::new(outcome))),
                Err(error) => reply(&error.message()),
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as the page keeps it.
    on_message.forget();
    // Messages that arrived before the handler was set are lost: the page
    // posts the job only after this.
    if let Ok(text) = serde_json::to_string(&WorkerMessage::Ready) {
        let _ = scope.post_message(&JsValue::from_str(&text));
    }
}

/// On the host there is nothing to run: the worker exists in the browser.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("verifier-worker runs as a Web Worker in the browser (built by trunk).");
    std::process::exit(2);
}
