//! Worker lifecycle: crashes and their policy, restarts after backoff, halting,
//! `start_workers` / `stop_workers`, eager start and the idle stop.
//!
//! Every function here runs inside a state transition (see [`transition`]) and
//! returns the calls it settled; none of them talks to a caller directly.

use std::cell::RefCell;
use std::rc::Weak;

use super::super::call::{QueuedCall, Settled};
use super::{Scope, State, transition};
use crate::config::CrashPolicy;
use crate::config::InitMode;
use crate::error::TaskError;
use crate::observe::CrashRecord;
use crate::observe::MetricKind;
use crate::observe::WorkerState;

impl State {
    /// Rejects every call with [`TaskError::Disposed`], stops the workers and refuses
    /// whatever comes after.
    pub(in crate::executor) fn dispose(&mut self) -> Settled {
        if self.disposed {
            return Settled::default();
        }
        self.disposed = true;
        self.idle_timer = None;
        self.crashes.reset();
        self.terminate_all();
        let error = TaskError::disposed(&self.task_id);
        self.queue
            .drain_all()
            .into_iter()
            .filter_map(|call| call.settle(Err(error.clone())))
            .collect()
    }

    /// A worker died (crash, failed start, broken protocol): stop it, apply the crash
    /// policy to the calls it held, and restart it after a backoff or halt the task.
    pub(super) fn on_crash(&mut self, index: usize, error: TaskError, cause: String) -> Settled {
        self.stop_crashed(index, cause);
        let policy = self.crashes.record(self.config.crash);
        let held = self.queue.drain_in_flight(|call| call.worker == index);
        let mut settled = Settled::default();
        match policy {
            CrashPolicy::RestartFailInFlight => {
                settled.extend(held.into_iter().filter_map(|call| call.settle(Err(error.clone()))));
                self.schedule_restart(index);
            }
            CrashPolicy::RestartRequeueInFlight => {
                let (requeued, lost) = self.requeue(held);
                settled.extend(lost);
                if requeued > 0 {
                    self.metric(MetricKind::Counter, "task.requeue.total", requeued as f64, Scope::Task);
                }
                self.schedule_restart(index);
            }
            CrashPolicy::FailTask => {
                settled.extend(held.into_iter().filter_map(|call| call.settle(Err(error.clone()))));
                settled.extend(self.halt(error));
                return settled;
            }
        }
        self.pump(&mut settled);
        settled
    }

    /// A worker kept running a canceled call past its `cancel_grace`: terminate it, to
    /// free its slot. Its other calls are requeued under
    /// [`CrashPolicy::RestartRequeueInFlight`] and fail with `error` otherwise. The
    /// worker is not broken, only busy with work nobody wants, so this does not count
    /// toward `crash_max_retries`, waits out no backoff, and halts no task: the slot
    /// takes a fresh worker when a call needs one (at once for an eager task).
    pub(super) fn reclaim_hung(&mut self, index: usize, error: TaskError, cause: String) -> Settled {
        self.stop_crashed(index, cause);
        let held = self.queue.drain_in_flight(|call| call.worker == index);
        let mut settled = Settled::default();
        if self.config.crash.policy == CrashPolicy::RestartRequeueInFlight {
            let (requeued, lost) = self.requeue(held);
            settled.extend(lost);
            if requeued > 0 {
                self.metric(MetricKind::Counter, "task.requeue.total", requeued as f64, Scope::Task);
            }
        } else {
            settled.extend(held.into_iter().filter_map(|call| call.settle(Err(error.clone()))));
        }
        let live = !(self.disposed || self.paused || self.halted.is_some());
        if live && self.config.lifecycle.init == InitMode::Eager && self.ensure_worker(index).is_err() {
            self.slots[index].state = WorkerState::Crashed;
        }
        self.pump(&mut settled);
        settled
    }

    /// Terminates slot `index`'s worker after a crash or a hang, and records it.
    fn stop_crashed(&mut self, index: usize, cause: String) {
        let slot = &mut self.slots[index];
        if let Some(link) = slot.link.take() {
            link.terminate();
        }
        slot.state = WorkerState::Crashed;
        slot.in_flight = 0;
        self.metric(MetricKind::Counter, "worker.crash.total", 1.0, Scope::Worker(index));
        self.report_active_workers();
        self.last_crash = Some(CrashRecord {
            at_ms: self.platform.now_ms(),
            worker_index: index,
            cause,
        });
    }

    /// Puts calls back at the front of the queue, as Atelier does: each goes in front of
    /// the last, so several requeued calls run again in reverse order. Calls whose
    /// caller is gone or already answered (aborted, timed out) are dropped instead, and
    /// calls whose transferred objects went with the worker fail with
    /// [`TaskError::TransferLost`]. Returns how many went back, and the failed.
    pub(super) fn requeue(&mut self, calls: Vec<QueuedCall>) -> (usize, Settled) {
        let mut requeued = 0;
        let mut lost = Settled::default();
        for mut call in calls {
            if call.caller_gone() {
                call.stop_listening();
            } else if !call.attachments.is_empty() {
                let error = TaskError::TransferLost {
                    task_id: self.task_id.clone(),
                    worker_index: call.worker,
                };
                lost.extend(call.settle(Err(error)));
            } else {
                call.enqueued_at = self.platform.now_ms();
                self.queue.requeue_front(call);
                requeued += 1;
            }
        }
        (requeued, lost)
    }

    /// Fails every call with the crash error, stops every worker, and refuses new calls
    /// with that error until `start_workers`.
    fn halt(&mut self, error: TaskError) -> Settled {
        self.halted = Some(error.clone());
        self.terminate_all();
        self.queue
            .drain_all()
            .into_iter()
            .filter_map(|call| call.settle(Err(error.clone())))
            .collect()
    }

    fn schedule_restart(&mut self, index: usize) {
        if self.disposed || self.paused || self.halted.is_some() {
            return;
        }
        let delay = self.crashes.next_restart_delay();
        let executor = self.me.clone();
        let timer = self.platform.set_timer(delay, move || restart_later(&executor, index));
        self.slots[index].restart = Some(timer);
    }

    /// The backoff of slot `index` is over: respawn its worker now (even for a lazy task).
    fn restart(&mut self, index: usize) -> Settled {
        self.slots[index].restart = None;
        if self.disposed || self.paused || self.halted.is_some() {
            return Settled::default();
        }
        // If even the spawn fails, the slot stays empty and the next call retries it.
        if self.ensure_worker(index).is_err() {
            self.slots[index].state = WorkerState::Crashed;
        }
        let mut settled = Settled::default();
        self.pump(&mut settled);
        settled
    }

    /// Spawns every slot that has no worker (eager start).
    pub(in crate::executor) fn spawn_all(&mut self) -> Settled {
        for index in 0..self.slots.len() {
            if self.slots[index].link.is_none() && self.ensure_worker(index).is_err() {
                self.slots[index].state = WorkerState::Crashed;
            }
        }
        Settled::default()
    }

    /// Terminates every worker and forgets pending restarts; slots that crashed keep
    /// saying so, the others say stopped.
    pub(super) fn terminate_all(&mut self) {
        for index in 0..self.slots.len() {
            let slot = &mut self.slots[index];
            slot.restart = None;
            slot.in_flight = 0;
            if let Some(link) = slot.link.take() {
                link.terminate();
                slot.state = WorkerState::Stopped;
                self.metric(MetricKind::Counter, "worker.terminate.total", 1.0, Scope::Worker(index));
            }
        }
        self.report_active_workers();
    }

    fn clear_crash_flags(&mut self) {
        for slot in &mut self.slots {
            if slot.state == WorkerState::Crashed {
                slot.state = WorkerState::Stopped;
            }
        }
    }

    pub(in crate::executor) fn stop_workers(&mut self) -> Settled {
        if self.disposed {
            return Settled::default();
        }
        self.paused = true;
        self.idle_timer = None;
        let running = self.queue.drain_in_flight(|_| true);
        // Unlike a crash, a stop does not report requeued calls.
        let (_, lost) = self.requeue(running);
        self.crashes.reset();
        self.terminate_all();
        self.clear_crash_flags();
        lost
    }

    pub(in crate::executor) fn start_workers(&mut self) -> Settled {
        if self.disposed {
            return Settled::default();
        }
        if self.halted.take().is_some() {
            self.crashes.reset();
            self.clear_crash_flags();
        }
        self.paused = false;
        if self.config.lifecycle.init == crate::config::InitMode::Eager {
            self.spawn_all();
        }
        let mut settled = Settled::default();
        self.pump(&mut settled);
        settled
    }

    /// Arms the idle timer when the task goes idle, and disarms it when it gets busy.
    #[inline]
    pub(super) fn track_idle(&mut self) {
        let counts = self.queue.counts();
        let idle = counts.waiting == 0 && counts.pending == 0 && counts.in_flight == 0;
        if idle && !self.was_idle && !self.paused && !self.disposed {
            if let Some(after) = self.config.lifecycle.idle_timeout {
                let executor = self.me.clone();
                self.idle_timer = Some(self.platform.set_timer(after, move || idle_stop_later(&executor)));
            }
        } else if !idle {
            self.idle_timer = None;
        }
        self.was_idle = idle;
    }

    /// The idle timer fired: stop the workers; they return when a call needs them.
    fn idle_stop(&mut self) -> Settled {
        self.idle_timer = None;
        if self.was_idle && !self.paused && !self.disposed {
            self.crashes.reset();
            self.terminate_all();
            self.clear_crash_flags();
        }
        Settled::default()
    }
}

fn restart_later(executor: &Weak<RefCell<State>>, index: usize) {
    if let Some(state) = executor.upgrade() {
        transition(&state, |state| state.restart(index));
    }
}

fn idle_stop_later(executor: &Weak<RefCell<State>>) {
    if let Some(state) = executor.upgrade() {
        transition(&state, State::idle_stop);
    }
}
