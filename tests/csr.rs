//! The Leptos hooks in a client-side-rendered app (no server, no hydration), in
//! headless Chromium with real workers: a task resource renders its result, a change
//! of its source recounts, and under `<Transition/>` the old result stays up meanwhile.

#![cfg(target_arch = "wasm32")]

mod common;

use common::sleep;
use leptos::prelude::*;
use leptos_atelier::{
    HandlerError, Registry, TaskConfig, TaskContext, TaskMethod, UseTaskResourceReturn, provide_task_runtime, serve,
    use_task_resource, use_task_snapshot,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Squares its input.
struct Square;
impl TaskMethod for Square {
    const NAME: &'static str = "square";
    type Input = u32;
    type Output = u32;
    async fn run(n: u32, _: TaskContext) -> Result<u32, HandlerError> {
        Ok(n * n)
    }
}

/// Squares its input after 300 ms.
struct SlowSquare;
impl TaskMethod for SlowSquare {
    const NAME: &'static str = "slow_square";
    type Input = u32;
    type Output = u32;
    async fn run(n: u32, _: TaskContext) -> Result<u32, HandlerError> {
        sleep(300.0).await;
        Ok(n * n)
    }
}

#[wasm_bindgen]
pub fn csr_workers() {
    serve(Registry::new().method::<Square>().method::<SlowSquare>());
}

/// The text of the element with this id, once it equals `expected` (10 s at most).
async fn text_becomes(id: &str, expected: &str) -> String {
    let document = js_sys::Reflect::get(&js_sys::global(), &"document".into()).unwrap();
    let find: js_sys::Function = js_sys::Reflect::get(&document, &"getElementById".into())
        .unwrap()
        .unchecked_into();
    let mut last = String::new();
    for _ in 0..1_000 {
        let element = find.call1(&document, &id.into()).unwrap();
        if !element.is_null() {
            last = js_sys::Reflect::get(&element, &"textContent".into())
                .unwrap()
                .as_string()
                .unwrap_or_default();
            if last == expected {
                return last;
            }
        }
        sleep(10.0).await;
    }
    last
}

#[wasm_bindgen_test]
async fn a_task_resource_renders_and_recounts_in_a_csr_app() {
    let input = RwSignal::new(7u32);
    leptos::mount::mount_to_body(move || {
        if let Some(runtime) = provide_task_runtime() {
            runtime
                .define(TaskConfig::singleton("csr_workers").task_id("squares"))
                .unwrap();
        }
        let UseTaskResourceReturn { resource, .. } = use_task_resource::<Square>("squares", move || input.get());
        let snapshot = use_task_snapshot("squares");
        view! {
            <Suspense fallback=|| view! { <p id="square">"…"</p> }>
                <p id="square">{move || resource.get().map(|r| format!("{r:?}"))}</p>
            </Suspense>
            <p id="dispatched">{move || snapshot.get().map_or(0, |t| t.total_dispatched)}</p>
        }
    });
    assert_eq!(text_becomes("square", "Ok(49)").await, "Ok(49)");
    input.set(9);
    assert_eq!(text_becomes("square", "Ok(81)").await, "Ok(81)");
    assert_eq!(text_becomes("dispatched", "2").await, "2", "one call per input");
}

/// The text of the element with this id now (empty if there is none).
fn text_of(id: &str) -> String {
    let document = js_sys::Reflect::get(&js_sys::global(), &"document".into()).unwrap();
    let find: js_sys::Function = js_sys::Reflect::get(&document, &"getElementById".into())
        .unwrap()
        .unchecked_into();
    let element = find.call1(&document, &id.into()).unwrap();
    if element.is_null() {
        return String::new();
    }
    js_sys::Reflect::get(&element, &"textContent".into())
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn under_a_transition_the_last_result_stays_up_while_the_next_is_computed() {
    let input = RwSignal::new(7u32);
    let pending = RwSignal::new(false);
    leptos::mount::mount_to_body(move || {
        if let Some(runtime) = provide_task_runtime() {
            runtime
                .define(TaskConfig::singleton("csr_workers").task_id("slow-squares"))
                .unwrap();
        }
        let UseTaskResourceReturn { resource, .. } =
            use_task_resource::<SlowSquare>("slow-squares", move || input.get());
        view! {
            <Transition fallback=|| view! { <p id="slow-square">"…"</p> } set_pending=pending>
                <p id="slow-square">{move || resource.get().map(|r| format!("{r:?}"))}</p>
            </Transition>
        }
    });
    assert_eq!(text_becomes("slow-square", "Ok(49)").await, "Ok(49)");
    input.set(9);
    // While the worker takes its 300 ms, the transition keeps the old result, not the fallback.
    let mut seen_pending = false;
    for _ in 0..10 {
        sleep(20.0).await;
        seen_pending |= pending.get_untracked();
        let shown = text_of("slow-square");
        if shown == "Ok(81)" {
            break;
        }
        assert_eq!(shown, "Ok(49)");
    }
    assert!(seen_pending, "the transition said it was pending");
    assert_eq!(text_becomes("slow-square", "Ok(81)").await, "Ok(81)");
}
