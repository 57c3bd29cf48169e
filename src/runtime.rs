//! [`TaskRuntime`]: the registry of tasks, their transport, and the snapshot hub.

use std::cell::Cell;
use std::rc::Rc;

use crate::abort::AbortTaskController;
use crate::config::TaskConfig;
use crate::error::ConfigError;
use crate::events::{EventBus, RuntimeEvent};
use crate::executor::Executor;
use crate::listeners::Subscription;
use crate::platform::Platform;
use crate::snapshot::{RuntimeSnapshot, SnapshotHub};
use crate::task::Task;
use crate::transport::Transport;

/// An isolated runtime: the tasks defined on it, and what it knows about them.
///
/// The runtime lives on one thread (the browser's main thread); clones are handles to
/// the same runtime. Creating it starts nothing: workers start when a call needs them.
///
/// ```
/// use leptos_atelier::{TaskConfig, TaskRuntime};
///
/// let runtime = TaskRuntime::new();
/// let task = runtime.define(TaskConfig::singleton("app_workers").name("Analyze")).unwrap();
/// assert_eq!(task.id(), "task-1");
/// assert_eq!(runtime.snapshot().tasks.len(), 1);
/// task.dispose();
/// assert!(runtime.snapshot().tasks.is_empty());
/// ```
#[derive(Clone)]
pub struct TaskRuntime {
    inner: Rc<Inner>,
}

struct Inner {
    hub: Rc<SnapshotHub>,
    transport: Rc<dyn Transport>,
    platform: Platform,
    aborts: AbortTaskController,
    events: Rc<EventBus>,
    defined: Cell<u64>,
}

impl Default for TaskRuntime {
    fn default() -> Self {
        Self::new()
    }
}

impl TaskRuntime {
    /// A runtime whose tasks run on Web Workers. Outside the browser (a native build)
    /// every call fails with [`TaskError::WorkerStart`](crate::TaskError::WorkerStart).
    pub fn new() -> Self {
        #[cfg(target_arch = "wasm32")]
        let transport: Rc<dyn Transport> = Rc::new(crate::transport::web::WebTransport);
        #[cfg(not(target_arch = "wasm32"))]
        let transport: Rc<dyn Transport> = Rc::new(NoWorkers);
        Self::with_parts(transport, Platform::native_or_browser())
    }

    /// A runtime whose workers are simulated in process and whose time is the
    /// transport's [`VirtualClock`](crate::testing::VirtualClock) (see [`testing`](crate::testing)).
    #[cfg(any(test, feature = "testing"))]
    pub fn simulated(transport: &crate::testing::SimTransport) -> Self {
        Self::with_parts(Rc::new(transport.clone()), Platform::Virtual(transport.clock()))
    }

    fn with_parts(transport: Rc<dyn Transport>, platform: Platform) -> Self {
        Self {
            inner: Rc::new(Inner {
                hub: Rc::new(SnapshotHub::default()),
                transport,
                platform,
                aborts: AbortTaskController::default(),
                events: Rc::default(),
                defined: Cell::new(0),
            }),
        }
    }

    /// Defines a task. Refuses settings that cannot work (see [`ConfigError`]).
    pub fn define(&self, config: TaskConfig) -> Result<Task, ConfigError> {
        let resolved = config.resolve()?;
        let number = self.inner.defined.get() + 1;
        let task_id = resolved.task_id.clone().unwrap_or_else(|| format!("task-{number}"));
        if self.inner.hub.contains(&task_id) {
            return Err(ConfigError::DuplicateTaskId(task_id));
        }
        self.inner.defined.set(number);
        let executor = Executor::new(
            task_id,
            resolved,
            self.inner.transport.clone(),
            self.inner.platform.clone(),
            &self.inner.hub,
            self.inner.events.clone(),
        );
        Ok(Task::new(executor, self.inner.aborts.clone()))
    }

    /// The runtime's keyed cancellation store, shared by all its tasks: aborting a key
    /// cancels every call made with it (see [`CallOptions::key`](crate::CallOptions::key)).
    pub fn abort_controller(&self) -> AbortTaskController {
        self.inner.aborts.clone()
    }

    /// What every live task is doing now.
    pub fn snapshot(&self) -> RuntimeSnapshot {
        self.inner.hub.snapshot()
    }

    /// Calls `listener` with the new snapshot after every change: each call admitted,
    /// dispatched or settled, each worker started, ready or lost, each task defined or
    /// disposed. Transitions that change nothing visible do not call it. The listener
    /// runs synchronously, after the runtime has released its state, so it may read
    /// the runtime. Dropping the [`Subscription`] ends it.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use leptos_atelier::{TaskConfig, TaskRuntime};
    ///
    /// let runtime = TaskRuntime::new();
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let log = seen.clone();
    /// let subscription = runtime.subscribe(move |s| log.borrow_mut().push(s.tasks.len()));
    /// let task = runtime.define(TaskConfig::parallel("app_workers").pool_size(1)).unwrap();
    /// task.dispose();
    /// drop(subscription);
    /// runtime.define(TaskConfig::parallel("app_workers").pool_size(1)).unwrap();
    /// assert_eq!(*seen.borrow(), [1, 0]);
    /// ```
    pub fn subscribe(&self, listener: impl Fn(&RuntimeSnapshot) + 'static) -> Subscription {
        self.inner.hub.subscribe(Rc::new(listener))
    }

    /// Calls `listener` with every [`RuntimeEvent`] of every task of this runtime, in
    /// emission order, synchronously after each transition (see the [`events`
    /// table](crate::RuntimeEvent) for names). With no subscriber no event is built.
    /// Dropping the [`Subscription`] ends it.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use leptos_atelier::{RuntimeEvent, TaskConfig, TaskRuntime};
    ///
    /// let runtime = TaskRuntime::new();
    /// let names = Rc::new(RefCell::new(Vec::new()));
    /// let log = names.clone();
    /// let _events = runtime.subscribe_events(move |event| match event {
    ///     RuntimeEvent::Metric(metric) => log.borrow_mut().push(metric.name),
    ///     _ => {}
    /// });
    /// let task = runtime.define(TaskConfig::singleton("app_workers")).unwrap();
    /// task.dispose();
    /// assert_eq!(*names.borrow(), ["workers.active"]);
    /// ```
    pub fn subscribe_events(&self, listener: impl Fn(&RuntimeEvent) + 'static) -> Subscription {
        self.inner.events.subscribe(Rc::new(listener))
    }
}

impl std::fmt::Debug for TaskRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskRuntime")
            .field("tasks", &self.snapshot().tasks.len())
            .finish()
    }
}

/// The transport of a native build, where there are no Web Workers.
#[cfg(not(target_arch = "wasm32"))]
struct NoWorkers;

#[cfg(not(target_arch = "wasm32"))]
impl Transport for NoWorkers {
    fn spawn(
        &self,
        _request: &crate::transport::SpawnRequest<'_>,
        _events: crate::transport::EventSink,
    ) -> Result<Box<dyn crate::transport::WorkerLink>, String> {
        Err("Web Workers exist only in the browser (wasm32)".into())
    }
}
