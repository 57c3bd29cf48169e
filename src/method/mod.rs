//! The typed contract between a caller and a worker: one type per method.
//!
//! This module owns the [`TaskMethod`] trait and the [`TaskContext`] a handler runs
//! with: what both sides agree a method is. How a call travels (codec, protocol,
//! transport) and how it is scheduled or served (executor, worker) live elsewhere.

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

mod context;

pub(crate) use context::Post;
pub use context::TaskContext;

use crate::error::HandlerError;

/// A method a task's workers serve, checked at compile time on both sides.
///
/// The caller names the type (`task.call::<Resize>(image)`); the worker registers the
/// same type (`Registry::new().method::<Resize>()`). Input and output cross the
/// worker boundary with a compact binary serde codec, so they only need `Serialize`
/// and `DeserializeOwned`.
///
/// `run` executes inside a Web Worker, on a fresh wasm instance of the same bundle:
/// it must not touch the DOM or state of the main thread.
///
/// ```
/// use leptos_atelier::{HandlerError, TaskContext, TaskMethod};
///
/// /// Counts the primes below a bound.
/// pub struct CountPrimes;
///
/// impl TaskMethod for CountPrimes {
///     const NAME: &'static str = "count_primes";
///     type Input = u32;
///     type Output = u32;
///
///     async fn run(below: u32, _cx: TaskContext) -> Result<u32, HandlerError> {
///         if below > 10_000_000 {
///             return Err(HandlerError::new("bound too large"));
///         }
///         Ok((2..below).filter(|n| (2..*n).take_while(|d| d * d <= *n).all(|d| !n.is_multiple_of(d))).count() as u32)
///     }
/// }
/// ```
pub trait TaskMethod: 'static {
    /// The name this method travels under; unique within a worker's registry.
    const NAME: &'static str;
    /// What the caller sends.
    type Input: Serialize + DeserializeOwned + 'static;
    /// What the worker sends back.
    type Output: Serialize + DeserializeOwned + 'static;

    /// Runs the method in the worker.
    fn run(input: Self::Input, cx: TaskContext) -> impl Future<Output = Result<Self::Output, HandlerError>> + 'static;
}

/// What a task method's input and output must be: serializable both ways and owned.
/// `#[task_method]` checks its types against it, so a type that is not says so on the
/// user's own span.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot travel to or from a worker: a task method's input and output must implement serde's `Serialize` and `Deserialize`",
    label = "not serializable",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}`, or use a type that has them"
)]
pub trait Payload: Serialize + DeserializeOwned + 'static {}

impl<T: Serialize + DeserializeOwned + 'static> Payload for T {}
