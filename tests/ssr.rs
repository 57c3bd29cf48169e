//! With the `ssr` feature (the server half of an SSR app) there is no runtime: every
//! hook returns its initial value and does nothing, so the server render and the first
//! client render agree. Run with `cargo test --features ssr --test ssr`.

#![cfg(feature = "ssr")]

use leptos::prelude::*;
use leptos_atelier::{
    HandlerError, RuntimeSnapshot, TaskContext, TaskMethod, TelemetrySummary, UseAbortStateReturn, UseTaskActionReturn,
    UseTaskResourceReturn, provide_task_runtime, use_abort_state, use_runtime_snapshot, use_task_action,
    use_task_resource, use_task_runtime, use_task_snapshot, use_task_telemetry, use_worker_snapshot,
};

struct Double;
impl TaskMethod for Double {
    const NAME: &'static str = "double";
    type Input = u32;
    type Output = u32;
    async fn run(n: u32, _: TaskContext) -> Result<u32, HandlerError> {
        Ok(n * 2)
    }
}

#[test]
fn every_hook_is_inert_on_the_server() {
    // A server has an executor (leptos_axum runs on tokio); resources spawn onto it.
    let _ = any_spawner::Executor::init_futures_executor();
    let owner = Owner::new();
    owner.with(|| {
        assert!(provide_task_runtime().is_none(), "no runtime on the server");
        assert!(use_task_runtime().is_none());
        assert_eq!(use_runtime_snapshot().get_untracked(), RuntimeSnapshot::default());
        assert_eq!(use_task_snapshot("t").get_untracked(), None);
        assert_eq!(use_worker_snapshot("t", 0).get_untracked(), None);
        assert_eq!(use_task_telemetry("t").get_untracked(), TelemetrySummary::default());
        let UseAbortStateReturn {
            is_aborted,
            abort,
            clear,
        } = use_abort_state("k");
        abort();
        clear();
        assert!(!is_aborted.get_untracked());
        let UseTaskActionReturn {
            action,
            progress,
            abort,
        } = use_task_action::<Double>("t");
        abort();
        assert_eq!(action.value().get_untracked(), None);
        assert_eq!(progress.get_untracked(), None);
        let UseTaskResourceReturn { resource, progress } = use_task_resource::<Double>("t", || 1);
        assert_eq!(
            resource.get_untracked(),
            None,
            "a local resource stays pending on the server"
        );
        assert_eq!(progress.get_untracked(), None);
    });
}
