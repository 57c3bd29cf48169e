//! The data the runtime reports: metric, span and trace events, as plain serializable
//! types. Data only: nothing here emits, delivers or measures (the bus, the executor's
//! reporting and `spans`/`trace` do).
//!
//!
//! Every task of a runtime reports into one [`EventBus`]; subscribers
//! ([`TaskRuntime::subscribe_events`](crate::TaskRuntime::subscribe_events)) are called
//! in emission order, after the task has released its state, so they may read the
//! runtime. With no subscriber, no event is even built. There is no buffering or
//! replay. Metric names and meanings
//! (the names Atelier reports, so its dashboards read ours):
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

use serde::Serialize;

use crate::config::{QueuePolicy, TaskKind};
use crate::error::TaskError;

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
    #[serde(rename = "max_depth")]
    pub max_queue_depth: usize,
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
    #[serde(rename = "task_type")]
    pub task_kind: TaskKind,
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

/// The span of one call, reported once when the call ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanEvent {
    /// When the span ended, in milliseconds on the runtime's clock.
    pub ts_ms: f64,
    /// `"{task_id}/{call_id}"`: unique within the runtime, and what sampling hashes.
    pub span_id: String,
    /// The trace the call was attached to ([`CallOptions::trace`](crate::CallOptions::trace)).
    pub trace_id: Option<String>,
    /// That trace's name.
    pub trace_name: Option<String>,
    /// The call's id within its task.
    pub call_id: u64,
    /// The task's id.
    pub task_id: String,
    /// The task's name, if it has one.
    pub task_name: Option<String>,
    /// Parallel or singleton.
    #[serde(rename = "task_type")]
    pub task_kind: TaskKind,
    /// The method called.
    pub method: &'static str,
    /// The worker of the latest attempt, if the call was ever sent.
    pub worker_index: Option<usize>,
    /// Time spent queued over all attempts (for a call never sent: its whole duration).
    pub queue_wait_ms: f64,
    /// Time the latest attempt spent queued.
    pub queue_wait_last_ms: f64,
    /// Attempts sent to a worker (more than 1 after a requeue).
    pub attempt_count: u32,
    /// From the call to its answer.
    pub duration_ms: f64,
    /// How it ended.
    pub status: SpanStatus,
    /// What kind of failure, unless it succeeded.
    pub error_kind: Option<SpanErrorKind>,
    /// The error's message, unless it succeeded.
    pub error: Option<String>,
}

/// How a span or a trace ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpanStatus {
    /// The work succeeded.
    Ok,
    /// The work failed (see [`SpanErrorKind`]).
    Error,
    /// The work was aborted or timed out.
    Canceled,
}

/// What kind of failure ended a span or trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpanErrorKind {
    /// Aborted or timed out.
    Abort,
    /// Shed by the queue policy.
    Queue,
    /// The worker crashed, failed to start, or broke the protocol.
    Crash,
    /// The handler failed, or the payload could not be encoded or decoded.
    Exception,
}

impl SpanErrorKind {
    /// The kind of a call's error (`None` for [`TaskError::Disposed`], which ends no span).
    pub fn of(error: &TaskError) -> Option<Self> {
        Some(match error {
            TaskError::Disposed { .. } => return None,
            TaskError::Aborted { .. } | TaskError::Timeout { .. } => SpanErrorKind::Abort,
            TaskError::QueueFull { .. } => SpanErrorKind::Queue,
            TaskError::WorkerStart { .. }
            | TaskError::WorkerCrashed { .. }
            | TaskError::Protocol { .. }
            | TaskError::TransferLost { .. } => SpanErrorKind::Crash,
            _ => SpanErrorKind::Exception,
        })
    }

    /// The status a span or trace ending with this kind of error has.
    pub fn status(self) -> SpanStatus {
        match self {
            SpanErrorKind::Abort => SpanStatus::Canceled,
            _ => SpanStatus::Error,
        }
    }
}

/// A trace's report, delivered as [`RuntimeEvent::Trace`] when it ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEvent {
    /// When the trace ended, in milliseconds on the runtime's clock.
    pub ts_ms: f64,
    /// The trace's id.
    pub trace_id: String,
    /// The trace's name, if it has one.
    pub trace_name: Option<String>,
    /// From creation to end.
    pub duration_ms: f64,
    /// How it ended.
    pub status: SpanStatus,
    /// What kind of failure, if it ended with an error.
    pub error_kind: Option<SpanErrorKind>,
    /// The error's message, if it ended with an error.
    pub error: Option<String>,
}
