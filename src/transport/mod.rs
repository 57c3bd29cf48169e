//! Transports, the page's side: how the executor starts workers, sends them frames
//! and hears back.
//!
//! The executor sees a worker only through [`Transport::spawn`] and the returned
//! [`WorkerLink`]; everything the worker says comes back as a [`WorkerEvent`] through
//! the sink given at spawn time, always from the event loop, never from inside a
//! `post` or `spawn` call. Two implementations:
//!
//! - `web` (wasm32): a module Web Worker running the app's own bundle (started by
//!   the `bootstrap` script), talking over its own message channel with the
//!   [`protocol`](crate::protocol)'s outbox, wire format and shared-memory ring;
//! - the simulated transport of [`testing`](crate::testing): in-process workers that
//!   run a real [`Registry`](crate::Registry) on a deterministic local executor, for
//!   native tests.
//!
//! Transports know frames as bytes; they do not decode envelopes or track calls.

// Native builds without the simulated transport construct no worker events.
#![cfg_attr(not(any(target_arch = "wasm32", test, feature = "testing")), allow(dead_code))]

#[cfg(target_arch = "wasm32")]
pub(crate) mod bootstrap;
#[cfg(target_arch = "wasm32")]
pub(crate) mod web;

use std::rc::Rc;

use crate::config::SpawnSpec;
use crate::protocol::Attachments;

/// The script every worker runs first (see [`TaskConfig::bootstrap_url`](crate::TaskConfig::bootstrap_url)).
///
/// By default the runtime makes a `blob:` URL of it. Under a Content Security Policy
/// that refuses `blob:` workers (`worker-src 'self'`), serve this text as
/// JavaScript from your own origin and point the tasks at it. With axum:
///
/// ```ignore
/// use axum::{http::header::CONTENT_TYPE, routing::get};
///
/// let app = app.route(
///     "/atelier-bootstrap.js",
///     get(|| async { ([(CONTENT_TYPE, "text/javascript")], leptos_atelier::WORKER_BOOTSTRAP) }),
/// );
/// // ...and on the client:
/// // TaskConfig::parallel("app_workers").bootstrap_url("/atelier-bootstrap.js")
/// ```
///
/// The script is the same in every version of a given crate release, so it can also
/// be written to the site's assets at build time.
pub const WORKER_BOOTSTRAP: &str = include_str!("bootstrap.js");

/// What to start.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) struct SpawnRequest<'a> {
    pub worker_index: usize,
    /// What to start: the entry, the glue and bootstrap URLs (the bootstrap defaults
    /// to a `blob:` URL of [`WORKER_BOOTSTRAP`]), and the start timeout after which the
    /// transport reports `StartFailed`.
    pub spec: &'a SpawnSpec,
}

/// Something a worker did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WorkerEvent {
    /// A runtime frame (envelope + payload), and the JS objects transferred with it.
    Frame(Vec<u8>, Attachments),
    /// The bootstrap could not start the worker.
    StartFailed(String),
    /// The worker died or reported a panic.
    Crashed(String),
    /// A message that is neither a frame nor a bootstrap report.
    Garbage(String),
}

/// Where a worker's events go.
pub(crate) type EventSink = Rc<dyn Fn(WorkerEvent)>;

/// Starts workers.
pub(crate) trait Transport {
    /// Starts a worker. An `Err` means it could not even be created (no event follows).
    fn spawn(&self, request: &SpawnRequest<'_>, events: EventSink) -> Result<Box<dyn WorkerLink>, String>;
}

/// The executor's handle to one live worker.
pub(crate) trait WorkerLink {
    /// Sends a frame, transferring its buffer and `attachments` (which are detached
    /// afterwards). Frames sent before the ready handshake are delivered after it.
    fn post(&self, frame: &[u8], attachments: &[wasm_bindgen::JsValue]) -> Result<(), String>;
    /// Stops the worker; no event arrives from it afterwards.
    fn terminate(&self);
}
