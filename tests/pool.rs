//! The pool executor end to end on the simulated transport: typed calls, worker
//! choice, typed failures, and snapshots pushed on every transition. No browser, no
//! threads, no sleeps: the simulated workers only move when the test says so.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

mod common;
use common::settled;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{
    ConfigError, HandlerError, PayloadSide, Registry, RuntimeSnapshot, SnapshotOptions, TaskConfig, TaskContext,
    TaskError, TaskMethod, TaskRuntime, WorkerState,
};

/// Echoes its input with the worker that served it.
struct Tag;
impl TaskMethod for Tag {
    const NAME: &'static str = "tag";
    type Input = String;
    type Output = (String, usize);
    async fn run(input: String, cx: TaskContext) -> Result<(String, usize), HandlerError> {
        Ok((input, cx.worker_index()))
    }
}

/// Fails on odd numbers.
struct EvenOnly;
impl TaskMethod for EvenOnly {
    const NAME: &'static str = "even_only";
    type Input = u32;
    type Output = u32;
    async fn run(n: u32, _: TaskContext) -> Result<u32, HandlerError> {
        if n.is_multiple_of(2) {
            Ok(n)
        } else {
            Err(HandlerError::new(format!("{n} is odd")))
        }
    }
}

/// Not registered in the workers.
struct Missing;
impl TaskMethod for Missing {
    const NAME: &'static str = "missing";
    type Input = ();
    type Output = ();
    async fn run(_: (), _: TaskContext) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// Same name as `Tag`, but an input the worker cannot decode as a `String`.
struct TagWithWrongInput;
impl TaskMethod for TagWithWrongInput {
    const NAME: &'static str = "tag";
    type Input = (u64, u64, u64, u64);
    type Output = (String, usize);
    async fn run(_: (u64, u64, u64, u64), _: TaskContext) -> Result<(String, usize), HandlerError> {
        unreachable!("never registered")
    }
}

/// Same name as `Tag`, but expecting an output the worker does not send.
struct TagWithWrongOutput;
impl TaskMethod for TagWithWrongOutput {
    const NAME: &'static str = "tag";
    type Input = String;
    type Output = Vec<String>;
    async fn run(_: String, _: TaskContext) -> Result<Vec<String>, HandlerError> {
        unreachable!("never registered")
    }
}

fn sim() -> SimTransport {
    SimTransport::new(|| Registry::new().method::<Tag>().method::<EvenOnly>())
}

fn counts(snapshot: &RuntimeSnapshot) -> (usize, usize, usize) {
    let task = &snapshot.tasks[0];
    (task.waiting, task.pending, task.in_flight)
}

#[test]
fn a_call_round_trips_through_a_worker() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::parallel("w").pool_size(1)).unwrap();
    let call = task.call::<Tag>("hello".into());
    sim.run_until_idle();
    assert_eq!(settled(call), Ok(("hello".to_string(), 0)));
    assert_eq!(sim.spawned(), 1);
}

#[test]
fn answers_read_late_stay_their_own_while_later_calls_reuse_the_records() {
    // A settled call's record serves the next call, with the slot its answer waits in
    // unless that answer is still unread: each caller must read its own answer.
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::parallel("w").pool_size(1)).unwrap();
    let mut unread = Vec::new();
    for round in 0..40 {
        let call = task.call::<Tag>(format!("call {round}"));
        sim.run_until_idle();
        if round % 3 == 0 {
            // Read at once: its record and slot are free for the next call.
            assert_eq!(settled(call), Ok((format!("call {round}"), 0)));
        } else {
            unread.push((round, call));
        }
    }
    for (round, call) in unread {
        assert_eq!(settled(call), Ok((format!("call {round}"), 0)), "call {round}");
    }
}

#[test]
fn calls_go_to_the_least_busy_worker_ties_in_round_robin() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime
        .define(TaskConfig::parallel("w").pool_size(3).max_in_flight(5))
        .unwrap();
    let calls: Vec<_> = (0..5).map(|i| task.call::<Tag>(i.to_string())).collect();
    let per_worker: Vec<_> = task.snapshot().workers.iter().map(|w| w.in_flight).collect();
    assert_eq!(per_worker, [2, 2, 1]);
    sim.run_until_idle();
    let served: Vec<_> = calls.into_iter().map(|c| settled(c).unwrap().1).collect();
    assert_eq!(served, [0, 1, 2, 0, 1]);
    // Idle again: the next call starts where the round-robin cursor stopped.
    let next = task.call::<Tag>("next".into());
    sim.run_until_idle();
    assert_eq!(settled(next).unwrap().1, 2);
}

#[test]
fn a_busy_worker_is_passed_over_for_an_idle_one() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime
        .define(TaskConfig::parallel("w").pool_size(2).max_in_flight(4))
        .unwrap();
    let first = task.call::<Tag>("a".into());
    let second = task.call::<Tag>("b".into());
    sim.run_until_idle();
    assert_eq!(settled(first).unwrap().1, 0);
    assert_eq!(settled(second).unwrap().1, 1);
    // Worker 0 gets one long call: with worker 1 idle, the next two are split 1 / 0
    // rather than stacked on 0.
    let held = task.call::<Tag>("c".into());
    let calls = [task.call::<Tag>("d".into()), task.call::<Tag>("e".into())];
    let per_worker: Vec<_> = task.snapshot().workers.iter().map(|w| w.in_flight).collect();
    assert_eq!(per_worker, [2, 1]);
    sim.run_until_idle();
    assert_eq!(settled(held).unwrap().1, 0);
    let served: Vec<_> = calls.into_iter().map(|c| settled(c).unwrap().1).collect();
    assert_eq!(served, [1, 0]);
}

#[test]
fn a_handler_error_comes_back_typed() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w")).unwrap();
    let odd = task.call::<EvenOnly>(3);
    let even = task.call::<EvenOnly>(4);
    sim.run_until_idle();
    assert_eq!(settled(odd), Err(TaskError::Handler(HandlerError::new("3 is odd"))));
    assert_eq!(settled(even), Ok(4));
}

#[test]
fn an_unknown_method_is_its_own_error() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w").task_id("t")).unwrap();
    let call = task.call::<Missing>(());
    sim.run_until_idle();
    assert_eq!(
        settled(call),
        Err(TaskError::UnknownMethod {
            task_id: "t".into(),
            method: "missing".into()
        })
    );
}

#[test]
fn payloads_that_fail_to_decode_are_typed_errors_on_either_side() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::parallel("w").pool_size(1)).unwrap();
    let bad_input = task.call::<TagWithWrongInput>((1, 2, 3, 4));
    let bad_output = task.call::<TagWithWrongOutput>("x".into());
    sim.run_until_idle();
    assert!(matches!(
        settled(bad_input),
        Err(TaskError::Decode { side: PayloadSide::Input, ref method, .. }) if method == "tag"
    ));
    assert!(matches!(
        settled(bad_output),
        Err(TaskError::Decode {
            side: PayloadSide::Output,
            ..
        })
    ));
}

#[test]
fn a_worker_that_fails_to_start_fails_its_calls_and_the_next_worker_serves() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w").task_id("t")).unwrap();
    sim.fail_next_start("no function named 'w'");
    let first = task.call::<Tag>("a".into());
    let second = task.call::<Tag>("b".into());
    sim.run_until_idle();
    assert_eq!(
        settled(first),
        Err(TaskError::WorkerStart {
            task_id: "t".into(),
            worker_index: 0,
            cause: "no function named 'w'".into()
        })
    );
    // A failed start counts as a crash: the slot restarts after its backoff.
    sim.clock().advance(Duration::from_millis(100));
    sim.run_until_idle();
    assert_eq!(settled(second), Ok(("b".to_string(), 0)));
    assert_eq!(sim.spawned(), 2);
}

#[test]
fn a_crash_fails_exactly_the_calls_of_the_crashed_worker() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime
        .define(TaskConfig::parallel("w").task_id("t").pool_size(2))
        .unwrap();
    // Let both workers start, then queue one call on each and crash worker 1.
    let warm: Vec<_> = (0..2).map(|i| task.call::<Tag>(i.to_string())).collect();
    sim.run_until_idle();
    warm.into_iter().for_each(|c| assert!(settled(c).is_ok()));
    let on_0 = task.call::<Tag>("x".into());
    let on_1 = task.call::<Tag>("y".into());
    assert!(sim.crash(1, "panicked at src/lib.rs:1:1"));
    sim.run_until_idle();
    assert_eq!(settled(on_0), Ok(("x".to_string(), 0)));
    assert_eq!(
        settled(on_1),
        Err(TaskError::WorkerCrashed {
            task_id: "t".into(),
            worker_index: 1,
            cause: "panicked at src/lib.rs:1:1".into()
        })
    );
    let snapshot = task.snapshot();
    assert_eq!(snapshot.workers[1].state, WorkerState::Crashed);
    assert_eq!(snapshot.active_workers, 1);
    // While slot 1 waits out its backoff, worker 0 serves alone.
    let calls: Vec<_> = (0..2).map(|i| task.call::<Tag>(i.to_string())).collect();
    sim.run_until_idle();
    let served: Vec<_> = calls.into_iter().map(|c| settled(c).unwrap().1).collect();
    assert_eq!(served, [0, 0]);
    // After the first backoff (100 ms) slot 1 has a fresh worker again.
    sim.clock().advance(Duration::from_millis(100));
    sim.run_until_idle();
    assert_eq!((sim.spawned(), sim.live_workers()), (3, 2));
    assert_eq!(task.snapshot().workers[1].state, WorkerState::Ready);
}

#[test]
fn a_worker_answering_garbage_fails_its_calls_with_a_protocol_error() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w").task_id("t")).unwrap();
    let warm = task.call::<Tag>("warm".into());
    sim.run_until_idle();
    assert!(settled(warm).is_ok());
    let call = task.call::<Tag>("x".into());
    assert!(sim.inject_frame(0, vec![0xff, 0xff, 0xff]));
    sim.run_until_idle();
    assert!(matches!(
        settled(call),
        Err(TaskError::Protocol { worker_index: 0, ref message, .. }) if message.contains("undecodable frame")
    ));
    assert_eq!(task.snapshot().workers[0].state, WorkerState::Crashed);
    assert_eq!(sim.live_workers(), 0, "a worker that broke the protocol is not reused");
    let next = task.call::<Tag>("next".into());
    sim.clock().advance(Duration::from_millis(100));
    sim.run_until_idle();
    assert!(settled(next).is_ok(), "served by the restarted worker");
}

#[test]
fn a_reply_for_a_call_the_worker_does_not_hold_is_ignored() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w")).unwrap();
    let warm = task.call::<Tag>("warm".into());
    sim.run_until_idle();
    assert!(settled(warm).is_ok());
    let call = task.call::<Tag>("real".into());
    // The frame of `Done { call: 1, attempt: 2 }` with no payload (variant 1 as a u32,
    // the call id as a u64, the attempt as a u32, little-endian): the right call (ids
    // count from 0, "warm" was 0), but an attempt that was never dispatched.
    let mut done = vec![1, 0, 0, 0];
    done.extend(1u64.to_le_bytes());
    done.extend(2u32.to_le_bytes());
    assert!(sim.inject_frame(0, done));
    sim.run_until_idle();
    assert_eq!(settled(call), Ok(("real".to_string(), 0)));
    let worker = &task.snapshot().workers[0];
    assert_eq!((worker.state, worker.completed), (WorkerState::Ready, 2));
}

#[test]
fn every_transition_pushes_a_snapshot_and_nothing_else_does() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime
        .define(TaskConfig::parallel("w").pool_size(1).max_queue_depth(1))
        .unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let _subscription = runtime.subscribe(move |s| log.borrow_mut().push(counts(s)));
    assert_eq!(*seen.borrow(), [(0, 0, 0)], "the current snapshot, at once");
    seen.borrow_mut().clear();
    let calls: Vec<_> = (0..3).map(|i| task.call::<Tag>(i.to_string())).collect();
    assert_eq!(*seen.borrow(), [(0, 0, 1), (0, 1, 1), (1, 1, 1)]);
    seen.borrow_mut().clear();
    sim.run_until_idle();
    // The worker becomes ready (a state change), then the calls finish one by one,
    // each completion pulling the next call up a phase.
    assert_eq!(seen.borrow().len(), 4);
    assert_eq!(seen.borrow()[1..], [(0, 1, 1), (0, 0, 1), (0, 0, 0)]);
    assert_eq!(counts(&runtime.snapshot()), (0, 0, 0));
    for call in calls {
        assert!(settled(call).is_ok());
    }
    let emitted = seen.borrow().len();
    let _ = runtime.snapshot();
    sim.run_until_idle();
    assert_eq!(seen.borrow().len(), emitted, "no transition, no push");
}

#[test]
fn subscription_options_choose_the_first_call_and_unchanged_transitions() {
    // Spec 5.8 cases 5, 6, 8, 9 and 10, pushed instead of polled.
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w")).unwrap();
    let counter = |options: SnapshotOptions| {
        let count = Rc::new(Cell::new(0));
        let seen = count.clone();
        let subscription = runtime.subscribe_with_options(move |_| seen.set(seen.get() + 1), options);
        (count, subscription)
    };
    let (on_change, _a) = counter(SnapshotOptions::new());
    let (later, _b) = counter(SnapshotOptions::new().emit_immediately(false));
    let (every, _c) = counter(SnapshotOptions::new().only_on_change(false));
    let (dropped, d) = counter(SnapshotOptions::new());
    let now = || (on_change.get(), later.get(), every.get(), dropped.get());
    assert_eq!(now(), (1, 0, 1, 1));
    drop(d);
    // A transition that changes nothing (the workers of a lazy, running task are
    // "started" already) reaches only the subscriber that wants every transition.
    task.start_workers();
    assert_eq!(now(), (1, 0, 2, 1));
    let call = task.call::<Tag>("x".into());
    assert_eq!(now(), (2, 1, 3, 1));
    sim.run_until_idle();
    assert!(settled(call).is_ok());
    let (a, b, c, _) = now();
    assert_eq!((a - 1, b), (c - 2, a - 1), "both kinds saw every change");
    assert_eq!(dropped.get(), 1, "nothing after unsubscribing");
}

#[test]
fn dispose_rejects_every_call_and_leaves_the_snapshot() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w").task_id("t")).unwrap();
    let calls: Vec<_> = (0..4).map(|i| task.call::<Tag>(i.to_string())).collect();
    assert_eq!(counts(&runtime.snapshot()), (1, 2, 1));
    task.dispose();
    assert!(runtime.snapshot().tasks.is_empty());
    assert_eq!(sim.live_workers(), 0);
    let disposed = Err(TaskError::Disposed { task_id: "t".into() });
    for call in calls {
        assert_eq!(settled(call), disposed);
    }
    assert_eq!(settled(task.call::<Tag>("late".into())), disposed);
    sim.run_until_idle();
    // The id is free again.
    assert!(runtime.define(TaskConfig::singleton("w").task_id("t")).is_ok());
}

#[test]
fn a_queued_call_whose_caller_left_is_never_dispatched() {
    let sim = sim();
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w")).unwrap();
    let running = task.call::<Tag>("running".into());
    drop(task.call::<Tag>("abandoned".into()));
    let kept = task.call::<Tag>("kept".into());
    sim.run_until_idle();
    assert!(settled(running).is_ok());
    assert!(settled(kept).is_ok());
    assert_eq!(task.snapshot().total_dispatched, 2);
}

#[test]
fn duplicate_task_ids_are_refused() {
    let runtime = TaskRuntime::simulated(&sim());
    runtime.define(TaskConfig::singleton("w").task_id("same")).unwrap();
    assert_eq!(
        runtime.define(TaskConfig::singleton("w").task_id("same")).unwrap_err(),
        ConfigError::DuplicateTaskId("same".into())
    );
}

#[test]
fn without_a_browser_the_default_runtime_fails_calls_instead_of_hanging() {
    let runtime = TaskRuntime::new();
    let task = runtime.define(TaskConfig::singleton("w")).unwrap();
    assert!(matches!(
        settled(task.call::<Tag>("x".into())),
        Err(TaskError::WorkerStart { .. })
    ));
    assert_eq!(counts(&runtime.snapshot()), (0, 0, 0));
}
