//! What the subscribing hooks share: the gate that keeps them silent until
//! hydration is over, and tying a runtime subscription to the reactive owner.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::listeners::Subscription;

/// Closed until the owner's first effect runs, which is after hydration: a hook writes
/// its signal only through an open gate, so the first client render matches the
/// server's even if components define tasks or abort keys while rendering.
#[derive(Clone, Default)]
pub(crate) struct AfterHydration(Arc<AtomicBool>);

impl AfterHydration {
    pub(crate) fn is_open(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Opens the gate when the first effect runs, then calls `catch_up` to write what
    /// happened before.
    pub(crate) fn open_then(&self, catch_up: impl Fn() + 'static) {
        let gate = self.0.clone();
        Effect::new(move |_| {
            gate.store(true, Ordering::Relaxed);
            catch_up();
        });
    }
}

/// Keeps `subscription` until the current reactive owner is cleaned up.
pub(crate) fn keep_until_cleanup(subscription: Subscription) {
    let subscription = SendWrapper::new(subscription);
    on_cleanup(move || drop(subscription));
}
