//! Task definitions: what a task is, before the runtime resolves its defaults.
//!
//! This module owns [`TaskConfig`], its builder setters, its defaults and its
//! validation, the policy enums it is made of (`policy`), the errors that refuse it
//! (`error`) and the crate-private resolved form (`resolved`), grouped by who consumes
//! each part. It does not spawn or schedule anything.

mod error;
mod policy;
mod resolved;

use std::time::Duration;

pub use error::ConfigError;
pub use policy::{CrashPolicy, InitMode, QueuePolicy, TaskKind};
pub(crate) use resolved::{CrashSettings, Lifecycle, QueueLimits, ResolvedConfig, SpawnSpec};

/// The definition of a task, handed to [`TaskRuntime::define`](crate::TaskRuntime::define).
///
/// A task is a set of identical workers that serve the methods registered by one
/// exported worker entry (see [`serve`](crate::serve)), plus one queue in front of them.
///
/// Defaults, as in Atelier: `pool_size` is the browser's `hardwareConcurrency` (4 when
/// unknown), `max_in_flight` is `pool_size` (1 for a singleton), `max_queue_depth` is
/// twice `max_in_flight` (2 for a singleton), `queue_policy` is
/// [`QueuePolicy::Block`]: calls beyond in-flight + depth wait, in order, for room.
///
/// ```
/// use leptos_atelier::{TaskConfig, TaskRuntime};
///
/// let config = TaskConfig::parallel("app_workers")
///     .task_id("hash")
///     .name("Hashing")
///     .pool_size(2);
/// let task = TaskRuntime::new().define(config).unwrap();
/// assert_eq!(task.snapshot().max_in_flight, 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskConfig {
    kind: TaskKind,
    worker_entry: String,
    task_id: Option<String>,
    name: Option<String>,
    pool_size: Option<usize>,
    max_in_flight: Option<usize>,
    max_queue_depth: Option<usize>,
    queue_policy: QueuePolicy,
    timeout: Option<Duration>,
    crash_policy: CrashPolicy,
    crash_max_retries: u32,
    init: InitMode,
    idle_timeout: Option<Duration>,
    cancel_grace: Option<Duration>,
    bootstrap_url: Option<String>,
    glue_url: Option<String>,
    start_timeout: Duration,
}

/// How long a new worker may take to answer the ready handshake, by default.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a worker may go on running a call after it was canceled, by default,
/// before it is taken as hung and replaced (see [`TaskConfig::cancel_grace`]).
///
/// Five seconds: a handler that listens for its cancel (awaiting, or calling
/// [`TaskContext::checkpoint`](crate::TaskContext::checkpoint) every few milliseconds
/// of work, as the guides say) stops within milliseconds, so the grace only ever
/// catches handlers that ignore cancellation, and it is long enough for one that must
/// first finish a large chunk of work. It is short against what an abandoned call
/// would otherwise cost: its worker's slot for as long as the handler runs, possibly
/// forever, while the calls that replaced it wait (a [`use_task_resource`] whose input
/// changes aborts the stale call and waits for the slot).
///
/// [`use_task_resource`]: crate::use_task_resource
pub const DEFAULT_CANCEL_GRACE: Duration = Duration::from_secs(5);

impl TaskConfig {
    /// A pool of workers, each started by calling the exported function `worker_entry`
    /// of the app's own wasm bundle.
    pub fn parallel(worker_entry: impl Into<String>) -> Self {
        Self::new(TaskKind::Parallel, worker_entry.into())
    }

    /// A single worker started by calling the exported function `worker_entry`.
    pub fn singleton(worker_entry: impl Into<String>) -> Self {
        Self::new(TaskKind::Singleton, worker_entry.into())
    }

    fn new(kind: TaskKind, worker_entry: String) -> Self {
        Self {
            kind,
            worker_entry,
            task_id: None,
            name: None,
            pool_size: None,
            max_in_flight: None,
            max_queue_depth: None,
            queue_policy: QueuePolicy::Block,
            timeout: None,
            crash_policy: CrashPolicy::RestartFailInFlight,
            crash_max_retries: 3,
            init: InitMode::Lazy,
            idle_timeout: None,
            cancel_grace: Some(DEFAULT_CANCEL_GRACE),
            bootstrap_url: None,
            glue_url: None,
            start_timeout: DEFAULT_START_TIMEOUT,
        }
    }

    /// A stable id for the task (default `task-<n>`, numbered per runtime from 1).
    pub fn task_id(mut self, id: impl Into<String>) -> Self {
        self.task_id = Some(id.into());
        self
    }

    /// A human label, shown in snapshots.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Number of workers of a parallel task (ignored by a singleton).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = Some(size);
        self
    }

    /// How many calls may run at once across the task's workers.
    pub fn max_in_flight(mut self, limit: usize) -> Self {
        self.max_in_flight = Some(limit);
        self
    }

    /// How many accepted calls may wait for a free slot before further callers
    /// wait for room themselves.
    pub fn max_queue_depth(mut self, depth: usize) -> Self {
        self.max_queue_depth = Some(depth);
        self
    }

    /// What happens to a call that arrives when `max_queue_depth` calls are already
    /// pending (default [`QueuePolicy::Block`]: it waits for room).
    pub fn queue_policy(mut self, policy: QueuePolicy) -> Self {
        self.queue_policy = policy;
        self
    }

    /// A deadline for every call of this task, counted from the call (waiting, pending
    /// and running all count). A call past it fails with
    /// [`TaskError::Timeout`](crate::TaskError::Timeout). Default: none.
    /// [`CallOptions::timeout`](crate::CallOptions::timeout) overrides it per call.
    pub fn timeout(mut self, after: Duration) -> Self {
        self.timeout = Some(after);
        self
    }

    /// What happens to the calls of a worker that crashes (default
    /// [`CrashPolicy::RestartFailInFlight`]).
    pub fn crash_policy(mut self, policy: CrashPolicy) -> Self {
        self.crash_policy = policy;
        self
    }

    /// Consecutive crashes tolerated before the task halts as under
    /// [`CrashPolicy::FailTask`] (default 3; 0 halts on the first crash).
    pub fn crash_max_retries(mut self, retries: u32) -> Self {
        self.crash_max_retries = retries;
        self
    }

    /// When the workers start (default [`InitMode::Lazy`]).
    pub fn init(mut self, init: InitMode) -> Self {
        self.init = init;
        self
    }

    /// Stops the workers once the task has had no call for this long (default: never).
    /// They come back when a call needs them.
    pub fn idle_timeout(mut self, after: Duration) -> Self {
        self.idle_timeout = Some(after);
        self
    }

    /// How long a worker may keep running a call after it was aborted, timed out or
    /// dropped (default [`DEFAULT_CANCEL_GRACE`], 5 s; `None`: as long as it likes).
    ///
    /// The caller is answered at once either way, and the handler's
    /// [`signal`](crate::TaskContext::signal) is aborted; the call keeps its in-flight
    /// slot until the worker settles it. A worker that has not settled it within the
    /// grace is taken as hung: it is terminated, its other calls are requeued under
    /// [`CrashPolicy::RestartRequeueInFlight`] and fail otherwise, and the slot takes
    /// a fresh worker. A hung worker is not a crashed one: it does not count toward
    /// [`crash_max_retries`](Self::crash_max_retries), waits out no backoff and never
    /// halts the task. Zero terminates the worker as soon as one of its calls is
    /// canceled.
    ///
    /// ```
    /// use std::time::Duration;
    /// use leptos_atelier::{TaskConfig, TaskRuntime};
    ///
    /// let runtime = TaskRuntime::new();
    /// let quick = TaskConfig::parallel("app_workers").task_id("quick").cancel_grace(Duration::from_millis(500));
    /// runtime.define(quick).unwrap();
    /// // A handler that must never be interrupted, canceled or not:
    /// let patient = TaskConfig::parallel("app_workers").task_id("patient").cancel_grace(None);
    /// runtime.define(patient).unwrap();
    /// ```
    pub fn cancel_grace(mut self, grace: impl Into<Option<Duration>>) -> Self {
        self.cancel_grace = grace.into();
        self
    }

    /// Starts workers from this script URL instead of a `blob:` URL: for pages whose
    /// Content Security Policy refuses `blob:` workers. The URL must serve
    /// [`WORKER_BOOTSTRAP`](crate::WORKER_BOOTSTRAP) as JavaScript (see there for an
    /// axum route). An empty URL is refused ([`ConfigError::EmptyBootstrapUrl`]).
    ///
    /// ```
    /// use leptos_atelier::{ConfigError, TaskConfig, TaskRuntime};
    ///
    /// let runtime = TaskRuntime::new();
    /// runtime.define(TaskConfig::parallel("app_workers").bootstrap_url("/atelier-bootstrap.js")).unwrap();
    /// let empty = TaskConfig::parallel("app_workers").task_id("other").bootstrap_url(" ");
    /// assert_eq!(runtime.define(empty).unwrap_err(), ConfigError::EmptyBootstrapUrl);
    /// ```
    pub fn bootstrap_url(mut self, url: impl Into<String>) -> Self {
        self.bootstrap_url = Some(url.into());
        self
    }

    /// The URL of the app's wasm-bindgen JS glue, if the one the glue reports
    /// itself (`import.meta.url`) is not the one workers should import.
    pub fn glue_url(mut self, url: impl Into<String>) -> Self {
        self.glue_url = Some(url.into());
        self
    }

    /// How long a new worker may take to load the bundle and call `serve` (default
    /// [`DEFAULT_START_TIMEOUT`], 10 s). A worker that has not answered the ready
    /// handshake by then is stopped, and the calls sent to it fail with
    /// [`TaskError::WorkerStart`](crate::TaskError::WorkerStart) instead of hanging.
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Applies the defaults and checks the result ([`TaskRuntime::define`] does this;
    /// a task's snapshot shows what its limits resolved to).
    ///
    /// [`TaskRuntime::define`]: crate::TaskRuntime::define
    pub(crate) fn resolve(&self) -> Result<ResolvedConfig, ConfigError> {
        if self.worker_entry.trim().is_empty() {
            return Err(ConfigError::EmptyWorkerEntry);
        }
        if self.task_id.as_deref().is_some_and(|id| id.trim().is_empty()) {
            return Err(ConfigError::EmptyTaskId);
        }
        if self.idle_timeout.is_some_and(|t| t.is_zero()) {
            return Err(ConfigError::IdleTimeoutZero);
        }
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(ConfigError::TimeoutZero);
        }
        if self.bootstrap_url.as_deref().is_some_and(|url| url.trim().is_empty()) {
            return Err(ConfigError::EmptyBootstrapUrl);
        }
        if self.start_timeout.is_zero() {
            return Err(ConfigError::StartTimeoutZero);
        }
        let pool_size = match self.kind {
            TaskKind::Singleton => 1,
            TaskKind::Parallel => self.pool_size.unwrap_or_else(crate::platform::hardware_concurrency),
        };
        if pool_size == 0 {
            return Err(ConfigError::PoolSizeZero);
        }
        let max_in_flight = self.max_in_flight.unwrap_or(match self.kind {
            TaskKind::Singleton => 1,
            TaskKind::Parallel => pool_size,
        });
        if max_in_flight == 0 {
            return Err(ConfigError::MaxInFlightZero);
        }
        let max_queue_depth = self.max_queue_depth.unwrap_or(match self.kind {
            TaskKind::Singleton => 2,
            TaskKind::Parallel => max_in_flight * 2,
        });
        Ok(ResolvedConfig {
            kind: self.kind,
            task_id: self.task_id.clone(),
            name: self.name.clone(),
            pool_size,
            timeout: self.timeout,
            queue: QueueLimits {
                max_in_flight,
                max_queue_depth,
                policy: self.queue_policy,
            },
            spawn: SpawnSpec {
                worker_entry: self.worker_entry.clone(),
                glue_url: self.glue_url.clone(),
                bootstrap_url: self.bootstrap_url.clone(),
                start_timeout: self.start_timeout,
            },
            crash: CrashSettings {
                policy: self.crash_policy,
                max_retries: self.crash_max_retries,
            },
            lifecycle: Lifecycle {
                init: self.init,
                idle_timeout: self.idle_timeout,
                cancel_grace: self.cancel_grace,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_atelier() {
        let parallel = TaskConfig::parallel("w").pool_size(3).resolve().unwrap();
        assert_eq!((parallel.queue.max_in_flight, parallel.queue.max_queue_depth), (3, 6));
        let singleton = TaskConfig::singleton("w").pool_size(8).resolve().unwrap();
        assert_eq!(
            (
                singleton.pool_size,
                singleton.queue.max_in_flight,
                singleton.queue.max_queue_depth
            ),
            (1, 1, 2)
        );
        let custom = TaskConfig::singleton("w").max_in_flight(4).resolve().unwrap();
        assert_eq!(custom.queue.max_queue_depth, 2, "a singleton's depth stays 2");
    }

    #[test]
    fn degenerate_settings_are_refused() {
        assert_eq!(
            TaskConfig::parallel("w").pool_size(0).resolve(),
            Err(ConfigError::PoolSizeZero)
        );
        assert_eq!(
            TaskConfig::parallel("w").pool_size(1).max_in_flight(0).resolve(),
            Err(ConfigError::MaxInFlightZero)
        );
        assert_eq!(TaskConfig::parallel(" ").resolve(), Err(ConfigError::EmptyWorkerEntry));
        assert_eq!(
            TaskConfig::parallel("w").task_id("").resolve(),
            Err(ConfigError::EmptyTaskId)
        );
        assert_eq!(
            TaskConfig::parallel("w").timeout(Duration::ZERO).resolve(),
            Err(ConfigError::TimeoutZero)
        );
        assert_eq!(
            TaskConfig::parallel("w").start_timeout(Duration::ZERO).resolve(),
            Err(ConfigError::StartTimeoutZero)
        );
    }
}
