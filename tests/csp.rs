//! A page whose Content Security Policy refuses the runtime's workers, in headless
//! Chromium. The browser then fires a plain `error` event (no message) on each worker
//! it will not run: every call must fail at once with a start error that says so,
//! with no uncaught error on the page and no wait for the start timeout.
//!
//! Its own test binary, because the policy it installs holds for the rest of the page.

#![cfg(target_arch = "wasm32")]

mod common;

use std::time::Duration;

use common::Echo;
use leptos_atelier::{Registry, TaskConfig, TaskError, TaskRuntime, serve};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen]
pub fn csp_workers() {
    serve(Registry::new().method::<Echo>());
}

/// Installs `policy` as the page's Content Security Policy, as a `<meta>` element in
/// the head (enforced from its insertion on).
fn install_policy(policy: &str) {
    let install = js_sys::Function::new_with_args(
        "policy",
        r#"const meta = document.createElement("meta");
           meta.httpEquiv = "Content-Security-Policy";
           meta.content = policy;
           document.head.appendChild(meta);"#,
    );
    install.call1(&JsValue::NULL, &JsValue::from_str(policy)).unwrap();
}

#[wasm_bindgen_test]
async fn workers_the_page_policy_refuses_fail_to_start_with_that_cause_at_once() {
    install_policy("worker-src 'none'");
    let runtime = TaskRuntime::new();
    // A start timeout longer than the test runner waits: only the error event can
    // settle the call in time.
    let config = TaskConfig::singleton("csp_workers")
        .task_id("t")
        .start_timeout(Duration::from_secs(3_600));
    let task = runtime.define(config).unwrap();
    match task.call::<Echo>("hello".into()).await {
        Err(TaskError::WorkerStart { cause, .. }) => {
            assert!(cause.contains("script could not be loaded"), "{cause}");
            assert!(cause.contains("Content Security Policy"), "{cause}");
        }
        other => panic!("expected a start failure, got {other:?}"),
    }
    task.dispose();
}
