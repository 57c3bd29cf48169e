//! What an app that runs for days relies on, on simulated workers and the virtual
//! clock: dropped calls leave the queue, no handler can hold a slot forever, timers of
//! any length, stores that do not grow with the number of calls, and mistakes in the
//! worker that surface as typed errors.

mod common;

use std::cell::RefCell;
use std::time::Duration;

use common::{Echo, Explode, Stuck, settled};
use futures_util::FutureExt;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{
    CallOptions, CrashPolicy, DEFAULT_CANCEL_GRACE, HandlerError, QueuePolicy, Registry, Task, TaskConfig, TaskContext,
    TaskError, TaskMethod, TaskRuntime, TaskStatus,
};

thread_local! {
    /// Calls whose handler saw its cancel.
    static CANCELLED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Waits until canceled, and records that it heard it.
struct Patient;
impl TaskMethod for Patient {
    const NAME: &'static str = "patient";
    type Input = String;
    type Output = ();
    async fn run(name: String, cx: TaskContext) -> Result<(), HandlerError> {
        cx.aborted().await;
        CANCELLED.with(|seen| seen.borrow_mut().push(name));
        cx.throw_if_aborted()
    }
}

/// Another method that calls itself `echo`.
struct OtherEcho;
impl TaskMethod for OtherEcho {
    const NAME: &'static str = "echo";
    type Input = u32;
    type Output = u32;
    async fn run(n: u32, _: TaskContext) -> Result<u32, HandlerError> {
        Ok(n)
    }
}

fn registry() -> Registry {
    Registry::new()
        .method::<Echo>()
        .method::<Patient>()
        .method::<Stuck>()
        .method::<Explode>()
}

fn setup(config: TaskConfig) -> (SimTransport, TaskRuntime, Task) {
    CANCELLED.with(|seen| seen.borrow_mut().clear());
    let sim = SimTransport::new(registry);
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(config.task_id("t")).unwrap();
    (sim, runtime, task)
}

fn canceled() -> Vec<String> {
    CANCELLED.with(|seen| seen.borrow().clone())
}

#[test]
fn dropped_pending_calls_leave_the_queue_at_once_and_their_places_serve_the_next_calls() {
    let config = TaskConfig::singleton("w")
        .max_queue_depth(2)
        .queue_policy(QueuePolicy::Reject)
        .cancel_grace(None);
    let (sim, _runtime, task) = setup(config);
    let _stuck = task.call::<Stuck>(());
    let first = task.call::<Echo>("first".into());
    let second = task.call::<Echo>("second".into());
    sim.run_until_idle();
    assert_eq!((task.snapshot().in_flight, task.snapshot().pending), (1, 2));
    drop(first);
    drop(second);
    assert_eq!(task.snapshot().pending, 0, "dropping a queued call frees its place");
    assert_eq!(task.telemetry().canceled, 2, "a dropped call counts as canceled");
    let mut next = task.call::<Echo>("next".into());
    assert_eq!(task.snapshot().pending, 1, "accepted, not refused as QueueFull");
    assert_eq!((&mut next).now_or_never(), None);
}

#[test]
fn dropped_calls_waiting_for_room_leave_at_once() {
    let config = TaskConfig::singleton("w").max_queue_depth(1).cancel_grace(None);
    let (sim, _runtime, task) = setup(config);
    let _stuck = task.call::<Stuck>(());
    let _pending = task.call::<Echo>("pending".into());
    let waiting: Vec<_> = (0..3).map(|n| task.call::<Echo>(format!("waiting {n}"))).collect();
    sim.run_until_idle();
    assert_eq!(task.snapshot().waiting, 3);
    drop(waiting);
    assert_eq!(task.snapshot().waiting, 0);
}

#[test]
fn a_dropped_call_in_flight_is_canceled_in_its_worker() {
    let (sim, _runtime, task) = setup(TaskConfig::singleton("w"));
    let call = task.call::<Patient>("dropped".into());
    let after = task.call::<Echo>("after".into());
    sim.run_until_idle();
    assert_eq!(task.snapshot().in_flight, 1);
    drop(call);
    sim.run_until_idle();
    assert_eq!(canceled(), ["dropped"], "the handler heard the cancel");
    assert_eq!(settled(after), Ok("after".into()), "and its slot served the next call");
}

#[test]
fn a_call_dropped_after_it_settled_changes_nothing() {
    let (sim, _runtime, task) = setup(TaskConfig::singleton("w"));
    let call = task.call::<Echo>("done".into());
    sim.run_until_idle();
    drop(call);
    assert_eq!(task.telemetry().canceled, 0);
    assert_eq!(task.telemetry().succeeded, 1);
}

#[test]
fn by_default_a_handler_that_ignores_its_cancel_loses_its_worker_after_the_grace() {
    let (sim, runtime, task) = setup(TaskConfig::singleton("w"));
    let stuck = task.call_with::<Stuck>((), CallOptions::new().key("k"));
    let next = task.call::<Echo>("next".into());
    sim.run_until_idle();
    runtime.abort_controller().abort("k");
    assert!(matches!(settled(stuck), Err(TaskError::Aborted { .. })));
    sim.clock().advance(DEFAULT_CANCEL_GRACE - Duration::from_millis(1));
    sim.run_until_idle();
    assert_eq!(
        task.snapshot().in_flight,
        1,
        "within the grace the slot is the handler's"
    );
    sim.clock().advance(Duration::from_millis(1));
    sim.run_until_idle();
    assert_eq!(
        settled(next),
        Ok("next".into()),
        "a fresh worker serves the next call at once"
    );
    assert_eq!(sim.spawned(), 2);
    assert!(task.snapshot().last_crash.unwrap().cause.contains("hung"));
}

#[test]
fn hung_workers_never_halt_a_task_however_often_they_hang() {
    let config = TaskConfig::singleton("w")
        .crash_policy(CrashPolicy::FailTask)
        .crash_max_retries(0)
        .cancel_grace(Duration::from_millis(10));
    let (sim, _runtime, task) = setup(config);
    for round in 0..5 {
        let stuck = task.call_with::<Stuck>((), CallOptions::new().timeout(Duration::from_millis(20)));
        sim.run_until_idle();
        sim.clock().advance(Duration::from_millis(40));
        sim.run_until_idle();
        assert!(
            matches!(settled(stuck), Err(TaskError::Timeout { .. })),
            "round {round}"
        );
        assert_ne!(task.snapshot().status, TaskStatus::Halted, "round {round}");
    }
    let answer = task.call::<Echo>("still serving".into());
    sim.run_until_idle();
    assert_eq!(settled(answer), Ok("still serving".into()));
}

#[test]
fn timers_of_any_length_are_set_and_wait() {
    let config = TaskConfig::parallel("w")
        .pool_size(1)
        .timeout(Duration::MAX)
        .idle_timeout(Duration::MAX)
        .start_timeout(Duration::MAX)
        .cancel_grace(Duration::MAX);
    let (sim, _runtime, task) = setup(config);
    let call = task.call::<Echo>("in time".into());
    sim.run_until_idle();
    sim.clock().advance(Duration::from_secs(400 * 86_400));
    assert_eq!(settled(call), Ok("in time".into()));
    assert_eq!(task.snapshot().active_workers, 1, "not stopped as idle");
}

#[test]
fn keys_used_once_are_let_go_and_aborted_keys_stay_until_cleared() {
    let (sim, runtime, task) = setup(TaskConfig::parallel("w").pool_size(2).max_queue_depth(16));
    let aborts = runtime.abort_controller();
    aborts.abort("canceled-early");
    for batch in 0..100 {
        let calls: Vec<_> = (0..100)
            .map(|n| {
                task.call_with::<Echo>(
                    format!("{batch}/{n}"),
                    CallOptions::new().key(format!("doc-{batch}-{n}")),
                )
            })
            .collect();
        sim.run_until_idle();
        for call in calls {
            assert!(settled(call).is_ok());
        }
    }
    assert_eq!(task.telemetry().succeeded, 10_000);
    assert_eq!(aborts.key_count(), 1, "only the aborted key is kept");
    let late = task.call_with::<Echo>("late".into(), CallOptions::new().key("canceled-early"));
    assert!(matches!(settled(late), Err(TaskError::Aborted { .. })));
    aborts.clear("canceled-early");
    assert_eq!(aborts.key_count(), 0);
}

#[test]
fn two_methods_of_one_name_fail_the_start_and_say_which() {
    let sim = SimTransport::new(|| Registry::new().method::<Echo>().method::<OtherEcho>());
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w").task_id("t")).unwrap();
    let call = task.call::<Echo>("x".into());
    sim.run_until_idle();
    match settled(call) {
        Err(TaskError::WorkerStart { cause, .. }) => assert!(cause.contains("two methods named `echo`"), "{cause}"),
        other => panic!("expected a start failure, got {other:?}"),
    }
}

#[test]
fn a_handler_that_panics_crashes_its_simulated_worker_like_a_real_one() {
    let (sim, _runtime, task) = setup(TaskConfig::singleton("w"));
    let call = task.call::<Explode>(());
    sim.run_until_idle();
    match settled(call) {
        Err(TaskError::WorkerCrashed { cause, .. }) => assert!(cause.contains("boom in the worker"), "{cause}"),
        other => panic!("expected a crash, got {other:?}"),
    }
    // After the crash backoff a fresh worker serves.
    sim.clock().advance(Duration::from_millis(100));
    let next = task.call::<Echo>("fresh".into());
    sim.run_until_idle();
    assert_eq!(settled(next), Ok("fresh".into()));
    assert_eq!(sim.spawned(), 2);
}
