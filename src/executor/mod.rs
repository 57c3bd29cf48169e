//! Executors: one task's queue in front of its workers.
//!
//! This module owns the pool: which worker runs which call, starting workers when a
//! call needs one, matching replies to calls (by call id, attempt and worker, so a
//! stale reply is ignored), and failing exactly the calls a dead worker held. It
//! settles every call exactly once, through its reply slot, and publishes the task's
//! snapshot after each transition (when someone listens), always after releasing its
//! own state.
//!
//! Laid out the way tokio lays out a scheduler's worker: `handle` is what a task
//! holds ([`Executor`], [`CallGuard`]); `call` the call records; `state` the task's
//! state with admission, dispatch and replies, its child modules adding lifecycle,
//! cancellation and reporting with the state's fields kept private; `crash` the crash
//! bookkeeping; `reply` the slot a caller's answer arrives in. Arrows point down:
//! `handle` → `state` → `call`, `crash`, `reply`.
//!
//! It talks to workers only through [`Transport`](crate::transport::Transport); it never
//! touches JS or the Leptos reactive graph.

mod call;
mod crash;
mod handle;
mod reply;
mod state;

pub(crate) use call::{OnProgress, Submission};
pub(crate) use handle::{CallGuard, Executor};
pub(crate) use reply::ReplyReceiver;
pub(crate) use state::FromRuntime;
