//! Platform facts the runtime needs: how many cores, and whether this is a worker.
//!
//! Browser code reads the global scope, so it works in a window and in a worker alike.
//! Nothing here schedules calls; the browser timer only calls back.

#[cfg(target_arch = "wasm32")]
mod timer;
#[cfg(target_arch = "wasm32")]
pub(crate) use timer::Timeout;

/// The number of logical cores the browser reports (`navigator.hardwareConcurrency`),
/// or 4 when it reports none, as Atelier does. Native builds say 4.
pub fn hardware_concurrency() -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsValue;
        let navigator = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok();
        let cores = navigator
            .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("hardwareConcurrency")).ok())
            .and_then(|c| c.as_f64())
            .filter(|c| *c >= 1.0);
        if let Some(cores) = cores {
            return cores as usize;
        }
    }
    4
}

/// Whether this code runs inside a Web Worker (a `WorkerGlobalScope`), for instance
/// so that a client-side `main` can return early when the bundle boots in a worker.
///
/// ```
/// // Native code never runs in a worker.
/// assert!(!leptos_atelier::is_worker_scope());
/// ```
pub fn is_worker_scope() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        js_sys::global().is_instance_of::<web_sys::WorkerGlobalScope>()
    }
    #[cfg(not(target_arch = "wasm32"))]
    false
}
