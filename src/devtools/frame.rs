//! Per-frame sampling for the open panel: it reads the runtime at most once per
//! animation frame, whatever the call rate, so what an open panel costs does not grow
//! with the number of queue transitions (a panel re-rendered on every transition made
//! each call of a busy task about twice as slow).
//!
//! Owns the frame loop only: what is read, and how it is shown, belong to the callers.
//! The loop lives as long as the component that started it.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

/// A signal holding `initial`, then what `read` returns: read once the calling
/// component is mounted (an effect: never on the server, after hydration on the
/// client), then again at every animation frame while the component lives, and set
/// only when it changed.
pub(super) fn sampled_each_frame<T>(initial: T, read: impl Fn() -> T + 'static) -> Signal<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    let value = RwSignal::new(initial);
    let alive = Rc::new(Cell::new(true));
    let tick: Rc<dyn Fn()> = Rc::new(move || {
        let next = read();
        if value.try_with_untracked(|current| *current != next) == Some(true) {
            value.try_set(next);
        }
    });
    let start = SendWrapper::new((tick, alive.clone()));
    Effect::new(move |_| {
        let (tick, alive) = &*start;
        tick();
        next_frame(tick.clone(), alive.clone());
    });
    let alive = SendWrapper::new(alive);
    on_cleanup(move || alive.set(false));
    value.into()
}

/// Runs `tick` at the next animation frame and again at each one after, until `alive`
/// is cleared.
fn next_frame(tick: Rc<dyn Fn()>, alive: Rc<Cell<bool>>) {
    request_animation_frame(move || {
        if alive.get() {
            tick();
            next_frame(tick, alive);
        }
    });
}
