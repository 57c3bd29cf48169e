//! The Leptos hooks on Leptos's real reactive graph, fed by simulated workers: the
//! signals follow every queue transition without polling.

mod common;
use common::settled;
use leptos::prelude::*;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{
    HandlerError, Registry, RuntimeSnapshot, TaskConfig, TaskContext, TaskMethod, TaskRuntime,
    provide_task_runtime_with, use_runtime_snapshot, use_task_runtime, use_task_snapshot,
};

struct Square;
impl TaskMethod for Square {
    const NAME: &'static str = "square";
    type Input = u64;
    type Output = u64;
    async fn run(n: u64, _: TaskContext) -> Result<u64, HandlerError> {
        Ok(n * n)
    }
}

fn phases(snapshot: &RuntimeSnapshot, task_id: &str) -> (usize, usize, usize) {
    snapshot
        .task(task_id)
        .map_or((0, 0, 0), |t| (t.waiting, t.pending, t.in_flight))
}

#[test]
fn the_snapshot_signal_follows_each_transition() {
    let owner = Owner::new();
    owner.with(|| {
        let sim = SimTransport::new(|| Registry::new().method::<Square>());
        let runtime = provide_task_runtime_with(|| TaskRuntime::simulated(&sim)).expect("client side");
        assert!(use_task_runtime().is_some(), "provided through context");
        let snapshot = use_runtime_snapshot();
        let squares = use_task_snapshot("squares");
        assert_eq!(snapshot.get_untracked(), RuntimeSnapshot::default());

        let task = runtime
            .define(TaskConfig::singleton("w").task_id("squares").max_queue_depth(1))
            .unwrap();
        assert_eq!(snapshot.get_untracked().tasks.len(), 1);

        let first = task.call::<Square>(3);
        assert_eq!(phases(&snapshot.get_untracked(), "squares"), (0, 0, 1));
        let second = task.call::<Square>(4);
        assert_eq!(phases(&snapshot.get_untracked(), "squares"), (0, 1, 1));
        let third = task.call::<Square>(5);
        assert_eq!(phases(&snapshot.get_untracked(), "squares"), (1, 1, 1));
        assert_eq!(squares.get_untracked().map(|t| t.waiting), Some(1));

        sim.run_until_idle();
        assert_eq!(phases(&snapshot.get_untracked(), "squares"), (0, 0, 0));
        assert_eq!(squares.get_untracked().map(|t| t.total_dispatched), Some(3));
        let results: Vec<_> = [first, second, third]
            .into_iter()
            .map(|c| settled(c).unwrap())
            .collect();
        assert_eq!(results, [9, 16, 25]);

        task.dispose();
        assert!(snapshot.get_untracked().tasks.is_empty());
        assert_eq!(squares.get_untracked(), None);
    });
}

#[test]
fn without_a_runtime_the_hooks_return_their_initial_values() {
    let owner = Owner::new();
    owner.with(|| {
        assert!(use_task_runtime().is_none());
        assert_eq!(use_runtime_snapshot().get_untracked(), RuntimeSnapshot::default());
        assert_eq!(use_task_snapshot("anything").get_untracked(), None);
    });
}
