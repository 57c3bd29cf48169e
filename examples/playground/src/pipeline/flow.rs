//! The flow graph: source → resize → analyze → enhance → external, each stage's live
//! snapshot and the queue in front of it.

use leptos::prelude::*;
use leptos_atelier::{use_task_snapshot, use_task_telemetry};

use super::item::{Item, Stage};
use super::stages::{ANALYZE, ENHANCE, RESIZE};

/// Source → resize → analyze → enhance → external, each queue drawn as an edge with
/// its pending meter (pending against depth; orange from 90 %), waiting count and depth.
#[component]
pub fn FlowGraph(items: RwSignal<Vec<Item>>) -> impl IntoView {
    let queued = move || items.with(|all| all.iter().filter(|i| i.stage.get() == Stage::Queued).count());
    let done = move || items.with(|all| all.iter().filter(|i| i.stage.get() == Stage::Done).count());
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
