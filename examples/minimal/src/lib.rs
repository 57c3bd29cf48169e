//! The README's quick start as a complete app: a prime count computed on a pool of
//! Web Workers by a task resource, recomputed (and the stale call aborted) whenever
//! the bound changes.

use leptos::prelude::*;
use leptos_atelier::{
    HandlerError, Registry, TaskConfig, TaskContext, TaskMethod, UseTaskResourceReturn, provide_task_runtime, serve,
    use_task_resource, use_task_snapshot,
};
use wasm_bindgen::prelude::wasm_bindgen;

/// Counts the primes below a bound.
pub struct CountPrimes;

impl TaskMethod for CountPrimes {
    const NAME: &'static str = "count_primes";
    type Input = u32;
    type Output = u32;

    async fn run(below: u32, cx: TaskContext) -> Result<u32, HandlerError> {
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
}

/// Each worker calls this entry of the bundle and serves what it registers.
#[wasm_bindgen]
pub fn minimal_workers() {
    serve(Registry::new().method::<CountPrimes>());
}

/// The page.
#[component]
pub fn App() -> impl IntoView {
    // On the server (feature `ssr`) there is no runtime: nothing is defined, the
    // resource shows its fallback and the snapshot its initial value.
    if let Some(runtime) = provide_task_runtime() {
        runtime
            .define(TaskConfig::parallel("minimal_workers").task_id("primes").pool_size(2))
            .expect("a valid task");
    }
    let below = RwSignal::new(200_000u32);
    let UseTaskResourceReturn { resource, .. } = use_task_resource::<CountPrimes>("primes", move || below.get());
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
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
