//! [`Transfer<T>`]: JS objects that cross to or from a worker by transfer, not by copy.
//!
//! A payload is bytes (see [`codec`](crate::codec)), and bytes cross the boundary in a
//! transferred buffer already. Some things are not bytes: an `ArrayBuffer` that JS code already holds,
//! an `ImageBitmap`, an `OffscreenCanvas`, a `MessagePort`. Put such a value in a
//! [`Transfer`] anywhere inside a method's input or output: while the payload is
//! encoded, each `Transfer` leaves its object in a side list and writes only its
//! position; the list travels in the same `postMessage`, as its transfer list; on the
//! other side decoding puts each object back in place.
//!
//! This module owns that side list (a thread-local that exists only while the runtime
//! encodes or decodes a payload) and nothing else. A `Transfer` encoded or decoded
//! outside the runtime is an error, not a panic.
//!
//! Transfer is a move: the sender's object is detached once posted. So a call that
//! carries transferred objects is never sent twice: if its worker crashes under
//! [`CrashPolicy::RestartRequeueInFlight`](crate::CrashPolicy::RestartRequeueInFlight)
//! (or is stopped), the call fails with [`TaskError::TransferLost`]
//! instead of being resent with detached objects. Plain bytes have no such limit: the
//! runtime keeps the encoded input until the call settles.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use wasm_bindgen::{JsCast, JsValue};

#[cfg(doc)]
use crate::error::TaskError;

use crate::protocol::Attachments;

thread_local! {
    /// Where the payload being encoded starts among `OUTGOING`'s objects, and how many
    /// there are: read by every encode without touching the list itself (most payloads
    /// carry no object).
    static MARKS: Cell<Marks> = const { Cell::new(Marks { start: None, len: 0 }) };
    /// Objects of the payloads being encoded.
    static OUTGOING: RefCell<Attachments> = const { RefCell::new(Vec::new()) };
    /// Objects of the payload being decoded; each is taken once.
    static INCOMING: RefCell<Option<Vec<Option<JsValue>>>> = const { RefCell::new(None) };
}

/// The payload encoded now owns `OUTGOING`'s objects from `start` on (`None` while
/// nothing is encoded); `len` is always the list's length.
#[derive(Clone, Copy)]
struct Marks {
    start: Option<usize>,
    len: usize,
}

/// Adds an object to the payload being encoded: its index in that payload's list, or
/// `None` when nothing is encoded.
fn push_outgoing(object: impl FnOnce() -> JsValue) -> Option<usize> {
    let marks = MARKS.get();
    let start = marks.start?;
    OUTGOING.with_borrow_mut(|objects| objects.push(object()));
    MARKS.set(Marks {
        len: marks.len + 1,
        ..marks
    });
    Some(marks.len - start)
}

/// A JS object (`T` is e.g. `js_sys::ArrayBuffer`, `web_sys::ImageBitmap`,
/// `web_sys::OffscreenCanvas`, `web_sys::MessagePort`) that a payload moves to the
/// other side instead of copying.
///
/// Put it anywhere inside a method's input or output. While the payload is encoded,
/// each `Transfer` leaves its object in a side list and writes only its position; the
/// list travels in the same `postMessage`, as its transfer list, and decoding puts each
/// object back in place. Encoding or decoding a `Transfer` outside a call is an error.
///
/// Transfer is a move: the sender's object is detached once posted, so a call that
/// carries transferred objects is never sent twice. If its worker crashes under
/// [`CrashPolicy::RestartRequeueInFlight`](crate::CrashPolicy::RestartRequeueInFlight)
/// (or is stopped), the call fails with [`TaskError::TransferLost`] instead of being
/// resent with detached objects. Plain bytes have no such limit.
///
/// ```no_run
/// use js_sys::ArrayBuffer;
/// use leptos_atelier::{HandlerError, TaskContext, TaskMethod, Transfer};
///
/// /// Inverts an RGBA image in place and hands the buffer back.
/// pub struct Invert;
/// impl TaskMethod for Invert {
///     const NAME: &'static str = "invert";
///     type Input = (u32, u32, Transfer<ArrayBuffer>);
///     type Output = Transfer<ArrayBuffer>;
///     async fn run((_w, _h, pixels): Self::Input, _: TaskContext) -> Result<Self::Output, HandlerError> {
///         let view = js_sys::Uint8Array::new(pixels.get());
///         let mut bytes = view.to_vec();
///         bytes.iter_mut().for_each(|b| *b = 255 - *b);
///         view.copy_from(&bytes);
///         Ok(pixels)
///     }
/// }
/// ```
#[derive(Clone, PartialEq)]
pub struct Transfer<T> {
    value: T,
}

impl<T> Transfer<T> {
    /// Wraps `value` to be transferred.
    pub fn new(value: T) -> Self {
        Self { value }
    }

    /// The object.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The object, unwrapped.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> From<T> for Transfer<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for Transfer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Transfer").field(&self.value).finish()
    }
}

impl<T: AsRef<JsValue>> Serialize for Transfer<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let index = push_outgoing(|| self.value.as_ref().clone());
        match index {
            Some(index) => serializer.serialize_u32(index as u32),
            None => Err(S::Error::custom(
                "a Transfer can only be encoded by the runtime, as part of a call or its result",
            )),
        }
    }
}

impl<'de, T: JsCast> Deserialize<'de> for Transfer<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let index = u32::deserialize(deserializer)? as usize;
        let taken = INCOMING.with(|incoming| {
            let mut incoming = incoming.borrow_mut();
            let list = incoming
                .as_mut()
                .ok_or("the payload refers to a transferred object that did not arrive (a Transfer is decoded only by the runtime, in a call or its result)")?;
            list.get_mut(index)
                .and_then(Option::take)
                .ok_or("the payload refers to a transferred object that did not arrive")
        });
        let value = taken.map_err(D::Error::custom)?;
        value
            .dyn_into::<T>()
            .map(Transfer::new)
            .map_err(|_| D::Error::custom("a transferred object is not of the expected type"))
    }
}

/// How an encoded payload may carry its large slices of numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocks {
    /// In the browser, as buffers of their own beside the frame (moved, like
    /// [`Transfer`]s, so the payload can be sent once only).
    Beside,
    /// In the frame's bytes, so the payload can be sent again (a call that may be
    /// requeued after a crash).
    Inline,
}

/// Encodes `payload` at the end of `frame`, collecting the objects of its
/// [`Transfer`]s (and, with [`Blocks::Beside`] in the browser, its large slices of
/// numbers): those objects, to travel with the frame.
pub(crate) fn encode<P: Serialize + ?Sized>(
    payload: &P,
    frame: &mut Vec<u8>,
    blocks: Blocks,
) -> Result<Attachments, crate::codec::Error> {
    // Payloads may nest (a `Serialize` that encodes a call): each takes its own objects.
    let outer = MARKS.get();
    MARKS.set(Marks {
        start: Some(outer.len),
        ..outer
    });
    let sink: Option<&dyn crate::codec::BlockSink> = match blocks {
        #[cfg(target_arch = "wasm32")]
        Blocks::Beside => Some(&web_blocks::Outgoing),
        _ => None,
    };
    let encoded = crate::codec::append(payload, frame, sink);
    // This payload's objects leave the list, and the outer payload's marks return.
    let attachments = if MARKS.get().len > outer.len {
        OUTGOING.with_borrow_mut(|objects| objects.split_off(outer.len))
    } else {
        Vec::new()
    };
    MARKS.set(outer);
    encoded.map(|()| attachments)
}

/// Decodes a payload whose [`Transfer`]s (and blocks) refer to `attachments`. Trailing
/// bytes are an error, so a frame cut or padded is caught.
pub(crate) fn decode<P: serde::de::DeserializeOwned>(
    bytes: &[u8],
    attachments: &[JsValue],
) -> Result<P, crate::codec::Error> {
    let read = || {
        #[cfg(target_arch = "wasm32")]
        return crate::codec::decode_with_blocks(bytes, &web_blocks::Incoming);
        #[cfg(not(target_arch = "wasm32"))]
        crate::codec::decode_payload(bytes)
    };
    // Most payloads carry no object: nothing to put in place, and a `Transfer` in
    // one finds no list (the error says its object did not arrive).
    if attachments.is_empty() {
        return read();
    }
    let incoming = attachments.iter().cloned().map(Some).collect();
    let previous = INCOMING.with(|slot| slot.replace(Some(incoming)));
    let decoded = read();
    INCOMING.with(|slot| slot.replace(previous));
    decoded
}

/// Blocks as typed arrays among a frame's attachments, in the browser.
#[cfg(target_arch = "wasm32")]
mod web_blocks {
    use std::mem::MaybeUninit;

    use js_sys::Uint8Array;
    use wasm_bindgen::JsCast;

    use super::{INCOMING, push_outgoing};
    use crate::codec::{BlockSink, BlockSource, Error};
    use crate::protocol::wire;

    /// Puts blocks among the attachments of the payload being encoded.
    pub(super) struct Outgoing;

    impl BlockSink for Outgoing {
        fn put(&self, bytes: &[u8]) -> Option<u32> {
            let index = push_outgoing(|| wire::frame_array(bytes).into())?;
            u32::try_from(index).ok()
        }
    }

    /// Takes blocks from the attachments of the payload being decoded.
    pub(super) struct Incoming;

    impl BlockSource for Incoming {
        fn read(&self, index: u32, out: &mut [MaybeUninit<u8>]) -> Result<(), Error> {
            let block = INCOMING.with(|incoming| {
                let mut incoming = incoming.borrow_mut();
                incoming.as_mut()?.get_mut(index as usize)?.take()
            });
            let block = block
                .and_then(|block| block.dyn_into::<Uint8Array>().ok())
                .ok_or_else(|| Error::Custom("the payload refers to a block that did not arrive".into()))?;
            if block.length() as usize != out.len() {
                return Err(Error::LengthTooLong);
            }
            block.copy_to_uninit(out);
            wire::keep_spare(&block);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_payloads_carry_no_attachments() {
        let mut bytes = Vec::new();
        let attachments = encode(&(7u32, "x".to_string()), &mut bytes, Blocks::Beside).unwrap();
        assert!(attachments.is_empty());
        assert_eq!(decode::<(u32, String)>(&bytes, &[]).unwrap(), (7, "x".into()));
    }

    #[test]
    fn a_transfer_outside_the_runtime_is_an_error_not_a_panic() {
        // Index 0 with no incoming list: decoding fails cleanly.
        let bytes = crate::codec::encode_payload(&0u32).unwrap();
        assert!(crate::codec::decode_payload::<Transfer<JsValue>>(&bytes).is_err());
        // Inside the runtime, an index with no object behind it fails too.
        assert!(decode::<Transfer<JsValue>>(&bytes, &[]).is_err());
    }
}

/// The side list in the browser, where `Transfer` has objects to carry.
#[cfg(all(test, target_arch = "wasm32"))]
mod web_tests {
    use js_sys::ArrayBuffer;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn buffer(len: u32) -> Transfer<ArrayBuffer> {
        Transfer::new(ArrayBuffer::new(len))
    }

    /// A payload whose encoding encodes another payload, as a `Serialize` that builds a
    /// call would: the inner payload's objects are its own.
    struct Nested;

    impl Serialize for Nested {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeTuple;
            let mut inner_frame = Vec::new();
            let inner = encode(&buffer(3), &mut inner_frame, Blocks::Inline).map_err(S::Error::custom)?;
            assert_eq!(inner.len(), 1, "the inner payload takes its one object");
            let back = decode::<Transfer<ArrayBuffer>>(&inner_frame, &inner).expect("the inner object at index 0");
            assert_eq!(back.get().byte_length(), 3);
            let mut tuple = serializer.serialize_tuple(2)?;
            tuple.serialize_element(&inner_frame)?;
            tuple.serialize_element(&buffer(5))?;
            tuple.end()
        }
    }

    #[wasm_bindgen_test]
    fn each_payload_numbers_its_own_objects_from_zero_even_when_encodes_nest() {
        let mut frame = Vec::new();
        let objects = encode(&(buffer(1), buffer(2)), &mut frame, Blocks::Inline).unwrap();
        let lengths: Vec<u32> = objects
            .iter()
            .map(|o| o.clone().unchecked_into::<ArrayBuffer>().byte_length())
            .collect();
        assert_eq!(lengths, [1, 2]);
        let (a, b) = decode::<(Transfer<ArrayBuffer>, Transfer<ArrayBuffer>)>(&frame, &objects).unwrap();
        assert_eq!((a.get().byte_length(), b.get().byte_length()), (1, 2));

        let mut frame = Vec::new();
        let outer = encode(&(buffer(4), Nested), &mut frame, Blocks::Inline).unwrap();
        let lengths: Vec<u32> = outer
            .iter()
            .map(|o| o.clone().unchecked_into::<ArrayBuffer>().byte_length())
            .collect();
        assert_eq!(lengths, [4, 5], "the inner payload's object is not the outer's");
        let (first, (inner_frame, last)) =
            decode::<(Transfer<ArrayBuffer>, (Vec<u8>, Transfer<ArrayBuffer>))>(&frame, &outer).unwrap();
        assert_eq!((first.get().byte_length(), last.get().byte_length()), (4, 5));
        assert!(!inner_frame.is_empty());

        // Nothing is left behind: a plain payload afterwards carries nothing, and a
        // Transfer outside an encode is an error again.
        assert!(encode(&7u32, &mut Vec::new(), Blocks::Inline).unwrap().is_empty());
        assert!(crate::codec::encode_payload(&buffer(1)).is_err());
    }
}
