//! The runtime's event bus: every task of a runtime reports into one [`EventBus`], and
//! its subscribers are called synchronously, in emission order, after the reporting
//! task released its state (so they may read the runtime). No buffering, no replay.

use std::rc::Rc;

use super::event::RuntimeEvent;
use crate::listeners::{Listeners, Subscription};

/// The runtime's subscribers.
#[derive(Default)]
pub(crate) struct EventBus {
    listeners: Rc<Listeners<RuntimeEvent>>,
}

impl EventBus {
    pub(crate) fn is_listening(&self) -> bool {
        !self.listeners.is_empty()
    }

    pub(crate) fn subscribe(&self, listener: Rc<dyn Fn(&RuntimeEvent)>) -> Subscription {
        self.listeners.add(listener)
    }

    /// Calls every listener with every event, in order.
    pub(crate) fn deliver(&self, events: Vec<RuntimeEvent>) {
        if events.is_empty() {
            return;
        }
        let listeners = self.listeners.current();
        for event in &events {
            for listener in &listeners {
                listener(event);
            }
        }
    }
}
