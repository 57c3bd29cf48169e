//! Crash policy and restart backoff: what a task does when one of its workers dies.
//!
//! A crash is a worker that panicked, threw an uncaught error, failed to start, or
//! broke the protocol. The policy decides the fate of the calls that worker held;
//! consecutive crashes (per task, shared by all its workers) beyond
//! `crash_max_retries` escalate to [`CrashPolicy::FailTask`]. The count and the backoff
//! reset on any successful result, `stop_workers`, `dispose`, an idle stop, and
//! `start_workers` on a halted task.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What happens to the calls a crashed worker held.
///
/// ```
/// use leptos_atelier::{CrashPolicy, TaskConfig};
///
/// let config = TaskConfig::parallel("app_workers").crash_policy(CrashPolicy::RestartRequeueInFlight);
/// assert_eq!(config.resolve().unwrap().crash_policy, CrashPolicy::RestartRequeueInFlight);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrashPolicy {
    /// Its calls fail with [`TaskError::WorkerCrashed`](crate::TaskError::WorkerCrashed);
    /// the worker is restarted after a backoff; queued calls wait for it.
    #[default]
    RestartFailInFlight,
    /// Its calls go back to the front of the queue and run again (on any healthy
    /// worker); the worker is restarted after a backoff.
    RestartRequeueInFlight,
    /// The task halts: every queued and running call fails with the crash error, the
    /// workers stop, and every later call fails at once with the same error until
    /// `start_workers`.
    FailTask,
}

impl std::fmt::Display for CrashPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CrashPolicy::RestartFailInFlight => "restart-fail-in-flight",
            CrashPolicy::RestartRequeueInFlight => "restart-requeue-in-flight",
            CrashPolicy::FailTask => "fail-task",
        })
    }
}

/// The most recent crash of a task's worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrashRecord {
    /// When it happened, in milliseconds on the runtime's clock (the browser's
    /// `performance.now()`, or the virtual clock in tests).
    pub at_ms: f64,
    /// The pool slot of the crashed worker.
    pub worker_index: usize,
    /// The panic message, or what the browser reported.
    pub cause: String,
}

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
    pub(super) fn record(&mut self, configured: CrashPolicy, max_retries: u32) -> CrashPolicy {
        self.crashes = self.crashes.saturating_add(1);
        if self.crashes > max_retries {
            CrashPolicy::FailTask
        } else {
            configured
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
            .map(|_| tracker.record(CrashPolicy::RestartRequeueInFlight, 3))
            .collect();
        assert_eq!(policies[..3], [CrashPolicy::RestartRequeueInFlight; 3]);
        assert_eq!(policies[3], CrashPolicy::FailTask);
        let mut strict = CrashTracker::default();
        assert_eq!(
            strict.record(CrashPolicy::RestartFailInFlight, 0),
            CrashPolicy::FailTask
        );
    }
}
