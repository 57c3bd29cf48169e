//! Executors: one task's queue in front of its workers.
//!
//! This module owns the pool: which worker runs which call, starting workers when a
//! call needs one, matching replies to calls (by call id, attempt and worker, so a
//! stale reply is ignored), and failing exactly the calls a dead worker held. It
//! settles every call exactly once, through its reply slot, and publishes the task's
//! snapshot after each transition (when someone listens), always after releasing its
//! own state.
//!
//! It talks to workers only through [`Transport`](crate::transport::Transport); it never
//! touches JS or the Leptos reactive graph.

mod crash;
mod lifecycle;
mod pool;
mod reply;

pub use crash::{CrashPolicy, CrashRecord};
pub(crate) use pool::{CallGuard, Executor, OnProgress, Submission};
pub(crate) use reply::ReplyReceiver;
