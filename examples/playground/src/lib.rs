//! The leptos_atelier playground: one bundle that is both the app and its workers.

pub mod app;
pub mod controls;
pub mod docs;
pub mod events;
pub mod home;
pub mod images;
pub mod jobs;
pub mod lab;
pub mod pipeline;

use leptos_atelier::{Registry, serve};
use wasm_bindgen::prelude::wasm_bindgen;

/// Where the server serves the worker bootstrap script (so that the page's Content
/// Security Policy can refuse `blob:` workers).
pub const BOOTSTRAP_PATH: &str = "/atelier-bootstrap.js";

/// The worker entry named in the task config: each worker calls it once it has
/// loaded this bundle, and serves the methods registered here.
#[wasm_bindgen]
pub fn playground_workers() {
    serve(
        Registry::new()
            .method::<jobs::CountPrimes>()
            .method::<jobs::FlakyCount>()
            .method::<images::Resize>()
            .method::<images::Analyze>()
            .method::<images::Enhance>(),
    );
}

/// Hydrates the server-rendered page. Called by the script Leptos emits, never in a worker.
#[cfg(feature = "hydrate")]
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
