//! The dispatch queue: admission and order of one task's calls, and nothing else.
//!
//! A call moves through three phases:
//!
//! - **waiting**: the task is full (`max_queue_depth` calls already pending); the call
//!   waits, in arrival order, for room;
//! - **pending**: accepted, waiting for an in-flight slot;
//! - **in flight**: handed to a worker; it stays here until the executor takes it back.
//!
//! Guarantees: calls are dispatched in the order they were admitted (FIFO across
//! waiting and pending); a newcomer never overtakes a waiting call; at most
//! `max_in_flight` calls are in flight and at most `max_queue_depth` pending at any time.
//!
//! The queue holds entries and counts; it never talks to workers, never settles calls
//! and never reads a clock, so it is tested as plain data.

use std::collections::VecDeque;

/// The current number of calls in each phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct QueueCounts {
    pub waiting: usize,
    pub pending: usize,
    pub in_flight: usize,
}

/// Admission and dispatch order for one task (see the module docs).
#[derive(Debug)]
pub(crate) struct DispatchQueue<T> {
    waiting: VecDeque<T>,
    pending: VecDeque<T>,
    in_flight: Vec<T>,
    max_in_flight: usize,
    max_queue_depth: usize,
}

impl<T> DispatchQueue<T> {
    pub(crate) fn new(max_in_flight: usize, max_queue_depth: usize) -> Self {
        Self {
            waiting: VecDeque::new(),
            pending: VecDeque::new(),
            in_flight: Vec::new(),
            max_in_flight,
            max_queue_depth,
        }
    }

    /// Accepts a call: pending if there is room and nobody waits ahead of it, else waiting.
    pub(crate) fn admit(&mut self, entry: T) {
        if self.waiting.is_empty() && self.pending.len() < self.max_queue_depth {
            self.pending.push_back(entry);
        } else {
            self.waiting.push_back(entry);
        }
    }

    /// Takes the next call to dispatch, if an in-flight slot is free. The caller must
    /// either hand it back with [`push_in_flight`](Self::push_in_flight) or settle it.
    pub(crate) fn next_to_dispatch(&mut self) -> Option<T> {
        if self.in_flight.len() >= self.max_in_flight {
            return None;
        }
        let entry = self.pending.pop_front().or_else(|| self.waiting.pop_front())?;
        self.refill_pending();
        Some(entry)
    }

    /// Records a dispatched call as in flight.
    pub(crate) fn push_in_flight(&mut self, entry: T) {
        self.in_flight.push(entry);
    }

    /// Removes and returns the first in-flight call matching `pred`.
    pub(crate) fn take_in_flight(&mut self, pred: impl Fn(&T) -> bool) -> Option<T> {
        let at = self.in_flight.iter().position(pred)?;
        Some(self.in_flight.swap_remove(at))
    }

    /// Removes and returns every in-flight call matching `pred`, in dispatch order.
    pub(crate) fn drain_in_flight(&mut self, pred: impl Fn(&T) -> bool) -> Vec<T> {
        let (taken, kept) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|entry| pred(entry));
        self.in_flight = kept;
        taken
    }

    /// Removes every call, in every phase: in flight, then pending, then waiting.
    pub(crate) fn drain_all(&mut self) -> Vec<T> {
        let mut all = std::mem::take(&mut self.in_flight);
        all.extend(self.pending.drain(..));
        all.extend(self.waiting.drain(..));
        all
    }

    pub(crate) fn counts(&self) -> QueueCounts {
        QueueCounts {
            waiting: self.waiting.len(),
            pending: self.pending.len(),
            in_flight: self.in_flight.len(),
        }
    }

    fn refill_pending(&mut self) {
        while self.pending.len() < self.max_queue_depth {
            match self.waiting.pop_front() {
                Some(entry) => self.pending.push_back(entry),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(waiting: usize, pending: usize, in_flight: usize) -> QueueCounts {
        QueueCounts {
            waiting,
            pending,
            in_flight,
        }
    }

    #[test]
    fn calls_beyond_the_depth_wait_and_move_up_in_order() {
        let mut queue = DispatchQueue::new(1, 1);
        for call in ["a", "b", "c", "d"] {
            queue.admit(call);
        }
        assert_eq!(queue.counts(), counts(3, 1, 0));
        let first = queue.next_to_dispatch().unwrap();
        queue.push_in_flight(first);
        assert_eq!(first, "a");
        assert_eq!(queue.counts(), counts(2, 1, 1));
        assert_eq!(queue.next_to_dispatch(), None, "in flight is full");
        assert_eq!(queue.take_in_flight(|c| *c == "a"), Some("a"));
        let order: Vec<_> = std::iter::from_fn(|| {
            let next = queue.next_to_dispatch()?;
            queue.take_in_flight(|_| true);
            Some(next)
        })
        .collect();
        assert_eq!(order, ["b", "c", "d"]);
        assert_eq!(queue.counts(), counts(0, 0, 0));
    }

    #[test]
    fn a_newcomer_never_overtakes_a_waiting_call() {
        let mut queue = DispatchQueue::new(1, 1);
        queue.admit(1);
        queue.admit(2);
        let first = queue.next_to_dispatch().unwrap();
        queue.push_in_flight(first);
        // 2 moved up to pending; the pending buffer is full again.
        queue.admit(3);
        queue.admit(4);
        assert_eq!(queue.counts(), counts(2, 1, 1));
        queue.take_in_flight(|c| *c == 1);
        assert_eq!(queue.next_to_dispatch(), Some(2));
        assert_eq!(queue.next_to_dispatch(), Some(3));
    }

    #[test]
    fn depth_zero_admits_straight_from_waiting_when_a_slot_frees() {
        let mut queue = DispatchQueue::new(2, 0);
        queue.admit('x');
        queue.admit('y');
        queue.admit('z');
        assert_eq!(queue.counts(), counts(3, 0, 0));
        let x = queue.next_to_dispatch().unwrap();
        queue.push_in_flight(x);
        let y = queue.next_to_dispatch().unwrap();
        queue.push_in_flight(y);
        assert_eq!((x, y), ('x', 'y'));
        assert_eq!(queue.next_to_dispatch(), None);
        assert_eq!(queue.counts(), counts(1, 0, 2));
    }

    #[test]
    fn drains_keep_phase_order() {
        let mut queue = DispatchQueue::new(2, 1);
        for call in 0..5 {
            queue.admit(call);
        }
        for _ in 0..2 {
            let call = queue.next_to_dispatch().unwrap();
            queue.push_in_flight(call);
        }
        assert_eq!(queue.drain_in_flight(|c| *c == 1), vec![1]);
        assert_eq!(queue.drain_all(), vec![0, 2, 3, 4]);
        assert_eq!(queue.counts(), counts(0, 0, 0));
    }
}
