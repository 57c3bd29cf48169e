//! The playground's small shared widgets: a labelled number, number inputs, a select
//! over a table of options (with the queue and crash policy tables), a checkbox, and
//! the empty state of a list. They hold no state of their own; each writes the signal
//! given.

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

/// The queue policies, as the selects show them: (value attribute, label, policy).
pub const QUEUE_POLICIES: &[(&str, &str, QueuePolicy)] = &[
    ("block", "block", QueuePolicy::Block),
    ("reject", "reject", QueuePolicy::Reject),
    ("drop-latest", "drop latest", QueuePolicy::DropLatest),
    ("drop-oldest", "drop oldest", QueuePolicy::DropOldest),
];

/// The crash policies, as the selects show them.
pub const CRASH_POLICIES: &[(&str, &str, CrashPolicy)] = &[
    ("requeue", "restart, requeue", CrashPolicy::RestartRequeueInFlight),
    (
        "fail-in-flight",
        "restart, fail in flight",
        CrashPolicy::RestartFailInFlight,
    ),
    ("fail-task", "fail the task", CrashPolicy::FailTask),
];

/// A select of `options` (value attribute, label, value) bound to `value`.
#[component]
pub fn OptionSelect<T>(
    id: &'static str,
    label: &'static str,
    value: RwSignal<T>,
    options: &'static [(&'static str, &'static str, T)],
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    let attribute = move |wanted: T| options.iter().find(|(_, _, v)| *v == wanted).map_or("", |(a, _, _)| *a);
    view! {
        <label>
            {label} " "
            <select
                id=id
                prop:value=move || attribute(value.get())
                on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    if let Some((_, _, v)) = options.iter().find(|(a, _, _)| *a == chosen) {
                        value.set(*v);
                    }
                }
            >
                {options
                    .iter()
                    .map(|(attribute, text, _)| view! { <option value=*attribute>{*text}</option> })
                    .collect_view()}
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

/// `children` once `filled` holds; before that, a sentence (`id`, `text`) saying what
/// will appear there.
#[component]
pub fn OrEmpty(
    #[prop(into)] filled: Signal<bool>,
    id: &'static str,
    text: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    view! {
        <Show when=move || filled.get() fallback=move || view! { <p class="empty" id=id>{text}</p> }>
            {children()}
        </Show>
    }
}
