//! Recent calls in the devtools panel: the last spans the runtime reported, failures
//! first. Subscribes to the runtime's events only while the panel is open, and shows
//! what arrived once per animation frame.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::frame::sampled_each_frame;
use crate::observe::{RuntimeEvent, SpanEvent, SpanStatus};
use crate::reactive::use_task_runtime;

/// How many spans of each list the panel keeps.
const KEPT: usize = 8;

/// One reported call, as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    id: String,
    text: String,
}

fn line(span: &SpanEvent) -> Line {
    let outcome = match span.status {
        SpanStatus::Ok => "ok".to_owned(),
        SpanStatus::Canceled => "canceled".to_owned(),
        SpanStatus::Error => format!("failed: {}", span.error.as_deref().unwrap_or("error")),
    };
    Line {
        id: span.span_id.clone(),
        text: format!(
            "{} · {} · {} in {:.1} ms (waited {:.1} ms)",
            span.task_id, span.method, outcome, span.duration_ms, span.queue_wait_ms
        ),
    }
}

fn push(list: &mut VecDeque<Line>, line: Line) {
    if list.len() == KEPT {
        list.pop_back();
    }
    list.push_front(line);
}

/// The recent failures and the recent calls.
#[component]
pub(super) fn RecentActivity() -> impl IntoView {
    // Spans land in plain lists; the panel shows them once per frame.
    let latest: Rc<RefCell<(VecDeque<Line>, VecDeque<Line>)>> = Rc::default();
    let failures = {
        let latest = latest.clone();
        sampled_each_frame(VecDeque::new(), move || latest.borrow().0.clone())
    };
    let calls = {
        let latest = latest.clone();
        sampled_each_frame(VecDeque::new(), move || latest.borrow().1.clone())
    };
    if let Some(runtime) = use_task_runtime() {
        let subscription = runtime.subscribe_events(move |event| {
            if let RuntimeEvent::Span(span) = event {
                let line = line(span);
                let (failures, calls) = &mut *latest.borrow_mut();
                if span.status == SpanStatus::Error {
                    push(failures, line.clone());
                }
                push(calls, line);
            }
        });
        let subscription = SendWrapper::new(subscription);
        on_cleanup(move || drop(subscription));
    }
    let list = move |lines: Signal<VecDeque<Line>>, id: &'static str, empty: &'static str| {
        view! {
            <Show
                when=move || lines.with(|l| !l.is_empty())
                fallback=move || view! { <p class="atelier-devtools-empty">{empty}</p> }
            >
                <ol class="atelier-devtools-spans" id=id>
                    <For each=move || lines.get() key=|line| line.id.clone() let:line>
                        <li>{line.text}</li>
                    </For>
                </ol>
            </Show>
        }
    };
    view! {
        <section class="atelier-devtools-activity" aria-labelledby="atelier-devtools-failures-title">
            <h3 id="atelier-devtools-failures-title">"Recent failures"</h3>
            {list(failures, "atelier-devtools-failures", "No call has failed since the panel opened.")}
            <h3>"Recent calls"</h3>
            {list(
                calls,
                "atelier-devtools-calls",
                "Calls appear here as they end, when the runtime records spans (RuntimeOptions::spans: on in debug builds).",
            )}
        </section>
    }
}
