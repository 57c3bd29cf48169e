//! One task's state and its transitions: admitting calls, dispatching them to
//! workers, and matching replies to the calls they answer (by call id, attempt and
//! worker, so a stale reply is ignored).
//!
//! Every change to a task goes through [`transition`], which settles callers, reports
//! and publishes only after releasing the state, so neither a woken caller nor a
//! subscriber can re-enter it. The child modules add the rest of the state's
//! behaviour and see its private fields: `admission`, `lifecycle` (crashes, restarts,
//! start, stop, idle, dispose), `cancel` (aborts, deadlines, dropped calls, hung
//! workers) and `report` (metrics, spans, telemetry and the snapshot projection).
//! Nothing here touches JS or the reactive graph; workers are reached only through
//! [`Transport`].

mod admission;
mod cancel;
mod lifecycle;
mod report;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::call::{Call, OnProgress, Output, QueuedCall, Settled};
use super::crash::CrashTracker;
use crate::codec::{self, CallId, FromWorker, RemoteError};
use crate::config::CrashPolicy;
use crate::config::{InitMode, ResolvedConfig};
use crate::error::TaskError;
use crate::observe::CrashRecord;
use crate::observe::SpanSettings;
use crate::observe::TelemetrySummary;
use crate::observe::{BuildSnapshot, SnapshotHub, WorkerState};
use crate::observe::{EventBus, MetricKind, RuntimeEvent};
use crate::platform::{Platform, Timer};
use crate::protocol::Attachments;
use crate::queue::{DispatchQueue, QueueCounts};
use crate::spares::Spares;
use crate::transport::{EventSink, SpawnRequest, Transport, WorkerEvent, WorkerLink};

use report::{Scope, TaskTelemetry};

#[derive(Default)]
pub(super) struct Slot {
    link: Option<Box<dyn WorkerLink>>,
    state: WorkerState,
    /// Bumped at each spawn, so events of a previous worker of this slot are ignored.
    generation: u64,
    in_flight: usize,
    completed: u64,
    /// Set while the slot waits out its crash backoff; the worker respawns when it fires.
    restart: Option<Timer>,
}

/// One task's mutable state, changed only inside [`transition`].
pub(super) struct State {
    task_id: String,
    config: ResolvedConfig,
    queue: DispatchQueue<QueuedCall>,
    slots: Vec<Slot>,
    /// Where the next tie-breaking scan starts (round-robin among equally busy workers).
    cursor: usize,
    next_call: CallId,
    total_dispatched: u64,
    disposed: bool,
    /// Set by `stop_workers`: nothing dispatches until `start_workers`.
    paused: bool,
    /// Set when a crash halts the task: every call fails with this error until `start_workers`.
    halted: Option<TaskError>,
    crashes: CrashTracker,
    telemetry: TaskTelemetry,
    bus: Rc<EventBus>,
    spans: SpanSettings,
    /// Events of the current transition, delivered once it releases the state.
    emitted: Vec<RuntimeEvent>,
    /// Progress reports of the current transition, delivered once it releases the state.
    progress: Vec<(OnProgress, f64)>,
    /// The queue counts last reported as gauges.
    reported_counts: QueueCounts,
    last_crash: Option<CrashRecord>,
    /// Armed when the task goes idle, if it has an idle timeout.
    idle_timer: Option<Timer>,
    was_idle: bool,
    transport: Rc<dyn Transport>,
    platform: Platform,
    me: Weak<RefCell<State>>,
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
    /// Records of answered calls, reused for new ones (no allocation per call).
    spare_calls: Spares<QueuedCall, SPARE_CALLS>,
}

/// At most this many spare call records are kept.
const SPARE_CALLS: usize = 16;

/// What each task's executor takes from its runtime: the same for every task.
pub(crate) struct FromRuntime<'a> {
    pub transport: &'a Rc<dyn Transport>,
    pub platform: &'a Platform,
    pub hub: &'a Rc<SnapshotHub>,
    pub bus: &'a Rc<EventBus>,
    pub spans: SpanSettings,
}

impl State {
    /// A task's state with its workers not started yet; `me` is the state's own weak
    /// handle (timers and worker events reach it through that).
    pub(super) fn new(
        task_id: String,
        config: ResolvedConfig,
        runtime: &FromRuntime<'_>,
        me: Weak<RefCell<State>>,
    ) -> Self {
        State {
            queue: DispatchQueue::new(config.queue),
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
            bus: runtime.bus.clone(),
            spans: runtime.spans,
            emitted: Vec::new(),
            progress: Vec::new(),
            reported_counts: QueueCounts::default(),
            last_crash: None,
            idle_timer: None,
            was_idle: true,
            transport: runtime.transport.clone(),
            platform: runtime.platform.clone(),
            me,
            hub: Rc::downgrade(runtime.hub),
            dropped: Rc::default(),
            stale: Rc::default(),
            listening: false,
            spare_calls: Spares::new(),
        }
    }

    /// Registers the task's snapshot with the hub, which rebuilds it from `state` when
    /// read after a transition nobody listened to.
    pub(super) fn publish_first(state: &Rc<RefCell<State>>, hub: &Rc<SnapshotHub>) {
        let rebuild = Rc::downgrade(state);
        let build: BuildSnapshot = Rc::new(move || Some(rebuild.upgrade()?.try_borrow().ok()?.snapshot()));
        let state = state.borrow();
        hub.insert(state.snapshot(), state.stale.clone(), build);
    }

    pub(super) fn starts_eagerly(&self) -> bool {
        self.config.lifecycle.init == InitMode::Eager
    }

    /// Whether a crash sends this task's running calls again.
    pub(super) fn requeues_in_flight(&self) -> bool {
        self.config.crash.policy == CrashPolicy::RestartRequeueInFlight
    }

    pub(super) fn telemetry(&self) -> TelemetrySummary {
        self.telemetry.summary()
    }

    pub(super) fn telemetry_version(&self) -> u64 {
        self.telemetry.version()
    }

    /// The list a dropped call's guard writes its id to (see `cancel_dropped`).
    pub(super) fn dropped(&self) -> Rc<RefCell<Vec<CallId>>> {
        self.dropped.clone()
    }

    /// The hub the task publishes to, while it exists.
    pub(super) fn hub(&self) -> Option<Rc<SnapshotHub>> {
        self.hub.upgrade()
    }

    /// Dispatches pending calls while in-flight slots are free and a worker can take
    /// them (not while paused or halted; slots in crash backoff are skipped). The calls
    /// it settles (their workers cannot start or take them) join `settled`: filled in
    /// place, not returned, as a transition's list is the size of a call's answer.
    pub(super) fn pump(&mut self, settled: &mut Settled) {
        if self.paused || self.halted.is_some() || self.disposed {
            return;
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
                settled.extend(call.settle(Err(TaskError::worker_start(&self.task_id, index, cause))));
                continue;
            }
            call.attempt += 1;
            call.worker = index;
            codec::set_call_numbers(&mut call.frame, call.id, call.attempt);
            let sent = self.slots[index].link.as_ref().map_or_else(
                || Err("worker is gone".into()),
                |link| link.post(&call.frame, &call.attachments),
            );
            match sent {
                Ok(()) => {
                    self.slots[index].in_flight += 1;
                    self.total_dispatched += 1;
                    call.dispatched_at = self.platform.now_ms();
                    let wait = call.dispatched_at - call.enqueued_at;
                    call.queue_wait_total += wait;
                    call.queue_wait_last = wait;
                    self.telemetry.record_queue_wait(wait);
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
                    let error =
                        TaskError::worker_crashed(&self.task_id, index, format!("could not post the call: {cause}"));
                    settled.extend(call.settle(Err(error)));
                }
            }
        }
    }

    /// The least busy worker not in crash backoff; among equals, the first from the
    /// round-robin cursor. The caller has checked that one exists.
    fn pick_worker(&mut self) -> usize {
        let count = self.slots.len();
        // `cursor + offset` is below `2 * count`: one subtraction wraps it, no division.
        let wrap = |index: usize| if index >= count { index - count } else { index };
        let picked = (0..count)
            .map(|offset| wrap(self.cursor + offset))
            .filter(|&index| self.slots[index].restart.is_none())
            .min_by_key(|&index| self.slots[index].in_flight)
            .unwrap_or(0);
        self.cursor = wrap(picked + 1);
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
            spec: &self.config.spawn,
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
                let error = TaskError::worker_start(&self.task_id, index, cause.clone());
                self.on_crash(index, error, cause)
            }
            WorkerEvent::Crashed(cause) => {
                let error = if self.slots[index].state == WorkerState::Starting {
                    TaskError::worker_start(&self.task_id, index, cause.clone())
                } else {
                    TaskError::worker_crashed(&self.task_id, index, cause.clone())
                };
                self.on_crash(index, error, cause)
            }
            WorkerEvent::Garbage(message) => {
                let error = TaskError::protocol(&self.task_id, index, message.clone());
                self.on_crash(index, error, message)
            }
        }
    }

    fn on_frame(&mut self, index: usize, frame: Vec<u8>, attachments: Attachments) -> Settled {
        let (envelope, rest) = match codec::decode_frame::<FromWorker>(&frame) {
            Ok((envelope, rest)) => (envelope, rest.len()),
            Err(e) => {
                let message = format!("undecodable frame: {e}");
                let error = TaskError::protocol(&self.task_id, index, message.clone());
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
        let Some(mut done) = self
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
            .record_run_time(self.platform.now_ms() - done.dispatched_at);
        let result = result.map_err(|remote| self.remote_error(&done, remote));
        let mut settled: Settled = done.settle_in_place(result).into_iter().collect();
        done.vacate();
        self.spare_calls.keep(done);
        self.pump(&mut settled);
        settled
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
}

/// Runs one state transition, then settles calls and publishes the snapshot with the
/// state released, so that neither a woken caller nor a subscriber can re-enter it.
///
/// Only the change is generic: what follows it is one function for every transition
/// (`State::close`, then `Closed::deliver`), not a copy per call site.
pub(super) fn transition(state: &Rc<RefCell<State>>, change: impl FnOnce(&mut State) -> Settled) {
    let closed = {
        let mut state = state.borrow_mut();
        state.listening = state.bus.is_listening();
        let settlements = change(&mut state);
        state.close(settlements)
    };
    closed.deliver(state);
}

/// What a transition hands out once the state is released.
struct Closed {
    settlements: Settled,
    /// The hub to publish to, when someone listens.
    hub: Option<Rc<SnapshotHub>>,
    events: Option<(Rc<EventBus>, Vec<RuntimeEvent>)>,
    progress: Vec<(OnProgress, f64)>,
}

impl State {
    /// Ends a transition with the state still held: the bookkeeping every change
    /// needs, and what is to be handed out afterwards.
    #[inline]
    fn close(&mut self, settlements: Settled) -> Closed {
        self.track_idle();
        for settlement in &settlements {
            self.record_outcome(settlement);
        }
        self.report_queue_counts();
        // Most transitions emit nothing (no subscriber) and report no progress.
        let events = (!self.emitted.is_empty()).then(|| (self.bus.clone(), std::mem::take(&mut self.emitted)));
        let progress = std::mem::take(&mut self.progress);
        // Built only for subscribers; otherwise the hub rebuilds it when read.
        let hub = self.hub.upgrade().filter(|hub| !self.disposed && hub.is_listening());
        if hub.is_none() {
            self.stale.set(true);
        }
        Closed {
            settlements,
            hub,
            events,
            progress,
        }
    }
}

impl Closed {
    /// Settles calls, reports progress and publishes, with the state released.
    #[inline]
    fn deliver(self, state: &Rc<RefCell<State>>) {
        let Closed {
            settlements,
            hub,
            events,
            progress,
        } = self;
        // Taken before anything below runs code that could change the state.
        let snapshot = hub.map(|hub| (hub, state.borrow().snapshot()));
        if !progress.is_empty() {
            for (report, fraction) in progress {
                report(fraction);
            }
        }
        settlements.for_each(|settlement| {
            // A caller that dropped its future no longer wants the result.
            let _ = settlement.reply.send(settlement.result);
        });
        if let Some((hub, snapshot)) = snapshot {
            hub.publish(snapshot);
        }
        if let Some((bus, events)) = events {
            bus.deliver(events);
        }
        // Futures dropped while this transition held the state (by code it ran). The
        // state is free again here: what ran above (callers woken, subscribers) has
        // returned.
        let dropped = state.try_borrow().is_ok_and(|state| !state.dropped.borrow().is_empty());
        if dropped {
            transition(state, State::cancel_dropped);
        }
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
