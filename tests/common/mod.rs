//! Helpers shared by the native integration tests (each test crate uses some of them).
#![allow(dead_code)]

use std::future::Future;

use futures_util::FutureExt;
use leptos_atelier::{HandlerError, TaskContext, TaskMethod};

/// Answers its input unchanged.
pub struct Echo;

impl TaskMethod for Echo {
    const NAME: &'static str = "echo";
    type Input = String;
    type Output = String;
    async fn run(input: String, _: TaskContext) -> Result<String, HandlerError> {
        Ok(input)
    }
}

/// Succeeds on `true`, fails with the handler error "not ok" on `false`.
pub struct Check;

impl TaskMethod for Check {
    const NAME: &'static str = "check";
    type Input = bool;
    type Output = ();
    async fn run(ok: bool, _: TaskContext) -> Result<(), HandlerError> {
        if ok { Ok(()) } else { Err(HandlerError::new("not ok")) }
    }
}

/// Panics ("boom in the worker"): the worker running it crashes.
pub struct Explode;

impl TaskMethod for Explode {
    const NAME: &'static str = "explode";
    type Input = ();
    type Output = ();
    async fn run(_: (), _: TaskContext) -> Result<(), HandlerError> {
        panic!("boom in the worker")
    }
}

/// Ignores cancellation and never finishes: a hung handler.
pub struct Stuck;

impl TaskMethod for Stuck {
    const NAME: &'static str = "stuck";
    type Input = ();
    type Output = ();
    async fn run(_: (), _: TaskContext) -> Result<(), HandlerError> {
        std::future::pending().await
    }
}

/// Sleeps for its input in milliseconds, on the worker's event loop (browser only).
#[cfg(target_arch = "wasm32")]
pub struct Nap;

#[cfg(target_arch = "wasm32")]
impl TaskMethod for Nap {
    const NAME: &'static str = "nap";
    type Input = f64;
    type Output = ();
    async fn run(millis: f64, _: TaskContext) -> Result<(), HandlerError> {
        sleep(millis).await;
        Ok(())
    }
}

/// The output of a call that must have settled already: simulated workers and the
/// virtual clock only move when a test says so, so a call still pending here is a
/// failure to report, not a reason to wait (which would hang the test).
#[track_caller]
pub fn settled<F: Future>(call: F) -> F::Output {
    call.now_or_never().expect("the call should have settled by now")
}

/// Resolves after `ms` milliseconds of the page's event loop (browser tests only).
#[cfg(target_arch = "wasm32")]
pub async fn sleep(ms: f64) {
    use wasm_bindgen::{JsCast, JsValue};
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into()).unwrap();
        let _ = set_timeout
            .unchecked_into::<js_sys::Function>()
            .call2(&JsValue::NULL, &resolve, &ms.into());
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
