//! Observability: everything the runtime reports about itself, in one place.
//!
//! `event` holds the reported data (metric, span and trace events), plain types only;
//! `bus` delivers events to subscribers; `spans` holds the span settings, the sampler
//! and the span's browser measure; `trace` the app's traces; `telemetry` the latency
//! histograms and their summaries; `snapshot` the task and runtime snapshots and the
//! hub that publishes them. The executor decides what to report; this module decides
//! nothing about calls. Arrows point down: `trace` → `bus` → `event`, `spans` →
//! `event`; `telemetry` and `snapshot` stand alone.

mod bus;
mod event;
mod snapshot;
mod spans;
mod telemetry;
mod trace;

pub(crate) use bus::EventBus;
pub use event::{MetricEvent, MetricKind, QueueAttrs, RuntimeEvent, SpanErrorKind, SpanEvent, SpanStatus, TraceEvent};
pub(crate) use snapshot::{BuildSnapshot, SnapshotHub};
pub use snapshot::{
    CrashRecord, RuntimeSnapshot, SnapshotOptions, TaskSnapshot, TaskStatus, WorkerSnapshot, WorkerState,
};
pub use spans::SpanMode;
pub(crate) use spans::SpanSettings;
pub(crate) use telemetry::LatencyHistogram;
pub use telemetry::{LatencySummary, TelemetrySummary};
pub(crate) use trace::TraceLink;
pub use trace::{Trace, TraceEnd, TraceError};
