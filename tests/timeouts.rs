//! Per-call deadlines on a virtual clock: counted from the call, across every phase,
//! reported as `TaskError::Timeout` (not `Aborted`), and never a real sleep.

use std::time::Duration;

mod common;
use common::{Echo, settled};
use futures_util::FutureExt;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{CallOptions, CallPhase, Registry, Task, TaskConfig, TaskError, TaskRuntime};

const MS: Duration = Duration::from_millis(1);

fn setup(config: TaskConfig) -> (SimTransport, Task) {
    let sim = SimTransport::new(|| Registry::new().method::<Echo>());
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(config.task_id("t")).unwrap();
    (sim, task)
}

fn timed_out(after: Duration, phase: CallPhase) -> Result<String, TaskError> {
    Err(TaskError::Timeout {
        task_id: "t".into(),
        key: None,
        after,
        phase,
    })
}

#[test]
fn a_call_times_out_at_its_deadline_and_not_a_millisecond_before() {
    let (sim, task) = setup(TaskConfig::singleton("w").timeout(1000 * MS));
    let mut call = task.call::<Echo>("slow".into());
    sim.clock().advance(999 * MS);
    assert_eq!((&mut call).now_or_never(), None);
    assert_eq!(task.snapshot().in_flight, 1);
    sim.clock().advance(MS);
    assert_eq!(call.now_or_never(), Some(timed_out(1000 * MS, CallPhase::InFlight)));
    assert_eq!(task.snapshot().in_flight, 1, "the worker still holds its slot");
    sim.run_until_idle();
    assert_eq!(task.snapshot().in_flight, 0);
}

#[test]
fn a_call_that_finishes_in_time_succeeds_and_leaves_no_timer_behind() {
    let (sim, task) = setup(TaskConfig::singleton("w").timeout(1000 * MS));
    let call = task.call::<Echo>("quick".into());
    assert_eq!(sim.clock().pending_timers(), 1);
    sim.run_until_idle();
    assert_eq!(settled(call), Ok("quick".into()));
    assert_eq!(sim.clock().pending_timers(), 0);
    sim.clock().advance(5000 * MS);
}

#[test]
fn the_deadline_covers_waiting_pending_and_in_flight_alike() {
    let (sim, task) = setup(TaskConfig::singleton("w").max_queue_depth(1).timeout(50 * MS));
    let calls: Vec<_> = ["in-flight", "pending", "waiting"]
        .map(|s| task.call::<Echo>(s.into()))
        .into_iter()
        .collect();
    sim.clock().advance(49 * MS);
    assert_eq!(task.snapshot().waiting, 1);
    sim.clock().advance(MS);
    let results: Vec<_> = calls.into_iter().map(|c| c.now_or_never()).collect();
    // Deadlines due together fire in call order: when "pending" left, "waiting" moved
    // up to pending, where its own deadline found it.
    assert_eq!(
        results,
        [
            Some(timed_out(50 * MS, CallPhase::InFlight)),
            Some(timed_out(50 * MS, CallPhase::Pending)),
            Some(timed_out(50 * MS, CallPhase::Pending)),
        ]
    );
    let snapshot = task.snapshot();
    assert_eq!((snapshot.waiting, snapshot.pending, snapshot.in_flight), (0, 0, 1));
    sim.run_until_idle();
    assert_eq!(task.snapshot().total_dispatched, 1, "the queued calls never ran");
}

#[test]
fn a_waiting_call_times_out_as_waiting() {
    let (sim, task) = setup(TaskConfig::singleton("w").max_queue_depth(1));
    let _calls = [task.call::<Echo>("a".into()), task.call::<Echo>("b".into())];
    let waiting = task.call_with::<Echo>("c".into(), CallOptions::new().timeout(5 * MS));
    sim.clock().advance(5 * MS);
    assert_eq!(waiting.now_or_never(), Some(timed_out(5 * MS, CallPhase::Waiting)));
    assert_eq!(task.snapshot().waiting, 0);
}

#[test]
fn the_wait_in_the_queue_counts_toward_the_deadline() {
    let (sim, task) = setup(TaskConfig::singleton("w").timeout(100 * MS));
    let first = task.call::<Echo>("first".into());
    sim.clock().advance(60 * MS);
    let second = task.call::<Echo>("second".into());
    // `first` finishes at 60 ms; `second` starts then, and its own deadline is at 160 ms.
    sim.run_until_idle();
    assert_eq!(settled(first), Ok("first".into()));
    assert_eq!(settled(second), Ok("second".into()));
    let third = task.call::<Echo>("third".into());
    sim.clock().advance(100 * MS);
    assert_eq!(third.now_or_never(), Some(timed_out(100 * MS, CallPhase::InFlight)));
}

#[test]
fn a_per_call_timeout_replaces_the_task_timeout() {
    let (sim, task) = setup(TaskConfig::parallel("w").pool_size(2).timeout(1000 * MS));
    let short = task.call_with::<Echo>("short".into(), CallOptions::new().timeout(10 * MS));
    let default = task.call::<Echo>("default".into());
    sim.clock().advance(10 * MS);
    assert_eq!(short.now_or_never(), Some(timed_out(10 * MS, CallPhase::InFlight)));
    sim.run_until_idle();
    assert_eq!(settled(default), Ok("default".into()));
    let zero = task.call_with::<Echo>("zero".into(), CallOptions::new().timeout(Duration::ZERO));
    assert_eq!(zero.now_or_never(), Some(timed_out(Duration::ZERO, CallPhase::Waiting)));
}

#[test]
fn a_timeout_is_not_an_abort_and_an_abort_is_not_a_timeout() {
    let sim = SimTransport::new(|| Registry::new().method::<Echo>());
    let runtime = TaskRuntime::simulated(&sim);
    // No cancel grace: its timers would be counted below with the deadlines.
    let config = TaskConfig::parallel("w")
        .task_id("t")
        .pool_size(2)
        .timeout(100 * MS)
        .cancel_grace(None);
    let task = runtime.define(config).unwrap();
    let aborted = task.call_with::<Echo>("a".into(), CallOptions::new().key("k"));
    let timing_out = task.call::<Echo>("b".into());
    runtime.abort_controller().abort("k");
    sim.clock().advance(100 * MS);
    assert!(matches!(aborted.now_or_never(), Some(Err(TaskError::Aborted { .. }))));
    assert!(matches!(
        timing_out.now_or_never(),
        Some(Err(TaskError::Timeout { .. }))
    ));
    assert_eq!(
        sim.clock().pending_timers(),
        0,
        "the aborted call's deadline was canceled"
    );
}
