//! How frames lie in a shared-memory ring: one record per frame, its length as a
//! little-endian `u32`, then its bytes. Pure byte handling, shared by the writer (the
//! [`Outbox`](super::outbox::Outbox)) and the reader ([`ring`](super::ring)); it knows
//! nothing of shared memory or of what the frames mean.

/// Bytes a record adds to its frame.
pub(crate) const RECORD_HEADER: usize = 4;

/// Appends `frame` to `records` as one record.
pub(crate) fn push(records: &mut Vec<u8>, frame: &[u8]) {
    let len = u32::try_from(frame.len()).expect("a frame in a ring is far below 4 GiB");
    records.extend_from_slice(&len.to_le_bytes());
    records.extend_from_slice(frame);
}

/// The frames in `records`, in order; `None` if the bytes are not a whole number of
/// records (a record's length runs past the end).
pub(crate) fn split(mut records: &[u8]) -> Option<Vec<&[u8]>> {
    let mut frames = Vec::new();
    while !records.is_empty() {
        let (len, rest) = records.split_first_chunk::<RECORD_HEADER>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        if rest.len() < len {
            return None;
        }
        let (frame, rest) = rest.split_at(len);
        frames.push(frame);
        records = rest;
    }
    Some(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_back_in_order_including_empty_ones() {
        let mut records = Vec::new();
        for frame in [&b"abc"[..], b"", &[0xFF; 300]] {
            push(&mut records, frame);
        }
        assert_eq!(records.len(), 3 * RECORD_HEADER + 303);
        let frames = split(&records).unwrap();
        assert_eq!(frames, vec![&b"abc"[..], b"", &[0xFF; 300]]);
        assert_eq!(split(&[]).unwrap(), Vec::<&[u8]>::new());
    }

    #[test]
    fn a_record_cut_short_is_refused() {
        let mut records = Vec::new();
        push(&mut records, b"hello");
        assert!(split(&records[..records.len() - 1]).is_none(), "frame cut short");
        assert!(split(&records[..2]).is_none(), "length cut short");
        let mut lying = 1_000_000u32.to_le_bytes().to_vec();
        lying.extend_from_slice(b"short");
        assert!(split(&lying).is_none(), "length past the end");
    }
}
