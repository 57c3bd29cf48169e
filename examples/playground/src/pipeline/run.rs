//! A run: every image through the three stages, at most `limit` at a time, every call
//! carrying the run's key (so one abort stops the run) and joining the run's trace.
//! [`start`] prepares the run and spawns it; [`process`] takes one image through;
//! [`finish`] records how each image ended and ends the trace.

use futures_util::{Stream, StreamExt};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_atelier::{
    AbortTaskController, CallOptions, ParallelLimitOptions, Settled, TaskError, Trace, TraceEnd,
    parallel_limit_settled, use_task_runtime,
};

use super::item::{Item, Stage};
use super::settings::Controls;
use super::stages::{Stages, analyze_config, define_stage};
use crate::images::{Faults, Picture, analyze, enhance, resize};

/// The key every call of a pipeline run carries.
pub const PIPELINE_KEY: &str = "pipeline-run";
/// Side of the pictures the resize workers draw, in pixels.
const SIDE: u32 = 320;

/// Starts a run with the page's settings: redefines `analyze` with the chosen queue and
/// crash settings, clears the run key (`clear`), and runs every image in the
/// background, writing into `items` (whose signals `scope` owns). `run_number` names the run's trace.
pub fn start(
    stages: StoredValue<Option<Stages>, LocalStorage>,
    controls: Controls,
    items: RwSignal<Vec<Item>>,
    scope: StoredValue<Vec<Owner>>,
    run_number: u32,
    clear: impl Fn(),
) {
    let Some(runtime) = use_task_runtime() else { return };
    let settings = controls.read();
    stages.update_value(|stages| {
        let Some(stages) = stages else { return };
        stages.analyze.dispose();
        if let Some(analyze) = define_stage(&runtime, analyze_config(settings)) {
            stages.analyze = analyze;
        }
    });
    let Some(stages) = stages.get_value() else { return };
    let aborts = runtime.abort_controller();
    clear();
    let count = settings.images;
    replace_items(items, scope, count);
    // The first image's analyze call crashes its worker, if armed.
    let crash_first = controls.crash_next.get_untracked();
    controls.crash_next.set(false);
    let error_percent = settings.error_percent.min(100) as u8;
    let trace = runtime.create_trace(Some(&format!("run-{run_number}")));
    let options = ParallelLimitOptions::new().keyed(aborts.clone(), |_: &usize| Some(PIPELINE_KEY.to_string()));
    let spans = trace.clone();
    let limit = if settings.limit_on { settings.limit } else { count };
    let Ok(stream) = parallel_limit_settled(
        0..count,
        limit.max(1),
        move |index| {
            let faults = Faults {
                error_percent,
                crash: crash_first && index == 0,
            };
            process(stages.clone(), index, items, spans.clone(), faults)
        },
        options,
    ) else {
        return;
    };
    spawn_local(finish(stream, items, trace, aborts));
}

/// Gives the page `count` fresh items, their signals owned by a scope of this run, and
/// frees those of the run before the previous one (the previous run's cards may still
/// read theirs until the list re-renders): however many runs, at most two runs'
/// signals are alive.
pub fn replace_items(items: RwSignal<Vec<Item>>, scope: StoredValue<Vec<Owner>>, count: usize) {
    let owner = Owner::new();
    let fresh = owner.with(|| (0..count).map(|_| Item::queued()).collect());
    items.set(fresh);
    let stale = scope
        .try_update_value(|owners| {
            owners.push(owner);
            (owners.len() > 2).then(|| owners.remove(0))
        })
        .flatten();
    if let Some(stale) = stale {
        stale.cleanup();
    }
}

/// Marks each image that failed or was canceled as it settles, then the images the
/// abort kept from starting, and ends the run's trace with the first real failure.
async fn finish(
    stream: impl Stream<Item = Settled<usize, (), TaskError>>,
    items: RwSignal<Vec<Item>>,
    trace: Trace,
    aborts: AbortTaskController,
) {
    let mut stream = std::pin::pin!(stream);
    let mut failure = None;
    while let Some(settled) = stream.next().await {
        let Err(error) = settled.outcome else { continue };
        let canceled = matches!(error, TaskError::Aborted { .. });
        if !canceled {
            failure.get_or_insert_with(|| error.clone());
        }
        if let Some(item) = items.with_untracked(|all| all.get(settled.item).copied()) {
            item.stage.set(if canceled { Stage::Canceled } else { Stage::Failed });
            item.error.set(Some(error.to_string()));
        }
    }
    for item in items.get_untracked() {
        if item.stage.get_untracked() == Stage::Queued {
            item.stage.set(Stage::Canceled);
        }
    }
    trace.end(match failure {
        Some(error) => TraceEnd::from_error(&error),
        None if aborts.is_aborted(PIPELINE_KEY) => TraceEnd::canceled(),
        None => TraceEnd::ok(),
    });
}

/// Runs image `index` through the three stages, reporting into `items`; every call's
/// span joins the run's `trace`. `faults.crash` makes its analyze call crash its worker.
async fn process(
    stages: Stages,
    index: usize,
    items: RwSignal<Vec<Item>>,
    trace: Trace,
    faults: Faults,
) -> Result<(), TaskError> {
    let Some(item) = items.with_untracked(|all| all.get(index).copied()) else {
        return Ok(());
    };
    let keyed = || CallOptions::new().key(PIPELINE_KEY).trace(&trace);
    item.stage.set(Stage::Resize);
    let picture = Picture {
        seed: index as u32 + 1,
        width: SIDE,
        height: SIDE,
    };
    let progress = keyed().on_progress(move |fraction| item.progress.set(fraction));
    let plain = Faults { crash: false, ..faults };
    let small = stages.resize.call_with::<resize>((picture, plain), progress).await?;
    item.stage.set(Stage::Analyze);
    let stats = stages
        .analyze
        .call_with::<analyze>((small.clone(), faults), keyed())
        .await?;
    item.before.set(Some((stats.min, stats.max)));
    item.stage.set(Stage::Enhance);
    let enhanced = stages
        .enhance
        .call_with::<enhance>((small, stats, plain), keyed())
        .await?;
    item.progress.set(1.0);
    item.after.set(Some((enhanced.stats.min, enhanced.stats.max)));
    item.url.set(Some(enhanced.url));
    item.stage.set(Stage::Done);
    Ok(())
}
