//! Errors: what a call, a task definition and a worker handler can fail with.
//!
//! This module owns the error types and nothing else. Each error carries what the
//! caller needs to act on it (the task, the worker, the method, the cause); none of
//! them is a string to be parsed.

use serde::{Deserialize, Serialize};

/// Why a call to a task did not produce the method's output.
///
/// Every call settles exactly once, with its output or with one of these.
///
/// ```
/// use leptos_atelier::TaskError;
///
/// fn explain(err: &TaskError) -> String {
///     match err {
///         TaskError::Handler(e) => format!("the handler said: {}", e.message()),
///         TaskError::UnknownMethod { method, .. } => format!("no worker serves `{method}`"),
///         other => other.to_string(),
///     }
/// }
/// # assert!(explain(&TaskError::Disposed { task_id: "t".into() }).contains("disposed"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// The handler ran and returned an error.
    #[error("handler failed: {0}")]
    Handler(HandlerError),
    /// The worker does not serve this method: its `Registry` has no handler of that name.
    #[error("method `{method}` is not served by the workers of task `{task_id}`")]
    UnknownMethod {
        /// The task the call was made on.
        task_id: String,
        /// The method name the caller asked for.
        method: String,
    },
    /// The worker that was to run the call could not start: the script failed to load,
    /// the wasm failed to initialise, the entry is not exported, or it never called `serve`.
    #[error("a worker of task `{task_id}` failed to start: {cause}")]
    WorkerStart {
        /// The task whose worker failed.
        task_id: String,
        /// The pool slot of that worker.
        worker_index: usize,
        /// What the browser or the bootstrap reported.
        cause: String,
    },
    /// The worker running the call crashed (a panic, an uncaught error, or a message it could not read).
    #[error("worker {worker_index} of task `{task_id}` crashed: {cause}")]
    WorkerCrashed {
        /// The task whose worker crashed.
        task_id: String,
        /// The pool slot of the crashed worker.
        worker_index: usize,
        /// The panic message, or the error the browser reported.
        cause: String,
    },
    /// The input could not be encoded on the caller's side.
    #[error("could not encode the input of `{method}`: {message}")]
    Encode {
        /// The method being called.
        method: String,
        /// The codec's message.
        message: String,
    },
    /// A payload failed to decode: the input in the worker, or the output on the caller's side.
    #[error("could not decode the {side} of `{method}`: {message}")]
    Decode {
        /// The method being called.
        method: String,
        /// Which payload: `input` (in the worker) or `output` (on the caller's side).
        side: PayloadSide,
        /// The codec's message.
        message: String,
    },
    /// The call's worker died (crash, stop) after the call's [`Transfer`](crate::Transfer)
    /// objects were moved to it, so the call cannot be sent again (the objects are
    /// gone with the worker). Calls without transferred objects are requeued instead.
    #[error(
        "call to task `{task_id}` cannot be retried: its transferred objects went to worker {worker_index}, which is gone"
    )]
    TransferLost {
        /// The task the call was made on.
        task_id: String,
        /// The worker that received the objects.
        worker_index: usize,
    },
    /// No live task has this id on the provided runtime, or there is no runtime (as
    /// on the server): what the `use_task_*` hooks answer then.
    #[error("no task `{task_id}` is defined on the provided runtime")]
    NoSuchTask {
        /// The id asked for.
        task_id: String,
    },
    /// The worker answered something that is not a runtime message.
    #[error("worker {worker_index} of task `{task_id}` broke the protocol: {message}")]
    Protocol {
        /// The task whose worker misbehaved.
        task_id: String,
        /// The pool slot of that worker.
        worker_index: usize,
        /// What was wrong with the message.
        message: String,
    },
    /// The call's abort signal fired (its key was aborted, or its own signal), before
    /// or while it ran. An in-flight call answers at once; its worker slot stays busy
    /// until the worker finishes, and that result is discarded.
    #[error("call to task `{task_id}` was aborted")]
    Aborted {
        /// The task the call was made on.
        task_id: String,
        /// The call's key, if it had one.
        key: Option<String>,
    },
    /// The call's deadline passed (counted from the call, across every phase) before
    /// it finished. Distinct from [`Aborted`](Self::Aborted). As with an abort, a call
    /// in flight keeps its worker slot until the worker finishes.
    #[error("call to task `{task_id}` timed out after {} while {phase}", crate::platform::Millis(*.after))]
    Timeout {
        /// The task the call was made on.
        task_id: String,
        /// The call's key, if it had one.
        key: Option<String>,
        /// The deadline, counted from the call.
        after: std::time::Duration,
        /// Where the call was when the deadline passed.
        phase: crate::queue::CallPhase,
    },
    /// The task's pending buffer was full and its [`QueuePolicy`](crate::QueuePolicy)
    /// shed this call: the newcomer under `Reject` and `DropLatest`, the oldest
    /// pending call under `DropOldest`.
    #[error("task `{task_id}`: queue policy '{policy}' dropped the call")]
    QueueFull {
        /// The task whose queue was full.
        task_id: String,
        /// The policy that dropped the call.
        policy: crate::config::QueuePolicy,
    },
    /// The task was disposed before the call could finish.
    #[error("task `{task_id}` was disposed")]
    Disposed {
        /// The disposed task.
        task_id: String,
    },
}

/// Constructors for the errors the executor settles calls with, one per way a call
/// fails on the page's side.
impl TaskError {
    pub(crate) fn disposed(task_id: &str) -> Self {
        TaskError::Disposed {
            task_id: task_id.to_owned(),
        }
    }

    pub(crate) fn queue_full(task_id: &str, policy: crate::config::QueuePolicy) -> Self {
        TaskError::QueueFull {
            task_id: task_id.to_owned(),
            policy,
        }
    }

    pub(crate) fn aborted(task_id: &str, key: Option<String>) -> Self {
        TaskError::Aborted {
            task_id: task_id.to_owned(),
            key,
        }
    }

    pub(crate) fn timed_out(
        task_id: &str,
        key: Option<String>,
        after: std::time::Duration,
        phase: crate::queue::CallPhase,
    ) -> Self {
        TaskError::Timeout {
            task_id: task_id.to_owned(),
            key,
            after,
            phase,
        }
    }

    pub(crate) fn worker_start(task_id: &str, worker_index: usize, cause: String) -> Self {
        TaskError::WorkerStart {
            task_id: task_id.to_owned(),
            worker_index,
            cause,
        }
    }

    pub(crate) fn worker_crashed(task_id: &str, worker_index: usize, cause: String) -> Self {
        TaskError::WorkerCrashed {
            task_id: task_id.to_owned(),
            worker_index,
            cause,
        }
    }

    pub(crate) fn protocol(task_id: &str, worker_index: usize, message: String) -> Self {
        TaskError::Protocol {
            task_id: task_id.to_owned(),
            worker_index,
            message,
        }
    }
}

/// Which payload of a call failed to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayloadSide {
    /// The method's input, decoded in the worker.
    Input,
    /// The method's output, decoded on the caller's side.
    Output,
}

impl std::fmt::Display for PayloadSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PayloadSide::Input => "input",
            PayloadSide::Output => "output",
        })
    }
}

/// An error returned by a worker-side handler; it reaches the caller as [`TaskError::Handler`].
///
/// ```
/// use leptos_atelier::HandlerError;
///
/// let err = HandlerError::new("image is empty");
/// assert_eq!(err.message(), "image is empty");
/// let from_str: HandlerError = "image is empty".into();
/// assert_eq!(err, from_str);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct HandlerError {
    message: String,
    /// The handler stopped because its call was canceled.
    #[serde(default)]
    aborted: bool,
}

impl HandlerError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            aborted: false,
        }
    }

    /// The error of a handler that stopped because its call was canceled (what
    /// [`TaskContext::throw_if_aborted`](crate::TaskContext::throw_if_aborted) returns).
    /// It reaches the caller as [`TaskError::Aborted`], not as a handler failure.
    pub fn aborted() -> Self {
        Self {
            message: "the call was aborted".into(),
            aborted: true,
        }
    }

    /// The error as its fields arrive from a worker.
    pub(crate) fn from_parts(message: String, aborted: bool) -> Self {
        Self { message, aborted }
    }

    /// Whether this is [`HandlerError::aborted`].
    pub fn is_aborted(&self) -> bool {
        self.aborted
    }

    /// The message the handler gave.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<String> for HandlerError {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for HandlerError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}
