//! Queue policies at the task level, on simulated workers (Atelier's dispatch-queue
//! cases 4–7, through the whole executor): who waits, who is refused, who is evicted.

mod common;
use common::{Echo, settled};
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{QueuePolicy, Registry, TaskConfig, TaskError, TaskRuntime};

/// A pool of one worker, one call in flight, one pending.
fn one_and_one(policy: QueuePolicy) -> (SimTransport, leptos_atelier::Task) {
    let sim = SimTransport::new(|| Registry::new().method::<Echo>());
    let runtime = TaskRuntime::simulated(&sim);
    let config = TaskConfig::parallel("w")
        .task_id("t")
        .pool_size(1)
        .max_queue_depth(1)
        .queue_policy(policy);
    (sim, runtime.define(config).unwrap())
}

fn queue_full(policy: QueuePolicy) -> Result<String, TaskError> {
    Err(TaskError::QueueFull {
        task_id: "t".into(),
        policy,
    })
}

#[test]
fn reject_and_drop_latest_refuse_the_newest_call() {
    for policy in [QueuePolicy::Reject, QueuePolicy::DropLatest] {
        let (sim, task) = one_and_one(policy);
        let calls: Vec<_> = ["in-flight", "pending", "overflow"]
            .map(|s| task.call::<Echo>(s.into()))
            .into_iter()
            .collect();
        let snapshot = task.snapshot();
        assert_eq!((snapshot.in_flight, snapshot.pending, snapshot.waiting), (1, 1, 0));
        assert_eq!(snapshot.queue_policy, policy);
        sim.run_until_idle();
        let results: Vec<_> = calls.into_iter().map(settled).collect();
        assert_eq!(
            results,
            [Ok("in-flight".into()), Ok("pending".into()), queue_full(policy)],
            "{policy}"
        );
        assert_eq!(task.snapshot().total_dispatched, 2, "the refused call never ran");
    }
}

#[test]
fn drop_oldest_evicts_the_oldest_pending_call_and_runs_the_newest() {
    let (sim, task) = one_and_one(QueuePolicy::DropOldest);
    let calls: Vec<_> = ["in-flight", "will-be-dropped", "new-item"]
        .map(|s| task.call::<Echo>(s.into()))
        .into_iter()
        .collect();
    sim.run_until_idle();
    let results: Vec<_> = calls.into_iter().map(settled).collect();
    assert_eq!(
        results,
        [
            Ok("in-flight".into()),
            queue_full(QueuePolicy::DropOldest),
            Ok("new-item".into())
        ]
    );
    assert_eq!(task.snapshot().total_dispatched, 2);
}

#[test]
fn block_makes_the_caller_wait_for_room() {
    let (sim, task) = one_and_one(QueuePolicy::Block);
    let calls: Vec<_> = ["in-flight", "pending", "waiting"]
        .map(|s| task.call::<Echo>(s.into()))
        .into_iter()
        .collect();
    let snapshot = task.snapshot();
    assert_eq!((snapshot.in_flight, snapshot.pending, snapshot.waiting), (1, 1, 1));
    sim.run_until_idle();
    let results: Vec<_> = calls.into_iter().map(settled).collect();
    assert_eq!(
        results,
        [Ok("in-flight".into()), Ok("pending".into()), Ok("waiting".into())]
    );
}

#[test]
fn under_a_burst_every_call_is_either_served_or_refused() {
    let (sim, task) = one_and_one(QueuePolicy::Reject);
    let calls: Vec<_> = (0..20).map(|i| task.call::<Echo>(i.to_string())).collect();
    sim.run_until_idle();
    let (served, refused): (Vec<_>, Vec<_>) = calls.into_iter().map(settled).partition(Result::is_ok);
    assert_eq!((served.len(), refused.len()), (2, 18));
    assert!(refused.iter().all(|r| *r == queue_full(QueuePolicy::Reject)));
}

#[test]
fn with_no_buffer_a_call_still_starts_on_an_idle_task() {
    let sim = SimTransport::new(|| Registry::new().method::<Echo>());
    let runtime = TaskRuntime::simulated(&sim);
    let config = TaskConfig::singleton("w")
        .task_id("t")
        .max_queue_depth(0)
        .queue_policy(QueuePolicy::Reject);
    let task = runtime.define(config).unwrap();
    let first = task.call::<Echo>("runs".into());
    let second = task.call::<Echo>("no room".into());
    sim.run_until_idle();
    assert_eq!(settled(first), Ok("runs".into()));
    assert_eq!(settled(second), queue_full(QueuePolicy::Reject));
}
