//! Snapshots: plain-data pictures of the runtime, and the hub that pushes them.
//!
//! This module owns the snapshot types and [`SnapshotHub`], which keeps the latest
//! snapshot of every task and calls subscribers synchronously after each transition.
//! Executors publish into the hub after they have released their own state, so a
//! subscriber may read the runtime again without re-entering an executor.
//!
//! A snapshot is built only when someone looks: while nobody subscribes, a transition
//! only marks its task's entry stale, and [`SnapshotHub::snapshot`] rebuilds the stale
//! entries when read.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::config::{CrashPolicy, InitMode, QueuePolicy, TaskKind};
use crate::listeners::{Listeners, Subscription};

/// The most recent crash of a task's worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrashRecord {
    /// When it happened, in milliseconds on the runtime's clock (the browser's
    /// `performance.now()`, or the virtual clock in tests).
    pub at_ms: f64,
    /// The pool slot of the crashed worker.
    pub worker_index: usize,
    /// The panic message, or what the browser reported.
    pub cause: String,
}

/// Everything the runtime knows, in task definition order.
///
/// ```
/// use leptos_atelier::{TaskConfig, TaskRuntime};
///
/// let runtime = TaskRuntime::new();
/// runtime.define(TaskConfig::parallel("app_workers").task_id("hash").pool_size(2)).unwrap();
/// let snapshot = runtime.snapshot();
/// assert_eq!(snapshot.tasks[0].task_id, "hash");
/// assert_eq!(snapshot.tasks[0].in_flight, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuntimeSnapshot {
    /// One entry per live (not disposed) task.
    pub tasks: Vec<TaskSnapshot>,
}

impl RuntimeSnapshot {
    /// The snapshot of the task with this id.
    pub fn task(&self, task_id: &str) -> Option<&TaskSnapshot> {
        self.tasks.iter().find(|t| t.task_id == task_id)
    }
}

/// One task: its queue and its workers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskSnapshot {
    /// The task's id.
    pub task_id: String,
    /// The task's label, if it has one.
    pub task_name: Option<String>,
    /// Parallel pool or singleton.
    #[serde(rename = "kind")]
    pub task_kind: TaskKind,
    /// Calls currently handed to workers.
    pub in_flight: usize,
    /// Accepted calls waiting for an in-flight slot.
    pub pending: usize,
    /// Callers waiting for room in the queue.
    pub waiting: usize,
    /// The in-flight limit.
    pub max_in_flight: usize,
    /// The pending limit.
    pub max_queue_depth: usize,
    /// What happens to calls beyond the pending limit.
    pub queue_policy: QueuePolicy,
    /// Attempts sent to a worker so far.
    pub total_dispatched: u64,
    /// Worker slots that hold a live worker.
    pub active_workers: usize,
    /// Number of worker slots.
    pub pool_size: usize,
    /// Idle, active, paused by `stop_workers`, or halted by a crash.
    pub status: TaskStatus,
    /// When the workers start.
    pub init: InitMode,
    /// What happens to a crashed worker's calls.
    pub crash_policy: CrashPolicy,
    /// The most recent crash, kept after recovery.
    pub last_crash: Option<CrashRecord>,
    /// One entry per pool slot.
    pub workers: Vec<WorkerSnapshot>,
}

/// One worker slot of a task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerSnapshot {
    /// The slot's index in the pool (0 for a singleton).
    pub index: usize,
    /// What the slot is doing.
    pub state: WorkerState,
    /// Calls currently awaiting this worker.
    pub in_flight: usize,
    /// Calls this slot's workers have completed.
    pub completed: u64,
}

/// What a task as a whole is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskStatus {
    /// No call in any phase.
    #[default]
    Idle,
    /// Calls are waiting, pending or in flight.
    Active,
    /// Stopped by `stop_workers`; calls are admitted but not dispatched.
    Paused,
    /// Halted by a crash; every call fails until `start_workers`.
    Halted,
}

/// The life of one worker slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkerState {
    /// No worker: never needed yet, or terminated.
    #[default]
    Stopped,
    /// Spawned; the ready handshake has not arrived.
    Starting,
    /// Serving calls.
    Ready,
    /// The last worker of this slot crashed or failed to start.
    Crashed,
}

/// How a snapshot subscription behaves
/// ([`TaskRuntime::subscribe_with_options`](crate::TaskRuntime::subscribe_with_options)).
///
/// Atelier polls every `intervalMs`; here snapshots are pushed after each transition,
/// so there is no interval. The defaults differ from Atelier's in one place:
/// `only_on_change` is on, because a pushed copy of an unchanged snapshot is noise.
///
/// ```
/// use leptos_atelier::SnapshotOptions;
///
/// let every_transition = SnapshotOptions::new().only_on_change(false);
/// assert!(every_transition.emits_immediately());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotOptions {
    emit_immediately: bool,
    only_on_change: bool,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        Self {
            emit_immediately: true,
            only_on_change: true,
        }
    }
}

impl SnapshotOptions {
    /// Emit at once, and only on change.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the listener is called with the current snapshot while subscribing
    /// (default `true`).
    pub fn emit_immediately(mut self, yes: bool) -> Self {
        self.emit_immediately = yes;
        self
    }

    /// Whether the listener is skipped after a transition that left the snapshot as
    /// it was, e.g. a stale reply that was ignored (default `true`).
    pub fn only_on_change(mut self, yes: bool) -> Self {
        self.only_on_change = yes;
        self
    }

    /// See [`emit_immediately`](Self::emit_immediately).
    pub fn emits_immediately(&self) -> bool {
        self.emit_immediately
    }

    /// See [`only_on_change`](Self::only_on_change).
    pub fn emits_only_on_change(&self) -> bool {
        self.only_on_change
    }
}

/// Latest snapshot per task plus the subscribers to notify.
#[derive(Default)]
pub(crate) struct SnapshotHub {
    current: RefCell<RuntimeSnapshot>,
    /// How to bring each task's entry up to date, in the order of `current.tasks`.
    sources: RefCell<Vec<SnapshotSource>>,
    /// Subscribers told only when the snapshot changed.
    on_change: Rc<Listeners<RuntimeSnapshot>>,
    /// Subscribers told after every transition.
    every_transition: Rc<Listeners<RuntimeSnapshot>>,
}

/// A task's snapshot, built by its executor on demand.
pub(crate) type BuildSnapshot = Rc<dyn Fn() -> Option<TaskSnapshot>>;

/// How the hub refreshes one task's entry.
struct SnapshotSource {
    /// Set by the task's transitions while nobody subscribes: the entry is behind.
    stale: Rc<Cell<bool>>,
    /// Builds the task's snapshot now (`None` if the task is busy in a transition).
    build: BuildSnapshot,
}

impl SnapshotHub {
    /// The current snapshot, stale entries rebuilt first.
    pub(crate) fn snapshot(&self) -> RuntimeSnapshot {
        self.refresh();
        self.current.borrow().clone()
    }

    /// Rebuilds the entries marked stale (those whose task can be read now).
    fn refresh(&self) {
        let stale: Vec<(usize, BuildSnapshot)> = self
            .sources
            .borrow()
            .iter()
            .enumerate()
            .filter(|(_, source)| source.stale.get())
            .map(|(index, source)| (index, source.build.clone()))
            .collect();
        for (index, build) in stale {
            // Built with the hub released: building borrows the task's state.
            let Some(task) = build() else { continue };
            if let Some(source) = self.sources.borrow().get(index) {
                source.stale.set(false);
            }
            if let Some(slot) = self.current.borrow_mut().tasks.get_mut(index) {
                *slot = task;
            }
        }
    }

    /// Whether anyone would be told of a new snapshot (if not, tasks only mark theirs
    /// stale).
    pub(crate) fn is_listening(&self) -> bool {
        !self.on_change.is_empty() || !self.every_transition.is_empty()
    }

    /// Adds a task at the end (definition order): its snapshot now, the flag its
    /// transitions set when they skip publishing, and how to rebuild it.
    pub(crate) fn insert(&self, task: TaskSnapshot, stale: Rc<Cell<bool>>, build: BuildSnapshot) {
        self.current.borrow_mut().tasks.push(task);
        self.sources.borrow_mut().push(SnapshotSource { stale, build });
        self.emit();
    }

    /// Replaces a task's snapshot after a transition and notifies subscribers: all of
    /// them if anything changed, else those that asked for every transition.
    pub(crate) fn publish(&self, task: TaskSnapshot) {
        self.refresh();
        let changed = {
            let mut current = self.current.borrow_mut();
            let Some(slot) = current.tasks.iter_mut().find(|t| t.task_id == task.task_id) else {
                return;
            };
            let changed = *slot != task;
            if changed {
                *slot = task;
            }
            changed
        };
        if changed {
            self.emit();
        } else {
            Self::notify(&self.every_transition, || self.snapshot());
        }
    }

    pub(crate) fn remove(&self, task_id: &str) {
        let removed = {
            let mut current = self.current.borrow_mut();
            let index = current.tasks.iter().position(|t| t.task_id == task_id);
            if let Some(index) = index {
                current.tasks.remove(index);
                self.sources.borrow_mut().remove(index);
            }
            index.is_some()
        };
        if removed {
            self.emit();
        }
    }

    pub(crate) fn contains(&self, task_id: &str) -> bool {
        self.current.borrow().task(task_id).is_some()
    }

    pub(crate) fn subscribe(&self, listener: Rc<dyn Fn(&RuntimeSnapshot)>, options: SnapshotOptions) -> Subscription {
        let list = if options.only_on_change {
            &self.on_change
        } else {
            &self.every_transition
        };
        // The entries a task marked stale while nobody listened are brought up to
        // date now, so that the next publish compares against the truth.
        self.refresh();
        let subscription = list.add(listener.clone());
        if options.emit_immediately {
            listener(&self.snapshot());
        }
        subscription
    }

    fn emit(&self) {
        let mut snapshot = None;
        for list in [&self.on_change, &self.every_transition] {
            Self::notify(list, || snapshot.get_or_insert_with(|| self.snapshot()).clone());
        }
    }

    /// Calls the listeners of `list`, building the snapshot only if there are any.
    fn notify(list: &Listeners<RuntimeSnapshot>, snapshot: impl FnOnce() -> RuntimeSnapshot) {
        if list.is_empty() {
            return;
        }
        let snapshot = snapshot();
        for listener in list.current() {
            listener(&snapshot);
        }
    }
}
