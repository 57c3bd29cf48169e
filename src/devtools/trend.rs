//! A task's latency trend in the devtools panel: p50 and p95 of run time, sampled each
//! time the task's telemetry changes while the panel is open, drawn as two lines.

use std::collections::VecDeque;

use leptos::prelude::*;

use crate::observe::TelemetrySummary;

/// How many samples the chart keeps.
const SAMPLES: usize = 60;
const WIDTH: f64 = 240.0;
const HEIGHT: f64 = 40.0;

/// The SVG points of `values` scaled to the chart, `top` being the largest value.
fn points(values: impl Iterator<Item = f64>, count: usize, top: f64) -> String {
    let step = if count > 1 { WIDTH / (count - 1) as f64 } else { 0.0 };
    values
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", i as f64 * step, HEIGHT - v / top * HEIGHT))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The chart of `telemetry`'s run-time p50 and p95.
#[component]
pub(super) fn Trend(telemetry: Signal<TelemetrySummary>) -> impl IntoView {
    let samples = RwSignal::new(VecDeque::<(f64, f64)>::new());
    Effect::new(move |_| {
        let (p50, p95) = telemetry.with(|t| (t.run_time.p50_ms, t.run_time.p95_ms));
        if let (Some(p50), Some(p95)) = (p50, p95) {
            samples.update(|list| {
                if list.len() == SAMPLES {
                    list.pop_front();
                }
                list.push_back((p50, p95));
            });
        }
    });
    let line = move |pick: fn(&(f64, f64)) -> f64| {
        move || {
            samples.with(|list| {
                let top = list.iter().map(|s| s.1).fold(f64::EPSILON, f64::max);
                points(list.iter().map(pick), list.len(), top)
            })
        }
    };
    let label = move || {
        samples.with(|list| match list.back() {
            Some((p50, p95)) => format!(
                "Run time over the last {} changes: now p50 {p50:.1} ms, p95 {p95:.1} ms",
                list.len()
            ),
            None => "Run time: no call has completed yet".to_owned(),
        })
    };
    view! {
        <figure class="atelier-devtools-trend">
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                width=WIDTH
                height=HEIGHT
                role="img"
                aria-label=label
            >
                <polyline class="atelier-devtools-p95" fill="none" points=line(|s| s.1) />
                <polyline class="atelier-devtools-p50" fill="none" points=line(|s| s.0) />
            </svg>
            <figcaption>"run time p50 (solid) and p95 (dashed)"</figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::{HEIGHT, WIDTH, points};

    #[test]
    fn points_span_the_width_and_put_the_top_value_at_the_top() {
        let drawn = points([1.0, 2.0, 4.0].into_iter(), 3, 4.0);
        assert_eq!(
            drawn,
            format!(
                "0.0,{:.1} {:.1},{:.1} {WIDTH:.1},0.0",
                HEIGHT * 0.75,
                WIDTH / 2.0,
                HEIGHT / 2.0
            )
        );
    }
}
