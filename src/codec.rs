//! The wire format between the main thread and a worker.
//!
//! A frame is one byte buffer: a small envelope ([`ToWorker`] or [`FromWorker`])
//! encoded with postcard, immediately followed by the payload (the method's input or
//! output), also postcard-encoded. Encoding appends the payload to the envelope's
//! buffer, so a frame costs one allocation; decoding reads the envelope and hands back
//! the rest as the payload slice, without copying it.
//!
//! This module knows nothing of workers, queues or JS: it turns values into bytes and
//! back, and reports malformed bytes as errors, never as panics.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{HandlerError, PayloadSide};

/// Identifies one call of one task; the same id is kept across attempts.
pub(crate) type CallId = u64;

/// Envelope of a frame sent to a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ToWorker {
    /// Run `method` on the payload that follows.
    Call {
        call: CallId,
        attempt: u32,
        method: String,
        key: Option<String>,
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

/// Encodes `envelope` followed by `payload` into one frame.
#[cfg(test)]
pub(crate) fn encode_frame<E: Serialize, P: Serialize + ?Sized>(
    envelope: &E,
    payload: &P,
) -> Result<Vec<u8>, postcard::Error> {
    let frame = postcard::to_extend(envelope, Vec::new())?;
    postcard::to_extend(payload, frame)
}

/// Encodes an envelope that carries no payload, or whose payload bytes are appended later.
pub(crate) fn encode_envelope<E: Serialize>(envelope: &E) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_extend(envelope, Vec::new())
}

/// Splits a frame into its envelope and the payload bytes that follow it.
pub(crate) fn decode_frame<E: DeserializeOwned>(frame: &[u8]) -> Result<(E, &[u8]), postcard::Error> {
    postcard::take_from_bytes(frame)
}

/// Encodes a payload on its own.
#[cfg(test)]
pub(crate) fn encode_payload<P: Serialize + ?Sized>(payload: &P) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_stdvec(payload)
}

/// Decodes a payload; trailing bytes are an error, so a frame cut or padded is caught.
pub(crate) fn decode_payload<P: DeserializeOwned>(bytes: &[u8]) -> Result<P, postcard::Error> {
    let (value, rest) = postcard::take_from_bytes(bytes)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(postcard::Error::DeserializeBadEncoding)
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
            method: "resize".into(),
            key: Some("run-1".into()),
        };
        let frame = encode_frame(&envelope, &(640u32, "cat".to_string())).unwrap();
        let (back, payload): (ToWorker, _) = decode_frame(&frame).unwrap();
        assert_eq!(back, envelope);
        assert_eq!(decode_payload::<(u32, String)>(payload).unwrap(), (640, "cat".into()));
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
