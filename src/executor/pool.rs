//! The worker pool (a singleton is a pool of one).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::crash::{CrashRecord, CrashTracker};
use super::reply::{ReplyReceiver, ReplySender, reply_slot};
use crate::abort::{AbortSignal, ListenerId};
use crate::codec::{self, CallId, FromWorker, RemoteError, ToWorker};
use crate::config::{InitMode, ResolvedConfig};
use crate::error::TaskError;
use crate::events::{EventBus, MetricEvent, MetricKind, QueueAttrs, RuntimeEvent};
use crate::platform::{MeasureValue, Platform, Timer};
use crate::queue::{Admission, CallPhase, DispatchQueue, QueueCounts};
use crate::snapshot::{BuildSnapshot, SnapshotHub, TaskSnapshot, TaskStatus, WorkerSnapshot, WorkerState};
use crate::spans::{SpanErrorKind, SpanEvent, SpanSettings, SpanStatus};
use crate::telemetry::{LatencyHistogram, TelemetrySummary};
use crate::trace::TraceLink;
use crate::transfer::Attachments;
use crate::transport::{EventSink, SpawnRequest, Transport, WorkerEvent, WorkerLink};

/// A successful reply: the whole frame, and where the encoded output starts in it.
#[derive(Debug)]
pub(crate) struct Output {
    pub frame: Vec<u8>,
    pub start: usize,
    /// The JS objects of the output's `Transfer`s.
    pub attachments: Attachments,
}

impl Output {
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.frame[self.start..]
    }
}

type Reply = ReplySender;

/// Receives a call's progress reports.
pub(crate) type OnProgress = Rc<dyn Fn(f64)>;

/// Everything a caller hands over with a call.
pub(crate) struct Submission {
    pub method: &'static str,
    pub key: Option<String>,
    /// The call's frame: its envelope (numbers not written yet), then its encoded input.
    pub frame: Vec<u8>,
    /// The JS objects of the input's `Transfer`s, moved to the worker with the first attempt.
    pub attachments: Attachments,
    pub signal: Option<AbortSignal>,
    /// The deadline, instead of the task's.
    pub timeout: Option<std::time::Duration>,
    pub trace: Option<TraceLink>,
    pub on_progress: Option<OnProgress>,
}
/// A caller's answer, sent once the state is released; `started_at` (clock ms) is set
/// for calls that count in telemetry and events (not for ones refused because the task
/// was disposed or halted).
pub(super) struct Settlement {
    reply: Reply,
    result: Result<Output, TaskError>,
    started_at: Option<f64>,
    /// The call's span, if it is sampled.
    span: Option<SpanParts>,
}

/// The calls a transition settled, answered once the state is released. Most
/// transitions settle none or one: one is kept inline, and only more allocate.
#[derive(Default)]
pub(super) struct Settled {
    first: Option<Settlement>,
    rest: Vec<Settlement>,
}

impl Settled {
    fn one(settlement: Settlement) -> Self {
        Self {
            first: Some(settlement),
            rest: Vec::new(),
        }
    }

    fn push(&mut self, settlement: Settlement) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(settlement);
        } else {
            self.rest.push(settlement);
        }
    }
}

impl Extend<Settlement> for Settled {
    fn extend<I: IntoIterator<Item = Settlement>>(&mut self, settlements: I) {
        for settlement in settlements {
            self.push(settlement);
        }
    }
}

impl FromIterator<Settlement> for Settled {
    fn from_iter<I: IntoIterator<Item = Settlement>>(settlements: I) -> Self {
        let mut settled = Self::default();
        settled.extend(settlements);
        settled
    }
}

impl IntoIterator for Settled {
    type Item = Settlement;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Settlement>, std::vec::IntoIter<Settlement>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.rest)
    }
}

impl<'a> IntoIterator for &'a Settled {
    type Item = &'a Settlement;
    type IntoIter = std::iter::Chain<std::option::Iter<'a, Settlement>, std::slice::Iter<'a, Settlement>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.iter().chain(self.rest.iter())
    }
}

/// What a call's span needs from the call, taken when it settles.
pub(super) struct SpanParts {
    call: CallId,
    method: &'static str,
    attempts: u32,
    /// The worker of the latest attempt, if one was sent.
    worker: Option<usize>,
    queue_wait_total: f64,
    queue_wait_last: f64,
    trace: Option<TraceLink>,
}

/// One call, from admission until it settles.
pub(super) struct Call {
    id: CallId,
    attempt: u32,
    method: &'static str,
    key: Option<String>,
    /// The call's frame (envelope and encoded input), kept until the call settles and
    /// posted as it is by each attempt, its numbers written first.
    frame: Vec<u8>,
    /// The input's transferred objects; detached once the first attempt is posted.
    pub(super) attachments: Attachments,
    /// Taken when the caller is answered; an in-flight call cancelled by its caller
    /// stays in flight without it until its worker settles.
    reply: Option<Reply>,
    /// The caller's abort signal and this call's listener on it.
    abort: Option<(AbortSignal, ListenerId)>,
    /// The call's deadline; dropping it cancels the timer.
    deadline: Option<Timer>,
    pub(super) worker: usize,
    /// When the call was made, in clock ms.
    started_at: f64,
    /// When the current attempt entered the queue (admission or requeue), in clock ms.
    pub(super) enqueued_at: f64,
    /// When the current attempt was sent to its worker, in clock ms.
    dispatched_at: f64,
    /// Queue time summed over attempts, and of the latest attempt, in ms (for its span).
    queue_wait_total: f64,
    queue_wait_last: f64,
    /// The trace the call belongs to, if any.
    trace: Option<TraceLink>,
    /// Whether the call's span is recorded.
    sampled: bool,
    on_progress: Option<OnProgress>,
}

/// Why a call is being cancelled.
#[derive(Debug, Clone, Copy)]
enum Cancel {
    Aborted,
    TimedOut(std::time::Duration),
}

impl Call {
    /// Stops listening for aborts and hands back the caller's answer, unless the
    /// caller was already answered.
    pub(super) fn settle(mut self, result: Result<Output, TaskError>) -> Option<Settlement> {
        self.stop_listening();
        let started_at = Some(self.started_at);
        let span = self.span_parts();
        self.reply.take().map(|reply| Settlement {
            reply,
            result,
            started_at,
            span,
        })
    }

    fn span_parts(&self) -> Option<SpanParts> {
        self.sampled.then(|| SpanParts {
            call: self.id,
            method: self.method,
            attempts: self.attempt,
            worker: (self.attempt > 0).then_some(self.worker),
            queue_wait_total: self.queue_wait_total,
            queue_wait_last: self.queue_wait_last,
            trace: self.trace.clone(),
        })
    }

    /// Detaches the abort listener and the deadline timer.
    pub(super) fn stop_listening(&mut self) {
        if let Some((signal, listener)) = self.abort.take() {
            signal.remove_listener(listener);
        }
        self.deadline = None;
    }

    pub(super) fn caller_gone(&self) -> bool {
        self.reply.as_ref().is_none_or(ReplySender::is_canceled)
    }
}

#[derive(Default)]
pub(super) struct Slot {
    pub(super) link: Option<Box<dyn WorkerLink>>,
    pub(super) state: WorkerState,
    /// Bumped at each spawn, so events of a previous worker of this slot are ignored.
    pub(super) generation: u64,
    pub(super) in_flight: usize,
    pub(super) completed: u64,
    /// Set while the slot waits out its crash backoff; the worker respawns when it fires.
    pub(super) restart: Option<Timer>,
}

pub(super) struct State {
    pub(super) task_id: String,
    pub(super) config: ResolvedConfig,
    pub(super) queue: DispatchQueue<Call>,
    pub(super) slots: Vec<Slot>,
    /// Where the next tie-breaking scan starts (round-robin among equally busy workers).
    cursor: usize,
    next_call: CallId,
    total_dispatched: u64,
    pub(super) disposed: bool,
    /// Set by `stop_workers`: nothing dispatches until `start_workers`.
    pub(super) paused: bool,
    /// Set when a crash halts the task: every call fails with this error until `start_workers`.
    pub(super) halted: Option<TaskError>,
    pub(super) crashes: CrashTracker,
    telemetry: TaskTelemetry,
    bus: Rc<EventBus>,
    spans: SpanSettings,
    /// Events of the current transition, delivered once it releases the state.
    emitted: Vec<RuntimeEvent>,
    /// Progress reports of the current transition, delivered once it releases the state.
    progress: Vec<(OnProgress, f64)>,
    /// The queue counts last reported as gauges.
    reported_counts: QueueCounts,
    pub(super) last_crash: Option<CrashRecord>,
    /// Armed when the task goes idle, if it has an idle timeout.
    pub(super) idle_timer: Option<Timer>,
    pub(super) was_idle: bool,
    transport: Rc<dyn Transport>,
    pub(super) platform: Platform,
    pub(super) me: Weak<RefCell<State>>,
    hub: Weak<SnapshotHub>,
    /// Calls whose caller dropped its future, to cancel at the end of this transition
    /// (or in one of their own, when no transition runs).
    dropped: Rc<RefCell<Vec<CallId>>>,
    /// Set when a transition skipped publishing its snapshot (nobody listened): the
    /// hub rebuilds it when read.
    stale: Rc<Cell<bool>>,
    /// Whether the event bus has subscribers, read once per transition: no event is
    /// built when it has none.
    listening: bool,
}

/// A task's executor; clones share it.
#[derive(Clone)]
pub(crate) struct Executor {
    state: Rc<RefCell<State>>,
    /// The task's id, shared by the calls' futures (for their errors) without a copy.
    id: Rc<str>,
}

impl Executor {
    pub(crate) fn new(
        task_id: String,
        config: ResolvedConfig,
        transport: Rc<dyn Transport>,
        platform: Platform,
        hub: &Rc<SnapshotHub>,
        bus: Rc<EventBus>,
        spans: SpanSettings,
    ) -> Self {
        let state = Rc::new_cyclic(|me| {
            RefCell::new(State {
                queue: DispatchQueue::new(config.max_in_flight, config.max_queue_depth, config.queue_policy),
                slots: (0..config.pool_size).map(|_| Slot::default()).collect(),
                task_id,
                config,
                cursor: 0,
                next_call: 0,
                total_dispatched: 0,
                disposed: false,
                paused: false,
                halted: None,
                crashes: CrashTracker::default(),
                telemetry: TaskTelemetry::default(),
                bus,
                spans,
                emitted: Vec::new(),
                progress: Vec::new(),
                reported_counts: QueueCounts::default(),
                last_crash: None,
                idle_timer: None,
                was_idle: true,
                transport,
                platform,
                me: me.clone(),
                hub: Rc::downgrade(hub),
                dropped: Rc::default(),
                stale: Rc::default(),
                listening: false,
            })
        });
        let rebuild = Rc::downgrade(&state);
        let build: BuildSnapshot = Rc::new(move || Some(rebuild.upgrade()?.try_borrow().ok()?.snapshot()));
        hub.insert(state.borrow().snapshot(), state.borrow().stale.clone(), build);
        let id = Rc::from(state.borrow().task_id.as_str());
        let executor = Self { state, id };
        if executor.state.borrow().config.init == InitMode::Eager {
            executor.transition(State::spawn_all);
        }
        executor
    }

    /// Resumes dispatching after [`stop_workers`](Self::stop_workers) and lifts a crash
    /// halt; an eager task starts its workers again.
    pub(crate) fn start_workers(&self) {
        self.transition(State::start_workers);
    }

    /// Stops the workers and pauses the task; running calls go back to the queue.
    pub(crate) fn stop_workers(&self) {
        self.transition(State::stop_workers);
    }

    /// A weak handle on this executor's state, to check in tests that it was freed.
    #[cfg(test)]
    pub(crate) fn state_probe(&self) -> Weak<dyn std::any::Any> {
        let state: Rc<dyn std::any::Any> = self.state.clone();
        Rc::downgrade(&state)
    }

    /// Whether a crash sends this task's running calls again (so their inputs must
    /// stay in bytes the runtime keeps).
    pub(crate) fn requeues_in_flight(&self) -> bool {
        self.state.borrow().config.crash_policy == super::CrashPolicy::RestartRequeueInFlight
    }

    /// Tells executors apart, even two tasks defined one after another with one id.
    pub(crate) fn identity(&self) -> u64 {
        Rc::as_ptr(&self.state) as usize as u64
    }

    pub(crate) fn task_id(&self) -> String {
        self.id.to_string()
    }

    /// The task's id, shared.
    pub(crate) fn shared_id(&self) -> Rc<str> {
        self.id.clone()
    }

    pub(crate) fn snapshot(&self) -> TaskSnapshot {
        self.state.borrow().snapshot()
    }

    pub(crate) fn telemetry(&self) -> TelemetrySummary {
        self.state.borrow().telemetry.summary()
    }

    /// Grows whenever the telemetry changes (every count and every latency recorded),
    /// so a watcher can skip building a summary that would be the same.
    pub(crate) fn telemetry_version(&self) -> u64 {
        self.state.borrow().telemetry.version()
    }

    /// Admits a call and dispatches whatever can run now. An abort of `signal`, or the
    /// deadline `timeout` (default: the task's), cancels the call in whatever phase it
    /// is, and so does dropping the returned guard before the call settles (`None` for a
    /// call refused outright).
    pub(crate) fn submit(&self, submission: Submission) -> (ReplyReceiver, Option<CallGuard>) {
        let Submission {
            method,
            key,
            frame,
            attachments,
            signal,
            timeout,
            trace,
            on_progress,
        } = submission;
        let (reply, receiver) = reply_slot();
        let mut admitted = None;
        self.transition(|state| {
            let now = state.platform.now_ms();
            let timeout = timeout.or(state.config.timeout);
            let refusal = if state.disposed {
                Some((state.disposed_error(), None))
            } else if let Some(halt) = &state.halted {
                Some((halt.clone(), None))
            } else if signal.as_ref().is_some_and(AbortSignal::is_aborted) {
                Some((
                    state.cancel_error(Cancel::Aborted, key.clone(), CallPhase::Waiting),
                    Some(now),
                ))
            } else {
                timeout.filter(|after| after.is_zero()).map(|after| {
                    let error = state.cancel_error(Cancel::TimedOut(after), key.clone(), CallPhase::Waiting);
                    (error, Some(now))
                })
            };
            // Calls refused before admission have no id, unless they count (and so have a span).
            if let Some((error, None)) = refusal {
                return Settled::one(Settlement {
                    reply,
                    result: Err(error),
                    started_at: None,
                    span: None,
                });
            }
            let id = state.next_call;
            state.next_call += 1;
            admitted = Some(id);
            let sampled = match &trace {
                Some(trace) => state.spans.enabled && trace.sampled(),
                None => state.spans.samples(format_args!("{}/{id}", state.task_id)),
            };
            if let Some((error, started_at)) = refusal {
                return Settled::one(Settlement {
                    reply,
                    result: Err(error),
                    started_at,
                    span: sampled.then(|| SpanParts {
                        call: id,
                        method,
                        attempts: 0,
                        worker: None,
                        queue_wait_total: 0.0,
                        queue_wait_last: 0.0,
                        trace,
                    }),
                });
            }
            let abort = signal.map(|signal| {
                let executor = state.me.clone();
                let listener = signal.on_abort(move || cancel_later(&executor, id, Cancel::Aborted));
                (signal, listener)
            });
            let deadline = timeout.map(|after| {
                let executor = state.me.clone();
                state
                    .platform
                    .set_timer(after, move || cancel_later(&executor, id, Cancel::TimedOut(after)))
            });
            let admission = state.queue.admit(Call {
                id,
                attempt: 0,
                method,
                key,
                frame,
                attachments,
                reply: Some(reply),
                abort,
                deadline,
                worker: 0,
                started_at: now,
                enqueued_at: now,
                dispatched_at: 0.0,
                queue_wait_total: 0.0,
                queue_wait_last: 0.0,
                trace,
                sampled,
                on_progress,
            });
            let mut settled = Settled::default();
            match admission {
                Admission::Accepted => {}
                Admission::Refused(call) | Admission::Evicted(call) => {
                    settled.extend(call.settle(Err(state.queue_full_error())));
                }
            }
            settled.extend(state.pump());
            settled
        });
        let guard = admitted.map(|id| CallGuard {
            state: Rc::downgrade(&self.state),
            dropped: self.state.borrow().dropped.clone(),
            id,
            armed: true,
        });
        (receiver, guard)
    }

    /// Rejects every call with [`TaskError::Disposed`], stops the workers and leaves the snapshot.
    pub(crate) fn dispose(&self) {
        let task_id = self.task_id();
        self.transition(|state| {
            if state.disposed {
                return Settled::default();
            }
            state.disposed = true;
            state.idle_timer = None;
            state.crashes.reset();
            state.terminate_all();
            let error = state.disposed_error();
            state
                .queue
                .drain_all()
                .into_iter()
                .filter_map(|call| call.settle(Err(error.clone())))
                .collect()
        });
        if let Some(hub) = self.state.borrow().hub.upgrade() {
            hub.remove(&task_id);
        }
    }

    /// Runs one state transition, then settles calls and publishes the snapshot with the
    /// state released, so that neither a woken caller nor a subscriber can re-enter it.
    fn transition(&self, change: impl FnOnce(&mut State) -> Settled) {
        transition(&self.state, change);
    }
}

pub(super) fn transition(state: &Rc<RefCell<State>>, change: impl FnOnce(&mut State) -> Settled) {
    let (settlements, snapshot, bus, events, progress, dropped) = {
        let mut state = state.borrow_mut();
        state.listening = state.bus.is_listening();
        let settlements = change(&mut state);
        state.track_idle();
        for settlement in &settlements {
            state.record_outcome(settlement);
        }
        state.report_queue_counts();
        let events = std::mem::take(&mut state.emitted);
        let progress = std::mem::take(&mut state.progress);
        // Built only for subscribers; otherwise the hub rebuilds it when read.
        let hub = state.hub.upgrade().filter(|_| !state.disposed);
        let snapshot = match hub {
            Some(hub) if hub.is_listening() => Some((hub, state.snapshot())),
            _ => {
                state.stale.set(true);
                None
            }
        };
        (
            settlements,
            snapshot,
            state.bus.clone(),
            events,
            progress,
            state.dropped.clone(),
        )
    };
    for (report, fraction) in progress {
        report(fraction);
    }
    for settlement in settlements {
        // A caller that dropped its future no longer wants the result.
        let _ = settlement.reply.send(settlement.result);
    }
    if let Some((hub, snapshot)) = snapshot {
        hub.publish(snapshot);
    }
    bus.deliver(events);
    // Futures dropped while this transition held the state (by code it ran).
    if !dropped.borrow().is_empty() {
        transition(state, State::cancel_dropped);
    }
}

/// Cancels its call if dropped before the call settles: how a dropped
/// [`TaskCall`](crate::TaskCall) leaves its task. A queued call leaves the queue at once
/// (its slot in the queue serves the next call, its input is freed); a call in flight
/// is cancelled in its worker, as by an abort.
pub(crate) struct CallGuard {
    state: Weak<RefCell<State>>,
    dropped: Rc<RefCell<Vec<CallId>>>,
    id: CallId,
    armed: bool,
}

impl CallGuard {
    /// The call settled and its caller has the answer: dropping cancels nothing.
    pub(crate) fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Some(state) = self.state.upgrade() else { return };
        self.dropped.borrow_mut().push(self.id);
        // Dropped during a transition (the state is borrowed): it cancels the call when
        // it ends.
        let idle = state.try_borrow_mut().is_ok();
        if idle {
            transition(&state, State::cancel_dropped);
        }
    }
}

/// Which attributes a metric carries.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scope {
    Task,
    Queue,
    Worker(usize),
}

impl State {
    /// Queues a metric for delivery after this transition (nothing if nobody listens).
    pub(super) fn metric(&mut self, kind: MetricKind, name: &'static str, value: f64, scope: Scope) {
        if !self.listening {
            return;
        }
        let queue = matches!(scope, Scope::Queue).then_some(QueueAttrs {
            policy: self.config.queue_policy,
            max_in_flight: self.config.max_in_flight,
            max_depth: self.config.max_queue_depth,
        });
        self.emitted.push(RuntimeEvent::Metric(MetricEvent {
            kind,
            name,
            value,
            ts_ms: self.platform.now_ms(),
            task_id: self.task_id.clone(),
            task_type: self.config.kind,
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
    fn report_queue_counts(&mut self) {
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
    fn record_outcome(&mut self, settlement: &Settlement) {
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
            task_type: self.config.kind,
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
        self.measure_span(&event, started_at, now);
        if listening {
            self.emitted.push(RuntimeEvent::Span(event));
        }
    }

    fn measure_span(&self, event: &SpanEvent, start: f64, end: f64) {
        if !self.platform.measures() {
            return;
        }
        let status = match event.status {
            SpanStatus::Ok => "ok",
            SpanStatus::Error => "error",
            SpanStatus::Canceled => "canceled",
        };
        let mut detail = vec![
            ("spanId", MeasureValue::Text(&event.span_id)),
            ("taskId", MeasureValue::Text(&event.task_id)),
            ("method", MeasureValue::Text(event.method)),
            ("callId", MeasureValue::Number(event.call_id as f64)),
            ("attemptCount", MeasureValue::Number(f64::from(event.attempt_count))),
            ("queueWaitMs", MeasureValue::Number(event.queue_wait_ms)),
            ("status", MeasureValue::Text(status)),
        ];
        if let Some(index) = event.worker_index {
            detail.push(("workerIndex", MeasureValue::Number(index as f64)));
        }
        if let Some(trace) = &event.trace_id {
            detail.push(("traceId", MeasureValue::Text(trace)));
        }
        if let Some(error) = &event.error {
            detail.push(("error", MeasureValue::Text(error)));
        }
        self.platform.measure("atelier:span", start, end, &detail);
    }

    fn disposed_error(&self) -> TaskError {
        TaskError::Disposed {
            task_id: self.task_id.clone(),
        }
    }

    /// Dispatches pending calls while in-flight slots are free and a worker can take
    /// them (not while paused or halted; slots in crash backoff are skipped).
    pub(super) fn pump(&mut self) -> Settled {
        let mut settled = Settled::default();
        if self.paused || self.halted.is_some() || self.disposed {
            return settled;
        }
        while self.slots.iter().any(|slot| slot.restart.is_none())
            && let Some(mut call) = self.queue.next_to_dispatch()
        {
            if call.caller_gone() {
                call.stop_listening();
                continue;
            }
            let index = self.pick_worker();
            if let Err(cause) = self.ensure_worker(index) {
                settled.extend(call.settle(Err(self.start_error(index, cause))));
                continue;
            }
            call.attempt += 1;
            call.worker = index;
            codec::set_call_numbers(&mut call.frame, call.id, call.attempt);
            let sent = self.slots[index]
                .link
                .as_ref()
                .map_or(Err("worker is gone".into()), |link| {
                    link.post(&call.frame, &call.attachments)
                });
            match sent {
                Ok(()) => {
                    self.slots[index].in_flight += 1;
                    self.total_dispatched += 1;
                    call.dispatched_at = self.platform.now_ms();
                    let wait = call.dispatched_at - call.enqueued_at;
                    call.queue_wait_total += wait;
                    call.queue_wait_last = wait;
                    self.telemetry.queue_wait.record(wait);
                    self.queue.push_in_flight(call);
                    self.metric(MetricKind::Counter, "task.dispatch.total", 1.0, Scope::Task);
                    self.metric(MetricKind::Histogram, "queue.wait_ms", wait, Scope::Queue);
                }
                Err(cause) if !call.attachments.is_empty() => {
                    // The browser refused the transfer list (an object that cannot be
                    // transferred, or one already detached).
                    let error = TaskError::Encode {
                        method: call.method.to_owned(),
                        message: format!("could not send the input: {cause}"),
                    };
                    settled.extend(call.settle(Err(error)));
                }
                Err(cause) => {
                    let error = self.crash_error(index, format!("could not post the call: {cause}"));
                    settled.extend(call.settle(Err(error)));
                }
            }
        }
        settled
    }

    /// The least busy worker not in crash backoff; among equals, the first from the
    /// round-robin cursor. The caller has checked that one exists.
    fn pick_worker(&mut self) -> usize {
        let count = self.slots.len();
        let picked = (0..count)
            .map(|offset| (self.cursor + offset) % count)
            .filter(|&index| self.slots[index].restart.is_none())
            .min_by_key(|&index| self.slots[index].in_flight)
            .unwrap_or(0);
        self.cursor = (picked + 1) % count;
        picked
    }

    pub(super) fn ensure_worker(&mut self, index: usize) -> Result<(), String> {
        if self.slots[index].link.is_some() {
            return Ok(());
        }
        let generation = self.slots[index].generation + 1;
        let sink = event_sink(self.me.clone(), index, generation);
        let request = SpawnRequest {
            worker_index: index,
            worker_entry: &self.config.worker_entry,
            glue_url: self.config.glue_url.as_deref(),
            bootstrap_url: self.config.bootstrap_url.as_deref(),
            start_timeout: self.config.start_timeout,
        };
        let link = self.transport.spawn(&request, sink)?;
        let slot = &mut self.slots[index];
        slot.generation = generation;
        slot.link = Some(link);
        slot.state = WorkerState::Starting;
        self.metric(MetricKind::Counter, "worker.spawn.total", 1.0, Scope::Worker(index));
        self.report_active_workers();
        Ok(())
    }

    fn on_event(&mut self, index: usize, event: WorkerEvent) -> Settled {
        match event {
            WorkerEvent::Frame(frame, attachments) => self.on_frame(index, frame, attachments),
            WorkerEvent::StartFailed(cause) => {
                let error = self.start_error(index, cause.clone());
                self.on_crash(index, error, cause)
            }
            WorkerEvent::Crashed(cause) => {
                let error = if self.slots[index].state == WorkerState::Starting {
                    self.start_error(index, cause.clone())
                } else {
                    self.crash_error(index, cause.clone())
                };
                self.on_crash(index, error, cause)
            }
            WorkerEvent::Garbage(message) => {
                let error = self.protocol_error(index, message.clone());
                self.on_crash(index, error, message)
            }
        }
    }

    fn on_frame(&mut self, index: usize, frame: Vec<u8>, attachments: Attachments) -> Settled {
        let (envelope, rest) = match codec::decode_frame::<FromWorker>(&frame) {
            Ok((envelope, rest)) => (envelope, rest.len()),
            Err(e) => {
                let message = format!("undecodable frame: {e}");
                let error = self.protocol_error(index, message.clone());
                return self.on_crash(index, error, message);
            }
        };
        let (call, attempt, result) = match envelope {
            FromWorker::Ready => {
                self.slots[index].state = WorkerState::Ready;
                return Settled::default();
            }
            FromWorker::Done { call, attempt } => {
                // A worker that answers is healthy: consecutive crashes start over.
                self.crashes.reset();
                let start = frame.len() - rest;
                (
                    call,
                    attempt,
                    Ok(Output {
                        frame,
                        start,
                        attachments,
                    }),
                )
            }
            FromWorker::Failed { call, attempt, error } => (call, attempt, Err(error)),
            FromWorker::Progress {
                call,
                attempt,
                fraction,
            } => {
                let report = self
                    .queue
                    .in_flight_mut(|c| c.id == call && c.attempt == attempt && c.worker == index)
                    .filter(|c| c.reply.is_some())
                    .and_then(|c| c.on_progress.clone());
                if let Some(report) = report {
                    self.progress.push((report, fraction));
                }
                return Settled::default();
            }
        };
        let Some(done) = self
            .queue
            .take_in_flight(|c| c.id == call && c.attempt == attempt && c.worker == index)
        else {
            // A reply for a call this worker no longer holds: stale, ignore it.
            return Settled::default();
        };
        let slot = &mut self.slots[index];
        slot.in_flight = slot.in_flight.saturating_sub(1);
        slot.completed += 1;
        self.telemetry
            .run_time
            .record(self.platform.now_ms() - done.dispatched_at);
        let result = result.map_err(|remote| self.remote_error(&done, remote));
        let mut settled: Settled = done.settle(result).into_iter().collect();
        settled.extend(self.pump());
        settled
    }

    /// The caller's signal fired or its deadline passed. A queued call leaves the
    /// queue; an in-flight call answers its caller now but keeps its slot until its
    /// worker settles.
    fn cancel(&mut self, id: CallId, why: Cancel) -> Settled {
        if let Some((call, phase)) = self.queue.remove_queued(|c| c.id == id) {
            let error = self.cancel_error(why, call.key.clone(), phase);
            let mut settled: Settled = call.settle(Err(error)).into_iter().collect();
            settled.extend(self.pump());
            return settled;
        }
        let grace = self.config.cancel_grace;
        let executor = self.me.clone();
        let platform = self.platform.clone();
        // An in-flight call whose caller was answered was cancelled already.
        let Some(call) = self.queue.in_flight_mut(|c| c.id == id && c.reply.is_some()) else {
            return Settled::default();
        };
        call.stop_listening();
        let (reply, key, started_at) = (call.reply.take(), call.key.clone(), call.started_at);
        let span = call.span_parts();
        let (worker, attempt) = (call.worker, call.attempt);
        // The deadline is spent; the same field now holds the grace timer, dropped
        // with the call when its worker settles it.
        call.deadline =
            grace.map(|grace| platform.set_timer(grace, move || hung_later(&executor, id, attempt, worker, grace)));
        self.tell_worker(worker, &ToWorker::Cancel { call: id });
        let error = self.cancel_error(why, key, CallPhase::InFlight);
        reply
            .map(|reply| Settlement {
                reply,
                result: Err(error),
                started_at: Some(started_at),
                span,
            })
            .into_iter()
            .collect()
    }

    /// Cancels the calls whose caller dropped its future (see [`CallGuard`]). A call
    /// that settled meanwhile is not found, and nothing happens to it.
    fn cancel_dropped(&mut self) -> Settled {
        let ids = std::mem::take(&mut *self.dropped.borrow_mut());
        ids.into_iter()
            .flat_map(|id| self.cancel(id, Cancel::Aborted))
            .collect()
    }

    /// Sends a control frame to the live worker of slot `index`; a worker that is gone
    /// needs no telling.
    fn tell_worker(&self, index: usize, envelope: &ToWorker<'_>) {
        if let (Some(link), Ok(frame)) = (&self.slots[index].link, codec::encode_envelope(envelope)) {
            let _ = link.post(&frame, &[]);
        }
    }

    /// A cancelled call outlived its worker's grace: take the worker as hung.
    fn hung(&mut self, id: CallId, attempt: u32, index: usize, grace: std::time::Duration) -> Settled {
        let still_running = self
            .queue
            .in_flight_mut(|c| c.id == id && c.attempt == attempt && c.worker == index)
            .is_some();
        if !still_running || self.slots[index].link.is_none() {
            return Settled::default();
        }
        let cause = format!("hung: call {id} was cancelled but its worker did not settle it within {grace:?}");
        let error = self.crash_error(index, cause.clone());
        self.reclaim_hung(index, error, cause)
    }

    fn remote_error(&self, call: &Call, remote: RemoteError) -> TaskError {
        let method = call.method;
        match remote {
            RemoteError::Handler(e) if e.is_aborted() => TaskError::Aborted {
                task_id: self.task_id.clone(),
                key: call.key.clone(),
            },
            RemoteError::Handler(e) => TaskError::Handler(e),
            RemoteError::UnknownMethod(method) => TaskError::UnknownMethod {
                task_id: self.task_id.clone(),
                method,
            },
            RemoteError::Decode { side, message } => TaskError::Decode {
                method: method.to_owned(),
                side,
                message,
            },
            RemoteError::Encode(message) => TaskError::Encode {
                method: method.to_owned(),
                message,
            },
        }
    }

    fn cancel_error(&self, why: Cancel, key: Option<String>, phase: CallPhase) -> TaskError {
        let task_id = self.task_id.clone();
        match why {
            Cancel::Aborted => TaskError::Aborted { task_id, key },
            Cancel::TimedOut(after) => TaskError::Timeout {
                task_id,
                key,
                after,
                phase,
            },
        }
    }

    fn queue_full_error(&self) -> TaskError {
        TaskError::QueueFull {
            task_id: self.task_id.clone(),
            policy: self.config.queue_policy,
        }
    }

    pub(super) fn start_error(&self, worker_index: usize, cause: String) -> TaskError {
        TaskError::WorkerStart {
            task_id: self.task_id.clone(),
            worker_index,
            cause,
        }
    }

    fn crash_error(&self, worker_index: usize, cause: String) -> TaskError {
        TaskError::WorkerCrashed {
            task_id: self.task_id.clone(),
            worker_index,
            cause,
        }
    }

    fn protocol_error(&self, worker_index: usize, message: String) -> TaskError {
        TaskError::Protocol {
            task_id: self.task_id.clone(),
            worker_index,
            message,
        }
    }

    fn snapshot(&self) -> TaskSnapshot {
        let counts = self.queue.counts();
        TaskSnapshot {
            task_id: self.task_id.clone(),
            task_name: self.config.name.clone(),
            kind: self.config.kind,
            in_flight: counts.in_flight,
            pending: counts.pending,
            waiting: counts.waiting,
            max_in_flight: self.config.max_in_flight,
            max_queue_depth: self.config.max_queue_depth,
            queue_policy: self.config.queue_policy,
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
            init: self.config.init,
            crash_policy: self.config.crash_policy,
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
struct TaskTelemetry {
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
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Succeeded => self.succeeded += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Canceled => self.canceled += 1,
            Outcome::Rejected => self.rejected += 1,
        }
    }

    fn version(&self) -> u64 {
        self.succeeded + self.failed + self.canceled + self.rejected + self.run_time.count() + self.queue_wait.count()
    }

    fn summary(&self) -> TelemetrySummary {
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

/// Cancels a call from an abort listener or a deadline timer, if the task still exists.
fn cancel_later(executor: &Weak<RefCell<State>>, id: CallId, why: Cancel) {
    if let Some(state) = executor.upgrade() {
        transition(&state, |state| state.cancel(id, why));
    }
}

/// Takes a worker as hung, if the cancelled call is still on it when its grace ends.
fn hung_later(executor: &Weak<RefCell<State>>, id: CallId, attempt: u32, index: usize, grace: std::time::Duration) {
    if let Some(state) = executor.upgrade() {
        transition(&state, |state| state.hung(id, attempt, index, grace));
    }
}

/// Routes a worker's events to its slot, ignoring those of a replaced worker.
fn event_sink(state: Weak<RefCell<State>>, index: usize, generation: u64) -> EventSink {
    Rc::new(move |event| {
        let Some(state) = state.upgrade() else { return };
        transition(&state, |state| {
            if state.disposed || state.slots[index].generation != generation || state.slots[index].link.is_none() {
                return Settled::default();
            }
            state.on_event(index, event)
        });
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::SimTransport;
    use crate::{CallOptions, HandlerError, QueuePolicy, Registry, TaskConfig, TaskContext, TaskMethod, TaskRuntime};

    struct Noop;
    impl TaskMethod for Noop {
        const NAME: &'static str = "noop";
        type Input = ();
        type Output = ();
        async fn run(_: (), _: TaskContext) -> Result<(), HandlerError> {
            Ok(())
        }
    }

    #[test]
    fn calls_stop_listening_to_their_signal_once_settled_however_they_end() {
        let sim = SimTransport::new(|| Registry::new().method::<Noop>());
        let runtime = TaskRuntime::simulated(&sim);
        let config = TaskConfig::singleton("w")
            .max_queue_depth(10)
            .queue_policy(QueuePolicy::Reject);
        let task = runtime.define(config).unwrap();
        let signal = runtime.abort_controller().signal_for("long-lived");
        let calls: Vec<_> = (0..20)
            .map(|_| task.call_with::<Noop>((), CallOptions::new().key("long-lived")))
            .collect();
        assert_eq!(
            signal.listener_count(),
            11,
            "one in flight and ten pending listen; the refused do not"
        );
        sim.run_until_idle();
        drop(calls);
        assert_eq!(signal.listener_count(), 0, "a key used for many calls does not grow");
    }
}
