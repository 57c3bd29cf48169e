//! One task in the devtools panel: its kind and status (a halt is an alert), its queue
//! against its limits, its workers, its last crash, latency percentiles, and buttons
//! to stop and start its workers.

use leptos::prelude::*;

use super::frame::sampled_each_frame;
use super::trend::Trend;
use crate::config::TaskKind;
use crate::observe::{LatencySummary, RuntimeSnapshot, TaskSnapshot, TaskStatus, WorkerState};
use crate::reactive::use_task_runtime;

fn status_label(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Idle => "idle",
        TaskStatus::Active => "active",
        TaskStatus::Paused => "paused (workers stopped)",
        TaskStatus::Halted => "HALTED after a crash",
    }
}

fn worker_label(state: WorkerState) -> &'static str {
    match state {
        WorkerState::Stopped => "stopped",
        WorkerState::Starting => "starting",
        WorkerState::Ready => "ready",
        WorkerState::Crashed => "crashed",
    }
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |ms| format!("{ms:.1} ms"))
}

/// The card of task `task_id`, its figures taken from the panel's per-frame snapshot
/// of the whole runtime (`tasks`): each task's snapshot is built once per frame.
#[component]
pub(super) fn TaskCard(task_id: String, tasks: Signal<RuntimeSnapshot>) -> impl IntoView {
    let runtime = use_task_runtime();
    // A memo, so that the card re-renders only when its own task changed.
    let snapshot = {
        let task_id = task_id.clone();
        Memo::new(move |_| tasks.with(|all| all.tasks.iter().find(|t| t.task_id == task_id).cloned()))
    };
    let telemetry = {
        let task_id = task_id.clone();
        sampled_each_frame(Default::default(), move || {
            let task = runtime.as_ref().and_then(|runtime| runtime.task(&task_id));
            task.map(|task| task.telemetry()).unwrap_or_default()
        })
    };
    let control = {
        let task_id = task_id.clone();
        move |start: bool| {
            if let Some(task) = use_task_runtime().and_then(|runtime| runtime.task(&task_id)) {
                if start {
                    task.start_workers();
                } else {
                    task.stop_workers();
                }
            }
        }
    };
    let (stop, start) = (control.clone(), control);
    let read = move |f: fn(&TaskSnapshot) -> String| move || snapshot.with(|s| s.as_ref().map(f).unwrap_or_default());
    let halted = move || snapshot.with(|s| s.as_ref().is_some_and(|s| s.status == TaskStatus::Halted));
    let heading_id = format!("atelier-devtools-task-{task_id}");
    let labelled_by = heading_id.clone();
    view! {
        <article class="atelier-devtools-task" aria-labelledby=labelled_by data-task=task_id>
            <h3 id=heading_id>
                {read(|s| s.task_name.clone().unwrap_or_else(|| s.task_id.clone()))}
                <span class="atelier-devtools-kind">
                    {read(|s| match s.task_kind {
                        TaskKind::Parallel => format!("pool of {}", s.pool_size),
                        TaskKind::Singleton => "singleton".to_owned(),
                    })}
                </span>
            </h3>
            <p
                class="atelier-devtools-status"
                class:atelier-devtools-halted=halted
                role=move || if halted() { "alert" } else { "status" }
            >
                {read(|s| status_label(s.status).to_owned())}
            </p>
            <dl class="atelier-devtools-queue">
                <dt>"in flight"</dt>
                <dd data-field="in-flight">{read(|s| format!("{} / {}", s.in_flight, s.max_in_flight))}</dd>
                <dt>"pending"</dt>
                <dd data-field="pending">{read(|s| format!("{} / {}", s.pending, s.max_queue_depth))}</dd>
                <dt>"waiting"</dt>
                <dd data-field="waiting">{read(|s| s.waiting.to_string())}</dd>
                <dt>"dispatched"</dt>
                <dd data-field="dispatched">{read(|s| s.total_dispatched.to_string())}</dd>
                <dt>"completed / failed / canceled / rejected"</dt>
                <dd data-field="outcomes">
                    {move || {
                        telemetry
                            .with(|t| format!("{} / {} / {} / {}", t.succeeded, t.failed, t.canceled, t.rejected))
                    }}
                </dd>
            </dl>
            <ul class="atelier-devtools-workers" aria-label="workers">
                {move || {
                    snapshot
                        .with(|s| s.as_ref().map(|s| s.workers.clone()).unwrap_or_default())
                        .into_iter()
                        .map(|worker| {
                            view! {
                                <li data-state=worker_label(worker.state)>
                                    {format!(
                                        "worker {}: {}, {} in flight, {} completed",
                                        worker.index,
                                        worker_label(worker.state),
                                        worker.in_flight,
                                        worker.completed,
                                    )}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            {move || {
                snapshot
                    .with(|s| s.as_ref().and_then(|s| s.last_crash.clone()))
                    .map(|crash| {
                        view! {
                            <p class="atelier-devtools-crash" data-field="last-crash">
                                {format!(
                                    "last crash: worker {} at {:.0} ms: {}",
                                    crash.worker_index,
                                    crash.at_ms,
                                    crash.cause,
                                )}
                            </p>
                        }
                    })
            }}
            <Show
                when=move || telemetry.with(|t| t.run_time.p50_ms.is_some() || t.queue_wait.p50_ms.is_some())
                fallback=|| {
                    view! {
                        <p class="atelier-devtools-empty">
                            "Latency: no call has completed yet. The p50, p90, p95 and p99 of run time and queue wait appear after the first."
                        </p>
                    }
                }
            >
            <table class="atelier-devtools-latency">
                <caption>"Latency"</caption>
                <thead>
                    <tr>
                        <th scope="col">"series"</th>
                        <th scope="col">"p50"</th>
                        <th scope="col">"p90"</th>
                        <th scope="col">"p95"</th>
                        <th scope="col">"p99"</th>
                    </tr>
                </thead>
                <tbody>
                    {[("run time", false), ("queue wait", true)]
                        .into_iter()
                        .map(|(label, wait)| {
                            let pick = move |f: fn(&LatencySummary) -> Option<f64>| {
                                move || {
                                    telemetry.with(|t| ms(f(if wait { &t.queue_wait } else { &t.run_time })))
                                }
                            };
                            view! {
                                <tr>
                                    <th scope="row">{label}</th>
                                    <td>{pick(|l| l.p50_ms)}</td>
                                    <td>{pick(|l| l.p90_ms)}</td>
                                    <td>{pick(|l| l.p95_ms)}</td>
                                    <td>{pick(|l| l.p99_ms)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            </Show>
            <Trend telemetry />
            <div class="atelier-devtools-actions">
                <button type="button" on:click=move |_| stop(false)>
                    "Stop workers"
                </button>
                <button type="button" on:click=move |_| start(true)>
                    "Start workers"
                </button>
            </div>
        </article>
    }
}
