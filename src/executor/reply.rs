//! The answer to one call: a slot the executor fills once and the caller's future
//! reads. Single-threaded (`Rc` and cells, no atomics). A call record keeps its slot
//! ([`ReplySlot`]) and opens it again for its next call once both ends of the last are
//! gone, so a call allocates none.
//!
//! The executor keeps the [`ReplySender`] with the call and sends through it once the
//! call settles; the caller's [`TaskCall`](crate::TaskCall) polls the [`ReplyReceiver`].
//! Either side may go first: a sender dropped unsent tells the receiver it is gone, and
//! a receiver dropped unread makes [`ReplySender::is_canceled`] true.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::call::Output;
use crate::error::TaskError;

/// What a call settles with.
pub(crate) type Answer = Result<Output, TaskError>;

#[derive(Default)]
struct Slot {
    answer: RefCell<Option<Answer>>,
    waker: RefCell<Option<Waker>>,
    sender_gone: Cell<bool>,
    receiver_gone: Cell<bool>,
}

/// A slot for one call's answer, and its two ends.
pub(crate) fn reply_slot() -> (ReplySender, ReplyReceiver) {
    ReplySlot::default().open()
}

/// A call record's answer slot, which serves the record's calls one after another.
#[derive(Default)]
pub(crate) struct ReplySlot {
    slot: Rc<Slot>,
}

impl ReplySlot {
    /// The two ends of a new call's answer: on this slot, emptied, when nothing but the
    /// record holds it any more (both ends of its last call are gone); otherwise on a
    /// new slot, which the record keeps from then on.
    pub(crate) fn open(&mut self) -> (ReplySender, ReplyReceiver) {
        match Rc::get_mut(&mut self.slot) {
            Some(slot) => *slot = Slot::default(),
            None => self.slot = Rc::default(),
        }
        (
            ReplySender {
                slot: self.slot.clone(),
            },
            ReplyReceiver {
                slot: self.slot.clone(),
            },
        )
    }
}

/// The executor's end: answers once.
pub(crate) struct ReplySender {
    slot: Rc<Slot>,
}

impl ReplySender {
    /// Hands the answer to the caller; gives it back if the caller is gone.
    pub(crate) fn send(self, answer: Answer) -> Result<(), Answer> {
        if self.slot.receiver_gone.get() {
            return Err(answer);
        }
        *self.slot.answer.borrow_mut() = Some(answer);
        // The drop that follows wakes the caller.
        Ok(())
    }

    /// Whether the caller dropped its end: nobody wants the answer.
    pub(crate) fn is_canceled(&self) -> bool {
        self.slot.receiver_gone.get()
    }
}

impl Drop for ReplySender {
    fn drop(&mut self) {
        self.slot.sender_gone.set(true);
        let waker = self.slot.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The caller's end: resolves with the answer, or `Err(())` if the executor dropped
/// the call unanswered (only when the runtime itself is gone).
pub(crate) struct ReplyReceiver {
    slot: Rc<Slot>,
}

impl Future for ReplyReceiver {
    type Output = Result<Answer, ()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(answer) = self.slot.answer.borrow_mut().take() {
            return Poll::Ready(Ok(answer));
        }
        if self.slot.sender_gone.get() {
            return Poll::Ready(Err(()));
        }
        let mut waker = self.slot.waker.borrow_mut();
        match waker.as_mut() {
            Some(known) => known.clone_from(cx.waker()),
            None => *waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for ReplyReceiver {
    fn drop(&mut self) {
        self.slot.receiver_gone.set(true);
        // An answer nobody will read goes now, not when the sender's end goes.
        drop(self.slot.answer.borrow_mut().take());
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    fn output() -> Output {
        Output {
            frame: vec![1, 2, 3],
            start: 1,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn the_answer_reaches_the_receiver_once() {
        let (sender, mut receiver) = reply_slot();
        assert!((&mut receiver).now_or_never().is_none());
        assert!(sender.send(Ok(output())).is_ok());
        let answer = receiver.now_or_never().expect("ready").expect("sent");
        assert_eq!(answer.map(|o| o.bytes().to_vec()), Ok(vec![2, 3]));
    }

    #[test]
    fn a_sender_dropped_unsent_ends_the_wait() {
        let (sender, receiver) = reply_slot();
        drop(sender);
        assert_eq!(receiver.now_or_never().map(|r| r.is_err()), Some(true));
    }

    #[test]
    fn a_record_reuses_its_slot_only_once_both_ends_of_the_last_call_are_gone() {
        let mut record = ReplySlot::default();
        let (sender, receiver) = record.open();
        let first = Rc::as_ptr(&sender.slot);
        assert!(sender.send(Ok(output())).is_ok());
        // The caller has not read its answer yet: the next call gets a slot of its own.
        let (second_sender, second_receiver) = record.open();
        assert_ne!(Rc::as_ptr(&second_sender.slot), first);
        assert_eq!(
            receiver.now_or_never().map(|r| r.map(|a| a.is_ok())),
            Some(Ok(true)),
            "the first answer is intact"
        );
        let second = Rc::as_ptr(&second_sender.slot);
        drop(second_sender);
        drop(second_receiver);
        // Both ends gone: the same slot serves again, empty and with no end gone.
        let (sender, mut receiver) = record.open();
        assert_eq!(Rc::as_ptr(&sender.slot), second);
        assert!(!sender.is_canceled());
        assert!(
            (&mut receiver).now_or_never().is_none(),
            "no answer left over, not ended"
        );
        assert!(sender.send(Ok(output())).is_ok());
        assert!(receiver.now_or_never().is_some_and(|r| r.is_ok()));
    }

    #[test]
    fn a_dropped_receiver_cancels_and_refuses_the_answer() {
        let (sender, receiver) = reply_slot();
        assert!(!sender.is_canceled());
        drop(receiver);
        assert!(sender.is_canceled());
        assert!(sender.send(Err(TaskError::Disposed { task_id: "t".into() })).is_err());
    }
}
