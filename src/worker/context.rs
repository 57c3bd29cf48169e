//! [`TaskContext`]: what a handler knows about the call it is running.

/// Facts about the call a handler is running, passed beside its input.
///
/// ```
/// use leptos_atelier::{HandlerError, TaskContext, TaskMethod};
///
/// pub struct WhoAmI;
/// impl TaskMethod for WhoAmI {
///     const NAME: &'static str = "who_am_i";
///     type Input = ();
///     type Output = usize;
///     async fn run(_: (), cx: TaskContext) -> Result<usize, HandlerError> {
///         Ok(cx.worker_index())
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskContext {
    pub(crate) call_id: u64,
    pub(crate) attempt: u32,
    pub(crate) key: Option<String>,
    pub(crate) worker_index: usize,
}

impl TaskContext {
    /// The call's id, unique within its task and kept across retries.
    pub fn call_id(&self) -> u64 {
        self.call_id
    }

    /// Which dispatch of the call this is, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The call's key, if the caller gave one.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The pool slot of the worker running the call (0 for a singleton).
    pub fn worker_index(&self) -> usize {
        self.worker_index
    }
}
