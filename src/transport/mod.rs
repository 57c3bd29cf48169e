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
/// be written to the site's assets at build time. It is `bootstrap.js` in the crate's
/// source without its comment lines (its first line excepted) and indentation, which
/// every app's bundle would otherwise carry.
pub const WORKER_BOOTSTRAP: &str = match std::str::from_utf8(&BOOTSTRAP_BYTES) {
    Ok(script) => script,
    Err(_) => panic!("bootstrap.js is UTF-8, and stripping whole lines keeps it so"),
};

const BOOTSTRAP_SOURCE: &[u8] = include_bytes!("bootstrap.js");
const BOOTSTRAP_BYTES: [u8; compact::len(BOOTSTRAP_SOURCE)] = compact::script(BOOTSTRAP_SOURCE);

/// Strips a script's comment lines and indentation at compile time (const fns, so the
/// bundle holds only the result).
mod compact {
    /// The next kept line from `at`: where it starts (after its indentation), where
    /// it ends (after its newline) and where the line after it starts; `None` past the
    /// end. The first line is kept even if it is a comment.
    const fn next_line(src: &[u8], mut at: usize) -> Option<(usize, usize, usize)> {
        loop {
            if at >= src.len() {
                return None;
            }
            let mut start = at;
            while start < src.len() && (src[start] == b' ' || src[start] == b'\t') {
                start += 1;
            }
            let mut end = start;
            while end < src.len() && src[end] != b'\n' {
                end += 1;
            }
            let next = if end < src.len() { end + 1 } else { end };
            let comment = start + 1 < src.len() && src[start] == b'/' && src[start + 1] == b'/';
            if at == 0 || !comment {
                return Some((start, next, next));
            }
            at = next;
        }
    }

    /// The length of the stripped script.
    pub(super) const fn len(src: &[u8]) -> usize {
        let mut total = 0;
        let mut at = 0;
        while let Some((start, end, next)) = next_line(src, at) {
            total += end - start;
            at = next;
        }
        total
    }

    /// The stripped script, `N` bytes long (as [`len`] counts it).
    pub(super) const fn script<const N: usize>(src: &[u8]) -> [u8; N] {
        let mut out = [0; N];
        let mut written = 0;
        let mut at = 0;
        while let Some((start, end, next)) = next_line(src, at) {
            let mut i = start;
            while i < end {
                out[written] = src[i];
                written += 1;
                i += 1;
            }
            at = next;
        }
        out
    }
}

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

#[cfg(test)]
mod tests {
    use super::{BOOTSTRAP_SOURCE, WORKER_BOOTSTRAP};

    #[test]
    fn the_bootstrap_keeps_every_line_of_code_in_order_and_only_its_first_comment() {
        let source = std::str::from_utf8(BOOTSTRAP_SOURCE).unwrap();
        let code: Vec<&str> = source
            .lines()
            .enumerate()
            .filter(|(number, line)| *number == 0 || !line.trim_start().starts_with("//"))
            .map(|(_, line)| line.trim_start())
            .collect();
        assert_eq!(WORKER_BOOTSTRAP.lines().collect::<Vec<_>>(), code);
        assert!(WORKER_BOOTSTRAP.starts_with("// leptos_atelier worker bootstrap"));
        assert!(
            WORKER_BOOTSTRAP.len() < source.len() * 3 / 4,
            "comments and indentation are gone"
        );
    }
}
