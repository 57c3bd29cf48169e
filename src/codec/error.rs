//! What can go wrong turning a value into payload bytes or back.

use std::fmt;

use serde::de::{Expected, Unexpected};

/// A value that cannot be encoded, or bytes that are not the encoding of the expected
/// type. Decoding never panics and never trusts a length it has not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Error {
    /// The bytes end in the middle of a value.
    Truncated,
    /// Bytes are left over after the value: the frame was cut or padded.
    TrailingBytes,
    /// A length larger than the bytes that follow it.
    LengthTooLong,
    /// A sequence, string or map longer than the format can count (2^32 − 1).
    TooLong,
    /// A string that is not UTF-8.
    InvalidUtf8,
    /// A tag byte (bool, option) that is not 0 or 1.
    InvalidTag(u8),
    /// A `char` that is not a Unicode scalar value.
    InvalidChar(u32),
    /// A value that needs a self-describing format (`deserialize_any`, skipping fields).
    NotSelfDescribing,
    /// An error from a `Serialize` or `Deserialize` implementation.
    Custom(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("the payload ends in the middle of a value"),
            Error::TrailingBytes => f.write_str("bytes are left over after the payload"),
            Error::LengthTooLong => f.write_str("a length exceeds the bytes that follow it"),
            Error::TooLong => f.write_str("a sequence, string or map is longer than 2^32 - 1"),
            Error::InvalidUtf8 => f.write_str("a string is not valid UTF-8"),
            Error::InvalidTag(tag) => write!(f, "a bool or option tag is {tag}, not 0 or 1"),
            Error::InvalidChar(value) => write!(f, "{value:#x} is not a Unicode scalar value"),
            Error::NotSelfDescribing => {
                f.write_str("the payload format is not self-describing: a type needs to know what it reads")
            }
            Error::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error::Custom(message.to_string())
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error::Custom(message.to_string())
    }

    // serde's defaults format the unexpected value with `Unexpected`'s `Display`, whose
    // float arm links the whole float printer (≈ 20 KB of wasm) into every app. These
    // say the same without printing floats.
    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Error::Custom(format!("invalid type: {}, expected {expected}", Found(unexpected)))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Error::Custom(format!("invalid value: {}, expected {expected}", Found(unexpected)))
    }
}

/// An unexpected value, described without printing floats.
struct Found<'a>(Unexpected<'a>);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Bool(value) => write!(f, "boolean `{value}`"),
            Unexpected::Unsigned(value) => write!(f, "integer `{value}`"),
            Unexpected::Signed(value) => write!(f, "integer `{value}`"),
            Unexpected::Float(_) => f.write_str("a floating point number"),
            Unexpected::Char(value) => write!(f, "character `{value}`"),
            Unexpected::Str(value) => write!(f, "string {value:?}"),
            Unexpected::Bytes(_) => f.write_str("byte array"),
            Unexpected::Unit => f.write_str("unit value"),
            Unexpected::Option => f.write_str("Option value"),
            Unexpected::NewtypeStruct => f.write_str("newtype struct"),
            Unexpected::Seq => f.write_str("sequence"),
            Unexpected::Map => f.write_str("map"),
            Unexpected::Enum => f.write_str("enum"),
            Unexpected::UnitVariant => f.write_str("unit variant"),
            Unexpected::NewtypeVariant => f.write_str("newtype variant"),
            Unexpected::TupleVariant => f.write_str("tuple variant"),
            Unexpected::StructVariant => f.write_str("struct variant"),
            Unexpected::Other(other) => f.write_str(other),
        }
    }
}
