//! Cancellation that reaches the handler, progress reports, and hung workers
//! (`cancel_grace`), on simulated workers that run the real worker-side session.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::{Stuck, settled};
use futures_util::FutureExt;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{
    CallOptions, CrashPolicy, HandlerError, Registry, Task, TaskConfig, TaskContext, TaskError, TaskMethod,
    TaskRuntime, WorkerState,
};

thread_local! {
    /// What the handlers saw, in order.
    static SEEN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn seen() -> Vec<String> {
    SEEN.with(|seen| seen.borrow().clone())
}

/// Reports half-way progress, then waits until canceled and says so.
struct Patient;
impl TaskMethod for Patient {
    const NAME: &'static str = "patient";
    type Input = String;
    type Output = ();
    async fn run(name: String, cx: TaskContext) -> Result<(), HandlerError> {
        cx.progress(0.5);
        cx.aborted().await;
        SEEN.with(|seen| seen.borrow_mut().push(format!("{name} aborted")));
        cx.throw_if_aborted()
    }
}

/// Gives up on its own, as if it noticed a cancellation the caller never made.
struct GiveUp;
impl TaskMethod for GiveUp {
    const NAME: &'static str = "give_up";
    type Input = ();
    type Output = ();
    async fn run(_: (), _: TaskContext) -> Result<(), HandlerError> {
        Err(HandlerError::aborted())
    }
}

const MS: Duration = Duration::from_millis(1);

fn setup(config: TaskConfig) -> (SimTransport, TaskRuntime, Task) {
    SEEN.with(|seen| seen.borrow_mut().clear());
    let sim = SimTransport::new(|| {
        Registry::new()
            .method::<Patient>()
            .method::<Stuck>()
            .method::<GiveUp>()
            .method::<common::Echo>()
    });
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(config.task_id("t")).unwrap();
    (sim, runtime, task)
}

#[test]
fn an_abort_reaches_the_running_handler_and_frees_the_worker_when_it_stops() {
    let (sim, runtime, task) = setup(TaskConfig::singleton("w"));
    let call = task.call_with::<Patient>("a".into(), CallOptions::new().key("k"));
    sim.run_until_idle();
    assert!(seen().is_empty(), "the handler is waiting");
    runtime.abort_controller().abort("k");
    assert!(
        matches!(settled(call), Err(TaskError::Aborted { .. })),
        "answered at once"
    );
    assert_eq!(
        task.snapshot().in_flight,
        1,
        "the slot is held until the worker settles"
    );
    sim.run_until_idle();
    assert_eq!(seen(), ["a aborted"]);
    let snapshot = task.snapshot();
    assert_eq!(snapshot.in_flight, 0);
    assert_eq!(
        snapshot.workers[0].state,
        WorkerState::Ready,
        "no crash, the worker serves on"
    );
    let next = task.call::<common::Echo>("next".into());
    sim.run_until_idle();
    assert_eq!(settled(next), Ok("next".into()));
    assert_eq!(sim.spawned(), 1);
}

#[test]
fn a_timeout_reaches_the_handler_too() {
    let (sim, _runtime, task) = setup(TaskConfig::singleton("w").timeout(10 * MS));
    let call = task.call::<Patient>("slow".into());
    sim.run_until_idle();
    sim.clock().advance(10 * MS);
    assert!(matches!(settled(call), Err(TaskError::Timeout { .. })));
    sim.run_until_idle();
    assert_eq!(seen(), ["slow aborted"]);
    assert_eq!(task.snapshot().in_flight, 0);
}

#[test]
fn progress_reaches_the_caller_until_it_is_answered() {
    let (sim, runtime, task) = setup(TaskConfig::parallel("w").pool_size(2));
    let reports = Rc::new(RefCell::new(Vec::new()));
    let log = reports.clone();
    let options = CallOptions::new()
        .key("k")
        .on_progress(move |fraction| log.borrow_mut().push(fraction));
    let call = task.call_with::<Patient>("p".into(), options);
    sim.run_until_idle();
    assert_eq!(*reports.borrow(), [0.5]);
    // A second call's progress goes to its own caller only.
    let other = task.call::<Patient>("q".into());
    sim.run_until_idle();
    assert_eq!(*reports.borrow(), [0.5]);
    runtime.abort_controller().abort("k");
    assert!(settled(call).is_err());
    drop(other);
}

#[test]
fn a_handler_that_gives_up_as_aborted_is_reported_as_aborted_not_failed() {
    let (sim, _runtime, task) = setup(TaskConfig::singleton("w"));
    let call = task.call_with::<GiveUp>((), CallOptions::new().key("mine"));
    sim.run_until_idle();
    assert_eq!(
        settled(call),
        Err(TaskError::Aborted {
            task_id: "t".into(),
            key: Some("mine".into())
        })
    );
    assert_eq!(task.telemetry().canceled, 1);
}

#[test]
fn without_a_grace_a_hung_handler_keeps_its_slot() {
    let (sim, runtime, task) = setup(TaskConfig::singleton("w").cancel_grace(None));
    let call = task.call_with::<Stuck>((), CallOptions::new().key("k"));
    sim.run_until_idle();
    runtime.abort_controller().abort("k");
    assert!(settled(call).is_err());
    sim.clock().advance(Duration::from_secs(3600));
    sim.run_until_idle();
    assert_eq!(task.snapshot().in_flight, 1);
    assert_eq!(sim.live_workers(), 1);
}

#[test]
fn a_worker_that_outlives_its_cancel_grace_is_replaced_and_its_slot_freed() {
    let config = TaskConfig::parallel("w")
        .pool_size(1)
        .cancel_grace(50 * MS)
        .crash_policy(CrashPolicy::RestartRequeueInFlight);
    let (sim, runtime, task) = setup(config);
    let stuck = task.call_with::<Stuck>((), CallOptions::new().key("k"));
    let queued = task.call::<common::Echo>("after".into());
    sim.run_until_idle();
    runtime.abort_controller().abort("k");
    assert!(matches!(settled(stuck), Err(TaskError::Aborted { .. })));
    sim.clock().advance(49 * MS);
    sim.run_until_idle();
    assert_eq!(
        (task.snapshot().in_flight, sim.spawned()),
        (1, 1),
        "still within the grace"
    );
    sim.clock().advance(MS);
    let snapshot = task.snapshot();
    assert!(snapshot.last_crash.unwrap().cause.contains("hung"));
    assert_eq!(sim.spawned(), 2, "the hung worker was replaced");
    assert_eq!(sim.live_workers(), 1, "and terminated");
    // A hang is not a crash: no backoff, the freed slot's fresh worker serves at once.
    assert_eq!(snapshot.workers[0].state, WorkerState::Starting);
    sim.run_until_idle();
    assert_eq!(settled(queued), Ok("after".into()));
}

#[test]
fn a_worker_that_settles_within_its_grace_is_kept() {
    let (sim, runtime, task) = setup(TaskConfig::singleton("w").cancel_grace(50 * MS));
    let call = task.call_with::<Patient>("a".into(), CallOptions::new().key("k"));
    sim.run_until_idle();
    runtime.abort_controller().abort("k");
    sim.run_until_idle();
    sim.clock().advance(Duration::from_secs(1));
    sim.run_until_idle();
    assert!(call.now_or_never().is_some());
    assert_eq!((sim.spawned(), sim.live_workers()), (1, 1));
    assert!(task.snapshot().last_crash.is_none());
}
