//! `provide_task_runtime` / `use_task_runtime`: one runtime per app, through context.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::runtime::TaskRuntime;

/// The context value. The runtime is single-threaded (`Rc` inside); Leptos wants
/// `Send + Sync` context, and the wrapper is only ever touched on the client's one thread.
#[derive(Clone)]
struct RuntimeContext(SendWrapper<TaskRuntime>);

/// Creates a [`TaskRuntime`] and provides it to this component and its children.
///
/// Call it once near the root of the app. It returns the runtime so the caller can
/// define tasks on it.
///
/// ## Usage
///
/// ```
/// use leptos::prelude::*;
/// use leptos_atelier::{provide_task_runtime, use_runtime_snapshot};
///
/// #[component]
/// fn App() -> impl IntoView {
///     provide_task_runtime();
///     let snapshot = use_runtime_snapshot();
///     view! { <p>{move || snapshot.get().tasks.len()} " tasks"</p> }
/// }
/// ```
///
/// ## Server-Side Rendering
///
/// With the `ssr` feature it creates and provides nothing and returns `None`:
/// hooks then return their initial values.
pub fn provide_task_runtime() -> Option<TaskRuntime> {
    provide_task_runtime_with(TaskRuntime::new)
}

/// Like [`provide_task_runtime`], with a runtime made by `make` (called on the client only).
pub fn provide_task_runtime_with(make: impl FnOnce() -> TaskRuntime) -> Option<TaskRuntime> {
    if cfg!(feature = "ssr") {
        return None;
    }
    let runtime = make();
    provide_context(RuntimeContext(SendWrapper::new(runtime.clone())));
    Some(runtime)
}

/// The runtime provided by an ancestor, or `None` (on the server, or if none was provided).
///
/// ## Server-Side Rendering
///
/// Always `None` with the `ssr` feature.
pub fn use_task_runtime() -> Option<TaskRuntime> {
    use_context::<RuntimeContext>().map(|context| (*context.0).clone())
}
