//! The pipeline's three tasks: `resize` (a pool), `analyze` and `enhance`
//! (singletons), defined on the client with the page's settings.

use leptos_atelier::{InitMode, Task, TaskConfig, TaskRuntime, use_task_runtime};

use super::settings::Settings;
use crate::PlaygroundWorkers;

pub const RESIZE: &str = "resize";
pub const ANALYZE: &str = "analyze";
pub const ENHANCE: &str = "enhance";

/// The three tasks, defined once on the client.
#[derive(Clone)]
pub struct Stages {
    pub resize: Task,
    pub analyze: Task,
    pub enhance: Task,
}

/// Defines the three tasks (after disposing any left from before): `resize` a pool of
/// four, started lazily; `analyze` a singleton started eagerly, with the page's queue
/// and crash settings; `enhance` a lazy singleton that stops after 10 s idle.
pub fn define_stages(settings: Settings) -> Option<Stages> {
    let runtime = use_task_runtime()?;
    for id in [RESIZE, ANALYZE, ENHANCE] {
        if let Some(task) = runtime.task(id) {
            task.dispose();
        }
    }
    let define = |config: TaskConfig| define_stage(&runtime, config);
    Some(Stages {
        resize: define(
            TaskConfig::parallel(PlaygroundWorkers)
                .task_id(RESIZE)
                .name("Resize")
                .pool_size(4)
                .max_queue_depth(8),
        )?,
        analyze: define(analyze_config(settings))?,
        enhance: define(
            TaskConfig::singleton(PlaygroundWorkers)
                .task_id(ENHANCE)
                .name("Enhance")
                .max_queue_depth(8)
                .idle_timeout(std::time::Duration::from_secs(10)),
        )?,
    })
}

/// Defines one stage, its workers started from the bootstrap script the server serves.
pub fn define_stage(runtime: &TaskRuntime, config: TaskConfig) -> Option<Task> {
    runtime.define(config.bootstrap_url(crate::BOOTSTRAP_PATH)).ok()
}

/// The analyze stage's settings: its queue and crash policies come from the page; with
/// the depth switch off it keeps a depth of 2, as in Atelier's demo.
pub fn analyze_config(settings: Settings) -> TaskConfig {
    TaskConfig::singleton(PlaygroundWorkers)
        .task_id(ANALYZE)
        .name("Analyze")
        .init(InitMode::Eager)
        .max_queue_depth(if settings.depth_on { settings.depth } else { 2 })
        .queue_policy(settings.policy)
        .crash_policy(settings.crash_policy)
        .crash_max_retries(2)
}
