//! `use_task_telemetry`: one task's outcome counts and latency percentiles as a signal.

use std::sync::Arc;

use leptos::prelude::*;

use crate::observe::SnapshotOptions;
use crate::observe::TelemetrySummary;
use crate::reactive::hook_scope::{AfterHydration, keep_until_cleanup};
use crate::reactive::use_task_runtime;

/// The telemetry of task `task_id`: succeeded / failed / canceled / rejected counts
/// and count, mean and p50/p90/p95/p99 of run time and queue wait, updated after each
/// transition of the runtime and written only when it changed.
///
/// ## Usage
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::use_task_telemetry;
///
/// #[component]
/// fn Latency() -> impl IntoView {
///     let telemetry = use_task_telemetry("resize");
///     let p95 = move || telemetry.with(|t| t.run_time.p95_ms.map(|ms| format!("{ms:.1} ms")));
///     view! { <span>"p95: " {p95}</span> }
/// }
/// ```
///
/// ## Server-Side Rendering
///
/// On the server the summary stays empty (`TelemetrySummary::default()`).
pub fn use_task_telemetry(task_id: impl Into<String>) -> Signal<TelemetrySummary> {
    let task_id: String = task_id.into();
    let (telemetry, set_telemetry) = signal(TelemetrySummary::default());
    if let Some(runtime) = use_task_runtime() {
        let source = runtime.clone();
        let gate = AfterHydration::default();
        let open = gate.clone();
        // The (task, version) last summarized: a transition of another task, or one that
        // recorded nothing, costs a comparison instead of a summary.
        let seen = Arc::new(std::sync::Mutex::new(None::<(u64, u64)>));
        let refresh = move || {
            if !open.is_open() {
                return;
            }
            let Some(task) = source.task(&task_id) else { return };
            let key = (task.identity(), task.telemetry_version());
            if let Ok(mut seen) = seen.lock() {
                if *seen == Some(key) {
                    return;
                }
                *seen = Some(key);
            }
            let next = task.telemetry();
            if telemetry.with_untracked(|current| *current != next) {
                set_telemetry.set(next);
            }
        };
        let on_transition = refresh.clone();
        // Every transition: an in-flight call answered by an abort changes the counts
        // without changing the snapshot.
        let options = SnapshotOptions::new().emit_immediately(false).only_on_change(false);
        keep_until_cleanup(runtime.subscribe_with_options(move |_| on_transition(), options));
        gate.open_then(refresh);
    }
    telemetry.into()
}
