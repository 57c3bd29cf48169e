//! The macros of [leptos_atelier](https://docs.rs/leptos_atelier), re-exported there:
//! use them as `leptos_atelier::task_method` and `leptos_atelier::worker_entry!`.
//!
//! - [`macro@task_method`] on an `async fn` generates the method type a caller names in
//!   `task.call::<name>(input)`, with its `TaskMethod` impl.
//! - [`worker_entry!`] declares a worker entry from a list of methods: the exported
//!   function a worker's bootstrap calls, and a typed handle `TaskConfig` names it by.
//!
//! This crate only writes code: what the generated code means is documented on
//! `leptos_atelier::TaskMethod` and `leptos_atelier::WorkerEntry`. Mistakes are
//! compile errors on the user's own span that say what to write instead.

mod entry;
mod method;

use proc_macro::TokenStream;

/// Makes a worker method of an `async fn`.
///
/// ```text
/// use leptos_atelier::{HandlerError, task_method};
///
/// #[task_method]
/// async fn count_primes(limit: u32) -> Result<u32, HandlerError> {
///     Ok((2..limit).filter(|n| (2..*n).all(|d| n % d != 0)).count() as u32)
/// }
/// // A caller: `task.call::<count_primes>(10_000)`.
/// ```
///
/// The function stays as written; beside it the macro defines a type of the same name
/// (in the type namespace only) that implements `TaskMethod` (examples that run are
/// on `leptos_atelier::task_method`): its `NAME` is the
/// function's name (or `#[task_method(name = "...")]`), its `Input` the first
/// argument's type and its `Output` the `Ok` type. The context argument is optional.
#[proc_macro_attribute]
pub fn task_method(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match method::expand(args.into(), item.clone()) {
        Ok(expanded) => expanded.into(),
        // The function as written stays, so the only error is ours.
        Err(error) => {
            let mut out = error.into_compile_error();
            out.extend(item);
            out.into()
        }
    }
}

/// Declares a worker entry serving a list of methods.
///
/// ```text
/// leptos_atelier::worker_entry!(pub AppWorkers = [count_primes, hash_file]);
///
/// let task = runtime.define(TaskConfig::parallel(AppWorkers))?;
/// ```
///
/// Generates the unit struct `AppWorkers` (the typed handle: it implements
/// `WorkerEntry`, `Serves<M>` for each listed method, and converts into the entry's
/// name), and the `#[wasm_bindgen]` function `app_workers` (the struct's name in
/// snake case) that a worker's bootstrap calls to serve those methods.
#[proc_macro]
pub fn worker_entry(input: TokenStream) -> TokenStream {
    entry::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
