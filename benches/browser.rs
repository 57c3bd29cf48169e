//! Browser benchmarks: the runtime against raw `postMessage`, side by side in one run
//! of headless Chromium. Not a test: every case is `#[ignore]`d and prints ratios; run
//! them with `cargo xtask bench-web` (a release build).
//!
//! Baselines are plain JavaScript: a module worker that echoes what it receives, driven
//! by a JS loop, so they carry no cost of this crate and none of Rust. The 16 MiB
//! benchmark also reports a hand-written Rust loop posting to the same echo worker:
//! what driving a worker from wasm costs without the runtime.

#![cfg(target_arch = "wasm32")]

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use js_sys::{ArrayBuffer, Function, Promise, Reflect};
use leptos_atelier::{
    HandlerError, InitMode, Registry, RuntimeOptions, SpanMode, Task, TaskCall, TaskConfig, TaskContext, TaskMethod,
    TaskRuntime, Transfer, WorkerState, hardware_concurrency, serve,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

struct Noop;
impl TaskMethod for Noop {
    const NAME: &'static str = "noop";
    type Input = u32;
    type Output = u32;
    async fn run(n: u32, _: TaskContext) -> Result<u32, HandlerError> {
        Ok(n)
    }
}

/// Hands a transferred buffer straight back.
struct Bounce;
impl TaskMethod for Bounce {
    const NAME: &'static str = "bounce";
    type Input = Transfer<ArrayBuffer>;
    type Output = Transfer<ArrayBuffer>;
    async fn run(buffer: Transfer<ArrayBuffer>, _: TaskContext) -> Result<Transfer<ArrayBuffer>, HandlerError> {
        Ok(buffer)
    }
}

/// Hands serialized bytes straight back.
struct EchoBytes;
impl TaskMethod for EchoBytes {
    const NAME: &'static str = "echo_bytes";
    type Input = Vec<u8>;
    type Output = Vec<u8>;
    async fn run(bytes: Vec<u8>, _: TaskContext) -> Result<Vec<u8>, HandlerError> {
        Ok(bytes)
    }
}

/// Hands serialized floats straight back.
struct EchoFloats;
impl TaskMethod for EchoFloats {
    const NAME: &'static str = "echo_floats";
    type Input = Vec<f32>;
    type Output = Vec<f32>;
    async fn run(floats: Vec<f32>, _: TaskContext) -> Result<Vec<f32>, HandlerError> {
        Ok(floats)
    }
}

/// A small record of strings and numbers, as an app's list rows would be.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Record {
    id: u32,
    name: String,
    email: String,
    score: f64,
    active: bool,
}

/// Hands records straight back.
struct EchoRecords;
impl TaskMethod for EchoRecords {
    const NAME: &'static str = "echo_records";
    type Input = Vec<Record>;
    type Output = Vec<Record>;
    async fn run(records: Vec<Record>, _: TaskContext) -> Result<Vec<Record>, HandlerError> {
        Ok(records)
    }
}

/// The records of the payload benchmark; the JS baseline builds the same objects.
fn records(count: u32) -> Vec<Record> {
    (0..count)
        .map(|id| Record {
            id,
            name: format!("user {id}"),
            email: format!("user{id}@example.com"),
            score: f64::from(id) * 1.5,
            active: id % 3 == 0,
        })
        .collect()
}

/// CPU-bound: counts the primes below its input by trial division.
struct CountPrimes;
impl TaskMethod for CountPrimes {
    const NAME: &'static str = "count_primes";
    type Input = u32;
    type Output = u32;
    async fn run(below: u32, _: TaskContext) -> Result<u32, HandlerError> {
        let is_prime = |n: u32| n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d));
        Ok((0..below).filter(|&n| is_prime(n)).count() as u32)
    }
}

/// Yields `n` times through [`TaskContext::checkpoint`]; answers how long that took
/// (ms, on the worker's clock).
struct Checkpoints;
impl TaskMethod for Checkpoints {
    const NAME: &'static str = "checkpoints";
    type Input = u32;
    type Output = f64;
    async fn run(n: u32, cx: TaskContext) -> Result<f64, HandlerError> {
        let start = now();
        for _ in 0..n {
            cx.checkpoint().await?;
        }
        Ok(now() - start)
    }
}

/// Yields `n` times as plain JavaScript in the worker would, through `yield_kind`
/// (`"channel"`: a message on a `MessageChannel` of its own; `"timeout"`: a
/// `setTimeout(0)`), each awaited; answers how long that took (ms).
struct JsYields;
impl TaskMethod for JsYields {
    const NAME: &'static str = "js_yields";
    type Input = (String, u32);
    type Output = f64;
    async fn run((yield_kind, n): (String, u32), _: TaskContext) -> Result<f64, HandlerError> {
        let yields = Function::new_with_args(
            "kind, n",
            r#"return (async () => {
              const channel = new MessageChannel();
              const next = kind === "channel"
                ? () => new Promise((resolve) => { channel.port1.onmessage = resolve; channel.port2.postMessage(null); })
                : () => new Promise((resolve) => setTimeout(resolve, 0));
              const t = performance.now();
              for (let i = 0; i < n; i++) await next();
              const elapsed = performance.now() - t;
              channel.port1.close();
              return elapsed;
            })();"#,
        );
        let promise: Promise = yields
            .call2(&JsValue::NULL, &JsValue::from_str(&yield_kind), &JsValue::from(n))
            .map_err(|e| HandlerError::new(format!("{e:?}")))?
            .unchecked_into();
        let elapsed = JsFuture::from(promise)
            .await
            .map_err(|e| HandlerError::new(format!("{e:?}")))?;
        Ok(elapsed.as_f64().unwrap_or(f64::NAN))
    }
}

#[wasm_bindgen]
pub fn bench_workers() {
    serve(
        Registry::new()
            .method::<Noop>()
            .method::<Bounce>()
            .method::<EchoBytes>()
            .method::<CountPrimes>()
            .method::<Checkpoints>()
            .method::<JsYields>()
            .method::<EchoFloats>()
            .method::<EchoRecords>(),
    );
}

/// The JS baselines, as one object of async functions.
const BASELINES: &str = r#"
// Echoes a message, transferring back what came transferred: a bare buffer, or the
// buffer of a [frame, buffer] pair.
const echo = `self.onmessage = (e) => {
  const d = e.data;
  const b = d instanceof ArrayBuffer ? d : Array.isArray(d) ? d[1] : undefined;
  self.postMessage(d, b instanceof ArrayBuffer ? [b] : []);
};`;
const echoUrl = URL.createObjectURL(new Blob([echo], { type: "text/javascript" }));
const spawn = () => new Worker(echoUrl, { type: "module" });
// One echo worker for every round of the ping baselines, as the runtime keeps its
// task's worker: tearing a worker down per round would load the machine while the
// other side's round runs.
const echoWorker = () => (globalThis.__atelierBenchEcho ??= spawn());
const roundTrip = (w, value, transfer) => new Promise((resolve) => {
  w.onmessage = (e) => resolve(e.data);
  w.postMessage(value, transfer);
});
return {
  echoWorker,
  async pingPong(n) {
    const w = echoWorker();
    for (let i = 0; i < 200; i++) await roundTrip(w, i, []);
    // Timed as a whole: performance.now() is coarsened to 0.1 ms in pages that are
    // not cross-origin isolated, too coarse for single round trips.
    const t = performance.now();
    for (let i = 0; i < n; i++) await roundTrip(w, i, []);
    return (performance.now() - t) / n;
  },
  async transferPing(bytes, n) {
    const w = echoWorker();
    // One buffer for every round of every side, parked here between rounds: a fresh
    // 16 MiB buffer per round would leave garbage whose collection lands on whichever
    // side runs next, and each buffer more parked on the page makes V8 collect
    // garbage more often on every side (with three, on nearly every trip).
    let buffer = globalThis.__atelierBenchBuffer;
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength !== bytes) buffer = new ArrayBuffer(bytes);
    for (let i = 0; i < 3; i++) buffer = await roundTrip(w, buffer, [buffer]);
    const t = performance.now();
    for (let i = 0; i < n; i++) buffer = await roundTrip(w, buffer, [buffer]);
    const perTrip = (performance.now() - t) / n;
    globalThis.__atelierBenchBuffer = buffer;
    return perTrip;
  },
  async throughput(total, inFlight, workers) {
    const ws = Array.from({ length: workers }, spawn);
    await Promise.all(ws.map((w) => roundTrip(w, 0, [])));
    return await new Promise((resolve) => {
      let sent = 0, done = 0;
      const t = performance.now();
      const send = (w) => { if (sent < total) { w.postMessage(sent++); } };
      ws.forEach((w) => {
        w.onmessage = () => {
          done++;
          if (done === total) { ws.forEach((x) => x.terminate()); resolve(total / ((performance.now() - t) / 1000)); }
          else send(w);
        };
      });
      for (let i = 0; i < inFlight; i++) send(ws[i % workers]);
    });
  },
  // Round trips of a value copied both ways by structured clone (the echo worker
  // transfers nothing back for anything but an ArrayBuffer): what a JS app pays to
  // move its data to a worker and back.
  async cloneTrip(kind, n) {
    const w = echoWorker();
    const value = kind === "bytes16" ? new Uint8Array(16 << 20).fill(7)
      : kind === "floats4m" ? new Float32Array(4 << 20).fill(1.5)
      : kind === "kib" ? new Uint8Array(1024).fill(7)
      : Array.from({ length: 10000 }, (_, id) => ({
          id, name: `user ${id}`, email: `user${id}@example.com`, score: id * 1.5, active: id % 3 === 0,
        }));
    for (let i = 0; i < Math.min(n, 3); i++) await roundTrip(w, value, []);
    const t = performance.now();
    for (let i = 0; i < n; i++) await roundTrip(w, value, []);
    return (performance.now() - t) / n;
  },
  async coldStart(glueUrl, uncached) {
    // The wasm next to the glue, fetched and compiled by the worker itself. Chromium
    // keeps compiled modules per process, keyed by their bytes, so a worker compiling
    // the page's own bundle is served from that cache; with `uncached` the worker
    // appends a fresh custom section first, so that it really compiles (as with a
    // bundle the page has not compiled, or an evicted cache).
    const wasmUrl = glueUrl.replace(/\.js$/, "") + "_bg.wasm";
    const tag = `${Date.now()}-${Math.random()}`;
    const script = `try { const glue = await import(${JSON.stringify(glueUrl)});
      let source = ${JSON.stringify(wasmUrl)};
      if (${uncached}) {
        const bytes = new Uint8Array(await (await fetch(source)).arrayBuffer());
        const name = new TextEncoder().encode(${JSON.stringify(tag)});
        const section = new Uint8Array(bytes.length + 3 + name.length);
        section.set(bytes);
        section.set([0, name.length + 1, name.length], bytes.length);
        section.set(name, bytes.length + 3);
        source = await WebAssembly.compile(section);
      }
      await glue.default({ module_or_path: source }); self.postMessage("ready"); }
      catch (e) { self.postMessage("failed: " + (e && e.stack ? e.stack : e)); }`;
    const url = URL.createObjectURL(new Blob([script], { type: "text/javascript" }));
    const t = performance.now();
    const w = new Worker(url, { type: "module" });
    const answer = await new Promise((resolve) => {
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => resolve("failed: " + e.message);
    });
    if (answer !== "ready") throw new Error(answer);
    const elapsed = performance.now() - t;
    w.terminate();
    return elapsed;
  },
};
"#;

fn baselines() -> JsValue {
    Function::new_no_args(BASELINES)
        .call0(&JsValue::NULL)
        .expect("the baselines load")
}

/// Calls baseline `name` with `args` and awaits its number.
async fn baseline(name: &str, args: Vec<JsValue>) -> f64 {
    let object = baselines();
    let function: Function = Reflect::get(&object, &name.into()).unwrap().unchecked_into();
    let promise: Promise = function
        .apply(&object, &args.iter().collect::<js_sys::Array>())
        .unwrap()
        .unchecked_into();
    match JsFuture::from(promise).await {
        Ok(value) => value.as_f64().expect("a baseline answers a number"),
        Err(error) => panic!("baseline {name} failed: {error:?}"),
    }
}

fn now() -> f64 {
    let performance = Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let now: Function = Reflect::get(&performance, &"now".into()).unwrap().unchecked_into();
    now.call0(&performance).unwrap().as_f64().unwrap()
}

/// Waits `ms` on the page's clock.
#[cfg(feature = "devtools")]
async fn sleep(ms: f64) {
    let promise = Promise::new(&mut |resolve, _| {
        let set_timeout: Function = Reflect::get(&js_sys::global(), &"setTimeout".into())
            .unwrap()
            .unchecked_into();
        let _ = set_timeout.call2(&JsValue::NULL, &resolve, &ms.into());
    });
    let _ = JsFuture::from(promise).await;
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn report(line: &str) {
    web_sys::console::log_1(&JsValue::from_str(&format!("bench: {line}")));
}

/// A quiet runtime (no spans) and a task on it.
fn task(config: TaskConfig) -> (TaskRuntime, Task) {
    task_with(RuntimeOptions::new(), config)
}

/// A runtime with `options` and spans off, and a task on it.
fn task_with(options: RuntimeOptions, config: TaskConfig) -> (TaskRuntime, Task) {
    let runtime = TaskRuntime::new_with_options(options.spans(SpanMode::Off));
    let task = runtime.define(config).unwrap();
    (runtime, task)
}

/// How many times each comparison is repeated, alternating the runtime and the
/// baseline; the report gives the median of the per-round ratios, which a noisy
/// machine moves far less than either figure alone.
const ROUNDS: usize = 7;

/// Runs `ours` and `raw` alternately [`ROUNDS`] times: the median of each, and the
/// median of the ratios `ours / raw`.
async fn side_by_side<O, R, OF, RF>(mut ours: O, mut raw: R) -> (f64, f64, f64)
where
    O: FnMut() -> OF,
    R: FnMut() -> RF,
    OF: std::future::Future<Output = f64>,
    RF: std::future::Future<Output = f64>,
{
    let (mut a, mut b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let x = ours().await;
        let y = raw().await;
        a.push(x);
        b.push(y);
        ratios.push(x / y);
    }
    (median(a), median(b), median(ratios))
}

#[wasm_bindgen_test]
#[ignore = "benchmark: cargo xtask bench-web"]
async fn bench_round_trip_of_a_no_op_call() {
    const CALLS: usize = 5_000;
    // The bench page is cross-origin isolated, so by default frames go through shared
    // memory; the second runtime posts every frame, as in a page that is not.
    let (_shared_runtime, shared) = task_with(RuntimeOptions::new(), TaskConfig::singleton("bench_workers"));
    let (_posting_runtime, posting) = task_with(
        RuntimeOptions::new().shared_memory(false),
        TaskConfig::singleton("bench_workers"),
    );
    for task in [&shared, &posting] {
        for i in 0..200 {
            task.call::<Noop>(i).await.unwrap();
        }
    }
    // Timed as a whole, like the baseline.
    let ours = |task: &Task| {
        let task = task.clone();
        async move {
            let start = now();
            for i in 0..CALLS as u32 {
                task.call::<Noop>(i).await.unwrap();
            }
            (now() - start) / CALLS as f64
        }
    };
    let raw = || baseline("pingPong", vec![(CALLS as f64).into()]);
    let (ours_shared, raw_a, ratio) = side_by_side(|| ours(&shared), raw).await;
    let (ours_posting, raw_b, ratio_posting) = side_by_side(|| ours(&posting), raw).await;
    report(&format!(
        "no-op round trip ({CALLS} sequential calls x {ROUNDS}): runtime {:.1} µs, raw postMessage {:.1} µs: {ratio:.2}x \
         (target <= 1.3x); with shared_memory(false) {:.1} µs vs {:.1} µs: {ratio_posting:.2}x (target <= 1.3x)",
        ours_shared * 1e3,
        raw_a * 1e3,
        ours_posting * 1e3,
        raw_b * 1e3,
    ));
    shared.dispose();
    posting.dispose();
}

#[wasm_bindgen_test]
#[ignore = "benchmark: cargo xtask bench-web"]
async fn bench_checkpoint_in_a_worker() {
    const YIELDS: u32 = 2_000;
    // setTimeout(0) is clamped to 4 ms once chained: fewer of them are enough.
    const TIMEOUT_YIELDS: u32 = 100;
    let (_runtime, task) = task(TaskConfig::singleton("bench_workers"));
    let js = |kind: &str, n: u32| task.call::<JsYields>((kind.to_owned(), n));
    task.call::<Checkpoints>(100).await.unwrap();
    js("channel", 100).await.unwrap();
    let ours = || async { task.call::<Checkpoints>(YIELDS).await.unwrap() / f64::from(YIELDS) };
    let raw = || async { js("channel", YIELDS).await.unwrap() / f64::from(YIELDS) };
    let (ours_ms, raw_ms, ratio) = side_by_side(ours, raw).await;
    let timeout_ms = js("timeout", TIMEOUT_YIELDS).await.unwrap() / f64::from(TIMEOUT_YIELDS);
    report(&format!(
        "checkpoint() in a worker ({YIELDS} yields x {ROUNDS}): {:.1} µs, a plain-JS MessageChannel yield {:.1} µs: \
         {ratio:.2}x (target <= 1.5x and <= 100 µs); a chained setTimeout(0), for reference: {:.0} µs",
        ours_ms * 1e3,
        raw_ms * 1e3,
        timeout_ms * 1e3,
    ));
    task.dispose();
}

#[wasm_bindgen_test]
#[ignore = "benchmark: cargo xtask bench-web"]
async fn bench_payloads_as_plain_rust_values() {
    let (_runtime, task) = task(TaskConfig::singleton("bench_workers"));
    // Each line: the runtime's round trip of a plain Rust value (encoded, posted, decoded
    // and back) against a plain-JS round trip of the same data by structured clone.
    // The inputs are copied before the clock starts (a call takes its input by value;
    // structured clone leaves the JS value where it was), and the answers dropped after.
    async fn trips<T: Clone + serde::de::DeserializeOwned>(
        n: usize,
        value: &T,
        call: impl Fn(T) -> TaskCall<T>,
    ) -> f64 {
        let inputs: Vec<T> = (0..n).map(|_| value.clone()).collect();
        let mut answers = Vec::with_capacity(n);
        let start = now();
        for input in inputs {
            answers.push(call(input).await.unwrap());
        }
        let elapsed = now() - start;
        drop(answers);
        elapsed / n as f64
    }
    let bytes = vec![7u8; 16 << 20];
    let floats = vec![1.5f32; 4 << 20];
    let rows = records(10_000);
    let kib = vec![7u8; 1024];
    let echo_bytes = |b| task.call::<EchoBytes>(b);
    let echo_floats = |f| task.call::<EchoFloats>(f);
    let echo_records = |r| task.call::<EchoRecords>(r);
    // Warm up both sides of every line.
    trips(2, &bytes, echo_bytes).await;
    trips(2, &floats, echo_floats).await;
    trips(2, &rows, echo_records).await;
    trips(200, &kib, echo_bytes).await;
    let clone = |kind: &'static str, n: usize| baseline("cloneTrip", vec![kind.into(), (n as f64).into()]);
    let lines = [
        ("16 MiB Vec<u8> vs a 16 MiB Uint8Array", 5, "bytes16", 0.5),
        ("4 M f32 Vec<f32> vs a 4 M Float32Array", 5, "floats4m", 0.5),
        (
            "10,000 records (strings and numbers) vs the same JS objects",
            20,
            "records",
            1.0,
        ),
        ("1 KiB Vec<u8> vs a 1 KiB Uint8Array", 2_000, "kib", 1.3),
    ];
    for (what, n, kind, target) in lines {
        let ours = || async {
            match kind {
                "bytes16" => trips(n, &bytes, echo_bytes).await,
                "floats4m" => trips(n, &floats, echo_floats).await,
                "records" => trips(n, &rows, echo_records).await,
                _ => trips(n, &kib, echo_bytes).await,
            }
        };
        let (ours_ms, clone_ms, ratio) = side_by_side(ours, || clone(kind, n)).await;
        let verdict = if ratio <= target { "met" } else { "MISSED" };
        report(&format!(
            "payload round trip, {what} ({n} trips x {ROUNDS}): runtime {ours_ms:.3} ms, JS structured clone \
             {clone_ms:.3} ms: {ratio:.2}x (target <= {target}x: {verdict})"
        ));
    }
    task.dispose();
}

#[wasm_bindgen_test]
#[ignore = "benchmark: cargo xtask bench-web"]
async fn bench_16_mib_round_trip() {
    const BYTES: u32 = 16 << 20;
    // 200 trips (about 30 ms) per round let one stall swing a round's figure by 2x;
    // 2,000 keep rounds within about ±15 %.
    const TRIPS: usize = 2_000;
    let (_runtime, task) = task(TaskConfig::singleton("bench_workers"));
    // Like the baseline, each side takes the page's one buffer, sends it back and
    // forth, and parks it again; nothing else is allocated.
    let ours = || async {
        let (per_trip, buffer) = time_trips(take_parked_buffer(BYTES), TRIPS, |buffer| bounce(&task, buffer)).await;
        park_buffer(buffer);
        per_trip
    };
    let raw = || baseline("transferPing", vec![BYTES.into(), (TRIPS as f64).into()]);
    let hand_written = || async {
        let (per_trip, buffer) = hand_written_pings(take_parked_buffer(BYTES), TRIPS).await;
        park_buffer(buffer);
        per_trip
    };
    let (transfer, raw_ms, ratio) = side_by_side(ours, raw).await;
    let (_, _, hand_ratio) = side_by_side(hand_written, raw).await;
    // The buffer came home whole from every side.
    assert_eq!(parked_buffer().map(|buffer| buffer.byte_length()), Some(BYTES));
    let bytes = vec![7u8; BYTES as usize];
    let mut times = Vec::new();
    for _ in 0..3 {
        let start = now();
        let back = task.call::<EchoBytes>(bytes.clone()).await.unwrap();
        times.push(now() - start);
        assert_eq!(back.len(), bytes.len());
    }
    let serialized = median(times);
    report(&format!(
        "16 MiB round trip ({TRIPS} trips x {ROUNDS}): Transfer<ArrayBuffer> {transfer:.3} ms, raw transfer ping \
         {raw_ms:.3} ms: {ratio:.2}x (target <= 1.5x); a hand-written wasm loop posting [frame, buffer] itself: \
         {hand_ratio:.2}x; the same bytes as a serialized Vec<u8>: {serialized:.0} ms"
    ));
    task.dispose();
}

/// Sends `buffer` to the worker and back through the runtime.
async fn bounce(task: &Task, buffer: ArrayBuffer) -> ArrayBuffer {
    task.call::<Bounce>(Transfer::new(buffer)).await.unwrap().into_inner()
}

/// Where the 16 MiB benchmark's one buffer waits between rounds (the JS baseline
/// keeps it there too).
const PARKED_BUFFER: &str = "__atelierBenchBuffer";

/// The parked buffer, if one is parked.
fn parked_buffer() -> Option<ArrayBuffer> {
    Reflect::get(&js_sys::global(), &PARKED_BUFFER.into())
        .ok()
        .and_then(|buffer| buffer.dyn_into::<ArrayBuffer>().ok())
}

/// Takes the parked buffer (a new one if none of `bytes` is parked).
fn take_parked_buffer(bytes: u32) -> ArrayBuffer {
    let parked = parked_buffer().filter(|buffer| buffer.byte_length() == bytes);
    Reflect::set(&js_sys::global(), &PARKED_BUFFER.into(), &JsValue::UNDEFINED).unwrap();
    parked.unwrap_or_else(|| ArrayBuffer::new(bytes))
}

/// Sends `buffer` on `trips` round trips with `trip`, after three untimed ones:
/// milliseconds per trip, and the buffer back.
async fn time_trips<F, T>(mut buffer: ArrayBuffer, trips: usize, mut trip: T) -> (f64, ArrayBuffer)
where
    T: FnMut(ArrayBuffer) -> F,
    F: std::future::Future<Output = ArrayBuffer>,
{
    for _ in 0..3 {
        buffer = trip(buffer).await;
    }
    let start = now();
    for _ in 0..trips {
        buffer = trip(buffer).await;
    }
    ((now() - start) / trips as f64, buffer)
}

fn park_buffer(buffer: ArrayBuffer) {
    Reflect::set(&js_sys::global(), &PARKED_BUFFER.into(), &buffer).unwrap();
}

/// What a wasm caller costs without the runtime: `trips` round trips of `buffer`,
/// each posting `[frame, buffer]` by hand to the baselines' echo worker and awaiting
/// the echo through a oneshot channel. Milliseconds per trip, and the buffer.
async fn hand_written_pings(buffer: ArrayBuffer, trips: usize) -> (f64, ArrayBuffer) {
    use futures_channel::oneshot;
    use std::cell::RefCell;
    use std::rc::Rc;

    let object = baselines();
    let echo_worker: Function = Reflect::get(&object, &"echoWorker".into()).unwrap().unchecked_into();
    let worker: web_sys::Worker = echo_worker.call0(&object).unwrap().unchecked_into();
    let waiting: Rc<RefCell<Option<oneshot::Sender<JsValue>>>> = Rc::default();
    let on_message = {
        let waiting = waiting.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(reply) = waiting.borrow_mut().take() {
                let _ = reply.send(event.data());
            }
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // About as long as the runtime's call frame.
    let frame = JsValue::from_str("\u{1}call 17 attempt 1 bounce");
    let trip = |buffer: ArrayBuffer| {
        let (reply, echoed) = oneshot::channel();
        waiting.borrow_mut().replace(reply);
        let message = js_sys::Array::of2(&frame, &buffer);
        worker
            .post_message_with_transfer(&message, &js_sys::Array::of1(&buffer))
            .unwrap();
        async move {
            let message: js_sys::Array = echoed.await.unwrap().unchecked_into();
            message.get(1).unchecked_into::<ArrayBuffer>()
        }
    };
    let timed = time_trips(buffer, trips, trip).await;
    worker.set_onmessage(None);
    timed
}

/// Milliseconds from asking for a worker to its ready handshake.
async fn time_to_ready(runtime: &TaskRuntime, task_id: &str) -> f64 {
    let (ready, is_ready) = futures_channel::oneshot::channel::<()>();
    let ready = std::cell::RefCell::new(Some(ready));
    let id = task_id.to_owned();
    let _watch = runtime.subscribe(move |snapshot| {
        let up = snapshot
            .task(&id)
            .is_some_and(|t| t.workers.iter().all(|w| w.state == WorkerState::Ready));
        if up && let Some(ready) = ready.borrow_mut().take() {
            let _ = ready.send(());
        }
    });
    let start = now();
    let task = runtime
        .define(
            TaskConfig::singleton("bench_workers")
                .task_id(task_id)
                .init(InitMode::Eager),
        )
        .unwrap();
    is_ready.await.unwrap();
    let elapsed = now() - start;
    task.dispose();
    elapsed
}

#[wasm_bindgen_test]
#[ignore = "benchmark: cargo xtask bench-web"]
async fn bench_worker_start() {
    let runtime = TaskRuntime::new_with_options(RuntimeOptions::new().spans(SpanMode::Off));
    let round = std::cell::Cell::new(0);
    let compiling = || baseline("coldStart", vec![leptos_atelier::glue_url().into(), true.into()]);
    let (ours, compiled, ratio) = side_by_side(ours_again(&runtime, &round), compiling).await;
    let cached = || baseline("coldStart", vec![leptos_atelier::glue_url().into(), false.into()]);
    let (_, cached, cached_ratio) = side_by_side(ours_again(&runtime, &round), cached).await;
    // With a spare: each round's worker is the spare the previous start left.
    let spares = TaskRuntime::new_with_options(RuntimeOptions::new().spans(SpanMode::Off).spare_workers(1));
    time_to_ready(&spares, "first").await;
    let (spare, compiled_again, spare_ratio) = side_by_side(ours_again(&spares, &round), compiling).await;
    report(&format!(
        "worker start (x {ROUNDS}): a second worker with RuntimeOptions::spare_workers(1) {spare:.1} ms, a worker \
         that compiles the bundle itself {compiled_again:.1} ms: {spare_ratio:.2}x (target <= 0.3x); without \
         spares (cold start, compiled module handed over) {ours:.1} ms vs {compiled:.1} ms: {ratio:.2}x (no \
         target), vs a worker loading the page's own bundle from Chromium's compiled-module cache {cached:.1} ms: \
         {cached_ratio:.2}x (no target)"
    ));
}

/// [`time_to_ready`] for a fresh task id each round.
fn ours_again<'a>(
    runtime: &'a TaskRuntime,
    round: &'a std::cell::Cell<u32>,
) -> impl FnMut() -> std::pin::Pin<Box<dyn std::future::Future<Output = f64> + 'a>> {
    move || {
        round.set(round.get() + 1);
        let id = format!("start-{}", round.get());
        Box::pin(async move { time_to_ready(runtime, &id).await })
    }
}

#[wasm_bindgen_test]
#[ignore = "benchmark: cargo xtask bench-web"]
async fn bench_throughput_of_no_op_calls() {
    const CALLS: u32 = 20_000;
    const IN_FLIGHT: usize = 16;
    let config = TaskConfig::parallel("bench_workers")
        .pool_size(2)
        .max_in_flight(IN_FLIGHT)
        .max_queue_depth(IN_FLIGHT)
        .init(InitMode::Eager);
    let (_runtime, task) = task(config);
    // Warm up both workers.
    let warm: FuturesUnordered<_> = (0..64).map(|i| task.call::<Noop>(i)).collect();
    warm.collect::<Vec<_>>().await;
    let ours = || async {
        let start = now();
        let mut running = FuturesUnordered::new();
        let mut sent = 0;
        while sent < IN_FLIGHT as u32 {
            running.push(task.call::<Noop>(sent));
            sent += 1;
        }
        while let Some(result) = running.next().await {
            result.unwrap();
            if sent < CALLS {
                running.push(task.call::<Noop>(sent));
                sent += 1;
            }
        }
        f64::from(CALLS) / ((now() - start) / 1000.0)
    };
    let raw = || {
        baseline(
            "throughput",
            vec![f64::from(CALLS).into(), (IN_FLIGHT as f64).into(), 2.0.into()],
        )
    };
    let (ours, raw, ratio) = side_by_side(ours, raw).await;
    report(&format!(
        "throughput ({CALLS} no-op calls, {IN_FLIGHT} in flight, 2 workers, x {ROUNDS}): runtime {ours:.0}/s, raw \
         postMessage {raw:.0}/s: {ratio:.2}x (target >= 0.7x)"
    ));
    task.dispose();
}

/// Milliseconds to count primes in `jobs` chunks on a pool of `pool` workers.
async fn batch(pool: usize, jobs: u32) -> f64 {
    let config = TaskConfig::parallel("bench_workers")
        .pool_size(pool)
        .max_queue_depth(jobs as usize)
        .init(InitMode::Eager);
    let (runtime, task) = task(config);
    // Start the workers and warm them up before timing.
    let warm: FuturesUnordered<_> = (0..pool as u32).map(|_| task.call::<CountPrimes>(1_000)).collect();
    warm.collect::<Vec<_>>().await;
    let start = now();
    let calls: FuturesUnordered<_> = (0..jobs).map(|_| task.call::<CountPrimes>(400_000)).collect();
    let counts: Vec<_> = calls.collect().await;
    let elapsed = now() - start;
    assert!(counts.iter().all(|c| *c == Ok(33_860)), "prime counts are right");
    task.dispose();
    drop(runtime);
    elapsed
}

#[wasm_bindgen_test]
#[ignore = "benchmark: cargo xtask bench-web"]
async fn bench_cpu_bound_batch_scaling() {
    let cores = hardware_concurrency();
    let jobs = 8 * cores as u32;
    let one = batch(1, jobs).await;
    let all = batch(cores, jobs).await;
    let speedup = one / all;
    report(&format!(
        "CPU-bound batch of {jobs} jobs: pool 1 {one:.0} ms, pool {cores} (cores) {all:.0} ms: speed-up {speedup:.2}x = \
         {:.2} x cores (target >= 0.85 x cores)",
        speedup / cores as f64
    ));
}

/// A runtime provided by a mounted Leptos app (spans off) with a task of one worker on
/// it; the app renders `<RuntimeDevtools/>` (closed) when `devtools` is set, nothing
/// otherwise.
#[cfg(feature = "devtools")]
fn mounted_app(devtools: bool) -> Task {
    use leptos::prelude::*;
    let slot = StoredValue::new_local(None::<Task>);
    leptos::mount::mount_to_body(move || {
        let runtime = leptos_atelier::provide_task_runtime_with(|| {
            TaskRuntime::new_with_options(RuntimeOptions::new().spans(SpanMode::Off))
        });
        if let Some(runtime) = runtime {
            slot.set_value(runtime.define(TaskConfig::singleton("bench_workers")).ok());
        }
        if devtools {
            view! { <leptos_atelier::RuntimeDevtools /> }.into_any()
        } else {
            ().into_any()
        }
    });
    slot.get_value().expect("a client-side runtime")
}

#[cfg(feature = "devtools")]
#[wasm_bindgen_test]
#[ignore = "benchmark: cargo xtask bench-web"]
async fn bench_closed_devtools_panel() {
    const CALLS: u32 = 5_000;
    let with = mounted_app(true);
    let without = mounted_app(false);
    assert!(
        web_sys::window()
            .unwrap()
            .document()
            .unwrap()
            .query_selector("#atelier-devtools-panel")
            .unwrap()
            .is_none(),
        "the panel is closed"
    );
    let timed = |task: &Task| {
        let task = task.clone();
        async move {
            let start = now();
            for i in 0..CALLS {
                task.call::<Noop>(i).await.unwrap();
            }
            (now() - start) / f64::from(CALLS)
        }
    };
    for task in [&with, &without] {
        timed(task).await;
    }
    let (ours, raw, ratio) = side_by_side(|| timed(&with), || timed(&without)).await;
    // The same comparison with the panel open shows what the method can see: an open
    // panel re-renders its task's card on every transition.
    let document = web_sys::window().unwrap().document().unwrap();
    document
        .query_selector("#atelier-devtools-toggle")
        .unwrap()
        .expect("the devtools toggle")
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    sleep(50.0).await;
    assert!(
        document.query_selector("#atelier-devtools-panel").unwrap().is_some(),
        "the panel opened"
    );
    let (open, raw_open, ratio_open) = side_by_side(|| timed(&with), || timed(&without)).await;
    report(&format!(
        "closed devtools panel ({CALLS} sequential no-op calls x {ROUNDS}, each moving the queue): app with \
         <RuntimeDevtools/> closed {:.1} µs/call, the same app without it {:.1} µs/call: {ratio:.2}x (target: \
         no measurable cost, within the run's noise of 1.00x); for scale, open: {:.1} vs {:.1} µs/call, \
         {ratio_open:.2}x",
        ours * 1e3,
        raw * 1e3,
        open * 1e3,
        raw_open * 1e3,
    ));
    with.dispose();
    without.dispose();
}
