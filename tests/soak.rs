//! A long run in headless Chromium with real workers: 200,000 calls on a pool of four,
//! each with a key of its own, some aborted, some timed out, some dropped, some
//! crashing their worker. Every call must settle exactly once, the pool must end whole,
//! and memory must stay flat after warm-up: the page's wasm memory and JS heap (after a
//! forced garbage collection) are measured at the start, the middle and the end.
//!
//! The bound: from the middle to the end (100,000 calls) the page's wasm memory grows by
//! at most 1 MiB and its JS heap by at most 2 MiB. A leak of 10 bytes a call (wasm) or
//! 20 bytes a call (JS) would cross it; an abort store keeping every key (≈ 100 bytes a
//! key, every call here has one) would cross it ten times over. What the allocator and
//! V8 move on their own stays far below.
//!
//! Needs Chromium started with `--js-flags=--expose-gc --enable-precise-memory-info`:
//! `cargo xtask test` does it (`tests/webdriver.json`).

#![cfg(target_arch = "wasm32")]

mod common;

use std::time::Duration;

use common::{Echo, Explode, Nap, sleep};
use leptos_atelier::{
    CallOptions, CrashPolicy, HandlerError, InitMode, Registry, RuntimeOptions, SpanMode, TaskConfig, TaskContext,
    TaskError, TaskMethod, TaskRuntime, WorkerState, serve,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The size of the worker's wasm memory, in bytes.
struct WasmMemory;
impl TaskMethod for WasmMemory {
    const NAME: &'static str = "wasm_memory";
    type Input = ();
    type Output = f64;
    async fn run(_: (), _: TaskContext) -> Result<f64, HandlerError> {
        Ok(wasm_memory_bytes())
    }
}

#[wasm_bindgen]
pub fn soak_workers() {
    serve(
        Registry::new()
            .method::<Echo>()
            .method::<Nap>()
            .method::<Explode>()
            .method::<WasmMemory>(),
    );
}

const CALLS: u32 = 200_000;
const BATCH: u32 = 1_000;
const POOL: usize = 4;
const MIB: f64 = 1024.0 * 1024.0;

/// What happens to call `n`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Answered,
    /// Its key is aborted right after the call (1 %).
    Aborted,
    /// A 30 ms nap with a 5 ms deadline (0.2 %).
    TimedOut,
    /// Dropped before it is awaited (0.5 %).
    Dropped,
    /// Its handler panics (1 in 2,000).
    Crashes,
}

fn fate(n: u32) -> Fate {
    match (n % 2_000, n % 200) {
        (500, _) => Fate::Crashes,
        (_, 0 | 1) => Fate::Aborted,
        (_, 2) => Fate::Dropped,
        _ if n % 500 == 3 => Fate::TimedOut,
        _ => Fate::Answered,
    }
}

fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}

/// The page's JS heap in use after two forced garbage collections, in bytes.
async fn js_heap_bytes() -> f64 {
    let global = js_sys::global();
    let gc: js_sys::Function = js_sys::Reflect::get(&global, &"gc".into())
        .ok()
        .and_then(|gc| gc.dyn_into().ok())
        .expect("run with --js-flags=--expose-gc (cargo xtask test does, through tests/webdriver.json)");
    for _ in 0..2 {
        gc.call0(&JsValue::NULL).unwrap();
        // Let finalizers and the microtasks they queue run.
        sleep(0.0).await;
    }
    let performance = js_sys::Reflect::get(&global, &"performance".into()).unwrap();
    let memory = js_sys::Reflect::get(&performance, &"memory".into()).unwrap();
    js_sys::Reflect::get(&memory, &"usedJSHeapSize".into())
        .unwrap()
        .as_f64()
        .unwrap()
}

/// Memory at one point of the run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    calls: u32,
    js_heap: f64,
    wasm: f64,
}

async fn sample(calls: u32) -> Sample {
    let sample = Sample {
        calls,
        js_heap: js_heap_bytes().await,
        wasm: wasm_memory_bytes(),
    };
    web_sys::console::log_1(&JsValue::from_str(&format!(
        "soak: after {calls} calls: JS heap {:.2} MiB, wasm memory {:.2} MiB",
        sample.js_heap / MIB,
        sample.wasm / MIB
    )));
    sample
}

#[wasm_bindgen_test]
async fn two_hundred_thousand_calls_settle_once_each_and_memory_stays_flat() {
    let runtime = TaskRuntime::new_with_options(RuntimeOptions::new().spans(SpanMode::Off));
    let config = TaskConfig::parallel("soak_workers")
        .task_id("soak")
        .pool_size(POOL)
        .init(InitMode::Eager)
        .max_queue_depth(64)
        .crash_policy(CrashPolicy::RestartFailInFlight)
        .crash_max_retries(u32::MAX)
        .cancel_grace(Duration::from_millis(100));
    let task = runtime.define(config).unwrap();
    let aborts = runtime.abort_controller();
    let before = sample(0).await;
    let mut samples = Vec::new();
    let (mut answered, mut aborted, mut timed_out, mut dropped, mut crashed) = (0u64, 0u64, 0u64, 0u64, 0u64);
    // Calls that shared a worker with a crash, and failed with it: while a crashed slot
    // waits out its backoff, a healthy worker may run two calls at once.
    let mut collateral = 0u64;
    for batch in 0..CALLS / BATCH {
        let mut calls = Vec::new();
        for n in batch * BATCH..(batch + 1) * BATCH {
            let key = format!("soak-{n}");
            let options = CallOptions::new().key(key.clone());
            let fate = fate(n);
            let call = match fate {
                Fate::Answered | Fate::Aborted | Fate::Dropped => task.call_with::<Echo>(key.clone(), options),
                Fate::TimedOut => {
                    let call = task.call_with::<Nap>(30.0, options.timeout(Duration::from_millis(5)));
                    calls.push((n, fate, None, Some(call)));
                    continue;
                }
                Fate::Crashes => {
                    let call = task.call_with::<Explode>((), options);
                    calls.push((n, fate, None, Some(call)));
                    continue;
                }
            };
            match fate {
                Fate::Aborted => aborts.abort(&key),
                Fate::Dropped => {
                    drop(call);
                    dropped += 1;
                    continue;
                }
                _ => {}
            }
            calls.push((n, fate, Some(call), None));
        }
        for (n, fate, echo, unit) in calls {
            match (fate, echo, unit) {
                (Fate::Answered, Some(call), _) => match call.await {
                    Ok(echo) => {
                        assert_eq!(echo, format!("soak-{n}"));
                        answered += 1;
                    }
                    Err(TaskError::WorkerCrashed { .. }) => collateral += 1,
                    Err(other) => panic!("call {n}: {other:?}"),
                },
                (Fate::Aborted, Some(call), _) => {
                    assert!(matches!(call.await, Err(TaskError::Aborted { .. })), "call {n}");
                    aborts.clear(&format!("soak-{n}"));
                    aborted += 1;
                }
                (Fate::TimedOut, _, Some(call)) => match call.await {
                    Err(TaskError::Timeout { .. }) => timed_out += 1,
                    Err(TaskError::WorkerCrashed { .. }) => collateral += 1,
                    other => panic!("call {n}: {other:?}"),
                },
                (Fate::Crashes, _, Some(call)) => {
                    let result = call.await;
                    assert!(
                        matches!(result, Err(TaskError::WorkerCrashed { .. })),
                        "call {n}: {result:?}"
                    );
                    crashed += 1;
                }
                (fate, _, _) => panic!("call {n}: no future kept for {fate:?}"),
            }
        }
        let done = (batch + 1) * BATCH;
        if done == CALLS / 10 || done == CALLS / 2 || done == CALLS {
            samples.push(sample(done).await);
        }
    }

    // Every call settled exactly once, and the telemetry agrees with what the calls saw.
    let telemetry = task.telemetry();
    assert_eq!(
        answered + aborted + timed_out + dropped + crashed + collateral,
        u64::from(CALLS)
    );
    assert_eq!(telemetry.succeeded, answered);
    assert_eq!(telemetry.canceled, aborted + timed_out + dropped);
    assert_eq!(telemetry.failed, crashed + collateral);
    assert_eq!(telemetry.rejected, 0);
    // Nothing left behind: no call queued, no key kept, the pool whole again.
    let snapshot = task.snapshot();
    assert_eq!((snapshot.in_flight, snapshot.pending, snapshot.waiting), (0, 0, 0));
    assert_eq!(
        aborts.key_count(),
        0,
        "every aborted key was cleared, the others let go"
    );
    for _ in 0..500 {
        let snapshot = task.snapshot();
        if snapshot.active_workers == POOL && snapshot.workers.iter().all(|w| w.state == WorkerState::Ready) {
            break;
        }
        sleep(10.0).await;
    }
    let snapshot = task.snapshot();
    assert_eq!(snapshot.active_workers, POOL, "{snapshot:?}");
    assert!(
        snapshot.workers.iter().all(|w| w.state == WorkerState::Ready),
        "{snapshot:?}"
    );

    let (middle, end) = (samples[1], samples[2]);
    let workers: Vec<_> = (0..POOL).map(|_| task.call::<WasmMemory>(())).collect();
    let mut worker_wasm = Vec::new();
    for call in workers {
        worker_wasm.push(call.await.unwrap() / MIB);
    }
    web_sys::console::log_1(&JsValue::from_str(&format!(
        "soak: {CALLS} calls ({answered} answered, {aborted} aborted, {timed_out} timed out, {dropped} dropped, \
         {crashed} crashed their worker, {collateral} failed with a crash beside them); page JS heap {:.2} / {:.2} / {:.2} / {:.2} MiB and wasm memory \
         {:.2} / {:.2} / {:.2} / {:.2} MiB before / after {} / {} / {} calls; workers' wasm memory {:.2?} MiB",
        before.js_heap / MIB,
        samples[0].js_heap / MIB,
        middle.js_heap / MIB,
        end.js_heap / MIB,
        before.wasm / MIB,
        samples[0].wasm / MIB,
        middle.wasm / MIB,
        end.wasm / MIB,
        samples[0].calls,
        middle.calls,
        end.calls,
        worker_wasm,
    )));
    assert!(
        end.wasm - middle.wasm <= MIB,
        "wasm memory grew {:.2} MiB over the last {} calls",
        (end.wasm - middle.wasm) / MIB,
        end.calls - middle.calls
    );
    assert!(
        end.js_heap - middle.js_heap <= 2.0 * MIB,
        "the JS heap grew {:.2} MiB over the last {} calls",
        (end.js_heap - middle.js_heap) / MIB,
        end.calls - middle.calls
    );
    task.dispose();
}
