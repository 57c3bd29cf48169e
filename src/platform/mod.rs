//! Platform services the runtime needs: a clock with one-shot timers, the number of
//! cores, whether this is a worker, and durations written in messages ([`Millis`]).
//!
//! [`Platform`] is the seam between the scheduler and real time: in the browser it is
//! `performance.now()` and `setTimeout` on the global scope (window or worker alike);
//! in tests it is a [`VirtualClock`] that moves only when told. Nothing here schedules
//! calls; timers only call back.

#[cfg(target_arch = "wasm32")]
mod event_loop;
mod millis;
#[cfg(target_arch = "wasm32")]
mod timer;
#[cfg(any(not(target_arch = "wasm32"), test, feature = "testing"))]
mod virtual_clock;

use std::time::Duration;

pub(crate) use millis::Millis;
#[cfg(target_arch = "wasm32")]
pub(crate) use timer::Timeout;
#[cfg(any(not(target_arch = "wasm32"), test, feature = "testing"))]
pub use virtual_clock::VirtualClock;
#[cfg(any(not(target_arch = "wasm32"), test, feature = "testing"))]
use virtual_clock::VirtualTimer;

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// The global scope's `performance`, looked up once (window or worker alike).
    static PERFORMANCE: Option<web_sys::Performance> = {
        use wasm_bindgen::{JsCast, JsValue};
        js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
            .ok()
            .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
    };
}

/// Where time comes from.
#[derive(Clone)]
pub(crate) enum Platform {
    /// The browser's clock and timers.
    #[cfg(target_arch = "wasm32")]
    Browser,
    /// A clock that moves only when advanced (tests, and native builds, where it never
    /// moves). Not in an app's wasm: its timer map would cost bytes nothing uses.
    #[cfg(any(not(target_arch = "wasm32"), test, feature = "testing"))]
    Virtual(VirtualClock),
}

/// A pending one-shot timer; dropping it cancels it.
pub(crate) enum Timer {
    #[cfg(target_arch = "wasm32")]
    Browser { _timeout: Timeout },
    #[cfg(any(not(target_arch = "wasm32"), test, feature = "testing"))]
    Virtual { _timer: VirtualTimer },
    /// The browser refused to set a timer; nothing will fire.
    #[cfg(target_arch = "wasm32")]
    Unavailable,
}

impl Platform {
    /// The default for this target: the browser's clock on wasm32, an idle virtual
    /// clock natively (where there are no workers to time).
    pub(crate) fn native_or_browser() -> Self {
        #[cfg(target_arch = "wasm32")]
        return Platform::Browser;
        #[cfg(not(target_arch = "wasm32"))]
        Platform::Virtual(VirtualClock::new())
    }

    /// Milliseconds on this platform's clock: `performance.now()` in the browser (0
    /// where there is no `performance`), the virtual time in tests.
    pub(crate) fn now_ms(&self) -> f64 {
        match self {
            #[cfg(target_arch = "wasm32")]
            Platform::Browser => PERFORMANCE.with(|performance| performance.as_ref().map_or(0.0, |p| p.now())),
            #[cfg(any(not(target_arch = "wasm32"), test, feature = "testing"))]
            Platform::Virtual(clock) => clock.now().as_secs_f64() * 1000.0,
        }
    }

    /// Runs `callback` once after `after`, unless the returned timer is dropped first.
    pub(crate) fn set_timer(&self, after: Duration, callback: impl FnOnce() + 'static) -> Timer {
        match self {
            #[cfg(target_arch = "wasm32")]
            Platform::Browser => {
                Timeout::new(after, callback).map_or(Timer::Unavailable, |t| Timer::Browser { _timeout: t })
            }
            #[cfg(any(not(target_arch = "wasm32"), test, feature = "testing"))]
            Platform::Virtual(clock) => Timer::Virtual {
                _timer: clock.set_timer(after, callback),
            },
        }
    }
}

/// The longest delay one browser timer honours, in milliseconds: `setTimeout` keeps
/// its delay in a signed 32-bit integer and fires anything longer at once.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) const MAX_LEG_MS: f64 = 2_147_483_647.0;

/// Splits a timer's delay into the first leg one `setTimeout` can wait (in ms) and
/// what is left to wait after it, if anything.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn timer_leg(after: Duration) -> (f64, Option<Duration>) {
    let millis = after.as_secs_f64() * 1000.0;
    if millis <= MAX_LEG_MS {
        return (millis, None);
    }
    let leg = Duration::from_millis(MAX_LEG_MS as u64);
    (MAX_LEG_MS, Some(after.saturating_sub(leg)))
}

/// One field of a performance measure's `detail`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
#[derive(Debug, Clone, Copy)]
pub(crate) enum MeasureValue<'a> {
    Text(&'a str),
    Number(f64),
}

impl Platform {
    /// Whether [`measure`](Self::measure) records anything (only the browser's timeline does).
    pub(crate) fn measures(&self) -> bool {
        #[cfg(target_arch = "wasm32")]
        if matches!(self, Platform::Browser) {
            return PERFORMANCE.with(Option::is_some);
        }
        false
    }

    /// Records `performance.measure(name, { start, end, detail })` on the browser's
    /// timeline, where DevTools shows it; does nothing elsewhere. Failures are ignored:
    /// a measure is a debugging aid, never a reason to fail a call.
    #[cfg_attr(not(target_arch = "wasm32"), allow(unused_variables))]
    pub(crate) fn measure(&self, name: &str, start: f64, end: f64, detail: &[(&str, MeasureValue<'_>)]) {
        #[cfg(target_arch = "wasm32")]
        if matches!(self, Platform::Browser) {
            use wasm_bindgen::{JsCast, JsValue};
            PERFORMANCE.with(|performance| {
                let Some(performance) = performance else { return };
                let Ok(measure) = js_sys::Reflect::get(performance, &JsValue::from_str("measure")) else {
                    return;
                };
                let Ok(measure) = measure.dyn_into::<js_sys::Function>() else {
                    return;
                };
                let fields = js_sys::Object::new();
                for (field, value) in detail {
                    let value = match value {
                        MeasureValue::Text(text) => JsValue::from_str(text),
                        MeasureValue::Number(number) => JsValue::from_f64(*number),
                    };
                    let _ = js_sys::Reflect::set(&fields, &JsValue::from_str(field), &value);
                }
                let options = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&options, &JsValue::from_str("start"), &JsValue::from_f64(start));
                let _ = js_sys::Reflect::set(&options, &JsValue::from_str("end"), &JsValue::from_f64(end.max(start)));
                let _ = js_sys::Reflect::set(&options, &JsValue::from_str("detail"), &fields);
                let _ = measure.call2(performance, &JsValue::from_str(name), &options);
            });
        }
    }

    /// A fresh trace id: `crypto.randomUUID()` in the browser; elsewhere (and where
    /// the browser has none) `trace-{sequence}`.
    #[cfg_attr(not(target_arch = "wasm32"), allow(clippy::unused_self))]
    pub(crate) fn trace_id(&self, sequence: u64) -> String {
        #[cfg(target_arch = "wasm32")]
        if matches!(self, Platform::Browser) {
            use wasm_bindgen::{JsCast, JsValue};
            let uuid = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
                .ok()
                .and_then(|crypto| {
                    let make = js_sys::Reflect::get(&crypto, &JsValue::from_str("randomUUID")).ok()?;
                    make.dyn_into::<js_sys::Function>().ok()?.call0(&crypto).ok()
                })
                .and_then(|uuid| uuid.as_string());
            if let Some(uuid) = uuid {
                return uuid;
            }
        }
        format!("trace-{sequence}")
    }
}

/// Lets the event loop run once: in the browser, resumes after the tasks already
/// waiting (see [`event_loop`]), so that messages queued meanwhile (a cancel) are
/// handled first; natively, returns `Pending` once (the executor polls again).
pub(crate) async fn yield_to_event_loop() {
    #[cfg(target_arch = "wasm32")]
    event_loop::yield_now().await;
    #[cfg(not(target_arch = "wasm32"))]
    {
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                std::task::Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
    }
}

/// The number of logical cores the browser reports (`navigator.hardwareConcurrency`),
/// or 4 when it reports none, as Atelier does. Native builds say 4.
pub fn hardware_concurrency() -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsValue;
        let navigator = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok();
        let cores = navigator
            .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("hardwareConcurrency")).ok())
            .and_then(|c| c.as_f64())
            .filter(|c| *c >= 1.0);
        if let Some(cores) = cores {
            return cores as usize;
        }
    }
    4
}

/// Whether this code runs inside a Web Worker (a `WorkerGlobalScope`), for instance
/// so that a client-side `main` can return early when the bundle boots in a worker.
///
/// ```
/// // Native code never runs in a worker.
/// assert!(!leptos_atelier::is_worker_scope());
/// ```
pub fn is_worker_scope() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        js_sys::global().is_instance_of::<web_sys::WorkerGlobalScope>()
    }
    #[cfg(not(target_arch = "wasm32"))]
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delay_longer_than_one_browser_timer_holds_is_waited_out_in_legs() {
        assert_eq!(timer_leg(Duration::from_millis(1_500)), (1_500.0, None));
        let longest = Duration::from_millis(2_147_483_647);
        assert_eq!(timer_leg(longest), (MAX_LEG_MS, None), "the longest single leg");
        let thirty_days = Duration::from_secs(30 * 86_400);
        assert_eq!(timer_leg(thirty_days), (MAX_LEG_MS, Some(thirty_days - longest)));
        // Legs add up to the delay, whatever its length.
        let mut left = Some(Duration::from_secs(100 * 86_400));
        let mut waited = Duration::ZERO;
        while let Some(delay) = left {
            let (millis, rest) = timer_leg(delay);
            assert!(millis <= MAX_LEG_MS);
            waited += Duration::from_millis(millis as u64);
            left = rest;
        }
        assert_eq!(waited.as_secs(), 100 * 86_400);
        assert_eq!(
            timer_leg(Duration::MAX).0,
            MAX_LEG_MS,
            "even forever starts with one leg"
        );
    }
}
