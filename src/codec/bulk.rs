//! The bulk paths: a slice or `Vec` of plain numbers (`u8`, `f32`, …) is encoded and
//! decoded as one block copy instead of one serde call per element.
//!
//! A number of these types encodes to exactly its in-memory bytes on a little-endian
//! machine (wasm32, x86, Arm), so a slice of them encodes to its memory, element for
//! element what the per-element path writes. Serde gives no way to ask a generic `T`
//! whether it is `u8`, and no `TypeId` for types that may borrow; the `typeid` crate
//! gives one with lifetimes erased, which is all this needs: a slice iterator or a
//! `Vec` of these types has the same layout whatever its lifetime.

use std::mem::{ManuallyDrop, size_of, size_of_val};

use super::BlockSource;
use super::error::Error;

/// Calls `$each!(T)` for every number type that has a bulk path.
macro_rules! plain_numbers {
    ($each:ident) => {
        $each!(u8);
        $each!(i8);
        $each!(u16);
        $each!(i16);
        $each!(u32);
        $each!(i32);
        $each!(u64);
        $each!(i64);
        $each!(f32);
        $each!(f64);
    };
}

/// If `It` is a slice iterator over one of the plain number types (what serde's
/// `Serialize` for `[T]` and `Vec<T>` hands to `collect_seq`), the number of elements
/// left and their bytes.
pub(super) fn slice_bytes<It>(iter: &It) -> Option<(usize, &[u8])> {
    if cfg!(target_endian = "big") {
        return None;
    }
    let id = typeid::of::<It>();
    macro_rules! try_number {
        ($t:ty) => {
            if id == typeid::of::<std::slice::Iter<'static, $t>>() {
                // SAFETY: `It` is `slice::Iter<'_, $t>`: `typeid` tells types apart by
                // everything but lifetimes, and the slice borrowed here lives at least
                // as long as `iter`, which bounds the returned borrow.
                let slice = unsafe { &*std::ptr::from_ref(iter).cast::<std::slice::Iter<'_, $t>>() }.as_slice();
                // SAFETY: a plain number has no padding and no invalid bytes; the bytes
                // are the slice's own memory, borrowed as long as the slice.
                let bytes = unsafe { std::slice::from_raw_parts(slice.as_ptr().cast::<u8>(), size_of_val(slice)) };
                return Some((slice.len(), bytes));
            }
        };
    }
    plain_numbers!(try_number);
    None
}

/// If `V` is a `Vec` of one of the plain number types, reads `count` of them from the
/// front of `input` as one copy: the vector and the bytes it used, or
/// [`Error::LengthTooLong`] if `input` holds fewer. `None`: no bulk path for `V`.
pub(super) fn vec_from_bytes<V>(count: usize, input: &[u8]) -> Option<Result<(V, usize), Error>> {
    if cfg!(target_endian = "big") {
        return None;
    }
    let id = typeid::of::<V>();
    macro_rules! try_number {
        ($t:ty) => {
            if id == typeid::of::<Vec<$t>>() {
                return Some(read_vec::<$t>(count, input).map(|(vec, used)| {
                    // SAFETY: `V` is `Vec<$t>` (no lifetime to differ), so this moves the
                    // vector into a value of its own type.
                    let value =
                        unsafe { std::mem::transmute_copy::<ManuallyDrop<Vec<$t>>, V>(&ManuallyDrop::new(vec)) };
                    (value, used)
                }));
            }
        };
    }
    plain_numbers!(try_number);
    None
}

/// If `V` is a `Vec` of one of the plain number types, reads `count` of them from
/// block `index` of `blocks`, copied straight into the vector. `None`: no bulk path.
pub(super) fn vec_from_block<V>(count: usize, index: u32, blocks: &dyn BlockSource) -> Option<Result<V, Error>> {
    if cfg!(target_endian = "big") {
        return None;
    }
    let id = typeid::of::<V>();
    macro_rules! try_number {
        ($t:ty) => {
            if id == typeid::of::<Vec<$t>>() {
                return Some(read_block::<$t>(count, index, blocks).map(|vec| {
                    // SAFETY: as in `vec_from_bytes`: `V` is `Vec<$t>`.
                    unsafe { std::mem::transmute_copy::<ManuallyDrop<Vec<$t>>, V>(&ManuallyDrop::new(vec)) }
                }));
            }
        };
    }
    plain_numbers!(try_number);
    None
}

/// `count` numbers of type `T` copied out of block `index`.
fn read_block<T: Copy>(count: usize, index: u32, blocks: &dyn BlockSource) -> Result<Vec<T>, Error> {
    let len = count.checked_mul(size_of::<T>()).ok_or(Error::LengthTooLong)?;
    let mut vec = Vec::<T>::with_capacity(count);
    // SAFETY: the vector has room for `len` bytes, seen here as uninitialised bytes.
    let bytes = unsafe { std::slice::from_raw_parts_mut(vec.as_mut_ptr().cast::<std::mem::MaybeUninit<u8>>(), len) };
    blocks.read(index, bytes)?;
    // SAFETY: `read` succeeded, so it wrote all `len` bytes, and every bit pattern is a
    // valid plain number.
    unsafe { vec.set_len(count) };
    Ok(vec)
}

/// `count` numbers of type `T` copied from the front of `input`.
fn read_vec<T: Copy>(count: usize, input: &[u8]) -> Result<(Vec<T>, usize), Error> {
    let used = count.checked_mul(size_of::<T>()).ok_or(Error::LengthTooLong)?;
    if used > input.len() {
        return Err(Error::LengthTooLong);
    }
    let mut vec = Vec::<T>::with_capacity(count);
    // SAFETY: the vector has room for `count` elements, `input` holds `used` bytes (checked
    // above), the two do not overlap, and every bit pattern is a valid plain number.
    unsafe {
        std::ptr::copy_nonoverlapping(input.as_ptr(), vec.as_mut_ptr().cast::<u8>(), used);
        vec.set_len(count);
    }
    Ok((vec, used))
}
