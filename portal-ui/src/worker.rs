//! The verifier's Web Worker from the page's side: starts
//! `verifier-worker_loader.js` (built by trunk from the `verifier` crate),
//! posts one job and hands each answer to the page.

use verifier::job::{JobSpec, WorkerMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Where trunk puts the worker's loader (worker files keep their names).
const LOADER: &str = "/verifier-worker_loader.js";

/// A running job; dropping it stops the worker.
pub struct Job {
    worker: web_sys::Worker,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Starts a worker on `spec` and `bundles`; `on_message` hears every
/// answer (progress, then the outcome or the failure).
pub fn start(
    spec: &JobSpec,
    bundles: &[Vec<u8>],
    mut on_message: impl FnMut(WorkerMessage) + 'static,
) -> Result<Job, String> {
    let spec = serde_json::to_string(spec).map_err(|error| error.to_string())?;
    let worker = web_sys::Worker::new(LOADER).map_err(|error| format!("{error:?}"))?;
    // The job, posted when the worker says it listens.
    let job = js_sys::Array::new();
    job.push(&JsValue::from_str(&spec));
    for bundle in bundles {
        job.push(&js_sys::Uint8Array::from(bundle.as_slice()));
    }
    let poster = worker.clone();
    let handler =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let message = event
                .data()
                .as_string()
                .ok_or_else(|| "the worker sent no text".to_owned())
                .and_then(|text| {
                    serde_json::from_str::<WorkerMessage>(&text).map_err(|error| error.to_string())
                });
            match message {
                Ok(WorkerMessage::Ready) => {
                    if let Err(error) = poster.post_message(&job) {
                        on_message(WorkerMessage::Failed {
                            german: format!("Auftrag nicht gesendet: {error:?}"),
                            english: format!("job not sent: {error:?}"),
                        });
                    }
                }
                Ok(message) => on_message(message),
                Err(reason) => on_message(WorkerMessage::Failed {
                    german: format!("Antwort des Workers nicht lesbar: {reason}"),
                    english: format!("the worker's answer is not readable: {reason}"),
                }),
            }
        });
    worker.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    Ok(Job {
        worker,
        _on_message: handler,
    })
}
