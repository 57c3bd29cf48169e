//! The shared-memory channel between the page and one worker, used in
//! cross-origin-isolated pages: two single-producer, single-consumer byte rings in one
//! `SharedArrayBuffer`, one per direction, each with a doorbell its reader awaits with
//! `Atomics.waitAsync`.
//!
//! Why: a `postMessage` costs Chromium far more than this crate's own work per call
//! (posting, waking the other thread, dispatching the event). Waking a thread costs
//! about as much with `Atomics.notify` (a CPU profile put 15 % of the page's time in
//! it), so the gain is in not waking at all: a worker that has just served keeps
//! polling its ring for [`SPIN_MS`] (at most [`TURN_MS`] per wake-up, so its event loop
//! keeps turning) before it sleeps, and a writer rings a reader only when it sleeps.
//! The page never polls; its thread must stay free. (Figures: the README's performance
//! section.)
//!
//! Layout of one ring: [`SLOTS`] `i32` header slots, then [`CAPACITY`] data bytes
//! holding [`records`](super::records), wrapping around the end.
//! - `WRITE`, `READ`: bytes written and read since the ring was made (wrapping `u32`).
//!   The writer stores `WRITE` after the bytes are in place, which publishes them; the
//!   reader stores `READ` after it has copied them out, which frees their room.
//! - `BELL`: bumped by the writer after each write; the reader waits on it.
//! - `RECEIVED`: how many frame messages the reader has taken from `postMessage`.
//! - `CLOSED`: the reader has gone away.
//! - `POSTED`: how many frame messages the writer has posted. A polling reader stops
//!   polling when it falls behind it: the message waits for its event loop.
//! - `SLEEPING`: the reader is, or is about to be, waiting on the bell. The writer
//!   bumps the bell and then notifies only if this is set; the reader sets it, then
//!   reads the bell and empties the ring before it waits. All of it `Atomics` (sequentially
//!   consistent), so either the reader sees the write or the writer sees it sleeping.
//!
//! Ordering guarantee: frames arrive in the order they were sent, whichever way each
//! one went. The writer puts a frame in the ring only when the reader has received
//! every frame message posted to it (`RECEIVED` equals the writer's count), and the
//! reader empties the ring before it handles each message; so a message never
//! overtakes a ring frame sent before it, nor a ring frame a message. Frames with
//! transferred objects, frames above [`RING_FRAME_MAX`] and frames that find the ring
//! full travel by `postMessage` (the [`Outbox`](super::outbox::Outbox) decides).
//!
//! This module moves bytes; it does not know what the frames mean, and it does not
//! decide which side makes the buffer (the worker does, see `serve`).

use std::cell::{Cell, OnceCell};
use std::rc::{Rc, Weak};

use js_sys::{Atomics, Function, Int32Array, Promise, Reflect, SharedArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The promise `Atomics.waitAsync` returns, seen only as something to `then`
    /// with a plain JS function (the closure stays owned by the [`Listener`]).
    #[wasm_bindgen(extends = Promise)]
    type Wait;
    #[wasm_bindgen(method)]
    fn then(this: &Wait, on_resolved: &Function) -> JsValue;
}

/// Header slots per ring (`i32`s; seven are used, the last keeps the data aligned).
const SLOTS: u32 = 8;
const WRITE: u32 = 0;
const READ: u32 = 1;
const BELL: u32 = 2;
const RECEIVED: u32 = 3;
const CLOSED: u32 = 4;
const SLEEPING: u32 = 5;
const POSTED: u32 = 6;

/// How long a spinning reader keeps polling after its last frames.
const SPIN_MS: f64 = 0.1;
/// The longest a spinning reader keeps its thread per wake-up before it sleeps and
/// lets its event loop run.
const TURN_MS: f64 = 2.0;

/// What a reader does when its ring is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idle {
    /// Sleeps until the bell rings (the page: its thread must stay free).
    Sleep,
    /// Polls for a moment first (a worker: the next frame usually follows soon, and
    /// a reader that is polling needs no wake-up, which is what costs most).
    Spin,
}

/// Data bytes per ring (a power of two: positions wrap with `%`).
pub(crate) const CAPACITY: u32 = 64 * 1024;
const RING_BYTES: u32 = SLOTS * 4 + CAPACITY;

/// The largest frame that travels through a ring; larger ones are posted.
pub(crate) const RING_FRAME_MAX: usize = 16 * 1024;

/// Which way a ring carries frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    ToWorker,
    ToPage,
}

/// Whether this thread can use a shared-memory channel: it is cross-origin isolated
/// (otherwise a `SharedArrayBuffer` cannot be posted) and has `Atomics.waitAsync`
/// (Chromium 87 and Safari 16.4 on; where it is missing, every frame is posted).
pub(crate) fn available() -> bool {
    let global = js_sys::global();
    let isolated = Reflect::get(&global, &JsValue::from_str("crossOriginIsolated"))
        .map(|v| v.is_truthy())
        .unwrap_or(false);
    let wait_async = Reflect::get(&global, &JsValue::from_str("Atomics"))
        .and_then(|atomics| Reflect::get(&atomics, &JsValue::from_str("waitAsync")))
        .map(|f| f.is_function())
        .unwrap_or(false);
    isolated && wait_async
}

/// A new channel: the buffer holding both rings, to post to the other side.
pub(crate) fn new_channel() -> SharedArrayBuffer {
    SharedArrayBuffer::new(2 * RING_BYTES)
}

/// One direction of a channel.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    header: Int32Array,
    data: Uint8Array,
}

impl Ring {
    /// The ring for `direction` in `channel`; `None` if `channel` is not a channel's
    /// buffer.
    pub(crate) fn open(channel: &JsValue, direction: Direction) -> Option<Self> {
        let buffer = channel.dyn_ref::<SharedArrayBuffer>()?;
        if buffer.byte_length() != 2 * RING_BYTES {
            return None;
        }
        let start = match direction {
            Direction::ToWorker => 0,
            Direction::ToPage => RING_BYTES,
        };
        Some(Self {
            header: Int32Array::new_with_byte_offset_and_length(buffer, start, SLOTS),
            data: Uint8Array::new_with_byte_offset_and_length(buffer, start + SLOTS * 4, CAPACITY),
        })
    }

    fn load(&self, slot: u32) -> u32 {
        Atomics::load(&self.header, slot).unwrap_or(0) as u32
    }

    fn store(&self, slot: u32, value: u32) {
        let _ = Atomics::store(&self.header, slot, value as i32);
    }

    /// Writer side: whether frames may go through the ring now, that is, the reader
    /// has received all `posted` frame messages (see the module docs).
    pub(crate) fn caught_up(&self, posted: u32) -> bool {
        self.load(RECEIVED) == posted && self.load(CLOSED) == 0
    }

    /// Writer side: records that `posted` frame messages have been posted in all.
    pub(crate) fn set_posted(&self, posted: u32) {
        self.store(POSTED, posted);
    }

    /// Writer side: puts `records` in the ring and rings the bell; false (and nothing
    /// written) if they do not fit.
    pub(crate) fn write(&self, records: &[u8]) -> bool {
        let write = self.load(WRITE);
        // More unread bytes than the ring holds means the other side wrote nonsense
        // into the header: the ring cannot be trusted, so nothing goes through it.
        let Some(free) = free_space(write, self.load(READ)) else {
            return false;
        };
        if records.len() > free as usize {
            return false;
        }
        let at = write % CAPACITY;
        let first = records.len().min((CAPACITY - at) as usize);
        self.data.subarray(at, at + first as u32).copy_from(&records[..first]);
        if first < records.len() {
            let rest = &records[first..];
            self.data.subarray(0, rest.len() as u32).copy_from(rest);
        }
        self.store(WRITE, write.wrapping_add(records.len() as u32));
        self.ring_bell();
        true
    }

    /// Bumps the bell, and wakes the reader if it sleeps.
    fn ring_bell(&self) {
        let _ = Atomics::add(&self.header, BELL, 1);
        if self.load(SLEEPING) != 0 {
            let _ = Atomics::notify(&self.header, BELL);
        }
    }

    fn has_data(&self) -> bool {
        self.load(WRITE) != self.load(READ)
    }

    /// Reader side: the records written since the last take, freeing their room.
    fn take(&self) -> Vec<u8> {
        let read = self.load(READ);
        let len = self.load(WRITE).wrapping_sub(read).min(CAPACITY) as usize;
        if len == 0 {
            return Vec::new();
        }
        let mut records = vec![0; len];
        let at = read % CAPACITY;
        let first = len.min((CAPACITY - at) as usize);
        self.data.subarray(at, at + first as u32).copy_to(&mut records[..first]);
        if first < len {
            self.data
                .subarray(0, (len - first) as u32)
                .copy_to(&mut records[first..]);
        }
        self.store(READ, read.wrapping_add(len as u32));
        records
    }
}

/// The room left in a ring whose writer has written `write` bytes and whose reader
/// has read `read` (both wrapping counts); `None` if that is not a state a ring can be
/// in (a read index ahead of the write index, or behind it by more than the ring).
fn free_space(write: u32, read: u32) -> Option<u32> {
    CAPACITY.checked_sub(write.wrapping_sub(read))
}

/// Reader side: hears one ring's bell and hands over what was written, until closed.
///
/// Dropping it closes the ring: the writer stops using it and the pending wait ends.
pub(crate) struct Listener {
    inner: Rc<ListenerInner>,
    /// Called when the bell rings; `None` only while dropping.
    wake: Option<Closure<dyn FnMut(JsValue)>>,
}

/// Takes the records of one take.
type Deliver = Box<dyn Fn(&[u8])>;

struct ListenerInner {
    ring: Ring,
    idle: Idle,
    /// Gets the records of each take.
    deliver: Deliver,
    /// Frame messages received by `postMessage` (mirrored in the ring's `RECEIVED`).
    received: Cell<u32>,
    /// The JS function of [`Listener::wake`], to re-arm the wait with.
    wake: OnceCell<Function>,
}

impl Listener {
    /// Listens on `ring`, handing each take's records to `deliver` (from the event
    /// loop, or from [`Listener::take_now`]). `received` is how many frame messages
    /// the reader had received by `postMessage` before the ring existed.
    pub(crate) fn start(ring: Ring, received: u32, idle: Idle, deliver: impl Fn(&[u8]) + 'static) -> Self {
        ring.store(RECEIVED, received);
        ring.store(SLEEPING, 1);
        let inner = Rc::new(ListenerInner {
            ring,
            idle,
            deliver: Box::new(deliver),
            received: Cell::new(received),
            wake: OnceCell::new(),
        });
        let weak: Weak<ListenerInner> = Rc::downgrade(&inner);
        let wake = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.listen();
            }
        });
        let _ = inner.wake.set(wake.as_ref().unchecked_ref::<Function>().clone());
        inner.listen();
        Self {
            inner,
            wake: Some(wake),
        }
    }

    /// Hands over what the ring holds now. Call it before handling a message from the
    /// other side, so that the frames written before that message come first.
    pub(crate) fn take_now(&self) {
        self.inner.take();
    }

    /// Counts a frame message received by `postMessage`. Call it before handing the
    /// message's frames on: a handler that panics on one ends the worker's turn there,
    /// and the message was received all the same.
    pub(crate) fn received_message(&self) {
        let received = self.inner.received.get().wrapping_add(1);
        self.inner.received.set(received);
        self.inner.ring.store(RECEIVED, received);
    }

    /// Stops listening: nothing more is delivered, and the writer stops using the ring.
    pub(crate) fn close(&self) {
        let ring = &self.inner.ring;
        ring.store(CLOSED, 1);
        // Ends the pending wait, whose wake-up then finds the ring closed.
        let _ = Atomics::add(&ring.header, BELL, 1);
        let _ = Atomics::notify(&ring.header, BELL);
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.close();
        // The wait still pending holds the wake function: hand the closure to the JS
        // garbage collector, which frees it once the wait has ended (its wake-up then
        // finds the listener gone and does nothing).
        if let Some(wake) = self.wake.take() {
            drop(wake.into_js_value());
        }
    }
}

impl ListenerInner {
    fn closed(&self) -> bool {
        self.ring.load(CLOSED) != 0
    }

    /// Delivers what the ring holds; false if it held nothing.
    fn take(&self) -> bool {
        if self.closed() {
            return false;
        }
        let records = self.ring.take();
        if records.is_empty() {
            return false;
        }
        (self.deliver)(&records);
        true
    }

    /// Takes what is there (polling for more a while, if it spins), then sleeps until
    /// the bell rings; again at once if it rang meanwhile.
    fn listen(&self) {
        let Some(wake) = self.wake.get() else { return };
        let now = || crate::platform::Platform::Browser.now_ms();
        let woke = now();
        while !self.closed() {
            if self.idle == Idle::Spin {
                self.ring.store(SLEEPING, 0);
                self.take();
                let mut last = now();
                loop {
                    let t = now();
                    // A message posted meanwhile waits for the event loop: sleep.
                    let behind = self.ring.load(POSTED) != self.received.get();
                    if t - last > SPIN_MS || t - woke > TURN_MS || behind || self.closed() {
                        break;
                    }
                    if self.ring.has_data() {
                        self.take();
                        last = now();
                    }
                }
                // From here the writer rings for real: what it wrote before it saw
                // this is taken below, what it writes after wakes the wait.
                self.ring.store(SLEEPING, 1);
            }
            let seen = self.ring.load(BELL) as i32;
            if self.take() && self.idle == Idle::Spin && now() - woke <= TURN_MS {
                continue;
            }
            let Ok(wait) = Atomics::wait_async(&self.ring.header, BELL, seen) else {
                return;
            };
            let pending = Reflect::get(&wait, &JsValue::from_str("value"))
                .ok()
                .and_then(|value| value.dyn_into::<Promise>().ok())
                .map(JsCast::unchecked_into::<Wait>);
            if let Some(pending) = pending {
                // The handler's result is another promise, which nobody awaits.
                let _ = pending.then(wake);
                return;
            }
            // "not-equal": the bell rang since `seen`; take again.
        }
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    fn the_room_left_is_counted_across_wrapping_and_an_impossible_state_is_none() {
        assert_eq!(free_space(100, 100), Some(CAPACITY));
        assert_eq!(free_space(100, 40), Some(CAPACITY - 60));
        assert_eq!(free_space(5, u32::MAX - 10), Some(CAPACITY - 16), "the counts wrapped");
        assert_eq!(free_space(40, 100), None, "read ahead of write");
        assert_eq!(free_space(CAPACITY + 1, 0), None, "behind by more than the ring");
    }

    #[wasm_bindgen_test]
    fn a_ring_whose_read_index_is_corrupt_takes_no_write() {
        let buffer: JsValue = new_channel().into();
        let ring = Ring::open(&buffer, Direction::ToWorker).unwrap();
        assert!(ring.write(&[1, 2, 3]), "a sound ring takes a write");
        ring.store(READ, 1_000);
        assert!(
            !ring.write(&[4, 5, 6]),
            "nothing goes through a ring that cannot be trusted"
        );
    }
}
