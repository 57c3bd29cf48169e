//! The image pipeline: N images made in the page go through three tasks, `resize` (a
//! pool), `analyze` and `enhance` (singletons; `enhance` stops its worker when idle),
//! at most `limit` images at a time through `parallel_limit_settled`, every call
//! carrying the run's key so that one abort stops the run.

use futures_util::StreamExt;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_atelier::{
    CallOptions, CrashPolicy, ParallelLimitOptions, QueuePolicy, Task, TaskConfig, TaskError, Trace, TraceEnd,
    UseAbortStateReturn, parallel_limit_settled, use_abort_state, use_task_runtime, use_task_snapshot,
    use_task_telemetry,
};

use crate::controls::{CrashPolicySelect, NumberInput, QueuePolicySelect, Toggle};
use crate::images::{Analyze, Enhance, Image, Resize, base64};

pub const RESIZE: &str = "resize";
pub const ANALYZE: &str = "analyze";
pub const ENHANCE: &str = "enhance";
/// The key every call of a pipeline run carries.
pub const PIPELINE_KEY: &str = "pipeline-run";
/// Side of the generated images, in pixels.
const SIDE: u32 = 320;

/// One image's way through the pipeline.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    stage: &'static str,
    progress: f64,
    url: Option<String>,
    before: Option<(u8, u8)>,
    after: Option<(u8, u8)>,
    error: Option<String>,
}

impl Item {
    fn queued() -> Self {
        Self {
            stage: "queued",
            progress: 0.0,
            url: None,
            before: None,
            after: None,
            error: None,
        }
    }
}

/// The three tasks, defined once on the client.
#[derive(Clone)]
struct Stages {
    resize: Task,
    analyze: Task,
    enhance: Task,
}

fn define_stages() -> Option<Stages> {
    let runtime = use_task_runtime()?;
    let define = |config: TaskConfig| runtime.define(config.bootstrap_url(crate::BOOTSTRAP_PATH)).ok();
    Some(Stages {
        resize: define(
            TaskConfig::parallel("playground_workers")
                .task_id(RESIZE)
                .name("Resize")
                .pool_size(2)
                .max_queue_depth(4),
        )?,
        analyze: define(analyze_config(
            2,
            QueuePolicy::Block,
            CrashPolicy::RestartRequeueInFlight,
        ))?,
        enhance: define(
            TaskConfig::singleton("playground_workers")
                .task_id(ENHANCE)
                .name("Enhance")
                .max_queue_depth(4)
                .idle_timeout(std::time::Duration::from_secs(2)),
        )?,
    })
}

/// The analyze stage's settings: its queue and crash policies come from the page.
fn analyze_config(depth: usize, policy: QueuePolicy, crash_policy: CrashPolicy) -> TaskConfig {
    TaskConfig::singleton("playground_workers")
        .task_id(ANALYZE)
        .name("Analyze")
        .max_queue_depth(depth)
        .queue_policy(policy)
        .crash_policy(crash_policy)
        .bootstrap_url(crate::BOOTSTRAP_PATH)
}

/// Runs image `index` through the three stages, reporting into `items`; every call's
/// span joins the run's `trace`. `crash` makes its analyze call crash its worker.
async fn process(
    stages: Stages,
    index: usize,
    items: RwSignal<Vec<Item>>,
    trace: Trace,
    crash: bool,
) -> Result<(), TaskError> {
    let set = move |change: &dyn Fn(&mut Item)| {
        items.update(|all| {
            if let Some(item) = all.get_mut(index) {
                change(item);
            }
        })
    };
    let keyed = || CallOptions::new().key(PIPELINE_KEY).trace(&trace);
    set(&|item| item.stage = "resize");
    let image = Image::generate(index as u32 + 1, SIDE, SIDE);
    let progress = keyed().on_progress(move |fraction| {
        items.update(|all| {
            if let Some(item) = all.get_mut(index) {
                item.progress = fraction;
            }
        })
    });
    let small = stages.resize.call_with::<Resize>(image, progress).await?;
    set(&|item| item.stage = "analyze");
    let stats = stages
        .analyze
        .call_with::<Analyze>((small.clone(), crash), keyed())
        .await?;
    set(&|item| {
        item.stage = "enhance";
        item.before = Some((stats.min, stats.max));
    });
    let enhanced = stages.enhance.call_with::<Enhance>((small, stats), keyed()).await?;
    let url = format!("data:image/bmp;base64,{}", base64(&enhanced.bmp));
    set(&|item| {
        item.stage = "done";
        item.progress = 1.0;
        item.after = Some((enhanced.stats.min, enhanced.stats.max));
        item.url = Some(url.clone());
    });
    Ok(())
}

#[component]
pub fn Pipeline() -> impl IntoView {
    let stages = StoredValue::new_local(define_stages());
    on_cleanup(move || {
        stages.try_with_value(|stages| {
            if let Some(stages) = stages {
                for task in [&stages.resize, &stages.analyze, &stages.enhance] {
                    task.dispose();
                }
            }
        });
    });
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let image_count = RwSignal::new(6usize);
    let limit = RwSignal::new(3usize);
    let analyze_depth = RwSignal::new(2usize);
    let analyze_policy = RwSignal::new(QueuePolicy::Block);
    let analyze_crash = RwSignal::new(CrashPolicy::RestartRequeueInFlight);
    let crash_next = RwSignal::new(false);
    let runs = StoredValue::new(0u32);
    let items = RwSignal::new(Vec::<Item>::new());
    let UseAbortStateReturn {
        is_aborted,
        abort,
        clear,
    } = use_abort_state(PIPELINE_KEY);
    let running = move || items.with(|all| all.iter().any(|i| !matches!(i.stage, "done" | "failed" | "canceled")));

    let run = move |_| {
        let Some(runtime) = use_task_runtime() else { return };
        // The analyze stage takes the policies chosen in the page.
        stages.update_value(|stages| {
            let Some(stages) = stages else { return };
            stages.analyze.dispose();
            let config = analyze_config(
                analyze_depth.get_untracked(),
                analyze_policy.get_untracked(),
                analyze_crash.get_untracked(),
            );
            if let Ok(analyze) = runtime.define(config) {
                stages.analyze = analyze;
            }
        });
        let Some(stages) = stages.get_value() else { return };
        let aborts = runtime.abort_controller();
        clear();
        let count = image_count.get_untracked();
        items.set(vec![Item::queued(); count]);
        // The first image's analyze call crashes its worker, if armed.
        let crash_first = crash_next.get_untracked();
        crash_next.set(false);
        runs.update_value(|n| *n += 1);
        let trace = runtime.create_trace(Some(&format!("run-{}", runs.get_value())));
        let options = ParallelLimitOptions::new().keyed(aborts.clone(), |_: &usize| Some(PIPELINE_KEY.to_string()));
        let spans = trace.clone();
        let Ok(stream) = parallel_limit_settled(
            0..count,
            limit.get_untracked(),
            move |index| process(stages.clone(), index, items, spans.clone(), crash_first && index == 0),
            options,
        ) else {
            return;
        };
        spawn_local(async move {
            let mut stream = std::pin::pin!(stream);
            let mut failure = None;
            while let Some(settled) = stream.next().await {
                if let Err(error) = &settled.outcome
                    && !matches!(error, TaskError::Aborted { .. })
                {
                    failure.get_or_insert_with(|| error.clone());
                }
                if let Err(error) = settled.outcome {
                    let canceled = matches!(error, TaskError::Aborted { .. });
                    items.update(|all| {
                        if let Some(item) = all.get_mut(settled.item) {
                            item.stage = if canceled { "canceled" } else { "failed" };
                            item.error = Some(error.to_string());
                        }
                    });
                }
            }
            // Images the abort kept from starting never ran.
            items.update(|all| {
                for item in all.iter_mut().filter(|i| i.stage == "queued") {
                    item.stage = "canceled";
                }
            });
            trace.end(match failure {
                Some(error) => TraceEnd::from_error(&error),
                None if aborts.is_aborted(PIPELINE_KEY) => TraceEnd::canceled(),
                None => TraceEnd::ok(),
            });
        });
    };

    let count_in = move |stage: &'static str| {
        Signal::derive(move || {
            items
                .with(|all| all.iter().filter(|i| i.stage == stage).count())
                .to_string()
        })
    };

    view! {
        <section class="pipeline" id="pipeline">
            <h2>"Image pipeline: resize → analyze → enhance"</h2>
            <p class="lead">
                "Images are drawn in the page, then halved by a pool of two workers, measured by one worker, "
                "and contrast-stretched by another that stops when idle. At most `limit` images are in the "
                "pipeline at once (parallel_limit); every call carries the key " <code>{PIPELINE_KEY}</code> "."
            </p>
            <div class="controls wrap">
                <NumberInput id="pipeline-images" label="Images" value=image_count min=1 max=24 />
                <NumberInput id="pipeline-limit" label="Limit" value=limit min=1 max=8 />
                <NumberInput id="pipeline-analyze-depth" label="Analyze depth" value=analyze_depth min=0 max=64 />
                <QueuePolicySelect id="pipeline-analyze-policy" label="policy" value=analyze_policy />
                <CrashPolicySelect id="pipeline-analyze-crash" label="on crash" value=analyze_crash />
                <Toggle id="pipeline-crash-next" label="crash next analyze" value=crash_next />
                <button
                    id="pipeline-run"
                    class="primary"
                    disabled=move || !hydrated.get() || running()
                    on:click=run
                >
                    "Run"
                </button>
                <button
                    id="pipeline-abort"
                    disabled=move || !hydrated.get() || !running() || is_aborted.get()
                    on:click=move |_| abort()
                >
                    "Abort"
                </button>
                <span class="status">
                    "done " <b id="pipeline-done">{count_in("done")}</b> ", canceled "
                    <b id="pipeline-canceled">{count_in("canceled")}</b> ", failed "
                    <b id="pipeline-failed">{count_in("failed")}</b>
                </span>
            </div>
            <div class="stages">
                <StageFlow task_id=RESIZE />
                <StageFlow task_id=ANALYZE />
                <StageFlow task_id=ENHANCE />
            </div>
            <crate::events::EventPanel />
            <ul class="images">
                {move || {
                    items
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(index, item)| view! { <ImageCard index item /> })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

/// One stage's live state: workers (with activity), in flight, pending against the
/// depth, waiting, status, and the most it had in flight.
#[component]
fn StageFlow(task_id: &'static str) -> impl IntoView {
    let snapshot = use_task_snapshot(task_id);
    let telemetry = use_task_telemetry(task_id);
    let percentile = move |pick: fn(&leptos_atelier::LatencySummary) -> Option<f64>| {
        move || telemetry.with(|t| pick(&t.run_time).map_or_else(|| "–".to_string(), |ms| format!("{ms:.0} ms")))
    };
    let peak = RwSignal::new(0usize);
    Effect::new(move |_| {
        let now = snapshot.with(|s| s.as_ref().map_or(0, |t| t.in_flight));
        if now > peak.get_untracked() {
            peak.set(now);
        }
    });
    let show = move |read: fn(&leptos_atelier::TaskSnapshot) -> String| {
        move || snapshot.with(|s| s.as_ref().map_or_else(|| "–".to_string(), read))
    };
    view! {
        <div class="stage" id=format!("stage-{task_id}")>
            <h3>{task_id}</h3>
            <ul class="activity">
                {move || {
                    snapshot
                        .get()
                        .map(|t| t.workers)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|w| {
                            let state = format!("{:?}", w.state).to_lowercase();
                            let busy = w.in_flight > 0;
                            view! { <li class="bar" class:busy=busy data-state=state></li> }
                        })
                        .collect_view()
                }}
            </ul>
            <dl>
                <dt>"workers"</dt>
                <dd class="workers">{show(|t| format!("{}/{}", t.active_workers, t.pool_size))}</dd>
                <dt>"in flight"</dt>
                <dd class="in-flight">{show(|t| t.in_flight.to_string())}</dd>
                <dt>"pending"</dt>
                <dd class="pending">{show(|t| format!("{}/{}", t.pending, t.max_queue_depth))}</dd>
                <dt>"waiting"</dt>
                <dd class="waiting">{show(|t| t.waiting.to_string())}</dd>
                <dt>"status"</dt>
                <dd class="status">{show(|t| format!("{:?}", t.status).to_lowercase())}</dd>
                <dt>"peak"</dt>
                <dd class="peak">{move || peak.get().to_string()}</dd>
                <dt>"run p50 / p95 / p99"</dt>
                <dd class="percentiles">
                    {percentile(|l| l.p50_ms)} " / " {percentile(|l| l.p95_ms)} " / " {percentile(|l| l.p99_ms)}
                </dd>
            </dl>
        </div>
    }
}

#[component]
fn ImageCard(index: usize, item: Item) -> impl IntoView {
    let range = |r: Option<(u8, u8)>| r.map(|(lo, hi)| format!("{lo}–{hi}")).unwrap_or_default();
    view! {
        <li
            class="image"
            data-stage=item.stage
            data-before=range(item.before)
            data-after=range(item.after)
            title=item.error.clone().unwrap_or_default()
        >
            {match item.url {
                Some(url) => view! { <img class="processed" src=url alt=format!("image {index}") /> }.into_any(),
                None => view! { <div class="placeholder"></div> }.into_any(),
            }}
            <progress max="1" value=item.progress></progress>
            <span class="caption">
                {format!("#{index} {}", item.stage)}
                {item.before.map(|(lo, hi)| format!(" · luma {lo}–{hi}"))}
                {item.after.map(|(lo, hi)| format!(" → {lo}–{hi}"))}
            </span>
        </li>
    }
}
