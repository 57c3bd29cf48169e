//! The controls of the pipeline's tabs: each tab shows the inputs its scenario is
//! about; the Playground tab has them all, in sections that reset to its defaults.

use leptos::prelude::*;

use super::run::PIPELINE_KEY;
use super::settings::{Controls, Tab};
use crate::controls::{CRASH_POLICIES, NumberInput, OptionSelect, QUEUE_POLICIES, Toggle};

/// The Overview tab: what the stages are and what to try.
#[component]
fn Overview() -> impl IntoView {
    view! {
        <div class="overview">
            <p>
                "Each image goes through three tasks, and nothing heavy runs in the page: " <b>"resize"</b>
                " (a pool of four workers, started on first use, drawing the picture, halving it and reporting progress), "
                <b>"analyze"</b> " (one worker, started at once, measuring luminance; its queue and crash policy "
                "are yours to set) and " <b>"enhance"</b>
                " (one worker that stops after 10 s idle, stretching the contrast). At most "
                <i>"max parallel"</i> " images are in the pipeline at once (parallel_limit_settled), and every "
                "call carries the key " <code>{PIPELINE_KEY}</code> "."
            </p>
            <ul>
                <li>
                    <b>"Throughput"</b>
                    ": raise the images and max parallel, and watch the resize pool fill."
                </li>
                <li>
                    <b>"Backpressure"</b>
                    ": all images at once into analyze's short queue; block, reject or drop."
                </li>
                <li><b>"Cancellation"</b> ": abort the run's key mid-run; nothing completes after."</li>
                <li><b>"Crashes"</b> ": crash the next analyze worker and pick what happens to its calls."</li>
                <li><b>"Playground"</b> ": everything, plus a simulated error rate."</li>
            </ul>
        </div>
    }
}

#[component]
pub fn ImagesInput(controls: Controls) -> impl IntoView {
    view! { <NumberInput id="pipeline-images" label="Images" value=controls.images min=1 max=200 /> }
}

/// How many pipelines run at once.
#[component]
fn LimitInputs(controls: Controls) -> impl IntoView {
    view! {
        <Toggle id="pipeline-limit-on" label="limit parallel pipelines" value=controls.limit_on />
        <NumberInput id="pipeline-limit" label="max parallel" value=controls.limit min=1 max=64 />
    }
}

/// Analyze's queue: its depth and its policy.
#[component]
fn QueueInputs(controls: Controls) -> impl IntoView {
    view! {
        <Toggle id="pipeline-depth-on" label="limit analyze queue depth" value=controls.depth_on />
        <NumberInput id="pipeline-analyze-depth" label="max depth" value=controls.depth min=1 max=100 />
        <OptionSelect id="pipeline-analyze-policy" label="policy" value=controls.policy options=QUEUE_POLICIES />
    }
}

/// The run key that Abort aborts.
#[component]
fn RunKey() -> impl IntoView {
    view! { <span>"run key " <code id="pipeline-key">{PIPELINE_KEY}</code> ": Abort aborts it"</span> }
}

/// Analyze's crash policy and the "crash next" switch.
#[component]
fn CrashInputs(controls: Controls) -> impl IntoView {
    view! {
        <OptionSelect id="pipeline-analyze-crash" label="on crash" value=controls.crash_policy options=CRASH_POLICIES />
        <Toggle id="pipeline-crash-next" label="crash next analyze" value=controls.crash_next />
    }
}

/// The controls of one tab (the Playground tab has them all, in sections).
#[component]
pub fn TabControls(tab: Tab, controls: Controls) -> impl IntoView {
    let inputs = match tab {
        Tab::Overview => return view! { <Overview /> }.into_any(),
        Tab::Playground => return view! { <PlaygroundControls controls /> }.into_any(),
        Tab::Throughput => view! { <LimitInputs controls /> }.into_any(),
        Tab::Backpressure => view! { <QueueInputs controls /> }.into_any(),
        Tab::Cancellation => view! { <RunKey /> }.into_any(),
        Tab::Crashes => view! { <CrashInputs controls /> }.into_any(),
    };
    view! {
        <div class="controls wrap">
            <ImagesInput controls />
            {inputs}
        </div>
    }
    .into_any()
}

/// One section of the Playground tab; `reset` (if any) gets a link that puts the
/// section's settings back.
#[component]
fn Section(
    title: &'static str,
    #[prop(optional)] reset: Option<(&'static str, Callback<()>)>,
    children: Children,
) -> impl IntoView {
    view! {
        <details open>
            <summary>{title}</summary>
            <div class="controls wrap">
                {children()}
                {reset
                    .map(|(id, reset)| {
                        view! {
                            <a class="reset" id=id href="#pipeline" on:click=move |_| reset.run(())>
                                "reset"
                            </a>
                        }
                    })}
            </div>
        </details>
    }
}

/// All controls, in sections that each reset to the Playground tab's values.
#[component]
fn PlaygroundControls(controls: Controls) -> impl IntoView {
    let defaults = Tab::Playground.defaults();
    let reset_throughput = Callback::new(move |()| {
        controls.images.set(defaults.images);
        controls.limit_on.set(defaults.limit_on);
        controls.limit.set(defaults.limit);
    });
    let reset_queue = Callback::new(move |()| {
        controls.depth_on.set(defaults.depth_on);
        controls.depth.set(defaults.depth);
        controls.policy.set(defaults.policy);
    });
    let reset_crashes = Callback::new(move |()| {
        controls.crash_policy.set(defaults.crash_policy);
        controls.crash_next.set(false);
        controls.error_percent.set(defaults.error_percent);
    });
    view! {
        <div class="playground-sections">
            <Section title="Throughput" reset=("reset-throughput", reset_throughput)>
                <ImagesInput controls />
                <LimitInputs controls />
            </Section>
            <Section title="Backpressure" reset=("reset-backpressure", reset_queue)>
                <QueueInputs controls />
            </Section>
            <Section title="Cancellation">
                <RunKey />
            </Section>
            <Section title="Crash recovery and errors" reset=("reset-crashes", reset_crashes)>
                <CrashInputs controls />
                <NumberInput id="pipeline-error-rate" label="error rate %" value=controls.error_percent min=0 max=100 />
            </Section>
        </div>
    }
}
