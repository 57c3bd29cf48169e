//! Worker lifecycle and crash recovery on simulated workers and a virtual clock
//! (Atelier's worker-lifecycle and crash-recovery cases): lazy and eager start,
//! stop/start, the idle stop, the three crash policies, backoff and the halt.

mod common;

use std::cell::RefCell;
use std::time::Duration;

use common::settled;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{
    CrashPolicy, HandlerError, InitMode, Registry, Task, TaskConfig, TaskContext, TaskError, TaskMethod, TaskRuntime,
    TaskStatus, WorkerState,
};

thread_local! {
    /// The order in which the simulated workers ran calls.
    static RAN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Echoes its input with the attempt it ran on, and logs it.
struct Run;
impl TaskMethod for Run {
    const NAME: &'static str = "run";
    type Input = String;
    type Output = (String, u32);
    async fn run(input: String, cx: TaskContext) -> Result<(String, u32), HandlerError> {
        RAN.with(|ran| ran.borrow_mut().push(input.clone()));
        Ok((input, cx.attempt()))
    }
}

const MS: Duration = Duration::from_millis(1);

fn setup(config: TaskConfig) -> (SimTransport, Task) {
    RAN.with(|ran| ran.borrow_mut().clear());
    let sim = SimTransport::new(|| Registry::new().method::<Run>());
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(config.task_id("t")).unwrap();
    (sim, task)
}

fn call(task: &Task, input: &str) -> leptos_atelier::TaskCall<(String, u32)> {
    task.call::<Run>(input.into())
}

fn crashed(worker_index: usize, cause: &str) -> TaskError {
    TaskError::WorkerCrashed {
        task_id: "t".into(),
        worker_index,
        cause: cause.into(),
    }
}

#[test]
fn a_lazy_task_starts_no_worker_until_a_call_needs_one() {
    let (sim, task) = setup(TaskConfig::parallel("w").pool_size(3));
    assert_eq!(sim.spawned(), 0);
    assert_eq!(task.snapshot().workers[0].state, WorkerState::Stopped);
    let first = call(&task, "a");
    sim.run_until_idle();
    assert!(settled(first).is_ok());
    assert_eq!(sim.spawned(), 1);
    assert_eq!(task.snapshot().workers[0].state, WorkerState::Ready);
}

#[test]
fn an_eager_task_starts_every_worker_when_defined() {
    let (sim, task) = setup(TaskConfig::parallel("w").pool_size(3).init(InitMode::Eager));
    assert_eq!(sim.spawned(), 3);
    assert_eq!(task.snapshot().active_workers, 3);
    let (sim, _task) = setup(TaskConfig::singleton("w").init(InitMode::Eager));
    assert_eq!(sim.spawned(), 1);
}

#[test]
fn stop_workers_requeues_running_calls_and_start_workers_runs_them_again() {
    let (sim, task) = setup(TaskConfig::singleton("w"));
    let a = call(&task, "A");
    task.stop_workers();
    let snapshot = task.snapshot();
    assert_eq!((snapshot.in_flight, snapshot.pending), (0, 1));
    assert_eq!(snapshot.status, TaskStatus::Paused);
    assert_eq!(snapshot.workers[0].state, WorkerState::Stopped);
    assert_eq!(sim.live_workers(), 0);
    let b = call(&task, "B");
    sim.run_until_idle();
    assert_eq!(task.snapshot().pending, 2, "admitted while paused, not dispatched");
    task.start_workers();
    sim.run_until_idle();
    assert_eq!(settled(a), Ok(("A".into(), 2)), "its second attempt");
    assert_eq!(settled(b), Ok(("B".into(), 1)));
    assert_eq!(task.snapshot().total_dispatched, 3);
    assert_eq!(sim.spawned(), 2);
}

#[test]
fn start_workers_restarts_an_eager_task_but_not_a_lazy_one() {
    let (sim, eager) = setup(TaskConfig::singleton("w").init(InitMode::Eager));
    eager.stop_workers();
    eager.start_workers();
    assert_eq!((sim.spawned(), sim.live_workers()), (2, 1));
    let (sim, lazy) = setup(TaskConfig::singleton("w"));
    lazy.stop_workers();
    lazy.start_workers();
    assert_eq!(sim.spawned(), 0);
}

#[test]
fn idle_workers_stop_after_the_idle_timeout_and_new_work_resets_it() {
    let (sim, task) = setup(TaskConfig::singleton("w").idle_timeout(1000 * MS));
    let first = call(&task, "a");
    sim.run_until_idle();
    assert!(settled(first).is_ok());
    sim.clock().advance(800 * MS);
    let second = call(&task, "b");
    sim.run_until_idle();
    assert!(settled(second).is_ok());
    sim.clock().advance(800 * MS);
    assert_eq!(sim.live_workers(), 1, "the second call reset the idle timer");
    sim.clock().advance(200 * MS);
    assert_eq!(sim.live_workers(), 0);
    assert_eq!(task.snapshot().workers[0].state, WorkerState::Stopped);
    let third = call(&task, "c");
    sim.run_until_idle();
    assert!(settled(third).is_ok());
    assert_eq!(sim.spawned(), 2, "a lazy worker came back for the next call");
}

#[test]
fn an_eager_worker_that_never_worked_is_not_idle_stopped() {
    let (sim, _task) = setup(TaskConfig::singleton("w").init(InitMode::Eager).idle_timeout(10 * MS));
    sim.run_until_idle();
    sim.clock().advance(1000 * MS);
    assert_eq!(sim.live_workers(), 1);
}

#[test]
fn dispose_stops_the_workers_and_start_workers_cannot_revive_them() {
    let (sim, task) = setup(TaskConfig::parallel("w").pool_size(2).init(InitMode::Eager));
    task.dispose();
    assert_eq!(sim.live_workers(), 0);
    task.start_workers();
    assert_eq!(sim.spawned(), 2);
}

#[test]
fn restart_fail_in_flight_fails_the_running_call_and_respawns_after_100_ms() {
    let (sim, task) = setup(TaskConfig::singleton("w"));
    let warm = call(&task, "warm");
    sim.run_until_idle();
    assert!(settled(warm).is_ok());
    let doomed = call(&task, "doomed");
    assert!(sim.crash(0, "boom"));
    sim.run_until_idle();
    assert_eq!(settled(doomed), Err(crashed(0, "boom")));
    let snapshot = task.snapshot();
    assert_eq!(snapshot.workers[0].state, WorkerState::Crashed);
    let last = snapshot.last_crash.expect("recorded");
    assert_eq!((last.worker_index, last.cause.as_str()), (0, "boom"));
    sim.clock().advance(99 * MS);
    assert_eq!(sim.spawned(), 1);
    sim.clock().advance(MS);
    assert_eq!(sim.spawned(), 2, "respawned at once, though the task is lazy");
    let recovered = call(&task, "recovered");
    sim.run_until_idle();
    assert_eq!(settled(recovered), Ok(("recovered".into(), 1)));
}

#[test]
fn restart_requeue_in_flight_runs_the_call_again_on_the_new_worker() {
    let (sim, task) = setup(
        TaskConfig::parallel("w")
            .pool_size(1)
            .crash_policy(CrashPolicy::RestartRequeueInFlight),
    );
    let survivor = call(&task, "survivor");
    sim.run_until_idle();
    assert!(settled(survivor).is_ok());
    let requeued = call(&task, "requeued");
    assert!(sim.crash(0, "boom"));
    sim.run_until_idle();
    assert_eq!(task.snapshot().pending, 1, "back in the queue, waiting for the restart");
    sim.clock().advance(100 * MS);
    sim.run_until_idle();
    assert_eq!(settled(requeued), Ok(("requeued".into(), 2)));
}

#[test]
fn requeued_calls_go_to_the_front_in_reverse_order_as_in_atelier() {
    let (sim, task) = setup(
        TaskConfig::singleton("w")
            .max_in_flight(2)
            .crash_policy(CrashPolicy::RestartRequeueInFlight),
    );
    let calls = [call(&task, "A"), call(&task, "B"), call(&task, "C")];
    assert!(sim.crash(0, "boom"));
    sim.run_until_idle();
    RAN.with(|ran| ran.borrow_mut().clear());
    sim.clock().advance(100 * MS);
    sim.run_until_idle();
    assert_eq!(RAN.with(|ran| ran.borrow().clone()), ["B", "A", "C"]);
    for call in calls {
        assert!(settled(call).is_ok());
    }
}

#[test]
fn consecutive_crashes_back_off_100_200_400_ms_and_a_success_resets_the_count() {
    let (sim, task) = setup(TaskConfig::singleton("w").crash_max_retries(10));
    let mut spawn_times = Vec::new();
    for _ in 0..3 {
        // The call never completes: the worker crashes before answering it.
        let _doomed = call(&task, "x");
        let spawned = sim.spawned();
        assert!(sim.crash(0, "boom"));
        sim.run_until_idle();
        let start = sim.clock().now();
        while sim.spawned() == spawned {
            sim.clock().advance(MS);
        }
        spawn_times.push((sim.clock().now() - start).as_millis());
    }
    assert_eq!(spawn_times, [100, 200, 400]);
    let ok = call(&task, "ok");
    sim.run_until_idle();
    assert!(settled(ok).is_ok());
    let _doomed = call(&task, "x");
    assert!(sim.crash(0, "boom"));
    sim.run_until_idle();
    sim.clock().advance(99 * MS);
    let before = sim.spawned();
    sim.clock().advance(MS);
    assert_eq!(sim.spawned(), before + 1, "back to 100 ms after a success");
}

#[test]
fn crashes_beyond_the_retries_halt_the_task_until_start_workers() {
    let (sim, task) = setup(
        TaskConfig::parallel("w")
            .pool_size(1)
            .crash_max_retries(1)
            .init(InitMode::Eager),
    );
    sim.run_until_idle(); // ready: a crash from here on is a crash, not a failed start
    let first = call(&task, "1");
    assert!(sim.crash(0, "first"));
    sim.run_until_idle();
    assert_eq!(settled(first), Err(crashed(0, "first")));
    sim.clock().advance(100 * MS);
    assert_eq!(sim.spawned(), 2);
    sim.run_until_idle();
    let doomed = call(&task, "2");
    let waiting_behind = call(&task, "3");
    assert!(sim.crash(0, "second"));
    sim.run_until_idle();
    let halt = crashed(0, "second");
    assert_eq!(settled(doomed), Err(halt.clone()));
    assert_eq!(
        settled(waiting_behind),
        Err(halt.clone()),
        "queued calls fail with it too"
    );
    assert_eq!(task.snapshot().status, TaskStatus::Halted);
    assert_eq!(settled(call(&task, "later")), Err(halt.clone()), "refused at once");
    sim.clock().advance(10_000 * MS);
    assert_eq!(sim.live_workers(), 0, "no restart while halted");
    task.stop_workers();
    assert_eq!(
        settled(call(&task, "still")),
        Err(halt),
        "stop_workers does not lift a halt"
    );
    task.start_workers();
    let after = call(&task, "after");
    sim.run_until_idle();
    assert_eq!(settled(after), Ok(("after".into(), 1)));
    assert_eq!(task.snapshot().status, TaskStatus::Idle);
}

#[test]
fn fail_task_halts_on_the_first_crash() {
    let (sim, task) = setup(TaskConfig::singleton("w").crash_policy(CrashPolicy::FailTask));
    let doomed = call(&task, "x");
    sim.run_until_idle();
    let _ = settled(doomed);
    let doomed = call(&task, "y");
    assert!(sim.crash(0, "boom"));
    sim.run_until_idle();
    assert_eq!(settled(doomed), Err(crashed(0, "boom")));
    assert_eq!(task.snapshot().status, TaskStatus::Halted);
}
