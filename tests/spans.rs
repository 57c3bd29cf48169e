//! Spans and traces: one span per counted
//! call with its status, error kind, attempts and queue time; sampling by id; traces
//! that end once and carry their spans with them; `run_with_trace`.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::{Check, Echo, settled};
use futures_util::FutureExt;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{
    AbortController, CallOptions, CrashPolicy, HandlerError, QueuePolicy, Registry, RuntimeEvent, RuntimeOptions,
    SpanErrorKind, SpanEvent, SpanMode, SpanStatus, Subscription, Task, TaskConfig, TaskError, TaskRuntime, TraceEnd,
    TraceEvent,
};

const MS: Duration = Duration::from_millis(1);

struct Setup {
    sim: SimTransport,
    runtime: TaskRuntime,
    events: Rc<RefCell<Vec<RuntimeEvent>>>,
    _subscription: Subscription,
}

impl Setup {
    fn new(options: RuntimeOptions) -> Self {
        let sim = SimTransport::new(|| Registry::new().method::<Echo>().method::<Check>());
        let runtime = TaskRuntime::simulated_with_options(&sim, options);
        let events = Rc::new(RefCell::new(Vec::new()));
        let log = events.clone();
        let subscription = runtime.subscribe_events(move |event| log.borrow_mut().push(event.clone()));
        Self {
            sim,
            runtime,
            events,
            _subscription: subscription,
        }
    }

    fn on() -> Self {
        Self::new(RuntimeOptions::new().spans(SpanMode::On))
    }

    fn task(&self, config: TaskConfig) -> Task {
        self.runtime.define(config).unwrap()
    }

    fn spans(&self) -> Vec<SpanEvent> {
        self.events
            .borrow()
            .iter()
            .filter_map(|event| match event {
                RuntimeEvent::Span(span) => Some(span.clone()),
                _ => None,
            })
            .collect()
    }

    fn traces(&self) -> Vec<TraceEvent> {
        self.events
            .borrow()
            .iter()
            .filter_map(|event| match event {
                RuntimeEvent::Trace(trace) => Some(trace.clone()),
                _ => None,
            })
            .collect()
    }

    /// Event names in order, spans as "span".
    fn names(&self) -> Vec<&'static str> {
        self.events
            .borrow()
            .iter()
            .map(|event| match event {
                RuntimeEvent::Metric(metric) => metric.name,
                RuntimeEvent::Span(_) => "span",
                RuntimeEvent::Trace(_) => "trace",
                _ => "other",
            })
            .collect()
    }
}

#[test]
fn a_successful_call_emits_one_ok_span_after_its_duration_metric() {
    // Spec 5.7.
    let setup = Setup::on();
    let task = setup.task(TaskConfig::singleton("w").task_id("task-span-test").name("Spans"));
    let call = task.call::<Echo>("hello".into());
    setup.sim.clock().advance(3 * MS);
    setup.sim.run_until_idle();
    assert_eq!(settled(call), Ok("hello".into()));
    let spans = setup.spans();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.status, SpanStatus::Ok);
    assert_eq!(span.task_id, "task-span-test");
    assert_eq!(span.task_name.as_deref(), Some("Spans"));
    assert_eq!(span.span_id, "task-span-test/0");
    assert_eq!(
        (span.method, span.attempt_count, span.worker_index),
        ("echo", 1, Some(0))
    );
    assert_eq!(span.duration_ms, 3.0);
    assert_eq!((span.error_kind, span.error.as_deref()), (None, None));
    // Atelier's verified order: ... success, duration, span, then the gauges.
    let names = setup.names();
    let at = names.iter().position(|n| *n == "span").unwrap();
    assert_eq!(
        &names[at - 2..at + 2],
        ["task.success.total", "task.duration_ms", "span", "queue.in_flight"]
    );
}

#[test]
fn spans_sum_queue_time_over_attempts() {
    let setup = Setup::on();
    let task = setup.task(TaskConfig::singleton("w").crash_policy(CrashPolicy::RestartRequeueInFlight));
    let first = task.call::<Echo>("a".into());
    let second = task.call::<Echo>("b".into());
    setup.sim.clock().advance(4 * MS);
    // The first call's worker crashes: the call is requeued and sent again when the
    // worker restarts after the 100 ms backoff; the second waits behind it all along.
    assert!(setup.sim.crash(0, "boom"));
    setup.sim.run_until_idle();
    setup.sim.clock().advance(100 * MS);
    setup.sim.run_until_idle();
    assert_eq!(settled(first), Ok("a".into()));
    assert_eq!(settled(second), Ok("b".into()));
    let spans = setup.spans();
    let span = |call_id| spans.iter().find(|s| s.call_id == call_id).unwrap();
    assert_eq!(span(0).attempt_count, 2, "the requeued call was sent twice");
    assert_eq!((span(0).queue_wait_ms, span(0).queue_wait_last_ms), (100.0, 100.0));
    assert_eq!(span(1).attempt_count, 1);
    assert_eq!((span(1).queue_wait_ms, span(1).queue_wait_last_ms), (104.0, 104.0));
}

#[test]
fn a_span_names_the_worker_of_the_latest_attempt() {
    let setup = Setup::on();
    let task = setup.task(
        TaskConfig::parallel("w")
            .pool_size(2)
            .crash_policy(CrashPolicy::RestartRequeueInFlight),
    );
    let call = task.call::<Echo>("a".into());
    assert!(setup.sim.crash(0, "boom"));
    setup.sim.run_until_idle();
    assert_eq!(settled(call), Ok("a".into()));
    let span = &setup.spans()[0];
    assert_eq!((span.attempt_count, span.worker_index), (2, Some(1)));
}

#[test]
fn each_way_of_ending_has_its_status_and_error_kind() {
    let setup = Setup::on();
    let task = setup.task(
        TaskConfig::singleton("w")
            .task_id("t")
            .max_queue_depth(1)
            .queue_policy(QueuePolicy::Reject),
    );
    let failed = task.call::<Check>(false);
    let queued = task.call::<Check>(true);
    let rejected = task.call::<Check>(true);
    let controller = AbortController::new();
    controller.abort();
    let aborted = task.call_with::<Check>(true, CallOptions::new().signal(controller.signal()));
    setup.sim.run_until_idle();
    let crashing = task.call::<Check>(true);
    assert!(setup.sim.crash(0, "boom"));
    setup.sim.run_until_idle();
    assert!(matches!(settled(failed), Err(TaskError::Handler(_))));
    assert_eq!(settled(queued), Ok(()));
    assert!(matches!(settled(rejected), Err(TaskError::QueueFull { .. })));
    assert!(matches!(settled(aborted), Err(TaskError::Aborted { .. })));
    assert!(matches!(settled(crashing), Err(TaskError::WorkerCrashed { .. })));

    let ends: Vec<_> = setup
        .spans()
        .iter()
        .map(|s| (s.call_id, s.status, s.error_kind, s.attempt_count))
        .collect();
    assert_eq!(
        ends,
        [
            (2, SpanStatus::Error, Some(SpanErrorKind::Queue), 0),
            (3, SpanStatus::Canceled, Some(SpanErrorKind::Abort), 0),
            (0, SpanStatus::Error, Some(SpanErrorKind::Exception), 1),
            (1, SpanStatus::Ok, None, 1),
            (4, SpanStatus::Error, Some(SpanErrorKind::Crash), 1),
        ]
    );
    let spans = setup.spans();
    assert!(spans[2].error.as_deref().unwrap().contains("not ok"));
    // A call never sent spent its whole life queued.
    assert_eq!(spans[0].queue_wait_ms, spans[0].duration_ms);
    assert_eq!(spans[0].worker_index, None);
}

#[test]
fn calls_refused_by_a_disposed_task_end_no_span() {
    let setup = Setup::on();
    let task = setup.task(TaskConfig::singleton("w"));
    let pending = task.call::<Echo>("a".into());
    task.dispose();
    let late = task.call::<Echo>("b".into());
    assert!(matches!(settled(pending), Err(TaskError::Disposed { .. })));
    assert!(matches!(settled(late), Err(TaskError::Disposed { .. })));
    assert!(setup.spans().is_empty());
}

#[test]
fn spans_off_emit_no_span_but_every_metric() {
    let setup = Setup::new(RuntimeOptions::new().spans(SpanMode::Off));
    let task = setup.task(TaskConfig::singleton("w"));
    let call = task.call::<Echo>("a".into());
    setup.sim.run_until_idle();
    assert!(settled(call).is_ok());
    assert!(setup.spans().is_empty());
    assert!(setup.names().contains(&"task.duration_ms"));
    let trace = setup.runtime.create_trace(Some("off"));
    assert!(!trace.is_sampled());
    trace.end(TraceEnd::ok());
    assert!(setup.traces().is_empty());
}

#[test]
fn the_sample_rate_keeps_a_stable_fraction_of_spans() {
    let run = |rate: f64| {
        let setup = Setup::new(RuntimeOptions::new().spans(SpanMode::On).sample_rate(rate));
        let task = setup.task(TaskConfig::parallel("w").task_id("t").pool_size(4));
        let calls: Vec<_> = (0..400).map(|i| task.call::<Echo>(i.to_string())).collect();
        setup.sim.run_until_idle();
        calls.into_iter().for_each(|call| assert!(settled(call).is_ok()));
        setup.spans().iter().map(|s| s.call_id).collect::<Vec<_>>()
    };
    assert!(run(0.0).is_empty());
    assert_eq!(run(1.0).len(), 400);
    let half = run(0.5);
    assert!((140..260).contains(&half.len()), "kept {} of 400", half.len());
    assert_eq!(run(0.5), half, "sampling is decided by id, so it repeats");
    // Out-of-range rates are clamped; a rate that is not a number keeps everything.
    assert_eq!(run(7.0).len(), 400);
    assert_eq!(run(f64::NAN).len(), 400);
    assert!(run(-1.0).is_empty());
}

#[test]
fn a_trace_ends_once_and_its_spans_carry_its_id_and_name() {
    let setup = Setup::on();
    let task = setup.task(TaskConfig::singleton("w"));
    let trace = setup.runtime.create_trace(Some("import"));
    assert!(trace.is_sampled());
    assert_eq!(trace.id(), "trace-1", "native ids count up");
    let call = task.call_with::<Echo>("a".into(), CallOptions::new().trace(&trace));
    setup.sim.clock().advance(5 * MS);
    setup.sim.run_until_idle();
    assert!(settled(call).is_ok());
    setup.sim.clock().advance(2 * MS);
    let failure = TaskError::Handler(HandlerError::new("bad row"));
    trace.end(TraceEnd::from_error(&failure));
    trace.end(TraceEnd::ok());
    assert!(trace.is_ended());

    let spans = setup.spans();
    assert_eq!(spans[0].trace_id.as_deref(), Some("trace-1"));
    assert_eq!(spans[0].trace_name.as_deref(), Some("import"));
    let traces = setup.traces();
    assert_eq!(traces.len(), 1, "the second end is ignored");
    let ended = &traces[0];
    assert_eq!(
        (ended.status, ended.error_kind),
        (SpanStatus::Error, Some(SpanErrorKind::Exception))
    );
    assert_eq!(ended.duration_ms, 7.0);
    assert!(ended.error.as_deref().unwrap().contains("bad row"));
    assert_eq!(setup.names().last(), Some(&"trace"));
}

#[test]
fn an_unsampled_trace_drops_its_spans_and_a_sampled_one_keeps_them_at_any_rate() {
    let setup = Setup::new(RuntimeOptions::new().spans(SpanMode::On).sample_rate(0.5));
    let task = setup.task(TaskConfig::parallel("w").pool_size(2));
    let traces: Vec<_> = (0..40).map(|_| setup.runtime.create_trace(None)).collect();
    let calls: Vec<_> = traces
        .iter()
        .map(|trace| task.call_with::<Echo>("x".into(), CallOptions::new().trace(trace)))
        .collect();
    setup.sim.run_until_idle();
    calls.into_iter().for_each(|call| assert!(settled(call).is_ok()));
    let sampled: Vec<_> = traces
        .iter()
        .filter(|t| t.is_sampled())
        .map(|t| t.id().to_owned())
        .collect();
    assert!(
        !sampled.is_empty() && sampled.len() < 40,
        "{} of 40 sampled",
        sampled.len()
    );
    let spanned: Vec<_> = setup.spans().iter().filter_map(|s| s.trace_id.clone()).collect();
    let mut expected = sampled.clone();
    let mut got = spanned;
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "exactly the sampled traces' calls have spans");
}

#[test]
fn run_with_trace_ends_ok_on_success() {
    // Spec 5.4 case 1.
    let setup = Setup::on();
    let task = setup.task(TaskConfig::singleton("w"));
    let mut run = Box::pin(setup.runtime.run_with_trace("trace-success", |trace| {
        task.call_with::<Echo>("a".into(), CallOptions::new().trace(&trace))
    }));
    assert_eq!(run.as_mut().now_or_never(), None, "the call is in flight");
    setup.sim.run_until_idle();
    assert_eq!(settled(run), Ok("a".into()));
    let traces = setup.traces();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].status, SpanStatus::Ok);
    assert_eq!(traces[0].trace_name.as_deref(), Some("trace-success"));
    assert!(traces[0].duration_ms >= 0.0);
    assert_eq!(setup.spans()[0].trace_name.as_deref(), Some("trace-success"));
}

#[test]
fn run_with_trace_ends_canceled_on_an_abort_and_returns_the_error() {
    // Spec 5.4 case 2.
    let setup = Setup::on();
    let result = futures_executor::block_on(setup.runtime.run_with_trace("t", |_| async {
        Err::<(), _>(TaskError::Aborted {
            task_id: "t".into(),
            key: Some("k".into()),
        })
    }));
    assert!(matches!(result, Err(TaskError::Aborted { .. })));
    let traces = setup.traces();
    assert_eq!(traces.len(), 1);
    assert_eq!(
        (traces[0].status, traces[0].error_kind),
        (SpanStatus::Canceled, Some(SpanErrorKind::Abort))
    );
}

#[test]
fn a_dropped_run_with_trace_ends_its_trace_canceled() {
    let setup = Setup::on();
    let task = setup.task(TaskConfig::singleton("w"));
    {
        // Polled once (the call is in flight), then dropped.
        let mut run = Box::pin(
            setup
                .runtime
                .run_with_trace("dropped", |_| task.call::<Echo>("a".into())),
        );
        assert_eq!(run.as_mut().now_or_never(), None);
    }
    let traces = setup.traces();
    assert_eq!(traces.len(), 1);
    assert_eq!((traces[0].status, traces[0].error_kind), (SpanStatus::Canceled, None));
}
