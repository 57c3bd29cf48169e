//! `use_abort_state`: whether a cancellation key is aborted, as a signal, with the
//! functions that abort and clear it.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::reactive::hook_scope::{AfterHydration, keep_until_cleanup};
use crate::reactive::use_task_runtime;

/// What [`use_abort_state`] returns.
pub struct UseAbortStateReturn<AbortFn, ClearFn>
where
    AbortFn: Fn() + Clone + Send + Sync,
    ClearFn: Fn() + Clone + Send + Sync,
{
    /// Whether the key is aborted; written only when that changes.
    pub is_aborted: Signal<bool>,
    /// Aborts the key: every call made with it, now and until it is cleared.
    pub abort: AbortFn,
    /// Clears the key: later calls with it run again.
    pub clear: ClearFn,
}

/// The abort state of `key` in the provided runtime's
/// [`AbortTaskController`](crate::AbortTaskController), updated whenever any code aborts
/// or clears it.
///
/// ## Usage
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::{use_abort_state, UseAbortStateReturn};
///
/// #[component]
/// fn StopButton() -> impl IntoView {
///     let UseAbortStateReturn { is_aborted, abort, clear } = use_abort_state("run-1");
///     view! {
///         <button on:click=move |_| abort() disabled=is_aborted>"Stop"</button>
///         <button on:click=move |_| clear() disabled=move || !is_aborted.get()>"Reset"</button>
///     }
/// }
/// ```
///
/// ## Server-Side Rendering
///
/// On the server (no runtime) `is_aborted` stays `false` and the functions do nothing.
pub fn use_abort_state(
    key: impl Into<String>,
) -> UseAbortStateReturn<impl Fn() + Clone + Send + Sync, impl Fn() + Clone + Send + Sync> {
    let key: String = key.into();
    let (is_aborted, set_aborted) = signal(false);
    let aborts = use_task_runtime().map(|runtime| SendWrapper::new(runtime.abort_controller()));
    if let Some(aborts) = &aborts {
        let watched = key.clone();
        let store = aborts.clone();
        let gate = AfterHydration::default();
        let open = gate.clone();
        let write_if_changed = move || {
            if !open.is_open() {
                return;
            }
            let now = store.is_aborted(&watched);
            if is_aborted.get_untracked() != now {
                set_aborted.set(now);
            }
        };
        keep_until_cleanup(aborts.subscribe(write_if_changed.clone()));
        // After hydration, catch up with aborts made before this hook subscribed.
        gate.open_then(write_if_changed);
    }
    let (abort_key, abort_store) = (key.clone(), aborts.clone());
    let abort = move || {
        if let Some(store) = &abort_store {
            store.abort(&abort_key);
        }
    };
    let clear = move || {
        if let Some(store) = &aborts {
            store.clear(&key);
        }
    };
    UseAbortStateReturn {
        is_aborted: is_aborted.into(),
        abort,
        clear,
    }
}
