//! [`Task`]: the caller's handle to one defined task, and the future of a call.

use std::cell::RefCell;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Weak;
use std::task::{Context, Poll};

use crate::abort::{AbortSignal, AbortTaskController};
use crate::error::{PayloadSide, TaskError};
use crate::executor::{CallGuard, Executor, OnProgress, ReplyReceiver, Submission};
use crate::method::TaskMethod;
use crate::observe::TaskSnapshot;
use crate::observe::Trace;
use crate::transfer;

/// A defined task: a queue in front of its workers. Clones are handles to the same task.
///
/// Made by [`TaskRuntime::define`](crate::TaskRuntime::define).
#[derive(Clone)]
pub struct Task {
    executor: Executor,
    aborts: AbortTaskController,
    /// The runtime's live tasks, which this one leaves when disposed.
    registry: Weak<TaskRegistry>,
}

/// Per-call options for [`Task::call_with`].
///
/// ```
/// use leptos_atelier::{AbortController, CallOptions};
///
/// // Cancel by key, through the runtime's AbortTaskController...
/// let by_key = CallOptions::new().key("doc-1");
/// // ...or with a signal of your own, which then replaces the key's signal.
/// let controller = AbortController::new();
/// let by_signal = CallOptions::new().key("doc-1").signal(controller.signal());
/// ```
#[derive(Clone, Default)]
pub struct CallOptions {
    key: Option<String>,
    signal: Option<AbortSignal>,
    timeout: Option<std::time::Duration>,
    trace: Option<Trace>,
    on_progress: Option<OnProgress>,
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("key", &self.key)
            .field("signal", &self.signal)
            .field("timeout", &self.timeout)
            .field("trace", &self.trace)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl CallOptions {
    /// No key, no signal.
    pub fn new() -> Self {
        Self::default()
    }

    /// The call's key: sent to the worker (`TaskContext::key`), and, unless a
    /// [`signal`](Self::signal) is given, the call is canceled when this key is
    /// aborted in the runtime's [`AbortTaskController`]. An empty key means no key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into()).filter(|k: &String| !k.is_empty());
        self
    }

    /// The signal that cancels the call, instead of its key's signal.
    pub fn signal(mut self, signal: AbortSignal) -> Self {
        self.signal = Some(signal);
        self
    }

    /// A deadline for this call, counted from now, instead of the task's
    /// [`TaskConfig::timeout`](crate::TaskConfig::timeout). A zero deadline fails the
    /// call at once with [`TaskError::Timeout`].
    pub fn timeout(mut self, after: std::time::Duration) -> Self {
        self.timeout = Some(after);
        self
    }

    /// Attaches the call's span to `trace`: the span carries the trace's id and name,
    /// and is recorded exactly when the trace is sampled. Never sent to the worker.
    pub fn trace(mut self, trace: &Trace) -> Self {
        self.trace = Some(trace.clone());
        self
    }

    /// Calls `report` with each progress fraction the handler reports
    /// ([`TaskContext::progress`](crate::TaskContext::progress)), on the main thread,
    /// in order, until the call is answered (reports after an abort are dropped).
    pub fn on_progress(mut self, report: impl Fn(f64) + 'static) -> Self {
        self.on_progress = Some(std::rc::Rc::new(report));
        self
    }
}

impl Task {
    pub(crate) fn new(executor: Executor, aborts: AbortTaskController, registry: Weak<TaskRegistry>) -> Self {
        Self {
            executor,
            aborts,
            registry,
        }
    }

    /// The task's id.
    pub fn id(&self) -> String {
        self.executor.task_id()
    }

    /// Calls method `M` on one of the task's workers.
    ///
    /// The call is admitted (and dispatched, if a slot is free) **now**, when `call`
    /// returns, not when the future is first polled; the snapshot reflects it at once.
    /// The future resolves exactly once, with the output or a [`TaskError`].
    ///
    /// Cancel safety: dropping the future before it resolves cancels the call. A call
    /// still waiting or pending leaves the queue at once (its place serves the next
    /// call, its input is freed); a call in flight is canceled in its worker, whose
    /// handler sees its [`signal`](crate::TaskContext::signal) aborted, and its result
    /// is discarded. Telemetry counts it as canceled.
    ///
    /// ```no_run
    /// # use leptos_atelier::{HandlerError, TaskConfig, TaskContext, TaskMethod, TaskRuntime};
    /// # pub struct Double;
    /// # impl TaskMethod for Double {
    /// #     const NAME: &'static str = "double";
    /// #     type Input = u64;
    /// #     type Output = u64;
    /// #     async fn run(n: u64, _: TaskContext) -> Result<u64, HandlerError> { Ok(n * 2) }
    /// # }
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let runtime = TaskRuntime::new();
    /// let task = runtime.define(TaskConfig::parallel("app_workers").pool_size(2))?;
    /// let doubled = task.call::<Double>(21).await?;
    /// assert_eq!(doubled, 42);
    /// # Ok(()) }
    /// ```
    pub fn call<M: TaskMethod>(&self, input: M::Input) -> TaskCall<M::Output> {
        self.call_with::<M>(input, CallOptions::default())
    }

    /// Like [`call`](Self::call), with a key and an abort signal.
    ///
    /// Cancellation, in each phase: a call whose signal is already aborted fails at
    /// once with [`TaskError::Aborted`]; a waiting or pending call leaves the queue; a
    /// call in flight answers [`TaskError::Aborted`] at once, while its worker slot stays
    /// busy until the worker finishes (its result is discarded).
    ///
    /// ```no_run
    /// # use leptos_atelier::{CallOptions, HandlerError, TaskConfig, TaskContext, TaskError, TaskMethod, TaskRuntime};
    /// # pub struct Render;
    /// # impl TaskMethod for Render {
    /// #     const NAME: &'static str = "render";
    /// #     type Input = u32;
    /// #     type Output = Vec<u8>;
    /// #     async fn run(_: u32, _: TaskContext) -> Result<Vec<u8>, HandlerError> { Ok(vec![]) }
    /// # }
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let runtime = TaskRuntime::new();
    /// let task = runtime.define(TaskConfig::parallel("app_workers"))?;
    /// let tile = task.call_with::<Render>(7, CallOptions::new().key("page-3"));
    /// runtime.abort_controller().abort("page-3");
    /// assert!(matches!(tile.await, Err(TaskError::Aborted { .. })));
    /// # Ok(()) }
    /// ```
    pub fn call_with<M: TaskMethod>(&self, input: M::Input, options: CallOptions) -> TaskCall<M::Output> {
        let CallOptions {
            key,
            signal,
            timeout,
            trace,
            on_progress,
        } = options;
        let signal = signal.or_else(|| key.as_deref().map(|key| self.aborts.signal_for(key)));
        // A call that may be sent again after a crash keeps its numbers in its bytes.
        let blocks = if self.executor.requeues_in_flight() {
            transfer::Blocks::Inline
        } else {
            transfer::Blocks::Beside
        };
        let encoded = crate::codec::call_frame_start(M::NAME, key.as_deref())
            .and_then(|mut frame| Ok((transfer::encode(&input, &mut frame, blocks)?, frame)));
        let (state, guard) = match encoded {
            Ok((attachments, frame)) => {
                let (receiver, guard) = self.executor.submit(Submission {
                    method: M::NAME,
                    key,
                    frame,
                    attachments,
                    signal,
                    timeout,
                    trace: trace.map(|trace| trace.link()),
                    on_progress,
                });
                (CallState::Submitted(receiver), guard)
            }
            Err(e) => {
                let error = TaskError::Encode {
                    method: M::NAME.to_owned(),
                    message: e.to_string(),
                };
                (CallState::Failed(Some(Box::new(error))), None)
            }
        };
        TaskCall {
            method: M::NAME,
            task_id: self.executor.shared_id(),
            state,
            guard,
            output: PhantomData,
        }
    }

    /// Stops the task's workers and pauses it: calls running go back to the front of the
    /// queue (to run again after [`start_workers`](Self::start_workers)), new calls are
    /// still admitted, and nothing dispatches meanwhile. Crash counts and backoff reset.
    /// A crash halt stays in force.
    pub fn stop_workers(&self) {
        self.executor.stop_workers();
    }

    /// Resumes a task paused by [`stop_workers`](Self::stop_workers), and lifts a halt
    /// after a crash under [`CrashPolicy::FailTask`](crate::CrashPolicy::FailTask). An
    /// [`InitMode::Eager`](crate::InitMode::Eager) task starts its workers now; a lazy one
    /// when calls need them. Does nothing after [`dispose`](Self::dispose).
    pub fn start_workers(&self) {
        self.executor.start_workers();
    }

    /// Outcome counts and run-time / queue-wait percentiles since the task was defined
    /// (bounded memory; percentiles within 1 %, see [`TelemetrySummary`](crate::observe::TelemetrySummary)).
    pub fn telemetry(&self) -> crate::observe::TelemetrySummary {
        self.executor.telemetry()
    }

    /// A number that grows whenever [`telemetry`](Self::telemetry) would answer something
    /// new: compare it to skip rebuilding an unchanged summary.
    ///
    /// ```
    /// use leptos_atelier::{TaskConfig, TaskRuntime};
    ///
    /// let task = TaskRuntime::new().define(TaskConfig::singleton("app_workers")).unwrap();
    /// let before = task.telemetry_version();
    /// let _ = task.snapshot();
    /// assert_eq!(task.telemetry_version(), before);
    /// ```
    pub fn telemetry_version(&self) -> u64 {
        self.executor.telemetry_version()
    }

    #[cfg(test)]
    pub(crate) fn state_probe(&self) -> Weak<dyn std::any::Any> {
        self.executor.state_probe()
    }

    /// Tells this task apart from another defined later with the same id.
    pub(crate) fn identity(&self) -> u64 {
        self.executor.identity()
    }

    /// This task's current snapshot.
    pub fn snapshot(&self) -> TaskSnapshot {
        self.executor.snapshot()
    }

    /// Stops the task's workers, rejects its queued and running calls with
    /// [`TaskError::Disposed`], and removes it from the runtime (its snapshot, and
    /// [`TaskRuntime::task`](crate::TaskRuntime::task)): its state is freed once the
    /// last handle is dropped. Later calls are rejected the same way. Idempotent.
    pub fn dispose(&self) {
        self.executor.dispose();
        if let Some(registry) = self.registry.upgrade() {
            registry.remove(self);
        }
    }
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task").field("id", &self.id()).finish()
    }
}

/// The future of one call; see [`Task::call`].
///
/// Dropping it before it resolves cancels the call (see [`Task::call`]).
#[must_use = "the result of a call is only seen by awaiting it; dropping this cancels the call"]
pub struct TaskCall<O> {
    method: &'static str,
    task_id: std::rc::Rc<str>,
    state: CallState,
    /// Cancels the call if this future is dropped before it resolves.
    guard: Option<CallGuard>,
    output: PhantomData<fn() -> O>,
}

enum CallState {
    Submitted(ReplyReceiver),
    /// Boxed: a call future stays small (it is moved into every `async` block that
    /// awaits it), and few calls fail before they are submitted.
    Failed(Option<Box<TaskError>>),
}

impl<O: serde::de::DeserializeOwned> Future for TaskCall<O> {
    type Output = Result<O, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let receiver = match &mut this.state {
            CallState::Submitted(receiver) => receiver,
            CallState::Failed(error) => {
                return Poll::Ready(Err(error.take().map_or_else(
                    || TaskError::Disposed {
                        task_id: this.task_id.to_string(),
                    },
                    |error| *error,
                )));
            }
        };
        let settled = match Pin::new(receiver).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(settled) => settled,
        };
        if let Some(guard) = &mut this.guard {
            guard.disarm();
        }
        // The sender is only dropped unsent when the runtime itself is gone.
        let output = settled.unwrap_or_else(|_| {
            Err(TaskError::Disposed {
                task_id: this.task_id.to_string(),
            })
        })?;
        Poll::Ready(
            transfer::decode(output.bytes(), &output.attachments).map_err(|e| TaskError::Decode {
                method: this.method.to_owned(),
                side: PayloadSide::Output,
                message: e.to_string(),
            }),
        )
    }
}

/// A runtime's live tasks, by id: how [`TaskRuntime::task`](crate::TaskRuntime::task) finds a task defined
/// elsewhere. A task removes itself when disposed, so a disposed task's state (its
/// queue, workers and histograms) is freed once the app drops its last handle.
#[derive(Default)]
pub(crate) struct TaskRegistry {
    /// By id; an app defines a handful of tasks, so a list searched in order is both
    /// the smallest code and fast enough.
    tasks: RefCell<Vec<(String, Task)>>,
}

impl TaskRegistry {
    /// Registers `task` under its id, in place of any task of that id.
    pub(crate) fn insert(&self, task: &Task) {
        let id = task.id();
        let replaced = {
            let mut tasks = self.tasks.borrow_mut();
            match tasks.iter_mut().find(|(known, _)| *known == id) {
                Some((_, slot)) => Some(std::mem::replace(slot, task.clone())),
                None => {
                    tasks.push((id, task.clone()));
                    None
                }
            }
        };
        // Dropped with the list released: the replaced task's state may be freed here.
        drop(replaced);
    }

    /// The live task registered under `task_id`.
    pub(crate) fn get(&self, task_id: &str) -> Option<Task> {
        let tasks = self.tasks.borrow();
        tasks.iter().find(|(id, _)| id == task_id).map(|(_, task)| task.clone())
    }

    /// Removes `task`, if it is the one registered under its id.
    pub(crate) fn remove(&self, task: &Task) {
        let removed = {
            let mut tasks = self.tasks.borrow_mut();
            let at = tasks.iter().position(|(_, t)| t.identity() == task.identity());
            at.map(|at| tasks.swap_remove(at))
        };
        // Dropped with the list released: the task's state may be freed here.
        drop(removed);
    }
}
