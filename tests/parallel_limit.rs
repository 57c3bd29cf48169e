//! `parallel_limit` (Atelier's parallel-limit cases): concurrency bound, completion
//! order, error policies, settled mode and cancellation. Completions are driven by
//! hand through oneshot channels; nothing sleeps.

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::oneshot;
use futures_util::{FutureExt, Stream, StreamExt};
use leptos_atelier::{
    AbortController, AbortTaskController, ErrorPolicy, HandlerError, ParallelLimitError, ParallelLimitOptions,
    TaskError, parallel_limit, parallel_limit_settled,
};

type Outcome = Result<u32, TaskError>;
/// Items still running, with the sender that releases each.
type Open = Rc<RefCell<Vec<(u32, oneshot::Sender<Outcome>)>>>;

/// Items whose results the test releases one by one.
#[derive(Default, Clone)]
struct Gates {
    open: Open,
    started: Rc<RefCell<Vec<u32>>>,
}

impl Gates {
    fn run(&self) -> impl FnMut(u32) -> futures_util::future::LocalBoxFuture<'static, Outcome> + Unpin {
        let gates = self.clone();
        move |item| {
            let (tx, rx) = oneshot::channel();
            gates.open.borrow_mut().push((item, tx));
            gates.started.borrow_mut().push(item);
            async move { rx.await.unwrap_or(Err(TaskError::Disposed { task_id: "gone".into() })) }.boxed_local()
        }
    }

    fn release(&self, item: u32, outcome: Outcome) {
        let mut open = self.open.borrow_mut();
        let at = open.iter().position(|(i, _)| *i == item).expect("item is running");
        let (_, tx) = open.remove(at);
        let _ = tx.send(outcome);
    }

    fn running(&self) -> Vec<u32> {
        self.open.borrow().iter().map(|(i, _)| *i).collect()
    }
}

fn boom() -> TaskError {
    TaskError::Handler(HandlerError::new("boom"))
}

fn aborted() -> TaskError {
    TaskError::Aborted {
        task_id: "t".into(),
        key: None,
    }
}

/// The next item if the stream has one ready now.
fn next_now<S: Stream + Unpin>(stream: &mut S) -> Option<Option<S::Item>> {
    stream.next().now_or_never()
}

#[test]
fn at_most_limit_items_run_and_results_come_in_completion_order() {
    let gates = Gates::default();
    let mut stream = parallel_limit(1..=4, 2, gates.run(), ParallelLimitOptions::new()).unwrap();
    assert_eq!(next_now(&mut stream), None);
    assert_eq!(gates.running(), [1, 2]);
    gates.release(2, Ok(20));
    assert_eq!(next_now(&mut stream), Some(Some(Ok(20))));
    assert_eq!(gates.running(), [1, 3]);
    gates.release(3, Ok(30));
    gates.release(1, Ok(10));
    let mut got = vec![next_now(&mut stream), next_now(&mut stream)];
    got.sort_by_key(|g| format!("{g:?}"));
    assert_eq!(got, [Some(Some(Ok(10))), Some(Some(Ok(30)))]);
    assert_eq!(gates.running(), [4]);
    gates.release(4, Ok(40));
    assert_eq!(next_now(&mut stream), Some(Some(Ok(40))));
    assert_eq!(next_now(&mut stream), Some(None));
}

#[test]
fn a_zero_limit_is_refused() {
    let result = parallel_limit(
        1..=3,
        0,
        |n: u32| async move { Ok::<_, TaskError>(n) },
        ParallelLimitOptions::new(),
    );
    assert_eq!(result.err(), Some(ParallelLimitError::ZeroLimit));
}

#[test]
fn fail_fast_ends_the_stream_with_the_first_error() {
    let gates = Gates::default();
    let mut stream = parallel_limit(1..=3, 1, gates.run(), ParallelLimitOptions::new()).unwrap();
    let _ = next_now(&mut stream);
    gates.release(1, Ok(1));
    assert_eq!(next_now(&mut stream), Some(Some(Ok(1))));
    gates.release(2, Err(boom()));
    assert_eq!(next_now(&mut stream), Some(Some(Err(boom()))));
    assert_eq!(next_now(&mut stream), Some(None));
    assert_eq!(*gates.started.borrow(), [1, 2], "nothing starts after the failure");
}

#[test]
fn continue_skips_errors_and_on_error_sees_each_one() {
    let gates = Gates::default();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let options = ParallelLimitOptions::new()
        .error_policy(ErrorPolicy::Continue)
        .on_error(move |error: &TaskError, item: &u32| log.borrow_mut().push((*item, error.to_string())));
    let mut stream = parallel_limit(1..=3, 1, gates.run(), options).unwrap();
    let mut results = Vec::new();
    for (item, outcome) in [(1, Ok(1)), (2, Err(boom())), (3, Ok(3))] {
        let _ = next_now(&mut stream);
        gates.release(item, outcome);
        if let Some(Some(result)) = next_now(&mut stream) {
            results.push(result);
        }
    }
    assert_eq!(results, [Ok(1), Ok(3)]);
    assert_eq!(*seen.borrow(), [(2, "handler failed: boom".to_string())]);
}

#[test]
fn settled_mode_yields_every_outcome_with_its_item() {
    let gates = Gates::default();
    let mut stream = parallel_limit_settled(1..=3, 1, gates.run(), ParallelLimitOptions::new()).unwrap();
    let mut settled = Vec::new();
    for (item, outcome) in [(1, Ok(10)), (2, Err(boom())), (3, Ok(30))] {
        let _ = next_now(&mut stream);
        gates.release(item, outcome);
        if let Some(Some(s)) = next_now(&mut stream) {
            settled.push((s.item, s.outcome));
        }
    }
    assert_eq!(settled, [(1, Ok(10)), (2, Err(boom())), (3, Ok(30))]);
    assert_eq!(next_now(&mut stream).map(|s| s.is_none()), Some(true));
}

#[test]
fn items_whose_key_is_already_aborted_never_start() {
    let aborts = AbortTaskController::default();
    aborts.abort("2");
    let gates = Gates::default();
    let options = ParallelLimitOptions::new().keyed(aborts, |n: &u32| Some(n.to_string()));
    let mut stream = parallel_limit(1..=3, 3, gates.run(), options).unwrap();
    let _ = next_now(&mut stream);
    assert_eq!(gates.running(), [1, 3]);
    gates.release(1, Ok(1));
    gates.release(3, Ok(3));
    let results: Vec<_> = std::iter::from_fn(|| next_now(&mut stream).flatten()).collect();
    assert_eq!(results.len(), 2);
}

#[test]
fn results_whose_key_was_aborted_while_running_are_dropped() {
    let aborts = AbortTaskController::default();
    let gates = Gates::default();
    let options = ParallelLimitOptions::new().keyed(aborts.clone(), |n: &u32| Some(n.to_string()));
    let mut stream = parallel_limit(1..=2, 2, gates.run(), options).unwrap();
    let _ = next_now(&mut stream);
    aborts.abort("1");
    gates.release(1, Ok(1));
    gates.release(2, Ok(2));
    assert_eq!(next_now(&mut stream), Some(Some(Ok(2))));
    assert_eq!(next_now(&mut stream), Some(None));
}

#[test]
fn abort_errors_are_dropped_when_cancellation_is_enabled() {
    let gates = Gates::default();
    let options = ParallelLimitOptions::new().keyed(AbortTaskController::default(), |n: &u32| Some(n.to_string()));
    let mut stream = parallel_limit(1..=1, 1, gates.run(), options).unwrap();
    let _ = next_now(&mut stream);
    gates.release(1, Err(aborted()));
    assert_eq!(next_now(&mut stream), Some(None), "no result and no failure");
}

#[test]
fn an_aborted_signal_stops_new_starts_but_running_results_still_arrive() {
    let gates = Gates::default();
    let controller = AbortController::new();
    let options = ParallelLimitOptions::new().signal(controller.signal());
    let mut stream = parallel_limit(1..=5, 2, gates.run(), options).unwrap();
    let _ = next_now(&mut stream);
    controller.abort();
    gates.release(1, Ok(1));
    gates.release(2, Ok(2));
    let results: Vec<_> = std::iter::from_fn(|| next_now(&mut stream).flatten()).collect();
    assert_eq!(results.len(), 2);
    assert_eq!(*gates.started.borrow(), [1, 2]);
}
