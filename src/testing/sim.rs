//! A simulated transport: in-process workers that run a real [`Registry`].
//!
//! Nothing happens on its own: frames posted to a simulated worker wait in its
//! inbox until the test calls [`SimTransport::run_until_idle`], which delivers the
//! ready handshake, runs the handlers on a local single-threaded executor and hands
//! the replies back, in worker order, until nothing is left to do. Crashes and start
//! failures are scripted. This makes runtime behaviour testable natively, with no
//! browser, no threads and no sleeps.
//!
//! ```
//! use leptos_atelier::testing::SimTransport;
//! use leptos_atelier::{HandlerError, Registry, TaskConfig, TaskContext, TaskMethod, TaskRuntime};
//!
//! pub struct Double;
//! impl TaskMethod for Double {
//!     const NAME: &'static str = "double";
//!     type Input = u32;
//!     type Output = u32;
//!     async fn run(n: u32, _: TaskContext) -> Result<u32, HandlerError> { Ok(n * 2) }
//! }
//!
//! let sim = SimTransport::new(|| Registry::new().method::<Double>());
//! let runtime = TaskRuntime::simulated(&sim);
//! let task = runtime.define(TaskConfig::parallel("workers").pool_size(2)).unwrap();
//! let call = task.call::<Double>(21);
//! assert_eq!(runtime.snapshot().tasks[0].in_flight, 1);
//! sim.run_until_idle();
//! assert_eq!(futures_executor::block_on(call), Ok(42));
//! ```

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use futures_executor::LocalPool;
use futures_util::FutureExt;
use futures_util::task::LocalSpawnExt;

use crate::codec::{self, FromWorker};
use crate::platform::VirtualClock;
use crate::transport::{EventSink, SpawnRequest, Transport, WorkerEvent, WorkerLink};
use crate::worker::Registry;
use crate::worker::session::{Post, Session};

/// In-process workers for tests (see the module docs). Clones share the same workers.
#[derive(Clone)]
pub struct SimTransport {
    shared: Rc<Shared>,
}

struct Shared {
    clock: VirtualClock,
    make_registry: Box<dyn Fn() -> Registry>,
    workers: RefCell<Vec<SimWorker>>,
    next_start_failure: RefCell<Option<String>>,
    executor: RefCell<LocalPool>,
    /// Handlers handed to the executor that have not finished (most finish at once,
    /// and the executor is not run when none waits).
    waiting_handlers: Rc<Cell<usize>>,
    /// The events of a step, kept between steps to spare an allocation per step.
    deliveries: RefCell<Vec<(EventSink, WorkerEvent)>>,
}

struct SimWorker {
    index: usize,
    session: Rc<Session>,
    events: EventSink,
    alive: Rc<Cell<bool>>,
    announced: bool,
    start_failure: Option<String>,
    inbox: Rc<RefCell<Inbox>>,
    outbox: Rc<RefCell<VecDeque<WorkerEvent>>>,
}

/// The frames posted to a simulated worker and not yet read, and a few buffers of
/// frames it has read, which the next posts copy into instead of allocating (a
/// browser's `postMessage` copies into memory of its own, not the app's heap).
#[derive(Default)]
struct Inbox {
    frames: VecDeque<Vec<u8>>,
    spare: Vec<Vec<u8>>,
}

impl Inbox {
    /// Buffers kept for reuse, and the largest kept: enough for calls in flight, never
    /// a large payload's memory held after it was read.
    const SPARE: usize = 8;
    const SPARE_BYTES: usize = 4096;

    fn push(&mut self, frame: &[u8]) {
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.extend_from_slice(frame);
        self.frames.push_back(buffer);
    }

    fn recycle(&mut self, mut buffer: Vec<u8>) {
        if self.spare.len() < Self::SPARE && buffer.capacity() <= Self::SPARE_BYTES {
            buffer.clear();
            self.spare.push(buffer);
        }
    }
}

impl SimTransport {
    /// Workers that each serve the registry `make_registry` builds (called once per spawn).
    pub fn new(make_registry: impl Fn() -> Registry + 'static) -> Self {
        Self {
            shared: Rc::new(Shared {
                clock: VirtualClock::new(),
                make_registry: Box::new(make_registry),
                workers: RefCell::new(Vec::new()),
                next_start_failure: RefCell::new(None),
                executor: RefCell::new(LocalPool::new()),
                waiting_handlers: Rc::default(),
                deliveries: RefCell::default(),
            }),
        }
    }

    /// The virtual clock of a runtime made with
    /// [`TaskRuntime::simulated`](crate::TaskRuntime::simulated) on this transport.
    pub fn clock(&self) -> VirtualClock {
        self.shared.clock.clone()
    }

    /// How many workers were ever spawned.
    pub fn spawned(&self) -> usize {
        self.shared.workers.borrow().len()
    }

    /// How many spawned workers are still alive (not terminated, not crashed).
    pub fn live_workers(&self) -> usize {
        self.shared.workers.borrow().iter().filter(|w| w.alive.get()).count()
    }

    /// The next worker spawned reports this start failure instead of its ready handshake.
    pub fn fail_next_start(&self, cause: impl Into<String>) {
        *self.shared.next_start_failure.borrow_mut() = Some(cause.into());
    }

    /// Crashes the live worker of pool slot `worker_index`; false if there is none.
    pub fn crash(&self, worker_index: usize, cause: impl Into<String>) -> bool {
        self.with_live_worker(worker_index, |worker| {
            worker.alive.set(false);
            worker.outbox.borrow_mut().push_back(WorkerEvent::Crashed(cause.into()));
        })
    }

    /// Makes the live worker of pool slot `worker_index` send `bytes` as if they were a
    /// frame (for testing how the runtime treats malformed or stale replies); false if
    /// there is no such worker. Delivered by the next [`run_until_idle`](Self::run_until_idle).
    pub fn inject_frame(&self, worker_index: usize, bytes: Vec<u8>) -> bool {
        self.with_live_worker(worker_index, |worker| {
            worker
                .outbox
                .borrow_mut()
                .push_back(WorkerEvent::Frame(bytes, Vec::new()));
        })
    }

    /// Runs `act` on the newest live worker of a slot; false if there is none.
    fn with_live_worker(&self, worker_index: usize, act: impl FnOnce(&SimWorker)) -> bool {
        let workers = self.shared.workers.borrow();
        let live = workers.iter().rev().find(|w| w.index == worker_index && w.alive.get());
        live.map(act).is_some()
    }

    /// Delivers handshakes, runs handlers and delivers replies until nothing is left
    /// to do. Handlers that never finish simply stay pending.
    pub fn run_until_idle(&self) {
        while self.step() {}
    }

    /// One round: every live worker takes the frames already in its inbox, runs their
    /// handlers as far as they go, and its handshake and replies are delivered. Frames
    /// the runtime posts during the round wait for the next one. Returns whether
    /// anything happened.
    pub fn step(&self) -> bool {
        let waiting = self.shared.waiting_handlers.get() > 0;
        if !waiting && self.quiet() {
            return false;
        }
        let read = self.start_handlers();
        if waiting || self.shared.waiting_handlers.get() > 0 {
            self.shared.executor.borrow_mut().run_until_stalled();
        }
        let mut deliveries = self.shared.deliveries.take();
        self.collect_events(&mut deliveries);
        let happened = read || !deliveries.is_empty();
        for (sink, event) in deliveries.drain(..) {
            sink(event);
        }
        // The buffer serves the next step (a step run by a delivery has its own).
        self.shared.deliveries.replace(deliveries);
        happened
    }

    /// Whether no worker has a frame to read, a handshake to send or an event to
    /// deliver (handlers still waiting aside): a round would do nothing.
    fn quiet(&self) -> bool {
        self.shared.workers.borrow().iter().all(|w| {
            w.outbox.borrow().is_empty() && (!w.alive.get() || (w.announced && w.inbox.borrow().frames.is_empty()))
        })
    }

    /// Runs the handlers of the frames in live workers' inboxes; whether it read any.
    fn start_handlers(&self) -> bool {
        let mut read = false;
        let mut workers = self.shared.workers.borrow_mut();
        let executor = self.shared.executor.borrow();
        for worker in workers.iter_mut().filter(|w| w.alive.get()) {
            if !worker.announced {
                worker.announced = true;
                let event = match worker.start_failure.take() {
                    Some(cause) => {
                        worker.alive.set(false);
                        WorkerEvent::StartFailed(cause)
                    }
                    None => match codec::encode_envelope(&FromWorker::Ready) {
                        Ok(frame) => WorkerEvent::Frame(frame, Vec::new()),
                        Err(e) => WorkerEvent::Garbage(e.to_string()),
                    },
                };
                worker.outbox.borrow_mut().push_back(event);
                if !worker.alive.get() {
                    continue;
                }
            }
            while worker.alive.get() {
                let next = worker.inbox.borrow_mut().frames.pop_front();
                let Some(frame) = next else { break };
                read = true;
                let received = catch_unwind(AssertUnwindSafe(|| worker.session.receive(&frame, &[])));
                worker.inbox.borrow_mut().recycle(frame);
                match received {
                    Ok(Ok(None)) => {}
                    Ok(Ok(Some(work))) => {
                        // As a browser worker does: the session ran the handler at once,
                        // as far as it goes (a panic there crashed the worker above);
                        // what has to wait goes to the executor. A handler that panics
                        // crashes its worker, as in the browser, instead of unwinding
                        // into the test.
                        let (alive, outbox) = (worker.alive.clone(), worker.outbox.clone());
                        let waiting = self.shared.waiting_handlers.clone();
                        waiting.set(waiting.get() + 1);
                        let guarded = AssertUnwindSafe(work).catch_unwind().map(move |finished| {
                            waiting.set(waiting.get() - 1);
                            if let Err(panic) = finished {
                                crash_on_panic(&alive, &outbox, panic.as_ref());
                            }
                        });
                        if let Err(e) = executor.spawner().spawn_local(guarded) {
                            self.shared.waiting_handlers.set(self.shared.waiting_handlers.get() - 1);
                            worker
                                .outbox
                                .borrow_mut()
                                .push_back(WorkerEvent::Crashed(e.to_string()));
                        }
                    }
                    Ok(Err(e)) => worker
                        .outbox
                        .borrow_mut()
                        .push_back(WorkerEvent::Garbage(format!("malformed frame: {e}"))),
                    Err(panic) => crash_on_panic(&worker.alive, &worker.outbox, panic.as_ref()),
                }
            }
        }
        read
    }

    fn collect_events(&self, deliveries: &mut Vec<(EventSink, WorkerEvent)>) {
        let workers = self.shared.workers.borrow();
        for worker in workers.iter() {
            for event in worker.outbox.borrow_mut().drain(..) {
                deliveries.push((worker.events.clone(), event));
            }
        }
    }
}

/// A simulated worker panicked: it dies, and the runtime hears the panic's message.
fn crash_on_panic(alive: &Cell<bool>, outbox: &RefCell<VecDeque<WorkerEvent>>, panic: &(dyn Any + Send)) {
    if !alive.replace(false) {
        return;
    }
    let message = panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".to_owned());
    outbox
        .borrow_mut()
        .push_back(WorkerEvent::Crashed(format!("panicked: {message}")));
}

impl std::fmt::Debug for SimTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimTransport")
            .field("spawned", &self.spawned())
            .field("live_workers", &self.live_workers())
            .finish()
    }
}

impl Transport for SimTransport {
    fn spawn(&self, request: &SpawnRequest<'_>, events: EventSink) -> Result<Box<dyn WorkerLink>, String> {
        let alive = Rc::new(Cell::new(true));
        let inbox: Rc<RefCell<Inbox>> = Rc::default();
        let outbox: Rc<RefCell<VecDeque<WorkerEvent>>> = Rc::default();
        // A dead worker's replies and progress never arrive.
        let post: Post = {
            let (alive, outbox) = (alive.clone(), outbox.clone());
            Rc::new(move |frame, attachments| {
                if alive.get() {
                    outbox.borrow_mut().push_back(WorkerEvent::Frame(frame, attachments));
                }
            })
        };
        let registry = (self.shared.make_registry)();
        let scripted_failure = self.shared.next_start_failure.borrow_mut().take();
        let start_failure = scripted_failure.or_else(|| registry.defect());
        self.shared.workers.borrow_mut().push(SimWorker {
            index: request.worker_index,
            session: Session::new(registry, request.worker_index, post),
            events,
            alive: alive.clone(),
            announced: false,
            start_failure,
            inbox: inbox.clone(),
            outbox,
        });
        Ok(Box::new(SimLink { alive, inbox }))
    }
}

struct SimLink {
    alive: Rc<Cell<bool>>,
    inbox: Rc<RefCell<Inbox>>,
}

impl WorkerLink for SimLink {
    /// Simulated workers carry bytes only: transferred objects exist only in the browser.
    fn post(&self, frame: &[u8], _attachments: &[wasm_bindgen::JsValue]) -> Result<(), String> {
        if self.alive.get() {
            self.inbox.borrow_mut().push(frame);
        }
        Ok(())
    }

    fn terminate(&self) {
        self.alive.set(false);
        *self.inbox.borrow_mut() = Inbox::default();
    }
}
