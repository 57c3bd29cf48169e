//! Decoding: a serde `Deserializer` over a byte slice (the format is described in the
//! [module docs](super)). Strings and byte strings may be borrowed from the input.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::error::Error;
use super::ser::BLOCK_FLAG;
use super::{BlockSource, bulk};

/// Decodes a `T` from the front of `input`: the value and the bytes after it.
pub(crate) fn decode_prefix<'de, T: de::Deserialize<'de>>(input: &'de [u8]) -> Result<(T, &'de [u8]), Error> {
    let mut reader = Reader { input, blocks: None };
    let value = T::deserialize(&mut reader)?;
    Ok((value, reader.input))
}

/// Decodes a `T` that fills `input` exactly, its blocks read from `blocks`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn decode_with_blocks<'de, T: de::Deserialize<'de>>(
    input: &'de [u8],
    blocks: &dyn BlockSource,
) -> Result<T, Error> {
    let mut reader = Reader {
        input,
        blocks: Some(blocks),
    };
    let value = T::deserialize(&mut reader)?;
    if reader.input.is_empty() {
        Ok(value)
    } else {
        Err(Error::TrailingBytes)
    }
}

/// The bytes not read yet.
pub(super) struct Reader<'de, 'b> {
    input: &'de [u8],
    blocks: Option<&'b dyn BlockSource>,
}

impl<'de> Reader<'de, '_> {
    fn take(&mut self, len: usize) -> Result<&'de [u8], Error> {
        if len > self.input.len() {
            return Err(Error::Truncated);
        }
        let (taken, rest) = self.input.split_at(len);
        self.input = rest;
        Ok(taken)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let bytes = self.take(N)?;
        let mut array = [0; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    fn take_u8(&mut self) -> Result<u8, Error> {
        Ok(self.take_array::<1>()?[0])
    }

    fn take_u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.take_array()?))
    }

    /// A length or count; each element takes at least `min_size` bytes, so a count the
    /// remaining bytes cannot hold is refused before anything is allocated for it.
    fn take_len(&mut self, min_size: usize) -> Result<usize, Error> {
        let len = self.take_u32()? as usize;
        if len.saturating_mul(min_size) > self.input.len() {
            return Err(Error::LengthTooLong);
        }
        Ok(len)
    }

    /// A length-prefixed run of bytes.
    fn take_bytes(&mut self) -> Result<&'de [u8], Error> {
        let len = self.take_len(1)?;
        self.take(len)
    }

    fn take_str(&mut self) -> Result<&'de str, Error> {
        std::str::from_utf8(self.take_bytes()?).map_err(|_| Error::InvalidUtf8)
    }

    fn take_tag(&mut self) -> Result<bool, Error> {
        match self.take_u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(Error::InvalidTag(other)),
        }
    }
}

macro_rules! take_number {
    ($($method:ident($t:ty) => $visit:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                visitor.$visit(<$t>::from_le_bytes(self.take_array()?))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de, '_> {
    type Error = Error;

    take_number! {
        deserialize_i8(i8) => visit_i8, deserialize_i16(i16) => visit_i16, deserialize_i32(i32) => visit_i32,
        deserialize_i64(i64) => visit_i64, deserialize_i128(i128) => visit_i128,
        deserialize_u8(u8) => visit_u8, deserialize_u16(u16) => visit_u16, deserialize_u32(u32) => visit_u32,
        deserialize_u64(u64) => visit_u64, deserialize_u128(u128) => visit_u128,
        deserialize_f32(f32) => visit_f32, deserialize_f64(f64) => visit_f64,
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(Error::NotSelfDescribing)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(Error::NotSelfDescribing)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(self.take_tag()?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = self.take_u32()?;
        visitor.visit_char(char::from_u32(value).ok_or(Error::InvalidChar(value))?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.take_str()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_bytes(self.take_bytes()?)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.take_tag()? {
            visitor.visit_some(self)
        } else {
            visitor.visit_none()
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// A `Vec` of plain numbers is read as one copy (see [`bulk`]); other sequences
    /// element by element.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let count = self.take_u32()?;
        if count & BLOCK_FLAG != 0 {
            let index = self.take_u32()?;
            let source = self
                .blocks
                .ok_or_else(|| Error::Custom("a block outside a frame that carries blocks".into()))?;
            return bulk::vec_from_block::<V::Value>((count & !BLOCK_FLAG) as usize, index, source).unwrap_or_else(
                || {
                    Err(Error::Custom(
                        "a sequence of numbers sent as a block decodes only as a Vec (or Box<[T]>)".into(),
                    ))
                },
            );
        }
        let len = count as usize;
        if let Some(read) = bulk::vec_from_bytes::<V::Value>(len, self.input) {
            let (value, used) = read?;
            self.input = &self.input[used..];
            return Ok(value);
        }
        if len > self.input.len() {
            // Every element takes a byte at least, but for zero-sized ones (`()`).
            return Err(Error::LengthTooLong);
        }
        visitor.visit_seq(Elements {
            reader: self,
            left: len,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(Elements {
            reader: self,
            left: len,
        })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let len = self.take_len(1)?;
        visitor.visit_map(Elements {
            reader: self,
            left: len,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_tuple(fields.len(), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Only enum variants ask for an identifier here, and they are numbered.
        visitor.visit_u32(self.take_u32()?)
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// The elements of a sequence, tuple or map still to read.
struct Elements<'a, 'de, 'b> {
    reader: &'a mut Reader<'de, 'b>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.reader).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::MapAccess<'de> for Elements<'_, 'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.reader).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.reader)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de, 'b> de::EnumAccess<'de> for &mut Reader<'de, 'b> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let index = self.take_u32()?;
        let value = seed.deserialize(index.into_deserializer())?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Reader<'de, '_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple(self, fields.len(), visitor)
    }
}
