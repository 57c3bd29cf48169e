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
//! Guarantees: frames leave in the order they were sent, batched or not (a frame with
//! attachments or too big for text first flushes what is held, then goes on its own);
//! after [`Outbox::close`] nothing more is posted. The outbox does not know what the
//! frames mean.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::wire::{Batch, TEXT_FRAME_MAX, post_frame};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &JsValue);
}

/// Posts one message: either side's `postMessage(message, transfer)`.
type Post = Box<dyn Fn(&JsValue, &Array) -> Result<(), JsValue>>;

/// Frames waiting for the end of this turn, and how to post them.
pub(crate) struct Outbox {
    inner: Rc<Inner>,
    /// Queued as a microtask to flush at the end of a turn: made once, not per turn.
    /// `None` only while dropping.
    end_of_turn: Option<Closure<dyn FnMut()>>,
}

struct Inner {
    post: Post,
    batch: RefCell<Batch>,
    /// A flush is queued as a microtask.
    scheduled: Cell<bool>,
    /// Inside [`Outbox::hold_while`]: its end flushes, no microtask is needed.
    held: Cell<bool>,
    closed: Cell<bool>,
}

impl Outbox {
    pub(crate) fn new(post: impl Fn(&JsValue, &Array) -> Result<(), JsValue> + 'static) -> Self {
        let inner = Rc::new(Inner {
            post: Box::new(post),
            batch: RefCell::default(),
            scheduled: Cell::new(false),
            held: Cell::new(false),
            closed: Cell::new(false),
        });
        let weak: Weak<Inner> = Rc::downgrade(&inner);
        let end_of_turn = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.scheduled.set(false);
                inner.flush();
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
        if !attachments.is_empty() || frame.len() > TEXT_FRAME_MAX {
            inner.flush();
            return post_frame(&*inner.post, frame, attachments);
        }
        let full = {
            let mut batch = inner.batch.borrow_mut();
            batch.push(frame);
            batch.is_full()
        };
        if full {
            inner.flush();
        } else if !inner.held.get()
            && !inner.scheduled.replace(true)
            && let Some(end_of_turn) = &self.end_of_turn
        {
            queue_microtask(end_of_turn.as_ref());
        }
        Ok(())
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
        let nested = self.inner.held.replace(true);
        f();
        if !nested {
            self.inner.held.set(false);
            self.inner.flush();
        }
    }

    /// Drops what is held and posts nothing more.
    pub(crate) fn close(&self) {
        self.inner.closed.set(true);
        drop(self.inner.batch.take());
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
        // `try_`: a flush from a panic hook may interrupt a `send` holding the batch;
        // the batch is then mid-change and stays unsent.
        let Some(message) = self.batch.try_borrow_mut().ok().and_then(|mut batch| batch.take()) else {
            return;
        };
        if self.closed.get() {
            return;
        }
        // Posting a string needs no transfer and cannot be refused; should the browser
        // throw anyway, say so where a developer looks.
        if let Err(e) = (self.post)(&message, &Array::new()) {
            let text = format!("leptos_atelier: could not post frames: {e:?}");
            web_sys::console::error_1(&JsValue::from_str(&text));
        }
    }
}
