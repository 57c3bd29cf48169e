//! The Leptos hooks on Leptos's real reactive graph, fed by simulated workers: the
//! signals follow every queue transition without polling.

mod common;
use common::settled;
use leptos::prelude::*;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{
    HandlerError, Registry, RuntimeSnapshot, TaskConfig, TaskContext, TaskMethod, TaskRuntime,
    provide_task_runtime_with, use_runtime_snapshot, use_task_runtime, use_task_snapshot,
};

struct Square;
impl TaskMethod for Square {
    const NAME: &'static str = "square";
    type Input = u64;
    type Output = u64;
    async fn run(n: u64, _: TaskContext) -> Result<u64, HandlerError> {
        Ok(n * n)
    }
}

fn phases(snapshot: &RuntimeSnapshot, task_id: &str) -> (usize, usize, usize) {
    snapshot
        .task(task_id)
        .map_or((0, 0, 0), |t| (t.waiting, t.pending, t.in_flight))
}

#[test]
fn the_snapshot_signal_follows_each_transition() {
    hooks::init_executor();
    let owner = Owner::new();
    owner.with(|| {
        let sim = SimTransport::new(|| Registry::new().method::<Square>());
        let runtime = provide_task_runtime_with(|| TaskRuntime::simulated(&sim)).expect("client side");
        assert!(use_task_runtime().is_some(), "provided through context");
        let snapshot = use_runtime_snapshot();
        let squares = use_task_snapshot("squares");
        assert_eq!(snapshot.get_untracked(), RuntimeSnapshot::default());
        // The hooks go live with their first effect (after hydration, in an app).
        hooks::run_effects();

        let task = runtime
            .define(TaskConfig::singleton("w").task_id("squares").max_queue_depth(1))
            .unwrap();
        assert_eq!(snapshot.get_untracked().tasks.len(), 1);

        let first = task.call::<Square>(3);
        assert_eq!(phases(&snapshot.get_untracked(), "squares"), (0, 0, 1));
        let second = task.call::<Square>(4);
        assert_eq!(phases(&snapshot.get_untracked(), "squares"), (0, 1, 1));
        let third = task.call::<Square>(5);
        assert_eq!(phases(&snapshot.get_untracked(), "squares"), (1, 1, 1));
        assert_eq!(squares.get_untracked().map(|t| t.waiting), Some(1));

        sim.run_until_idle();
        assert_eq!(phases(&snapshot.get_untracked(), "squares"), (0, 0, 0));
        assert_eq!(squares.get_untracked().map(|t| t.total_dispatched), Some(3));
        let results: Vec<_> = [first, second, third]
            .into_iter()
            .map(|c| settled(c).unwrap())
            .collect();
        assert_eq!(results, [9, 16, 25]);

        task.dispose();
        assert!(snapshot.get_untracked().tasks.is_empty());
        assert_eq!(squares.get_untracked(), None);
    });
}

#[test]
fn without_a_runtime_the_hooks_return_their_initial_values() {
    hooks::init_executor();
    let owner = Owner::new();
    owner.with(|| {
        assert!(use_task_runtime().is_none());
        assert_eq!(use_runtime_snapshot().get_untracked(), RuntimeSnapshot::default());
        assert_eq!(use_task_snapshot("anything").get_untracked(), None);
    });
}

mod hooks {
    //! The calling hooks on Leptos's reactive graph, with a local executor the test
    //! drives step by step (effects, actions and resources spawn onto it).

    use std::cell::RefCell;
    use std::rc::Rc;

    use any_spawner::{CustomExecutor, Executor, PinnedFuture, PinnedLocalFuture};
    use futures_executor::{LocalPool, LocalSpawner};
    use futures_util::task::LocalSpawnExt;
    use leptos::prelude::*;
    use leptos_atelier::testing::SimTransport;
    use leptos_atelier::{
        CallOptions, HandlerError, Registry, TaskConfig, TaskContext, TaskError, TaskMethod, TaskRuntime,
        UseAbortStateReturn, UseTaskActionOptions, UseTaskActionReturn, UseTaskResourceOptions, UseTaskResourceReturn,
        provide_task_runtime_with, use_abort_state, use_task_action, use_task_action_with_options, use_task_resource,
        use_task_resource_with_options, use_task_snapshot, use_task_telemetry, use_worker_snapshot,
    };

    thread_local! {
        static POOL: RefCell<LocalPool> = RefCell::new(LocalPool::new());
        static SPAWNER: LocalSpawner = POOL.with(|pool| pool.borrow().spawner());
        /// What the handlers saw, in order.
        static SEEN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    struct TestExecutor;
    impl CustomExecutor for TestExecutor {
        fn spawn(&self, fut: PinnedFuture<()>) {
            SPAWNER.with(|spawner| spawner.spawn_local(fut).expect("the pool runs"));
        }
        fn spawn_local(&self, fut: PinnedLocalFuture<()>) {
            SPAWNER.with(|spawner| spawner.spawn_local(fut).expect("the pool runs"));
        }
        fn poll_local(&self) {}
    }

    /// Runs the reactive tasks (effects) until they stall.
    pub(super) fn run_effects() {
        POOL.with(|pool| pool.borrow_mut().run_until_stalled());
    }

    /// Runs the simulated workers and the reactive tasks until neither can move.
    fn settle(sim: &SimTransport) {
        for _ in 0..20 {
            POOL.with(|pool| pool.borrow_mut().run_until_stalled());
            sim.run_until_idle();
        }
        POOL.with(|pool| pool.borrow_mut().run_until_stalled());
    }

    /// Reports half-way progress, then doubles its input, unless canceled first.
    struct Halve;
    impl TaskMethod for Halve {
        const NAME: &'static str = "halve";
        type Input = u32;
        type Output = u32;
        async fn run(n: u32, cx: TaskContext) -> Result<u32, HandlerError> {
            cx.progress(0.5);
            if n == 0 {
                // Zero waits for its cancellation.
                cx.aborted().await;
                SEEN.with(|seen| seen.borrow_mut().push(format!("{n} aborted")));
                return cx.throw_if_aborted().map(|()| 0);
            }
            Ok(n / 2)
        }
    }

    /// Waits until canceled, and says which input it was.
    struct Wait;
    impl TaskMethod for Wait {
        const NAME: &'static str = "wait";
        type Input = u32;
        type Output = u32;
        async fn run(n: u32, cx: TaskContext) -> Result<u32, HandlerError> {
            if n % 2 == 1 {
                cx.aborted().await;
                SEEN.with(|seen| seen.borrow_mut().push(format!("{n} aborted")));
                cx.throw_if_aborted()?;
            }
            Ok(n * 10)
        }
    }

    /// Makes this test thread's executor the one Leptos spawns on (each test runs on
    /// its own thread; the executor is per thread).
    pub(super) fn init_executor() {
        let _ = Executor::init_local_custom_executor(TestExecutor);
    }

    fn setup() -> (Owner, SimTransport, TaskRuntime) {
        init_executor();
        SEEN.with(|seen| seen.borrow_mut().clear());
        let owner = Owner::new();
        let sim = SimTransport::new(|| Registry::new().method::<Halve>().method::<Wait>());
        let runtime = owner
            .with(|| provide_task_runtime_with(|| TaskRuntime::simulated(&sim)))
            .expect("client side");
        runtime
            .define(TaskConfig::parallel("w").task_id("t").pool_size(2))
            .unwrap();
        (owner, sim, runtime)
    }

    #[test]
    fn abort_state_follows_its_key_from_anywhere_and_writes_only_on_change() {
        let (owner, sim, runtime) = setup();
        owner.with(|| {
            let UseAbortStateReturn {
                is_aborted,
                abort,
                clear,
            } = use_abort_state("run");
            let writes = Rc::new(RefCell::new(Vec::new()));
            let log = writes.clone();
            Effect::new(move |_| log.borrow_mut().push(is_aborted.get()));
            settle(&sim);
            assert_eq!(*writes.borrow(), [false]);

            abort();
            settle(&sim);
            assert!(runtime.abort_controller().is_aborted("run"));
            let task = runtime.task("t").unwrap();
            let call = task.call_with::<Halve>(8, CallOptions::new().key("run"));
            assert!(matches!(super::common::settled(call), Err(TaskError::Aborted { .. })));
            // Aborting again, or another key, changes nothing: no write, no effect run.
            abort();
            runtime.abort_controller().abort("other");
            settle(&sim);
            assert_eq!(*writes.borrow(), [false, true]);

            clear();
            settle(&sim);
            runtime.abort_controller().abort("run");
            settle(&sim);
            assert_eq!(*writes.borrow(), [false, true, false, true]);
        });
    }

    #[test]
    fn task_and_worker_memos_rerun_only_for_their_own_changes() {
        let (owner, sim, runtime) = setup();
        owner.with(|| {
            runtime.define(TaskConfig::singleton("w").task_id("other")).unwrap();
            let runs = Rc::new(RefCell::new((0, 0, 0)));
            let (a, b, c) = (runs.clone(), runs.clone(), runs.clone());
            let task = use_task_snapshot("t");
            let first = use_worker_snapshot("t", 0);
            let second = use_worker_snapshot("t", 1);
            Effect::new(move |_| {
                let _ = task.get();
                a.borrow_mut().0 += 1;
            });
            Effect::new(move |_| {
                let _ = first.get();
                b.borrow_mut().1 += 1;
            });
            Effect::new(move |_| {
                let _ = second.get();
                c.borrow_mut().2 += 1;
            });
            settle(&sim);
            let start = *runs.borrow();
            // Work on the other task changes nothing of task "t".
            let other = runtime.task("other").unwrap().call::<Halve>(4);
            settle(&sim);
            assert!(super::common::settled(other).is_ok());
            assert_eq!(*runs.borrow(), start, "no view of task t re-ran");
            // One call on "t" goes to worker 0: worker 1's view does not re-run.
            let call = runtime.task("t").unwrap().call::<Halve>(8);
            settle(&sim);
            assert_eq!(super::common::settled(call), Ok(4));
            let now = *runs.borrow();
            assert!(
                now.0 > start.0 && now.1 > start.1,
                "task t and worker 0 changed: {start:?} -> {now:?}"
            );
            assert_eq!(now.2, start.2, "worker 1 did not");
        });
    }

    #[test]
    fn telemetry_counts_and_percentiles_follow_the_calls() {
        let (owner, sim, runtime) = setup();
        owner.with(|| {
            let telemetry = use_task_telemetry("t");
            settle(&sim);
            assert_eq!(telemetry.get_untracked().succeeded, 0);
            let task = runtime.task("t").unwrap();
            // Two calls on two workers: both run for the 12 ms.
            let calls: Vec<_> = (1..=2).map(|n| task.call::<Halve>(n)).collect();
            sim.clock().advance(std::time::Duration::from_millis(12));
            settle(&sim);
            calls
                .into_iter()
                .for_each(|c| assert!(super::common::settled(c).is_ok()));
            let summary = telemetry.get_untracked();
            assert_eq!(summary.succeeded, 2);
            assert_eq!(summary.run_time.count, 2);
            let p50 = summary.run_time.p50_ms.expect("percentiles once there are samples");
            assert!((p50 - 12.0).abs() <= 0.12, "{summary:?}");
            // An in-flight call answered by its abort changes the counts, not the snapshot.
            let waiting = task.call_with::<Halve>(0, CallOptions::new().key("k"));
            settle(&sim);
            runtime.abort_controller().abort("k");
            assert!(super::common::settled(waiting).is_err());
            assert_eq!(telemetry.get_untracked().canceled, 1);
        });
    }

    #[test]
    fn an_action_calls_the_task_reports_progress_and_aborts_what_it_runs() {
        let (owner, sim, _runtime) = setup();
        owner.with(|| {
            let UseTaskActionReturn {
                action,
                progress,
                abort,
            } = use_task_action::<Halve>("t");
            action.dispatch_local(10);
            settle(&sim);
            assert_eq!(action.value().get_untracked(), Some(Ok(5)));
            assert_eq!(progress.get_untracked(), None, "nothing runs any more");

            action.dispatch_local(0);
            settle(&sim);
            assert!(action.pending().get_untracked());
            assert_eq!(progress.get_untracked(), Some(0.5));
            abort();
            settle(&sim);
            assert!(matches!(
                action.value().get_untracked(),
                Some(Err(TaskError::Aborted { .. }))
            ));
            assert_eq!(
                SEEN.with(|seen| seen.borrow().clone()),
                ["0 aborted"],
                "the handler saw it"
            );

            // After an abort, new dispatches run normally.
            action.dispatch_local(4);
            settle(&sim);
            assert_eq!(action.value().get_untracked(), Some(Ok(2)));
        });
    }

    #[test]
    fn an_action_on_an_unknown_task_answers_no_such_task() {
        let (owner, sim, _runtime) = setup();
        owner.with(|| {
            let UseTaskActionReturn { action, .. } = use_task_action::<Halve>("missing");
            action.dispatch_local(1);
            settle(&sim);
            assert_eq!(
                action.value().get_untracked(),
                Some(Err(TaskError::NoSuchTask {
                    task_id: "missing".into()
                }))
            );
        });
    }

    #[test]
    fn a_keyed_resource_call_is_aborted_by_its_key_and_says_so() {
        let (owner, sim, runtime) = setup();
        owner.with(|| {
            let options = UseTaskResourceOptions::default().key("search");
            let UseTaskResourceReturn { resource, .. } = use_task_resource_with_options::<Wait>("t", || 1, options);
            Effect::new(move |_| {
                let _ = resource.get();
            });
            settle(&sim);
            assert_eq!(runtime.snapshot().tasks[0].in_flight, 1, "the keyed call runs");
            runtime.abort_controller().abort("search");
            settle(&sim);
            assert_eq!(SEEN.with(|seen| seen.borrow().clone()), ["1 aborted"]);
            match resource.get_untracked() {
                Some(Err(TaskError::Aborted { key, .. })) => assert_eq!(key.as_deref(), Some("search")),
                other => panic!("expected the key's abort, got {other:?}"),
            }
            assert_eq!(runtime.snapshot().tasks[0].in_flight, 0);
        });
    }

    #[test]
    fn a_resource_given_the_task_itself_applies_its_timeout() {
        let (owner, sim, runtime) = setup();
        owner.with(|| {
            let task = runtime.task("t").unwrap();
            let options = UseTaskResourceOptions::default().timeout(std::time::Duration::from_millis(50));
            let UseTaskResourceReturn { resource, .. } = use_task_resource_with_options::<Wait>(&task, || 3, options);
            Effect::new(move |_| {
                let _ = resource.get();
            });
            settle(&sim);
            assert_eq!(resource.get_untracked(), None, "still running");
            sim.clock().advance(std::time::Duration::from_millis(50));
            settle(&sim);
            assert!(
                matches!(resource.get_untracked(), Some(Err(TaskError::Timeout { .. }))),
                "{:?}",
                resource.get_untracked()
            );
        });
    }

    #[test]
    fn a_resource_that_keeps_stale_calls_lets_them_run_and_follows_the_caller_s_signal() {
        let (owner, sim, runtime) = setup();
        owner.with(|| {
            let controller = leptos_atelier::AbortController::new();
            let source = RwSignal::new(1u32);
            let options = UseTaskResourceOptions::default()
                .abort_stale(false)
                .signal(controller.signal());
            let UseTaskResourceReturn { resource, .. } =
                use_task_resource_with_options::<Wait>("t", move || source.get(), options);
            Effect::new(move |_| {
                let _ = resource.get();
            });
            settle(&sim);
            source.set(2);
            settle(&sim);
            assert!(SEEN.with(|seen| seen.borrow().is_empty()), "a change aborts nothing");
            assert_eq!(runtime.snapshot().tasks[0].in_flight, 1, "the stale call runs on");
            controller.abort();
            settle(&sim);
            assert_eq!(
                SEEN.with(|seen| seen.borrow().clone()),
                ["1 aborted"],
                "the caller's signal did"
            );
            // The stale call ended, so the resource went on to the latest input, which
            // the signal (aborted for good) refuses as well.
            assert!(matches!(resource.get_untracked(), Some(Err(TaskError::Aborted { .. }))));
            assert_eq!(
                runtime.snapshot().tasks[0].total_dispatched,
                1,
                "2 never reached a worker"
            );
        });
    }

    #[test]
    fn an_action_with_options_reports_progress_to_its_callback_and_its_key_aborts_it() {
        let (owner, sim, runtime) = setup();
        owner.with(|| {
            let reports = Rc::new(RefCell::new(Vec::new()));
            let log = reports.clone();
            let options = UseTaskActionOptions::default()
                .key("upload")
                .on_progress(move |fraction| log.borrow_mut().push(fraction));
            let task = runtime.task("t").unwrap();
            let UseTaskActionReturn { action, .. } = use_task_action_with_options::<Halve>(task, options);
            action.dispatch_local(10);
            settle(&sim);
            assert_eq!(action.value().get_untracked(), Some(Ok(5)));
            assert_eq!(*reports.borrow(), [0.5]);

            action.dispatch_local(0);
            settle(&sim);
            runtime.abort_controller().abort("upload");
            settle(&sim);
            match action.value().get_untracked() {
                Some(Err(TaskError::Aborted { key, .. })) => assert_eq!(key.as_deref(), Some("upload")),
                other => panic!("expected the key's abort, got {other:?}"),
            }
            // While the key stays aborted, its calls fail at once; cleared, they run.
            action.dispatch_local(8);
            settle(&sim);
            assert!(matches!(
                action.value().get_untracked(),
                Some(Err(TaskError::Aborted { .. }))
            ));
            runtime.abort_controller().clear("upload");
            action.dispatch_local(8);
            settle(&sim);
            assert_eq!(action.value().get_untracked(), Some(Ok(4)));
        });
    }

    #[test]
    fn a_resource_aborts_the_stale_call_when_its_source_changes_and_on_cleanup() {
        let (owner, sim, runtime) = setup();
        let child = owner.with(Owner::new);
        let source = child.with(|| RwSignal::new(1u32));
        let values = Rc::new(RefCell::new(Vec::new()));
        let log = values.clone();
        let resource = child.with(|| {
            let UseTaskResourceReturn { resource, .. } = use_task_resource::<Wait>("t", move || source.get());
            // Something must read the resource for it to run; it logs every value it sees.
            Effect::new(move |_| {
                if let Some(value) = resource.get() {
                    log.borrow_mut().push(value);
                }
            });
            resource
        });
        settle(&sim);
        assert_eq!(runtime.snapshot().tasks[0].in_flight, 1, "the call for 1 runs");
        source.set(2);
        settle(&sim);
        assert_eq!(
            SEEN.with(|seen| seen.borrow().clone()),
            ["1 aborted"],
            "the stale call was aborted"
        );
        assert_eq!(resource.get_untracked(), Some(Ok(20)));
        assert!(
            !values.borrow().is_empty() && values.borrow().iter().all(|v| *v == Ok(20)),
            "the aborted stale call never became the value: {:?}",
            values.borrow()
        );
        assert_eq!(
            runtime.snapshot().tasks[0].total_dispatched,
            2,
            "one call per input, none repeated"
        );

        source.set(3);
        settle(&sim);
        assert_eq!(runtime.snapshot().tasks[0].in_flight, 1);
        child.cleanup();
        settle(&sim);
        assert_eq!(SEEN.with(|seen| seen.borrow().clone()), ["1 aborted", "3 aborted"]);
        assert_eq!(runtime.snapshot().tasks[0].in_flight, 0, "cleanup freed the worker");
    }
}

#[test]
fn tasks_defined_while_rendering_reach_the_signal_only_after_hydration() {
    hooks::init_executor();
    let owner = Owner::new();
    owner.with(|| {
        let sim = SimTransport::new(|| Registry::new().method::<Square>());
        let runtime = provide_task_runtime_with(|| TaskRuntime::simulated(&sim)).expect("client side");
        let snapshot = use_runtime_snapshot();
        // Another component defines its task during the same render.
        runtime.define(TaskConfig::singleton("w").task_id("late")).unwrap();
        assert_eq!(
            snapshot.get_untracked(),
            RuntimeSnapshot::default(),
            "the first render matches the server's"
        );
        hooks::run_effects();
        assert_eq!(snapshot.get_untracked().tasks.len(), 1, "caught up after hydration");
    });
}
