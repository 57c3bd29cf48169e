//! Crash policy and restart backoff: what a task does when one of its workers dies.
//!
//! A crash is a worker that panicked, threw an uncaught error, failed to start, or
//! broke the protocol. The policy decides the fate of the calls that worker held;
//! consecutive crashes (per task, shared by all its workers) beyond
//! `crash_max_retries` escalate to [`CrashPolicy::FailTask`]. The count and the backoff
//! reset on any successful result, `stop_workers`, `dispose`, an idle stop, and
//! `start_workers` on a halted task.

use std::time::Duration;

use crate::config::{CrashPolicy, CrashSettings};

/// The first restart waits this long; each later one twice as long as the last.
const FIRST_RESTART: Duration = Duration::from_millis(100);
/// The longest wait between restarts.
const MAX_RESTART: Duration = Duration::from_millis(2000);

/// Consecutive crashes of one task and the delay of its next restart.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct CrashTracker {
    crashes: u32,
    restarts: u32,
}

impl CrashTracker {
    /// Counts a crash and says which policy applies to it.
    pub(super) fn record(&mut self, settings: CrashSettings) -> CrashPolicy {
        self.crashes = self.crashes.saturating_add(1);
        if self.crashes > settings.max_retries {
            CrashPolicy::FailTask
        } else {
            settings.policy
        }
    }

    /// The delay before the next restart: 100 ms, 200, 400, 800, 1600, then 2 s.
    pub(super) fn next_restart_delay(&mut self) -> Duration {
        let delay = FIRST_RESTART
            .checked_mul(1 << self.restarts.min(16))
            .map_or(MAX_RESTART, |d| d.min(MAX_RESTART));
        self.restarts = self.restarts.saturating_add(1);
        delay
    }

    pub(super) fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_100_ms_to_a_2_s_cap() {
        let mut tracker = CrashTracker::default();
        let delays: Vec<u128> = (0..8).map(|_| tracker.next_restart_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
        tracker.reset();
        assert_eq!(tracker.next_restart_delay(), FIRST_RESTART);
    }

    #[test]
    fn crashes_beyond_the_retries_escalate_to_fail_task() {
        let mut tracker = CrashTracker::default();
        let policies: Vec<_> = (0..4)
            .map(|_| {
                tracker.record(CrashSettings {
                    policy: CrashPolicy::RestartRequeueInFlight,
                    max_retries: 3,
                })
            })
            .collect();
        assert_eq!(policies[..3], [CrashPolicy::RestartRequeueInFlight; 3]);
        assert_eq!(policies[3], CrashPolicy::FailTask);
        let mut strict = CrashTracker::default();
        assert_eq!(
            strict.record(CrashSettings {
                policy: CrashPolicy::RestartFailInFlight,
                max_retries: 0
            }),
            CrashPolicy::FailTask
        );
    }
}
