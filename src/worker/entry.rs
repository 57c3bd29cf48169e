//! Worker entries as types: what [`worker_entry!`](crate::worker_entry) declares.
//!
//! An entry is the exported function a worker's bootstrap calls; as a type it carries
//! its exported name (so a [`TaskConfig`](crate::TaskConfig) names it without a string
//! the compiler cannot check) and the registry it serves, and it marks each method it
//! serves with [`Serves`].

use super::Registry;
use crate::method::TaskMethod;

/// A worker entry declared with [`worker_entry!`](crate::worker_entry).
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
/// let task = TaskRuntime::new().define(TaskConfig::parallel(MathWorkers).pool_size(2)).unwrap();
/// assert_eq!(task.snapshot().pool_size, 2);
/// ```
pub trait WorkerEntry: Copy + Into<String> + 'static {
    /// The exported function's name: what the bootstrap calls.
    const NAME: &'static str;

    /// The methods this entry serves.
    fn registry() -> Registry;
}

/// Marks a method that a [`WorkerEntry`] serves (written by
/// [`worker_entry!`](crate::worker_entry) for each method it lists).
///
/// ```
/// use leptos_atelier::{HandlerError, Serves, TaskMethod, WorkerEntry, task_method, worker_entry};
///
/// #[task_method]
/// async fn double(n: u32) -> Result<u32, HandlerError> {
///     Ok(n * 2)
/// }
/// worker_entry!(MathWorkers = [double]);
///
/// fn served_by<E: WorkerEntry + Serves<M>, M: TaskMethod>() -> &'static str {
///     M::NAME
/// }
/// assert_eq!(served_by::<MathWorkers, double>(), "double");
/// ```
pub trait Serves<M: TaskMethod>: WorkerEntry {}
