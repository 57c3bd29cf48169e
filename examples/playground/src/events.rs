//! The event panel: the runtime's event stream for the pipeline's tasks, aggregated in
//! the page: counters, the latest spans and the latest traces with their span counts.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_atelier::{RuntimeEvent, SpanEvent, SpanStatus, TraceEvent, use_task_runtime};
use send_wrapper::SendWrapper;

use crate::controls::OrEmpty;
use crate::pipeline::{ANALYZE, ENHANCE, RESIZE};

/// Counters by metric name, as the panel shows them.
const COUNTERS: [(&str, &str); 7] = [
    ("task.dispatch.total", "dispatched"),
    ("task.success.total", "succeeded"),
    ("task.failure.total", "failed"),
    ("task.canceled.total", "canceled"),
    ("task.rejected.total", "rejected"),
    ("task.requeue.total", "requeued"),
    ("worker.crash.total", "crashes"),
];

fn status(status: SpanStatus) -> &'static str {
    match status {
        SpanStatus::Ok => "ok",
        SpanStatus::Error => "error",
        SpanStatus::Canceled => "canceled",
    }
}

#[component]
pub fn EventPanel() -> impl IntoView {
    let counters = RwSignal::new([0u64; COUNTERS.len()]);
    let spans = RwSignal::new(Vec::<SpanEvent>::new());
    let traces = RwSignal::new(Vec::<(TraceEvent, usize)>::new());
    let spans_per_trace = StoredValue::new(HashMap::<String, usize>::new());
    if let Some(runtime) = use_task_runtime() {
        let subscription = runtime.subscribe_events(move |event| match event {
            RuntimeEvent::Metric(metric) if [RESIZE, ANALYZE, ENHANCE].contains(&metric.task_id.as_str()) => {
                if let Some(at) = COUNTERS.iter().position(|(name, _)| *name == metric.name) {
                    counters.update(|all| all[at] += metric.value as u64);
                }
            }
            RuntimeEvent::Span(span) if [RESIZE, ANALYZE, ENHANCE].contains(&span.task_id.as_str()) => {
                if let Some(trace) = &span.trace_id {
                    spans_per_trace.update_value(|counts| *counts.entry(trace.clone()).or_default() += 1);
                }
                spans.update(|latest| {
                    latest.insert(0, span.clone());
                    latest.truncate(6);
                });
            }
            RuntimeEvent::Trace(trace) => {
                let count = spans_per_trace.with_value(|counts| counts.get(&trace.trace_id).copied().unwrap_or(0));
                traces.update(|latest| {
                    latest.insert(0, (trace.clone(), count));
                    latest.truncate(4);
                });
            }
            _ => {}
        });
        let subscription = SendWrapper::new(subscription);
        on_cleanup(move || drop(subscription));
    }
    view! {
        <div class="events">
            <h3>"Event stream (pipeline tasks)"</h3>
            <dl class="counters">
                {COUNTERS
                    .iter()
                    .enumerate()
                    .map(|(at, (_, label))| {
                        view! {
                            <dt>{*label}</dt>
                            <dd id=format!("events-{label}")>{move || counters.with(|all| all[at])}</dd>
                        }
                    })
                    .collect_view()}
            </dl>
            <OrEmpty
                filled=Signal::derive(move || traces.with(|all| !all.is_empty()))
                id="traces-empty"
                text="No trace yet: each pipeline run is one trace, listed here when it ends with its status, its duration and its number of spans."
            >
            <table class="traces">
                <thead>
                    <tr>
                        <th>"trace"</th>
                        <th>"status"</th>
                        <th>"ms"</th>
                        <th>"spans"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        traces
                            .get()
                            .into_iter()
                            .map(|(trace, count)| {
                                view! {
                                    <tr class="trace" data-status=status(trace.status) data-spans=count>
                                        <td>{trace.trace_name.clone().unwrap_or_default()}</td>
                                        <td>{status(trace.status)}</td>
                                        <td>{format!("{:.0}", trace.duration_ms)}</td>
                                        <td>{count}</td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            </OrEmpty>
            <OrEmpty
                filled=Signal::derive(move || spans.with(|all| !all.is_empty()))
                id="spans-empty"
                text="No span yet: the latest six calls of the pipeline's tasks appear here as they end, with their queue time, total time and attempts."
            >
            <table class="spans">
                <thead>
                    <tr>
                        <th>"span"</th>
                        <th>"status"</th>
                        <th>"queued ms"</th>
                        <th>"total ms"</th>
                        <th>"attempts"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        spans
                            .get()
                            .into_iter()
                            .map(|span| {
                                view! {
                                    <tr class="span" data-status=status(span.status)>
                                        <td>{format!("{} · {}", span.task_id, span.method)}</td>
                                        <td>{status(span.status)}</td>
                                        <td>{format!("{:.0}", span.queue_wait_ms)}</td>
                                        <td>{format!("{:.0}", span.duration_ms)}</td>
                                        <td>{span.attempt_count}</td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            </OrEmpty>
        </div>
    }
}
