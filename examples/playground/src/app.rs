//! The app's shell and routes (`/` home, `/playground`, `/docs`), and the playground
//! page's first section: the throughput demo (N prime counts on a pool, the queue
//! moving), before the image pipeline and the lab (see `pipeline.rs`, `lab.rs`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_atelier::{
    ConfigError, RuntimeOptions, SpanMode, Task, TaskConfig, TaskRuntime, TaskSnapshot, provide_task_runtime_with,
    use_task_runtime, use_task_snapshot,
};
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::PlaygroundWorkers;
use crate::controls::{NumberInput, OrEmpty, Stat};
use crate::jobs::{PrimeCount, count_primes};

/// The id of the prime-counting task.
pub const TASK_ID: &str = "primes";
/// Workers in the pool.
pub const POOL_SIZE: usize = 2;
/// Most jobs one run may start.
pub const MAX_JOBS: usize = 64;

/// The bound of job `index`: later jobs are a little heavier.
pub fn bound_for(index: usize) -> u32 {
    200_000 + 20_000 * index as u32
}

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="data:," />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The app: the home page, the playground and the docs.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // One runtime for the page (none on the server, where the page renders its empty
    // state), recording spans and traces for the event panel.
    provide_task_runtime_with(|| {
        // A spare worker makes the crash demo's restarts and the pools' growth quick.
        TaskRuntime::new_with_options(RuntimeOptions::new().spans(SpanMode::On).spare_workers(1))
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/playground.css" />
        <Title text="leptos_atelier playground" />
        <Router>
            <header class="site">
                <A href="/">"leptos_atelier"</A>
                <nav>
                    <A href="/playground">"Playground"</A>
                    <A href="/docs">"Docs"</A>
                </nav>
            </header>
            <main>
                <Routes fallback=|| "Not found.">
                    <Route path=path!("") view=crate::home::Home />
                    <Route
                        path=path!("/playground")
                        view=|| view! { <PlaygroundIntro /> <crate::pipeline::Pipeline /> <PrimesDemo /> <crate::lab::Lab /> }
                    />
                    <Route path=path!("/docs") view=crate::docs::Docs />
                    <Route path=path!("/docs/:slug") view=crate::docs::Docs />
                </Routes>
            </main>
        </Router>
        // Every task, queue, worker and aborted key of the page's runtime, one click away.
        <leptos_atelier::RuntimeDevtools />
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Job {
    index: usize,
    below: u32,
    outcome: Option<Result<PrimeCount, String>>,
}

/// The playground's title and its sections, the image pipeline first.
#[component]
fn PlaygroundIntro() -> impl IntoView {
    view! {
        <h1>"leptos_atelier playground"</h1>
        <nav class="sections">
            <a href="#pipeline">"Image pipeline"</a>
            <a href="#throughput">"Throughput"</a>
            <a href="#lab">"Backpressure · Cancellation · Crash recovery · Latency"</a>
        </nav>
        <p class="lead" id="devtools-hint">
            "Each section shows the runtime's signals as an app would use them. To inspect every task at once "
            "(queues against their limits, each worker, the last crash and its cause, latency, aborted keys), "
            "open " <b>"Task devtools"</b> " at the bottom right: the crate's " <code>"<RuntimeDevtools/>"</code>
            ", one line in any app."
        </p>
    }
}

#[component]
fn PrimesDemo() -> impl IntoView {
    // On the server there is no runtime and no task; the page renders its empty state.
    let task: StoredValue<Option<Result<Task, ConfigError>>, LocalStorage> =
        StoredValue::new_local(use_task_runtime().map(|runtime| {
            runtime.define(
                TaskConfig::parallel(PlaygroundWorkers)
                    .task_id(TASK_ID)
                    .name("Prime counting")
                    .pool_size(POOL_SIZE)
                    .bootstrap_url(crate::BOOTSTRAP_PATH),
            )
        }));
    on_cleanup(move || {
        task.try_with_value(|task| {
            if let Some(Ok(task)) = task {
                task.dispose();
            }
        });
    });
    let definition_error = task.with_value(|t| match t {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    });

    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let job_count = RwSignal::new(8usize);
    let jobs = RwSignal::new(Vec::<Job>::new());
    let snapshot = use_task_snapshot(TASK_ID);
    let peak_in_flight = RwSignal::new(0usize);
    Effect::new(move |_| {
        let now = snapshot.with(|s| s.as_ref().map_or(0, |t| t.in_flight));
        if now > peak_in_flight.get_untracked() {
            peak_in_flight.set(now);
        }
    });
    let running = move || jobs.with(|all| all.iter().any(|job| job.outcome.is_none()));

    let run = move |_| {
        let batch: Vec<Job> = (0..job_count.get_untracked())
            .map(|index| Job {
                index,
                below: bound_for(index),
                outcome: None,
            })
            .collect();
        jobs.set(batch.clone());
        peak_in_flight.set(0);
        task.with_value(|task| {
            let Some(Ok(task)) = task else { return };
            for job in batch {
                let call = task.call::<count_primes>(job.below);
                spawn_local(async move {
                    let outcome = call.await.map_err(|e| e.to_string());
                    jobs.update(|all| {
                        if let Some(slot) = all.get_mut(job.index) {
                            slot.outcome = Some(outcome);
                        }
                    });
                });
            }
        });
    };

    let stat = move |read: fn(&TaskSnapshot) -> usize| {
        Signal::derive(move || snapshot.with(|s| s.as_ref().map_or(0, read)).to_string())
    };
    let done = move || jobs.with(|all| all.iter().filter(|job| job.outcome.is_some()).count());
    let status = move || match (jobs.with(Vec::len), done()) {
        (0, _) => "idle".to_string(),
        (total, finished) if finished == total => format!("done: {total} jobs"),
        (total, finished) => format!("running: {finished} / {total}"),
    };

    view! {
        <section class="demo" id="throughput">
            <h2>"Throughput: prime counts on a pool of workers"</h2>
            <p class="lead">
                "Each job counts the primes below a bound, by trial division, on a pool of "
                {POOL_SIZE} " Web Workers running this page's own wasm bundle. "
                "The numbers below are Leptos signals pushed by the runtime on every queue transition."
            </p>
            {definition_error.map(|e| view! { <p class="error" id="definition-error">{e}</p> })}
            <div class="controls">
                <NumberInput id="jobs" label="Jobs" value=job_count min=1 max=MAX_JOBS />
                <button id="run" disabled=move || !hydrated.get() || running() on:click=run>
                    "Run"
                </button>
                <span id="status" class="status">{status}</span>
            </div>
            <div class="stats">
                <Stat id="in-flight" label="In flight" value=stat(|t| t.in_flight) />
                <Stat id="pending" label="Pending" value=stat(|t| t.pending) />
                <Stat id="waiting" label="Waiting" value=stat(|t| t.waiting) />
                <Stat id="active-workers" label="Workers" value=stat(|t| t.active_workers) />
                <Stat
                    id="peak-in-flight"
                    label="Peak in flight"
                    value=Signal::derive(move || peak_in_flight.get().to_string())
                />
            </div>
            <ul class="workers">
                {move || {
                    snapshot
                        .get()
                        .map(|t| t.workers)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|worker| {
                            let state = format!("{:?}", worker.state).to_lowercase();
                            let busy = worker.in_flight > 0;
                            let state_text = state.clone();
                            view! {
                                <li class="worker" data-index=worker.index.to_string() data-state=state>
                                    <span class="name">"worker " {worker.index}</span>
                                    <span class="state">{state_text}</span>
                                    <span class="busy" class:on=busy></span>
                                    <span class="completed">{worker.completed} " done"</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <OrEmpty
                filled=Signal::derive(move || jobs.with(|all| !all.is_empty()))
                id="results-empty"
                text="No jobs yet: press Run, and each job's bound, its prime count and the worker that counted it appear here."
            >
            <table id="results">
                <thead>
                    <tr>
                        <th>"#"</th>
                        <th>"primes below"</th>
                        <th>"count"</th>
                        <th>"worker"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || jobs.get().into_iter().map(|job| view! { <JobRow job /> }).collect_view()}
                </tbody>
            </table>
            </OrEmpty>
        </section>
    }
}

#[component]
fn JobRow(job: Job) -> impl IntoView {
    let (status, count, worker) = match &job.outcome {
        None => ("running", "…".to_string(), String::new()),
        Some(Ok(found)) => ("done", found.count.to_string(), found.worker.to_string()),
        Some(Err(e)) => ("failed", e.clone(), String::new()),
    };
    let (count_cell, worker_cell) = (count.clone(), worker.clone());
    view! {
        <tr
            class="job"
            data-status=status
            data-below=job.below.to_string()
            data-count=count
            data-worker=worker
        >
            <td>{job.index}</td>
            <td>{job.below}</td>
            <td class="count">{count_cell}</td>
            <td class="served-by">{worker_cell}</td>
        </tr>
    }
}
