//! Files the page makes (a receipt, a teleTAN sheet as CSV) handed to the
//! browser's download through a Blob URL: nothing goes to the server.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// Offers `text` as a download named `name` of type `mime`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let link: web_sys::HtmlAnchorElement = document().create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.set_hidden(true);
    let body = document()
        .body()
        .ok_or_else(|| JsValue::from_str("no body"))?;
    body.append_child(&link)?;
    link.click();
    link.remove();
    // The download has started; the URL is released a little later.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        Duration::from_secs(30),
    );
    Ok(())
}

/// One CSV field, quoted when it needs to be (RFC 4180).
pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r', ';']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}
