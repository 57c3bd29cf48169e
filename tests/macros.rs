//! Methods written with `#[task_method]` and an entry declared with `worker_entry!`
//! run like hand-written ones: typed calls, the context when asked for, a custom
//! travel name, and a `TaskConfig` that names the entry by its type.

use futures_util::FutureExt;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{
    HandlerError, Serves, TaskConfig, TaskContext, TaskError, TaskMethod, TaskRuntime, WorkerEntry, task_method,
    worker_entry,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sum {
    pub total: u64,
    pub count: usize,
}

/// Sums its input, reporting half-way progress through its context.
#[task_method]
async fn sum(values: Vec<u64>, cx: TaskContext) -> Result<Sum, HandlerError> {
    cx.progress(0.5);
    Ok(Sum {
        total: values.iter().sum(),
        count: values.len(),
    })
}

/// No context argument; fails on odd input.
#[task_method]
async fn halve(n: u32) -> Result<u32, HandlerError> {
    if n % 2 == 1 {
        return Err(HandlerError::new(format!("{n} is odd")));
    }
    Ok(n / 2)
}

/// Travels under another name than the function's.
#[task_method(name = "math.negate")]
async fn negate(n: i64) -> Result<i64, HandlerError> {
    Ok(-n)
}

worker_entry!(pub MathWorkers = [sum, halve, negate]);

fn runtime() -> (SimTransport, TaskRuntime) {
    let sim = SimTransport::new(MathWorkers::registry);
    let runtime = TaskRuntime::simulated(&sim);
    (sim, runtime)
}

#[test]
fn a_method_written_as_an_async_fn_is_called_by_its_name_as_a_type() {
    let (sim, runtime) = runtime();
    let task = runtime.define(TaskConfig::parallel(MathWorkers).pool_size(2)).unwrap();
    let totals = task.call::<sum>(vec![1, 2, 3, 4]);
    let half = task.call::<halve>(42);
    let odd = task.call::<halve>(7);
    sim.run_until_idle();
    assert_eq!(totals.now_or_never().unwrap().unwrap(), Sum { total: 10, count: 4 });
    assert_eq!(half.now_or_never().unwrap().unwrap(), 21);
    match odd.now_or_never().unwrap() {
        Err(TaskError::Handler(e)) => assert_eq!(e.message(), "7 is odd"),
        other => panic!("expected the handler's error, got {other:?}"),
    }
}

#[test]
fn the_method_type_carries_the_function_s_name_or_the_one_given() {
    assert_eq!(<sum as TaskMethod>::NAME, "sum");
    assert_eq!(<halve as TaskMethod>::NAME, "halve");
    assert_eq!(<negate as TaskMethod>::NAME, "math.negate");
    let (sim, runtime) = runtime();
    let task = runtime.define(TaskConfig::singleton(MathWorkers)).unwrap();
    let call = task.call::<negate>(5);
    sim.run_until_idle();
    assert_eq!(call.now_or_never().unwrap().unwrap(), -5);
}

#[test]
fn the_entry_is_named_by_its_type_and_knows_what_it_serves() {
    fn serves<E: Serves<M>, M: TaskMethod>() {}
    serves::<MathWorkers, sum>();
    serves::<MathWorkers, negate>();
    assert_eq!(MathWorkers::NAME, "math_workers");
    assert_eq!(String::from(MathWorkers), "math_workers");
    let (_sim, runtime) = runtime();
    let task = runtime
        .define(TaskConfig::singleton(MathWorkers).task_id("math"))
        .unwrap();
    assert_eq!(task.snapshot().task_id, "math");
}

#[test]
fn progress_reported_through_the_context_reaches_the_caller() {
    use leptos_atelier::CallOptions;
    use std::cell::RefCell;
    use std::rc::Rc;
    let (sim, runtime) = runtime();
    let task = runtime.define(TaskConfig::singleton(MathWorkers)).unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let call = task.call_with::<sum>(
        vec![1],
        CallOptions::new().on_progress(move |f| log.borrow_mut().push(f)),
    );
    sim.run_until_idle();
    assert_eq!(call.now_or_never().unwrap().unwrap().total, 1);
    assert_eq!(*seen.borrow(), vec![0.5]);
}
