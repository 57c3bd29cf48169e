//! Cancellation by key and by signal, in each phase (Atelier's abort cases, through the
//! whole executor, on simulated workers that only move when the test says so).

mod common;
use common::{Echo, settled};
use futures_util::FutureExt;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{AbortController, CallOptions, Registry, Task, TaskConfig, TaskError, TaskRuntime};

fn setup(config: TaskConfig) -> (SimTransport, TaskRuntime, Task) {
    let sim = SimTransport::new(|| Registry::new().method::<Echo>());
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(config.task_id("t")).unwrap();
    (sim, runtime, task)
}

fn keyed(task: &Task, input: &str, key: &str) -> leptos_atelier::TaskCall<String> {
    task.call_with::<Echo>(input.into(), CallOptions::new().key(key))
}

fn aborted(key: &str) -> Result<String, TaskError> {
    Err(TaskError::Aborted {
        task_id: "t".into(),
        key: Some(key.into()),
    })
}

fn phases(task: &Task) -> (usize, usize, usize) {
    let s = task.snapshot();
    (s.waiting, s.pending, s.in_flight)
}

#[test]
fn a_call_with_an_aborted_key_fails_at_once_until_the_key_is_cleared() {
    let (sim, runtime, task) = setup(TaskConfig::singleton("w"));
    runtime.abort_controller().abort("doc-1");
    let call = keyed(&task, "x", "doc-1");
    assert_eq!(
        call.now_or_never(),
        Some(aborted("doc-1")),
        "settled without running anything"
    );
    assert_eq!(task.snapshot().total_dispatched, 0);
    runtime.abort_controller().clear("doc-1");
    let call = keyed(&task, "y", "doc-1");
    sim.run_until_idle();
    assert_eq!(settled(call), Ok("y".into()));
}

#[test]
fn aborting_a_pending_call_removes_it_and_a_waiting_one_moves_up() {
    let (sim, runtime, task) = setup(TaskConfig::singleton("w").max_queue_depth(1));
    let running = keyed(&task, "running", "a");
    let pending = keyed(&task, "pending", "b");
    let waiting = keyed(&task, "waiting", "c");
    assert_eq!(phases(&task), (1, 1, 1));
    runtime.abort_controller().abort("b");
    assert_eq!(phases(&task), (0, 1, 1), "the waiting call took the freed place");
    assert_eq!(pending.now_or_never(), Some(aborted("b")));
    sim.run_until_idle();
    assert_eq!(settled(running), Ok("running".into()));
    assert_eq!(settled(waiting), Ok("waiting".into()));
    assert_eq!(task.snapshot().total_dispatched, 2, "the aborted call never ran");
}

#[test]
fn aborting_a_waiting_call_removes_it() {
    let (sim, runtime, task) = setup(TaskConfig::singleton("w").max_queue_depth(1));
    let calls = [keyed(&task, "1", "k1"), keyed(&task, "2", "k2")];
    let waiting = keyed(&task, "3", "k3");
    runtime.abort_controller().abort("k3");
    assert_eq!(phases(&task), (0, 1, 1));
    assert_eq!(waiting.now_or_never(), Some(aborted("k3")));
    sim.run_until_idle();
    for call in calls {
        assert!(settled(call).is_ok());
    }
}

#[test]
fn an_in_flight_call_answers_at_once_but_keeps_its_slot_until_the_worker_settles() {
    let (sim, runtime, task) = setup(TaskConfig::singleton("w"));
    let running = keyed(&task, "running", "doc-1");
    let next = task.call::<Echo>("next".into());
    assert_eq!(phases(&task), (0, 1, 1));
    runtime.abort_controller().abort("doc-1");
    assert_eq!(running.now_or_never(), Some(aborted("doc-1")));
    assert_eq!(phases(&task), (0, 1, 1), "the worker still runs the aborted call");
    sim.run_until_idle();
    assert_eq!(phases(&task), (0, 0, 0));
    assert_eq!(settled(next), Ok("next".into()));
    assert_eq!(task.snapshot().workers[0].completed, 2);
}

#[test]
fn aborting_one_key_leaves_the_others_alone() {
    let (sim, runtime, task) = setup(TaskConfig::parallel("w").pool_size(2));
    let first = keyed(&task, "first", "doc-1");
    let second = keyed(&task, "second", "doc-2");
    runtime.abort_controller().abort("doc-1");
    sim.run_until_idle();
    assert_eq!(settled(first), aborted("doc-1"));
    assert_eq!(settled(second), Ok("second".into()));
}

#[test]
fn tasks_of_one_runtime_share_the_key_store() {
    let sim = SimTransport::new(|| Registry::new().method::<Echo>());
    let runtime = TaskRuntime::simulated(&sim);
    let one = runtime.define(TaskConfig::singleton("w").task_id("one")).unwrap();
    let two = runtime.define(TaskConfig::singleton("w").task_id("two")).unwrap();
    let calls = [keyed(&one, "a", "shared-key"), keyed(&two, "b", "shared-key")];
    runtime.abort_controller().abort("shared-key");
    let results: Vec<_> = calls.into_iter().map(settled).collect();
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(TaskError::Aborted { key: Some(k), .. }) if k == "shared-key")),
        "{results:?}"
    );
}

#[test]
fn an_explicit_signal_replaces_the_key_signal() {
    let (sim, runtime, task) = setup(TaskConfig::parallel("w").pool_size(2));
    let own = AbortController::new();
    let ignores_key = task.call_with::<Echo>("kept".into(), CallOptions::new().key("k").signal(own.signal()));
    let follows_own = task.call_with::<Echo>("dropped".into(), CallOptions::new().signal(own.signal()));
    runtime.abort_controller().abort("k");
    sim.run_until_idle();
    assert_eq!(
        settled(ignores_key),
        Ok("kept".into()),
        "the key's abort does not reach it"
    );
    let late = task.call_with::<Echo>("late".into(), CallOptions::new().signal(own.signal()));
    own.abort();
    assert!(settled(follows_own).is_ok(), "it had already finished");
    assert_eq!(
        settled(late),
        Err(TaskError::Aborted {
            task_id: "t".into(),
            key: None
        })
    );
}

#[test]
fn calls_made_before_a_clear_keep_the_old_signal() {
    let (_sim, runtime, task) = setup(TaskConfig::singleton("w"));
    let before = keyed(&task, "before", "doc");
    let aborts = runtime.abort_controller();
    aborts.clear("doc");
    aborts.abort("doc");
    assert_eq!(
        before.now_or_never(),
        None,
        "a new controller for the key does not reach it"
    );
}
