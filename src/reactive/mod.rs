//! The Leptos surface: the runtime in context and its state as signals.
//!
//! Hooks follow leptos-use's conventions: `use_x` returns signals; on the server
//! (the `ssr` feature) nothing is created and every hook returns its initial value,
//! so the server render and the first client render agree and hydration is clean.
//! This layer only reads the runtime and subscribes to it; it never schedules calls.

mod provide_task_runtime;
mod use_runtime_snapshot;

pub use provide_task_runtime::{provide_task_runtime, provide_task_runtime_with, use_task_runtime};
pub use use_runtime_snapshot::{use_runtime_snapshot, use_task_snapshot};
