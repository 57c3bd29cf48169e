//! Why a [`TaskConfig`](super::TaskConfig) is refused: settings that cannot work,
//! checked when a task is defined.

/// A task definition that cannot work, refused by [`TaskRuntime::define`](crate::TaskRuntime::define).
///
/// ```
/// use leptos_atelier::{ConfigError, TaskConfig, TaskRuntime};
///
/// let runtime = TaskRuntime::new();
/// let err = runtime.define(TaskConfig::parallel("app_workers").pool_size(0)).unwrap_err();
/// assert_eq!(err, ConfigError::PoolSizeZero);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A parallel pool needs at least one worker.
    #[error("pool_size must be at least 1")]
    PoolSizeZero,
    /// With `max_in_flight` 0 nothing would ever be dispatched.
    #[error("max_in_flight must be at least 1")]
    MaxInFlightZero,
    /// The worker entry names the exported function that serves the task; it cannot be empty.
    #[error("the worker entry name is empty")]
    EmptyWorkerEntry,
    /// A zero idle timeout would stop the workers as soon as they finish.
    #[error("idle_timeout must be longer than zero")]
    IdleTimeoutZero,
    /// A zero call timeout would fail every call.
    #[error("timeout must be longer than zero")]
    TimeoutZero,
    /// An empty bootstrap URL cannot start a worker.
    #[error("bootstrap_url is empty")]
    EmptyBootstrapUrl,
    /// A zero start timeout would fail every worker before it could start.
    #[error("start_timeout must be longer than zero")]
    StartTimeoutZero,
    /// A task id must be non-empty.
    #[error("the task id is empty")]
    EmptyTaskId,
    /// Another live task of this runtime already has this id.
    #[error("a task with id `{0}` is already defined")]
    DuplicateTaskId(String),
}
