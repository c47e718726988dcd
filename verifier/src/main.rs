//! The Web Worker of the browser verifier: runs [`verifier::job`] off the
//! page's thread, so the page keeps answering while 14 days of keys are
//! verified and matched. trunk builds it (`data-type="worker"` in
//! `verifier.html`); the page starts it from `verifier-worker-loader.js`
//! (`portal-ui/`).
//!
//! Protocol ([`verifier::task`]): the page posts `[requestJson, file1,
//! file2, ...]` (an [`Envelope`](verifier::task::Envelope) of a
//! [`Request`](verifier::task::Request) as a string, then `Uint8Array`s);
//! the worker answers with JSON strings, each an envelope of a
//! [`WorkerMessage`](verifier::task::WorkerMessage) with the request's id:
//! progress, then one final answer.

#[cfg(target_arch = "wasm32")]
fn main() {
    use verifier::task::{self, Envelope, Reason, Request, WorkerMessage};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    console_error_panic_hook::set_once();
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let poster = scope.clone();
    let reply = move |id: u32, body: WorkerMessage| {
        if let Ok(text) = serde_json::to_string(&Envelope { id, body }) {
            let _ = poster.post_message(&JsValue::from_str(&text));
        }
    };
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let data = js_sys::Array::from(&event.data());
            let request = data
                .get(0)
                .as_string()
                .ok_or_else(|| "the first element is not the request as JSON".to_owned())
                .and_then(|text| {
                    serde_json::from_str::<Envelope<Request>>(&text)
                        .map_err(|error| error.to_string())
                });
            let request = match request {
                Ok(request) => request,
                Err(reason) => {
                    // Without a readable id the page cannot be told which
                    // request failed: id 0 reaches every waiting request.
                    reply(
                        0,
                        WorkerMessage::Failed(Reason {
                            german: format!("Auftrag nicht lesbar: {reason}"),
                            english: format!("request not readable: {reason}"),
                        }),
                    );
                    return;
                }
            };
            let files: Vec<Vec<u8>> = (1..data.length())
                .map(|index| js_sys::Uint8Array::new(&data.get(index)).to_vec())
                .collect();
            let id = request.id;
            let answer = task::handle(&request.body, &files, |progress| {
                reply(id, WorkerMessage::Progress(progress));
            });
            reply(id, answer);
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as the page keeps it.
    on_message.forget();
    // Messages that arrived before the handler was set are lost: the page
    // posts requests only after this.
    if let Ok(text) = serde_json::to_string(&Envelope {
        id: 0,
        body: WorkerMessage::Ready,
    }) {
        let _ = scope.post_message(&JsValue::from_str(&text));
    }
}

/// On the host there is nothing to run: the worker exists in the browser.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("verifier-worker runs as a Web Worker in the browser (built by trunk).");
    std::process::exit(2);
}
