//! Telemetry: per-task outcome counts and latency percentiles in bounded memory.
//!
//! Latencies go into a [`LatencyHistogram`]: logarithmic buckets whose bounds grow by a
//! factor γ = 1.02, so a fixed array of 1,300 counters covers 1 µs to more than a day.
//! A percentile is reported as the midpoint `2·γⁱ/(γ+1)` of the bucket that holds the
//! nearest-rank sample, which is within **1 %** (relative) of that sample — the same
//! guarantee as a DDSketch with α = 0.01. Count, mean, minimum and maximum are exact.
//! Values below 1 µs (including 0) are counted in a zero bucket and reported as 0.
//!
//! Memory is fixed per histogram (≈ 10 KiB), whatever the number of samples. This
//! module is plain data: it neither reads a clock nor knows about tasks.

use serde::{Deserialize, Serialize};

/// Bucket growth factor; the relative error bound is (γ − 1)/(γ + 1) < 1 %.
const GAMMA: f64 = 1.02;
/// The smallest value told apart from zero, in milliseconds (1 µs).
const MIN_MS: f64 = 0.001;
/// Buckets above `MIN_MS`: γ^1300 ≈ 1.5e11, so 1 µs × that reaches about 41 hours.
const BUCKETS: usize = 1300;

/// A bounded-memory latency histogram (see the module docs for its error bound).
#[derive(Debug, Clone)]
pub(crate) struct LatencyHistogram {
    zero: u64,
    counts: Box<[u64; BUCKETS]>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            zero: 0,
            counts: Box::new([0; BUCKETS]),
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl LatencyHistogram {
    /// Records one latency in milliseconds. Negative or non-finite values are ignored.
    pub(crate) fn record(&mut self, ms: f64) {
        if !ms.is_finite() || ms < 0.0 {
            return;
        }
        self.count += 1;
        self.sum += ms;
        self.min = self.min.min(ms);
        self.max = self.max.max(ms);
        if ms < MIN_MS {
            self.zero += 1;
        } else {
            self.counts[bucket_of(ms)] += 1;
        }
    }

    /// How many latencies were recorded.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// Count, mean, extremes and p50/p90/p95/p99.
    pub(crate) fn summary(&self) -> LatencySummary {
        if self.count == 0 {
            return LatencySummary::default();
        }
        let [p50, p90, p95, p99] = self.quantiles([0.50, 0.90, 0.95, 0.99]);
        LatencySummary {
            count: self.count,
            mean_ms: Some(self.sum / self.count as f64),
            min_ms: Some(self.min),
            max_ms: Some(self.max),
            p50_ms: Some(p50),
            p90_ms: Some(p90),
            p95_ms: Some(p95),
            p99_ms: Some(p99),
        }
    }

    /// Nearest-rank quantiles (the sample of rank ⌈q·n⌉), in one pass over the buckets.
    /// `qs` must be ascending; the histogram must not be empty.
    fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [f64; N] {
        let ranks = qs.map(|q| ((q * self.count as f64).ceil() as u64).clamp(1, self.count));
        let mut out = [0.0; N];
        let mut next = 0;
        let mut seen = self.zero;
        while next < N && ranks[next] <= seen {
            out[next] = 0.0;
            next += 1;
        }
        for (index, &count) in self.counts.iter().enumerate() {
            if next == N {
                break;
            }
            seen += count;
            while next < N && ranks[next] <= seen {
                // Never report beyond what was seen: clamp to the exact extremes.
                out[next] = bucket_value(index).clamp(self.min, self.max);
                next += 1;
            }
        }
        out
    }
}

/// The bucket of a value ≥ `MIN_MS`: bucket `i` holds (MIN·γ^(i−1), MIN·γ^i].
fn bucket_of(ms: f64) -> usize {
    let index = ((ms / MIN_MS).ln() / GAMMA.ln()).ceil();
    (index.max(0.0) as usize).min(BUCKETS - 1)
}

/// The value reported for bucket `i`: within (γ − 1)/(γ + 1) of anything in it.
fn bucket_value(index: usize) -> f64 {
    MIN_MS * 2.0 * GAMMA.powi(index as i32) / (GAMMA + 1.0)
}

/// Count, mean, extremes and percentiles of one latency (all in milliseconds; `None`
/// before the first sample).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Samples recorded.
    pub count: u64,
    /// Exact mean.
    pub mean_ms: Option<f64>,
    /// Exact minimum.
    pub min_ms: Option<f64>,
    /// Exact maximum.
    pub max_ms: Option<f64>,
    /// Median, within 1 %.
    pub p50_ms: Option<f64>,
    /// 90th percentile, within 1 %.
    pub p90_ms: Option<f64>,
    /// 95th percentile, within 1 %.
    pub p95_ms: Option<f64>,
    /// 99th percentile, within 1 %.
    pub p99_ms: Option<f64>,
}

/// What one task has done since it was defined.
///
/// ```
/// use leptos_atelier::{TaskConfig, TaskRuntime};
///
/// let runtime = TaskRuntime::new();
/// let task = runtime.define(TaskConfig::singleton("app_workers")).unwrap();
/// let telemetry = task.telemetry();
/// assert_eq!(telemetry.succeeded, 0);
/// assert_eq!(telemetry.run_time.p50_ms, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetrySummary {
    /// Calls answered with their output.
    pub succeeded: u64,
    /// Calls answered with an error from the handler, the codec or a dead worker.
    pub failed: u64,
    /// Calls aborted or timed out.
    pub canceled: u64,
    /// Calls shed by the queue policy.
    pub rejected: u64,
    /// Time a worker spent on each attempt, from dispatch to its answer.
    pub run_time: LatencySummary,
    /// Time each attempt waited in the queue, from admission (or requeue) to dispatch.
    pub queue_wait: LatencySummary,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact nearest-rank quantile of sorted samples.
    fn exact(sorted: &[f64], q: f64) -> f64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    /// A small deterministic generator (xorshift64*), so the data is the same every run.
    fn samples(seed: u64, n: usize) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                let unit = (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64;
                // Log-uniform over 0.01 ms .. 100 s, the shape of real latencies.
                0.01 * 10f64.powf(unit * 7.0)
            })
            .collect()
    }

    #[test]
    fn percentiles_are_within_one_percent_of_the_exact_nearest_rank_values() {
        for (seed, n) in [(1, 10), (7, 1_000), (42, 100_000)] {
            let data = samples(seed, n);
            let mut histogram = LatencyHistogram::default();
            data.iter().for_each(|&v| histogram.record(v));
            let mut sorted = data.clone();
            sorted.sort_by(f64::total_cmp);
            let summary = histogram.summary();
            for (q, got) in [
                (0.50, summary.p50_ms),
                (0.90, summary.p90_ms),
                (0.95, summary.p95_ms),
                (0.99, summary.p99_ms),
            ] {
                let (got, want) = (got.unwrap(), exact(&sorted, q));
                assert!((got - want).abs() / want <= 0.01, "n={n} q={q}: {got} vs {want}");
            }
            assert_eq!(summary.count, n as u64);
            assert_eq!(summary.min_ms, Some(sorted[0]));
            assert_eq!(summary.max_ms, Some(sorted[n - 1]));
            let mean = data.iter().sum::<f64>() / n as f64;
            assert!((summary.mean_ms.unwrap() - mean).abs() <= mean * 1e-9);
        }
    }

    #[test]
    fn legacy_atelier_cases_hold() {
        // Atelier's telemetry store: durations 1..=100 give p50 50 and p95 95.
        let mut histogram = LatencyHistogram::default();
        (1..=100).for_each(|v| histogram.record(v as f64));
        let summary = histogram.summary();
        assert!((summary.p50_ms.unwrap() - 50.0).abs() <= 0.5);
        assert!((summary.p95_ms.unwrap() - 95.0).abs() <= 0.95);
        assert!(summary.p50_ms <= summary.p90_ms && summary.p90_ms <= summary.p95_ms);
        assert!(summary.p95_ms <= summary.p99_ms);
    }

    #[test]
    fn zeros_and_garbage_are_handled() {
        let mut histogram = LatencyHistogram::default();
        assert_eq!(histogram.summary(), LatencySummary::default());
        for v in [0.0, 0.0, 0.0, f64::NAN, -1.0, f64::INFINITY, 5.0] {
            histogram.record(v);
        }
        let summary = histogram.summary();
        assert_eq!(summary.count, 4, "NaN, negative and infinite values are ignored");
        assert_eq!(summary.p50_ms, Some(0.0));
        assert!((summary.p99_ms.unwrap() - 5.0).abs() <= 0.05);
        assert_eq!(summary.max_ms, Some(5.0));
    }

    #[test]
    fn memory_does_not_grow_with_samples() {
        let mut histogram = LatencyHistogram::default();
        let before = std::mem::size_of_val(&*histogram.counts);
        (0..1_000_000).for_each(|i| histogram.record((i % 5000) as f64 * 0.37));
        assert_eq!(std::mem::size_of_val(&*histogram.counts), before);
        assert_eq!(histogram.summary().count, 1_000_000);
        // The top bucket still reaches a day.
        assert!(bucket_value(BUCKETS - 1) > 24.0 * 3600.0 * 1000.0);
    }
}
