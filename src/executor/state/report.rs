//! Reporting: metric events, spans (on the browser's timeline and as events), the
//! task's telemetry counts and histograms, and the snapshot projection of its state.
//!
//! Reports are queued during a transition and delivered after it; nothing here is
//! built when nobody listens (the snapshot is built when read).

use super::super::call::{Output, Settlement, SpanParts};
use super::State;
use crate::error::TaskError;
use crate::observe::{LatencyHistogram, TelemetrySummary};
use crate::observe::{MetricEvent, MetricKind, QueueAttrs, RuntimeEvent};
use crate::observe::{SpanErrorKind, SpanEvent, SpanStatus};
use crate::observe::{TaskSnapshot, TaskStatus, WorkerSnapshot};

/// Which attributes a metric carries.
#[derive(Debug, Clone, Copy)]
pub(in crate::executor) enum Scope {
    Task,
    Queue,
    Worker(usize),
}

impl State {
    /// Queues a metric for delivery after this transition (nothing if nobody listens).
    #[inline]
    pub(super) fn metric(&mut self, kind: MetricKind, name: &'static str, value: f64, scope: Scope) {
        if self.listening {
            self.push_metric(kind, name, value, scope);
        }
    }

    /// Builds a metric event for the subscribers (the listening check is the caller's,
    /// inlined where most transitions stop).
    #[inline(never)]
    fn push_metric(&mut self, kind: MetricKind, name: &'static str, value: f64, scope: Scope) {
        let queue = matches!(scope, Scope::Queue).then_some(QueueAttrs {
            policy: self.config.queue.policy,
            max_in_flight: self.config.queue.max_in_flight,
            max_queue_depth: self.config.queue.max_queue_depth,
        });
        self.emitted.push(RuntimeEvent::Metric(MetricEvent {
            kind,
            name,
            value,
            ts_ms: self.platform.now_ms(),
            task_id: self.task_id.clone(),
            task_kind: self.config.kind,
            task_name: self.config.name.clone(),
            queue,
            worker_index: match scope {
                Scope::Worker(index) => Some(index),
                Scope::Task | Scope::Queue => None,
            },
        }));
    }

    pub(super) fn report_active_workers(&mut self) {
        let active = self.slots.iter().filter(|slot| slot.link.is_some()).count();
        self.metric(MetricKind::Gauge, "workers.active", active as f64, Scope::Task);
    }

    /// The three queue gauges, when the counts changed (and someone listens).
    #[inline]
    pub(super) fn report_queue_counts(&mut self) {
        if !self.listening {
            return;
        }
        let counts = self.queue.counts();
        if counts == self.reported_counts {
            return;
        }
        self.reported_counts = counts;
        for (name, value) in [
            ("queue.in_flight", counts.in_flight),
            ("queue.pending", counts.pending),
            ("queue.waiting", counts.waiting),
        ] {
            self.metric(MetricKind::Gauge, name, value as f64, Scope::Queue);
        }
    }

    /// Telemetry and outcome metrics of one answered call.
    #[inline]
    pub(super) fn record_outcome(&mut self, settlement: &Settlement) {
        let Some(started_at) = settlement.started_at else {
            return;
        };
        let Some(outcome) = Outcome::of(&settlement.result) else {
            return;
        };
        let (counter, scope) = match outcome {
            Outcome::Succeeded => ("task.success.total", Scope::Task),
            Outcome::Canceled => ("task.canceled.total", Scope::Task),
            Outcome::Rejected => ("task.rejected.total", Scope::Queue),
            Outcome::Failed => ("task.failure.total", Scope::Task),
        };
        self.telemetry.count(outcome);
        self.metric(MetricKind::Counter, counter, 1.0, scope);
        let now = self.platform.now_ms();
        let duration = now - started_at;
        self.metric(MetricKind::Histogram, "task.duration_ms", duration, Scope::Task);
        if let Some(span) = &settlement.span {
            self.end_span(span, &settlement.result, started_at, now);
        }
    }

    /// Reports a sampled call's span: on the browser's timeline, and as an event.
    fn end_span(&mut self, span: &SpanParts, result: &Result<Output, TaskError>, started_at: f64, now: f64) {
        let listening = self.listening;
        if !listening && !self.platform.measures() {
            return;
        }
        let (status, error_kind, error) = match result {
            Ok(_) => (SpanStatus::Ok, None, None),
            Err(error) => {
                let kind = SpanErrorKind::of(error).unwrap_or(SpanErrorKind::Exception);
                (kind.status(), Some(kind), Some(error.to_string()))
            }
        };
        let duration_ms = now - started_at;
        // A call never sent waited in the queue for all of its life.
        let (queue_wait_ms, queue_wait_last_ms) = if span.attempts == 0 && span.queue_wait_total == 0.0 {
            (duration_ms, duration_ms)
        } else {
            (span.queue_wait_total, span.queue_wait_last)
        };
        let event = SpanEvent {
            ts_ms: now,
            span_id: format!("{}/{}", self.task_id, span.call),
            trace_id: span.trace.as_ref().map(|t| t.id().to_owned()),
            trace_name: span.trace.as_ref().and_then(|t| t.name().map(str::to_owned)),
            call_id: span.call,
            task_id: self.task_id.clone(),
            task_name: self.config.name.clone(),
            task_kind: self.config.kind,
            method: span.method,
            worker_index: span.worker,
            queue_wait_ms,
            queue_wait_last_ms,
            attempt_count: span.attempts,
            duration_ms,
            status,
            error_kind,
            error,
        };
        event.measure(&self.platform, started_at, now);
        if listening {
            self.emitted.push(RuntimeEvent::Span(event));
        }
    }

    /// The task as its snapshot shows it.
    pub(in crate::executor) fn snapshot(&self) -> TaskSnapshot {
        let counts = self.queue.counts();
        TaskSnapshot {
            task_id: self.task_id.clone(),
            task_name: self.config.name.clone(),
            task_kind: self.config.kind,
            in_flight: counts.in_flight,
            pending: counts.pending,
            waiting: counts.waiting,
            max_in_flight: self.config.queue.max_in_flight,
            max_queue_depth: self.config.queue.max_queue_depth,
            queue_policy: self.config.queue.policy,
            total_dispatched: self.total_dispatched,
            active_workers: self.slots.iter().filter(|s| s.link.is_some()).count(),
            pool_size: self.slots.len(),
            status: if self.halted.is_some() {
                TaskStatus::Halted
            } else if self.paused {
                TaskStatus::Paused
            } else if counts.waiting + counts.pending + counts.in_flight > 0 {
                TaskStatus::Active
            } else {
                TaskStatus::Idle
            },
            init: self.config.lifecycle.init,
            crash_policy: self.config.crash.policy,
            last_crash: self.last_crash.clone(),
            workers: self
                .slots
                .iter()
                .enumerate()
                .map(|(index, slot)| WorkerSnapshot {
                    index,
                    state: slot.state,
                    in_flight: slot.in_flight,
                    completed: slot.completed,
                })
                .collect(),
        }
    }
}

/// Outcome counts and latency histograms of one task.
#[derive(Default)]
pub(super) struct TaskTelemetry {
    succeeded: u64,
    failed: u64,
    canceled: u64,
    rejected: u64,
    run_time: LatencyHistogram,
    queue_wait: LatencyHistogram,
}

/// How an answered call ended, as telemetry and metrics count it.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Succeeded,
    Failed,
    Canceled,
    Rejected,
}

impl Outcome {
    /// `None` for calls that count nowhere: those rejected because the task was
    /// disposed, as in Atelier.
    fn of(result: &Result<Output, TaskError>) -> Option<Self> {
        Some(match result {
            Ok(_) => Outcome::Succeeded,
            Err(TaskError::Disposed { .. }) => return None,
            Err(TaskError::Aborted { .. } | TaskError::Timeout { .. }) => Outcome::Canceled,
            Err(TaskError::QueueFull { .. }) => Outcome::Rejected,
            Err(_) => Outcome::Failed,
        })
    }
}

impl TaskTelemetry {
    /// Records the time a call waited in the queue before a worker took it.
    #[inline]
    pub(super) fn record_queue_wait(&mut self, ms: f64) {
        self.queue_wait.record(ms);
    }

    /// Records the time a call's worker took to answer it.
    #[inline]
    pub(super) fn record_run_time(&mut self, ms: f64) {
        self.run_time.record(ms);
    }

    #[inline]
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Succeeded => self.succeeded += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Canceled => self.canceled += 1,
            Outcome::Rejected => self.rejected += 1,
        }
    }

    pub(super) fn version(&self) -> u64 {
        self.succeeded + self.failed + self.canceled + self.rejected + self.run_time.count() + self.queue_wait.count()
    }

    pub(super) fn summary(&self) -> TelemetrySummary {
        TelemetrySummary {
            succeeded: self.succeeded,
            failed: self.failed,
            canceled: self.canceled,
            rejected: self.rejected,
            run_time: self.run_time.summary(),
            queue_wait: self.queue_wait.summary(),
        }
    }
}
