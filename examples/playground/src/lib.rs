//! The leptos_atelier playground: one bundle that is both the app and its workers.

// The playground page's view type nests deep enough that a release build's layout
// queries pass the default limit of 128 (a debug build does not): the usual Leptos fix.
#![recursion_limit = "256"]

pub mod app;
pub mod controls;
pub mod docs;
pub mod events;
pub mod home;
pub mod images;
pub mod jobs;
pub mod lab;
pub mod pipeline;

/// Where the server serves the worker bootstrap script (so that the page's Content
/// Security Policy can refuse `blob:` workers).
pub const BOOTSTRAP_PATH: &str = "/atelier-bootstrap.js";

// The worker entry the tasks name (exported as `playground_workers`): each worker
// calls it once it has loaded this bundle, and serves these methods.
leptos_atelier::worker_entry!(
    pub PlaygroundWorkers = [
        jobs::count_primes,
        jobs::flaky_count,
        images::resize,
        images::analyze,
        images::enhance,
    ]
);

/// Hydrates the server-rendered page. Called by the script Leptos emits, never in a worker.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
