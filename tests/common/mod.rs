//! Helpers shared by the native integration tests.

use std::future::Future;

use futures_util::FutureExt;

/// The output of a call that must have settled already: simulated workers and the
/// virtual clock only move when a test says so, so a call still pending here is a
/// failure to report, not a reason to wait (which would hang the test).
#[track_caller]
pub fn settled<F: Future>(call: F) -> F::Output {
    call.now_or_never().expect("the call should have settled by now")
}
