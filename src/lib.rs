//! # leptos_atelier
//!
//! A task runtime for Web Workers in Leptos apps, ported from the TypeScript library
//! Atelier. CPU-heavy work runs on workers that execute the app's **own** wasm bundle;
//! each task has a bounded queue in front of its workers; and everything the runtime
//! knows is readable as Leptos signals that update on every queue transition.
//!
//! - A method is an `async fn` under [`macro@task_method`], or a type implementing
//!   [`TaskMethod`] by hand: input, output and name are checked at
//!   compile time on both sides of the worker boundary.
//! - The worker side is one exported function of the app that calls [`serve`] with a
//!   [`Registry`] (one line with [`worker_entry!`]); the main side defines a [`Task`] on a [`TaskRuntime`] and calls it.
//! - Workers are module workers made from a `blob:` script that imports the app's
//!   glue by the URL it reports itself, and receive the already compiled
//!   `WebAssembly.Module`, so a new worker neither downloads nor compiles the wasm.
//! - Payloads are encoded in a compact binary format whose slices of numbers (`Vec<u8>`,
//!   `Vec<f32>`, ...) are one block copy; a frame of up to 1 KiB travels as a short
//!   string (the fastest thing Chromium posts after a number), a larger one as a
//!   `Uint8Array` whose buffer is transferred, and JS objects in a [`Transfer`] move
//!   beside it.
//!
//! ## Example
//!
//! ```no_run
//! use leptos_atelier::{HandlerError, TaskConfig, TaskRuntime, task_method, worker_entry};
//!
//! /// Runs in a worker.
//! #[task_method]
//! async fn count_primes(below: u32) -> Result<u32, HandlerError> {
//!     Ok((2..below).filter(|n| (2..*n).take_while(|d| d * d <= *n).all(|d| !n.is_multiple_of(d))).count() as u32)
//! }
//!
//! // The entry each worker calls (exported as `app_workers`): the methods it serves.
//! worker_entry!(pub AppWorkers = [count_primes]);
//!
//! // Runs on the main thread.
//! async fn count() -> Result<u32, Box<dyn std::error::Error>> {
//!     let runtime = TaskRuntime::new();
//!     let primes = runtime.define(TaskConfig::parallel(AppWorkers).pool_size(2))?;
//!     Ok(primes.call::<count_primes>(100_000).await?)
//! }
//! ```
//!
//! ## Layers
//!
//! From the top: [`reactive`](crate::use_runtime_snapshot) hooks; the runtime and task
//! handles; the executor (pool); the queue; the transports (`web`, `sim`); the
//! platform facts; the worker side; the codec. Arrows point down only.

// The crate's own unit tests of browser code run in headless Chromium.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The README's quick start, compiled as a doctest so it cannot drift.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

mod abort;
mod codec;
mod config;
#[cfg(feature = "devtools")]
mod devtools;
mod error;
mod executor;
mod listeners;
mod method;
mod observe;
mod parallel_limit;
mod platform;
mod protocol;
mod queue;
mod reactive;
mod runtime;
mod spares;
mod task;
mod transfer;
mod transport;
mod worker;

pub use abort::{AbortController, AbortSignal, AbortTaskController, Aborted};
pub use config::{
    ConfigError, CrashPolicy, DEFAULT_CANCEL_GRACE, DEFAULT_START_TIMEOUT, InitMode, QueuePolicy, TaskConfig, TaskKind,
};
#[cfg(feature = "devtools")]
pub use devtools::{DEVTOOLS_CSS, RuntimeDevtools};
pub use error::{HandlerError, PayloadSide, TaskError};
/// Run on the simulated transport, as a test of a method would:
///
/// ```
/// use futures_util::FutureExt;
/// use leptos_atelier::testing::SimTransport;
/// use leptos_atelier::{HandlerError, TaskConfig, TaskContext, TaskRuntime, WorkerEntry, task_method, worker_entry};
///
/// /// Doubles its input; the context argument is optional.
/// #[task_method]
/// async fn double(n: u32, cx: TaskContext) -> Result<u32, HandlerError> {
///     cx.progress(1.0);
///     Ok(n * 2)
/// }
///
/// worker_entry!(pub MathWorkers = [double]);
///
/// let sim = SimTransport::new(MathWorkers::registry);
/// let runtime = TaskRuntime::simulated(&sim);
/// let task = runtime.define(TaskConfig::singleton(MathWorkers)).unwrap();
/// let call = task.call::<double>(21);
/// sim.run_until_idle();
/// assert_eq!(call.now_or_never().unwrap(), Ok(42));
/// ```
pub use leptos_atelier_macros::task_method;
/// Declares the entry `math_workers` and its typed handle `MathWorkers`:
///
/// ```
/// use leptos_atelier::{HandlerError, TaskConfig, TaskRuntime, WorkerEntry, task_method, worker_entry};
///
/// #[task_method]
/// async fn double(n: u32) -> Result<u32, HandlerError> {
///     Ok(n * 2)
/// }
///
/// worker_entry!(pub MathWorkers = [double]);
///
/// assert_eq!(MathWorkers::NAME, "math_workers");
/// let runtime = TaskRuntime::new();
/// let task = runtime.define(TaskConfig::parallel(MathWorkers).task_id("math")).unwrap();
/// assert_eq!(task.id(), "math");
/// ```
pub use leptos_atelier_macros::worker_entry;
pub use listeners::Subscription;
pub use method::{TaskContext, TaskMethod};
pub use observe::{
    CrashRecord, LatencySummary, MetricEvent, MetricKind, QueueAttrs, RuntimeEvent, RuntimeSnapshot, SnapshotOptions,
    SpanErrorKind, SpanEvent, SpanMode, SpanStatus, TaskSnapshot, TaskStatus, TelemetrySummary, Trace, TraceEnd,
    TraceError, TraceEvent, WorkerSnapshot, WorkerState,
};
pub use parallel_limit::{
    ErrorPolicy, IsAbort, ParallelLimit, ParallelLimitError, ParallelLimitOptions, ParallelLimitSettled, Settled,
    parallel_limit, parallel_limit_settled,
};
pub use platform::{hardware_concurrency, is_worker_scope};
pub use queue::CallPhase;
pub use reactive::{
    TaskTarget, UseAbortStateReturn, UseTaskActionOptions, UseTaskActionReturn, UseTaskResourceOptions,
    UseTaskResourceReturn, provide_task_runtime, provide_task_runtime_with, use_abort_state, use_runtime_snapshot,
    use_task_action, use_task_action_with_options, use_task_resource, use_task_resource_with_options, use_task_runtime,
    use_task_snapshot, use_task_telemetry, use_worker_snapshot,
};
pub use runtime::{RuntimeOptions, TaskRuntime};
pub use task::{CallOptions, Task, TaskCall};
pub use transfer::Transfer;
pub use transport::WORKER_BOOTSTRAP;
#[cfg(target_arch = "wasm32")]
pub use transport::bootstrap::glue_url;
pub use worker::{Registry, Serves, WorkerEntry, serve};

#[cfg(any(test, feature = "testing"))]
pub mod testing;

/// What the macros' expansions name; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::method::Payload;
    pub use wasm_bindgen;
}
