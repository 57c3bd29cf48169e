//! Test support: run tasks on simulated in-process workers, without a browser.
//!
//! [`SimTransport`] runs each worker's real [`Registry`](crate::Registry) on a
//! deterministic local executor, and [`VirtualClock`] is the time its timers follow;
//! a runtime built with [`TaskRuntime::simulated`](crate::TaskRuntime::simulated)
//! uses both. This sits at the top of the crate: it may use any layer, and none uses
//! it except those constructors.

mod sim;

pub use crate::platform::VirtualClock;
pub use sim::SimTransport;
