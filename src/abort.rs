//! Cancellation: [`AbortController`] / [`AbortSignal`], and the runtime's keyed store
//! [`AbortTaskController`].
//!
//! Behaviour, as in Atelier:
//!
//! - aborting is sticky: a signal never becomes un-aborted;
//! - a key, once aborted, stays aborted for every later call with that key until
//!   [`AbortTaskController::clear`] is called; aborting a key never used creates it
//!   already aborted;
//! - after `clear`, calls made earlier keep the old signal: a later `abort` of the same
//!   key does not reach them.
//!
//! Memory: an aborted key is kept until cleared (that is its meaning). A key that was
//! never aborted is kept only while something holds its signal (a queued or running
//! call, a caller): once none does, it is indistinguishable from a key never used, and
//! the store lets it go. So an app that gives every call a fresh key (a document id, a
//! request id) does not grow the store.
//!
//! Listeners run synchronously inside [`AbortController::abort`], in registration order,
//! each at most once. This module is platform neutral: no JS, no timers, no queue.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use crate::listeners::{Listeners, Subscription};

/// Identifies a listener registered with [`AbortSignal::on_abort`].
pub(crate) type ListenerId = u64;

/// What runs when a signal is aborted.
type Listener = Box<dyn FnOnce()>;

#[derive(Default)]
struct SignalState {
    aborted: Cell<bool>,
    listeners: RefCell<Vec<(ListenerId, Listener)>>,
    next_listener: Cell<ListenerId>,
}

/// The reading side of a cancellation: whether it happened. Clones observe the same one.
///
/// ```
/// use leptos_atelier::AbortController;
///
/// let controller = AbortController::new();
/// let signal = controller.signal();
/// assert!(!signal.is_aborted());
/// controller.abort();
/// assert!(signal.is_aborted());
/// ```
#[derive(Clone, Default)]
pub struct AbortSignal {
    state: Rc<SignalState>,
}

impl AbortSignal {
    /// Whether the signal was aborted.
    pub fn is_aborted(&self) -> bool {
        self.state.aborted.get()
    }

    /// A future that completes when the signal is aborted (at once if it already was).
    /// Dropping it unregisters it, so a long-lived signal does not collect waiters.
    ///
    /// ```
    /// use futures_util::FutureExt;
    /// use leptos_atelier::AbortController;
    ///
    /// let controller = AbortController::new();
    /// let mut aborted = Box::pin(controller.signal().aborted());
    /// assert_eq!(aborted.as_mut().now_or_never(), None);
    /// controller.abort();
    /// assert_eq!(aborted.now_or_never(), Some(()));
    /// ```
    pub fn aborted(&self) -> Aborted {
        Aborted {
            signal: self.clone(),
            waiting: None,
        }
    }

    /// Whether two handles observe the same signal.
    pub fn same_as(&self, other: &AbortSignal) -> bool {
        Rc::ptr_eq(&self.state, &other.state)
    }

    /// Runs `listener` once when the signal is aborted (never, if it already was:
    /// check [`is_aborted`](Self::is_aborted) first).
    pub(crate) fn on_abort(&self, listener: impl FnOnce() + 'static) -> ListenerId {
        let id = self.state.next_listener.get();
        self.state.next_listener.set(id + 1);
        self.state.listeners.borrow_mut().push((id, Box::new(listener)));
        id
    }

    /// Unregisters a listener that has not run.
    pub(crate) fn remove_listener(&self, id: ListenerId) {
        self.state.listeners.borrow_mut().retain(|(other, _)| *other != id);
    }

    #[cfg(test)]
    pub(crate) fn listener_count(&self) -> usize {
        self.state.listeners.borrow().len()
    }
}

/// The future of [`AbortSignal::aborted`].
#[must_use = "futures do nothing unless awaited"]
pub struct Aborted {
    signal: AbortSignal,
    /// The listener that wakes this future, and the waker it wakes.
    waiting: Option<(ListenerId, Rc<RefCell<Waker>>)>,
}

impl Future for Aborted {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.signal.is_aborted() {
            self.waiting = None;
            return Poll::Ready(());
        }
        match &self.waiting {
            Some((_, waker)) => waker.borrow_mut().clone_from(cx.waker()),
            None => {
                let waker = Rc::new(RefCell::new(cx.waker().clone()));
                let wake = waker.clone();
                let id = self.signal.on_abort(move || wake.borrow().wake_by_ref());
                self.waiting = Some((id, waker));
            }
        }
        Poll::Pending
    }
}

impl Drop for Aborted {
    fn drop(&mut self) {
        if let Some((id, _)) = self.waiting.take() {
            self.signal.remove_listener(id);
        }
    }
}

impl std::fmt::Debug for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aborted").field("signal", &self.signal).finish()
    }
}

impl std::fmt::Debug for AbortSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbortSignal")
            .field("aborted", &self.is_aborted())
            .finish()
    }
}

/// The writing side of a cancellation: aborts its [`AbortSignal`].
#[derive(Clone, Default, Debug)]
pub struct AbortController {
    signal: AbortSignal,
}

impl AbortController {
    /// A controller whose signal is not aborted.
    pub fn new() -> Self {
        Self::default()
    }

    /// The signal this controller aborts.
    pub fn signal(&self) -> AbortSignal {
        self.signal.clone()
    }

    /// Whether nothing but this controller can see its signal: no clone of the signal
    /// is alive, it was never aborted and no listener waits on it. Such a controller
    /// can serve another call as if new (the worker keeps a few for that).
    pub(crate) fn is_unused(&self) -> bool {
        let state = &self.signal.state;
        Rc::strong_count(state) == 1 && !state.aborted.get() && state.listeners.borrow().is_empty()
    }

    /// Aborts the signal and runs its listeners; does nothing if it already was.
    pub fn abort(&self) {
        let state = &self.signal.state;
        if state.aborted.replace(true) {
            return;
        }
        // Take the listeners out first: a listener may register or remove others.
        let listeners = std::mem::take(&mut *state.listeners.borrow_mut());
        for (_, listener) in listeners {
            listener();
        }
    }
}

/// The runtime's keyed cancellation store, shared by all its tasks (see the module docs).
///
/// ```
/// use leptos_atelier::TaskRuntime;
///
/// let aborts = TaskRuntime::new().abort_controller();
/// let signal = aborts.signal_for("doc-1");
/// aborts.abort("doc-1");
/// assert!(signal.is_aborted() && aborts.is_aborted("doc-1"));
/// aborts.clear("doc-1");
/// assert!(!aborts.is_aborted("doc-1"));
/// assert!(!aborts.signal_for("doc-1").is_aborted(), "a fresh signal after clear");
/// ```
#[derive(Clone, Default)]
pub struct AbortTaskController {
    keys: Rc<RefCell<KeyStore>>,
    /// Told after a key is aborted or cleared.
    changes: Rc<Listeners<()>>,
}

/// The keys, and when to next let go of the unused ones.
#[derive(Default)]
struct KeyStore {
    keys: HashMap<String, KeyEntry, BuildHasherDefault<KeyHasher>>,
    /// The number of keys at which unused ones are next let go; it doubles with the
    /// keys still in use, so the sweep costs O(1) per key added.
    sweep_at: usize,
}

/// FNV-1a over a key's bytes: the app's own strings need no protection from
/// collision attacks, and SipHash would add its code to every bundle.
struct KeyHasher(u64);

impl Default for KeyHasher {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The fewest keys at which unused ones are let go.
const SWEEP_MIN: usize = 64;

enum KeyEntry {
    /// Never aborted: alive while something holds its signal.
    Live(Weak<SignalState>),
    /// Aborted: kept until cleared, so later calls with the key start aborted.
    Aborted(AbortController),
}

impl KeyEntry {
    fn in_use(&self) -> bool {
        match self {
            KeyEntry::Live(signal) => signal.strong_count() > 0,
            KeyEntry::Aborted(_) => true,
        }
    }
}

impl KeyStore {
    /// The key's signal, if the key is aborted or its signal is held somewhere.
    fn signal(&self, key: &str) -> Option<AbortSignal> {
        match self.keys.get(key)? {
            KeyEntry::Live(signal) => signal.upgrade().map(|state| AbortSignal { state }),
            KeyEntry::Aborted(controller) => Some(controller.signal()),
        }
    }

    fn insert(&mut self, key: &str, entry: KeyEntry) {
        self.keys.insert(key.to_owned(), entry);
        if self.keys.len() >= self.sweep_at {
            self.sweep();
        }
    }

    /// Lets go of the keys nothing holds.
    fn sweep(&mut self) {
        self.keys.retain(|_, entry| entry.in_use());
        self.sweep_at = (self.keys.len() * 2).max(SWEEP_MIN);
    }
}

impl AbortTaskController {
    /// The signal of `key`, created (not aborted) if the key is new or unused.
    pub fn signal_for(&self, key: &str) -> AbortSignal {
        let mut store = self.keys.borrow_mut();
        if let Some(signal) = store.signal(key) {
            return signal;
        }
        let signal = AbortSignal::default();
        store.insert(key, KeyEntry::Live(Rc::downgrade(&signal.state)));
        signal
    }

    /// Aborts `key`: every call holding its signal, and every later call with it until
    /// [`clear`](Self::clear).
    pub fn abort(&self, key: &str) {
        let controller = {
            let mut store = self.keys.borrow_mut();
            if matches!(store.keys.get(key), Some(KeyEntry::Aborted(_))) {
                return;
            }
            let signal = store.signal(key).unwrap_or_default();
            let controller = AbortController { signal };
            store.insert(key, KeyEntry::Aborted(controller.clone()));
            controller
        };
        // The store is released before listeners run: they may call back into it.
        controller.abort();
        self.notify();
    }

    /// Aborts each key.
    pub fn abort_many<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        for key in keys {
            self.abort(key);
        }
    }

    /// Whether `key` is aborted (does not create it).
    pub fn is_aborted(&self, key: &str) -> bool {
        matches!(self.keys.borrow().keys.get(key), Some(KeyEntry::Aborted(_)))
    }

    /// The keys aborted and not yet cleared, in no particular order.
    ///
    /// ```
    /// use leptos_atelier::AbortTaskController;
    ///
    /// let aborts = AbortTaskController::default();
    /// aborts.abort("doc-1");
    /// let _held = aborts.signal_for("doc-2"); // in use, not aborted
    /// assert_eq!(aborts.aborted_keys(), ["doc-1"]);
    /// ```
    pub fn aborted_keys(&self) -> Vec<String> {
        let store = self.keys.borrow();
        let aborted = store
            .keys
            .iter()
            .filter(|(_, entry)| matches!(entry, KeyEntry::Aborted(_)));
        aborted.map(|(key, _)| key.clone()).collect()
    }

    /// How many keys the store holds: the aborted ones, and those whose signal
    /// something (a queued or running call, a caller) still holds. A key that was never
    /// aborted and that nothing holds any more is let go.
    ///
    /// ```
    /// use leptos_atelier::AbortTaskController;
    ///
    /// let aborts = AbortTaskController::default();
    /// for n in 0..10_000 {
    ///     let signal = aborts.signal_for(&format!("request-{n}"));
    ///     drop(signal); // the call that held it is over
    /// }
    /// aborts.abort("request-7");
    /// assert_eq!(aborts.key_count(), 1);
    /// ```
    pub fn key_count(&self) -> usize {
        let mut store = self.keys.borrow_mut();
        store.sweep();
        store.keys.len()
    }

    /// Forgets `key`; its next [`signal_for`](Self::signal_for) is fresh.
    pub fn clear(&self, key: &str) {
        let removed = self.keys.borrow_mut().keys.remove(key);
        if matches!(removed, Some(KeyEntry::Aborted(_))) {
            self.notify();
        }
    }

    /// Forgets every key.
    pub fn clear_all(&self) {
        let removed = std::mem::take(&mut self.keys.borrow_mut().keys);
        if removed.values().any(|entry| matches!(entry, KeyEntry::Aborted(_))) {
            self.notify();
        }
    }

    /// Calls `listener` after any key becomes aborted or stops being aborted (by
    /// [`abort`](Self::abort), [`clear`](Self::clear) or [`clear_all`](Self::clear_all));
    /// read [`is_aborted`](Self::is_aborted) to see which. Dropping the
    /// [`Subscription`] ends it.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use leptos_atelier::AbortTaskController;
    ///
    /// let aborts = AbortTaskController::default();
    /// let changes = Rc::new(Cell::new(0));
    /// let count = changes.clone();
    /// let _subscription = aborts.subscribe(move || count.set(count.get() + 1));
    /// aborts.abort("a");
    /// aborts.abort("a"); // already aborted: no change
    /// aborts.clear("a");
    /// assert_eq!(changes.get(), 2);
    /// ```
    pub fn subscribe(&self, listener: impl Fn() + 'static) -> Subscription {
        self.changes.add(Rc::new(move |_: &()| listener()))
    }

    fn notify(&self) {
        for listener in self.changes.current() {
            listener(&());
        }
    }
}

impl std::fmt::Debug for AbortTaskController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbortTaskController")
            .field("keys", &self.keys.borrow().keys.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_hasher_is_fnv_1a() {
        let hash = |bytes: &[u8]| {
            let mut hasher = KeyHasher::default();
            hasher.write(bytes);
            hasher.finish()
        };
        // The published FNV-1a 64-bit test vectors.
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn aborts_and_clears_per_key() {
        let aborts = AbortTaskController::default();
        let signal = aborts.signal_for("doc-1");
        assert!(!signal.is_aborted() && !aborts.is_aborted("doc-1"));
        aborts.abort("doc-1");
        assert!(signal.is_aborted() && aborts.is_aborted("doc-1"));
        aborts.clear("doc-1");
        assert!(!aborts.is_aborted("doc-1"));
        let fresh = aborts.signal_for("doc-1");
        assert!(!fresh.is_aborted() && !fresh.same_as(&signal));
    }

    #[test]
    fn aborts_multiple_keys() {
        let aborts = AbortTaskController::default();
        let (a, b, c) = (aborts.signal_for("a"), aborts.signal_for("b"), aborts.signal_for("c"));
        aborts.abort_many(["a", "b"]);
        assert!(a.is_aborted() && b.is_aborted() && !c.is_aborted());
    }

    #[test]
    fn a_key_aborted_before_use_stays_aborted_until_cleared() {
        let aborts = AbortTaskController::default();
        assert!(!aborts.is_aborted("never-used"), "looking does not create");
        aborts.abort("never-used");
        assert!(aborts.signal_for("never-used").is_aborted());
        aborts.clear_all();
        assert!(!aborts.signal_for("never-used").is_aborted());
    }

    #[test]
    fn listeners_run_once_in_order_and_removed_ones_never() {
        let controller = AbortController::new();
        let signal = controller.signal();
        let log = Rc::new(RefCell::new(Vec::new()));
        for name in ["first", "removed", "second"] {
            let log = log.clone();
            let id = signal.on_abort(move || log.borrow_mut().push(name));
            if name == "removed" {
                signal.remove_listener(id);
            }
        }
        controller.abort();
        controller.abort();
        assert_eq!(*log.borrow(), ["first", "second"]);
        assert_eq!(signal.listener_count(), 0);
    }

    #[test]
    fn keys_never_aborted_are_let_go_once_nothing_holds_them_and_aborted_ones_stay() {
        let aborts = AbortTaskController::default();
        let held = aborts.signal_for("held");
        aborts.abort("aborted");
        for n in 0..10_000 {
            drop(aborts.signal_for(&format!("key-{n}")));
        }
        // The store never held more than twice what was in use (or the minimum).
        assert!(aborts.keys.borrow().keys.len() <= SWEEP_MIN, "{:?}", aborts);
        assert_eq!(aborts.key_count(), 2, "the held key and the aborted one");
        assert!(aborts.is_aborted("aborted") && aborts.signal_for("aborted").is_aborted());
        // A held key is the same signal every time, so aborting it reaches its holder.
        assert!(aborts.signal_for("held").same_as(&held));
        aborts.abort("held");
        assert!(held.is_aborted());
        drop(held);
        assert_eq!(aborts.key_count(), 2, "aborted keys stay until cleared");
        aborts.clear_all();
        assert_eq!(aborts.key_count(), 0);
    }

    #[test]
    fn a_listener_may_touch_the_store_while_it_runs() {
        let aborts = AbortTaskController::default();
        let signal = aborts.signal_for("k");
        let store = aborts.clone();
        signal.on_abort(move || store.clear("k"));
        aborts.abort("k");
        assert!(signal.is_aborted());
        assert!(!aborts.is_aborted("k"), "the listener cleared it");
    }
}
