//! The README's quick start as a complete app: a prime count computed on a pool of
//! Web Workers by a task resource, recomputed (and the stale call aborted) whenever
//! the bound changes.

use leptos::prelude::*;
use leptos_atelier::{
    HandlerError, TaskConfig, TaskContext, UseTaskResourceReturn, provide_task_runtime, task_method, use_task_resource,
    use_task_snapshot, worker_entry,
};

/// Counts the primes below a bound, on a worker.
#[task_method]
async fn count_primes(below: u32, cx: TaskContext) -> Result<u32, HandlerError> {
    let mut count = 0;
    for n in 2..below {
        if n % 50_000 == 0 {
            cx.checkpoint().await?; // hear a cancel: a stale count stops early
        }
        if (2..n).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d)) {
            count += 1;
        }
    }
    Ok(count)
}

// The entry each worker calls (exported as `minimal_workers`), serving these methods.
worker_entry!(pub MinimalWorkers = [count_primes]);

/// The page.
#[component]
pub fn App() -> impl IntoView {
    // On the server (feature `ssr`) there is no runtime: nothing is defined, the
    // resource shows its fallback and the snapshot its initial value.
    if let Some(runtime) = provide_task_runtime() {
        runtime
            .define(TaskConfig::parallel(MinimalWorkers).task_id("primes").pool_size(2))
            .expect("a valid task");
    }
    let below = RwSignal::new(200_000u32);
    let UseTaskResourceReturn { resource, .. } = use_task_resource::<count_primes>("primes", move || below.get());
    let snapshot = use_task_snapshot("primes");
    view! {
        <h1>"Primes on a worker"</h1>
        <label>
            "Count the primes below "
            <input
                id="below"
                type="number"
                prop:value=move || below.get().to_string()
                on:change=move |ev| {
                    if let Ok(n) = event_target_value(&ev).parse() {
                        below.set(n);
                    }
                }
            />
        </label>
        <Suspense fallback=|| view! { <p id="count">"counting…"</p> }>
            <p id="count">
                {move || resource.get().map(|count| match count {
                    Ok(count) => count.to_string(),
                    Err(e) => e.to_string(),
                })}
            </p>
        </Suspense>
        <p>"calls in flight: " <span id="in-flight">{move || snapshot.get().map_or(0, |t| t.in_flight)}</span></p>
    }
}

/// Hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
