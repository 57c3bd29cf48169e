//! The image pipeline: N images, drawn by the workers, go through three tasks, `resize` (a
//! pool), `analyze` and `enhance` (singletons; `enhance` stops its worker when idle),
//! at most `limit` images at a time through `parallel_limit_settled`, every call
//! carrying the run's key so that one abort stops the run.
//!
//! As in Atelier's demo, tabs (Overview, Throughput, Backpressure, Cancellation,
//! Crashes, Playground) each start from their own settings and show their controls;
//! Reset rebuilds the three tasks. Laid out by concern: `stages` defines the tasks,
//! `settings` holds the tabs' presets and the control signals, `inputs` the controls,
//! `run` a run from start to end, `item` an image's [`Stage`](item::Stage), `flow` the
//! flow graph and `card` an image's card. This file is the page section that ties
//! them together.

mod card;
mod flow;
mod inputs;
mod item;
mod run;
mod settings;
mod stages;

use leptos::prelude::*;
use leptos_atelier::{TaskStatus, UseAbortStateReturn, use_abort_state, use_task_snapshot};

use crate::controls::OrEmpty;
use card::ImageCard;
use flow::FlowGraph;
use inputs::TabControls;
use item::{Item, Stage};
use run::PIPELINE_KEY;
use settings::{Controls, Tab};
use stages::define_stages;

pub use stages::{ANALYZE, ENHANCE, RESIZE};

#[component]
pub fn Pipeline() -> impl IntoView {
    // A newcomer lands on the Overview: what the stages are and what to try.
    let tab = RwSignal::new(Tab::Overview);
    let controls = Controls::new(Tab::Overview.defaults());
    let stages = StoredValue::new_local(define_stages(controls.read()));
    on_cleanup(move || {
        stages.try_with_value(|stages| {
            if let Some(stages) = stages {
                for task in [&stages.resize, &stages.analyze, &stages.enhance] {
                    task.dispose();
                }
            }
        });
    });
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let runs = StoredValue::new(0u32);
    // Owns the current run's item signals; replaced (and the old ones freed) by each run.
    let scope = StoredValue::new(Vec::<Owner>::new());
    let items = RwSignal::new(Vec::<Item>::new());
    let UseAbortStateReturn {
        is_aborted,
        abort,
        clear,
    } = use_abort_state(PIPELINE_KEY);
    let running = move || items.with(|all| all.iter().any(|i| !i.stage.get().is_settled()));

    let choose = move |next: Tab| {
        tab.set(next);
        controls.apply(next.defaults());
    };
    let reset = move |_| {
        controls.apply(tab.get_untracked().defaults());
        run::replace_items(items, scope, 0);
        let settings = controls.read();
        stages.set_value(define_stages(settings));
    };
    let run = move |_| {
        runs.update_value(|n| *n += 1);
        run::start(stages, controls, items, scope, runs.get_value(), &clear);
    };

    let count_in = move |stage: Stage| {
        Signal::derive(move || {
            items
                .with(|all| all.iter().filter(|i| i.stage.get() == stage).count())
                .to_string()
        })
    };
    let first_error = move || items.with(|all| all.iter().find_map(|i| i.error.get()));
    // What the last run came to, in words; a crash halt of any stage says so.
    let stage_snapshots = [RESIZE, ANALYZE, ENHANCE].map(use_task_snapshot);
    let halted = move || {
        stage_snapshots
            .iter()
            .any(|s| s.with(|t| t.as_ref().is_some_and(|t| t.status == TaskStatus::Halted)))
    };
    let run_status = move || {
        items.with(|all| {
            let count = |stage: Stage| all.iter().filter(|i| i.stage.get() == stage).count();
            if all.is_empty() {
                "no run yet"
            } else if all.iter().any(|i| !i.stage.get().is_settled()) {
                "running"
            } else if halted() {
                "halted"
            } else if count(Stage::Canceled) > 0 {
                "aborted"
            } else if count(Stage::Failed) == all.len() {
                "failed"
            } else if count(Stage::Failed) > 0 {
                "completed with failures"
            } else {
                "completed"
            }
        })
    };

    view! {
        <section class="pipeline" id="pipeline">
            <h2>"Image pipeline: resize → analyze → enhance"</h2>
            <nav class="tabs" role="tablist">
                {Tab::ALL
                    .into_iter()
                    .map(|t| {
                        view! {
                            <button
                                id=format!("tab-{}", t.slug())
                                role="tab"
                                class:selected=move || tab.get() == t
                                aria-selected=move || (tab.get() == t).to_string()
                                on:click=move |_| choose(t)
                            >
                                {t.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </nav>
            <div class="tab-body" data-tab=move || tab.get().slug()>
                {move || view! { <TabControls tab=tab.get() controls /> }}
            </div>
            <div class="controls wrap actions">
                <button
                    id="pipeline-run"
                    class="primary"
                    disabled=move || !hydrated.get() || running()
                    on:click=run
                >
                    "Run"
                </button>
                <button
                    id="pipeline-abort"
                    hidden=move || !running()
                    disabled=move || !hydrated.get() || !running() || is_aborted.get()
                    on:click=move |_| abort()
                >
                    "Abort"
                </button>
                <button id="pipeline-reset" disabled=move || !hydrated.get() || running() on:click=reset>
                    "Reset"
                </button>
                <span class="status" role="status">
                    "Run: " <b id="pipeline-run-status">{run_status}</b> " · images: "
                    <b id="pipeline-done">{count_in(Stage::Done)}</b> " completed, "
                    <b id="pipeline-failed">{count_in(Stage::Failed)}</b> " failed, "
                    <b id="pipeline-canceled">{count_in(Stage::Canceled)}</b> " canceled, of "
                    <b id="pipeline-total">{move || items.with(Vec::len).to_string()}</b>
                </span>
            </div>
            {move || first_error().map(|e| view! { <p class="error" id="pipeline-error">{e}</p> })}
            <FlowGraph items />
            <crate::events::EventPanel />
            <OrEmpty
                filled=Signal::derive(move || items.with(|all| !all.is_empty()))
                id="pipeline-empty"
                text="No run yet: press Run, and a card for each image appears here with its stage, its progress and, once enhanced, the picture."
            >
                <ul class="images">
                    // Rebuilt only when a run starts; each card follows its own item's signals.
                    {move || {
                        items
                            .get()
                            .into_iter()
                            .enumerate()
                            .map(|(index, item)| view! { <ImageCard index item /> })
                            .collect_view()
                    }}
                </ul>
            </OrEmpty>
        </section>
    }
}
