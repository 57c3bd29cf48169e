//! The aborted keys in the devtools panel: each with a Clear button, and a field to
//! abort a key. Follows the runtime's abort controller while the panel is open.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::reactive::use_task_runtime;

/// The aborted keys, and a field to abort one.
#[component]
pub(super) fn AbortKeys() -> impl IntoView {
    let controller = use_task_runtime().map(|runtime| runtime.abort_controller());
    let keys = RwSignal::new(controller.as_ref().map(|c| c.aborted_keys()).unwrap_or_default());
    if let Some(controller) = &controller {
        let source = controller.clone();
        let subscription = controller.subscribe(move || keys.set(source.aborted_keys()));
        let subscription = SendWrapper::new(subscription);
        on_cleanup(move || drop(subscription));
    }
    let controller = StoredValue::new_local(controller);
    let typed = RwSignal::new(String::new());
    let abort = move || {
        let key = typed.get_untracked();
        if key.trim().is_empty() {
            return;
        }
        controller.with_value(|c| {
            if let Some(c) = c {
                c.abort(key.trim());
            }
        });
        typed.set(String::new());
    };
    view! {
        <section class="atelier-devtools-keys" aria-labelledby="atelier-devtools-keys-title">
            <h3 id="atelier-devtools-keys-title">"Aborted keys"</h3>
            <Show
                when=move || keys.with(|k| !k.is_empty())
                fallback=|| {
                    view! {
                        <p class="atelier-devtools-empty">
                            "No key is aborted: a key aborted here or by the app is listed until it is cleared."
                        </p>
                    }
                }
            >
                <ul>
                    <For each=move || keys.get() key=|key| key.clone() let:key>
                        <li data-key=key.clone()>
                            <code>{key.clone()}</code>
                            <button
                                type="button"
                                aria-label=format!("Clear key {key}")
                                on:click={
                                    let key = key.clone();
                                    move |_| controller.with_value(|c| if let Some(c) = c { c.clear(&key) })
                                }
                            >
                                "Clear"
                            </button>
                        </li>
                    </For>
                </ul>
            </Show>
            <form
                class="atelier-devtools-abort"
                on:submit=move |ev| {
                    ev.prevent_default();
                    abort();
                }
            >
                <label>
                    "Abort key "
                    <input
                        type="text"
                        id="atelier-devtools-abort-key"
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit">"Abort"</button>
            </form>
        </section>
    }
}
