//! The lab: one task whose queue policy, queue depth and crash policy are chosen in
//! the page. Run N prime counts through it, abort the run, make the next job crash
//! its worker, and watch the queue, the outcome counts and the latency percentiles.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_atelier::{
    CallOptions, CrashPolicy, QueuePolicy, RuntimeEvent, TaskConfig, TaskError, UseAbortStateReturn, use_abort_state,
    use_task_runtime, use_task_snapshot, use_task_telemetry,
};
use send_wrapper::SendWrapper;

use crate::controls::{CRASH_POLICIES, NumberInput, OptionSelect, OrEmpty, QUEUE_POLICIES, Stat, Toggle};
use crate::jobs::{FlakyJob, flaky_count};

/// The lab task's id.
pub const LAB_TASK: &str = "lab";
/// The key every call of a run carries, so that one abort stops the run.
pub const LAB_KEY: &str = "lab-run";
/// Workers in the lab's pool.
pub const LAB_POOL: usize = 2;

/// How one job of a run ended.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Done(u32),
    Canceled,
    Rejected,
    Failed(String),
}

impl Outcome {
    fn of(result: Result<u32, TaskError>) -> Self {
        match result {
            Ok(count) => Outcome::Done(count),
            Err(TaskError::Aborted { .. } | TaskError::Timeout { .. }) => Outcome::Canceled,
            Err(TaskError::QueueFull { .. }) => Outcome::Rejected,
            Err(other) => Outcome::Failed(other.to_string()),
        }
    }
}

/// The bound of lab job `index`.
fn lab_bound(index: usize) -> u32 {
    150_000 + 10_000 * index as u32
}

#[component]
pub fn Lab() -> impl IntoView {
    let runtime = StoredValue::new_local(use_task_runtime());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let job_count = RwSignal::new(12usize);
    let depth = RwSignal::new(2usize);
    let policy = RwSignal::new(QueuePolicy::Block);
    let crash_policy = RwSignal::new(CrashPolicy::RestartRequeueInFlight);
    let crash_next = RwSignal::new(false);
    let outcomes = RwSignal::new(Vec::<Option<Outcome>>::new());
    let crashes = RwSignal::new(0u64);
    let requeued = RwSignal::new(0u64);

    let UseAbortStateReturn {
        is_aborted,
        abort,
        clear,
    } = use_abort_state(LAB_KEY);
    let telemetry = use_task_telemetry(LAB_TASK);
    let snapshot = use_task_snapshot(LAB_TASK);

    // Crashes and requeues, from the runtime's event stream.
    runtime.with_value(|runtime| {
        let Some(runtime) = runtime else { return };
        let subscription = runtime.subscribe_events(move |event| {
            let RuntimeEvent::Metric(metric) = event else { return };
            if metric.task_id != LAB_TASK {
                return;
            }
            match metric.name {
                "worker.crash.total" => crashes.update(|n| *n += metric.value as u64),
                "task.requeue.total" => requeued.update(|n| *n += metric.value as u64),
                _ => {}
            }
        });
        let subscription = SendWrapper::new(subscription);
        on_cleanup(move || drop(subscription));
    });

    let running = move || outcomes.with(|all| all.iter().any(Option::is_none));
    // Each scenario's starting point, as in Atelier's demo tabs.
    let preset = move |jobs: usize, queue_depth: usize, queue: QueuePolicy, crash: CrashPolicy, crash_first: bool| {
        job_count.set(jobs);
        depth.set(queue_depth);
        policy.set(queue);
        crash_policy.set(crash);
        crash_next.set(crash_first);
    };
    let run = move |_| {
        clear();
        let count = job_count.get_untracked();
        let config = TaskConfig::parallel(crate::PlaygroundWorkers)
            .task_id(LAB_TASK)
            .name("Lab")
            .pool_size(LAB_POOL)
            .max_queue_depth(depth.get_untracked())
            .queue_policy(policy.get_untracked())
            .crash_policy(crash_policy.get_untracked())
            .bootstrap_url(crate::BOOTSTRAP_PATH);
        let crash_first = crash_next.get_untracked();
        crash_next.set(false);
        outcomes.set(vec![None; count]);
        crashes.set(0);
        requeued.set(0);
        runtime.with_value(|runtime| {
            let Some(runtime) = runtime else { return };
            if let Some(previous) = runtime.task(LAB_TASK) {
                previous.dispose();
            }
            let task = match runtime.define(config) {
                Ok(task) => task,
                Err(e) => {
                    outcomes.set(vec![Some(Outcome::Failed(e.to_string())); count]);
                    return;
                }
            };
            for index in 0..count {
                let job = FlakyJob {
                    below: lab_bound(index),
                    crash: crash_first && index == 0,
                };
                let call = task.call_with::<flaky_count>(job, CallOptions::new().key(LAB_KEY));
                spawn_local(async move {
                    let outcome = Outcome::of(call.await.map(|found| found.count));
                    outcomes.update(|all| {
                        if let Some(slot) = all.get_mut(index) {
                            *slot = Some(outcome);
                        }
                    });
                });
            }
        });
    };

    let tally = move |wanted: fn(&Outcome) -> bool| {
        Signal::derive(move || {
            outcomes
                .with(|all| all.iter().flatten().filter(|o| wanted(o)).count())
                .to_string()
        })
    };
    let last_error = move || {
        outcomes.with(|all| {
            all.iter().flatten().find_map(|o| match o {
                Outcome::Failed(message) => Some(message.clone()),
                _ => None,
            })
        })
    };
    let field = move |read: fn(&leptos_atelier::TaskSnapshot) -> String| {
        Signal::derive(move || snapshot.with(|s| s.as_ref().map_or_else(|| "–".to_string(), read)))
    };

    view! {
        <section class="lab" id="lab">
            <h2>"Lab: backpressure, cancellation, crash recovery"</h2>
            <p class="lead">
                "One task on " {LAB_POOL} " workers, configured here. Every call of a run carries the key "
                <code>{LAB_KEY}</code> ", so one abort stops the run."
            </p>
            <nav class="presets">
                "Scenarios: "
                <button
                    id="preset-backpressure"
                    on:click=move |_| preset(12, 2, QueuePolicy::Reject, CrashPolicy::RestartRequeueInFlight, false)
                >
                    "Backpressure"
                </button>
                <button
                    id="preset-cancellation"
                    on:click=move |_| preset(24, 24, QueuePolicy::Block, CrashPolicy::RestartRequeueInFlight, false)
                >
                    "Cancellation"
                </button>
                <button
                    id="preset-crash"
                    on:click=move |_| preset(8, 8, QueuePolicy::Block, CrashPolicy::RestartRequeueInFlight, true)
                >
                    "Crash recovery"
                </button>
            </nav>
            <div class="controls wrap">
                <NumberInput id="lab-jobs" label="Jobs" value=job_count min=1 max=64 />
                <NumberInput id="lab-depth" label="Queue depth" value=depth min=0 max=64 />
                <OptionSelect id="lab-policy" label="Policy" value=policy options=QUEUE_POLICIES />
                <OptionSelect id="lab-crash-policy" label="On crash" value=crash_policy options=CRASH_POLICIES />
                <Toggle id="lab-crash-next" label="crash next" value=crash_next />
                <button
                    id="lab-run"
                    class="primary"
                    disabled=move || !hydrated.get() || running()
                    on:click=run
                >
                    "Run"
                </button>
                <button
                    id="lab-abort"
                    disabled=move || !hydrated.get() || !running() || is_aborted.get()
                    on:click=move |_| abort()
                >
                    "Abort run"
                </button>
            </div>
            <div class="stats">
                <Stat id="lab-completed" label="Completed" value=tally(|o| matches!(o, Outcome::Done(_))) />
                <Stat id="lab-canceled" label="Canceled" value=tally(|o| matches!(o, Outcome::Canceled)) />
                <Stat id="lab-rejected" label="Rejected" value=tally(|o| matches!(o, Outcome::Rejected)) />
                <Stat id="lab-failed" label="Failed" value=tally(|o| matches!(o, Outcome::Failed(_))) />
                <Stat id="lab-crashes" label="Crashes" value=Signal::derive(move || crashes.get().to_string()) />
                <Stat
                    id="lab-requeued"
                    label="Requeued"
                    value=Signal::derive(move || requeued.get().to_string())
                />
            </div>
            <div class="flow">
                <span>"status " <b id="lab-status">{field(|t| format!("{:?}", t.status).to_lowercase())}</b></span>
                <span>"in flight " <b id="lab-in-flight">{field(|t| t.in_flight.to_string())}</b></span>
                <span>
                    "pending " <b id="lab-pending">{field(|t| t.pending.to_string())}</b> " / "
                    {field(|t| t.max_queue_depth.to_string())}
                </span>
                <span>"waiting " <b id="lab-waiting">{field(|t| t.waiting.to_string())}</b></span>
                <span>
                    "workers " <b id="lab-workers">{field(|t| format!("{}/{}", t.active_workers, t.pool_size))}</b>
                </span>
            </div>
            {move || last_error().map(|e| view! { <p class="error" id="lab-error">{e}</p> })}
            <Latency telemetry />
        </section>
    }
}

/// Run time and queue wait percentiles of the lab task, as numbers and bars.
#[component]
fn Latency(telemetry: Signal<leptos_atelier::TelemetrySummary>) -> impl IntoView {
    let rows = move || {
        telemetry.with(|t| {
            [("run", &t.run_time), ("wait", &t.queue_wait)]
                .into_iter()
                .flat_map(|(series, summary)| {
                    [
                        ("p50", summary.p50_ms),
                        ("p95", summary.p95_ms),
                        ("p99", summary.p99_ms),
                    ]
                    .into_iter()
                    .map(move |(name, ms)| (series, name, ms))
                })
                .collect::<Vec<_>>()
        })
    };
    let widest = move || rows().iter().filter_map(|(_, _, ms)| *ms).fold(1.0_f64, f64::max);
    view! {
        <figure class="latency">
            <figcaption>"Latency percentiles (ms): run time and queue wait"</figcaption>
            <OrEmpty
                filled=Signal::derive(move || rows().iter().any(|(_, _, ms)| ms.is_some()))
                id="lab-latency-empty"
                text="No call measured yet: run the lab, and the p50, p95 and p99 of run time and queue wait are drawn here in milliseconds."
            >
            <svg viewBox="0 0 400 150" role="img" aria-label="latency percentiles">
                {move || {
                    let widest = widest();
                    rows()
                        .into_iter()
                        .enumerate()
                        .map(|(i, (series, name, ms))| {
                            let y = 6 + i * 24;
                            let width = ms.map_or(0.0, |ms| 300.0 * ms / widest);
                            let label = ms.map_or_else(|| "–".to_string(), |ms| format!("{ms:.0}"));
                            view! {
                                <g class=format!("bar {series}")>
                                    <text x="0" y=y + 14>{format!("{series} {name}")}</text>
                                    <rect x="70" y=y width=format!("{width:.1}") height="16"></rect>
                                    <text
                                        x=format!("{:.1}", 76.0 + width)
                                        y=y + 13
                                        id=format!("lat-{series}-{name}")
                                        data-ms=ms.map(|ms| format!("{ms:.3}")).unwrap_or_default()
                                    >
                                        {label}
                                    </text>
                                </g>
                            }
                        })
                        .collect_view()
                }}
            </svg>
            </OrEmpty>
        </figure>
    }
}
