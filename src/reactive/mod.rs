//! The Leptos surface: the runtime in context and its state as signals.
//!
//! Hooks follow leptos-use's conventions: `use_x` returns signals; on the server
//! (the `ssr` feature) nothing is created and every hook returns its initial value,
//! so the server render and the first client render agree and hydration is clean.
//! Hooks that call tasks (`use_task_action`, `use_task_resource`) take a `Task` or
//! find one by id in the provided runtime ([`TaskTarget`]), take their call settings
//! as leptos-use style options (`use_x_with_options`), and abort the calls they no
//! longer want; the scheduling itself
//! stays in the runtime.

mod hook_call;
mod hook_scope;
mod provide_task_runtime;
mod task_target;
mod use_abort_state;
mod use_runtime_snapshot;
mod use_task_action;
mod use_task_resource;
mod use_task_telemetry;

pub use provide_task_runtime::{provide_task_runtime, provide_task_runtime_with, use_task_runtime};
pub use task_target::TaskTarget;
pub use use_abort_state::{UseAbortStateReturn, use_abort_state};
pub use use_runtime_snapshot::{use_runtime_snapshot, use_task_snapshot, use_worker_snapshot};
pub use use_task_action::{UseTaskActionOptions, UseTaskActionReturn, use_task_action, use_task_action_with_options};
pub use use_task_resource::{
    UseTaskResourceOptions, UseTaskResourceReturn, use_task_resource, use_task_resource_with_options,
};
pub use use_task_telemetry::use_task_telemetry;
