//! A [`TaskConfig`](super::TaskConfig) with its defaults applied and checked, grouped
//! by who consumes each part: the queue takes [`QueueLimits`], the transport a
//! [`SpawnSpec`], crash bookkeeping [`CrashSettings`], worker lifecycle [`Lifecycle`].
//! Each group is handed whole to its consumer, so a setting has one name from the
//! builder to the code that acts on it. Crate-private: apps see the resolved limits in
//! a task's snapshot.

use std::time::Duration;

use super::policy::{CrashPolicy, InitMode, QueuePolicy, TaskKind};

/// A task's settings, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedConfig {
    /// Parallel pool or singleton.
    pub kind: TaskKind,
    /// The id asked for, if any (the runtime numbers the others).
    pub task_id: Option<String>,
    /// The human label.
    pub name: Option<String>,
    /// Number of workers.
    pub pool_size: usize,
    /// The per-call deadline, if any.
    pub timeout: Option<Duration>,
    pub queue: QueueLimits,
    pub spawn: SpawnSpec,
    pub crash: CrashSettings,
    pub lifecycle: Lifecycle,
}

/// How many calls a task runs and holds, and what happens to the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueLimits {
    /// Calls running at once.
    pub max_in_flight: usize,
    /// Accepted calls waiting for a slot.
    pub max_queue_depth: usize,
    /// What to do with calls beyond `max_queue_depth`.
    pub policy: QueuePolicy,
}

/// How to start one of the task's workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpawnSpec {
    /// The exported function each worker calls to serve.
    pub worker_entry: String,
    /// The glue URL, instead of the one the page loaded.
    pub glue_url: Option<String>,
    /// The bootstrap script's URL, instead of a `blob:` one.
    pub bootstrap_url: Option<String>,
    /// How long a new worker may take to answer the ready handshake.
    pub start_timeout: Duration,
}

/// What a crash does, and how many in a row a task tolerates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CrashSettings {
    /// What happens to a crashed worker's calls.
    pub policy: CrashPolicy,
    /// Consecutive crashes tolerated before the task halts.
    pub max_retries: u32,
}

/// When the task's workers start and stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifecycle {
    /// When workers start.
    pub init: InitMode,
    /// Stop idle workers after this long, if set.
    pub idle_timeout: Option<Duration>,
    /// Replace a worker that runs a canceled call longer than this, if set.
    pub cancel_grace: Option<Duration>,
}
