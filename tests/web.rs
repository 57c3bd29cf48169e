//! The browser transport with real Web Workers, in headless Chromium
//! (`cargo test --target wasm32-unknown-unknown`, run by wasm-bindgen-test-runner).
//!
//! The workers run this very test bundle: they import its glue, instantiate the module
//! the page already compiled, and call one of the entries exported below.

#![cfg(target_arch = "wasm32")]

mod common;

use common::{Explode, Nap, sleep};
use leptos_atelier::{
    CallOptions, CrashPolicy, HandlerError, InitMode, Registry, RuntimeOptions, SpanMode, TaskConfig, TaskContext,
    TaskError, TaskMethod, TaskRuntime, TraceEnd, Transfer, WorkerState, serve,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Sums its input, reporting the worker that served it.
struct Sum;
impl TaskMethod for Sum {
    const NAME: &'static str = "sum";
    type Input = Vec<u64>;
    type Output = (u64, usize);
    async fn run(numbers: Vec<u64>, cx: TaskContext) -> Result<(u64, usize), HandlerError> {
        Ok((numbers.iter().sum(), cx.worker_index()))
    }
}

/// Always fails.
struct Refuse;
impl TaskMethod for Refuse {
    const NAME: &'static str = "refuse";
    type Input = String;
    type Output = ();
    async fn run(why: String, _: TaskContext) -> Result<(), HandlerError> {
        Err(HandlerError::new(format!("refused: {why}")))
    }
}

/// Keeps its worker busy for the given number of milliseconds.
struct Spin;
impl TaskMethod for Spin {
    const NAME: &'static str = "spin";
    type Input = f64;
    type Output = ();
    async fn run(millis: f64, _: TaskContext) -> Result<(), HandlerError> {
        let until = js_sys::Date::now() + millis;
        while js_sys::Date::now() < until {}
        Ok(())
    }
}

/// Reports half-way progress, then waits for its cancellation and stops.
struct Patient;
impl TaskMethod for Patient {
    const NAME: &'static str = "patient";
    type Input = ();
    type Output = ();
    async fn run(_: (), cx: TaskContext) -> Result<(), HandlerError> {
        cx.progress(0.5);
        cx.aborted().await;
        cx.throw_if_aborted()
    }
}

/// Leaves a rejected promise nobody handles, then waits forever.
struct RejectUnhandled;
impl TaskMethod for RejectUnhandled {
    const NAME: &'static str = "reject_unhandled";
    type Input = ();
    type Output = ();
    async fn run(_: (), _: TaskContext) -> Result<(), HandlerError> {
        let _ = js_sys::Promise::reject(&JsValue::from_str("nobody listens"));
        std::future::pending().await
    }
}

/// Throws from a timer, outside any handler, then waits forever.
struct ThrowLater;
impl TaskMethod for ThrowLater {
    const NAME: &'static str = "throw_later";
    type Input = ();
    type Output = ();
    async fn run(_: (), _: TaskContext) -> Result<(), HandlerError> {
        let throw =
            js_sys::Function::new_no_args("setTimeout(() => { throw new Error('thrown outside any handler'); }, 0);");
        let _ = throw.call0(&JsValue::NULL);
        std::future::pending().await
    }
}

/// Checkpoints `n` times and answers how many timers the worker set meanwhile.
struct CheckpointTimers;
impl TaskMethod for CheckpointTimers {
    const NAME: &'static str = "checkpoint_timers";
    type Input = u32;
    type Output = u32;
    async fn run(n: u32, cx: TaskContext) -> Result<u32, HandlerError> {
        let count_timers = js_sys::Function::new_no_args(
            "const original = self.setTimeout; let count = 0;
             self.setTimeout = (...args) => { count++; return original.apply(self, args); };
             return () => { self.setTimeout = original; return count; };",
        );
        let stop: js_sys::Function = count_timers.call0(&JsValue::NULL).unwrap().unchecked_into();
        for _ in 0..n {
            cx.checkpoint().await?;
        }
        Ok(stop.call0(&JsValue::NULL).unwrap().as_f64().unwrap() as u32)
    }
}

/// Computes for a minute, in slices, checking for a cancel between slices.
struct SpinWithCheckpoints;
impl TaskMethod for SpinWithCheckpoints {
    const NAME: &'static str = "spin_with_checkpoints";
    type Input = ();
    type Output = ();
    async fn run(_: (), cx: TaskContext) -> Result<(), HandlerError> {
        let until = js_sys::Date::now() + 60_000.0;
        while js_sys::Date::now() < until {
            let slice = js_sys::Date::now() + 5.0;
            while js_sys::Date::now() < slice {}
            cx.checkpoint().await?;
        }
        Ok(())
    }
}

/// What a soak call does on its first attempt (later attempts always succeed).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
enum Fault {
    None,
    /// Panics, killing its worker.
    Panic,
    /// Spins for a minute, deaf to cancellation.
    Hang,
}

/// Returns its number, unless its fault strikes first.
struct Flaky;
impl TaskMethod for Flaky {
    const NAME: &'static str = "flaky";
    type Input = (u32, Fault);
    type Output = u32;
    async fn run((n, fault): (u32, Fault), cx: TaskContext) -> Result<u32, HandlerError> {
        match (fault, cx.attempt()) {
            (Fault::Panic, 1) => panic!("injected panic in call {n}"),
            (Fault::Hang, 1) => {
                let until = js_sys::Date::now() + 60_000.0;
                while js_sys::Date::now() < until {}
                Ok(n)
            }
            _ => Ok(n),
        }
    }
}

/// Inverts every byte of a transferred buffer and hands the same buffer back.
struct InvertBuffer;
impl TaskMethod for InvertBuffer {
    const NAME: &'static str = "invert_buffer";
    type Input = Transfer<js_sys::ArrayBuffer>;
    type Output = (Transfer<js_sys::ArrayBuffer>, usize);
    async fn run(buffer: Self::Input, cx: TaskContext) -> Result<Self::Output, HandlerError> {
        let view = js_sys::Uint8Array::new(buffer.get());
        let mut bytes = view.to_vec();
        bytes.iter_mut().for_each(|b| *b = !*b);
        view.copy_from(&bytes);
        Ok((buffer, cx.worker_index()))
    }
}

/// Sums a byte payload, panicking on its first attempt (a transient fault).
struct ChecksumAfterPanic;
impl TaskMethod for ChecksumAfterPanic {
    const NAME: &'static str = "checksum_after_panic";
    type Input = Vec<u8>;
    type Output = (u64, usize);
    async fn run(bytes: Vec<u8>, cx: TaskContext) -> Result<(u64, usize), HandlerError> {
        if cx.attempt() == 1 {
            panic!("first attempt dies");
        }
        Ok((bytes.iter().map(|&b| u64::from(b)).sum(), bytes.len()))
    }
}

/// Takes a transferred object and panics on its first attempt.
struct TransferThenPanic;
impl TaskMethod for TransferThenPanic {
    const NAME: &'static str = "transfer_then_panic";
    type Input = Transfer<js_sys::ArrayBuffer>;
    type Output = ();
    async fn run(_: Self::Input, _: TaskContext) -> Result<(), HandlerError> {
        panic!("the buffer dies with me")
    }
}

/// Accepts any object "to transfer" (used with one that cannot be).
struct TakeObject;
impl TaskMethod for TakeObject {
    const NAME: &'static str = "take_object";
    type Input = Transfer<js_sys::Object>;
    type Output = ();
    async fn run(_: Self::Input, _: TaskContext) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// Its input's place among the calls this worker has received: 0 for the first, and
/// so on (its input's bytes only make the frame as big as a test needs).
struct ArrivalOrder;
impl TaskMethod for ArrivalOrder {
    const NAME: &'static str = "arrival_order";
    type Input = Vec<u8>;
    type Output = u32;
    async fn run(_: Vec<u8>, _: TaskContext) -> Result<u32, HandlerError> {
        thread_local! {
            static ARRIVED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
        }
        Ok(ARRIVED.with(|arrived| arrived.replace(arrived.get() + 1)))
    }
}

/// Hands its bytes straight back.
struct EchoBytes;
impl TaskMethod for EchoBytes {
    const NAME: &'static str = "echo_bytes";
    type Input = Vec<u8>;
    type Output = Vec<u8>;
    async fn run(bytes: Vec<u8>, _: TaskContext) -> Result<Vec<u8>, HandlerError> {
        Ok(bytes)
    }
}

/// What an image pipeline hands a worker: pixels, samples, a label, shapes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Picture {
    width: u32,
    pixels: Vec<u8>,
    samples: Vec<f32>,
    thumbnail: Box<[u8]>,
    label: Option<String>,
    marks: Vec<Mark>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Mark {
    Dot(u16, u16),
    Note { text: String, weight: f64 },
    Nothing,
}

impl Picture {
    fn of(pixels: usize) -> Self {
        Picture {
            width: 640,
            pixels: (0..pixels).map(|i| (i % 251) as u8).collect(),
            samples: (0..pixels / 4).map(|i| i as f32 / 3.0).collect(),
            thumbnail: vec![9; pixels / 16].into(),
            label: Some("ünïcode ✓".into()),
            marks: vec![
                Mark::Dot(1, 2),
                Mark::Note {
                    text: "x".into(),
                    weight: 0.5,
                },
                Mark::Nothing,
            ],
        }
    }
}

/// Hands its picture back with every pixel inverted (so the answer is computed, not
/// the input echoed).
struct InvertPicture;
impl TaskMethod for InvertPicture {
    const NAME: &'static str = "invert_picture";
    type Input = Picture;
    type Output = Picture;
    async fn run(mut picture: Picture, _: TaskContext) -> Result<Picture, HandlerError> {
        picture.pixels.iter_mut().for_each(|p| *p = !*p);
        Ok(picture)
    }
}

/// A method no worker registers.
struct Unserved;
impl TaskMethod for Unserved {
    const NAME: &'static str = "unserved";
    type Input = ();
    type Output = ();
    async fn run(_: (), _: TaskContext) -> Result<(), HandlerError> {
        Ok(())
    }
}

#[wasm_bindgen]
pub fn test_workers() {
    serve(
        Registry::new()
            .method::<Sum>()
            .method::<ArrivalOrder>()
            .method::<Nap>()
            .method::<Refuse>()
            .method::<Explode>()
            .method::<Spin>()
            .method::<Patient>()
            .method::<RejectUnhandled>()
            .method::<Flaky>()
            .method::<InvertBuffer>()
            .method::<ChecksumAfterPanic>()
            .method::<TransferThenPanic>()
            .method::<TakeObject>()
            .method::<ThrowLater>()
            .method::<SpinWithCheckpoints>()
            .method::<CheckpointTimers>()
            .method::<EchoBytes>()
            .method::<InvertPicture>(),
    );
}

/// An entry that blocks its worker far longer than the test's start timeout.
#[wasm_bindgen]
pub fn test_workers_that_hang() {
    let until = js_sys::Date::now() + 5_000.0;
    while js_sys::Date::now() < until {}
    test_workers();
}

/// An entry that forgets to call `serve`.
#[wasm_bindgen]
pub fn test_workers_without_serve() {}

/// Sums its input too, under the same name as [`Sum`].
struct SumAgain;
impl TaskMethod for SumAgain {
    const NAME: &'static str = "sum";
    type Input = Vec<u32>;
    type Output = u32;
    async fn run(numbers: Vec<u32>, _: TaskContext) -> Result<u32, HandlerError> {
        Ok(numbers.iter().sum())
    }
}

/// An entry that registers two methods of one name.
#[wasm_bindgen]
pub fn test_workers_with_a_duplicate() {
    serve(Registry::new().method::<Sum>().method::<SumAgain>());
}

/// The name of the channel the app's own panic hook broadcasts on.
const APP_HOOK_CHANNEL: &str = "leptos-atelier-test-app-panic-hook";

/// An entry whose app set a panic hook of its own first (as `console_error_panic_hook`
/// does): it broadcasts the panic's text to the page.
#[wasm_bindgen]
pub fn test_workers_with_an_app_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let broadcast = js_sys::Function::new_with_args("name, text", "new BroadcastChannel(name).postMessage(text)");
        let _ = broadcast.call2(
            &JsValue::NULL,
            &JsValue::from_str(APP_HOOK_CHANNEL),
            &JsValue::from_str(&info.to_string()),
        );
    }));
    test_workers();
}

/// The cause of the start failure a first call must meet.
async fn start_failure(task: &leptos_atelier::Task) -> String {
    match task.call::<Sum>(vec![1]).await {
        Err(TaskError::WorkerStart { cause, .. }) => cause,
        other => panic!("expected a start failure, got {other:?}"),
    }
}

fn runtime_with(config: TaskConfig) -> (TaskRuntime, leptos_atelier::Task) {
    let runtime = TaskRuntime::new();
    let task = runtime.define(config.task_id("t")).expect("valid config");
    (runtime, task)
}

/// An eager singleton with room for `max_in_flight` calls on a runtime with `options`,
/// once its worker is ready.
async fn ready_singleton(options: RuntimeOptions, max_in_flight: usize) -> (TaskRuntime, leptos_atelier::Task) {
    let config = TaskConfig::singleton("test_workers")
        .max_in_flight(max_in_flight)
        .init(InitMode::Eager);
    let runtime = TaskRuntime::new_with_options(options);
    let task = runtime.define(config.task_id("t")).expect("valid config");
    wait_until("the worker is ready", || {
        task.snapshot().workers[0].state == WorkerState::Ready
    })
    .await;
    (runtime, task)
}

/// Waits until `done` holds, checking every 10 ms; panics with `what` after 10 s.
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1_000 {
        if done() {
            return;
        }
        sleep(10.0).await;
    }
    panic!("timed out waiting until {what}");
}

/// The `detail` objects of the measures named `name` on the page's performance timeline.
fn measures(name: &str) -> Vec<JsValue> {
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let get = js_sys::Reflect::get(&performance, &"getEntriesByName".into()).unwrap();
    let entries = get
        .unchecked_into::<js_sys::Function>()
        .call1(&performance, &name.into())
        .unwrap();
    entries
        .unchecked_into::<js_sys::Array>()
        .iter()
        .map(|entry| js_sys::Reflect::get(&entry, &"detail".into()).unwrap())
        .collect()
}

fn field(detail: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(detail, &name.into()).unwrap()
}

#[wasm_bindgen_test]
async fn spans_and_traces_are_on_the_performance_timeline() {
    let runtime = TaskRuntime::new_with_options(RuntimeOptions::new().spans(SpanMode::On));
    let task = runtime
        .define(TaskConfig::singleton("test_workers").task_id("measured"))
        .unwrap();
    let trace = runtime.create_trace(Some("timeline"));
    assert_eq!(trace.id().len(), 36, "a random UUID: {}", trace.id());
    let call = task.call_with::<Sum>(vec![2, 3], CallOptions::new().trace(&trace));
    assert_eq!(call.await, Ok((5, 0)));
    trace.end(TraceEnd::ok());
    let spans: Vec<_> = measures("atelier:span")
        .into_iter()
        .filter(|detail| field(detail, "taskId").as_string().as_deref() == Some("measured"))
        .collect();
    assert_eq!(spans.len(), 1);
    assert_eq!(field(&spans[0], "status").as_string().as_deref(), Some("ok"));
    assert_eq!(field(&spans[0], "method").as_string().as_deref(), Some("sum"));
    assert_eq!(field(&spans[0], "traceId").as_string().as_deref(), Some(trace.id()));
    let traces = measures("atelier:trace");
    assert!(
        traces
            .iter()
            .any(|d| field(d, "traceId").as_string().as_deref() == Some(trace.id()))
    );
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_call_round_trips_through_a_real_worker() {
    let (runtime, task) = runtime_with(TaskConfig::parallel("test_workers").pool_size(1));
    let call = task.call::<Sum>(vec![1, 2, 3, 4]);
    assert_eq!(runtime.snapshot().tasks[0].in_flight, 1, "admitted at call time");
    assert_eq!(call.await, Ok((10, 0)));
    let snapshot = task.snapshot();
    assert_eq!((snapshot.in_flight, snapshot.total_dispatched), (0, 1));
    assert_eq!(snapshot.workers[0].state, WorkerState::Ready);
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_pool_spreads_concurrent_calls_over_its_workers() {
    let (_runtime, task) = runtime_with(TaskConfig::parallel("test_workers").pool_size(2));
    let calls: Vec<_> = (0..4u64).map(|i| task.call::<Sum>(vec![i, i])).collect();
    let mut served = Vec::new();
    for (i, call) in calls.into_iter().enumerate() {
        let (sum, worker) = call.await.expect("served");
        assert_eq!(sum, 2 * i as u64);
        served.push(worker);
    }
    // The first two are dispatched at call time, one per idle worker; the others go to
    // whichever worker frees up first.
    assert_eq!(served[..2], [0, 1]);
    assert!(served.iter().all(|w| *w < 2), "{served:?}");
    assert_eq!(task.snapshot().active_workers, 2);
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_handler_error_comes_back_typed() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    assert_eq!(
        task.call::<Refuse>("too big".into()).await,
        Err(TaskError::Handler(HandlerError::new("refused: too big")))
    );
    // The worker is still healthy.
    assert_eq!(task.call::<Sum>(vec![5]).await, Ok((5, 0)));
    task.dispose();
}

#[wasm_bindgen_test]
async fn an_unknown_method_is_its_own_error() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    assert_eq!(
        task.call::<Unserved>(()).await,
        Err(TaskError::UnknownMethod {
            task_id: "t".into(),
            method: "unserved".into()
        })
    );
    task.dispose();
}

#[wasm_bindgen_test]
async fn an_entry_missing_from_the_bundle_fails_to_start_instead_of_hanging() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("no_such_entry"));
    let cause = start_failure(&task).await;
    assert!(cause.contains("no_such_entry"), "{cause}");
    task.dispose();
}

#[wasm_bindgen_test]
async fn an_entry_that_never_serves_fails_to_start() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers_without_serve"));
    let cause = start_failure(&task).await;
    assert!(cause.contains("without calling serve()"), "{cause}");
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_worker_that_never_becomes_ready_times_out_as_a_start_failure() {
    let config = TaskConfig::singleton("test_workers_that_hang").start_timeout(std::time::Duration::from_millis(300));
    let (_runtime, task) = runtime_with(config);
    let cause = start_failure(&task).await;
    assert!(cause.contains("no ready handshake within 300 ms"), "{cause}");
    assert_eq!(task.snapshot().active_workers, 0, "the hung worker was stopped");
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_bad_glue_url_fails_to_start() {
    let config = TaskConfig::singleton("test_workers").glue_url("data:text/javascript,export default 1");
    let (_runtime, task) = runtime_with(config);
    // The module imports, but has no wasm-bindgen init function.
    let cause = start_failure(&task).await;
    assert!(cause.contains("is not a wasm-bindgen glue module"), "{cause}");
    task.dispose();
}

/// A `blob:` module standing in for this bundle's glue: its init runs the real one, then
/// `after_init` (the test runner never runs a bundle's start function, so this plays
/// the part of one).
fn glue_with_start(after_init: &str) -> String {
    let glue = leptos_atelier::glue_url();
    blob_url(&format!(
        r#"import * as glue from "{glue}";
        export * from "{glue}";
        export default async function init(options) {{
          await glue.default(options);
          {after_init}
        }}"#
    ))
}

#[wasm_bindgen_test]
async fn a_start_function_failing_in_a_worker_is_a_start_error_that_names_the_guard() {
    // What a client-side app's `fn main` that mounts without returning in workers does
    // there: the module instantiates, then its start function reaches for the document.
    let glue = glue_with_start("document.body;");
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers").glue_url(glue));
    let cause = start_failure(&task).await;
    assert!(cause.contains("start function"), "{cause}");
    assert!(cause.contains("document is not defined"), "{cause}");
    assert!(
        cause.contains("begin `fn main` with `if leptos_atelier::is_worker_scope() { return; }`"),
        "{cause}"
    );
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_glue_url_that_cannot_be_imported_in_a_worker_says_how_the_glue_must_be_served() {
    // What a bundler's chunk holding the glue does when a worker imports it: its own
    // code runs first, and reaches for the page.
    let glue = blob_url(r#"document.head; export default async function init() {}"#);
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers").glue_url(glue));
    let cause = start_failure(&task).await;
    assert!(
        cause.contains("importing the app's wasm-bindgen glue from blob:"),
        "{cause}"
    );
    assert!(cause.contains("document is not defined"), "{cause}");
    assert!(cause.contains("not merged into a bundler's chunk"), "{cause}");
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_module_that_cannot_instantiate_is_not_blamed_on_the_start_function() {
    // The init fails before anything is instantiated: no word of a start function.
    let glue = blob_url(r#"export default async function init() { throw new Error("no wasm here"); }"#);
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers").glue_url(glue));
    let cause = start_failure(&task).await;
    assert!(cause.contains("no wasm here"), "{cause}");
    assert!(!cause.contains("start function"), "{cause}");
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_panicking_handler_crashes_its_worker_and_the_next_call_gets_a_fresh_one() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    assert_eq!(task.call::<Sum>(vec![1]).await, Ok((1, 0)));
    match task.call::<Explode>(()).await {
        Err(TaskError::WorkerCrashed {
            worker_index, cause, ..
        }) => {
            assert_eq!(worker_index, 0);
            assert!(!cause.is_empty());
        }
        other => panic!("expected a crash, got {other:?}"),
    }
    assert_eq!(task.snapshot().workers[0].state, WorkerState::Crashed);
    assert_eq!(task.call::<Sum>(vec![2, 2]).await, Ok((4, 0)));
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_panic_on_a_call_sent_before_the_worker_was_ready_is_a_crash_not_a_failed_start() {
    // The call reaches the worker while its bundle loads, so the worker serves it
    // right after its handshake, in the same turn.
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    match task.call::<Explode>(()).await {
        Err(TaskError::WorkerCrashed { cause, .. }) => assert!(cause.contains("boom in the worker"), "{cause}"),
        other => panic!("expected a crash, got {other:?}"),
    }
    assert_eq!(task.call::<Sum>(vec![2, 3]).await, Ok((5, 0)));
    task.dispose();
}

#[wasm_bindgen_test]
async fn calls_answered_before_a_panic_in_the_same_batch_keep_their_results() {
    let (_runtime, task) = ready_singleton(RuntimeOptions::new(), 8).await;
    // One batch: two calls the worker answers at once, then one that panics.
    let first = task.call::<Sum>(vec![1, 2]);
    let second = task.call::<Sum>(vec![3, 4]);
    let explode = task.call::<Explode>(());
    let (first, second, explode) = futures_util::join!(first, second, explode);
    assert_eq!((first, second), (Ok((3, 0)), Ok((7, 0))));
    assert!(matches!(explode, Err(TaskError::WorkerCrashed { .. })), "{explode:?}");
    task.dispose();
}

#[wasm_bindgen_test]
async fn an_aborted_in_flight_call_answers_at_once_and_the_worker_serves_on() {
    let (runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    let call = task.call_with::<Sum>(vec![1, 2], leptos_atelier::CallOptions::new().key("job-1"));
    let next = task.call::<Sum>(vec![3, 4]);
    runtime.abort_controller().abort("job-1");
    assert_eq!(
        call.await,
        Err(TaskError::Aborted {
            task_id: "t".into(),
            key: Some("job-1".into())
        })
    );
    assert_eq!(next.await, Ok((7, 0)), "the slot was freed when the worker finished");
    assert_eq!(task.snapshot().workers[0].completed, 2);
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_call_past_its_deadline_times_out_on_the_browser_clock() {
    let config = TaskConfig::singleton("test_workers").timeout(std::time::Duration::from_millis(100));
    let (_runtime, task) = runtime_with(config);
    match task.call::<Spin>(2_000.0).await {
        Err(TaskError::Timeout { phase, after, .. }) => {
            assert_eq!(phase, leptos_atelier::CallPhase::InFlight);
            assert_eq!(after, std::time::Duration::from_millis(100));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(task.snapshot().in_flight, 1, "the spinning worker keeps its slot");
    task.dispose();
}

#[wasm_bindgen_test]
fn the_glue_reports_its_own_url() {
    let url = leptos_atelier::glue_url();
    assert!(url.starts_with("http://"), "{url}");
}

#[wasm_bindgen_test]
async fn an_abort_reaches_the_handler_in_a_real_worker_which_then_serves_on() {
    let (runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    let reports = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let log = reports.clone();
    let options = CallOptions::new()
        .key("wait")
        .on_progress(move |fraction| log.borrow_mut().push(fraction));
    let call = task.call_with::<Patient>((), options);
    wait_until("progress arrives", || !reports.borrow().is_empty()).await;
    assert_eq!(*reports.borrow(), [0.5]);
    runtime.abort_controller().abort("wait");
    assert!(matches!(call.await, Err(TaskError::Aborted { .. })));
    // The handler saw the cancel and returned: its worker is free and healthy.
    wait_until("the worker settles the aborted call", || task.snapshot().in_flight == 0).await;
    let worker = &task.snapshot().workers[0];
    assert_eq!((worker.state, worker.completed), (WorkerState::Ready, 1));
    assert_eq!(task.call::<Sum>(vec![5, 5]).await, Ok((10, 0)));
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_worker_hung_past_its_cancel_grace_is_replaced() {
    let config = TaskConfig::singleton("test_workers").cancel_grace(std::time::Duration::from_millis(100));
    let (_runtime, task) = runtime_with(config);
    // Spins for a minute, deaf to its cancel.
    let deadline = CallOptions::new().timeout(std::time::Duration::from_millis(100));
    let spin = task.call_with::<Spin>(60_000.0, deadline);
    assert!(matches!(spin.await, Err(TaskError::Timeout { .. })));
    wait_until("the hung worker is stopped", || task.snapshot().in_flight == 0).await;
    let cause = task.snapshot().last_crash.expect("counted as a crash").cause;
    assert!(cause.contains("hung"), "{cause}");
    assert_eq!(task.call::<Sum>(vec![1, 1]).await, Ok((2, 0)), "a fresh worker serves");
    task.dispose();
}

#[wasm_bindgen_test]
async fn an_unhandled_rejection_in_a_worker_is_a_crash_with_its_cause() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    match task.call::<RejectUnhandled>(()).await {
        Err(TaskError::WorkerCrashed { cause, .. }) => {
            assert!(cause.contains("unhandled promise rejection: nobody listens"), "{cause}");
        }
        other => panic!("expected a crash, got {other:?}"),
    }
    assert_eq!(
        task.call::<Sum>(vec![3]).await,
        Ok((3, 0)),
        "the crashed worker is not reused"
    );
    task.dispose();
}

/// 500 calls on a pool of 4 with panics and hangs injected at random (seeded), under
/// `policy`: every call settles once, with an outcome its fault explains; the pool
/// ends with all its workers, and the snapshot and the telemetry agree with the calls.
async fn soak(policy: CrashPolicy, seed: u64) {
    const CALLS: u32 = 500;
    let config = TaskConfig::parallel("test_workers")
        .pool_size(4)
        .init(InitMode::Eager)
        .crash_policy(policy)
        .crash_max_retries(10_000)
        .cancel_grace(std::time::Duration::from_millis(50));
    let (_runtime, task) = runtime_with(config);
    let mut state = seed;
    let mut faults = Vec::new();
    let calls: Vec<_> = (0..CALLS)
        .map(|n| {
            // xorshift64
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let fault = match state % 100 {
                0..=2 => Fault::Panic,
                3..=4 => Fault::Hang,
                _ => Fault::None,
            };
            faults.push(fault);
            let options = match fault {
                Fault::Hang => CallOptions::new().timeout(std::time::Duration::from_millis(200)),
                _ => CallOptions::new(),
            };
            task.call_with::<Flaky>((n, fault), options)
        })
        .collect();
    let results = futures_util::future::join_all(calls).await;
    assert_eq!(results.len(), CALLS as usize);
    let (mut ok, mut crashed, mut timed_out) = (0, 0, 0);
    for (n, (result, fault)) in results.iter().zip(&faults).enumerate() {
        match result {
            Ok(value) => {
                assert_eq!(*value, n as u32, "seed {seed}");
                ok += 1;
            }
            Err(TaskError::WorkerCrashed { .. }) => crashed += 1,
            Err(TaskError::Timeout { .. }) => timed_out += 1,
            Err(other) => panic!("seed {seed}: call {n} ({fault:?}) ended with {other:?}"),
        }
        match (policy, fault, result) {
            // Under fail-task the halt may fail a hanging call before its deadline.
            (CrashPolicy::FailTask, Fault::Hang, result) => assert!(
                matches!(result, Err(TaskError::Timeout { .. } | TaskError::WorkerCrashed { .. })),
                "seed {seed}: {n}"
            ),
            (_, Fault::Hang, result) => {
                assert!(matches!(result, Err(TaskError::Timeout { .. })), "seed {seed}: {n}")
            }
            // Requeued calls run again, and faults strike only on the first attempt.
            (CrashPolicy::RestartRequeueInFlight, _, result) => assert!(result.is_ok(), "seed {seed}: {n}"),
            (_, Fault::Panic, result) => {
                assert!(
                    matches!(result, Err(TaskError::WorkerCrashed { .. })),
                    "seed {seed}: {n}"
                )
            }
            _ => {}
        }
    }
    assert!(
        faults.contains(&Fault::Panic) && faults.contains(&Fault::Hang),
        "seed {seed} injects both"
    );
    if policy == CrashPolicy::FailTask {
        assert_eq!(task.snapshot().status, leptos_atelier::TaskStatus::Halted);
        task.start_workers();
    }
    wait_until("the pool is whole and idle", || {
        let s = task.snapshot();
        s.active_workers == 4 && s.in_flight + s.pending + s.waiting == 0
    })
    .await;
    let telemetry = task.telemetry();
    assert_eq!(telemetry.succeeded, ok, "seed {seed}");
    assert_eq!(telemetry.failed, crashed, "seed {seed}");
    assert_eq!(telemetry.canceled, timed_out, "seed {seed}");
    assert!(task.snapshot().last_crash.is_some());
    assert_eq!(task.call::<Sum>(vec![20, 22]).await.map(|(sum, _)| sum), Ok(42));
    task.dispose();
}

#[wasm_bindgen_test]
async fn soak_restart_fail_in_flight() {
    soak(CrashPolicy::RestartFailInFlight, 0x5eed_0001).await;
}

#[wasm_bindgen_test]
async fn soak_restart_requeue_in_flight() {
    soak(CrashPolicy::RestartRequeueInFlight, 0x5eed_0002).await;
}

#[wasm_bindgen_test]
async fn soak_fail_task() {
    soak(CrashPolicy::FailTask, 0x5eed_0003).await;
}

#[wasm_bindgen_test]
async fn a_transferred_buffer_moves_to_the_worker_and_back_without_a_copy() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    let size = 4 << 20;
    let buffer = js_sys::ArrayBuffer::new(size);
    let view = js_sys::Uint8Array::new(&buffer);
    view.fill(0x0f, 0, size);
    let call = task.call::<InvertBuffer>(Transfer::new(buffer.clone()));
    assert_eq!(buffer.byte_length(), 0, "moved: the sender's buffer is detached");
    let (back, worker) = call.await.expect("the call succeeds");
    assert_eq!(worker, 0);
    let back = js_sys::Uint8Array::new(back.get());
    assert_eq!(back.length(), size);
    assert!(
        back.to_vec().iter().all(|&b| b == 0xf0),
        "every byte came back inverted"
    );
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_requeued_call_is_sent_again_with_its_bytes_intact() {
    let config = TaskConfig::singleton("test_workers").crash_policy(CrashPolicy::RestartRequeueInFlight);
    let (_runtime, task) = runtime_with(config);
    let bytes: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    let expected: u64 = bytes.iter().map(|&b| u64::from(b)).sum();
    let (sum, len) = task
        .call::<ChecksumAfterPanic>(bytes)
        .await
        .expect("the retry succeeds");
    assert_eq!((sum, len), (expected, 1 << 20));
    assert!(task.snapshot().last_crash.is_some(), "the first attempt crashed");
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_call_whose_transferred_objects_died_with_its_worker_fails_instead_of_resending_them() {
    let config = TaskConfig::singleton("test_workers").crash_policy(CrashPolicy::RestartRequeueInFlight);
    let (_runtime, task) = runtime_with(config);
    let buffer = js_sys::ArrayBuffer::new(1024);
    let result = task.call::<TransferThenPanic>(Transfer::new(buffer)).await;
    assert!(
        matches!(result, Err(TaskError::TransferLost { worker_index: 0, .. })),
        "{result:?}"
    );
    assert_eq!(task.call::<Sum>(vec![2]).await, Ok((2, 0)), "the task recovers");
    task.dispose();
}

#[wasm_bindgen_test]
async fn an_object_that_cannot_be_transferred_fails_the_call_with_an_encode_error() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    let result = task.call::<TakeObject>(Transfer::new(js_sys::Object::new())).await;
    assert!(matches!(result, Err(TaskError::Encode { .. })), "{result:?}");
    assert_eq!(task.call::<Sum>(vec![4]).await, Ok((4, 0)), "the worker serves on");
    task.dispose();
}

#[wasm_bindgen_test]
async fn workers_can_start_from_a_configured_bootstrap_url() {
    // A stand-in for a script served from the app's origin: this page's test server
    // serves no extra files, so the URL is made here, from the published script.
    let url = blob_url(leptos_atelier::WORKER_BOOTSTRAP);
    let (runtime, task) = runtime_with(TaskConfig::singleton("test_workers").bootstrap_url(url));
    assert_eq!(task.call::<Sum>(vec![1, 2]).await, Ok((3, 0)));
    // A URL that serves nothing fails to start instead of hanging.
    let broken = TaskConfig::singleton("test_workers")
        .task_id("broken")
        .bootstrap_url("/no-such-bootstrap.js")
        .start_timeout(std::time::Duration::from_millis(2_000));
    let broken = runtime.define(broken).unwrap();
    assert!(matches!(
        broken.call::<Sum>(vec![1]).await,
        Err(TaskError::WorkerStart { .. } | TaskError::WorkerCrashed { .. })
    ));
    task.dispose();
    broken.dispose();
}

#[wasm_bindgen_test]
async fn an_uncaught_error_in_a_worker_is_a_crash_with_its_message() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    match task.call::<ThrowLater>(()).await {
        Err(TaskError::WorkerCrashed {
            cause, worker_index, ..
        }) => {
            assert_eq!(worker_index, 0);
            assert!(cause.contains("thrown outside any handler"), "{cause}");
        }
        other => panic!("expected a crash, got {other:?}"),
    }
    assert_eq!(task.call::<Sum>(vec![6]).await, Ok((6, 0)), "a fresh worker serves");
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_worker_that_registers_two_methods_of_one_name_fails_to_start_and_says_which() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers_with_a_duplicate"));
    let cause = start_failure(&task).await;
    assert!(cause.contains("two methods named `sum`"), "{cause}");
    task.dispose();
}

#[wasm_bindgen_test]
async fn the_apps_own_panic_hook_still_runs_in_a_worker_after_the_runtime_reports_the_panic() {
    let heard = js_sys::Array::new();
    let listen = js_sys::Function::new_with_args(
        "name, heard",
        "const channel = new BroadcastChannel(name); channel.onmessage = (e) => heard.push(e.data); return channel;",
    );
    let channel = listen
        .call2(&JsValue::NULL, &JsValue::from_str(APP_HOOK_CHANNEL), &heard)
        .unwrap();
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers_with_an_app_panic_hook"));
    match task.call::<Explode>(()).await {
        Err(TaskError::WorkerCrashed { cause, .. }) => assert!(cause.contains("boom in the worker"), "{cause}"),
        other => panic!("expected a crash, got {other:?}"),
    }
    wait_until("the app's hook broadcast the panic", || heard.length() > 0).await;
    assert!(heard.get(0).as_string().unwrap().contains("boom in the worker"));
    let close: js_sys::Function = js_sys::Reflect::get(&channel, &"close".into())
        .unwrap()
        .unchecked_into();
    close.call0(&channel).unwrap();
    task.dispose();
}

#[wasm_bindgen_test]
async fn timers_longer_than_one_browser_timer_can_hold_do_not_fire_early() {
    // 30 days: `setTimeout` fires anything over 2^31 - 1 ms (24.8 days) at once.
    let long = std::time::Duration::from_secs(30 * 86_400);
    let config = TaskConfig::singleton("test_workers")
        .timeout(long)
        .idle_timeout(long)
        .start_timeout(long)
        .cancel_grace(long);
    let (runtime, task) = runtime_with(config);
    // Neither the start timeout nor the call's deadline fires.
    assert_eq!(task.call::<Spin>(200.0).await, Ok(()));
    // A handler that runs on after its cancel is within its grace.
    let spin = task.call_with::<Spin>(300.0, CallOptions::new().key("k"));
    runtime.abort_controller().abort("k");
    assert!(matches!(spin.await, Err(TaskError::Aborted { .. })));
    wait_until("the handler finishes its spin", || task.snapshot().in_flight == 0).await;
    // Long enough for a 30-day timer handed to `setTimeout` as it is to have fired
    // (Chromium fires it after some tens of milliseconds).
    sleep(300.0).await;
    let snapshot = task.snapshot();
    assert!(
        snapshot.last_crash.is_none(),
        "not taken as hung: {:?}",
        snapshot.last_crash
    );
    assert_eq!(snapshot.active_workers, 1, "not stopped as idle");
    assert_eq!(snapshot.workers[0].completed, 2);
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_checkpoint_sets_no_timer() {
    // A chained `setTimeout(0)` is clamped to 4 ms: a handler that checkpoints per
    // chunk would idle that long each time.
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    assert_eq!(task.call::<CheckpointTimers>(50).await, Ok(0));
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_cpu_bound_handler_with_checkpoints_hears_its_cancel_and_frees_the_worker() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    let deadline = CallOptions::new().timeout(std::time::Duration::from_millis(100));
    let call = task.call_with::<SpinWithCheckpoints>((), deadline);
    assert!(matches!(call.await, Err(TaskError::Timeout { .. })));
    // Without checkpoints the worker would hold its slot for the whole minute.
    wait_until("the handler stops at its next checkpoint", || {
        task.snapshot().in_flight == 0
    })
    .await;
    let worker = &task.snapshot().workers[0];
    assert_eq!(
        (worker.state, worker.completed),
        (WorkerState::Ready, 1),
        "no crash, no replacement"
    );
    task.dispose();
}

/// Records every worker the page constructs, by wrapping the page's `Worker` (the
/// runtime looks it up at each `new Worker`): for each, in construction order,
/// `{ posted, received, terminated }` (the messages the page posted to it and received
/// from it, the ready handshake included, and whether it was terminated). Returns the
/// records and a function that unwraps it.
fn record_workers() -> (js_sys::Array, js_sys::Function) {
    let install = js_sys::Function::new_no_args(
        r#"
        const Original = globalThis.Worker;
        const made = [];
        // A plain function, not a subclass: the test runner's own wrapper returns
        // the worker it made, which a subclass constructor would not see.
        globalThis.Worker = function (url, options) {
          const worker = new Original(url, options);
          const record = { posted: 0, received: 0, terminated: false };
          made.push(record);
          const post = worker.postMessage.bind(worker);
          worker.postMessage = (...args) => { record.posted++; return post(...args); };
          worker.addEventListener("message", () => { record.received++; });
          const terminate = worker.terminate.bind(worker);
          worker.terminate = () => { record.terminated = true; terminate(); };
          return worker;
        };
        globalThis.Worker.prototype = Original.prototype;
        return [made, () => { globalThis.Worker = Original; }];
        "#,
    );
    let pair: js_sys::Array = install.call0(&JsValue::NULL).unwrap().unchecked_into();
    (pair.get(0).unchecked_into(), pair.get(1).unchecked_into())
}

/// A field of the record of the `index`th worker made.
fn record(made: &js_sys::Array, index: u32, field: &str) -> JsValue {
    js_sys::Reflect::get(&made.get(index), &field.into()).unwrap()
}

fn posted_to(made: &js_sys::Array, index: u32) -> f64 {
    record(made, index, "posted").as_f64().unwrap()
}

fn terminated(made: &js_sys::Array, index: u32) -> bool {
    record(made, index, "terminated").is_truthy()
}

/// `field` summed over every worker made.
fn total(made: &js_sys::Array, field: &str) -> f64 {
    (0..made.length())
        .map(|i| record(made, i, field).as_f64().unwrap())
        .sum()
}

#[wasm_bindgen_test]
async fn without_spares_a_runtime_starts_only_the_workers_its_tasks_need() {
    let (made, restore) = record_workers();
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    assert_eq!(task.call::<Sum>(vec![1]).await, Ok((1, 0)));
    assert_eq!(made.length(), 1);
    restore.call0(&JsValue::NULL).unwrap();
    task.dispose();
}

#[wasm_bindgen_test]
async fn the_next_worker_a_task_starts_is_the_spare_and_a_new_spare_waits() {
    let (made, restore) = record_workers();
    let runtime = TaskRuntime::new_with_options(RuntimeOptions::new().spans(SpanMode::Off).spare_workers(1));
    let first = runtime.define(TaskConfig::singleton("test_workers")).unwrap();
    assert_eq!(first.call::<Sum>(vec![1, 2]).await, Ok((3, 0)));
    // The first task's worker, and a spare that has been told nothing yet.
    assert_eq!(made.length(), 2);
    assert_eq!(posted_to(&made, 1), 0.0);
    let second = runtime.define(TaskConfig::singleton("test_workers")).unwrap();
    assert_eq!(second.call::<Sum>(vec![4]).await, Ok((4, 0)));
    // The spare became the second task's worker; its replacement waits.
    assert_eq!(made.length(), 3);
    assert!(posted_to(&made, 1) >= 1.0, "the hello");
    assert_eq!(posted_to(&made, 2), 0.0);
    // A task started from another bootstrap URL does not take a spare of the default one.
    let url = blob_url(leptos_atelier::WORKER_BOOTSTRAP);
    let third = runtime
        .define(TaskConfig::singleton("test_workers").bootstrap_url(url))
        .unwrap();
    assert_eq!(third.call::<Sum>(vec![5]).await, Ok((5, 0)));
    assert_eq!(posted_to(&made, 2), 0.0, "the default spare still waits");
    assert!(posted_to(&made, 3) >= 1.0, "the third task started its own worker");
    restore.call0(&JsValue::NULL).unwrap();
    for task in [&first, &second, &third] {
        task.dispose();
    }
    drop((first, second, third, runtime));
    assert!(terminated(&made, 2), "spares stop with the runtime");
}

#[wasm_bindgen_test]
async fn without_shared_memory_the_frames_of_one_turn_travel_as_one_message_each_way() {
    let (made, restore) = record_workers();
    let (_runtime, task) = ready_singleton(RuntimeOptions::new().shared_memory(false), 64).await;
    let (posted, received) = (total(&made, "posted"), total(&made, "received"));
    let calls: Vec<_> = (0..50u64).map(|i| task.call::<Sum>(vec![i, 1])).collect();
    assert_eq!(task.snapshot().in_flight, 50, "all dispatched in this turn");
    let results = futures_util::future::join_all(calls).await;
    assert_eq!(results, (0..50u64).map(|i| Ok((i + 1, 0))).collect::<Vec<_>>());
    // Fifty calls went out in one batch, and fifty replies (their handlers finish
    // without waiting) came back in one.
    assert_eq!(total(&made, "posted") - posted, 1.0);
    assert_eq!(total(&made, "received") - received, 1.0);
    // Past the batch size limit, a turn's frames leave in several messages, in order.
    let many: Vec<_> = (0..2_000u64).map(|i| task.call::<Sum>(vec![i])).collect();
    let results = futures_util::future::join_all(many).await;
    assert_eq!(results, (0..2_000u64).map(|i| Ok((i, 0))).collect::<Vec<_>>());
    let batches = total(&made, "posted") - posted - 1.0;
    assert!((2.0..50.0).contains(&batches), "{batches} messages for 2,000 frames");
    restore.call0(&JsValue::NULL).unwrap();
    task.dispose();
}

fn cross_origin_isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .unwrap()
        .is_truthy()
}

#[wasm_bindgen_test]
async fn in_an_isolated_page_calls_and_replies_travel_through_shared_memory() {
    // wasm-bindgen-test-runner serves its page cross-origin isolated.
    assert!(cross_origin_isolated(), "the test page should be cross-origin isolated");
    let (made, restore) = record_workers();
    let (_runtime, task) = ready_singleton(RuntimeOptions::new(), 64).await;
    let (posted, received) = (total(&made, "posted"), total(&made, "received"));
    let calls: Vec<_> = (0..50u64).map(|i| task.call::<Sum>(vec![i, 1])).collect();
    let results = futures_util::future::join_all(calls).await;
    assert_eq!(results, (0..50u64).map(|i| Ok((i + 1, 0))).collect::<Vec<_>>());
    for i in 0..20u64 {
        assert_eq!(task.call::<Sum>(vec![i]).await, Ok((i, 0)));
    }
    assert_eq!(total(&made, "posted"), posted, "no message to the worker");
    assert_eq!(total(&made, "received"), received, "no message from the worker");
    // More than a ring holds (64 KiB) while the worker is busy and cannot take any:
    // the rest is posted, and every call still gets its own answer.
    let busy = task.call::<Spin>(30.0);
    // (3 KB each: values of a million take three bytes.)
    let big: Vec<_> = (0..60u64)
        .map(|i| task.call::<Sum>(vec![1_000_000 + i; 1_000]))
        .collect();
    let (busy, results) = futures_util::future::join(busy, futures_util::future::join_all(big)).await;
    assert_eq!(busy, Ok(()));
    assert_eq!(
        results,
        (0..60u64).map(|i| Ok(((1_000_000 + i) * 1_000, 0))).collect::<Vec<_>>()
    );
    assert!(total(&made, "posted") > posted, "a full ring falls back to messages");
    // Afterwards the ring carries the traffic again.
    let posted = total(&made, "posted");
    assert_eq!(task.call::<Sum>(vec![7]).await, Ok((7, 0)));
    assert_eq!(total(&made, "posted"), posted);
    restore.call0(&JsValue::NULL).unwrap();
    task.dispose();
}

#[wasm_bindgen_test]
async fn frames_arrive_in_the_order_sent_whether_posted_or_through_shared_memory() {
    let (_runtime, task) = ready_singleton(RuntimeOptions::new(), 64).await;
    // Small frames go through the ring, frames above 16 KiB are posted: one turn mixes
    // them, and the worker must see them in the order they were sent.
    let sizes = [10, 20_000, 10, 10, 30_000, 10, 20_000, 20_000, 10];
    let calls: Vec<_> = sizes.iter().map(|&n| task.call::<ArrivalOrder>(vec![1; n])).collect();
    let order = futures_util::future::join_all(calls).await;
    assert_eq!(order, (0..sizes.len() as u32).map(Ok).collect::<Vec<_>>());
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_worker_polling_its_ring_between_calls_still_runs_its_event_loop() {
    use futures_util::StreamExt;
    // A worker that has just served polls its ring for a moment before it sleeps, so
    // calls that follow closely find it awake. A steady stream of them (eight in
    // flight, each replaced as it ends) must still leave its event loop turns, or a
    // handler waiting on a timer would wait for the stream to end.
    let (_runtime, task) = ready_singleton(RuntimeOptions::new(), 9).await;
    let nap = task.call::<Nap>(5.0);
    futures_util::pin_mut!(nap);
    let mut stream = futures_util::stream::FuturesUnordered::new();
    let mut sent = 0u64;
    let napped = loop {
        while stream.len() < 8 {
            let n = sent;
            let task = task.clone();
            stream.push(async move { (n, task.call::<Sum>(vec![n]).await) });
            sent += 1;
        }
        if let Some(done) = futures_util::FutureExt::now_or_never(&mut nap) {
            break done;
        }
        assert!(
            sent < 200_000,
            "the napping call never finished while calls streamed in"
        );
        let (n, result) = stream.next().await.unwrap();
        assert_eq!(result, Ok((n, 0)));
    };
    assert_eq!(napped, Ok(()));
    task.dispose();
}

/// The ready handshake as a text frame: variant 0 of the worker's envelope (a `u32`).
const READY: &str = r#""\u0000\u0000\u0000\u0000""#;

/// A `blob:` URL of a stand-in worker script that says it is ready ([`READY`]), then
/// answers each frame with `reply`, a JS string expression.
fn stand_in_worker(reply: &str) -> String {
    let script = format!(
        r#"self.onmessage = (e) => {{
          if (typeof e.data !== "string") {{ self.postMessage({READY}); return; }}
          self.postMessage({reply});
        }};"#
    );
    blob_url(&script)
}

/// A `blob:` URL of the JavaScript `script`.
fn blob_url(script: &str) -> String {
    let parts = js_sys::Array::of1(&JsValue::from_str(script));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).unwrap();
    web_sys::Url::create_object_url_with_blob(&blob).unwrap()
}

#[wasm_bindgen_test]
async fn plain_rust_payloads_of_every_size_round_trip_through_a_real_worker() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers"));
    // Small (inside the frame), 64 KiB and up (in blocks beside it), and 32 MiB.
    for size in [0, 1_000, 64 * 1024, 1 << 20, 32 << 20] {
        let bytes: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
        assert!(task.call::<EchoBytes>(bytes.clone()).await == Ok(bytes), "{size} bytes");
    }
    for size in [100, 256 * 1024] {
        let picture = Picture::of(size);
        let mut expected = picture.clone();
        expected.pixels.iter_mut().for_each(|p| *p = !*p);
        assert_eq!(task.call::<InvertPicture>(picture).await, Ok(expected), "{size} pixels");
    }
    task.dispose();
}

/// A stand-in worker's answer to the first call: `Done` (variant 1) for call 0,
/// attempt 1, then `payload`, all as a text frame of one character per byte.
fn done_then(payload: &[u8]) -> String {
    let mut frame = vec![1, 0, 0, 0];
    frame.extend(0u64.to_le_bytes());
    frame.extend(1u32.to_le_bytes());
    frame.extend(payload);
    let chars: String = frame.iter().map(|b| format!("\\u{b:04x}")).collect();
    format!("\"{chars}\"")
}

#[wasm_bindgen_test]
async fn answers_cut_padded_or_missing_their_block_are_decode_errors_not_values() {
    let sum = |s: u64| {
        let mut bytes = s.to_le_bytes().to_vec();
        bytes.extend(0u64.to_le_bytes());
        bytes
    };
    let cut = sum(6)[..3].to_vec();
    let mut padded = sum(6);
    padded.push(0);
    // A block of 64 Ki bytes, index 0, with nothing attached.
    let mut missing_block = (65_536u32 | 1 << 31).to_le_bytes().to_vec();
    missing_block.extend(0u32.to_le_bytes());
    for (what, payload) in [("cut", cut), ("padded", padded), ("missing its block", missing_block)] {
        let url = stand_in_worker(&done_then(&payload));
        let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers").bootstrap_url(url));
        let result = if what == "missing its block" {
            task.call::<EchoBytes>(vec![1]).await.map(|_| ())
        } else {
            task.call::<Sum>(vec![1]).await.map(|_| ())
        };
        assert!(
            matches!(
                result,
                Err(TaskError::Decode {
                    side: leptos_atelier::PayloadSide::Output,
                    ..
                })
            ),
            "{what}: {result:?}"
        );
        task.dispose();
    }
}

#[wasm_bindgen_test]
async fn a_worker_answering_a_malformed_batch_is_a_protocol_error_not_a_hang() {
    // A batch whose second frame claims more bytes than follow.
    let url = stand_in_worker(r#""\u00ff\u0000\u0001\u0001\u0000\u0009ab""#);
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers").bootstrap_url(url));
    match task.call::<Sum>(vec![1]).await {
        Err(TaskError::Protocol { message, .. }) => assert!(message.contains("unexpected message"), "{message}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_worker_sending_a_shared_memory_channel_that_is_not_one_is_a_protocol_error_not_a_hang() {
    // Says it is ready, then offers a "channel" of the wrong size and answers nothing
    // by message (as if it wrote its replies to that channel).
    let script = r#"self.onmessage = () => {
      self.onmessage = () => {};
      self.postMessage({ channel: new SharedArrayBuffer(16) });
      self.postMessage("\u0000\u0000\u0000\u0000");
    };"#;
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers").bootstrap_url(blob_url(script)));
    match task.call::<Sum>(vec![1]).await {
        Err(TaskError::Protocol { message, .. }) => assert!(message.contains("shared-memory channel"), "{message}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    task.dispose();
}

#[wasm_bindgen_test]
async fn a_worker_answering_text_that_is_not_one_byte_per_character_is_a_protocol_error() {
    // A frame is one character per byte: U+0100 cannot be one.
    let url = stand_in_worker(r#""\u0001\u0100""#);
    let (_runtime, task) = runtime_with(TaskConfig::singleton("test_workers").bootstrap_url(url));
    match task.call::<Sum>(vec![1]).await {
        Err(TaskError::Protocol { message, .. }) => assert!(message.contains("unexpected message"), "{message}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    task.dispose();
}

/// Declared with the macros: a method written as an `async fn` and the entry that
/// serves it, exported under its snake-case name through the crate's own wasm-bindgen.
#[leptos_atelier::task_method]
async fn triple(n: u32) -> Result<u32, leptos_atelier::HandlerError> {
    Ok(n * 3)
}

leptos_atelier::worker_entry!(pub MacroWorkers = [triple]);

#[wasm_bindgen_test]
async fn an_entry_declared_with_the_macros_serves_its_methods_in_a_real_worker() {
    let (_runtime, task) = runtime_with(TaskConfig::singleton(MacroWorkers));
    assert_eq!(task.call::<triple>(14).await, Ok(42));
    task.dispose();
}
