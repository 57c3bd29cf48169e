//! The worker side: what runs inside a Web Worker.
//!
//! A worker is a fresh instance of the app's own wasm bundle. The bootstrap script
//! calls the exported entry function named in the task's config; that function
//! builds a [`Registry`] of [`TaskMethod`](crate::TaskMethod)s and hands it to
//! [`serve()`], which answers the runtime's frames on the worker's own message channel.
//!
//! This module owns the registry, the per-call session and the serving loop (the
//! [`TaskContext`](crate::TaskContext) handlers get lives with the method trait).
//! It must not depend on the main-thread scheduler (queue, executor, runtime).

mod entry;
mod registry;
mod serve;
pub(crate) mod session;

pub use entry::{Serves, WorkerEntry};
pub use registry::Registry;
pub use serve::serve;
