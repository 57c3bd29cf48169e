//! The handle a [`Task`](crate::Task) holds on its executor, and the guard that
//! cancels a call whose future is dropped.
//!
//! Every method runs one transition of the task's [`State`]; the handle itself holds
//! no state besides the task's shared id.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::call::{Settled, Submission};
use super::reply::ReplyReceiver;
use super::state::{FromRuntime, State, transition};
use crate::codec::CallId;
use crate::config::ResolvedConfig;
use crate::observe::TaskSnapshot;
use crate::observe::TelemetrySummary;

/// A task's executor; clones share it.
#[derive(Clone)]
pub(crate) struct Executor {
    state: Rc<RefCell<State>>,
    /// The task's id, shared by the calls' futures (for their errors) without a copy.
    id: Rc<str>,
    /// The state's list of dropped calls, which each call's guard holds.
    dropped: Rc<RefCell<Vec<CallId>>>,
    /// Whether a crash sends running calls again: fixed by the task's config, so a
    /// call reads it here without borrowing the state.
    requeues: bool,
}

impl Executor {
    pub(crate) fn new(task_id: String, config: ResolvedConfig, runtime: FromRuntime<'_>) -> Self {
        let id = Rc::from(task_id.as_str());
        let state = Rc::new_cyclic(|me| RefCell::new(State::new(task_id, config, &runtime, me.clone())));
        State::publish_first(&state, runtime.hub);
        let (dropped, requeues) = {
            let state = state.borrow();
            (state.dropped(), state.requeues_in_flight())
        };
        let executor = Self {
            state,
            id,
            dropped,
            requeues,
        };
        if executor.state.borrow().starts_eagerly() {
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
        self.requeues
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
        self.state.borrow().telemetry()
    }

    /// Grows whenever the telemetry changes (every count and every latency recorded),
    /// so a watcher can skip building a summary that would be the same.
    pub(crate) fn telemetry_version(&self) -> u64 {
        self.state.borrow().telemetry_version()
    }

    /// Admits a call and dispatches whatever can run now. An abort of `signal`, or the
    /// deadline `timeout` (default: the task's), cancels the call in whatever phase it
    /// is, and so does dropping the returned guard before the call settles (`None` for a
    /// call refused outright).
    pub(crate) fn submit(&self, mut submission: Submission) -> (ReplyReceiver, Option<CallGuard>) {
        let mut admitted = None;
        let mut answer = None;
        self.transition(|state| {
            let (settled, id, receiver) = state.admit(&mut submission);
            (admitted, answer) = (id, Some(receiver));
            settled
        });
        let receiver = answer.expect("admit always gives the answer's end");
        let guard = admitted.map(|id| CallGuard {
            state: Rc::downgrade(&self.state),
            dropped: self.dropped.clone(),
            id,
            armed: true,
        });
        (receiver, guard)
    }

    /// Rejects every call with [`TaskError::Disposed`](crate::TaskError::Disposed), stops
    /// the workers and leaves the snapshot.
    pub(crate) fn dispose(&self) {
        self.transition(State::dispose);
        if let Some(hub) = self.state.borrow().hub() {
            hub.remove(&self.id);
        }
    }

    fn transition(&self, change: impl FnOnce(&mut State) -> Settled) {
        transition(&self.state, change);
    }
}

/// Cancels its call if dropped before the call settles: how a dropped
/// [`TaskCall`](crate::TaskCall) leaves its task. A queued call leaves the queue at once
/// (its slot in the queue serves the next call, its input is freed); a call in flight
/// is canceled in its worker, as by an abort.
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
