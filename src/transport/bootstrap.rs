//! The worker bootstrap: the script a new worker runs before the app's wasm.
//!
//! It receives one message (glue URL, compiled module, entry name, worker index,
//! whether the page offers shared memory),
//! imports the glue, instantiates the already compiled module, and calls the exported
//! entry, which must call [`serve`](crate::serve). Frames that arrive meanwhile wait
//! in a global list for `serve`. Any failure on the way is reported to the runtime as
//! `{ startFailed }`. All traffic uses the worker's own message channel: a dedicated
//! `MessagePort` costs Chromium about half its message rate.

use std::cell::OnceCell;

use wasm_bindgen::prelude::*;

use super::WORKER_BOOTSTRAP as SCRIPT;
use crate::protocol::describe;

#[wasm_bindgen]
extern "C" {
    type ImportMeta;
    #[wasm_bindgen(thread_local_v2, js_namespace = import, js_name = meta)]
    static IMPORT_META: ImportMeta;
    #[wasm_bindgen(method, getter)]
    fn url(this: &ImportMeta) -> String;
}

/// The URL of this bundle's wasm-bindgen glue, as the glue reports it itself.
///
/// wasm-bindgen emits `import.meta` into the main glue module, so this is the URL the
/// page loaded the glue from, hashed file names included.
pub fn glue_url() -> String {
    IMPORT_META.with(ImportMeta::url)
}

thread_local! {
    static SCRIPT_URL: OnceCell<String> = const { OnceCell::new() };
}

/// A `blob:` URL of the bootstrap script, made once per thread.
pub(crate) fn script_url() -> Result<String, String> {
    SCRIPT_URL.with(|cell| {
        if let Some(url) = cell.get() {
            return Ok(url.clone());
        }
        let parts = js_sys::Array::of1(&JsValue::from_str(SCRIPT));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("text/javascript");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(describe)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(describe)?;
        Ok(cell.get_or_init(|| url).clone())
    })
}

/// The worker's name (shown by DevTools): this crate's tag, then the glue URL, which
/// the bootstrap reads back from `self.name` to start importing the glue at once.
pub(crate) fn worker_name(glue_url: &str) -> String {
    format!("leptos_atelier|{glue_url}")
}
