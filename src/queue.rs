//! The dispatch queue: admission and order of one task's calls, and nothing else.
//!
//! A call moves through three phases:
//!
//! - **waiting** (only under [`QueuePolicy::Block`]): the task is full
//!   (`max_queue_depth` calls already pending); the call waits, in arrival order, for room;
//! - **pending**: accepted, waiting for an in-flight slot;
//! - **in flight**: handed to a worker; it stays here until the executor takes it back.
//!
//! Guarantees: calls are dispatched in the order they were admitted (FIFO across
//! waiting and pending); a newcomer never overtakes a waiting call; at most
//! `max_in_flight` calls are in flight and at most `max_queue_depth` pending at any time.
//!
//! When the pending buffer is full, the [`QueuePolicy`] decides: `Block` makes the
//! newcomer wait, `Reject` and `DropLatest` refuse the newcomer, `DropOldest` evicts the
//! oldest pending call to make room. A call that can start at once (a free in-flight
//! slot and nobody pending) is never refused, even with `max_queue_depth` 0: a depth of
//! 0 means "no buffer", not "refuse everything" as in Atelier.
//!
//! The queue holds entries and counts; it never talks to workers, never settles calls
//! and never reads a clock, so it is tested as plain data.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::config::{QueueLimits, QueuePolicy};

/// Where a call was when something happened to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallPhase {
    /// Waiting for room in the queue (only under [`QueuePolicy::Block`]).
    Waiting,
    /// Accepted, waiting for an in-flight slot.
    Pending,
    /// Handed to a worker.
    InFlight,
}

impl std::fmt::Display for CallPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CallPhase::Waiting => "waiting",
            CallPhase::Pending => "pending",
            CallPhase::InFlight => "in flight",
        })
    }
}

/// What became of a call handed to [`DispatchQueue::admit`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a refused or evicted call must be settled"]
pub(crate) enum Admission<T> {
    /// Pending or waiting; nothing to settle.
    Accepted,
    /// The new call was refused (`Reject`, `DropLatest`); it is handed back.
    Refused(T),
    /// The new call was accepted in place of this evicted one (`DropOldest`).
    Evicted(T),
}

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
    policy: QueuePolicy,
}

impl<T> DispatchQueue<T> {
    pub(crate) fn new(limits: QueueLimits) -> Self {
        Self {
            waiting: VecDeque::new(),
            pending: VecDeque::new(),
            in_flight: Vec::new(),
            max_in_flight: limits.max_in_flight,
            max_queue_depth: limits.max_queue_depth,
            policy: limits.policy,
        }
    }

    /// Takes a new call: pending if there is room (or it can start at once) and nobody
    /// waits ahead of it; otherwise as the policy says.
    pub(crate) fn admit(&mut self, entry: T) -> Admission<T> {
        let can_start_now = self.pending.is_empty() && self.in_flight.len() < self.max_in_flight;
        let has_room = self.pending.len() < self.max_queue_depth || can_start_now;
        if self.waiting.is_empty() && has_room {
            self.pending.push_back(entry);
            return Admission::Accepted;
        }
        match self.policy {
            QueuePolicy::Block => {
                self.waiting.push_back(entry);
                Admission::Accepted
            }
            QueuePolicy::Reject | QueuePolicy::DropLatest => Admission::Refused(entry),
            QueuePolicy::DropOldest => match self.pending.pop_front() {
                Some(oldest) => {
                    self.pending.push_back(entry);
                    Admission::Evicted(oldest)
                }
                // Depth 0: nothing older is buffered, so the newcomer is the one shed.
                None => Admission::Refused(entry),
            },
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

    /// Puts a call taken back from a worker at the front of the pending calls (it may
    /// exceed the depth for a while: it had already been admitted).
    pub(crate) fn requeue_front(&mut self, entry: T) {
        self.pending.push_front(entry);
    }

    /// Records a dispatched call as in flight.
    pub(crate) fn push_in_flight(&mut self, entry: T) {
        self.in_flight.push(entry);
    }

    /// Removes a call that has not been dispatched (pending or waiting), letting the
    /// next waiting call move up.
    pub(crate) fn remove_queued(&mut self, pred: impl Fn(&T) -> bool) -> Option<(T, CallPhase)> {
        let removed = match self.pending.iter().position(&pred) {
            Some(at) => (self.pending.remove(at)?, CallPhase::Pending),
            None => {
                let at = self.waiting.iter().position(&pred)?;
                (self.waiting.remove(at)?, CallPhase::Waiting)
            }
        };
        self.refill_pending();
        Some(removed)
    }

    /// The first in-flight call matching `pred`, left in flight.
    pub(crate) fn in_flight_mut(&mut self, pred: impl Fn(&T) -> bool) -> Option<&mut T> {
        self.in_flight.iter_mut().find(|entry| pred(entry))
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

    fn block(max_in_flight: usize, depth: usize) -> DispatchQueue<&'static str> {
        DispatchQueue::new(QueueLimits {
            max_in_flight,
            max_queue_depth: depth,
            policy: QueuePolicy::Block,
        })
    }

    /// Admits each call, dispatching the first, and returns what the queue handed back.
    fn fill<T: Copy + std::fmt::Debug + PartialEq>(queue: &mut DispatchQueue<T>, calls: &[T]) -> Vec<Admission<T>> {
        calls
            .iter()
            .map(|call| {
                let admission = queue.admit(*call);
                if let Some(next) = queue.next_to_dispatch() {
                    queue.push_in_flight(next);
                }
                admission
            })
            .collect()
    }

    #[test]
    fn calls_beyond_the_depth_wait_and_move_up_in_order() {
        let mut queue = block(1, 1);
        for call in ["a", "b", "c", "d"] {
            assert_eq!(queue.admit(call), Admission::Accepted);
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
        let mut queue = DispatchQueue::new(QueueLimits {
            max_in_flight: 1,
            max_queue_depth: 1,
            policy: QueuePolicy::Block,
        });
        assert!(fill(&mut queue, &[1, 2]).iter().all(|a| *a == Admission::Accepted));
        // 2 is pending; the pending buffer is full again.
        assert_eq!(queue.admit(3), Admission::Accepted);
        assert_eq!(queue.admit(4), Admission::Accepted);
        assert_eq!(queue.counts(), counts(2, 1, 1));
        queue.take_in_flight(|c| *c == 1);
        assert_eq!(queue.next_to_dispatch(), Some(2));
        assert_eq!(queue.next_to_dispatch(), Some(3));
    }

    #[test]
    fn depth_zero_admits_straight_from_waiting_when_a_slot_frees() {
        let mut queue = DispatchQueue::new(QueueLimits {
            max_in_flight: 2,
            max_queue_depth: 0,
            policy: QueuePolicy::Block,
        });
        for call in ['x', 'y', 'z'] {
            assert_eq!(queue.admit(call), Admission::Accepted);
        }
        // x may start at once, so it is pending; nobody may overtake it.
        assert_eq!(queue.counts(), counts(2, 1, 0));
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
        let mut queue = DispatchQueue::new(QueueLimits {
            max_in_flight: 2,
            max_queue_depth: 1,
            policy: QueuePolicy::Block,
        });
        for call in 0..5 {
            assert_eq!(queue.admit(call), Admission::Accepted);
        }
        for _ in 0..2 {
            let call = queue.next_to_dispatch().unwrap();
            queue.push_in_flight(call);
        }
        assert_eq!(queue.drain_in_flight(|c| *c == 1), vec![1]);
        assert_eq!(queue.drain_all(), vec![0, 2, 3, 4]);
        assert_eq!(queue.counts(), counts(0, 0, 0));
    }

    #[test]
    fn removing_a_pending_call_lets_a_waiting_one_move_up() {
        let mut queue = block(1, 1);
        let _ = fill(&mut queue, &["in-flight", "pending", "waiting-1", "waiting-2"]);
        assert_eq!(
            queue.remove_queued(|c| *c == "pending"),
            Some(("pending", CallPhase::Pending))
        );
        assert_eq!(queue.counts(), counts(1, 1, 1));
        assert_eq!(
            queue.remove_queued(|c| *c == "waiting-2"),
            Some(("waiting-2", CallPhase::Waiting))
        );
        assert_eq!(queue.counts(), counts(0, 1, 1));
        assert_eq!(
            queue.remove_queued(|c| *c == "in-flight"),
            None,
            "in flight is not queued"
        );
        assert!(queue.in_flight_mut(|c| *c == "in-flight").is_some());
    }

    #[test]
    fn reject_and_drop_latest_refuse_the_newcomer_when_pending_is_full() {
        for policy in [QueuePolicy::Reject, QueuePolicy::DropLatest] {
            let mut queue = DispatchQueue::new(QueueLimits {
                max_in_flight: 1,
                max_queue_depth: 1,
                policy,
            });
            let admissions = fill(&mut queue, &["in-flight", "pending", "overflow"]);
            assert_eq!(
                admissions,
                [Admission::Accepted, Admission::Accepted, Admission::Refused("overflow")],
                "{policy}"
            );
            assert_eq!(queue.counts(), counts(0, 1, 1), "no waiting phase under {policy}");
        }
    }

    #[test]
    fn drop_oldest_evicts_the_head_of_pending_and_keeps_the_newcomer() {
        let mut queue = DispatchQueue::new(QueueLimits {
            max_in_flight: 1,
            max_queue_depth: 2,
            policy: QueuePolicy::DropOldest,
        });
        let admissions = fill(&mut queue, &["in-flight", "old", "older-than-new", "new"]);
        assert_eq!(admissions[3], Admission::Evicted("old"));
        queue.take_in_flight(|_| true);
        let next = queue.next_to_dispatch();
        assert_eq!(next, Some("older-than-new"));
        queue.push_in_flight("older-than-new");
        assert_eq!(queue.next_to_dispatch(), None, "in flight is full again");
        assert_eq!(queue.counts(), counts(0, 1, 1), "\"new\" stays pending");
    }

    #[test]
    fn depth_zero_means_no_buffer_not_refuse_everything() {
        for policy in [QueuePolicy::Reject, QueuePolicy::DropLatest, QueuePolicy::DropOldest] {
            let mut queue = DispatchQueue::new(QueueLimits {
                max_in_flight: 1,
                max_queue_depth: 0,
                policy,
            });
            let admissions = fill(&mut queue, &["starts-at-once", "no-room"]);
            assert_eq!(
                admissions,
                [Admission::Accepted, Admission::Refused("no-room")],
                "{policy}"
            );
            assert_eq!(queue.counts(), counts(0, 0, 1));
        }
    }
}
