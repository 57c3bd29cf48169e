//! A bounded store of spare values kept for reuse: what a call builds and lets go of
//! (its record in the executor, its abort controller in the worker) is kept here by
//! its owner and handed to the next call instead of being built again. Measured on
//! the core bench, each of these saves 15–25 ns a call. Two more allocations are
//! reused without this store: a call record keeps its answer slot for its next call
//! (`executor/reply.rs`), and a worker's handler keeps the box of work that finished
//! at once (`worker/registry.rs`). Frame buffers kept for reuse, here or in
//! thread-locals, cost more than the allocator and were left out. The bound keeps an
//! app that once had a burst of calls in flight from holding that many spares for the
//! rest of its life.
//!
//! This module holds values and nothing else: each owner decides what is fit to keep
//! (reset, not shared, not too large).

/// At most `N` spare values.
#[derive(Debug)]
pub(crate) struct Spares<T, const N: usize> {
    kept: Vec<T>,
}

impl<T, const N: usize> Spares<T, N> {
    pub(crate) const fn new() -> Self {
        Self { kept: Vec::new() }
    }

    /// A spare value, if one is kept.
    #[inline]
    pub(crate) fn take(&mut self) -> Option<T> {
        self.kept.pop()
    }

    /// Keeps `value` for later, or drops it if `N` are kept already.
    #[inline]
    pub(crate) fn keep(&mut self, value: T) {
        if self.kept.len() < N {
            self.kept.push(value);
        }
    }
}

impl<T, const N: usize> Default for Spares<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_last_in_first_out_and_the_store_stays_bounded() {
        let mut spares = Spares::<u32, 2>::new();
        assert_eq!(spares.take(), None);
        for value in [1, 2, 3] {
            spares.keep(value);
        }
        assert_eq!(spares.take(), Some(2));
        assert_eq!(spares.take(), Some(1));
        assert_eq!(spares.take(), None, "the third was dropped");
    }
}
