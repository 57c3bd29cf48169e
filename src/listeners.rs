//! Listener lists shared by the snapshot hub and the event bus, and the
//! [`Subscription`] handle that removes a listener when dropped.
//!
//! Listeners are called in subscription order. A listener may subscribe or unsubscribe
//! while being called: each notification works on a copy of the list taken before it
//! starts.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

/// One subscriber to values of type `T`.
pub(crate) type Listener<T> = Rc<dyn Fn(&T)>;

/// Subscribers to values of type `T`.
pub(crate) struct Listeners<T: ?Sized> {
    list: RefCell<Vec<(u64, Listener<T>)>>,
    next: Cell<u64>,
}

impl<T: ?Sized> Default for Listeners<T> {
    fn default() -> Self {
        Self {
            list: RefCell::new(Vec::new()),
            next: Cell::new(0),
        }
    }
}

impl<T: ?Sized + 'static> Listeners<T> {
    pub(crate) fn is_empty(&self) -> bool {
        self.list.borrow().is_empty()
    }

    pub(crate) fn add(self: &Rc<Self>, listener: Listener<T>) -> Subscription {
        let id = self.next.get();
        self.next.set(id + 1);
        self.list.borrow_mut().push((id, listener));
        let owner: Weak<dyn Unsubscribe> = Rc::downgrade(self) as Weak<dyn Unsubscribe>;
        Subscription { owner, id }
    }

    /// The current listeners, copied so that calling them cannot disturb the list.
    pub(crate) fn current(&self) -> Vec<Listener<T>> {
        self.list
            .borrow()
            .iter()
            .map(|(_, listener)| listener.clone())
            .collect()
    }
}

trait Unsubscribe {
    fn unsubscribe(&self, id: u64);
}

impl<T: ?Sized> Unsubscribe for Listeners<T> {
    fn unsubscribe(&self, id: u64) {
        self.list.borrow_mut().retain(|(other, _)| *other != id);
    }
}

/// Keeps a subscription (to snapshots or to events) alive; dropping it unsubscribes.
#[must_use = "the subscription ends when this is dropped"]
pub struct Subscription {
    owner: Weak<dyn Unsubscribe>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.upgrade() {
            owner.unsubscribe(self.id);
        }
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("id", &self.id).finish()
    }
}
