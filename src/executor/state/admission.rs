//! Admission: a new call is refused (disposed, halted, already aborted, a zero
//! deadline), or becomes a [`Call`] record with its abort listener and deadline timer
//! and enters the queue under the task's policy.
//!
//! Runs inside a transition; it returns the calls it settled and never answers a
//! caller itself.

use super::super::call::{Call, Cancel, Settled, Settlement, SpanParts, Submission};
use super::super::reply::{ReplyReceiver, reply_slot};
use super::State;
use super::cancel::cancel_later;
use crate::abort::AbortSignal;
use crate::codec::CallId;
use crate::error::TaskError;
use crate::queue::{Admission, CallPhase};

impl State {
    /// Admits a call and dispatches whatever can run now; the call's id, unless it was
    /// refused before admission, and the end its answer arrives at.
    ///
    /// The submission's fields are taken out where they lie (the caller's), not copied
    /// in as one struct of some 150 bytes.
    #[inline]
    pub(in crate::executor) fn admit(
        &mut self,
        submission: &mut Submission,
    ) -> (Settled, Option<CallId>, ReplyReceiver) {
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
        let (method, key, timeout) = (*method, key.take(), *timeout);
        let (frame, attachments) = (std::mem::take(frame), std::mem::take(attachments));
        let (signal, trace, on_progress) = (signal.take(), trace.take(), on_progress.take());
        let now = self.platform.now_ms();
        let timeout = timeout.or(self.config.timeout);
        let refusal = if self.disposed {
            Some((TaskError::disposed(&self.task_id), None))
        } else if let Some(halt) = &self.halted {
            Some((halt.clone(), None))
        } else if signal.as_ref().is_some_and(AbortSignal::is_aborted) {
            let error = Cancel::Aborted.error(&self.task_id, key.clone(), CallPhase::Waiting);
            Some((error, Some(now)))
        } else {
            timeout.filter(|after| after.is_zero()).map(|after| {
                let error = Cancel::TimedOut(after).error(&self.task_id, key.clone(), CallPhase::Waiting);
                (error, Some(now))
            })
        };
        // Calls refused before admission have no id, unless they count (and so have a span).
        if let Some((error, None)) = refusal {
            let (reply, receiver) = reply_slot();
            let settled = Settled::one(Settlement {
                reply,
                result: Err(error),
                started_at: None,
                span: None,
            });
            return (settled, None, receiver);
        }
        let id = self.next_call;
        self.next_call += 1;
        let sampled = match &trace {
            Some(trace) => self.spans.enabled && trace.sampled(),
            None => self.spans.samples(format_args!("{}/{id}", self.task_id)),
        };
        if let Some((error, started_at)) = refusal {
            let (reply, receiver) = reply_slot();
            let settled = Settled::one(Settlement {
                reply,
                result: Err(error),
                started_at,
                span: sampled.then(|| {
                    Box::new(SpanParts {
                        call: id,
                        method,
                        attempts: 0,
                        worker: None,
                        queue_wait_total: 0.0,
                        queue_wait_last: 0.0,
                        trace,
                    })
                }),
            });
            return (settled, Some(id), receiver);
        }
        let abort = signal.map(|signal| {
            let executor = self.me.clone();
            let listener = signal.on_abort(move || cancel_later(&executor, id, Cancel::Aborted));
            (signal, listener)
        });
        let deadline = timeout.map(|after| {
            let executor = self.me.clone();
            self.platform
                .set_timer(after, move || cancel_later(&executor, id, Cancel::TimedOut(after)))
        });
        // A spare record is filled where it lies, field by field, rather than built
        // and copied in (232 bytes); the pattern names every field, so none is missed.
        let mut record = self.spare_calls.take().unwrap_or_else(|| Box::new(Call::vacant()));
        let Call {
            id: record_id,
            attempt: record_attempt,
            method: record_method,
            key: record_key,
            frame: record_frame,
            attachments: record_attachments,
            reply: record_reply,
            slot: record_slot,
            abort: record_abort,
            deadline: record_deadline,
            worker: record_worker,
            started_at: record_started_at,
            enqueued_at: record_enqueued_at,
            dispatched_at: record_dispatched_at,
            queue_wait_total: record_queue_wait_total,
            queue_wait_last: record_queue_wait_last,
            trace: record_trace,
            sampled: record_sampled,
            on_progress: record_on_progress,
        } = &mut *record;
        (*record_id, *record_attempt, *record_method, *record_key) = (id, 0, method, key);
        (*record_frame, *record_attachments) = (frame, attachments);
        let (reply, receiver) = record_slot.open();
        (*record_reply, *record_abort, *record_deadline) = (Some(reply), abort, deadline);
        (*record_worker, *record_started_at, *record_enqueued_at) = (0, now, now);
        (*record_dispatched_at, *record_queue_wait_total, *record_queue_wait_last) = (0.0, 0.0, 0.0);
        (*record_trace, *record_sampled, *record_on_progress) = (trace, sampled, on_progress);
        let admission = self.queue.admit(record);
        let mut settled = Settled::default();
        match admission {
            Admission::Accepted => {}
            Admission::Refused(call) | Admission::Evicted(call) => {
                let error = TaskError::queue_full(&self.task_id, self.config.queue.policy);
                settled.extend(call.settle(Err(error)));
            }
        }
        self.pump(&mut settled);
        (settled, Some(id), receiver)
    }
}
