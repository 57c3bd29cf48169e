//! A client-side-rendered Leptos app, built with Trunk, whose heavy work runs on a pool
//! of Web Workers through the hooks: text statistics recomputed as you type (the stale
//! call aborted), a fingerprint of generated data with progress, and the pool's workers
//! as the runtime reports them.
//!
//! `src/main.rs` mounts [`App`]; this library holds the page and the worker side, which
//! the same bundle serves in every worker ([`csr_workers`]).

use leptos::prelude::*;
use leptos_atelier::{
    HandlerError, InitMode, TaskConfig, TaskContext, UseTaskActionReturn, UseTaskResourceReturn, WorkerState,
    provide_task_runtime, task_method, use_task_action, use_task_resource, use_task_snapshot, worker_entry,
};
use serde::{Deserialize, Serialize};

/// The task every call of this page goes to.
pub const TASK: &str = "text";
/// Workers in the task's pool, all started when the task is defined.
pub const POOL_SIZE: usize = 3;

/// What [`word_stats`] finds in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Words: runs of characters between whitespace.
    pub words: usize,
    /// Lines (an empty text has none).
    pub lines: usize,
    /// The longest word (the first of equal length).
    pub longest: String,
    /// The pool slot of the worker that counted.
    pub worker: usize,
}

/// Counts the words and lines of a text.
#[task_method]
pub async fn word_stats(text: String, cx: TaskContext) -> Result<Stats, HandlerError> {
    let words = text.split_whitespace();
    let longest = words.clone().fold("", |best, word| {
        if word.chars().count() > best.chars().count() {
            word
        } else {
            best
        }
    });
    Ok(Stats {
        words: words.count(),
        lines: text.lines().count(),
        longest: longest.to_owned(),
        worker: cx.worker_index(),
    })
}

/// The fingerprint of `mebibytes` MiB of generated data, and the worker that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprinted {
    /// FNV-1a (32 bit) of the data.
    pub hash: u32,
    /// The pool slot of the worker that hashed.
    pub worker: usize,
}

/// Hashes generated data (byte `i` is `i * 31 + 7`, truncated) with FNV-1a, one MiB
/// at a time, reporting progress and hearing a cancel between mebibytes.
#[task_method]
pub async fn fingerprint(mebibytes: u32, cx: TaskContext) -> Result<Fingerprinted, HandlerError> {
    const MIB: u32 = 1 << 20;
    let mut hash = 0x811c_9dc5_u32;
    for chunk in 0..mebibytes {
        cx.checkpoint().await?;
        for i in chunk * MIB..(chunk + 1) * MIB {
            hash = (hash ^ (i.wrapping_mul(31).wrapping_add(7) & 0xff)).wrapping_mul(0x0100_0193);
        }
        cx.progress(f64::from(chunk + 1) / f64::from(mebibytes));
    }
    Ok(Fingerprinted {
        hash,
        worker: cx.worker_index(),
    })
}

// The entry every worker calls (exported as `csr_workers`): it serves this app's methods.
worker_entry!(pub CsrWorkers = [word_stats, fingerprint]);

/// The page.
#[component]
pub fn App() -> impl IntoView {
    if let Some(runtime) = provide_task_runtime() {
        runtime
            .define(
                TaskConfig::parallel(CsrWorkers)
                    .task_id(TASK)
                    .pool_size(POOL_SIZE)
                    .init(InitMode::Eager),
            )
            .expect("a valid task");
    }
    view! {
        <main>
            <h1>"Text lab"</h1>
            <p class="lede">
                "A client-side-rendered Leptos app built with Trunk. Every count below runs on one of "
                {POOL_SIZE} " Web Workers that run this page's own wasm bundle."
            </p>
            <TextStats />
            <FingerprintPanel />
            <Workers />
        </main>
    }
}

/// Statistics of the text being typed, recomputed on a worker at every change.
#[component]
fn TextStats() -> impl IntoView {
    let text = RwSignal::new(String::from("Type here: each change is counted on a worker."));
    let UseTaskResourceReturn { resource, .. } = use_task_resource::<word_stats>(TASK, move || text.get());
    view! {
        <section>
            <h2>"Words"</h2>
            <label for="text">"Text"</label>
            <textarea id="text" rows="4" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <Transition fallback=|| view! { <p id="stats">"counting…"</p> }>
                <p id="stats">
                    {move || resource.get().map(|stats| match stats {
                        Ok(s) => format!(
                            "{}, {}, longest “{}” (worker {})",
                            counted(s.words, "word"),
                            counted(s.lines, "line"),
                            s.longest,
                            s.worker,
                        ),
                        Err(e) => format!("failed: {e}"),
                    })}
                </p>
            </Transition>
        </section>
    }
}

/// A button that fingerprints generated data on a worker, with progress and cancel.
#[component]
fn FingerprintPanel() -> impl IntoView {
    let UseTaskActionReturn {
        action,
        progress,
        abort,
    } = use_task_action::<fingerprint>(TASK);
    let result = move || {
        action.value().get().map(|outcome| match outcome {
            Ok(f) => format!("{:08x} (worker {})", f.hash, f.worker),
            Err(e) => format!("failed: {e}"),
        })
    };
    view! {
        <section>
            <h2>"fingerprint"</h2>
            <div class="row">
                <button id="fingerprint" on:click=move |_| { action.dispatch_local(16); }>
                    "Hash 16 MiB"
                </button>
                <button id="cancel" on:click=move |_| abort() disabled=move || !action.pending().get()>
                    "Cancel"
                </button>
                <progress max="1" value=move || progress.get().unwrap_or(0.0)></progress>
            </div>
            <p id="fingerprint-result">{result}</p>
        </section>
    }
}

/// The pool as the runtime reports it.
#[component]
fn Workers() -> impl IntoView {
    let snapshot = use_task_snapshot(TASK);
    let workers = move || snapshot.get().map(|task| task.workers).unwrap_or_default();
    view! {
        <section>
            <h2>"Workers"</h2>
            <p>
                "running: "
                <span id="worker-count">{move || snapshot.get().map_or(0, |task| task.active_workers)}</span>
                " of " {POOL_SIZE}
            </p>
            <ul class="workers">
                {move || {
                    workers()
                        .into_iter()
                        .map(|worker| {
                            let state = state_name(worker.state);
                            view! {
                                <li class="worker" data-state=state>
                                    {format!("worker {}: {state}, {} completed", worker.index, worker.completed)}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

/// "1 word", "2 words".
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn state_name(state: WorkerState) -> &'static str {
    match state {
        WorkerState::Stopped => "stopped",
        WorkerState::Starting => "starting",
        WorkerState::Ready => "ready",
        WorkerState::Crashed => "crashed",
    }
}
