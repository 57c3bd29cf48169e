//! Encoding: a serde `Serializer` that appends a value's bytes to a buffer (the format
//! is described in the [module docs](super)).

use serde::Serialize;
use serde::ser;

use super::error::Error;
use super::{BLOCK_MIN, BlockSink, bulk};

/// Appends the encoding of `value` to `out` and hands `out` back.
#[cfg(test)]
pub(crate) fn encode_into<T: Serialize + ?Sized>(value: &T, mut out: Vec<u8>) -> Result<Vec<u8>, Error> {
    append(value, &mut out, None)?;
    Ok(out)
}

/// Appends the encoding of `value` to `out` where it lies (the frame is not moved in
/// and out), its large slices of numbers given to `blocks` if any (see [`BlockSink`]).
/// On an error, `out` may hold part of the value.
pub(crate) fn append<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    blocks: Option<&dyn BlockSink>,
) -> Result<(), Error> {
    value.serialize(&mut Writer { out, blocks })
}

/// Appends the encoding of `value` to `out`, its large slices of numbers given to
/// `blocks` (see [`BlockSink`]), and hands `out` back.
#[cfg(test)]
pub(crate) fn encode_with_blocks<T: Serialize + ?Sized>(
    value: &T,
    mut out: Vec<u8>,
    blocks: &dyn BlockSink,
) -> Result<Vec<u8>, Error> {
    append(value, &mut out, Some(blocks))?;
    Ok(out)
}

/// The top bit of a count: the elements are in a block (see the module docs).
pub(super) const BLOCK_FLAG: u32 = 1 << 31;

/// The buffer being written.
pub(super) struct Writer<'b> {
    out: &'b mut Vec<u8>,
    blocks: Option<&'b dyn BlockSink>,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// A length or count, as `u32` (below [`BLOCK_FLAG`]).
    fn put_len(&mut self, len: usize) -> Result<(), Error> {
        let len = u32::try_from(len)
            .ok()
            .filter(|len| *len < BLOCK_FLAG)
            .ok_or(Error::TooLong)?;
        self.put(&len.to_le_bytes());
        Ok(())
    }

    /// A bulk sequence of `count` numbers: in a block if it is large and a sink takes
    /// it, else inline.
    fn put_numbers(&mut self, count: usize, bytes: &[u8]) -> Result<(), Error> {
        if bytes.len() >= BLOCK_MIN
            && let Some(index) = self.blocks.and_then(|blocks| blocks.put(bytes))
        {
            let count = u32::try_from(count)
                .ok()
                .filter(|count| *count < BLOCK_FLAG)
                .ok_or(Error::TooLong)?;
            self.put(&(count | BLOCK_FLAG).to_le_bytes());
            self.put(&index.to_le_bytes());
            return Ok(());
        }
        self.put_len(count)?;
        self.put(bytes);
        Ok(())
    }

    fn put_variant(&mut self, index: u32) {
        self.put(&index.to_le_bytes());
    }
}

/// A sequence or map being written: if its length was not given, where its count goes
/// and how many elements were written.
pub(super) struct Compound<'a, 'b> {
    writer: &'a mut Writer<'b>,
    /// `Some((position of the count, elements so far))` when the length is counted.
    counting: Option<(usize, u32)>,
}

impl<'a, 'b> Compound<'a, 'b> {
    fn new(writer: &'a mut Writer<'b>, len: Option<usize>) -> Result<Self, Error> {
        let counting = match len {
            Some(len) => {
                writer.put_len(len)?;
                None
            }
            None => {
                let at = writer.out.len();
                writer.put(&[0; 4]);
                Some((at, 0))
            }
        };
        Ok(Self { writer, counting })
    }

    fn count(&mut self) -> Result<(), Error> {
        if let Some((_, count)) = &mut self.counting {
            *count = count.checked_add(1).ok_or(Error::TooLong)?;
        }
        Ok(())
    }

    fn finish(self) {
        if let Some((at, count)) = self.counting {
            self.writer.out[at..at + 4].copy_from_slice(&count.to_le_bytes());
        }
    }
}

macro_rules! put_number {
    ($($method:ident($t:ty)),* $(,)?) => {
        $(
            fn $method(self, value: $t) -> Result<(), Error> {
                self.put(&value.to_le_bytes());
                Ok(())
            }
        )*
    };
}

impl<'a, 'b> ser::Serializer for &'a mut Writer<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    put_number! {
        serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64), serialize_i128(i128),
        serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64), serialize_u128(u128),
        serialize_f32(f32), serialize_f64(f64),
    }

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        self.put(&[u8::from(value)]);
        Ok(())
    }

    fn serialize_char(self, value: char) -> Result<(), Error> {
        self.put(&u32::from(value).to_le_bytes());
        Ok(())
    }

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        self.serialize_bytes(value.as_bytes())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), Error> {
        self.put_len(value.len())?;
        self.put(value);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.put(&[0]);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        self.put(&[1]);
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_unit_variant(self, _name: &'static str, index: u32, _variant: &'static str) -> Result<(), Error> {
        self.put_variant(index);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.put_variant(index);
        value.serialize(self)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Compound::new(self, len)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self, Error> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self, Error> {
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self, Error> {
        self.put_variant(index);
        Ok(self)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Compound::new(self, len)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, Error> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self, Error> {
        self.put_variant(index);
        Ok(self)
    }

    /// Slices and `Vec`s of plain numbers go as one copy (see [`bulk`]); other
    /// sequences element by element.
    fn collect_seq<I>(self, iter: I) -> Result<(), Error>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        let iter = iter.into_iter();
        if let Some((count, bytes)) = bulk::slice_bytes(&iter) {
            return self.put_numbers(count, bytes);
        }
        let (low, high) = iter.size_hint();
        let mut seq = Compound::new(self, (Some(low) == high).then_some(low))?;
        for item in iter {
            ser::SerializeSeq::serialize_element(&mut seq, &item)?;
        }
        seq.finish();
        Ok(())
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.count()?;
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), Error> {
        self.finish();
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.count()?;
        key.serialize(&mut *self.writer)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), Error> {
        self.finish();
        Ok(())
    }
}

/// Tuples, structs and their variants: the fields in order, nothing around them.
macro_rules! fields_in_order {
    ($($trait:ident :: $method:ident $(($key:ident))?),* $(,)?) => {
        $(
            impl ser::$trait for &mut Writer<'_> {
                type Ok = ();
                type Error = Error;

                fn $method<T: Serialize + ?Sized>(&mut self, $($key: &'static str,)? value: &T) -> Result<(), Error> {
                    value.serialize(&mut **self)
                }

                fn end(self) -> Result<(), Error> {
                    Ok(())
                }
            }
        )*
    };
}

fields_in_order! {
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
    SerializeStruct::serialize_field(_key),
    SerializeStructVariant::serialize_field(_key),
}
