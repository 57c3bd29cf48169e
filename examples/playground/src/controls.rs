//! The playground's small shared widgets: a labelled number, number inputs and the
//! two policy selects. They hold no state of their own; each writes the signal given.

use leptos::prelude::*;
use leptos_atelier::{CrashPolicy, QueuePolicy};

/// A labelled figure.
#[component]
pub fn Stat(id: &'static str, label: &'static str, value: Signal<String>) -> impl IntoView {
    view! {
        <div class="stat">
            <span class="label">{label}</span>
            <span class="value" id=id>
                {value}
            </span>
        </div>
    }
}

/// A number input bound to `value`, clamped to `min..=max`.
#[component]
pub fn NumberInput(
    id: &'static str,
    label: &'static str,
    value: RwSignal<usize>,
    min: usize,
    max: usize,
) -> impl IntoView {
    view! {
        <label>
            {label} " "
            <input
                id=id
                type="number"
                min=min.to_string()
                max=max.to_string()
                prop:value=move || value.get().to_string()
                on:change=move |ev| {
                    if let Ok(n) = event_target_value(&ev).parse::<usize>() {
                        value.set(n.clamp(min, max));
                    }
                }
            />
        </label>
    }
}

/// A select of the four queue policies.
#[component]
pub fn QueuePolicySelect(id: &'static str, label: &'static str, value: RwSignal<QueuePolicy>) -> impl IntoView {
    view! {
        <label>
            {label} " "
            <select
                id=id
                prop:value=move || {
                    match value.get() {
                        QueuePolicy::Reject => "reject",
                        QueuePolicy::DropLatest => "drop-latest",
                        QueuePolicy::DropOldest => "drop-oldest",
                        _ => "block",
                    }
                }
                on:change=move |ev| {
                    value
                        .set(
                            match event_target_value(&ev).as_str() {
                                "reject" => QueuePolicy::Reject,
                                "drop-latest" => QueuePolicy::DropLatest,
                                "drop-oldest" => QueuePolicy::DropOldest,
                                _ => QueuePolicy::Block,
                            },
                        )
                }
            >
                <option value="block">"block"</option>
                <option value="reject">"reject"</option>
                <option value="drop-latest">"drop latest"</option>
                <option value="drop-oldest">"drop oldest"</option>
            </select>
        </label>
    }
}

/// A select of the three crash policies.
#[component]
pub fn CrashPolicySelect(id: &'static str, label: &'static str, value: RwSignal<CrashPolicy>) -> impl IntoView {
    view! {
        <label>
            {label} " "
            <select
                id=id
                prop:value=move || {
                    match value.get() {
                        CrashPolicy::RestartFailInFlight => "fail-in-flight",
                        CrashPolicy::FailTask => "fail-task",
                        _ => "requeue",
                    }
                }
                on:change=move |ev| {
                    value
                        .set(
                            match event_target_value(&ev).as_str() {
                                "fail-in-flight" => CrashPolicy::RestartFailInFlight,
                                "fail-task" => CrashPolicy::FailTask,
                                _ => CrashPolicy::RestartRequeueInFlight,
                            },
                        )
                }
            >
                <option value="requeue">"restart, requeue"</option>
                <option value="fail-in-flight">"restart, fail in flight"</option>
                <option value="fail-task">"fail the task"</option>
            </select>
        </label>
    }
}

/// A checkbox bound to `value`.
#[component]
pub fn Toggle(id: &'static str, label: &'static str, value: RwSignal<bool>) -> impl IntoView {
    view! {
        <label>
            <input
                id=id
                type="checkbox"
                prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))
            />
            " " {label}
        </label>
    }
}
