//! The protocol both sides speak, below the page's transport and the worker's serve
//! loop alike: how frames travel (`wire`: text and binary frames, batches, spare
//! buffers), the shared-memory channel (`ring`, its records laid out by `records`),
//! the per-turn `outbox` that batches a side's frames, and the names the bootstrap
//! script and both sides agree on. Frames are bytes here: envelopes and payloads are
//! the codec's.
//!
//! Nothing here starts a worker, tracks a call or runs a handler; `transport` (the
//! page's side) and `worker` (the worker's side) are built on it, and it imports
//! neither.

#[cfg(target_arch = "wasm32")]
pub(crate) mod outbox;
#[cfg(any(target_arch = "wasm32", test))]
pub(crate) mod records;
#[cfg(target_arch = "wasm32")]
pub(crate) mod ring;
#[cfg(target_arch = "wasm32")]
pub(crate) mod wire;

/// The JS objects that travel with a frame (its transfer list, in order): the
/// payload's [`Transfer`](crate::Transfer) objects and large blocks.
pub(crate) type Attachments = Vec<wasm_bindgen::JsValue>;

/// Global property holding the frames that arrived before `serve` (an array of message data).
#[cfg(target_arch = "wasm32")]
pub(crate) const GLOBAL_EARLY: &str = "__leptosAtelierEarly";
/// Global property holding the worker's pool index (set only in a runtime's worker).
#[cfg(target_arch = "wasm32")]
pub(crate) const GLOBAL_WORKER_INDEX: &str = "__leptosAtelierWorkerIndex";
/// Global property: true if the page offers a shared-memory channel (see [`ring`]).
#[cfg(target_arch = "wasm32")]
pub(crate) const GLOBAL_SHARED: &str = "__leptosAtelierShared";
/// Global property `serve` sets, so the bootstrap can tell an entry that forgot it.
#[cfg(target_arch = "wasm32")]
pub(crate) const GLOBAL_SERVING: &str = "__leptosAtelierServing";

#[cfg(target_arch = "wasm32")]
/// A readable text for a thrown JS value.
pub(crate) fn describe(value: wasm_bindgen::JsValue) -> String {
    if let Some(error) = wasm_bindgen::JsCast::dyn_ref::<js_sys::Error>(&value) {
        return String::from(error.to_string());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}
