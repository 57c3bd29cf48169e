//! A virtual clock: time moves only when a test advances it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};
use std::time::Duration;

/// Deadline first, then registration order: timers due at the same instant fire in
/// the order they were set.
type TimerKey = (Duration, u64);

#[derive(Default)]
struct ClockState {
    now: Duration,
    next_seq: u64,
    timers: BTreeMap<TimerKey, Box<dyn FnOnce()>>,
}

/// A clock for deterministic tests: [`now`](Self::now) starts at zero and moves only
/// by [`advance`](Self::advance), which fires the timers that fall due, in deadline
/// order, each with the clock set to its own deadline. Clones share the clock.
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::Duration};
/// use leptos_atelier::testing::VirtualClock;
///
/// let clock = VirtualClock::new();
/// clock.advance(Duration::from_millis(250));
/// assert_eq!(clock.now(), Duration::from_millis(250));
/// ```
#[derive(Clone, Default)]
pub struct VirtualClock {
    state: Rc<RefCell<ClockState>>,
}

impl VirtualClock {
    /// A clock at zero with no timers.
    #[cfg_attr(all(target_arch = "wasm32", not(any(test, feature = "testing"))), allow(dead_code))]
    pub fn new() -> Self {
        Self::default()
    }

    /// Time elapsed since the clock was made.
    pub fn now(&self) -> Duration {
        self.state.borrow().now
    }

    /// How many timers are set and have not fired.
    pub fn pending_timers(&self) -> usize {
        self.state.borrow().timers.len()
    }

    #[cfg_attr(not(any(test, feature = "testing")), allow(dead_code))]
    /// Moves time forward by `by`, firing every timer due up to the new time, including
    /// timers that firing callbacks set within that span.
    pub fn advance(&self, by: Duration) {
        // Saturating: a timer set for `Duration::MAX` waits for the end of time.
        let target = self.now().saturating_add(by);
        loop {
            let due = {
                let mut state = self.state.borrow_mut();
                match state.timers.first_key_value() {
                    Some((&(deadline, _), _)) if deadline <= target => {
                        state.now = deadline;
                        state.timers.pop_first()
                    }
                    _ => None,
                }
            };
            // The callback runs with the clock released: it may set or cancel timers.
            match due {
                Some((_, callback)) => callback(),
                None => break,
            }
        }
        self.state.borrow_mut().now = target;
    }

    pub(crate) fn set_timer(&self, after: Duration, callback: impl FnOnce() + 'static) -> VirtualTimer {
        let mut state = self.state.borrow_mut();
        let key = (state.now.saturating_add(after), state.next_seq);
        state.next_seq += 1;
        state.timers.insert(key, Box::new(callback));
        VirtualTimer {
            clock: Rc::downgrade(&self.state),
            key,
        }
    }
}

impl std::fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualClock")
            .field("now", &self.now())
            .field("pending_timers", &self.pending_timers())
            .finish()
    }
}

/// A timer on a [`VirtualClock`]; dropping it cancels it.
pub(crate) struct VirtualTimer {
    clock: Weak<RefCell<ClockState>>,
    key: TimerKey,
}

impl Drop for VirtualTimer {
    fn drop(&mut self) {
        if let Some(state) = self.clock.upgrade() {
            // While a timer's own callback runs it is already out of the map.
            if let Ok(mut state) = state.try_borrow_mut() {
                state.timers.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn timers_fire_in_deadline_then_registration_order_with_the_clock_at_their_deadline() {
        let clock = VirtualClock::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut keep = Vec::new();
        for (name, ms) in [("b", 20), ("a", 10), ("c", 20), ("late", 50)] {
            let (log, at) = (log.clone(), clock.clone());
            keep.push(clock.set_timer(Duration::from_millis(ms), move || {
                log.borrow_mut().push((name, at.now().as_millis()))
            }));
        }
        clock.advance(Duration::from_millis(30));
        assert_eq!(*log.borrow(), [("a", 10), ("b", 20), ("c", 20)]);
        assert_eq!(clock.now(), Duration::from_millis(30));
        assert_eq!(clock.pending_timers(), 1);
    }

    #[test]
    fn a_timer_for_the_longest_duration_is_set_and_waits() {
        let clock = VirtualClock::new();
        let fired = Rc::new(RefCell::new(false));
        let flag = fired.clone();
        let _timer = clock.set_timer(Duration::MAX, move || *flag.borrow_mut() = true);
        clock.advance(Duration::from_secs(365 * 86_400));
        assert!(!*fired.borrow());
        assert_eq!(clock.pending_timers(), 1);
    }

    #[test]
    fn a_dropped_timer_never_fires() {
        let clock = VirtualClock::new();
        let fired = Rc::new(RefCell::new(false));
        let flag = fired.clone();
        drop(clock.set_timer(Duration::from_millis(1), move || *flag.borrow_mut() = true));
        clock.advance(Duration::from_secs(1));
        assert!(!*fired.borrow());
        assert_eq!(clock.pending_timers(), 0);
    }

    #[test]
    fn a_timer_set_by_a_firing_timer_fires_within_the_same_advance() {
        let clock = VirtualClock::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let keep: Rc<RefCell<Vec<VirtualTimer>>> = Rc::default();
        let (inner_log, inner_clock, inner_keep) = (log.clone(), clock.clone(), keep.clone());
        let outer = clock.set_timer(Duration::from_millis(10), move || {
            let log = inner_log.clone();
            let at = inner_clock.clone();
            let timer = inner_clock.set_timer(Duration::from_millis(5), move || log.borrow_mut().push(at.now()));
            inner_keep.borrow_mut().push(timer);
        });
        clock.advance(Duration::from_millis(100));
        assert_eq!(*log.borrow(), [Duration::from_millis(15)]);
        drop(outer);
    }
}
