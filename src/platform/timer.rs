//! A one-shot browser timer on the global scope (window or worker alike), for any
//! delay: browsers keep a `setTimeout` delay in a signed 32-bit count of milliseconds
//! and fire anything longer (2^31 ms is about 24.8 days) at once, so a longer delay is
//! waited out in legs of at most [`MAX_LEG_MS`](super::MAX_LEG_MS), each arming the
//! next.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout(callback: &js_sys::Function, millis: f64) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Calls its callback once after a delay, unless dropped first (dropping cancels it).
pub(crate) struct Timeout {
    /// The leg armed now, re-armed in place until the last leg fires; held only to be
    /// dropped (which clears it).
    _leg: Rc<RefCell<Option<Leg>>>,
}

/// One `setTimeout`: its id, and the closure it calls.
struct Leg {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Drop for Leg {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

impl Timeout {
    pub(crate) fn new(after: Duration, callback: impl FnOnce() + 'static) -> Result<Self, JsValue> {
        let leg = Rc::new(RefCell::new(None));
        arm(&leg, after, Box::new(callback))?;
        Ok(Self { _leg: leg })
    }
}

/// Arms the first leg of `after` in `slot`; when it fires, the next leg replaces it,
/// and the last one calls `callback`. A leg that cannot be armed (the browser refused
/// `setTimeout`) leaves nothing to fire.
fn arm(slot: &Rc<RefCell<Option<Leg>>>, after: Duration, callback: Box<dyn FnOnce()>) -> Result<(), JsValue> {
    let (millis, rest) = super::timer_leg(after);
    let next: Weak<RefCell<Option<Leg>>> = Rc::downgrade(slot);
    let fire = Closure::once(move || match rest {
        None => callback(),
        // Dropped meanwhile (the timer was canceled): nothing to arm.
        Some(rest) => {
            if let Some(slot) = next.upgrade() {
                let _ = arm(&slot, rest, callback);
            }
        }
    });
    let id = set_timeout(fire.as_ref().unchecked_ref(), millis)?;
    // Replacing the leg that is firing right now is safe: wasm-bindgen frees a closure
    // dropped during its own call once that call returns.
    let previous = slot.borrow_mut().replace(Leg { id, _callback: fire });
    drop(previous);
    Ok(())
}
