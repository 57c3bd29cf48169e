//! The runtime's event stream: metrics under Atelier's names, delivered synchronously.
//!
//! Every task of a runtime reports into one [`EventBus`]; subscribers
//! ([`TaskRuntime::subscribe_events`](crate::TaskRuntime::subscribe_events)) are called
//! in emission order, after the task has released its state, so they may read the
//! runtime. With no subscriber, no event is even built. There is no buffering or
//! replay. Metric names and meanings (Atelier §1.12.2):
//!
//! | name | kind | when |
//! |---|---|---|
//! | `queue.in_flight`, `queue.pending`, `queue.waiting` | gauge | a transition changed the queue's counts |
//! | `task.dispatch.total` (1), `queue.wait_ms` | counter, histogram | an attempt is sent to a worker |
//! | `task.success.total`, `task.failure.total`, `task.canceled.total` (1) | counter | a call ends (failure: not counting queue rejections) |
//! | `task.duration_ms` | histogram | a call ends (from the call to its answer) |
//! | `task.rejected.total` (1) | counter | the queue policy sheds a call |
//! | `task.requeue.total` (n) | counter | a crash under the requeue policy put n > 0 calls back |
//! | `worker.spawn.total`, `worker.crash.total`, `worker.terminate.total` (1) | counter | a worker starts, crashes, or is stopped by the runtime |
//! | `workers.active` | gauge | after each of those |
//!
//! Calls rejected because the task was disposed or halted report nothing, as in Atelier.
//! Besides metrics the stream carries [spans](crate::SpanEvent) and
//! [traces](crate::TraceEvent), when the runtime records them
//! ([`RuntimeOptions::spans`](crate::RuntimeOptions::spans)).

use std::rc::Rc;

use serde::Serialize;

use crate::config::TaskKind;
use crate::listeners::{Listeners, Subscription};
use crate::queue::QueuePolicy;
use crate::spans::SpanEvent;
use crate::trace::TraceEvent;

/// What a metric measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricKind {
    /// A count of occurrences (the value is the increment).
    Counter,
    /// A level at this moment.
    Gauge,
    /// One sample of a distribution (milliseconds).
    Histogram,
}

/// The queue settings attached to queue metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QueueAttrs {
    /// `queue.policy`.
    pub policy: QueuePolicy,
    /// `queue.max_in_flight`.
    pub max_in_flight: usize,
    /// `queue.max_depth`.
    pub max_depth: usize,
}

/// One metric, with the attributes Atelier attaches to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricEvent {
    /// Counter, gauge or histogram.
    pub kind: MetricKind,
    /// The metric's name, e.g. `task.dispatch.total`.
    pub name: &'static str,
    /// The increment, level or sample.
    pub value: f64,
    /// When, in milliseconds on the runtime's clock.
    pub ts_ms: f64,
    /// `task.id`.
    pub task_id: String,
    /// `task.type`.
    pub task_type: TaskKind,
    /// `task.name`, if the task has one.
    pub task_name: Option<String>,
    /// The queue attributes, on queue metrics.
    pub queue: Option<QueueAttrs>,
    /// `worker.index`, on worker metrics.
    pub worker_index: Option<usize>,
}

/// Something the runtime reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub enum RuntimeEvent {
    /// A counter, gauge or histogram sample.
    Metric(MetricEvent),
    /// A call ended (if spans are on and the call is sampled), right after its
    /// `task.duration_ms` metric.
    Span(SpanEvent),
    /// A [`Trace`](crate::Trace) ended (if spans are on and the trace is sampled).
    Trace(TraceEvent),
}

/// The runtime's subscribers.
#[derive(Default)]
pub(crate) struct EventBus {
    listeners: Rc<Listeners<RuntimeEvent>>,
}

impl EventBus {
    pub(crate) fn is_listening(&self) -> bool {
        !self.listeners.is_empty()
    }

    pub(crate) fn subscribe(&self, listener: Rc<dyn Fn(&RuntimeEvent)>) -> Subscription {
        self.listeners.add(listener)
    }

    /// Calls every listener with every event, in order.
    pub(crate) fn deliver(&self, events: Vec<RuntimeEvent>) {
        if events.is_empty() {
            return;
        }
        let listeners = self.listeners.current();
        for event in &events {
            for listener in &listeners {
                listener(event);
            }
        }
    }
}
