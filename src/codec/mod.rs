//! The wire format between the main thread and a worker: frames, their envelopes, and
//! the payload format the values of methods' inputs and outputs are written in.
//!
//! A frame is one byte buffer: a small envelope ([`ToWorker`] or [`FromWorker`]),
//! immediately followed by the payload (the method's input or output). Encoding appends
//! the payload to the envelope's buffer, so a frame costs one allocation; decoding reads
//! the envelope and hands back the rest as the payload slice, without copying it.
//!
//! ## The payload format
//!
//! A compact binary format for serde, written for this crate (both ends of a call run
//! the same build of it), not self-describing:
//!
//! - integers and floats: fixed width, little-endian (`u8` one byte, `u16` two, `u32`,
//!   `i32` and `f32` four, `u64`, `i64`, `f64`, `usize` and `isize` eight, 128-bit
//!   sixteen); `bool` one byte, 0 or 1; `char` four bytes, a Unicode scalar value;
//! - strings and byte strings: a `u32` length, then the bytes (UTF-8, checked, for
//!   strings);
//! - sequences and maps: a `u32` count, then the elements (for a map, each key then
//!   its value); options: a byte 0 (`None`), or 1 and the value;
//! - enums: the variant's index as `u32`, then its fields; structs, tuples and a
//!   variant's fields: the fields in order, with nothing around them; unit values:
//!   nothing.
//!
//! Fixed widths make every number one store and one load, with no varint loop. And
//! they make a sequence of plain numbers (`u8`, `i8`, … `f32`, `f64`) byte for byte its
//! memory on a little-endian machine, so a slice or `Vec` of them (bare, or a field of
//! a struct) is written and read as one block copy instead of one serde call per
//! element (see [`bulk`]): an image as `Vec<u8>` or samples as `Vec<f32>` cost a
//! `memcpy` each way, with no annotation from the user. Strings are one copy each way
//! too, and decode borrowed where the type borrows (`&str`, `&[u8]`).
//!
//! A slice of numbers of [`BLOCK_MIN`] bytes or more may go beside the frame instead
//! (when the encoder is given a [`BlockSink`]): its count is then written with the top
//! bit set, followed by a `u32` block index. A block decodes only into a `Vec` (or what
//! deserializes through one: `Box<[T]>`, `Cow<[T]>`); counts of 2^31 elements or more
//! are refused.
//!
//! Decoding is strict: bytes that end inside a value, bytes left over after it, a
//! length longer than what follows it, invalid UTF-8, a bool or option tag other than
//! 0 or 1 are each an [`Error`], and a length is checked against the bytes that remain
//! before anything is allocated for it. Types that need a self-describing format
//! (`#[serde(flatten)]`, untagged or internally tagged enums, `serde_json::Value`) fail
//! with [`Error::NotSelfDescribing`].
//!
//! This module knows nothing of workers, queues or JS: it turns values into bytes and
//! back, and reports malformed bytes as errors, never as panics.

mod bulk;
mod de;
mod envelope;
mod error;
mod ser;
#[cfg(test)]
mod tests_format;

pub(crate) use error::Error;

/// The smallest slice of numbers, in bytes, that travels as a block beside the frame
/// when the encoder is given a [`BlockSink`].
pub(crate) const BLOCK_MIN: usize = 64 * 1024;

/// Where a large slice of numbers goes instead of into the frame: in the browser, a
/// buffer of its own, transferred with the frame, so that the bytes are copied once
/// on each side (out of the sender's wasm memory, into the receiver's final `Vec`)
/// instead of three times.
pub(crate) trait BlockSink {
    /// Takes a copy of `bytes`; the block's index, or `None` to write them inline.
    fn put(&self, bytes: &[u8]) -> Option<u32>;
}

/// Where the blocks of a frame come from, when decoding.
pub(crate) trait BlockSource {
    /// Copies block `index` into `out`, all of it; an error if the block is missing or
    /// not exactly as long as `out`.
    fn read(&self, index: u32, out: &mut [std::mem::MaybeUninit<u8>]) -> Result<(), Error>;
}

use serde::de::DeserializeOwned;

pub(crate) use de::decode_prefix;
#[cfg_attr(not(target_arch = "wasm32"), allow(unused_imports))]
pub(crate) use de::decode_with_blocks;
pub(crate) use ser::append;
#[cfg(test)]
pub(crate) use ser::{encode_into, encode_with_blocks};

pub(crate) use envelope::{
    CallId, FromWorker, RemoteError, ToWorker, call_frame_start, decode_frame, done_frame_start, encode_envelope,
    set_call_numbers,
};

/// Encodes `envelope` followed by `payload` into one frame.
#[cfg(test)]
pub(crate) fn encode_frame<'a, E: envelope::Envelope<'a>, P: serde::Serialize + ?Sized>(
    envelope: &E,
    payload: &P,
) -> Result<Vec<u8>, Error> {
    encode_into(payload, encode_envelope(envelope)?)
}

/// Encodes a payload on its own.
#[cfg(test)]
pub(crate) fn encode_payload<P: serde::Serialize + ?Sized>(payload: &P) -> Result<Vec<u8>, Error> {
    encode_into(payload, Vec::new())
}

/// Decodes a payload; trailing bytes are an error, so a frame cut or padded is caught.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn decode_payload<P: DeserializeOwned>(bytes: &[u8]) -> Result<P, Error> {
    let (value, rest) = decode_prefix(bytes)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(Error::TrailingBytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_frame_round_trips_envelope_and_payload() {
        let envelope = ToWorker::Call {
            call: 7,
            attempt: 1,
            method: "resize",
            key: Some("run-1"),
        };
        let frame = encode_frame(&envelope, &(640u32, "cat".to_string())).unwrap();
        let (back, payload): (ToWorker, _) = decode_frame(&frame).unwrap();
        assert_eq!(back, envelope);
        assert_eq!(decode_payload::<(u32, String)>(payload).unwrap(), (640, "cat".into()));
    }

    #[test]
    fn a_call_frame_is_its_envelope_then_its_input_its_numbers_written_in_place() {
        let input = (640u32, "cat".to_string());
        let mut frame = encode_into(&input, call_frame_start("resize", Some("k")).unwrap()).unwrap();
        set_call_numbers(&mut frame, 7, 2);
        let (envelope, payload): (ToWorker<'_>, _) = decode_frame(&frame).unwrap();
        let expected = ToWorker::Call {
            call: 7,
            attempt: 2,
            method: "resize",
            key: Some("k"),
        };
        assert_eq!(envelope, expected);
        assert_eq!(decode_payload::<(u32, String)>(payload).unwrap(), input);
        assert_eq!(frame, encode_frame(&expected, &input).unwrap());
    }

    #[test]
    fn a_payload_with_trailing_bytes_is_refused() {
        let mut bytes = encode_payload(&5u32).unwrap();
        bytes.push(0);
        assert!(decode_payload::<u32>(&bytes).is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for garbage in [&[][..], &[0xff, 0xff, 0xff][..], &[9, 1, 2][..]] {
            assert!(decode_frame::<FromWorker>(garbage).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn a_payload_of_the_wrong_type_is_an_error() {
        let bytes = encode_payload(&"not a number").unwrap();
        assert!(decode_payload::<(u64, u64, u64)>(&bytes).is_err());
    }
}
