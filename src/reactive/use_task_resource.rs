//! `use_task_resource`: a local resource whose fetcher is a task call, aborted when
//! it goes stale.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::hook_call::{HookCall, hook_call_setters};
use super::task_target::TaskTarget;
use crate::abort::AbortController;
use crate::error::TaskError;
use crate::method::TaskMethod;
use crate::reactive::use_task_runtime;

/// Options of [`use_task_resource_with_options`].
///
/// ```
/// use std::time::Duration;
/// use leptos_atelier::UseTaskResourceOptions;
///
/// let options = UseTaskResourceOptions::default()
///     .key("search")
///     .timeout(Duration::from_secs(5))
///     .abort_stale(false);
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct UseTaskResourceOptions {
    call: HookCall,
    abort_stale: bool,
}

impl Default for UseTaskResourceOptions {
    fn default() -> Self {
        Self {
            call: HookCall::default(),
            abort_stale: true,
        }
    }
}

hook_call_setters!(UseTaskResourceOptions);

impl UseTaskResourceOptions {
    /// Whether a change of the source aborts the call it makes stale (default `true`).
    /// With `false` the stale call runs to its end (its result is dropped) and the
    /// resource then calls with the latest input.
    pub fn abort_stale(mut self, abort: bool) -> Self {
        self.abort_stale = abort;
        self
    }
}

/// What [`use_task_resource`] returns.
pub struct UseTaskResourceReturn<M: TaskMethod> {
    /// The result of the call for the source's current value.
    pub resource: LocalResource<Result<M::Output, TaskError>>,
    /// The latest progress the current call reported (`None` when none runs).
    pub progress: Signal<Option<f64>>,
}

/// A [`LocalResource`] that calls method `M` on `task` (a [`Task`](crate::Task), or a
/// task id looked up at each call) with the value of
/// `source`, and calls again whenever `source` changes. The call a change makes stale
/// is aborted at once, not left to finish unseen (its worker sees the cancel), and
/// the current call is aborted when the owner is cleaned up. An aborted stale call
/// never becomes the resource's value: the resource goes on to the latest input.
/// Works inside `<Suspense/>` and `<Transition/>`.
///
/// The handler of a stale call should stop when it hears the cancel (awaiting, or
/// calling [`TaskContext::checkpoint`](crate::TaskContext::checkpoint) between chunks
/// of work): until it does, its worker is busy, and on a task with one worker the next
/// call waits. A handler that ignores the cancel keeps its worker for at most the
/// task's [`cancel_grace`](crate::TaskConfig::cancel_grace) (5 s by default); then the
/// worker is replaced and the next call runs on a fresh one.
///
/// ## Usage
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::{use_task_resource, HandlerError, TaskContext, TaskMethod, UseTaskResourceReturn};
///
/// pub struct CountPrimes;
/// impl TaskMethod for CountPrimes {
///     const NAME: &'static str = "count_primes";
///     type Input = u32;
///     type Output = u32;
///     async fn run(below: u32, _: TaskContext) -> Result<u32, HandlerError> { Ok(below / 10) }
/// }
///
/// #[component]
/// fn Primes() -> impl IntoView {
///     let below = RwSignal::new(100_000u32);
///     let UseTaskResourceReturn { resource, .. } =
///         use_task_resource::<CountPrimes>("primes", move || below.get());
///     view! {
///         <Suspense fallback=|| "counting…">
///             {move || resource.get().map(|count| format!("{count:?}"))}
///         </Suspense>
///     }
/// }
/// ```
///
/// ## Server-Side Rendering
///
/// A `LocalResource` does not run on the server: the `<Suspense/>` fallback renders
/// there, and the call is made after hydration.
pub fn use_task_resource<M>(
    task: impl Into<TaskTarget>,
    source: impl Fn() -> M::Input + 'static,
) -> UseTaskResourceReturn<M>
where
    M: TaskMethod,
    M::Output: Clone,
{
    use_task_resource_with_options(task, source, UseTaskResourceOptions::default())
}

/// [`use_task_resource`] with options: a key, a deadline, a signal and a trace for
/// every call, a progress callback, and whether a change of the source aborts the
/// stale call.
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::{
///     HandlerError, UseTaskResourceOptions, UseTaskResourceReturn, task_method, use_task_resource_with_options,
/// };
///
/// #[task_method]
/// async fn search(query: String) -> Result<Vec<String>, HandlerError> {
///     Ok(vec![query])
/// }
///
/// #[component]
/// fn Results(query: Signal<String>) -> impl IntoView {
///     // `abort("search")` on the runtime's abort controller stops the running search.
///     let options = UseTaskResourceOptions::default().key("search");
///     let UseTaskResourceReturn { resource, .. } =
///         use_task_resource_with_options::<search>("index", move || query.get(), options);
///     view! { <Suspense>{move || resource.get().map(|found| format!("{found:?}"))}</Suspense> }
/// }
/// ```
pub fn use_task_resource_with_options<M>(
    task: impl Into<TaskTarget>,
    source: impl Fn() -> M::Input + 'static,
    options: UseTaskResourceOptions,
) -> UseTaskResourceReturn<M>
where
    M: TaskMethod,
    M::Output: Clone,
{
    let target: TaskTarget = task.into();
    let UseTaskResourceOptions { call, abort_stale } = options;
    let runtime = use_task_runtime().map(SendWrapper::new);
    let (progress, set_progress) = signal(None::<f64>);
    let source = Rc::new(source);
    let state = Rc::new(Fetches::default());

    // A resource fetches one input at a time: a change of `source` during a call is
    // acted on only when that call ends. So a change also aborts the running call
    // here; the fetch then moves on to the latest input instead of answering.
    let watched = source.clone();
    let on_change = state.clone();
    let client = runtime.is_some();
    Effect::new(move |seen: Option<()>| {
        if !client {
            return;
        }
        let _ = watched();
        if seen.is_some() {
            on_change.changes.set(on_change.changes.get() + 1);
            if abort_stale && let Some(controller) = on_change.current.borrow().as_ref() {
                controller.abort();
            }
        }
    });

    let fetches = state.clone();
    let resource = LocalResource::new(move || {
        let mut input = source();
        let source = source.clone();
        let fetches = fetches.clone();
        let task = target.resolve(runtime.as_deref());
        let runtime = runtime.clone();
        let call = call.clone();
        async move {
            let task = task?;
            // The previous fetch already ended on the latest input: same answer.
            if let Some((changes, result)) = fetches.answered.borrow().as_ref()
                && *changes == fetches.changes.get()
            {
                return result.clone();
            }
            loop {
                let changes = fetches.changes.get();
                let controller = AbortController::new();
                fetches.current.replace(Some(controller.clone()));
                set_progress.set(Some(0.0));
                let (options, links) = call.options(runtime.as_deref(), &controller, None, set_progress);
                let result = task.call_with::<M>(input, options).await;
                drop(links);
                let stale = fetches.changes.get() != changes && (controller.signal().is_aborted() || !abort_stale);
                if stale {
                    input = source();
                    continue;
                }
                fetches.current.replace(None);
                set_progress.set(None);
                fetches.answered.replace(Some((changes, result.clone())));
                return result;
            }
        }
    });
    let on_drop = SendWrapper::new(state);
    on_cleanup(move || {
        if let Some(controller) = on_drop.current.borrow_mut().take() {
            controller.abort();
        }
    });
    UseTaskResourceReturn {
        resource,
        progress: progress.into(),
    }
}

/// What the fetches of one resource share.
struct Fetches<O> {
    /// How many times the source changed.
    changes: std::cell::Cell<u64>,
    /// The running call's controller.
    current: RefCell<Option<AbortController>>,
    /// The last answer, and the change count it answers.
    answered: RefCell<Option<(u64, Result<O, TaskError>)>>,
}

impl<O> Default for Fetches<O> {
    fn default() -> Self {
        Self {
            changes: std::cell::Cell::new(0),
            current: RefCell::new(None),
            answered: RefCell::new(None),
        }
    }
}
