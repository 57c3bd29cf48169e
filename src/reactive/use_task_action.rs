//! `use_task_action`: a Leptos action that calls a task, with abort and progress.

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

/// Options of [`use_task_action_with_options`].
///
/// ```
/// use leptos_atelier::UseTaskActionOptions;
///
/// let options = UseTaskActionOptions::default().key("upload").on_progress(|f| println!("{:.0} %", f * 100.0));
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct UseTaskActionOptions {
    call: HookCall,
}

hook_call_setters!(UseTaskActionOptions);

/// What [`use_task_action`] returns.
pub struct UseTaskActionReturn<M: TaskMethod, AbortFn>
where
    AbortFn: Fn() + Clone + Send + Sync,
{
    /// The action: `dispatch(input)` calls method `M`; `value()` holds the last
    /// result, `pending()` whether a call runs.
    pub action: Action<M::Input, Result<M::Output, TaskError>>,
    /// The latest progress a running call reported (`None` when none runs).
    pub progress: Signal<Option<f64>>,
    /// Aborts every call this action has running (their results are
    /// [`TaskError::Aborted`], and their handlers see the cancel).
    pub abort: AbortFn,
}

/// An [`Action`] (local: inputs and outputs need not be `Send`) that calls method `M`
/// on `task` (a [`Task`](crate::Task), or a task id looked up in the provided runtime
/// at each dispatch). Calls still running when the component
/// is cleaned up are aborted, so no result arrives unseen.
///
/// An aborted call answers [`TaskError::Aborted`] at once; its handler hears the
/// cancel through its [`TaskContext`](crate::TaskContext) and should stop. One that
/// ignores it keeps its worker busy for at most the task's
/// [`cancel_grace`](crate::TaskConfig::cancel_grace) (5 s by default), after which the
/// worker is replaced.
///
/// ## Usage
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::{use_task_action, HandlerError, TaskContext, TaskMethod, UseTaskActionReturn};
///
/// pub struct Compress;
/// impl TaskMethod for Compress {
///     const NAME: &'static str = "compress";
///     type Input = Vec<u8>;
///     type Output = Vec<u8>;
///     async fn run(bytes: Vec<u8>, _: TaskContext) -> Result<Vec<u8>, HandlerError> { Ok(bytes) }
/// }
///
/// #[component]
/// fn CompressButton() -> impl IntoView {
///     let UseTaskActionReturn { action, progress, abort } = use_task_action::<Compress>("codec");
///     view! {
///         <button on:click=move |_| { action.dispatch_local(vec![1, 2, 3]); }>"Compress"</button>
///         <button on:click=move |_| abort() disabled=move || !action.pending().get()>"Cancel"</button>
///         <progress value=move || progress.get().unwrap_or(0.0)></progress>
///     }
/// }
/// ```
///
/// ## Server-Side Rendering
///
/// On the server there is no runtime: the action exists (so views can read it) but a
/// dispatch answers [`TaskError::NoSuchTask`]; `progress` stays `None`.
pub fn use_task_action<M>(task: impl Into<TaskTarget>) -> UseTaskActionReturn<M, impl Fn() + Clone + Send + Sync>
where
    M: TaskMethod,
    M::Input: Clone,
{
    use_task_action_with_options(task, UseTaskActionOptions::default())
}

/// [`use_task_action`] with options: a key, a deadline, a signal and a trace for every
/// call it dispatches, and a progress callback.
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::{
///     HandlerError, UseTaskActionOptions, UseTaskActionReturn, task_method, use_task_action_with_options,
/// };
///
/// #[task_method]
/// async fn compress(bytes: Vec<u8>) -> Result<Vec<u8>, HandlerError> {
///     Ok(bytes)
/// }
///
/// #[component]
/// fn Upload() -> impl IntoView {
///     let options = UseTaskActionOptions::default().timeout(std::time::Duration::from_secs(30));
///     let UseTaskActionReturn { action, .. } = use_task_action_with_options::<compress>("codec", options);
///     view! { <button on:click=move |_| { action.dispatch_local(vec![1, 2, 3]); }>"Compress"</button> }
/// }
/// ```
pub fn use_task_action_with_options<M>(
    task: impl Into<TaskTarget>,
    options: UseTaskActionOptions,
) -> UseTaskActionReturn<M, impl Fn() + Clone + Send + Sync>
where
    M: TaskMethod,
    M::Input: Clone,
{
    let target: TaskTarget = task.into();
    let UseTaskActionOptions { call } = options;
    let runtime = use_task_runtime().map(SendWrapper::new);
    let (progress, set_progress) = signal(None::<f64>);
    // The controller of the calls dispatched since the last abort.
    let current = Rc::new(RefCell::new(AbortController::new()));
    let running = Rc::new(std::cell::Cell::new(0usize));
    let controller = current.clone();
    let action = Action::new_local(move |input: &M::Input| {
        let task = target.resolve(runtime.as_deref());
        // This call's own controller, which follows the action's (aborted by `abort`).
        let own = AbortController::new();
        let action_signal = controller.borrow().signal();
        let (options, links) = call.options(runtime.as_deref(), &own, Some(action_signal), set_progress);
        let running = running.clone();
        let input = input.clone();
        async move {
            let task = task?;
            running.set(running.get() + 1);
            set_progress.set(Some(0.0));
            let result = task.call_with::<M>(input, options).await;
            drop(links);
            running.set(running.get() - 1);
            if running.get() == 0 {
                set_progress.set(None);
            }
            result
        }
    });
    let abort_all = SendWrapper::new(move || current.replace(AbortController::new()).abort());
    let on_drop = abort_all.clone();
    // The closure carries the `SendWrapper` (Send + Sync) that `on_cleanup` needs.
    #[allow(clippy::redundant_closure)]
    on_cleanup(move || on_drop());
    UseTaskActionReturn {
        action,
        progress: progress.into(),
        abort: move || abort_all(),
    }
}
