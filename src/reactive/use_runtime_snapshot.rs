//! `use_runtime_snapshot` / `use_task_snapshot`: the runtime's snapshot as signals.

use leptos::prelude::*;

use crate::observe::{RuntimeSnapshot, SnapshotOptions, TaskSnapshot, WorkerSnapshot};
use crate::reactive::hook_scope::{AfterHydration, keep_until_cleanup};
use crate::reactive::use_task_runtime;

/// The provided runtime's snapshot, updated on every queue transition (pushed, not polled).
///
/// The signal is only written when the snapshot really changed. It starts as the empty
/// snapshot and catches up right after hydration, so the first client render matches
/// the server's.
///
/// ## Usage
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::use_runtime_snapshot;
///
/// #[component]
/// fn InFlight() -> impl IntoView {
///     let snapshot = use_runtime_snapshot();
///     let in_flight = move || snapshot.with(|s| s.tasks.iter().map(|t| t.in_flight).sum::<usize>());
///     view! { <span>{in_flight}</span> }
/// }
/// ```
///
/// ## Server-Side Rendering
///
/// On the server there is no runtime: the signal holds `RuntimeSnapshot::default()`.
pub fn use_runtime_snapshot() -> Signal<RuntimeSnapshot> {
    let (snapshot, set_snapshot) = signal(RuntimeSnapshot::default());
    if let Some(runtime) = use_task_runtime() {
        let gate = AfterHydration::default();
        let write_if_changed = {
            let gate = gate.clone();
            move |next: &RuntimeSnapshot| {
                if gate.is_open() && snapshot.with_untracked(|current| current != next) {
                    set_snapshot.set(next.clone());
                }
            }
        };
        let options = SnapshotOptions::new().emit_immediately(false);
        keep_until_cleanup(runtime.subscribe_with_options(write_if_changed.clone(), options));
        gate.open_then(move || write_if_changed(&runtime.snapshot()));
    }
    snapshot.into()
}

/// One task's snapshot, as a memo: views of this task re-run only when it changes.
///
/// ## Usage
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::use_task_snapshot;
///
/// #[component]
/// fn Pending() -> impl IntoView {
///     let hash = use_task_snapshot("hash");
///     view! { <span>{move || hash.get().map_or(0, |t| t.pending)}</span> }
/// }
/// ```
///
/// ## Server-Side Rendering
///
/// `None` on the server.
pub fn use_task_snapshot(task_id: impl Into<String>) -> Signal<Option<TaskSnapshot>> {
    let task_id = task_id.into();
    let snapshot = use_runtime_snapshot();
    Memo::new(move |_| snapshot.with(|s| s.task(&task_id).cloned())).into()
}

/// One worker slot's snapshot (`index` in task `task_id`'s pool), as a memo: a view of
/// one worker re-runs only when that worker changes, not when its siblings do.
///
/// ## Usage
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::use_worker_snapshot;
///
/// #[component]
/// fn WorkerDot(index: usize) -> impl IntoView {
///     let worker = use_worker_snapshot("resize", index);
///     view! { <span class:busy=move || worker.get().is_some_and(|w| w.in_flight > 0)></span> }
/// }
/// ```
///
/// ## Server-Side Rendering
///
/// `None` on the server.
pub fn use_worker_snapshot(task_id: impl Into<String>, index: usize) -> Signal<Option<WorkerSnapshot>> {
    let task = use_task_snapshot(task_id);
    Memo::new(move |_| task.with(|t| t.as_ref().and_then(|t| t.workers.get(index).cloned()))).into()
}
