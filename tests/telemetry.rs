//! Per-task telemetry on simulated workers and a virtual clock: outcome counts, run
//! time and queue wait, measured on the runtime's clock.

mod common;

use std::time::Duration;

use common::{Check, settled};
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{CallOptions, QueuePolicy, Registry, TaskConfig, TaskRuntime};

const MS: Duration = Duration::from_millis(1);

#[test]
fn outcomes_are_counted_by_kind() {
    let sim = SimTransport::new(|| Registry::new().method::<Check>());
    let runtime = TaskRuntime::simulated(&sim);
    let config = TaskConfig::singleton("w")
        .max_queue_depth(1)
        .queue_policy(QueuePolicy::Reject);
    let task = runtime.define(config).unwrap();
    let calls = [
        task.call::<Check>(true),
        task.call_with::<Check>(false, CallOptions::new().key("k")),
        task.call::<Check>(true),
    ];
    runtime.abort_controller().abort("k");
    sim.run_until_idle();
    let results: Vec<_> = calls.into_iter().map(settled).collect();
    assert!(results[0].is_ok() && results[1].is_err() && results[2].is_err());
    let version = task.telemetry_version();
    let failing = task.call::<Check>(false);
    sim.run_until_idle();
    assert!(settled(failing).is_err());
    assert!(task.telemetry_version() > version, "a new outcome moves the version");
    let unchanged = task.telemetry_version();
    let _ = task.snapshot();
    assert_eq!(task.telemetry_version(), unchanged);
    let telemetry = task.telemetry();
    assert_eq!(
        (
            telemetry.succeeded,
            telemetry.failed,
            telemetry.canceled,
            telemetry.rejected
        ),
        (1, 1, 1, 1)
    );
}

#[test]
fn run_time_and_queue_wait_follow_the_clock() {
    let sim = SimTransport::new(|| Registry::new().method::<Check>());
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w").max_queue_depth(10)).unwrap();
    let before = task.telemetry();
    assert_eq!((before.run_time.count, before.run_time.p50_ms), (0, None));
    // Three calls admitted at 0 ms; the worker answers only when the test runs it, at
    // 10, 30 and 60 ms: each run takes from its dispatch to that moment.
    let calls: Vec<_> = (0..3).map(|_| task.call::<Check>(true)).collect();
    for wait in [10, 20, 30] {
        sim.clock().advance(wait * MS);
        sim.step();
    }
    calls.into_iter().for_each(|c| assert!(settled(c).is_ok()));
    let telemetry = task.telemetry();
    let run = telemetry.run_time;
    assert_eq!(run.count, 3);
    assert_eq!((run.min_ms, run.max_ms), (Some(10.0), Some(30.0)));
    assert!((run.p50_ms.unwrap() - 20.0).abs() <= 0.2, "{run:?}");
    assert!((run.mean_ms.unwrap() - 20.0).abs() < 1e-9);
    let wait = telemetry.queue_wait;
    assert_eq!(wait.count, 3);
    assert_eq!((wait.min_ms, wait.max_ms), (Some(0.0), Some(30.0)));
    assert!(wait.p50_ms <= wait.p95_ms && wait.p95_ms <= wait.p99_ms);
}
