//! The image pipeline: N images made in the page go through three tasks, `resize` (a
//! pool), `analyze` and `enhance` (singletons; `enhance` stops its worker when idle),
//! at most `limit` images at a time through `parallel_limit_settled`, every call
//! carrying the run's key so that one abort stops the run.
//!
//! As in Atelier's demo, tabs (Overview, Throughput, Backpressure, Cancellation,
//! Crashes, Playground) each start from their own settings and show their controls;
//! Reset rebuilds the three tasks. The flow graph draws the stages and their queues.

use futures_util::StreamExt;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_atelier::{
    CallOptions, CrashPolicy, InitMode, ParallelLimitOptions, QueuePolicy, Task, TaskConfig, TaskError, TaskRuntime,
    Trace, TraceEnd, UseAbortStateReturn, parallel_limit_settled, use_abort_state, use_task_runtime, use_task_snapshot,
    use_task_telemetry,
};

use crate::controls::{CRASH_POLICIES, NumberInput, OptionSelect, QUEUE_POLICIES, Toggle};
use crate::images::{Analyze, Enhance, Faults, Image, Resize, base64};

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

/// Defines the three tasks (after disposing any left from before): `resize` a pool of
/// four, started lazily; `analyze` a singleton started eagerly, with the page's queue
/// and crash settings; `enhance` a lazy singleton that stops after 10 s idle.
fn define_stages(settings: Settings) -> Option<Stages> {
    let runtime = use_task_runtime()?;
    for id in [RESIZE, ANALYZE, ENHANCE] {
        if let Some(task) = runtime.task(id) {
            task.dispose();
        }
    }
    let define = |config: TaskConfig| define_stage(&runtime, config);
    Some(Stages {
        resize: define(
            TaskConfig::parallel("playground_workers")
                .task_id(RESIZE)
                .name("Resize")
                .pool_size(4)
                .max_queue_depth(8),
        )?,
        analyze: define(analyze_config(settings))?,
        enhance: define(
            TaskConfig::singleton("playground_workers")
                .task_id(ENHANCE)
                .name("Enhance")
                .max_queue_depth(8)
                .idle_timeout(std::time::Duration::from_secs(10)),
        )?,
    })
}

/// Defines one stage, its workers started from the bootstrap script the server serves.
fn define_stage(runtime: &TaskRuntime, config: TaskConfig) -> Option<Task> {
    runtime.define(config.bootstrap_url(crate::BOOTSTRAP_PATH)).ok()
}

/// The analyze stage's settings: its queue and crash policies come from the page; with
/// the depth switch off it keeps a depth of 2, as in Atelier's demo.
fn analyze_config(settings: Settings) -> TaskConfig {
    TaskConfig::singleton("playground_workers")
        .task_id(ANALYZE)
        .name("Analyze")
        .init(InitMode::Eager)
        .max_queue_depth(if settings.depth_on { settings.depth } else { 2 })
        .queue_policy(settings.policy)
        .crash_policy(settings.crash_policy)
        .crash_max_retries(2)
}

/// What a run uses: the controls of the tabs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Settings {
    images: usize,
    /// Limit the pipelines running at once to `limit` (else: as many as images).
    limit_on: bool,
    limit: usize,
    /// Give analyze a queue of `depth` (else: 2).
    depth_on: bool,
    depth: usize,
    policy: QueuePolicy,
    crash_policy: CrashPolicy,
    error_percent: usize,
}

/// The pipeline's tabs, each with its own starting settings (Atelier's demo values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Overview,
    Throughput,
    Backpressure,
    Cancellation,
    Crashes,
    Playground,
}

impl Tab {
    const ALL: [Tab; 6] = [
        Tab::Overview,
        Tab::Throughput,
        Tab::Backpressure,
        Tab::Cancellation,
        Tab::Crashes,
        Tab::Playground,
    ];

    fn slug(self) -> &'static str {
        match self {
            Tab::Overview => "overview",
            Tab::Throughput => "throughput",
            Tab::Backpressure => "backpressure",
            Tab::Cancellation => "cancellation",
            Tab::Crashes => "crashes",
            Tab::Playground => "playground",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Throughput => "Throughput",
            Tab::Backpressure => "Backpressure",
            Tab::Cancellation => "Cancellation",
            Tab::Crashes => "Crashes",
            Tab::Playground => "Playground",
        }
    }

    fn defaults(self) -> Settings {
        let base = Settings {
            images: 30,
            limit_on: true,
            limit: 6,
            depth_on: false,
            depth: 12,
            policy: QueuePolicy::Block,
            crash_policy: CrashPolicy::RestartRequeueInFlight,
            error_percent: 0,
        };
        match self {
            Tab::Overview | Tab::Throughput => base,
            Tab::Backpressure => Settings {
                images: 40,
                limit_on: false,
                limit: 12,
                depth_on: true,
                depth: 8,
                ..base
            },
            Tab::Cancellation => Settings { limit: 4, ..base },
            Tab::Crashes => Settings { images: 24, ..base },
            Tab::Playground => Settings { depth_on: true, ..base },
        }
    }
}

/// The signals behind the controls.
#[derive(Clone, Copy)]
struct Controls {
    images: RwSignal<usize>,
    limit_on: RwSignal<bool>,
    limit: RwSignal<usize>,
    depth_on: RwSignal<bool>,
    depth: RwSignal<usize>,
    policy: RwSignal<QueuePolicy>,
    crash_policy: RwSignal<CrashPolicy>,
    error_percent: RwSignal<usize>,
    crash_next: RwSignal<bool>,
}

impl Controls {
    fn new(settings: Settings) -> Self {
        Self {
            images: RwSignal::new(settings.images),
            limit_on: RwSignal::new(settings.limit_on),
            limit: RwSignal::new(settings.limit),
            depth_on: RwSignal::new(settings.depth_on),
            depth: RwSignal::new(settings.depth),
            policy: RwSignal::new(settings.policy),
            crash_policy: RwSignal::new(settings.crash_policy),
            error_percent: RwSignal::new(settings.error_percent),
            crash_next: RwSignal::new(false),
        }
    }

    fn apply(self, settings: Settings) {
        self.images.set(settings.images);
        self.limit_on.set(settings.limit_on);
        self.limit.set(settings.limit);
        self.depth_on.set(settings.depth_on);
        self.depth.set(settings.depth);
        self.policy.set(settings.policy);
        self.crash_policy.set(settings.crash_policy);
        self.error_percent.set(settings.error_percent);
        self.crash_next.set(false);
    }

    fn read(self) -> Settings {
        Settings {
            images: self.images.get_untracked(),
            limit_on: self.limit_on.get_untracked(),
            limit: self.limit.get_untracked(),
            depth_on: self.depth_on.get_untracked(),
            depth: self.depth.get_untracked(),
            policy: self.policy.get_untracked(),
            crash_policy: self.crash_policy.get_untracked(),
            error_percent: self.error_percent.get_untracked(),
        }
    }
}

/// Runs image `index` through the three stages, reporting into `items`; every call's
/// span joins the run's `trace`. `faults.crash` makes its analyze call crash its worker.
async fn process(
    stages: Stages,
    index: usize,
    items: RwSignal<Vec<Item>>,
    trace: Trace,
    faults: Faults,
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
    let plain = Faults { crash: false, ..faults };
    let small = stages.resize.call_with::<Resize>((image, plain), progress).await?;
    set(&|item| item.stage = "analyze");
    let stats = stages
        .analyze
        .call_with::<Analyze>((small.clone(), faults), keyed())
        .await?;
    set(&|item| {
        item.stage = "enhance";
        item.before = Some((stats.min, stats.max));
    });
    let enhanced = stages
        .enhance
        .call_with::<Enhance>((small, stats, plain), keyed())
        .await?;
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
    let tab = RwSignal::new(Tab::Playground);
    let controls = Controls::new(Tab::Playground.defaults());
    let stages = StoredValue::new_local(define_stages(controls.read()));
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
    let runs = StoredValue::new(0u32);
    let items = RwSignal::new(Vec::<Item>::new());
    let UseAbortStateReturn {
        is_aborted,
        abort,
        clear,
    } = use_abort_state(PIPELINE_KEY);
    let running = move || items.with(|all| all.iter().any(|i| !matches!(i.stage, "done" | "failed" | "canceled")));

    let choose = move |next: Tab| {
        tab.set(next);
        controls.apply(next.defaults());
    };
    let reset = move |_| {
        controls.apply(tab.get_untracked().defaults());
        items.set(Vec::new());
        let settings = controls.read();
        stages.set_value(define_stages(settings));
    };
    let run = move |_| {
        let Some(runtime) = use_task_runtime() else { return };
        let settings = controls.read();
        // The analyze stage takes the queue and crash settings chosen in the page.
        stages.update_value(|stages| {
            let Some(stages) = stages else { return };
            stages.analyze.dispose();
            if let Some(analyze) = define_stage(&runtime, analyze_config(settings)) {
                stages.analyze = analyze;
            }
        });
        let Some(stages) = stages.get_value() else { return };
        let aborts = runtime.abort_controller();
        clear();
        let count = settings.images;
        items.set(vec![Item::queued(); count]);
        // The first image's analyze call crashes its worker, if armed.
        let crash_first = controls.crash_next.get_untracked();
        controls.crash_next.set(false);
        let error_percent = settings.error_percent.min(100) as u8;
        runs.update_value(|n| *n += 1);
        let trace = runtime.create_trace(Some(&format!("run-{}", runs.get_value())));
        let options = ParallelLimitOptions::new().keyed(aborts.clone(), |_: &usize| Some(PIPELINE_KEY.to_string()));
        let spans = trace.clone();
        let limit = if settings.limit_on { settings.limit } else { count };
        let Ok(stream) = parallel_limit_settled(
            0..count,
            limit.max(1),
            move |index| {
                let faults = Faults {
                    error_percent,
                    crash: crash_first && index == 0,
                };
                process(stages.clone(), index, items, spans.clone(), faults)
            },
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
    let first_error = move || items.with(|all| all.iter().find_map(|i| i.error.clone()));
    let run_status = move || {
        items.with(|all| {
            if all.is_empty() {
                "idle"
            } else if all.iter().any(|i| !matches!(i.stage, "done" | "failed" | "canceled")) {
                "running"
            } else if all.iter().any(|i| i.stage == "canceled") {
                "aborted"
            } else {
                "done"
            }
        })
    };

    view! {
        <section class="pipeline" id="pipeline">
            <h2>"Image pipeline: resize → analyze → enhance"</h2>
            <nav class="tabs" role="tablist">
                {Tab::ALL
                    .into_iter()
                    .map(|t| {
                        view! {
                            <button
                                id=format!("tab-{}", t.slug())
                                role="tab"
                                class:selected=move || tab.get() == t
                                aria-selected=move || (tab.get() == t).to_string()
                                on:click=move |_| choose(t)
                            >
                                {t.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </nav>
            <div class="tab-body" data-tab=move || tab.get().slug()>
                {move || view! { <TabControls tab=tab.get() controls /> }}
            </div>
            <div class="controls wrap actions">
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
                    hidden=move || !running()
                    disabled=move || !hydrated.get() || !running() || is_aborted.get()
                    on:click=move |_| abort()
                >
                    "Abort"
                </button>
                <button id="pipeline-reset" disabled=move || !hydrated.get() || running() on:click=reset>
                    "Reset"
                </button>
                <span class="status">
                    <b id="pipeline-run-status">{run_status}</b> ": done "
                    <b id="pipeline-done">{count_in("done")}</b> ", canceled "
                    <b id="pipeline-canceled">{count_in("canceled")}</b> ", failed "
                    <b id="pipeline-failed">{count_in("failed")}</b> ", total "
                    <b id="pipeline-total">{move || items.with(Vec::len).to_string()}</b>
                </span>
            </div>
            {move || first_error().map(|e| view! { <p class="error" id="pipeline-error">{e}</p> })}
            <FlowGraph items />
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

/// The Overview tab: what the stages are and what to try.
#[component]
fn Overview() -> impl IntoView {
    view! {
        <div class="overview">
            <p>
                "Each image is drawn in the page, then goes through three tasks: " <b>"resize"</b>
                " (a pool of four workers, started on first use, halving the image and reporting progress), "
                <b>"analyze"</b> " (one worker, started at once, measuring luminance; its queue and crash policy "
                "are yours to set) and " <b>"enhance"</b>
                " (one worker that stops after 10 s idle, stretching the contrast). At most "
                <i>"max parallel"</i> " images are in the pipeline at once (parallel_limit_settled), and every "
                "call carries the key " <code>{PIPELINE_KEY}</code> "."
            </p>
            <ul>
                <li>
                    <b>"Throughput"</b>
                    ": raise the images and max parallel, and watch the resize pool fill."
                </li>
                <li>
                    <b>"Backpressure"</b>
                    ": all images at once into analyze's short queue; block, reject or drop."
                </li>
                <li><b>"Cancellation"</b> ": abort the run's key mid-run; nothing completes after."</li>
                <li><b>"Crashes"</b> ": crash the next analyze worker and pick what happens to its calls."</li>
                <li><b>"Playground"</b> ": everything, plus a simulated error rate."</li>
            </ul>
        </div>
    }
}

#[component]
fn ImagesInput(controls: Controls) -> impl IntoView {
    view! { <NumberInput id="pipeline-images" label="Images" value=controls.images min=1 max=200 /> }
}

/// How many pipelines run at once.
#[component]
fn LimitInputs(controls: Controls) -> impl IntoView {
    view! {
        <Toggle id="pipeline-limit-on" label="limit parallel pipelines" value=controls.limit_on />
        <NumberInput id="pipeline-limit" label="max parallel" value=controls.limit min=1 max=64 />
    }
}

/// Analyze's queue: its depth and its policy.
#[component]
fn QueueInputs(controls: Controls) -> impl IntoView {
    view! {
        <Toggle id="pipeline-depth-on" label="limit analyze queue depth" value=controls.depth_on />
        <NumberInput id="pipeline-analyze-depth" label="max depth" value=controls.depth min=1 max=100 />
        <OptionSelect id="pipeline-analyze-policy" label="policy" value=controls.policy options=QUEUE_POLICIES />
    }
}

/// The run key that Abort aborts.
#[component]
fn RunKey() -> impl IntoView {
    view! { <span>"run key " <code id="pipeline-key">{PIPELINE_KEY}</code> ": Abort aborts it"</span> }
}

/// Analyze's crash policy and the "crash next" switch.
#[component]
fn CrashInputs(controls: Controls) -> impl IntoView {
    view! {
        <OptionSelect id="pipeline-analyze-crash" label="on crash" value=controls.crash_policy options=CRASH_POLICIES />
        <Toggle id="pipeline-crash-next" label="crash next analyze" value=controls.crash_next />
    }
}

/// The controls of one tab (the Playground tab has them all, in sections).
#[component]
fn TabControls(tab: Tab, controls: Controls) -> impl IntoView {
    let inputs = match tab {
        Tab::Overview => return view! { <Overview /> }.into_any(),
        Tab::Playground => return view! { <PlaygroundControls controls /> }.into_any(),
        Tab::Throughput => view! { <LimitInputs controls /> }.into_any(),
        Tab::Backpressure => view! { <QueueInputs controls /> }.into_any(),
        Tab::Cancellation => view! { <RunKey /> }.into_any(),
        Tab::Crashes => view! { <CrashInputs controls /> }.into_any(),
    };
    view! {
        <div class="controls wrap">
            <ImagesInput controls />
            {inputs}
        </div>
    }
    .into_any()
}

/// One section of the Playground tab; `reset` (if any) gets a link that puts the
/// section's settings back.
#[component]
fn Section(
    title: &'static str,
    #[prop(optional)] reset: Option<(&'static str, Callback<()>)>,
    children: Children,
) -> impl IntoView {
    view! {
        <details open>
            <summary>{title}</summary>
            <div class="controls wrap">
                {children()}
                {reset
                    .map(|(id, reset)| {
                        view! {
                            <a class="reset" id=id href="#pipeline" on:click=move |_| reset.run(())>
                                "reset"
                            </a>
                        }
                    })}
            </div>
        </details>
    }
}

/// All controls, in sections that each reset to the Playground tab's values.
#[component]
fn PlaygroundControls(controls: Controls) -> impl IntoView {
    let defaults = Tab::Playground.defaults();
    let reset_throughput = Callback::new(move |()| {
        controls.images.set(defaults.images);
        controls.limit_on.set(defaults.limit_on);
        controls.limit.set(defaults.limit);
    });
    let reset_queue = Callback::new(move |()| {
        controls.depth_on.set(defaults.depth_on);
        controls.depth.set(defaults.depth);
        controls.policy.set(defaults.policy);
    });
    let reset_crashes = Callback::new(move |()| {
        controls.crash_policy.set(defaults.crash_policy);
        controls.crash_next.set(false);
        controls.error_percent.set(defaults.error_percent);
    });
    view! {
        <div class="playground-sections">
            <Section title="Throughput" reset=("reset-throughput", reset_throughput)>
                <ImagesInput controls />
                <LimitInputs controls />
            </Section>
            <Section title="Backpressure" reset=("reset-backpressure", reset_queue)>
                <QueueInputs controls />
            </Section>
            <Section title="Cancellation">
                <RunKey />
            </Section>
            <Section title="Crash recovery and errors" reset=("reset-crashes", reset_crashes)>
                <CrashInputs controls />
                <NumberInput id="pipeline-error-rate" label="error rate %" value=controls.error_percent min=0 max=100 />
            </Section>
        </div>
    }
}

/// Source → resize → analyze → enhance → external, each queue drawn as an edge with
/// its pending meter (pending against depth; orange from 90 %), waiting count and depth.
#[component]
fn FlowGraph(items: RwSignal<Vec<Item>>) -> impl IntoView {
    let queued = move || items.with(|all| all.iter().filter(|i| i.stage == "queued").count());
    let done = move || items.with(|all| all.iter().filter(|i| i.stage == "done").count());
    view! {
        <div class="flow-graph" id="flow-graph">
            <EndNode name="source" count=queued what=" images not started" />
            <QueueEdge task_id=RESIZE />
            <StageFlow task_id=RESIZE />
            <QueueEdge task_id=ANALYZE />
            <StageFlow task_id=ANALYZE />
            <QueueEdge task_id=ENHANCE />
            <StageFlow task_id=ENHANCE />
            <div class="edge downstream" aria-hidden="true">
                <span class="arrow"></span>
            </div>
            <EndNode name="external" count=done what=" images out" />
        </div>
    }
}

/// An end of the flow graph (`source` or `external`): its name and a live count.
#[component]
fn EndNode(name: &'static str, count: impl Fn() -> usize + Send + Sync + 'static, what: &'static str) -> impl IntoView {
    view! {
        <div class=format!("node {name}") id=format!("node-{name}")>
            <h3>{name}</h3>
            <p>
                <b class="count">{count}</b>
                {what}
            </p>
        </div>
    }
}

/// The queue in front of a stage.
#[component]
fn QueueEdge(task_id: &'static str) -> impl IntoView {
    let snapshot = use_task_snapshot(task_id);
    let fill = move || {
        snapshot.with(|s| {
            s.as_ref()
                .map_or(0.0, |t| t.pending as f64 / t.max_queue_depth.max(1) as f64)
        })
    };
    let text = move |read: fn(&leptos_atelier::TaskSnapshot) -> String| {
        move || snapshot.with(|s| s.as_ref().map_or_else(|| "–".to_string(), read))
    };
    view! {
        <div class="edge queue" id=format!("edge-{task_id}")>
            <span class="arrow"></span>
            <div class="meter" class:hot=move || { fill() >= 0.9 }>
                <div class="fill" style:width=move || format!("{:.0}%", 100.0 * fill().min(1.0))></div>
            </div>
            <span class="pending">{text(|t| format!("{} / {}", t.pending, t.max_queue_depth))}</span>
            <span class="waiting">"waiting " {text(|t| t.waiting.to_string())}</span>
        </div>
    }
}

/// One stage's live state: workers (with activity), in flight, pending against the
/// depth, waiting, status, and the most it had in flight. The card turns orange when
/// pending reaches 80 % of the depth and red while calls wait (Atelier's snapshot cards).
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
        <div
            class="stage"
            id=format!("stage-{task_id}")
            data-kind=move || snapshot.with(|s| s.as_ref().map(|t| if t.pool_size > 1 { "pool" } else { "singleton" }))
            class:waiting=move || snapshot.with(|s| s.as_ref().is_some_and(|t| t.waiting > 0))
            class:filling=move || {
                snapshot.with(|s| s.as_ref().is_some_and(|t| t.pending * 5 >= t.max_queue_depth.max(1) * 4))
            }
        >
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
