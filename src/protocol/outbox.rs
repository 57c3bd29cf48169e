//! One side's outgoing frames to the other: text frames posted in one turn of the
//! event loop leave together, as one batch message.
//!
//! Chromium's cost per message (posting, waking the other thread, dispatching the
//! event) dwarfs this crate's cost per call, so with many calls in flight the runtime
//! and the workers send one message per turn instead of one per frame. A frame is
//! held only until the microtasks of the turn that sent it run (no timer): a lone
//! call leaves in the same turn. (Sending the first frame of a turn at once and
//! batching the rest was tried: it breaks the batches up again, and throughput with
//! 16 calls in flight fell from 1.6× raw `postMessage` back to 0.5×.)
//!
//! With a shared-memory [`Ring`] attached ([`Outbox::attach`]), what a turn sends is
//! written to the ring instead, as one write with one doorbell, whenever the ring may
//! be used and has room (see [`ring`](super::ring) for when that is); otherwise, and for
//! frames with attachments or too big for the ring, it is posted as before.
//!
//! Guarantees: frames leave in the order they were sent, batched or not (a frame with
//! attachments or too big to hold first flushes what is held, then goes on its own);
//! after [`Outbox::close`] nothing more is posted. A frame that cannot be posted later
//! than [`Outbox::send`] returns (held, then refused by the browser) is not lost in
//! silence: the outbox's `on_failure` hears of it at the end of the turn, outside
//! whatever code was sending, so that its side can give up on the other (the page
//! takes the worker as crashed; a worker reports itself crashed). The outbox does not
//! know what the frames mean.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::records;
use super::ring::{RING_FRAME_MAX, Ring};
use super::wire::{BATCH_MAX, Batch, TEXT_FRAME_MAX, post_frame};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &JsValue);
}

/// Posts one message: either side's `postMessage(message, transfer)`.
type Post = Box<dyn Fn(&JsValue, &Array) -> Result<(), JsValue>>;

/// Hears that frames already accepted could not be posted, and why.
type OnFailure = Box<dyn Fn(String)>;

/// Frames waiting for the end of this turn, and how to post them.
pub(crate) struct Outbox {
    inner: Rc<Inner>,
    /// Queued as a microtask to flush at the end of a turn: made once, not per turn.
    /// `None` only while dropping.
    end_of_turn: Option<Closure<dyn FnMut()>>,
}

struct Inner {
    post: Post,
    on_failure: OnFailure,
    /// The first posting failure of this turn, reported when the turn's sending ends.
    failure: RefCell<Option<String>>,
    /// The frames held, as [`records`].
    held: RefCell<Vec<u8>>,
    /// A flush is queued as a microtask.
    scheduled: Cell<bool>,
    /// Inside [`Outbox::hold_while`]: its end flushes, no microtask is needed.
    holding: Cell<bool>,
    closed: Cell<bool>,
    /// Frame messages posted so far (the ring's readers count what they received).
    posted: Cell<u32>,
    ring: OnceCell<Ring>,
}

impl Outbox {
    /// An outbox that posts with `post`, and tells `on_failure` about frames it
    /// accepted and then could not post (see the module docs).
    pub(crate) fn new(
        post: impl Fn(&JsValue, &Array) -> Result<(), JsValue> + 'static,
        on_failure: impl Fn(String) + 'static,
    ) -> Self {
        let inner = Rc::new(Inner {
            post: Box::new(post),
            on_failure: Box::new(on_failure),
            failure: RefCell::default(),
            held: RefCell::default(),
            scheduled: Cell::new(false),
            holding: Cell::new(false),
            closed: Cell::new(false),
            posted: Cell::new(0),
            ring: OnceCell::new(),
        });
        let weak: Weak<Inner> = Rc::downgrade(&inner);
        let end_of_turn = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.scheduled.set(false);
                inner.flush();
                inner.report_failure();
            }
        });
        Self {
            inner,
            end_of_turn: Some(end_of_turn),
        }
    }

    /// Sends a frame and transfers its attachments. A small frame without attachments
    /// is held until the end of this turn, or of the enclosing [`Outbox::hold_while`]
    /// (or until enough are held), and cannot fail
    /// here; any other frame is posted now, after those held, and its error (an object
    /// the browser refuses to transfer, say) is returned.
    pub(crate) fn send(&self, frame: &[u8], attachments: &[JsValue]) -> Result<(), String> {
        let inner = &self.inner;
        if inner.closed.get() {
            return Ok(());
        }
        let holdable = if inner.ring.get().is_some() {
            RING_FRAME_MAX
        } else {
            TEXT_FRAME_MAX
        };
        if !attachments.is_empty() || frame.len() > holdable {
            inner.flush();
            self.report_failure_later();
            return inner.post_one(frame, attachments);
        }
        let full = {
            let mut held = inner.held.borrow_mut();
            records::push(&mut held, frame);
            held.len() >= BATCH_MAX
        };
        if full {
            inner.flush();
            self.report_failure_later();
        } else {
            self.end_turn_later();
        }
        Ok(())
    }

    /// Makes sure the end of this turn flushes (and reports), unless a
    /// [`hold_while`](Self::hold_while) will.
    fn end_turn_later(&self) {
        let inner = &self.inner;
        if !inner.holding.get()
            && !inner.scheduled.replace(true)
            && let Some(end_of_turn) = &self.end_of_turn
        {
            queue_microtask(end_of_turn.as_ref());
        }
    }

    /// A flush during `send` failed: report it at the end of the turn, never inside
    /// the caller's code.
    fn report_failure_later(&self) {
        if self.inner.failure.borrow().is_some() {
            self.end_turn_later();
        }
    }

    /// Posts what is held now, instead of at the end of the turn. Safe to call from a
    /// panic hook: it never panics itself.
    pub(crate) fn flush(&self) {
        self.inner.flush();
    }

    /// Runs `f`, then posts what it sent (with anything held before) as one message,
    /// instead of queueing a microtask for it. For code that knows where its turn's
    /// sending ends, such as a worker's message handler.
    pub(crate) fn hold_while(&self, f: impl FnOnce()) {
        let nested = self.inner.holding.replace(true);
        f();
        if !nested {
            self.inner.holding.set(false);
            self.inner.flush();
            self.inner.report_failure();
        }
    }

    /// From now on, writes what it can to `ring` instead of posting it (see the
    /// module docs). A second ring is ignored.
    pub(crate) fn attach(&self, ring: Ring) {
        ring.set_posted(self.inner.posted.get());
        let _ = self.inner.ring.set(ring);
    }

    /// Drops what is held and posts nothing more.
    pub(crate) fn close(&self) {
        self.inner.closed.set(true);
        drop(self.inner.held.take());
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        // A microtask still queued would call a freed closure: hand the closure to the
        // JS garbage collector instead, which frees it once the microtask has run (it
        // then finds its weak reference dead and does nothing).
        if let Some(end_of_turn) = self.end_of_turn.take()
            && self.inner.scheduled.get()
        {
            drop(end_of_turn.into_js_value());
        }
    }
}

impl Inner {
    fn flush(&self) {
        // `try_`: a flush from a panic hook may interrupt a `send` holding the frames;
        // they are then mid-change and stay unsent.
        let Some(records) = self
            .held
            .try_borrow_mut()
            .ok()
            .map(|mut held| std::mem::take(&mut *held))
        else {
            return;
        };
        if records.is_empty() || self.closed.get() {
            return;
        }
        if let Some(ring) = self.ring.get()
            && ring.caught_up(self.posted.get())
            && ring.write(&records)
        {
            return;
        }
        self.post_records(&records);
    }

    /// Posts held frames: text frames together as batches, larger ones on their own.
    fn post_records(&self, records: &[u8]) {
        let Some(frames) = records::split(records) else {
            return;
        };
        let mut batch = Batch::default();
        for frame in frames {
            if frame.len() > TEXT_FRAME_MAX {
                self.post_batch(&mut batch);
                if let Err(e) = self.post_one(frame, &[]) {
                    self.failed(&e);
                }
                continue;
            }
            batch.push(frame);
            if batch.is_full() {
                self.post_batch(&mut batch);
            }
        }
        self.post_batch(&mut batch);
    }

    fn post_batch(&self, batch: &mut Batch) {
        let Some(message) = batch.take() else { return };
        // Posting a string needs no transfer and is not expected to be refused; should
        // the browser throw anyway, the other side will never see these frames.
        match (self.post)(&message, &Array::new()) {
            Ok(()) => self.count_posted(),
            Err(e) => self.failed(&super::describe(e)),
        }
    }

    /// Remembers the first failure to post, for [`report_failure`](Self::report_failure).
    fn failed(&self, error: &str) {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(format!("could not post frames: {error}"));
        }
    }

    /// Tells `on_failure` of the turn's posting failure, if there was one.
    fn report_failure(&self) {
        let failure = self.failure.borrow_mut().take();
        if let Some(failure) = failure {
            (self.on_failure)(failure);
        }
    }

    /// Posts one frame message on its own.
    fn post_one(&self, frame: &[u8], attachments: &[JsValue]) -> Result<(), String> {
        post_frame(&*self.post, frame, attachments)?;
        self.count_posted();
        Ok(())
    }

    /// Counts a posted message, where the other side's reader can see it.
    fn count_posted(&self) {
        let posted = self.posted.get().wrapping_add(1);
        self.posted.set(posted);
        if let Some(ring) = self.ring.get() {
            ring.set_posted(posted);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::Outbox;

    /// An outbox whose every post the browser refuses, and the failures it reports.
    fn refusing() -> (Outbox, Rc<RefCell<Vec<String>>>) {
        let failures = Rc::new(RefCell::new(Vec::new()));
        let log = failures.clone();
        let outbox = Outbox::new(
            |_, _| Err(JsValue::from_str("refused")),
            move |failure| log.borrow_mut().push(failure),
        );
        (outbox, failures)
    }

    /// Lets the microtasks queued so far run.
    async fn end_of_turn() {
        let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL)).await;
    }

    #[wasm_bindgen_test]
    async fn held_frames_that_cannot_be_posted_are_reported_at_the_end_of_the_turn() {
        let (outbox, failures) = refusing();
        assert_eq!(outbox.send(&[1, 2, 3], &[]), Ok(()), "held: nothing fails yet");
        assert!(failures.borrow().is_empty(), "never inside the sender's code");
        end_of_turn().await;
        assert_eq!(*failures.borrow(), ["could not post frames: refused"]);
    }

    #[wasm_bindgen_test]
    fn frames_held_while_serving_are_reported_when_serving_ends() {
        let (outbox, failures) = refusing();
        outbox.hold_while(|| {
            let _ = outbox.send(&[1], &[]);
            let _ = outbox.send(&[2], &[]);
            assert!(failures.borrow().is_empty());
        });
        assert_eq!(failures.borrow().len(), 1, "one report for the turn");
    }
}
