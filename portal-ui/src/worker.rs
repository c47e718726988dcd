//! The verifier's Web Worker from the page's side: starts
//! `verifier-worker-loader.js` (the project's loader of the worker trunk
//! builds from the `verifier` crate) and carries requests to it ([`verifier::task`]). Every check that needs
//! signatures, zip or a bundle's protobuf runs there, off the page's thread
//! and outside the page's own WebAssembly.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use futures_channel::oneshot;
use verifier::task::{Envelope, Reason, Request, WorkerMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// The worker's loader, `portal-ui/verifier-worker-loader.js`, which trunk
/// copies beside the worker's files (they keep their names; the verifier
/// app is built into `dist/verifier/`).
const LOADER: &str = "/verifier/verifier-worker-loader.js";

type Listener = Box<dyn FnMut(WorkerMessage)>;

#[derive(Default)]
struct State {
    /// The worker said it listens.
    ready: bool,
    /// The worker failed to start or crashed: why.
    broken: Option<String>,
    /// Requests posted before the worker was ready.
    queued: Vec<js_sys::Array>,
    /// Who waits for the answers of each request.
    listeners: HashMap<u32, Listener>,
    next_id: u32,
}

impl State {
    /// Tells every waiting request that the worker is gone.
    fn fail_all(&mut self, reason: &str) -> Vec<Listener> {
        self.broken = Some(reason.to_owned());
        self.queued.clear();
        self.take_listeners()
    }

    /// Every waiting request's listener, taken out of the state (so that
    /// a listener may post another request while it runs).
    fn take_listeners(&mut self) -> Vec<Listener> {
        self.listeners
            .drain()
            .map(|(_, listener)| listener)
            .collect()
    }
}

/// A worker that lives as long as this value (dropping it stops the worker).
pub struct Client {
    worker: web_sys::Worker,
    state: Rc<RefCell<State>>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

fn failed(german: String, english: String) -> WorkerMessage {
    WorkerMessage::Failed(Reason { german, english })
}

/// The failure every waiting request hears when the worker is gone.
fn worker_failed(detail: &str) -> WorkerMessage {
    failed(
        format!("Der Prüf-Worker ist ausgefallen: {detail}"),
        format!("The verifying worker failed: {detail}"),
    )
}

/// Why an answer is not the kind the request expects.
pub fn unexpected(message: &WorkerMessage) -> Reason {
    Reason {
        german: format!("unerwartete Antwort des Workers: {message:?}"),
        english: format!("unexpected answer of the worker: {message:?}"),
    }
}

/// The worker's messages, as they arrive: `Ready` sends the requests
/// queued before it (through `poster`, the worker); an answer goes to its
/// request's listener, which hears the next one too unless this was the
/// last; an answer to id 0 (a request the worker could not read) goes to
/// every waiting request, and so does the failure of a message that cannot
/// be read, which marks the worker broken.
fn message_listener(
    poster: web_sys::Worker,
    shared: Rc<RefCell<State>>,
) -> Closure<dyn FnMut(web_sys::MessageEvent)> {
    Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        let envelope = event
            .data()
            .as_string()
            .ok_or_else(|| "the worker sent no text".to_owned())
            .and_then(|text| {
                serde_json::from_str::<Envelope<WorkerMessage>>(&text)
                    .map_err(|error| error.to_string())
            });
        match envelope {
            Ok(Envelope {
                body: WorkerMessage::Ready,
                ..
            }) => {
                let queued = {
                    let mut state = shared.borrow_mut();
                    state.ready = true;
                    std::mem::take(&mut state.queued)
                };
                for message in queued {
                    let _ = poster.post_message(&message);
                }
            }
            Ok(Envelope { id: 0, body }) => {
                // A request the worker could not read: every waiting one hears.
                let listeners = shared.borrow_mut().take_listeners();
                for mut listener in listeners {
                    listener(body.clone());
                }
            }
            Ok(Envelope { id, body }) => {
                // The listener is taken out while it runs: it may post
                // another request, which borrows the state.
                let listener = shared.borrow_mut().listeners.remove(&id);
                if let Some(mut listener) = listener {
                    let last = body.is_final();
                    listener(body);
                    if !last {
                        shared.borrow_mut().listeners.insert(id, listener);
                    }
                }
            }
            Err(reason) => {
                let listeners = shared.borrow_mut().fail_all(&reason);
                for mut listener in listeners {
                    listener(failed(
                        format!("Antwort des Workers nicht lesbar: {reason}"),
                        format!("the worker's answer is not readable: {reason}"),
                    ));
                }
            }
        }
    })
}

/// The worker's crash (or failure to load): it is marked broken and every
/// waiting request hears why.
fn error_listener(shared: Rc<RefCell<State>>) -> Closure<dyn FnMut(web_sys::Event)> {
    Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let detail = event
            .dyn_ref::<web_sys::ErrorEvent>()
            .map(web_sys::ErrorEvent::message)
            .filter(|message| !message.is_empty())
            .unwrap_or_else(|| "the worker stopped".to_owned());
        let listeners = shared.borrow_mut().fail_all(&detail);
        for mut listener in listeners {
            listener(worker_failed(&detail));
        }
    })
}

impl Client {
    /// Starts the worker.
    pub fn start() -> Result<Self, String> {
        let worker = web_sys::Worker::new(LOADER).map_err(|error| format!("{error:?}"))?;
        let state = Rc::new(RefCell::new(State {
            next_id: 1,
            ..State::default()
        }));
        let on_message = message_listener(worker.clone(), state.clone());
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = error_listener(state.clone());
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            state,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Whether the worker crashed (a new one is needed).
    pub fn is_broken(&self) -> bool {
        self.state.borrow().broken.is_some()
    }

    /// Sends `request` with `files`; `listener` hears its progress and then
    /// its final answer (a failure when the worker cannot be reached).
    pub fn send(
        &self,
        request: Request,
        files: &[Vec<u8>],
        mut listener: impl FnMut(WorkerMessage) + 'static,
    ) {
        let mut state = self.state.borrow_mut();
        if let Some(reason) = state.broken.clone() {
            drop(state);
            listener(worker_failed(&reason));
            return;
        }
        let id = state.next_id;
        state.next_id = state.next_id.wrapping_add(1).max(1);
        let text = match serde_json::to_string(&Envelope { id, body: request }) {
            Ok(text) => text,
            Err(error) => {
                drop(state);
                listener(failed(
                    format!("Auftrag nicht lesbar: {error}"),
                    format!("request not readable: {error}"),
                ));
                return;
            }
        };
        let message = js_sys::Array::new();
        message.push(&JsValue::from_str(&text));
        for file in files {
            message.push(&js_sys::Uint8Array::from(file.as_slice()));
        }
        state.listeners.insert(id, Box::new(listener));
        if !state.ready {
            state.queued.push(message);
            return;
        }
        drop(state);
        if let Err(error) = self.worker.post_message(&message) {
            let listener = self.state.borrow_mut().listeners.remove(&id);
            if let Some(mut listener) = listener {
                listener(failed(
                    format!("Auftrag nicht gesendet: {error:?}"),
                    format!("request not sent: {error:?}"),
                ));
            }
        }
    }

    /// Sends `request` with `files` and waits for its final answer.
    pub async fn call(&self, request: Request, files: &[Vec<u8>]) -> WorkerMessage {
        let (sender, receiver) = oneshot::channel();
        let mut sender = Some(sender);
        self.send(request, files, move |message| {
            if message.is_final()
                && let Some(sender) = sender.take()
            {
                let _ = sender.send(message);
            }
        });
        receiver.await.unwrap_or_else(|_| {
            failed(
                "Der Prüf-Worker antwortet nicht.".into(),
                "The verifying worker does not answer.".into(),
            )
        })
    }
}

/// A page's worker: started on first use, restarted after a crash, stopped
/// with the page.
#[derive(Clone, Copy)]
pub struct PageWorker(
    leptos::prelude::StoredValue<Option<Rc<Client>>, leptos::prelude::LocalStorage>,
);

impl PageWorker {
    /// No worker yet.
    pub fn new() -> Self {
        Self(leptos::prelude::StoredValue::new_local(None))
    }

    /// The running worker, started when there is none or it crashed.
    pub fn get(self) -> Result<Rc<Client>, String> {
        use leptos::prelude::{GetValue, SetValue};
        if let Some(client) = self.0.get_value().filter(|client| !client.is_broken()) {
            return Ok(client);
        }
        let client = Rc::new(Client::start()?);
        self.0.set_value(Some(client.clone()));
        Ok(client)
    }

    /// Sends `request` with `files` and waits for its final answer.
    pub async fn call(self, request: Request, files: &[Vec<u8>]) -> WorkerMessage {
        match self.get() {
            Ok(client) => client.call(request, files).await,
            Err(reason) => failed(
                format!("Der Prüf-Worker startet nicht: {reason}"),
                format!("The verifying worker does not start: {reason}"),
            ),
        }
    }
}
