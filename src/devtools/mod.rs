//! Devtools: a floating panel that shows everything the runtime knows while an app is
//! being developed (feature `devtools`).
//!
//! [`RuntimeDevtools`] is dropped in once, anywhere under [`provide_task_runtime`]: a
//! toggle, and when open a panel with every task (kind, status, queue against its
//! limits, workers, the last crash, latency percentiles and their trend, stop and
//! start), the recent failures and calls, and the aborted keys (abort and clear). It
//! reads only the public API (the runtime in context: its snapshot, tasks, telemetry,
//! events and abort controller) and builds nothing while closed: the panel, its frame
//! loop and its subscriptions exist only while it is open. Open, it reads the runtime
//! once per animation frame (`frame`), not on every queue transition. On the server it
//! renders the closed toggle, like the hooks render their initial values.
//!
//! Its stylesheet is [`DEVTOOLS_CSS`] (`style/devtools.css` in the repository): class
//! names start with `atelier-devtools`, light and dark follow `prefers-color-scheme`,
//! and nothing outside the panel is styled. The component includes it itself.
//!
//! [`provide_task_runtime`]: crate::provide_task_runtime

mod activity;
mod frame;
mod keys;
mod task_card;
mod trend;

use leptos::prelude::*;

use crate::reactive::use_task_runtime;
use activity::RecentActivity;
use frame::sampled_each_frame;
use keys::AbortKeys;
use task_card::TaskCard;

/// The devtools' stylesheet (`style/devtools.css`), which [`RuntimeDevtools`] includes.
pub const DEVTOOLS_CSS: &str = include_str!("../../style/devtools.css");

/// A floating toggle that opens a panel showing the runtime's tasks, workers, queues,
/// latencies and aborted keys, with stop / start and abort / clear.
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::{RuntimeDevtools, provide_task_runtime};
///
/// #[component]
/// fn App() -> impl IntoView {
///     provide_task_runtime();
///     view! {
///         <main>"the app"</main>
///         <RuntimeDevtools />
///     }
/// }
/// ```
#[component]
pub fn RuntimeDevtools(
    /// Whether the panel starts open (default: closed).
    #[prop(optional)]
    initially_open: bool,
) -> impl IntoView {
    let open = RwSignal::new(initially_open);
    view! {
        <div class="atelier-devtools">
            <style>{DEVTOOLS_CSS}</style>
            <button
                type="button"
                class="atelier-devtools-toggle"
                id="atelier-devtools-toggle"
                aria-expanded=move || open.get().to_string()
                aria-controls="atelier-devtools-panel"
                on:click=move |_| open.update(|open| *open = !*open)
            >
                {move || if open.get() { "Close task devtools" } else { "Task devtools" }}
            </button>
            <Show when=move || open.get()>
                <Panel />
            </Show>
        </div>
    }
}

/// The open panel: a summary line, a card per task, the aborted keys.
#[component]
fn Panel() -> impl IntoView {
    let runtime = use_task_runtime();
    let snapshot = sampled_each_frame(Default::default(), move || {
        runtime.as_ref().map(|r| r.snapshot()).unwrap_or_default()
    });
    let summary = move || {
        snapshot.with(|runtime| {
            let tasks = runtime.tasks.len();
            let (in_flight, pending, waiting) = runtime.tasks.iter().fold((0, 0, 0), |(f, p, w), task| {
                (f + task.in_flight, p + task.pending, w + task.waiting)
            });
            format!(
                "{tasks} task{}: {in_flight} in flight, {pending} pending, {waiting} waiting",
                if tasks == 1 { "" } else { "s" }
            )
        })
    };
    let task_ids = move || snapshot.with(|runtime| runtime.tasks.iter().map(|t| t.task_id.clone()).collect::<Vec<_>>());
    view! {
        <section
            class="atelier-devtools-panel"
            id="atelier-devtools-panel"
            role="region"
            aria-label="Task runtime devtools"
        >
            <h2 class="atelier-devtools-title">"Task runtime"</h2>
            <p class="atelier-devtools-summary" id="atelier-devtools-summary">{summary}</p>
            <Show
                when=move || snapshot.with(|runtime| !runtime.tasks.is_empty())
                fallback=|| {
                    view! {
                        <p class="atelier-devtools-empty">
                            "No task is defined yet: each task the app defines appears here with its queue and workers."
                        </p>
                    }
                }
            >
                <For each=task_ids key=|id| id.clone() let:task_id>
                    <TaskCard task_id tasks=snapshot />
                </For>
            </Show>
            <RecentActivity />
            <AbortKeys />
        </section>
    }
}
