//! What the calling hooks' options have in common (key, timeout, signal, trace,
//! progress callback), and how one call of a hook is made of them: the hook's own abort
//! controller follows the key's and the caller's signals for the length of the call.

use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;

use crate::abort::{AbortController, AbortSignal, ListenerId};
use crate::observe::Trace;
use crate::runtime::TaskRuntime;
use crate::task::CallOptions;

/// The per-call settings of a hook's options.
#[derive(Clone, Default)]
pub(crate) struct HookCall {
    pub(crate) key: Option<String>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) signal: Option<AbortSignal>,
    pub(crate) trace: Option<Trace>,
    pub(crate) on_progress: Option<Rc<dyn Fn(f64)>>,
}

/// Listeners that link the hook's controller to other signals; removed when dropped,
/// so a key or signal used by many calls keeps no listener per call.
pub(crate) struct Links(Vec<(AbortSignal, ListenerId)>);

impl Drop for Links {
    fn drop(&mut self) {
        for (signal, listener) in self.0.drain(..) {
            signal.remove_listener(listener);
        }
    }
}

impl HookCall {
    /// The options of one call under `own` (a controller of this call alone): aborted
    /// by `own`, and so by the key (in `runtime`), the caller's signal and `follow`
    /// (the hook's own), which `own` follows while the returned links live; progress
    /// goes to `set_progress` and the caller's callback.
    pub(crate) fn options(
        &self,
        runtime: Option<&TaskRuntime>,
        own: &AbortController,
        follow: Option<AbortSignal>,
        set_progress: WriteSignal<Option<f64>>,
    ) -> (CallOptions, Links) {
        let key_signal = self
            .key
            .as_deref()
            .zip(runtime)
            .map(|(key, runtime)| runtime.abort_controller().signal_for(key));
        let mut links = Vec::new();
        for source in key_signal.into_iter().chain(self.signal.clone()).chain(follow) {
            if source.is_aborted() {
                own.abort();
                continue;
            }
            let follower = own.clone();
            let listener = source.on_abort(move || follower.abort());
            links.push((source, listener));
        }
        let report = self.on_progress.clone();
        let mut options = CallOptions::new().signal(own.signal()).on_progress(move |fraction| {
            set_progress.set(Some(fraction));
            if let Some(report) = &report {
                report(fraction);
            }
        });
        if let Some(key) = &self.key {
            options = options.key(key.clone());
        }
        if let Some(after) = self.timeout {
            options = options.timeout(after);
        }
        if let Some(trace) = &self.trace {
            options = options.trace(trace);
        }
        (options, Links(links))
    }
}

/// The setters of the [`HookCall`] fields, for an options struct with a `call` field.
macro_rules! hook_call_setters {
    ($options:ident) => {
        impl $options {
            /// Calls carry this key: [`AbortTaskController::abort`](crate::AbortTaskController::abort)
            /// of it aborts them, and they show it in errors and events.
            pub fn key(mut self, key: impl Into<String>) -> Self {
                self.call.key = Some(key.into()).filter(|key: &String| !key.is_empty());
                self
            }

            /// Each call's deadline, instead of the task's.
            pub fn timeout(mut self, after: std::time::Duration) -> Self {
                self.call.timeout = Some(after);
                self
            }

            /// Calls are aborted when `signal` is (besides the hook's own aborts).
            pub fn signal(mut self, signal: crate::abort::AbortSignal) -> Self {
                self.call.signal = Some(signal);
                self
            }

            /// Calls' spans join `trace`.
            pub fn trace(mut self, trace: &crate::observe::Trace) -> Self {
                self.call.trace = Some(trace.clone());
                self
            }

            /// Called with each progress report of a running call (as well as the
            /// returned `progress` signal).
            pub fn on_progress(mut self, report: impl Fn(f64) + 'static) -> Self {
                self.call.on_progress = Some(std::rc::Rc::new(report));
                self
            }
        }
    };
}

pub(crate) use hook_call_setters;
