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

/// The output of a call that must have settled already: simulated workers and the
/// virtual clock only move when a test says so, so a call still pending here is a
/// failure to report, not a reason to wait (which would hang the test).
#[track_caller]
pub fn settled<F: Future>(call: F) -> F::Output {
    call.now_or_never().expect("the call should have settled by now")
}
