//! The event stream: Atelier's metric names, their values and attributes, in order.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::{Echo, settled};
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{
    CrashPolicy, InitMode, MetricEvent, MetricKind, QueuePolicy, Registry, RuntimeEvent, Subscription, Task,
    TaskConfig, TaskRuntime,
};

struct Setup {
    sim: SimTransport,
    task: Task,
    seen: Rc<RefCell<Vec<MetricEvent>>>,
    _events: Subscription,
}

fn setup(config: TaskConfig) -> Setup {
    let sim = SimTransport::new(|| Registry::new().method::<Echo>());
    let runtime = TaskRuntime::simulated(&sim);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let events = runtime.subscribe_events(move |event| {
        let RuntimeEvent::Metric(metric) = event else { return };
        log.borrow_mut().push(metric.clone());
    });
    let task = runtime.define(config.task_id("t")).unwrap();
    Setup {
        sim,
        task,
        seen,
        _events: events,
    }
}

fn names(seen: &Rc<RefCell<Vec<MetricEvent>>>) -> Vec<(&'static str, f64)> {
    seen.borrow().iter().map(|m| (m.name, m.value)).collect()
}

#[test]
fn one_successful_call_reports_its_whole_life_in_order() {
    let Setup {
        sim,
        task,
        seen,
        _events,
    } = setup(TaskConfig::singleton("w").name("Echo"));
    let call = task.call::<Echo>("hi".into());
    sim.clock().advance(Duration::from_millis(7));
    sim.run_until_idle();
    assert_eq!(settled(call), Ok("hi".into()));
    assert_eq!(
        names(&seen),
        [
            ("worker.spawn.total", 1.0),
            ("workers.active", 1.0),
            ("task.dispatch.total", 1.0),
            ("queue.wait_ms", 0.0),
            ("queue.in_flight", 1.0),
            ("queue.pending", 0.0),
            ("queue.waiting", 0.0),
            ("task.success.total", 1.0),
            ("task.duration_ms", 7.0),
            ("queue.in_flight", 0.0),
            ("queue.pending", 0.0),
            ("queue.waiting", 0.0),
        ]
    );
    let seen = seen.borrow();
    let spawn = &seen[0];
    assert_eq!((spawn.kind, spawn.worker_index), (MetricKind::Counter, Some(0)));
    assert_eq!(spawn.task_name.as_deref(), Some("Echo"));
    let wait = &seen[3];
    assert_eq!(wait.kind, MetricKind::Histogram);
    let queue = wait.queue.expect("queue attributes");
    assert_eq!(
        (queue.policy, queue.max_in_flight, queue.max_queue_depth),
        (QueuePolicy::Block, 1, 2)
    );
    assert_eq!(seen[8].ts_ms, 7.0);
}

#[test]
fn a_shed_call_is_rejected_not_failed() {
    let config = TaskConfig::singleton("w")
        .max_queue_depth(0)
        .queue_policy(QueuePolicy::Reject);
    let Setup {
        sim,
        task,
        seen,
        _events,
    } = setup(config);
    let _running = task.call::<Echo>("a".into());
    seen.borrow_mut().clear();
    let shed = task.call::<Echo>("b".into());
    assert!(settled(shed).is_err());
    assert_eq!(names(&seen), [("task.rejected.total", 1.0), ("task.duration_ms", 0.0)]);
    assert!(seen.borrow()[0].queue.is_some());
    sim.run_until_idle();
}

#[test]
fn a_crash_under_requeue_reports_the_crash_and_the_requeued_calls() {
    let config = TaskConfig::singleton("w")
        .max_in_flight(2)
        .init(InitMode::Eager)
        .crash_policy(CrashPolicy::RestartRequeueInFlight);
    let Setup {
        sim,
        task,
        seen,
        _events,
    } = setup(config);
    sim.run_until_idle();
    let _calls = [task.call::<Echo>("a".into()), task.call::<Echo>("b".into())];
    seen.borrow_mut().clear();
    assert!(sim.crash(0, "boom"));
    sim.run_until_idle();
    let reported = names(&seen);
    assert_eq!(
        reported[..3],
        [
            ("worker.crash.total", 1.0),
            ("workers.active", 0.0),
            ("task.requeue.total", 2.0)
        ]
    );
}

#[test]
fn stopping_reports_each_terminated_worker_then_the_active_count() {
    let config = TaskConfig::parallel("w").pool_size(2).init(InitMode::Eager);
    let Setup {
        task, seen, _events, ..
    } = setup(config);
    seen.borrow_mut().clear();
    task.stop_workers();
    assert_eq!(
        names(&seen),
        [
            ("worker.terminate.total", 1.0),
            ("worker.terminate.total", 1.0),
            ("workers.active", 0.0)
        ]
    );
    let workers: Vec<_> = seen.borrow().iter().map(|m| m.worker_index).collect();
    assert_eq!(workers, [Some(0), Some(1), None]);
}

#[test]
fn calls_refused_by_a_disposed_task_report_nothing() {
    let Setup {
        task, seen, _events, ..
    } = setup(TaskConfig::singleton("w"));
    task.dispose();
    seen.borrow_mut().clear();
    assert!(settled(task.call::<Echo>("late".into())).is_err());
    assert!(seen.borrow().is_empty());
}
