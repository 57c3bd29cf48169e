//! A one-shot browser timer on the global scope (window or worker alike).

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout(callback: &js_sys::Function, millis: f64) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Calls its callback once after a delay, unless dropped first (dropping cancels it).
pub(crate) struct Timeout {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    pub(crate) fn new(after: std::time::Duration, callback: impl FnOnce() + 'static) -> Result<Self, JsValue> {
        let callback = Closure::once(callback);
        let id = set_timeout(callback.as_ref().unchecked_ref(), after.as_secs_f64() * 1000.0)?;
        Ok(Self {
            id,
            _callback: callback,
        })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
