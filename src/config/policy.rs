//! The public policy enums a [`TaskConfig`](super::TaskConfig) is made of: the kind of
//! task, when its workers start, what its queue does when full, and what a crash does
//! to the calls a worker held. Plain data; nothing here acts on them.

use serde::{Deserialize, Serialize};

/// How a task runs its calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TaskKind {
    /// A pool of `pool_size` workers; calls go to the least busy one.
    #[default]
    Parallel,
    /// Exactly one worker.
    Singleton,
}

/// When a task starts its workers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InitMode {
    /// A worker starts when a call first needs it.
    #[default]
    Lazy,
    /// All workers start when the task is defined (and again on `start_workers`).
    Eager,
}

/// What a task does with a call that arrives when its pending buffer is full.
///
/// ```
/// use leptos_atelier::{QueuePolicy, TaskConfig, TaskRuntime};
///
/// let config = TaskConfig::parallel("app_workers").max_queue_depth(8).queue_policy(QueuePolicy::DropOldest);
/// let task = TaskRuntime::new().define(config).unwrap();
/// assert_eq!(task.snapshot().queue_policy, QueuePolicy::DropOldest);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueuePolicy {
    /// The caller waits, in arrival order, until there is room (backpressure).
    #[default]
    Block,
    /// The new call fails at once with [`TaskError::QueueFull`](crate::TaskError::QueueFull).
    Reject,
    /// Like `Reject` (the newest call is the one dropped); kept distinct in errors and metrics.
    DropLatest,
    /// The oldest pending call fails with `QueueFull` and the new call takes its place.
    DropOldest,
}

impl std::fmt::Display for QueuePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            QueuePolicy::Block => "block",
            QueuePolicy::Reject => "reject",
            QueuePolicy::DropLatest => "drop-latest",
            QueuePolicy::DropOldest => "drop-oldest",
        })
    }
}

/// What happens to the calls a crashed worker held.
///
/// ```
/// use leptos_atelier::{CrashPolicy, TaskConfig, TaskRuntime};
///
/// let config = TaskConfig::parallel("app_workers").crash_policy(CrashPolicy::RestartRequeueInFlight);
/// let task = TaskRuntime::new().define(config).unwrap();
/// assert_eq!(task.snapshot().crash_policy, CrashPolicy::RestartRequeueInFlight);
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
