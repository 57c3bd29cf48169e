//! `<RuntimeDevtools/>` in a client-side-rendered app, in headless Chromium with real
//! workers: closed it renders only its toggle; open it shows each task's queue against
//! its limits, its workers, its last crash with the cause, its latency trend, the
//! recent calls and failures, and the aborted keys, which it can abort and clear.

#![cfg(all(target_arch = "wasm32", feature = "devtools"))]

mod common;

use common::{Explode, Nap, sleep};
use leptos::prelude::*;
use leptos_atelier::{CrashPolicy, RuntimeDevtools, TaskConfig, TaskRuntime, provide_task_runtime, worker_entry};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

worker_entry!(pub DevtoolsWorkers = [Nap, Explode]);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn query(selector: &str) -> Option<web_sys::Element> {
    document().query_selector(selector).unwrap()
}

fn text(selector: &str) -> String {
    query(selector).and_then(|e| e.text_content()).unwrap_or_default()
}

/// Waits (2 s at most) until `check` holds.
async fn until(what: &str, check: impl Fn() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        sleep(10.0).await;
    }
    panic!("timed out waiting for {what}");
}

fn click(selector: &str) {
    query(selector)
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
}

#[wasm_bindgen_test]
async fn the_devtools_show_queues_crashes_and_keys_and_act_on_them() {
    let runtime_slot = StoredValue::new_local(None::<TaskRuntime>);
    leptos::mount::mount_to_body(move || {
        if let Some(runtime) = provide_task_runtime() {
            runtime
                .define(
                    TaskConfig::singleton(DevtoolsWorkers)
                        .task_id("naps")
                        .max_queue_depth(3)
                        .crash_policy(CrashPolicy::RestartFailInFlight),
                )
                .unwrap();
            runtime_slot.set_value(Some(runtime));
        }
        view! { <RuntimeDevtools /> }
    });
    let runtime = runtime_slot.get_value().expect("a client-side runtime");
    let task = runtime.task("naps").unwrap();

    // Closed: the toggle only, and it says so.
    assert!(query("#atelier-devtools-toggle").is_some());
    assert!(
        query("#atelier-devtools-panel").is_none(),
        "nothing is built while closed"
    );
    assert_eq!(
        query("#atelier-devtools-toggle")
            .unwrap()
            .get_attribute("aria-expanded")
            .as_deref(),
        Some("false")
    );

    click("#atelier-devtools-toggle");
    until("the panel", || query("#atelier-devtools-panel").is_some()).await;
    assert_eq!(
        text("#atelier-devtools-summary"),
        "1 task: 0 in flight, 0 pending, 0 waiting"
    );
    let card = "[data-task=\"naps\"]";
    assert_eq!(text(&format!("{card} [data-field=in-flight]")), "0 / 1");
    // Before any call: a sentence saying what will appear, not a table of dashes.
    assert!(query(&format!("{card} .atelier-devtools-latency")).is_none());
    assert!(
        text(&format!("{card} .atelier-devtools-empty")).contains("no call has completed yet"),
        "{}",
        text(card)
    );

    // A call in flight and two pending, against the limits.
    let calls: Vec<_> = (0..3).map(|_| task.call::<Nap>(300.0)).collect();
    until("the queue counts", || {
        text(&format!("{card} [data-field=in-flight]")) == "1 / 1"
            && text(&format!("{card} [data-field=pending]")) == "2 / 3"
    })
    .await;
    for call in calls {
        call.await.unwrap();
    }
    until("the outcomes", || {
        text(&format!("{card} [data-field=outcomes]")) == "3 / 0 / 0 / 0"
    })
    .await;
    // Calls completed: the latency table, in milliseconds.
    until("the latency table", || {
        text(&format!("{card} .atelier-devtools-latency")).contains(" ms")
    })
    .await;

    // A crash shows its cause.
    assert!(task.call::<Explode>(()).await.is_err());
    until("the crash", || {
        text(&format!("{card} [data-field=last-crash]")).contains("boom in the worker")
    })
    .await;

    // A key aborted by the app is listed; Clear in the panel clears it.
    let aborts = runtime.abort_controller();
    aborts.abort("batch-7");
    until("the aborted key", || query("[data-key=\"batch-7\"]").is_some()).await;
    click("[data-key=\"batch-7\"] button");
    until("the cleared key", || query("[data-key=\"batch-7\"]").is_none()).await;
    assert!(!aborts.is_aborted("batch-7"));

    // A key typed into the panel is aborted.
    let input: web_sys::HtmlInputElement = query("#atelier-devtools-abort-key").unwrap().unchecked_into();
    input.set_value("upload");
    input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    click(".atelier-devtools-abort button[type=submit]");
    until("the key aborted from the panel", || aborts.is_aborted("upload")).await;

    // Closing drops the panel again.
    click("#atelier-devtools-toggle");
    until("the closed panel", || query("#atelier-devtools-panel").is_none()).await;
    task.dispose();
}
