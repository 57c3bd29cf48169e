//! Spans: one record per call, reported when the call ends, and their sampling.
//!
//! This module owns the span settings of a runtime ([`SpanMode`], the sample rate),
//! the deterministic sampler, and the [`SpanEvent`] a call produces. The executor
//! fills the span's fields as the call moves; it decides nothing here. Spans are
//! delivered as [`RuntimeEvent::Span`](crate::RuntimeEvent::Span), after the call's
//! `task.duration_ms` metric, and in the browser they are also
//! recorded with `performance.measure("atelier:span", …)` so that they appear in the
//! DevTools performance panel.
//!
//! A span is built only if spans are on, the call is sampled, and someone can see it
//! (an event subscriber, or the browser's performance timeline).

use std::fmt;

use serde::Serialize;

use super::event::{SpanEvent, SpanStatus};
use crate::platform::{MeasureValue, Platform};

/// Whether a runtime records spans and traces.
///
/// ```
/// use leptos_atelier::{RuntimeOptions, SpanMode};
///
/// let options = RuntimeOptions::new().spans(SpanMode::On).sample_rate(0.25);
/// assert!(options.spans_enabled());
/// assert_eq!(options.resolved_sample_rate(), 0.25);
/// // Auto: on in debug builds, off in release builds (Atelier's "dev environment").
/// assert_eq!(RuntimeOptions::new().spans_enabled(), cfg!(debug_assertions));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpanMode {
    /// On in debug builds (`debug_assertions`), off in release builds.
    #[default]
    Auto,
    /// Always on.
    On,
    /// Never: no span, no trace event, no `performance.measure`. Metrics still flow.
    Off,
}

impl SpanMode {
    pub(crate) fn enabled(self) -> bool {
        match self {
            SpanMode::Auto => cfg!(debug_assertions),
            SpanMode::On => true,
            SpanMode::Off => false,
        }
    }
}

impl SpanEvent {
    /// Puts the span on the browser's performance timeline as an `atelier:span`
    /// measure from `start` to `end` (clock ms), when the platform has one.
    pub(crate) fn measure(&self, platform: &Platform, start: f64, end: f64) {
        if !platform.measures() {
            return;
        }
        let status = match self.status {
            SpanStatus::Ok => "ok",
            SpanStatus::Error => "error",
            SpanStatus::Canceled => "canceled",
        };
        let mut detail = vec![
            ("spanId", MeasureValue::Text(&self.span_id)),
            ("taskId", MeasureValue::Text(&self.task_id)),
            ("method", MeasureValue::Text(self.method)),
            ("callId", MeasureValue::Number(self.call_id as f64)),
            ("attemptCount", MeasureValue::Number(f64::from(self.attempt_count))),
            ("queueWaitMs", MeasureValue::Number(self.queue_wait_ms)),
            ("status", MeasureValue::Text(status)),
        ];
        if let Some(index) = self.worker_index {
            detail.push(("workerIndex", MeasureValue::Number(index as f64)));
        }
        if let Some(trace) = &self.trace_id {
            detail.push(("traceId", MeasureValue::Text(trace)));
        }
        if let Some(error) = &self.error {
            detail.push(("error", MeasureValue::Text(error)));
        }
        platform.measure("atelier:span", start, end, &detail);
    }
}

/// A runtime's resolved span settings, copied into each task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SpanSettings {
    pub(crate) enabled: bool,
    pub(crate) sample_rate: f64,
}

impl SpanSettings {
    /// Whether the span or trace with this id is recorded (Atelier's `shouldSampleSpan`
    /// without a trace, and its trace sampling: the same test).
    pub(crate) fn samples(&self, span_id: impl fmt::Display) -> bool {
        if !self.enabled || self.sample_rate <= 0.0 {
            return false;
        }
        self.sample_rate >= 1.0 || sample_by_id(&span_id.to_string(), self.sample_rate)
    }
}

/// 32-bit FNV-1a over the UTF-16 code units of `id`, as Atelier hashes ids.
pub(crate) fn fnv1a_utf16(id: &str) -> u32 {
    id.encode_utf16().fold(2_166_136_261_u32, |hash, unit| {
        (hash ^ u32::from(unit)).wrapping_mul(16_777_619)
    })
}

/// Whether an id falls in the sampled fraction `rate`: the same id always gives the
/// same answer, so a span and the trace it belongs to can be kept or dropped together.
pub(crate) fn sample_by_id(id: &str, rate: f64) -> bool {
    f64::from(fnv1a_utf16(id)) / 4_294_967_296.0 < rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a_utf16(""), 0x811c_9dc5);
        assert_eq!(fnv1a_utf16("a"), 0xe40c_292c);
        assert_eq!(fnv1a_utf16("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn hashes_utf16_code_units_not_utf8_bytes() {
        // "é" is one UTF-16 unit (0xE9) but two UTF-8 bytes.
        let expected = (2_166_136_261_u32 ^ 0xE9).wrapping_mul(16_777_619);
        assert_eq!(fnv1a_utf16("é"), expected);
    }

    #[test]
    fn sampling_keeps_about_the_rate_and_is_stable_per_id() {
        // FNV-1a over near-identical short ids is only roughly uniform (2,633 here).
        let kept = (0..10_000)
            .filter(|i| sample_by_id(&format!("task-1/{i}"), 0.3))
            .count();
        assert!((2_400..3_600).contains(&kept), "kept {kept} of 10000 at rate 0.3");
        assert_eq!(sample_by_id("task-1/7", 0.3), sample_by_id("task-1/7", 0.3));
        let settings = |sample_rate| SpanSettings {
            enabled: true,
            sample_rate,
        };
        assert!(settings(1.0).samples("x") && !settings(0.0).samples("x"));
        assert!(
            !SpanSettings {
                enabled: false,
                sample_rate: 1.0
            }
            .samples("x")
        );
    }
}
