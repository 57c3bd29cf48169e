//! Cancellation: a caller's abort or deadline, a dropped call's future, and a worker
//! that outlives its cancel grace (taken as hung).
//!
//! A queued call leaves the queue; a call in flight answers its caller at once, is
//! told to its worker as a cancel frame, and keeps its worker slot until the worker
//! settles it or its grace ends. Runs inside transitions and returns what it settled.

use std::cell::RefCell;
use std::rc::Weak;

use super::super::call::{Cancel, Settled, Settlement};
use super::{State, transition};
use crate::codec::{self, CallId, ToWorker};
use crate::error::TaskError;
use crate::queue::CallPhase;

impl State {
    /// The caller's signal fired or its deadline passed. A queued call leaves the
    /// queue; an in-flight call answers its caller now but keeps its slot until its
    /// worker settles.
    pub(super) fn cancel(&mut self, id: CallId, why: Cancel) -> Settled {
        if let Some((call, phase)) = self.queue.remove_queued(|c| c.id == id) {
            let error = why.error(&self.task_id, call.key.clone(), phase);
            let mut settled: Settled = call.settle(Err(error)).into_iter().collect();
            self.pump(&mut settled);
            return settled;
        }
        let grace = self.config.lifecycle.cancel_grace;
        let executor = self.me.clone();
        let platform = self.platform.clone();
        // An in-flight call whose caller was answered was canceled already.
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
        let error = why.error(&self.task_id, key, CallPhase::InFlight);
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
    pub(in crate::executor) fn cancel_dropped(&mut self) -> Settled {
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

    /// A canceled call outlived its worker's grace: take the worker as hung.
    fn hung(&mut self, id: CallId, attempt: u32, index: usize, grace: std::time::Duration) -> Settled {
        let still_running = self
            .queue
            .in_flight_mut(|c| c.id == id && c.attempt == attempt && c.worker == index)
            .is_some();
        if !still_running || self.slots[index].link.is_none() {
            return Settled::default();
        }
        let cause = format!(
            "hung: call {id} was canceled but its worker did not settle it within {}",
            crate::platform::Millis(grace)
        );
        let error = TaskError::worker_crashed(&self.task_id, index, cause.clone());
        self.reclaim_hung(index, error, cause)
    }
}

/// Cancels a call from an abort listener or a deadline timer, if the task still exists.
pub(super) fn cancel_later(executor: &Weak<RefCell<State>>, id: CallId, why: Cancel) {
    if let Some(state) = executor.upgrade() {
        transition(&state, |state| state.cancel(id, why));
    }
}

/// Takes a worker as hung, if the canceled call is still on it when its grace ends.
fn hung_later(executor: &Weak<RefCell<State>>, id: CallId, attempt: u32, index: usize, grace: std::time::Duration) {
    if let Some(state) = executor.upgrade() {
        transition(&state, |state| state.hung(id, attempt, index, grace));
    }
}
