//! The envelopes at the front of every frame, and the hand-written path for the ones
//! every call sends.
//!
//! The types are serde types: their derived form *is* the wire format (see the
//! [module docs](super)). A call crosses four envelopes (its `Call`, its `Done`, each
//! written once and read once), so those are written and read here by hand instead,
//! byte for byte what the derived code writes (tested against it), with no serde call
//! and no allocation beyond the frame. Anything else (`Cancel`, `Progress`, `Failed`,
//! and every malformed frame) goes through serde, so an error is the one serde gives.
//!
//! This module knows the envelopes' layout and nothing of workers or calls.

use serde::{Deserialize, Serialize};

use super::Error;
use super::de::decode_prefix;
use super::ser::encode_into;
use super::spare::frame_buffer;
use crate::error::{HandlerError, PayloadSide};

/// Identifies one call of one task; the same id is kept across attempts.
pub(crate) type CallId = u64;

/// Envelope of a frame sent to a worker. Its strings borrow: from the call when it is
/// encoded, from the frame when it is decoded, so neither side allocates for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ToWorker<'a> {
    /// Run `method` on the payload that follows.
    Call {
        call: CallId,
        attempt: u32,
        method: &'a str,
        key: Option<&'a str>,
    },
    /// The caller no longer wants call `call`: abort its handler's signal (or, if the
    /// call has not arrived yet, start it aborted).
    Cancel { call: CallId },
}

/// Envelope of a frame sent by a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum FromWorker {
    /// The worker's registry is installed; calls can be served.
    Ready,
    /// The call succeeded; the encoded output follows.
    Done { call: CallId, attempt: u32 },
    /// The handler reported progress.
    Progress { call: CallId, attempt: u32, fraction: f64 },
    /// The call failed in the worker.
    Failed {
        call: CallId,
        attempt: u32,
        error: RemoteError,
    },
}

/// A failure that happened in the worker, as it travels back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum RemoteError {
    Handler(HandlerError),
    UnknownMethod(String),
    Decode { side: PayloadSide, message: String },
    Encode(String),
}

/// The variant indices (`u32`, little-endian) the derived code writes first: the
/// variants' order in their enums.
const CALL: u32 = 0;
const READY: u32 = 0;
const DONE: u32 = 1;

/// An envelope type, read by hand for the variants every call sends.
pub(crate) trait Envelope<'a>: Deserialize<'a> {
    /// The envelope at the front of `frame` and the bytes after it, if it is one of
    /// the variants read by hand and well formed; `None` sends the frame to serde.
    fn read_common(frame: &'a [u8]) -> Option<(Self, &'a [u8])>;
}

impl<'a> Envelope<'a> for ToWorker<'a> {
    fn read_common(frame: &'a [u8]) -> Option<(Self, &'a [u8])> {
        let mut bytes = Cursor(frame);
        if bytes.u32()? != CALL {
            return None;
        }
        let envelope = ToWorker::Call {
            call: bytes.u64()?,
            attempt: bytes.u32()?,
            method: bytes.str()?,
            key: match bytes.array::<1>()? {
                [0] => None,
                [1] => Some(bytes.str()?),
                _ => return None,
            },
        };
        Some((envelope, bytes.0))
    }
}

impl<'a> Envelope<'a> for FromWorker {
    fn read_common(frame: &'a [u8]) -> Option<(Self, &'a [u8])> {
        let mut bytes = Cursor(frame);
        let envelope = match bytes.u32()? {
            READY => FromWorker::Ready,
            DONE => FromWorker::Done {
                call: bytes.u64()?,
                attempt: bytes.u32()?,
            },
            _ => return None,
        };
        Some((envelope, bytes.0))
    }
}

/// Splits a frame into its envelope and the payload bytes that follow it; the
/// envelope may borrow from the frame.
pub(crate) fn decode_frame<'a, E: Envelope<'a>>(frame: &'a [u8]) -> Result<(E, &'a [u8]), Error> {
    match E::read_common(frame) {
        Some(read) => Ok(read),
        None => decode_prefix(frame),
    }
}

/// Encodes an envelope that carries no payload, or whose payload bytes are appended later.
pub(crate) fn encode_envelope<E: Serialize>(envelope: &E) -> Result<Vec<u8>, Error> {
    encode_into(envelope, Vec::with_capacity(ENVELOPE_CAPACITY))
}

/// Room for an envelope and a small payload: most frames never grow past it.
const ENVELOPE_CAPACITY: usize = 64;

/// The start of a call's frame: its envelope, with call id and attempt 0 until
/// [`set_call_numbers`] writes them; the input is encoded after it. A call keeps this
/// one buffer from its making until it settles, and each attempt posts it as it is.
pub(crate) fn call_frame_start(method: &str, key: Option<&str>) -> Result<Vec<u8>, Error> {
    // A tag, two numbers, two length-prefixed strings, and room for a small input.
    let capacity = ATTEMPT_AT.end + 4 + method.len() + 1 + 4 + key.map_or(0, str::len) + ENVELOPE_CAPACITY;
    let mut frame = frame_buffer(capacity);
    let mut numbers = [0; ATTEMPT_AT.end];
    numbers[..CALL_ID_AT.start].copy_from_slice(&CALL.to_le_bytes());
    frame.extend_from_slice(&numbers);
    put_str(&mut frame, method)?;
    match key {
        None => frame.push(0),
        Some(key) => {
            frame.push(1);
            put_str(&mut frame, key)?;
        }
    }
    Ok(frame)
}

/// The start of a successful reply's frame; the output is encoded after it.
pub(crate) fn done_frame_start(call: CallId, attempt: u32) -> Vec<u8> {
    let mut frame = frame_buffer(ENVELOPE_CAPACITY);
    let mut envelope = [0; ATTEMPT_AT.end];
    envelope[..CALL_ID_AT.start].copy_from_slice(&DONE.to_le_bytes());
    set_call_numbers(&mut envelope, call, attempt);
    frame.extend_from_slice(&envelope);
    frame
}

/// Where a call frame holds its call id (a `u64`) and its attempt (a `u32`): right
/// after the variant's index (`u32`), all little-endian.
const CALL_ID_AT: std::ops::Range<usize> = 4..12;
const ATTEMPT_AT: std::ops::Range<usize> = 12..16;

/// Writes the call id and attempt into a frame begun by [`call_frame_start`].
pub(crate) fn set_call_numbers(frame: &mut [u8], call: CallId, attempt: u32) {
    frame[CALL_ID_AT].copy_from_slice(&call.to_le_bytes());
    frame[ATTEMPT_AT].copy_from_slice(&attempt.to_le_bytes());
}

/// A length-prefixed string, as the format writes one.
fn put_str(frame: &mut Vec<u8>, text: &str) -> Result<(), Error> {
    let len = u32::try_from(text.len()).map_err(|_| Error::TooLong)?;
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(text.as_bytes());
    Ok(())
}

/// The bytes of an envelope not read yet; every read is `None` past the end.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    fn str(&mut self) -> Option<&'a str> {
        let len = self.u32()? as usize;
        if len > self.0.len() {
            return None;
        }
        let (text, rest) = self.0.split_at(len);
        self.0 = rest;
        std::str::from_utf8(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls<'a>() -> [ToWorker<'a>; 3] {
        [
            ToWorker::Call {
                call: 7,
                attempt: 2,
                method: "resize",
                key: Some("run-1"),
            },
            ToWorker::Call {
                call: u64::MAX,
                attempt: u32::MAX,
                method: "é",
                key: None,
            },
            ToWorker::Call {
                call: 0,
                attempt: 0,
                method: "",
                key: Some(""),
            },
        ]
    }

    #[test]
    fn a_call_frame_is_written_as_serde_writes_its_envelope() {
        for envelope in calls() {
            let ToWorker::Call {
                call,
                attempt,
                method,
                key,
            } = envelope
            else {
                unreachable!()
            };
            let mut frame = call_frame_start(method, key).unwrap();
            set_call_numbers(&mut frame, call, attempt);
            assert_eq!(frame, encode_into(&envelope, Vec::new()).unwrap(), "{envelope:?}");
        }
    }

    #[test]
    fn a_done_frame_is_written_as_serde_writes_its_envelope() {
        for (call, attempt) in [(0, 0), (7, 1), (u64::MAX, u32::MAX)] {
            let serde = encode_into(&FromWorker::Done { call, attempt }, Vec::new()).unwrap();
            assert_eq!(done_frame_start(call, attempt), serde);
        }
    }

    /// Every envelope, each followed by a payload byte, read by hand or by serde.
    #[test]
    fn every_envelope_reads_back_with_the_payload_after_it() {
        for envelope in calls().into_iter().chain([ToWorker::Cancel { call: 3 }]) {
            let frame = encode_into(&[9u8], encode_into(&envelope, Vec::new()).unwrap()).unwrap();
            let read = decode_frame::<ToWorker>(&frame).unwrap();
            assert_eq!(read, (envelope, &[9u8][..]));
        }
        let replies = [
            FromWorker::Ready,
            FromWorker::Done { call: 5, attempt: 1 },
            FromWorker::Progress {
                call: 5,
                attempt: 1,
                fraction: 0.5,
            },
            FromWorker::Failed {
                call: 5,
                attempt: 1,
                error: RemoteError::UnknownMethod("nope".into()),
            },
        ];
        for envelope in replies {
            let frame = encode_into(&[9u8], encode_into(&envelope, Vec::new()).unwrap()).unwrap();
            let read = decode_frame::<FromWorker>(&frame).unwrap();
            assert_eq!(read, (envelope, &[9u8][..]));
        }
    }

    /// A frame cut anywhere, or with a bad tag or bad UTF-8, is refused with the same
    /// error serde gives, never read as something else.
    #[test]
    fn a_malformed_envelope_gets_serdes_error() {
        let call = &calls()[0];
        let whole = encode_into(call, Vec::new()).unwrap();
        let mut bad_key_tag = whole.clone();
        let key_tag_at = whole.len() - "run-1".len() - 4 - 1;
        bad_key_tag[key_tag_at] = 2;
        let mut bad_utf8 = whole.clone();
        bad_utf8[ATTEMPT_AT.end + 4] = 0xff;
        let mut frames: Vec<Vec<u8>> = (0..whole.len()).map(|end| whole[..end].to_vec()).collect();
        frames.extend([bad_key_tag, bad_utf8, 9u32.to_le_bytes().to_vec()]);
        for frame in &frames {
            let expected = decode_prefix::<ToWorker>(frame).unwrap_err();
            assert_eq!(decode_frame::<ToWorker>(frame).unwrap_err(), expected, "{frame:?}");
        }
        let done = encode_into(&FromWorker::Done { call: 1, attempt: 1 }, Vec::new()).unwrap();
        for end in 0..done.len() {
            let expected = decode_prefix::<FromWorker>(&done[..end]).unwrap_err();
            assert_eq!(decode_frame::<FromWorker>(&done[..end]).unwrap_err(), expected);
        }
    }
}
