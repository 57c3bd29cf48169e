//! Call records: what a caller hands over ([`Submission`]), the record the executor
//! keeps for a call from admission until it settles ([`Call`]), and what a settled
//! call hands back ([`Settlement`], [`Settled`]).
//!
//! Plain data and the few operations on one record; it owns no queue, no worker and
//! no timer callback, and it never answers a caller itself (the state's transition
//! does, after releasing the state).

use std::rc::Rc;

use super::reply::{ReplySender, ReplySlot};
use crate::abort::{AbortSignal, ListenerId};
use crate::codec::CallId;
use crate::error::TaskError;
use crate::observe::TraceLink;
use crate::platform::Timer;
use crate::protocol::Attachments;
use crate::queue::CallPhase;

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
    pub(super) reply: Reply,
    pub(super) result: Result<Output, TaskError>,
    pub(super) started_at: Option<f64>,
    /// The call's span, if it is sampled (boxed: most calls have none, and settlements
    /// move through a transition several times).
    pub(super) span: Option<Box<SpanParts>>,
}

/// The calls a transition settled, answered once the state is released. Most
/// transitions settle none or one: one is kept inline, and only more allocate.
#[derive(Default)]
pub(super) struct Settled {
    first: Option<Settlement>,
    rest: Vec<Settlement>,
}

impl Settled {
    #[inline]
    pub(super) fn one(settlement: Settlement) -> Self {
        Self {
            first: Some(settlement),
            rest: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, settlement: Settlement) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(settlement);
        } else {
            self.rest.push(settlement);
        }
    }

    /// Hands each settlement to `answer`, in order.
    #[inline]
    pub(super) fn for_each(self, mut answer: impl FnMut(Settlement)) {
        let Some(first) = self.first else { return };
        answer(first);
        if !self.rest.is_empty() {
            self.rest.into_iter().for_each(answer);
        }
    }
}

impl Extend<Settlement> for Settled {
    #[inline]
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

    #[inline]
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
    pub(super) call: CallId,
    pub(super) method: &'static str,
    pub(super) attempts: u32,
    /// The worker of the latest attempt, if one was sent.
    pub(super) worker: Option<usize>,
    pub(super) queue_wait_total: f64,
    pub(super) queue_wait_last: f64,
    pub(super) trace: Option<TraceLink>,
}

/// One call, from admission until it settles. The queue holds it boxed
/// ([`QueuedCall`]): it moves between the queue's phases and into its settlement by
/// pointer, not as a few hundred bytes copied at every step.
pub(super) struct Call {
    pub(super) id: CallId,
    pub(super) attempt: u32,
    pub(super) method: &'static str,
    pub(super) key: Option<String>,
    /// The call's frame (envelope and encoded input), kept until the call settles and
    /// posted as it is by each attempt, its numbers written first.
    pub(super) frame: Vec<u8>,
    /// The input's transferred objects; detached once the first attempt is posted.
    pub(super) attachments: Attachments,
    /// Taken when the caller is answered; an in-flight call canceled by its caller
    /// stays in flight without it until its worker settles.
    pub(super) reply: Option<Reply>,
    /// Where this record's calls are answered: `reply` is its executor's end. It stays
    /// with the record when the record is reused.
    pub(super) slot: ReplySlot,
    /// The caller's abort signal and this call's listener on it.
    pub(super) abort: Option<(AbortSignal, ListenerId)>,
    /// The call's deadline; dropping it cancels the timer.
    pub(super) deadline: Option<Timer>,
    pub(super) worker: usize,
    /// When the call was made, in clock ms.
    pub(super) started_at: f64,
    /// When the current attempt entered the queue (admission or requeue), in clock ms.
    pub(super) enqueued_at: f64,
    /// When the current attempt was sent to its worker, in clock ms.
    pub(super) dispatched_at: f64,
    /// Queue time summed over attempts, and of the latest attempt, in ms (for its span).
    pub(super) queue_wait_total: f64,
    pub(super) queue_wait_last: f64,
    /// The trace the call belongs to, if any.
    pub(super) trace: Option<TraceLink>,
    /// Whether the call's span is recorded.
    pub(super) sampled: bool,
    pub(super) on_progress: Option<OnProgress>,
}

/// A call as the queue holds it.
pub(super) type QueuedCall = Box<Call>;

/// Why a call is being canceled.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cancel {
    Aborted,
    TimedOut(std::time::Duration),
}

impl Cancel {
    /// The error a call canceled this way settles with.
    pub(super) fn error(self, task_id: &str, key: Option<String>, phase: CallPhase) -> TaskError {
        match self {
            Cancel::Aborted => TaskError::aborted(task_id, key),
            Cancel::TimedOut(after) => TaskError::timed_out(task_id, key, after, phase),
        }
    }
}

impl Call {
    /// Ends the call and its record: its caller's answer (`None` if the caller is gone).
    #[inline]
    // Taken boxed, as the queue holds it: the record ends here, without being copied
    // out of its box first.
    #[allow(clippy::boxed_local)]
    pub(super) fn settle(mut self: Box<Self>, result: Result<Output, TaskError>) -> Option<Settlement> {
        self.settle_in_place(result)
    }

    /// Ends the call but not its record: its listeners go, and its caller's answer is
    /// returned (`None` if the caller is gone). What the record holds goes when it is
    /// dropped or [vacated](Self::vacate).
    #[inline]
    pub(super) fn settle_in_place(&mut self, result: Result<Output, TaskError>) -> Option<Settlement> {
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

    /// A record holding nothing, to be filled for a call.
    pub(super) fn vacant() -> Self {
        Call {
            id: 0,
            attempt: 0,
            method: "",
            key: None,
            frame: Vec::new(),
            attachments: Vec::new(),
            reply: None,
            slot: ReplySlot::default(),
            abort: None,
            deadline: None,
            worker: 0,
            started_at: 0.0,
            enqueued_at: 0.0,
            dispatched_at: 0.0,
            queue_wait_total: 0.0,
            queue_wait_last: 0.0,
            trace: None,
            sampled: false,
            on_progress: None,
        }
    }

    /// Drops what a settled record still holds (its numbers stay until it is filled
    /// again), leaving it fit to be reused for a new call.
    #[inline]
    pub(super) fn vacate(&mut self) {
        self.stop_listening();
        self.reply = None;
        self.key = None;
        self.frame = Vec::new();
        self.attachments = Vec::new();
        self.trace = None;
        self.on_progress = None;
    }

    #[inline]
    pub(super) fn span_parts(&self) -> Option<Box<SpanParts>> {
        self.sampled.then(|| {
            Box::new(SpanParts {
                call: self.id,
                method: self.method,
                attempts: self.attempt,
                worker: (self.attempt > 0).then_some(self.worker),
                queue_wait_total: self.queue_wait_total,
                queue_wait_last: self.queue_wait_last,
                trace: self.trace.clone(),
            })
        })
    }

    /// Detaches the abort listener and the deadline timer.
    #[inline]
    pub(super) fn stop_listening(&mut self) {
        if let Some((signal, listener)) = self.abort.take() {
            signal.remove_listener(listener);
        }
        self.deadline = None;
    }

    #[inline]
    pub(super) fn caller_gone(&self) -> bool {
        self.reply.as_ref().is_none_or(ReplySender::is_canceled)
    }
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
