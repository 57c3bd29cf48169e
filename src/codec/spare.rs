//! Spare frame buffers of this thread: a frame's bytes, once read, are handed back
//! here, and the next frame is written into them instead of a new allocation.
//!
//! A call writes a frame on each side (its input, its reply) and each is read once,
//! so a thread that calls in a loop keeps reusing the same few buffers. The store is
//! bounded in count and in each buffer's size, so it never holds more than
//! [`SPARE`] × [`SPARE_BYTES`] bytes. It owns only those buffers.

use std::cell::RefCell;

/// At most this many buffers are kept.
const SPARE: usize = 8;
/// Buffers larger than this are let go (a large payload's frame is not kept).
const SPARE_BYTES: usize = 4096;

thread_local! {
    static SPARE_FRAMES: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with room for at least `capacity` bytes.
pub(crate) fn frame_buffer(capacity: usize) -> Vec<u8> {
    let mut buffer = SPARE_FRAMES.with_borrow_mut(Vec::pop).unwrap_or_default();
    buffer.reserve(capacity);
    buffer
}

/// Hands a buffer back once its bytes have been read.
pub(crate) fn recycle(mut buffer: Vec<u8>) {
    if buffer.capacity() == 0 || buffer.capacity() > SPARE_BYTES {
        return;
    }
    buffer.clear();
    SPARE_FRAMES.with_borrow_mut(|spare| {
        if spare.len() < SPARE {
            spare.push(buffer);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recycled_buffer_is_reused_empty_and_the_store_stays_bounded() {
        let mut frame = frame_buffer(16);
        frame.extend_from_slice(b"payload");
        let at = frame.as_ptr();
        recycle(frame);
        let again = frame_buffer(8);
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), at, "the same allocation serves the next frame");
        recycle(again);
        recycle(Vec::with_capacity(SPARE_BYTES + 1));
        for _ in 0..2 * SPARE {
            recycle(Vec::with_capacity(64));
        }
        let kept = SPARE_FRAMES.with_borrow(|spare| (spare.len(), spare.iter().map(Vec::capacity).max()));
        assert_eq!(kept.0, SPARE);
        assert!(kept.1.is_some_and(|largest| largest <= SPARE_BYTES));
    }
}
