//! [`TaskRuntime`]: the registry of tasks, their transport, and the snapshot hub.

use std::cell::Cell;
use std::rc::Rc;

use crate::abort::AbortTaskController;
use crate::config::ConfigError;
use crate::config::TaskConfig;
use crate::executor::{Executor, FromRuntime};
use crate::listeners::Subscription;
use crate::observe::{EventBus, RuntimeEvent};
use crate::observe::{RuntimeSnapshot, SnapshotHub, SnapshotOptions};
use crate::observe::{SpanMode, SpanSettings};
use crate::observe::{Trace, TraceEnd, TraceError};
use crate::platform::Platform;
use crate::task::{Task, TaskRegistry};
use crate::transport::Transport;

/// How a [`TaskRuntime`] observes itself: whether it records spans and traces, and
/// which fraction of them. Metrics are always available.
///
/// ```
/// use leptos_atelier::{RuntimeOptions, SpanMode, TaskRuntime};
///
/// // Every tenth call's span, in every build.
/// let runtime = TaskRuntime::new_with_options(RuntimeOptions::new().spans(SpanMode::On).sample_rate(0.1));
/// # drop(runtime);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuntimeOptions {
    spans: SpanMode,
    sample_rate: f64,
    spare_workers: usize,
    shared_memory: bool,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            spans: SpanMode::Auto,
            sample_rate: 1.0,
            spare_workers: 0,
            shared_memory: true,
        }
    }
}

impl RuntimeOptions {
    /// Spans [`Auto`](SpanMode::Auto) (on in debug builds), every span sampled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether spans and traces are recorded.
    pub fn spans(mut self, mode: SpanMode) -> Self {
        self.spans = mode;
        self
    }

    /// The fraction of spans and traces recorded, decided per id by a hash (so the
    /// same id is always kept or always dropped). As in Atelier, the rate is clamped
    /// to `0.0..=1.0` and a rate that is not a number (NaN, infinite) means 1.
    pub fn sample_rate(mut self, rate: f64) -> Self {
        self.sample_rate = rate;
        self
    }

    /// How many workers to keep started ahead of need (default 0, as in Atelier).
    ///
    /// Starting a worker is mostly the browser's work: creating the thread, running
    /// the bootstrap, importing the app's glue (the compiled module is handed over,
    /// so nothing is downloaded or compiled again). With spares, once a first worker
    /// has started, the runtime keeps `n` more through those steps, bound to no task;
    /// the next worker any task starts takes one (if it uses the same
    /// [bootstrap](crate::TaskConfig::bootstrap_url) and [glue](crate::TaskConfig::glue_url)
    /// URLs) and only has to instantiate the module and serve, and a replacement
    /// starts at once. Each spare costs a worker thread with the glue loaded, not a
    /// wasm instance. Spares belong to no task, so no snapshot shows them; they stop
    /// when the runtime and its tasks are dropped. Native builds ignore it.
    ///
    /// ```
    /// use leptos_atelier::{RuntimeOptions, TaskRuntime};
    ///
    /// // Pools that grow or restart often get their next worker in a few milliseconds.
    /// let runtime = TaskRuntime::new_with_options(RuntimeOptions::new().spare_workers(1));
    /// # drop(runtime);
    /// ```
    pub fn spare_workers(mut self, n: usize) -> Self {
        self.spare_workers = n;
        self
    }

    /// Whether workers may talk to the page through shared memory (default true; it
    /// only happens where it can).
    ///
    /// In a [cross-origin-isolated] page (served with `Cross-Origin-Opener-Policy:
    /// same-origin` and `Cross-Origin-Embedder-Policy: require-corp`), each worker
    /// and the page share a `SharedArrayBuffer` holding one ring of frames each way,
    /// and wake each other with `Atomics.notify` / `Atomics.waitAsync` instead of
    /// posting a message per turn: calls, cancels, progress and replies up to 16 KiB
    /// travel through it, frames are never reordered, and what a ring cannot carry
    /// (transferred objects, larger payloads, a ring that is full) is posted as usual.
    /// A worker that has just served keeps polling its ring for 0.1 ms before it
    /// sleeps (at most 2 ms per wake-up, so its event loop keeps turning), so that a
    /// call following closely needs no wake-up at all: a no-op call's round trip
    /// takes less than a bare `postMessage` ping-pong (see the README's performance
    /// section), for at most 0.1 ms of a worker's CPU after each batch it serves.
    /// Elsewhere, or with `false`, every frame is posted; the behaviour is the same
    /// either way. Native builds ignore it.
    ///
    /// [cross-origin-isolated]: https://developer.mozilla.org/en-US/docs/Web/API/Window/crossOriginIsolated
    ///
    /// ```
    /// use leptos_atelier::{RuntimeOptions, TaskRuntime};
    ///
    /// // Post every frame, even in an isolated page (to compare, or to see each
    /// // frame in the DevTools' message log).
    /// let runtime = TaskRuntime::new_with_options(RuntimeOptions::new().shared_memory(false));
    /// # drop(runtime);
    /// ```
    pub fn shared_memory(mut self, enabled: bool) -> Self {
        self.shared_memory = enabled;
        self
    }

    /// Whether these options record spans in this build.
    pub fn spans_enabled(&self) -> bool {
        self.spans.enabled()
    }

    /// The sample rate after clamping.
    pub fn resolved_sample_rate(&self) -> f64 {
        if self.sample_rate.is_finite() {
            self.sample_rate.clamp(0.0, 1.0)
        } else {
            1.0
        }
    }

    fn settings(&self) -> SpanSettings {
        SpanSettings {
            enabled: self.spans_enabled(),
            sample_rate: self.resolved_sample_rate(),
        }
    }
}

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
    spans: SpanSettings,
    defined: Cell<u64>,
    traces: Cell<u64>,
    /// The live tasks, by id (a task leaves when disposed).
    tasks: Rc<TaskRegistry>,
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
        Self::new_with_options(RuntimeOptions::default())
    }

    /// [`new`](Self::new), observed as `options` say.
    pub fn new_with_options(options: RuntimeOptions) -> Self {
        #[cfg(target_arch = "wasm32")]
        let transport: Rc<dyn Transport> = Rc::new(crate::transport::web::WebTransport::new(
            options.spare_workers,
            options.shared_memory,
        ));
        #[cfg(not(target_arch = "wasm32"))]
        let transport: Rc<dyn Transport> = Rc::new(NoWorkers);
        Self::with_parts(transport, Platform::native_or_browser(), options)
    }

    /// A runtime whose workers are simulated in process and whose time is the
    /// transport's [`VirtualClock`](crate::testing::VirtualClock) (see [`testing`](crate::testing)).
    #[cfg(any(test, feature = "testing"))]
    pub fn simulated(transport: &crate::testing::SimTransport) -> Self {
        Self::simulated_with_options(transport, RuntimeOptions::default())
    }

    /// [`simulated`](Self::simulated), observed as `options` say.
    #[cfg(any(test, feature = "testing"))]
    pub fn simulated_with_options(transport: &crate::testing::SimTransport, options: RuntimeOptions) -> Self {
        Self::with_parts(
            Rc::new(transport.clone()),
            Platform::Virtual(transport.clock()),
            options,
        )
    }

    fn with_parts(transport: Rc<dyn Transport>, platform: Platform, options: RuntimeOptions) -> Self {
        Self {
            inner: Rc::new(Inner {
                hub: Rc::new(SnapshotHub::default()),
                transport,
                platform,
                aborts: AbortTaskController::default(),
                events: Rc::default(),
                spans: options.settings(),
                defined: Cell::new(0),
                traces: Cell::new(0),
                tasks: Rc::default(),
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
            FromRuntime {
                transport: &self.inner.transport,
                platform: &self.inner.platform,
                hub: &self.inner.hub,
                bus: &self.inner.events,
                spans: self.inner.spans,
            },
        );
        let task = Task::new(executor, self.inner.aborts.clone(), Rc::downgrade(&self.inner.tasks));
        self.inner.tasks.insert(&task);
        Ok(task)
    }

    /// The live (not disposed) task with this id: how components reach a task defined
    /// elsewhere, as the `use_task_*` hooks do.
    ///
    /// ```
    /// use leptos_atelier::{TaskConfig, TaskRuntime};
    ///
    /// let runtime = TaskRuntime::new();
    /// let task = runtime.define(TaskConfig::singleton("app_workers").task_id("hash")).unwrap();
    /// assert!(runtime.task("hash").is_some());
    /// task.dispose();
    /// assert!(runtime.task("hash").is_none());
    /// ```
    pub fn task(&self, task_id: &str) -> Option<Task> {
        self.inner.tasks.get(task_id)
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

    /// Calls `listener` with the current snapshot at once, then with the new snapshot
    /// after every change: each call admitted, dispatched or settled, each worker
    /// started, ready or lost, each task defined or disposed. Transitions that change
    /// nothing visible do not call it. The listener runs synchronously, after the
    /// runtime has released its state, so it may read the runtime. Dropping the
    /// [`Subscription`] ends it. For other behaviour see
    /// [`subscribe_with_options`](Self::subscribe_with_options).
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
    /// assert_eq!(*seen.borrow(), [0, 1, 0]);
    /// ```
    pub fn subscribe(&self, listener: impl Fn(&RuntimeSnapshot) + 'static) -> Subscription {
        self.subscribe_with_options(listener, SnapshotOptions::default())
    }

    /// [`subscribe`](Self::subscribe), with control over the first call and over
    /// transitions that leave the snapshot as it was (see [`SnapshotOptions`]).
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use leptos_atelier::{SnapshotOptions, TaskConfig, TaskRuntime};
    ///
    /// let runtime = TaskRuntime::new();
    /// let calls = Rc::new(Cell::new(0));
    /// let count = calls.clone();
    /// let options = SnapshotOptions::new().emit_immediately(false);
    /// let _subscription = runtime.subscribe_with_options(move |_| count.set(count.get() + 1), options);
    /// assert_eq!(calls.get(), 0);
    /// runtime.define(TaskConfig::singleton("app_workers")).unwrap();
    /// assert_eq!(calls.get(), 1);
    /// ```
    pub fn subscribe_with_options(
        &self,
        listener: impl Fn(&RuntimeSnapshot) + 'static,
        options: SnapshotOptions,
    ) -> Subscription {
        self.inner.hub.subscribe(Rc::new(listener), options)
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

impl TaskRuntime {
    /// Starts a [`Trace`]. Calls join it with [`CallOptions::trace`](crate::CallOptions::trace);
    /// it reports a [`TraceEvent`](crate::TraceEvent) when [`ended`](Trace::end), if spans
    /// are on and its id is sampled.
    pub fn create_trace(&self, name: Option<&str>) -> Trace {
        let sequence = self.inner.traces.get() + 1;
        self.inner.traces.set(sequence);
        let id = self.inner.platform.trace_id(sequence);
        let sampled = self.inner.spans.samples(&id);
        Trace::start(
            id,
            name.map(str::to_owned),
            sampled,
            self.inner.events.clone(),
            self.inner.platform.clone(),
        )
    }

    /// Runs `work` inside a new trace named `name`, and ends the trace with its result:
    /// `Ok` ends it ok; an error ends it canceled if it is an abort, failed otherwise
    /// (see [`TraceError`]). The result is returned unchanged.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use leptos_atelier::{RuntimeEvent, RuntimeOptions, SpanMode, SpanStatus, TaskError, TaskRuntime};
    ///
    /// let runtime = TaskRuntime::new_with_options(RuntimeOptions::new().spans(SpanMode::On));
    /// let statuses = Rc::new(RefCell::new(Vec::new()));
    /// let log = statuses.clone();
    /// let _events = runtime.subscribe_events(move |event| {
    ///     if let RuntimeEvent::Trace(trace) = event {
    ///         log.borrow_mut().push(trace.status);
    ///     }
    /// });
    /// let result = futures_executor::block_on(runtime.run_with_trace("import", |_trace| async {
    ///     Err::<(), _>(TaskError::Aborted { task_id: "t".into(), key: None })
    /// }));
    /// assert!(result.is_err());
    /// assert_eq!(*statuses.borrow(), [SpanStatus::Canceled]);
    /// ```
    pub async fn run_with_trace<T, E, F, Fut>(&self, name: &str, work: F) -> Result<T, E>
    where
        F: FnOnce(Trace) -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
        E: TraceError,
    {
        let trace = self.create_trace(Some(name));
        // Ends the trace canceled if this future is dropped before `work` finishes.
        let guard = EndOnDrop(trace.clone());
        let result = work(trace).await;
        guard.0.end(match &result {
            Ok(_) => TraceEnd::ok(),
            Err(error) => TraceEnd::from_error(error),
        });
        result
    }
}

/// Ends a trace as canceled when dropped, unless it was ended already.
struct EndOnDrop(Trace);

impl Drop for EndOnDrop {
    fn drop(&mut self) {
        self.0.end(TraceEnd::canceled());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SimTransport;
    use crate::worker::Registry;

    #[test]
    fn a_disposed_task_is_freed_once_the_app_drops_its_handles() {
        let sim = SimTransport::new(Registry::new);
        let runtime = TaskRuntime::simulated(&sim);
        let task = runtime.define(TaskConfig::singleton("w").task_id("t")).unwrap();
        let state = task.state_probe();
        task.dispose();
        assert!(runtime.task("t").is_none());
        drop(task);
        assert!(
            state.upgrade().is_none(),
            "the runtime no longer holds the task's state"
        );
        let again = runtime.define(TaskConfig::singleton("w").task_id("t")).unwrap();
        assert!(runtime.task("t").is_some_and(|t| t.identity() == again.identity()));
    }
}
