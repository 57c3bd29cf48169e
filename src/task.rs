//! [`Task`]: the caller's handle to one defined task, and the future of a call.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::oneshot;

use crate::codec;
use crate::error::{PayloadSide, TaskError};
use crate::executor::{Executor, Output};
use crate::method::TaskMethod;
use crate::snapshot::TaskSnapshot;

/// A defined task: a queue in front of its workers. Clones are handles to the same task.
///
/// Made by [`TaskRuntime::define`](crate::TaskRuntime::define).
#[derive(Clone)]
pub struct Task {
    executor: Executor,
}

impl Task {
    pub(crate) fn new(executor: Executor) -> Self {
        Self { executor }
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
    /// Dropping the future before it resolves discards the result; a call still
    /// queued is then never dispatched.
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
        let state = match codec::encode_payload(&input) {
            Ok(bytes) => CallState::Submitted(self.executor.submit(M::NAME, None, bytes)),
            Err(e) => CallState::Failed(Some(TaskError::Encode {
                method: M::NAME.to_owned(),
                message: e.to_string(),
            })),
        };
        TaskCall {
            method: M::NAME,
            task_id: self.id(),
            state,
            output: PhantomData,
        }
    }

    /// This task's current snapshot.
    pub fn snapshot(&self) -> TaskSnapshot {
        self.executor.snapshot()
    }

    /// Stops the task's workers, rejects its queued and running calls with
    /// [`TaskError::Disposed`], and removes it from the runtime's snapshot. Later calls
    /// are rejected the same way. Idempotent.
    pub fn dispose(&self) {
        self.executor.dispose();
    }
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task").field("id", &self.id()).finish()
    }
}

/// The future of one call; see [`Task::call`].
#[must_use = "the result of a call is only seen by awaiting it"]
pub struct TaskCall<O> {
    method: &'static str,
    task_id: String,
    state: CallState,
    output: PhantomData<fn() -> O>,
}

enum CallState {
    Submitted(oneshot::Receiver<Result<Output, TaskError>>),
    Failed(Option<TaskError>),
}

impl<O: serde::de::DeserializeOwned> Future for TaskCall<O> {
    type Output = Result<O, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let receiver = match &mut this.state {
            CallState::Submitted(receiver) => receiver,
            CallState::Failed(error) => {
                return Poll::Ready(Err(error.take().unwrap_or_else(|| TaskError::Disposed {
                    task_id: this.task_id.clone(),
                })));
            }
        };
        let settled = match Pin::new(receiver).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(settled) => settled,
        };
        // The sender is only dropped unsent when the runtime itself is gone.
        let output = settled.unwrap_or_else(|_| {
            Err(TaskError::Disposed {
                task_id: this.task_id.clone(),
            })
        })?;
        Poll::Ready(codec::decode_payload(output.bytes()).map_err(|e| TaskError::Decode {
            method: this.method.to_owned(),
            side: PayloadSide::Output,
            message: e.to_string(),
        }))
    }
}
