//! How frames become `postMessage` messages and back, on both sides of a worker.
//!
//! A message is one of:
//!
//! - a **text frame**: a string of one character (U+0000..U+00FF) per byte, for frames
//!   up to [`TEXT_FRAME_MAX`] bytes. Chromium posts short strings about 1.5× faster
//!   than typed arrays (89k vs 59k messages/s, measured side by side in plain JS), and
//!   most frames (envelopes, small inputs and outputs) are a few dozen bytes;
//! - a **batch**: a string starting with U+00FF, then for each frame its length as
//!   two characters (big-endian) and its bytes, one character per byte. A frame never
//!   starts with byte 0xFF (its first byte is a small enum tag), so the two never mix
//!   up. The [`Outbox`](super::outbox::Outbox) makes batches of the text frames posted
//!   in one turn of the event loop;
//! - a **byte frame**: a `Uint8Array` whose buffer is transferred, for larger frames;
//! - `[frame, ...attachments]`: a text or byte frame with the JS objects it transfers.
//!
//! This module knows nothing of envelopes or calls; it only moves bytes.

use js_sys::{Array, JsString, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::describe;
use crate::protocol::Attachments;

// Strings are built and read in one call each: `String.fromCharCode(...view)` (what
// `JsString::from_char_code` does) is 5-7x slower than `apply` in V8, and reading a
// frame with one `charCodeAt` call from wasm per character costs a boundary crossing
// per byte. (Built-ins only, `Reflect.apply` and `TextEncoder.encodeInto` into wasm
// memory, would spare the workers this snippet's module fetch, but made the round
// trip slower; the fetch did not show in the worker start benchmark.)
#[wasm_bindgen(inline_js = r#"
export function latin1_string(units) {
  return String.fromCharCode.apply(null, units);
}
export function latin1_read(text, out) {
  let seen = 0;
  for (let i = 0; i < out.length; i++) {
    const unit = text.charCodeAt(i);
    seen |= unit;
    out[i] = unit;
  }
  return seen < 256;
}
"#)]
extern "C" {
    /// The string of these code units (at most [`BATCH_MAX`] of them).
    fn latin1_string(units: &[u16]) -> JsString;
    /// Copies one byte per character of `text` into `out` (as long as `text`); false if
    /// a character is above U+00FF.
    fn latin1_read(text: &JsString, out: &mut [u8]) -> bool;
}

#[wasm_bindgen]
extern "C" {
    /// A weak reference: the spare buffer is kept only as long as the garbage
    /// collector has no better use for its memory.
    type WeakRef;
    #[wasm_bindgen(constructor)]
    fn new(target: &JsValue) -> WeakRef;
    #[wasm_bindgen(method)]
    fn deref(this: &WeakRef) -> JsValue;
}

thread_local! {
    /// The buffer of the last large frame received, kept weakly to carry the next large
    /// frame sent: a fresh `ArrayBuffer` is zero-filled page by page as the copy first
    /// touches it, which costs as much as the copy itself; memory the browser handed
    /// out before does not. In a round trip the two sides hand the same buffers back
    /// and forth.
    static SPARE: std::cell::RefCell<Option<WeakRef>> = const { std::cell::RefCell::new(None) };
}

/// A `Uint8Array` holding `frame`: in the spare buffer if it is large enough (taking
/// it), else in a new one. Frames and blocks (see [`codec`](crate::codec)) alike.
pub(crate) fn frame_array(frame: &[u8]) -> Uint8Array {
    let spare = SPARE.with(|spare| spare.borrow_mut().take()).map(|weak| weak.deref());
    let buffer = spare
        .and_then(|buffer| buffer.dyn_into::<js_sys::ArrayBuffer>().ok())
        .filter(|buffer| buffer.byte_length() as usize >= frame.len());
    match buffer {
        Some(buffer) => {
            let view = Uint8Array::new_with_byte_offset_and_length(&buffer, 0, frame.len() as u32);
            view.copy_from(frame);
            view
        }
        None => Uint8Array::from(frame),
    }
}

/// The bytes of a received byte frame; its buffer becomes the spare.
fn received_bytes(bytes: &Uint8Array) -> Vec<u8> {
    let vec = bytes.to_vec();
    keep_spare(bytes);
    vec
}

/// Keeps the buffer of a large array received, to carry the next large one sent.
pub(crate) fn keep_spare(bytes: &Uint8Array) {
    let buffer: JsValue = bytes.buffer().into();
    SPARE.with(|spare| *spare.borrow_mut() = Some(WeakRef::new(&buffer)));
}

/// Frames up to this size travel as text (see the module docs).
pub(crate) const TEXT_FRAME_MAX: usize = 1024;

/// A batch is posted once it holds this many characters (it must stay well below
/// the argument count `String.fromCharCode` accepts).
pub(crate) const BATCH_MAX: usize = 8 * 1024;

/// The first character of a batch.
const BATCH_MARK: u16 = 0xFF;

/// Posts with `post` (either side's `postMessage(message, transfer)`).
pub(crate) type PostFn<'a> = &'a dyn Fn(&JsValue, &Array) -> Result<(), JsValue>;

/// Posts one frame, as text or bytes, with its attachments transferred.
pub(crate) fn post_frame(post: PostFn<'_>, frame: &[u8], attachments: &[JsValue]) -> Result<(), String> {
    let transfer = Array::new();
    let body: JsValue = if frame.len() <= TEXT_FRAME_MAX {
        let units: Vec<u16> = frame.iter().map(|&byte| u16::from(byte)).collect();
        latin1_string(&units).into()
    } else {
        let bytes = frame_array(frame);
        transfer.push(&bytes.buffer());
        bytes.into()
    };
    if attachments.is_empty() {
        return post(&body, &transfer).map_err(describe);
    }
    let message = Array::of1(&body);
    for attachment in attachments {
        message.push(attachment);
        // A typed array (a block of numbers, or a `Transfer` of one) moves its buffer.
        match attachment.dyn_ref::<js_sys::Object>().and_then(typed_array_buffer) {
            Some(buffer) => transfer.push(&buffer),
            None => transfer.push(attachment),
        };
    }
    post(&message, &transfer).map_err(describe)
}

/// The buffer behind a typed array (a view); `None` for anything else.
fn typed_array_buffer(object: &js_sys::Object) -> Option<JsValue> {
    if !js_sys::ArrayBuffer::is_view(object) {
        return None;
    }
    js_sys::Reflect::get(object, &JsValue::from_str("buffer")).ok()
}

/// A batch being filled: the characters of a batch message (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Batch {
    units: Vec<u16>,
    frames: usize,
}

impl Batch {
    /// Adds a text frame (at most [`TEXT_FRAME_MAX`] bytes).
    pub(crate) fn push(&mut self, frame: &[u8]) {
        debug_assert!(frame.len() <= TEXT_FRAME_MAX);
        if self.units.is_empty() {
            self.units.push(BATCH_MARK);
        }
        let len = frame.len() as u16;
        self.units.extend([len >> 8, len & 0xFF]);
        self.units.extend(frame.iter().map(|&byte| u16::from(byte)));
        self.frames += 1;
    }

    /// Whether the batch should be posted now rather than grow further.
    pub(crate) fn is_full(&self) -> bool {
        self.units.len() >= BATCH_MAX
    }

    /// The message to post, emptying the batch: a plain text frame if it holds one
    /// frame, a batch otherwise; `None` if it is empty.
    pub(crate) fn take(&mut self) -> Option<JsValue> {
        let frames = std::mem::take(&mut self.frames);
        let units = std::mem::take(&mut self.units);
        match frames {
            0 => None,
            // Skip the mark and the length: a lone frame travels as a text frame.
            1 => Some(latin1_string(&units[3..]).into()),
            _ => Some(latin1_string(&units).into()),
        }
    }
}

/// Splits a message into its frames and their attachments (see the module docs);
/// `None` if it is none of the shapes.
pub(crate) fn unpack(data: &JsValue) -> Option<Vec<(Vec<u8>, Attachments)>> {
    if let Some(parts) = data.dyn_ref::<Array>() {
        let frame = frame_bytes(&parts.get(0))?;
        return Some(vec![(frame, parts.iter().skip(1).collect())]);
    }
    if let Some(text) = data.dyn_ref::<JsString>() {
        let bytes = latin1_bytes(text)?;
        if bytes.first() == Some(&(BATCH_MARK as u8)) {
            return split_batch(&bytes[1..]);
        }
        return Some(vec![(bytes, Vec::new())]);
    }
    data.dyn_ref::<Uint8Array>()
        .map(|bytes| vec![(received_bytes(bytes), Vec::new())])
}

/// The frames of a batch's body: each a two-byte length and that many bytes.
fn split_batch(mut body: &[u8]) -> Option<Vec<(Vec<u8>, Attachments)>> {
    let mut frames = Vec::new();
    while !body.is_empty() {
        let [hi, lo, rest @ ..] = body else { return None };
        let len = usize::from(*hi) << 8 | usize::from(*lo);
        if rest.len() < len {
            return None;
        }
        frames.push((rest[..len].to_vec(), Vec::new()));
        body = &rest[len..];
    }
    (frames.len() > 1).then_some(frames)
}

/// The bytes of a frame body: text of one character per byte, or a `Uint8Array`.
fn frame_bytes(body: &JsValue) -> Option<Vec<u8>> {
    if let Some(text) = body.dyn_ref::<JsString>() {
        return latin1_bytes(text);
    }
    body.dyn_ref::<Uint8Array>().map(received_bytes)
}

/// One byte per character; `None` if a character is above U+00FF (not a frame).
///
/// Copied code unit by code unit in one call, straight into the returned bytes.
fn latin1_bytes(text: &JsString) -> Option<Vec<u8>> {
    let mut bytes = vec![0; text.length() as usize];
    latin1_read(text, &mut bytes).then_some(bytes)
}
