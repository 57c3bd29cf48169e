//! Traces: a named stretch of app work that groups the spans of the calls made for it.
//!
//! This module owns [`Trace`], how it ends ([`TraceEnd`], [`TraceError`]), and the
//! [`TraceEvent`] it reports. A trace is explicit: it starts when made
//! ([`TaskRuntime::create_trace`](crate::TaskRuntime::create_trace)), ends when told
//! (once; later ends are ignored), and a call joins it only through
//! [`CallOptions::trace`](crate::CallOptions::trace). There is no nesting and no
//! implicit propagation. Whether a trace is sampled is decided once, from its id, and
//! every span attached to it follows that decision, so a trace is kept or dropped whole.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use super::bus::EventBus;
use super::event::{RuntimeEvent, SpanErrorKind, SpanStatus, TraceEvent};
use crate::error::TaskError;
use crate::parallel_limit::ParallelLimitError;
use crate::platform::{MeasureValue, Platform};

/// An error that can end a trace: its message, and what kind of failure it is.
/// An error of kind [`SpanErrorKind::Abort`] ends the trace as canceled.
///
/// The default kind is [`SpanErrorKind::Exception`], so an app error needs one line:
///
/// ```
/// #[derive(Debug)]
/// struct BadImage;
/// impl std::fmt::Display for BadImage {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("not an image")
///     }
/// }
/// impl leptos_atelier::TraceError for BadImage {}
/// ```
pub trait TraceError: fmt::Display {
    /// What kind of failure this is.
    fn error_kind(&self) -> SpanErrorKind {
        SpanErrorKind::Exception
    }
}

impl TraceError for TaskError {
    fn error_kind(&self) -> SpanErrorKind {
        SpanErrorKind::of(self).unwrap_or(SpanErrorKind::Exception)
    }
}

impl TraceError for ParallelLimitError {}

/// How a trace ends.
///
/// ```
/// use leptos_atelier::{SpanErrorKind, SpanStatus, TaskError, TraceEnd};
///
/// assert_eq!(TraceEnd::ok().status(), SpanStatus::Ok);
/// let aborted = TaskError::Aborted { task_id: "t".into(), key: None };
/// assert_eq!(TraceEnd::from_error(&aborted).status(), SpanStatus::Canceled);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEnd {
    status: SpanStatus,
    error: Option<(SpanErrorKind, String)>,
}

impl TraceEnd {
    /// The work succeeded.
    pub fn ok() -> Self {
        Self {
            status: SpanStatus::Ok,
            error: None,
        }
    }

    /// The work was canceled, with no error to report.
    pub fn canceled() -> Self {
        Self {
            status: SpanStatus::Canceled,
            error: None,
        }
    }

    /// The work ended with `error`: canceled if it is an abort, failed otherwise.
    pub fn from_error(error: &(impl TraceError + ?Sized)) -> Self {
        let kind = error.error_kind();
        Self {
            status: kind.status(),
            error: Some((kind, error.to_string())),
        }
    }

    /// The status the trace will report.
    pub fn status(&self) -> SpanStatus {
        self.status
    }
}

/// A trace: give it to calls with [`CallOptions::trace`](crate::CallOptions::trace),
/// then [`end`](Self::end) it. Clones are handles to the same trace. A trace that is
/// never ended reports nothing.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use leptos_atelier::{RuntimeEvent, RuntimeOptions, SpanMode, SpanStatus, TaskRuntime, TraceEnd};
///
/// let runtime = TaskRuntime::new_with_options(RuntimeOptions::new().spans(SpanMode::On));
/// let ends = Rc::new(RefCell::new(Vec::new()));
/// let log = ends.clone();
/// let _events = runtime.subscribe_events(move |event| {
///     if let RuntimeEvent::Trace(trace) = event {
///         log.borrow_mut().push((trace.trace_name.clone(), trace.status));
///     }
/// });
/// let trace = runtime.create_trace(Some("import"));
/// trace.end(TraceEnd::ok());
/// trace.end(TraceEnd::canceled()); // ignored: a trace ends once
/// assert_eq!(*ends.borrow(), [(Some("import".to_owned()), SpanStatus::Ok)]);
/// ```
#[derive(Clone)]
pub struct Trace {
    inner: Rc<TraceInner>,
}

struct TraceInner {
    id: String,
    name: Option<String>,
    sampled: bool,
    started_at: f64,
    ended: Cell<bool>,
    bus: Rc<EventBus>,
    platform: Platform,
}

impl Trace {
    pub(crate) fn start(
        id: String,
        name: Option<String>,
        sampled: bool,
        bus: Rc<EventBus>,
        platform: Platform,
    ) -> Self {
        let started_at = platform.now_ms();
        Self {
            inner: Rc::new(TraceInner {
                id,
                name,
                sampled,
                started_at,
                ended: Cell::new(false),
                bus,
                platform,
            }),
        }
    }

    /// The trace's id (a random UUID in the browser, `trace-N` elsewhere).
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The trace's name.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// Whether this trace and the spans attached to it are recorded. Decided once,
    /// from the id and the runtime's sample rate.
    pub fn is_sampled(&self) -> bool {
        self.inner.sampled
    }

    /// Whether [`end`](Self::end) was called.
    pub fn is_ended(&self) -> bool {
        self.inner.ended.get()
    }

    /// Ends the trace and reports it (if sampled). Only the first end counts.
    pub fn end(&self, end: TraceEnd) {
        let inner = &self.inner;
        if inner.ended.replace(true) || !inner.sampled {
            return;
        }
        let now = inner.platform.now_ms();
        let (error_kind, error) = end
            .error
            .map_or((None, None), |(kind, message)| (Some(kind), Some(message)));
        let event = TraceEvent {
            ts_ms: now,
            trace_id: inner.id.clone(),
            trace_name: inner.name.clone(),
            duration_ms: now - inner.started_at,
            status: end.status,
            error_kind,
            error,
        };
        inner.platform.measure(
            "atelier:trace",
            inner.started_at,
            now,
            &[("traceId", MeasureValue::Text(&event.trace_id))],
        );
        inner.bus.deliver(vec![RuntimeEvent::Trace(event)]);
    }

    /// The id and name spans carry, if this trace is sampled.
    pub(crate) fn link(&self) -> TraceLink {
        TraceLink(self.inner.clone())
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("id", &self.inner.id)
            .field("name", &self.inner.name)
            .field("sampled", &self.inner.sampled)
            .field("ended", &self.inner.ended.get())
            .finish()
    }
}

/// A call's reference to its trace.
#[derive(Clone)]
pub(crate) struct TraceLink(Rc<TraceInner>);

impl TraceLink {
    pub(crate) fn id(&self) -> &str {
        &self.0.id
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    pub(crate) fn sampled(&self) -> bool {
        self.0.sampled
    }
}

impl fmt::Debug for TraceLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TraceLink").field(&self.0.id).finish()
    }
}
