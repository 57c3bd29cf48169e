//! [`TaskContext`]: what a handler knows about the call it is running, and how it
//! hears of cancellation and reports progress.

use crate::abort::{AbortSignal, Aborted};
use crate::codec::{self, FromWorker};
use crate::error::HandlerError;
use crate::protocol::Attachments;

/// Sends a frame, and the objects to transfer with it, to the runtime.
pub(crate) type Post = std::rc::Rc<dyn Fn(Vec<u8>, Attachments)>;

/// Facts about the call a handler is running, passed beside its input: ids, key,
/// worker, the call's abort signal, and a way to report progress to the caller.
///
/// When the caller aborts the call, drops its future or its deadline passes, the
/// runtime answers the caller at once and tells the worker; the handler's
/// [`signal`](Self::signal) is then aborted. A handler that checks it can stop early
/// and free its worker; one that ignores it runs on, and is terminated with its worker
/// if it outlives the task's [`cancel_grace`](crate::TaskConfig::cancel_grace) (5 s by
/// default).
///
/// ```
/// use leptos_atelier::{HandlerError, TaskContext, TaskMethod};
///
/// pub struct SumSquares;
/// impl TaskMethod for SumSquares {
///     const NAME: &'static str = "sum_squares";
///     type Input = u64;
///     type Output = u64;
///     async fn run(n: u64, cx: TaskContext) -> Result<u64, HandlerError> {
///         let mut sum = 0u64;
///         for i in 0..n {
///             if i % 100_000 == 0 {
///                 cx.throw_if_aborted()?; // stop early when canceled
///                 cx.progress(i as f64 / n as f64);
///             }
///             sum = sum.wrapping_add(i * i);
///         }
///         Ok(sum)
///     }
/// }
/// ```
#[derive(Clone)]
pub struct TaskContext {
    pub(crate) call_id: u64,
    pub(crate) attempt: u32,
    pub(crate) key: Option<String>,
    pub(crate) worker_index: usize,
    pub(crate) signal: AbortSignal,
    /// Where progress frames go: the worker's way to the runtime (none when detached).
    pub(crate) progress: Option<Post>,
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

    /// The call's abort signal: aborted when the caller cancels or times out.
    pub fn signal(&self) -> &AbortSignal {
        &self.signal
    }

    /// Whether the call was canceled.
    pub fn is_aborted(&self) -> bool {
        self.signal.is_aborted()
    }

    /// `Err(HandlerError::aborted())` if the call was canceled, for `?` in handlers.
    /// The caller sees [`TaskError::Aborted`](crate::TaskError::Aborted) either way.
    /// In a handler that computes without awaiting, use [`checkpoint`](Self::checkpoint):
    /// a cancel can only arrive while the worker is free to receive it.
    pub fn throw_if_aborted(&self) -> Result<(), HandlerError> {
        if self.is_aborted() {
            Err(HandlerError::aborted())
        } else {
            Ok(())
        }
    }

    /// Lets the worker handle the messages waiting for it (a cancel among them), then
    /// answers like [`throw_if_aborted`](Self::throw_if_aborted).
    ///
    /// A worker runs one thing at a time: while a handler computes without awaiting,
    /// a cancel cannot even be received, so [`is_aborted`](Self::is_aborted) cannot
    /// turn true. CPU-bound handlers should call this every few milliseconds of work.
    /// Each call is one trip through the worker's event loop, after the messages
    /// already waiting there: a message the worker posts to itself on a
    /// `MessageChannel`, not a timer (a chained `setTimeout(0)` is clamped to 4 ms),
    /// so it costs microseconds (`cargo xtask bench-web` measures it):
    ///
    /// ```
    /// use leptos_atelier::{HandlerError, TaskContext, TaskMethod};
    ///
    /// pub struct Checksum;
    /// impl TaskMethod for Checksum {
    ///     const NAME: &'static str = "checksum";
    ///     type Input = Vec<u8>;
    ///     type Output = u64;
    ///     async fn run(bytes: Vec<u8>, cx: TaskContext) -> Result<u64, HandlerError> {
    ///         let mut sum = 0u64;
    ///         for chunk in bytes.chunks(1 << 20) {
    ///             cx.checkpoint().await?;
    ///             sum = chunk.iter().fold(sum, |s, &b| s.wrapping_mul(31).wrapping_add(u64::from(b)));
    ///         }
    ///         Ok(sum)
    ///     }
    /// }
    /// ```
    pub async fn checkpoint(&self) -> Result<(), HandlerError> {
        crate::platform::yield_to_event_loop().await;
        self.throw_if_aborted()
    }

    /// Completes when the call is canceled; race it against async work to stop
    /// waiting for something whose result nobody wants.
    pub fn aborted(&self) -> Aborted {
        self.signal.aborted()
    }

    /// Reports progress to the caller (see
    /// [`CallOptions::on_progress`](crate::CallOptions::on_progress)); by convention a
    /// fraction from 0.0 to 1.0. Values that are not finite are ignored. Each report is
    /// one small message, so report at a human pace (a few per second), not per item.
    pub fn progress(&self, fraction: f64) {
        let Some(post) = self.progress.as_ref().filter(|_| fraction.is_finite()) else {
            return;
        };
        let report = FromWorker::Progress {
            call: self.call_id,
            attempt: self.attempt,
            fraction,
        };
        if let Ok(frame) = codec::encode_envelope(&report) {
            post(frame, Vec::new());
        }
    }

    /// A context for calling a handler directly, e.g. in a unit test of the handler.
    /// Progress reports go nowhere.
    ///
    /// ```
    /// use leptos_atelier::{AbortController, TaskContext};
    ///
    /// let controller = AbortController::new();
    /// let cx = TaskContext::detached(controller.signal());
    /// controller.abort();
    /// assert!(cx.throw_if_aborted().is_err());
    /// ```
    pub fn detached(signal: AbortSignal) -> Self {
        Self {
            call_id: 0,
            attempt: 1,
            key: None,
            worker_index: 0,
            signal,
            progress: None,
        }
    }
}

impl std::fmt::Debug for TaskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskContext")
            .field("call_id", &self.call_id)
            .field("attempt", &self.attempt)
            .field("key", &self.key)
            .field("worker_index", &self.worker_index)
            .field("aborted", &self.is_aborted())
            .finish()
    }
}
