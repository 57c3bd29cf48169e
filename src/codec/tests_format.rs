//! The payload format: every shape a method's input or output takes round-trips, the
//! bulk paths write exactly what the per-element path writes, and bad bytes are typed
//! errors, never panics.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use std::cell::RefCell;
use std::mem::MaybeUninit;

use super::{
    BLOCK_MIN, BlockSink, BlockSource, Error, decode_payload, decode_prefix, decode_with_blocks, encode_payload,
    encode_with_blocks,
};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = encode_payload(value).unwrap();
    assert_eq!(&decode_payload::<T>(&bytes).unwrap(), value);
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Empty,
    Circle(f64),
    Rect(u32, u32),
    Named { name: String, corners: Vec<(i16, i16)> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Image {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    samples: Vec<f32>,
    label: Option<String>,
    shapes: Vec<Shape>,
    stats: BTreeMap<String, u64>,
}

fn image(pixels: usize) -> Image {
    Image {
        width: 640,
        height: 480,
        pixels: (0..pixels).map(|i| (i * 7) as u8).collect(),
        samples: (0..pixels / 4).map(|i| i as f32 * 0.5).collect(),
        label: Some("ünïcode ✓".into()),
        shapes: vec![
            Shape::Empty,
            Shape::Circle(1.5),
            Shape::Rect(2, 3),
            Shape::Named {
                name: "tri".into(),
                corners: vec![(0, 0), (-1, 4), (3, -2)],
            },
        ],
        stats: [("reds".to_string(), 12), ("blues".to_string(), u64::MAX)].into(),
    }
}

#[test]
fn every_shape_round_trips() {
    round_trip(&(true, false, 'x', '🦀', u8::MAX, i8::MIN, u16::MAX, i16::MIN));
    round_trip(&(
        u32::MAX,
        i32::MIN,
        u64::MAX,
        i64::MIN,
        u128::MAX,
        i128::MIN,
        usize::MAX,
        isize::MIN,
    ));
    round_trip(&(f32::MIN_POSITIVE, f64::MAX, -0.0f64, f32::INFINITY));
    round_trip(&((), Some(()), None::<u8>, Some(Some(3u8)), [1u16, 2, 3], (7u8,)));
    round_trip(&String::new());
    round_trip(&vec![String::from("a"), String::new(), "ünï".repeat(100)]);
    round_trip(&image(10_000));
    round_trip(&Box::<[u8]>::from(&[1, 2, 3][..]));
    round_trip(&vec![vec![1u8, 2], vec![], vec![3]]);
    round_trip(&[Shape::Circle(2.0), Shape::Empty]);
    round_trip(&HashMap::from([(1u8, "one".to_string()), (2, "two".to_string())]));
    round_trip(&VecDeque::from([1.5f64, -2.5]));
    for n in [Vec::<i64>::new(), vec![i64::MIN, 0, i64::MAX]] {
        round_trip(&n);
    }
}

#[test]
fn borrowed_strings_and_bytes_decode_without_copying() {
    let bytes = encode_payload(&("borrowed", serde_bytes_like(b"raw"))).unwrap();
    let ((text, raw), rest): ((&str, &[u8]), _) = decode_prefix(&bytes).unwrap();
    assert_eq!((text, raw, rest.len()), ("borrowed", &b"raw"[..], 0));
    let inside = |s: &[u8]| bytes.as_ptr_range().contains(&s.as_ptr());
    assert!(inside(text.as_bytes()) && inside(raw), "both point into the input");
}

/// Serializes as a byte string (what `serde_bytes` does), for the test above.
fn serde_bytes_like(bytes: &[u8]) -> impl Serialize + '_ {
    struct Bytes<'a>(&'a [u8]);
    impl Serialize for Bytes<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(self.0)
        }
    }
    Bytes(bytes)
}

#[test]
fn a_slice_of_numbers_is_written_and_read_exactly_as_element_by_element() {
    // `VecDeque` has no bulk path: its bytes are the per-element encoding.
    let numbers: Vec<u32> = (0..1000u32).map(|n| n.wrapping_mul(2_654_435_761)).collect();
    let per_element = encode_payload(&numbers.iter().copied().collect::<VecDeque<u32>>()).unwrap();
    let bulk = encode_payload(&numbers).unwrap();
    assert_eq!(bulk, per_element);
    assert_eq!(bulk.len(), 4 + 4 * numbers.len());
    assert_eq!(decode_payload::<Vec<u32>>(&per_element).unwrap(), numbers);
    assert_eq!(decode_payload::<VecDeque<u32>>(&bulk).unwrap(), numbers);
    let floats: Vec<f32> = vec![1.0, f32::NAN, -3.25];
    let back = decode_payload::<Vec<f32>>(&encode_payload(&floats).unwrap()).unwrap();
    assert_eq!(
        back.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
        floats.iter().map(|f| f.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn large_payloads_round_trip_whole() {
    // 64 MiB of bytes and 16 M floats: one copy each way.
    let bytes: Vec<u8> = (0..64 << 20).map(|i: u32| (i % 251) as u8).collect();
    let encoded = encode_payload(&bytes).unwrap();
    assert_eq!(encoded.len(), 4 + bytes.len());
    assert!(decode_payload::<Vec<u8>>(&encoded).unwrap() == bytes);
    let floats: Vec<f32> = (0..16 << 20).map(|i| i as f32).collect();
    assert!(decode_payload::<Vec<f32>>(&encode_payload(&floats).unwrap()).unwrap() == floats);
}

#[test]
fn cut_bytes_are_an_error_at_every_length_never_a_panic() {
    let bytes = encode_payload(&image(64)).unwrap();
    for len in 0..bytes.len() {
        let error = decode_payload::<Image>(&bytes[..len]).unwrap_err();
        assert!(
            matches!(error, Error::Truncated | Error::LengthTooLong),
            "{len} of {} bytes: {error:?}",
            bytes.len()
        );
    }
}

#[test]
fn padded_bytes_are_an_error() {
    let mut bytes = encode_payload(&image(64)).unwrap();
    bytes.push(0);
    assert_eq!(decode_payload::<Image>(&bytes), Err(Error::TrailingBytes));
}

#[test]
fn a_length_longer_than_what_follows_is_refused_before_allocating() {
    // The largest count that is not a block's.
    let mut lying = 0x7FFF_FFFFu32.to_le_bytes().to_vec();
    lying.extend([1, 2, 3]);
    assert_eq!(decode_payload::<Vec<u8>>(&lying), Err(Error::LengthTooLong));
    assert_eq!(decode_payload::<Vec<f64>>(&lying), Err(Error::LengthTooLong));
    assert_eq!(decode_payload::<Vec<String>>(&lying), Err(Error::LengthTooLong));
    assert_eq!(decode_payload::<String>(&lying), Err(Error::LengthTooLong));
    assert_eq!(decode_payload::<BTreeMap<u8, u8>>(&lying), Err(Error::LengthTooLong));
}

#[test]
fn values_that_cannot_be_are_typed_errors() {
    let not_utf8 = [2, 0, 0, 0, 0xC3, 0x28];
    assert_eq!(decode_payload::<String>(&not_utf8), Err(Error::InvalidUtf8));
    assert_eq!(decode_payload::<bool>(&[2]), Err(Error::InvalidTag(2)));
    assert_eq!(decode_payload::<Option<u8>>(&[5, 1]), Err(Error::InvalidTag(5)));
    assert_eq!(
        decode_payload::<char>(&0xD800u32.to_le_bytes()),
        Err(Error::InvalidChar(0xD800))
    );
    // Variant 9 of an enum with four: serde's message, with the value it found.
    let Err(Error::Custom(message)) = decode_payload::<Shape>(&9u32.to_le_bytes()) else {
        panic!("variant 9 of 4 decoded");
    };
    assert!(
        message.starts_with("invalid value: integer `9`, expected variant index"),
        "{message}"
    );
}

#[test]
fn an_unexpected_float_is_described_without_printing_it() {
    use serde::de::{Error as _, Unexpected};
    let found = Error::invalid_type(Unexpected::Float(1.5), &"a string");
    assert_eq!(
        found,
        Error::Custom("invalid type: a floating point number, expected a string".into())
    );
    let found = Error::invalid_value(Unexpected::Str("x"), &"a digit");
    assert_eq!(
        found,
        Error::Custom("invalid value: string \"x\", expected a digit".into())
    );
}

#[test]
fn garbage_of_any_kind_decodes_to_an_error_or_a_value_never_a_panic() {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    for round in 0..5_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 96) as usize;
        let garbage: Vec<u8> = (0..len).map(|i| (state >> (i % 56)) as u8 ^ round as u8).collect();
        let _ = decode_payload::<Image>(&garbage);
        let _ = decode_payload::<(String, Vec<Shape>, HashMap<u16, Vec<f32>>)>(&garbage);
    }
}

#[test]
fn a_type_that_needs_a_self_describing_format_says_so() {
    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    #[allow(dead_code)]
    enum Either {
        Number(u32),
        Text(String),
    }
    assert_eq!(
        decode_payload::<Either>(&[1, 0, 0, 0]).unwrap_err().to_string(),
        Error::NotSelfDescribing.to_string()
    );
}

/// Blocks kept in memory, as the browser keeps them in buffers beside the frame.
#[derive(Default)]
struct MemoryBlocks(RefCell<Vec<Vec<u8>>>);

impl BlockSink for MemoryBlocks {
    fn put(&self, bytes: &[u8]) -> Option<u32> {
        let mut blocks = self.0.borrow_mut();
        blocks.push(bytes.to_vec());
        u32::try_from(blocks.len() - 1).ok()
    }
}

impl BlockSource for MemoryBlocks {
    fn read(&self, index: u32, out: &mut [MaybeUninit<u8>]) -> Result<(), Error> {
        let blocks = self.0.borrow();
        let block = blocks
            .get(index as usize)
            .ok_or(Error::Custom("no such block".into()))?;
        if block.len() != out.len() {
            return Err(Error::LengthTooLong);
        }
        for (slot, byte) in out.iter_mut().zip(block) {
            slot.write(*byte);
        }
        Ok(())
    }
}

#[test]
fn large_slices_of_numbers_go_beside_the_frame_and_small_ones_inside() {
    let blocks = MemoryBlocks::default();
    let value = image(BLOCK_MIN);
    let frame = encode_with_blocks(&value, Vec::new(), &blocks).unwrap();
    // The pixels (64 KiB) went to a block; the samples (64 KiB of f32 = 16 K floats) too.
    assert_eq!(blocks.0.borrow().len(), 2);
    assert!(frame.len() < 1024, "the frame holds no bulk: {} bytes", frame.len());
    assert_eq!(decode_with_blocks::<Image>(&frame, &blocks).unwrap(), value);
    let small = image(1000);
    let inline = encode_with_blocks(&small, Vec::new(), &blocks).unwrap();
    assert_eq!(
        inline,
        encode_payload(&small).unwrap(),
        "below the minimum nothing changes"
    );
}

#[test]
fn a_block_that_is_missing_or_of_the_wrong_size_is_an_error() {
    let blocks = MemoryBlocks::default();
    let frame = encode_with_blocks(&vec![1u8; BLOCK_MIN], Vec::new(), &blocks).unwrap();
    assert!(decode_with_blocks::<Vec<u8>>(&frame, &MemoryBlocks::default()).is_err());
    blocks.0.borrow_mut()[0].pop();
    assert_eq!(
        decode_with_blocks::<Vec<u8>>(&frame, &blocks),
        Err(Error::LengthTooLong)
    );
    assert!(
        decode_payload::<Vec<u8>>(&frame).is_err(),
        "a frame with blocks needs them"
    );
}
