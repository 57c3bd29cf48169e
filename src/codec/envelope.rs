//! The envelopes at the front of every frame, written and read by hand.
//!
//! Every call crosses two envelopes (its `Call`, its `Done`), each written once and
//! read once, so they cost no serde call and no allocation beyond the frame, and the
//! bundle carries no derived serde code for them. The bytes are exactly what serde's
//! derived form of the same enums would write in the payload format (see the
//! [module docs](super)): a `u32` variant index, then the fields in order; the tests
//! check it against such a derived twin. A failure's [`RemoteError`] is written the
//! same way, after its envelope's numbers.
//!
//! Decoding is as strict as the payload format: a frame cut short, a length past its
//! end, bad UTF-8, an option tag other than 0 or 1 and an unknown variant are each an
//! [`Error`], never a panic. This module knows the envelopes' layout and nothing of
//! workers or calls.

use super::Error;
use crate::error::{HandlerError, PayloadSide};

/// Identifies one call of one task; the same id is kept across attempts.
pub(crate) type CallId = u64;

/// Envelope of a frame sent to a worker. Its strings borrow: from the call when it is
/// encoded, from the frame when it is decoded, so neither side allocates for them.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RemoteError {
    Handler(HandlerError),
    UnknownMethod(String),
    Decode { side: PayloadSide, message: String },
    Encode(String),
}

/// The variant indices, in the variants' order in their enums.
const CALL: u32 = 0;
const CANCEL: u32 = 1;
const READY: u32 = 0;
const DONE: u32 = 1;
const PROGRESS: u32 = 2;
const FAILED: u32 = 3;
const HANDLER: u32 = 0;
const UNKNOWN_METHOD: u32 = 1;
const DECODE: u32 = 2;
const ENCODE: u32 = 3;
const INPUT: u32 = 0;
const OUTPUT: u32 = 1;

/// An envelope: its bytes at the front of a frame.
pub(crate) trait Envelope<'a>: Sized {
    /// The envelope at the front of `frame`, and the bytes after it.
    fn read(frame: &'a [u8]) -> Result<(Self, &'a [u8]), Error>;

    /// Appends the envelope's bytes to `frame`.
    fn write(&self, frame: &mut Vec<u8>) -> Result<(), Error>;
}

impl<'a> Envelope<'a> for ToWorker<'a> {
    #[inline]
    fn read(frame: &'a [u8]) -> Result<(Self, &'a [u8]), Error> {
        let mut bytes = Cursor(frame);
        let envelope = match bytes.u32()? {
            CALL => ToWorker::Call {
                call: bytes.u64()?,
                attempt: bytes.u32()?,
                method: bytes.str()?,
                key: if bytes.tag()? { Some(bytes.str()?) } else { None },
            },
            CANCEL => ToWorker::Cancel { call: bytes.u64()? },
            other => return Err(unknown_variant(other, 2)),
        };
        Ok((envelope, bytes.0))
    }

    #[inline]
    fn write(&self, frame: &mut Vec<u8>) -> Result<(), Error> {
        match *self {
            ToWorker::Call {
                call,
                attempt,
                method,
                key,
            } => {
                frame.extend_from_slice(&numbers(CALL, call, attempt));
                put_str(frame, method)?;
                match key {
                    None => frame.push(0),
                    Some(key) => {
                        frame.push(1);
                        put_str(frame, key)?;
                    }
                }
            }
            ToWorker::Cancel { call } => {
                frame.extend_from_slice(&CANCEL.to_le_bytes());
                frame.extend_from_slice(&call.to_le_bytes());
            }
        }
        Ok(())
    }
}

impl<'a> Envelope<'a> for FromWorker {
    #[inline]
    fn read(frame: &'a [u8]) -> Result<(Self, &'a [u8]), Error> {
        let mut bytes = Cursor(frame);
        let envelope = match bytes.u32()? {
            READY => FromWorker::Ready,
            DONE => FromWorker::Done {
                call: bytes.u64()?,
                attempt: bytes.u32()?,
            },
            PROGRESS => FromWorker::Progress {
                call: bytes.u64()?,
                attempt: bytes.u32()?,
                fraction: f64::from_le_bytes(bytes.array()?),
            },
            FAILED => FromWorker::Failed {
                call: bytes.u64()?,
                attempt: bytes.u32()?,
                error: RemoteError::read(&mut bytes)?,
            },
            other => return Err(unknown_variant(other, 4)),
        };
        Ok((envelope, bytes.0))
    }

    #[inline]
    fn write(&self, frame: &mut Vec<u8>) -> Result<(), Error> {
        match self {
            FromWorker::Ready => frame.extend_from_slice(&READY.to_le_bytes()),
            FromWorker::Done { call, attempt } => frame.extend_from_slice(&numbers(DONE, *call, *attempt)),
            FromWorker::Progress {
                call,
                attempt,
                fraction,
            } => {
                frame.extend_from_slice(&numbers(PROGRESS, *call, *attempt));
                frame.extend_from_slice(&fraction.to_le_bytes());
            }
            FromWorker::Failed { call, attempt, error } => {
                frame.extend_from_slice(&numbers(FAILED, *call, *attempt));
                error.write(frame)?;
            }
        }
        Ok(())
    }
}

impl RemoteError {
    /// A `u32` variant index, then the fields; a [`HandlerError`] is its message, then
    /// its `aborted` flag as one byte, and a [`PayloadSide`] its own variant index.
    fn read(bytes: &mut Cursor<'_>) -> Result<Self, Error> {
        Ok(match bytes.u32()? {
            HANDLER => {
                let message = bytes.str()?.to_owned();
                RemoteError::Handler(HandlerError::from_parts(message, bytes.tag()?))
            }
            UNKNOWN_METHOD => RemoteError::UnknownMethod(bytes.str()?.to_owned()),
            DECODE => RemoteError::Decode {
                side: match bytes.u32()? {
                    INPUT => PayloadSide::Input,
                    OUTPUT => PayloadSide::Output,
                    other => return Err(unknown_variant(other, 2)),
                },
                message: bytes.str()?.to_owned(),
            },
            ENCODE => RemoteError::Encode(bytes.str()?.to_owned()),
            other => return Err(unknown_variant(other, 4)),
        })
    }

    fn write(&self, frame: &mut Vec<u8>) -> Result<(), Error> {
        match self {
            RemoteError::Handler(error) => {
                frame.extend_from_slice(&HANDLER.to_le_bytes());
                put_str(frame, error.message())?;
                frame.push(u8::from(error.is_aborted()));
            }
            RemoteError::UnknownMethod(method) => {
                frame.extend_from_slice(&UNKNOWN_METHOD.to_le_bytes());
                put_str(frame, method)?;
            }
            RemoteError::Decode { side, message } => {
                let side = match side {
                    PayloadSide::Input => INPUT,
                    PayloadSide::Output => OUTPUT,
                };
                frame.extend_from_slice(&DECODE.to_le_bytes());
                frame.extend_from_slice(&side.to_le_bytes());
                put_str(frame, message)?;
            }
            RemoteError::Encode(message) => {
                frame.extend_from_slice(&ENCODE.to_le_bytes());
                put_str(frame, message)?;
            }
        }
        Ok(())
    }
}

/// What serde says of a variant index past the enum's last.
fn unknown_variant(index: u32, variants: u32) -> Error {
    Error::Custom(format!(
        "invalid value: integer `{index}`, expected variant index 0 <= i < {variants}"
    ))
}

/// Splits a frame into its envelope and the payload bytes that follow it; the
/// envelope may borrow from the frame.
pub(crate) fn decode_frame<'a, E: Envelope<'a>>(frame: &'a [u8]) -> Result<(E, &'a [u8]), Error> {
    E::read(frame)
}

/// Encodes an envelope that carries no payload, or whose payload bytes are appended later.
pub(crate) fn encode_envelope<'a, E: Envelope<'a>>(envelope: &E) -> Result<Vec<u8>, Error> {
    let mut frame = Vec::with_capacity(ENVELOPE_CAPACITY);
    envelope.write(&mut frame)?;
    Ok(frame)
}

/// Room for an envelope and a small payload: most frames never grow past it.
const ENVELOPE_CAPACITY: usize = 64;

/// The start of a call's frame: its envelope, with call id and attempt 0 until
/// [`set_call_numbers`] writes them; the input is encoded after it. A call keeps this
/// one buffer from its making until it settles, and each attempt posts it as it is.
pub(crate) fn call_frame_start(method: &str, key: Option<&str>) -> Result<Vec<u8>, Error> {
    // A tag, two numbers, two length-prefixed strings, and room for a small input.
    let capacity = ATTEMPT_AT.end + 4 + method.len() + 1 + 4 + key.map_or(0, str::len) + ENVELOPE_CAPACITY;
    let mut frame = Vec::with_capacity(capacity);
    let envelope = ToWorker::Call {
        call: 0,
        attempt: 0,
        method,
        key,
    };
    envelope.write(&mut frame)?;
    Ok(frame)
}

/// The start of a successful reply's frame; the output is encoded after it.
pub(crate) fn done_frame_start(call: CallId, attempt: u32) -> Vec<u8> {
    let mut frame = Vec::with_capacity(ENVELOPE_CAPACITY);
    frame.extend_from_slice(&numbers(DONE, call, attempt));
    frame
}

/// Where a call frame holds its call id (a `u64`) and its attempt (a `u32`): right
/// after the variant's index (`u32`), all little-endian. Replies put them there too.
const CALL_ID_AT: std::ops::Range<usize> = 4..12;
const ATTEMPT_AT: std::ops::Range<usize> = 12..16;

/// Writes the call id and attempt into a frame begun by [`call_frame_start`].
pub(crate) fn set_call_numbers(frame: &mut [u8], call: CallId, attempt: u32) {
    frame[CALL_ID_AT].copy_from_slice(&call.to_le_bytes());
    frame[ATTEMPT_AT].copy_from_slice(&attempt.to_le_bytes());
}

/// A variant index, a call id and an attempt, as the envelopes that carry them begin.
fn numbers(variant: u32, call: CallId, attempt: u32) -> [u8; ATTEMPT_AT.end] {
    let mut bytes = [0; ATTEMPT_AT.end];
    bytes[..CALL_ID_AT.start].copy_from_slice(&variant.to_le_bytes());
    set_call_numbers(&mut bytes, call, attempt);
    bytes
}

/// A length-prefixed string, as the format writes one.
fn put_str(frame: &mut Vec<u8>, text: &str) -> Result<(), Error> {
    let len = u32::try_from(text.len()).map_err(|_| Error::TooLong)?;
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(text.as_bytes());
    Ok(())
}

/// The bytes of an envelope not read yet.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or(Error::Truncated)?;
        self.0 = rest;
        Ok(*head)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        self.array().map(u8::from_le_bytes)
    }

    /// An option's tag or a `bool`: 0 or 1, anything else an error.
    fn tag(&mut self) -> Result<bool, Error> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(Error::InvalidTag(tag)),
        }
    }

    fn u32(&mut self) -> Result<u32, Error> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, Error> {
        self.array().map(u64::from_le_bytes)
    }

    fn str(&mut self) -> Result<&'a str, Error> {
        let len = self.u32()? as usize;
        if len > self.0.len() {
            return Err(Error::LengthTooLong);
        }
        let (text, rest) = self.0.split_at(len);
        self.0 = rest;
        std::str::from_utf8(text).map_err(|_| Error::InvalidUtf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode_prefix, encode_into};

    /// The envelopes as serde would derive them: the format the hand-written code
    /// must match byte for byte.
    mod derived {
        use serde::{Deserialize, Serialize};

        use crate::error::{HandlerError, PayloadSide};

        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        pub(super) enum ToWorker<'a> {
            Call {
                call: u64,
                attempt: u32,
                method: &'a str,
                key: Option<&'a str>,
            },
            Cancel {
                call: u64,
            },
        }

        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        pub(super) enum FromWorker {
            Ready,
            Done {
                call: u64,
                attempt: u32,
            },
            Progress {
                call: u64,
                attempt: u32,
                fraction: f64,
            },
            Failed {
                call: u64,
                attempt: u32,
                error: RemoteError,
            },
        }

        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub(super) enum RemoteError {
            Handler(HandlerError),
            UnknownMethod(String),
            Decode { side: PayloadSide, message: String },
            Encode(String),
        }
    }

    fn to_worker<'a>() -> Vec<(ToWorker<'a>, derived::ToWorker<'a>)> {
        let call = |call, attempt, method, key| {
            (
                ToWorker::Call {
                    call,
                    attempt,
                    method,
                    key,
                },
                derived::ToWorker::Call {
                    call,
                    attempt,
                    method,
                    key,
                },
            )
        };
        vec![
            call(7, 2, "resize", Some("run-1")),
            call(u64::MAX, u32::MAX, "é", None),
            call(0, 0, "", Some("")),
            (ToWorker::Cancel { call: 3 }, derived::ToWorker::Cancel { call: 3 }),
        ]
    }

    /// Every kind of remote error, beside its derived twin.
    fn remote_errors() -> Vec<(RemoteError, derived::RemoteError)> {
        let handler = |error: HandlerError| {
            (
                RemoteError::Handler(error.clone()),
                derived::RemoteError::Handler(error),
            )
        };
        vec![
            handler(HandlerError::new("image is empty")),
            handler(HandlerError::aborted()),
            handler(HandlerError::from_parts("stopped: é".into(), true)),
            (
                RemoteError::UnknownMethod("resize".into()),
                derived::RemoteError::UnknownMethod("resize".into()),
            ),
            (
                RemoteError::Decode {
                    side: PayloadSide::Input,
                    message: "bad".into(),
                },
                derived::RemoteError::Decode {
                    side: PayloadSide::Input,
                    message: "bad".into(),
                },
            ),
            (
                RemoteError::Decode {
                    side: PayloadSide::Output,
                    message: String::new(),
                },
                derived::RemoteError::Decode {
                    side: PayloadSide::Output,
                    message: String::new(),
                },
            ),
            (
                RemoteError::Encode("too long".into()),
                derived::RemoteError::Encode("too long".into()),
            ),
        ]
    }

    fn from_worker() -> Vec<(FromWorker, derived::FromWorker)> {
        let mut envelopes = vec![
            (FromWorker::Ready, derived::FromWorker::Ready),
            (
                FromWorker::Done {
                    call: u64::MAX,
                    attempt: 1,
                },
                derived::FromWorker::Done {
                    call: u64::MAX,
                    attempt: 1,
                },
            ),
            (
                FromWorker::Progress {
                    call: 5,
                    attempt: 2,
                    fraction: 0.25,
                },
                derived::FromWorker::Progress {
                    call: 5,
                    attempt: 2,
                    fraction: 0.25,
                },
            ),
        ];
        envelopes.extend(remote_errors().into_iter().map(|(error, twin)| {
            (
                FromWorker::Failed {
                    call: 5,
                    attempt: 1,
                    error,
                },
                derived::FromWorker::Failed {
                    call: 5,
                    attempt: 1,
                    error: twin,
                },
            )
        }));
        envelopes
    }

    #[test]
    fn envelopes_are_written_as_serde_derives_them_and_read_back() {
        for (envelope, twin) in to_worker() {
            let frame = encode_envelope(&envelope).unwrap();
            assert_eq!(frame, encode_into(&twin, Vec::new()).unwrap(), "{envelope:?}");
            let with_payload = encode_into(&[9u8], frame).unwrap();
            assert_eq!(decode_frame::<ToWorker>(&with_payload).unwrap(), (envelope, &[9u8][..]));
        }
        for (envelope, twin) in from_worker() {
            let frame = encode_envelope(&envelope).unwrap();
            assert_eq!(frame, encode_into(&twin, Vec::new()).unwrap(), "{envelope:?}");
            let with_payload = encode_into(&[9u8], frame).unwrap();
            assert_eq!(
                decode_frame::<FromWorker>(&with_payload).unwrap(),
                (envelope, &[9u8][..])
            );
        }
    }

    #[test]
    fn call_and_done_frames_begin_with_their_envelopes() {
        let mut frame = call_frame_start("resize", Some("run-1")).unwrap();
        set_call_numbers(&mut frame, 7, 2);
        assert_eq!(frame, encode_envelope(&to_worker()[0].0).unwrap());
        let done = FromWorker::Done { call: 9, attempt: 3 };
        assert_eq!(done_frame_start(9, 3), encode_envelope(&done).unwrap());
    }

    /// Any cut, a bad option tag, bad UTF-8, a length past the end or an unknown
    /// variant is the error serde's derived code gives for the same bytes.
    #[test]
    fn malformed_envelopes_get_the_errors_serde_would_give() {
        let whole = encode_envelope(&to_worker()[0].0).unwrap();
        let mut frames: Vec<Vec<u8>> = (0..whole.len()).map(|end| whole[..end].to_vec()).collect();
        let key_tag_at = whole.len() - "run-1".len() - 4 - 1;
        let mut bad_tag = whole.clone();
        bad_tag[key_tag_at] = 2;
        let mut bad_utf8 = whole.clone();
        bad_utf8[ATTEMPT_AT.end + 4] = 0xff;
        let mut too_long = whole.clone();
        too_long[ATTEMPT_AT.end] = 200;
        frames.extend([bad_tag, bad_utf8, too_long, 9u32.to_le_bytes().to_vec()]);
        for frame in &frames {
            let expected = decode_prefix::<derived::ToWorker>(frame).unwrap_err();
            assert_eq!(decode_frame::<ToWorker>(frame).unwrap_err(), expected, "{frame:?}");
        }
        for (envelope, _) in from_worker() {
            let whole = encode_envelope(&envelope).unwrap();
            for end in 0..whole.len() {
                let expected = decode_prefix::<derived::FromWorker>(&whole[..end]).unwrap_err();
                assert_eq!(decode_frame::<FromWorker>(&whole[..end]).unwrap_err(), expected);
            }
        }
        let unknown = 7u32.to_le_bytes();
        let expected = decode_prefix::<derived::FromWorker>(&unknown).unwrap_err();
        assert_eq!(decode_frame::<FromWorker>(&unknown).unwrap_err(), expected);
    }

    /// A remote error's own variant, a payload side past `Output` and an `aborted` flag
    /// other than 0 or 1 get serde's errors too.
    #[test]
    fn malformed_remote_errors_get_the_errors_serde_would_give() {
        let failed = |error: RemoteError| {
            encode_envelope(&FromWorker::Failed {
                call: 1,
                attempt: 1,
                error,
            })
            .unwrap()
        };
        let error_at = ATTEMPT_AT.end;
        let mut unknown_error = failed(RemoteError::Encode("x".into()));
        unknown_error[error_at] = 4;
        let mut unknown_side = failed(RemoteError::Decode {
            side: PayloadSide::Output,
            message: "x".into(),
        });
        unknown_side[error_at + 4] = 2;
        let mut bad_flag = failed(RemoteError::Handler(HandlerError::new("x")));
        *bad_flag.last_mut().unwrap() = 2;
        let mut bad_utf8 = failed(RemoteError::UnknownMethod("x".into()));
        *bad_utf8.last_mut().unwrap() = 0xff;
        for frame in [unknown_error, unknown_side, bad_flag, bad_utf8] {
            let expected = decode_prefix::<derived::FromWorker>(&frame).unwrap_err();
            assert_eq!(decode_frame::<FromWorker>(&frame).unwrap_err(), expected, "{frame:?}");
        }
    }
}
