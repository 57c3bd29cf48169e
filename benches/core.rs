//! Native benchmarks of the scheduler core on the simulated transport (zero latency):
//! the per-call cost of admit → dispatch → complete at 1 and 8 calls in flight, the
//! cost of a snapshot, and of recording and querying latency percentiles; and the
//! overhead of spans, with and without an event subscriber, as ratios to a runtime
//! with spans off (Atelier's own budget: < 1.2× and < 1.5×).
//!
//! Run with `cargo xtask bench` (or `cargo bench --bench core --features testing`).
//! Each figure is the median of several timed batches, in nanoseconds per operation.

use std::hint::black_box;
use std::time::Instant;

use futures_util::FutureExt;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{
    HandlerError, Registry, RuntimeOptions, SpanMode, TaskConfig, TaskContext, TaskMethod, TaskRuntime,
};

/// Busy for its input's number of microseconds (0: returns at once), then echoes it.
struct Noop;
impl TaskMethod for Noop {
    const NAME: &'static str = "noop";
    type Input = u32;
    type Output = u32;
    async fn run(micros: u32, _: TaskContext) -> Result<u32, HandlerError> {
        if micros > 0 {
            let until = Instant::now() + std::time::Duration::from_micros(u64::from(micros));
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
        Ok(micros)
    }
}

/// Median nanoseconds per operation over `batches` runs of `per_batch` operations.
fn measure(batches: usize, per_batch: usize, mut batch: impl FnMut(usize)) -> f64 {
    batch(per_batch); // warm up
    let mut samples: Vec<f64> = (0..batches)
        .map(|_| {
            let start = Instant::now();
            batch(per_batch);
            start.elapsed().as_nanos() as f64 / per_batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// What observes the calls being measured.
#[derive(Clone, Copy)]
enum Observed {
    /// Spans off, no event subscriber.
    Quiet,
    /// Spans on, every call sampled, no subscriber.
    Spans,
    /// Spans on and an event subscriber that keeps a count.
    SpansAndEvents,
}

/// Per-call cost with `in_flight` calls at a time, each keeping its worker busy for
/// `work_us` microseconds.
fn calls(in_flight: usize, observed: Observed, work_us: u32) -> f64 {
    let sim = SimTransport::new(|| Registry::new().method::<Noop>());
    let mode = match observed {
        Observed::Quiet => SpanMode::Off,
        Observed::Spans | Observed::SpansAndEvents => SpanMode::On,
    };
    let runtime = TaskRuntime::simulated_with_options(&sim, RuntimeOptions::new().spans(mode));
    let events = std::rc::Rc::new(std::cell::Cell::new(0_u64));
    let seen = events.clone();
    let _subscription = matches!(observed, Observed::SpansAndEvents).then(|| {
        runtime.subscribe_events(move |event| {
            black_box(event);
            seen.set(seen.get() + 1);
        })
    });
    let config = TaskConfig::parallel("w")
        .pool_size(in_flight)
        .max_in_flight(in_flight)
        .max_queue_depth(in_flight);
    let task = runtime.define(config).unwrap();
    let (batches, per_batch) = if work_us == 0 { (15, 2_000) } else { (5, 500) };
    // One list for every round: the harness allocates nothing per call.
    let mut calls = Vec::with_capacity(in_flight);
    measure(batches, per_batch, |n| {
        let mut rounds = n / in_flight;
        while rounds > 0 {
            calls.extend((0..in_flight).map(|_| task.call::<Noop>(work_us)));
            sim.run_until_idle();
            for call in calls.drain(..) {
                black_box(call.now_or_never().expect("settled").expect("ok"));
            }
            rounds -= 1;
        }
    })
}

fn snapshot() -> f64 {
    let sim = SimTransport::new(|| Registry::new().method::<Noop>());
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::parallel("w").pool_size(8)).unwrap();
    let _busy: Vec<_> = (0..8).map(|_| task.call::<Noop>(0)).collect();
    measure(15, 20_000, |n| {
        for _ in 0..n {
            black_box(runtime.snapshot());
        }
    })
}

fn telemetry() -> (f64, f64) {
    let sim = SimTransport::new(|| Registry::new().method::<Noop>());
    let runtime = TaskRuntime::simulated(&sim);
    let task = runtime.define(TaskConfig::singleton("w")).unwrap();
    for _ in 0..1000 {
        let call = task.call::<Noop>(0);
        sim.clock().advance(std::time::Duration::from_micros(1700));
        sim.run_until_idle();
        black_box(call.now_or_never());
    }
    let query = measure(15, 2_000, |n| {
        for _ in 0..n {
            black_box(task.telemetry());
        }
    });
    // Recording happens inside each completed call: compare this (a real latency to
    // bucket on every call) with the plain 1-in-flight call cost.
    let with_clock = measure(15, 2_000, |n| {
        for _ in 0..n {
            let call = task.call::<Noop>(0);
            sim.clock().advance(std::time::Duration::from_micros(1700));
            sim.run_until_idle();
            black_box(call.now_or_never());
        }
    });
    (query, with_clock)
}

fn main() {
    let one = calls(1, Observed::Quiet, 0);
    let eight = calls(8, Observed::Quiet, 0);
    let spans = calls(1, Observed::Spans, 0);
    let events = calls(1, Observed::SpansAndEvents, 0);
    // Atelier's overhead scenario: sequential calls to a handler that
    // busy-spins 0.2 ms.
    let busy = calls(1, Observed::Quiet, 200);
    let busy_spans = calls(1, Observed::Spans, 200);
    let busy_events = calls(1, Observed::SpansAndEvents, 200);
    let snapshot = snapshot();
    let (query, call_with_latency) = telemetry();
    let verdict = |ns: f64| if ns <= 300.0 { "met" } else { "MISSED" };
    println!(
        "admit -> dispatch -> complete, 1 in flight : {one:>9.0} ns/call (target <= 300 ns: {})",
        verdict(one)
    );
    println!(
        "admit -> dispatch -> complete, 8 in flight : {eight:>9.0} ns/call (target <= 300 ns: {})",
        verdict(eight)
    );
    println!("runtime snapshot (1 task, 8 workers)       : {snapshot:>9.0} ns");
    println!("telemetry summary (2 histograms, 4 pcts)   : {query:>9.0} ns");
    println!("same call, clock moving (latency recorded) : {call_with_latency:>9.0} ns/call");
    println!(
        "spans on, no subscriber, 1 in flight       : {spans:>9.0} ns/call ({:.2}x spans off)",
        spans / one
    );
    println!(
        "spans on + event subscriber, 1 in flight   : {events:>9.0} ns/call ({:.2}x spans off)",
        events / one
    );
    println!(
        "0.2 ms handler: spans on {:.3}x, spans on + subscriber {:.3}x spans off (Atelier's budget: 1.2x, 1.5x)",
        busy_spans / busy,
        busy_events / busy
    );
}
