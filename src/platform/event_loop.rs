//! Letting the browser's event loop run once, without a timer.
//!
//! A handler that computes for long stretches checkpoints between them, so that the
//! worker can receive what is waiting for it (a cancel) before the handler goes on.
//! `setTimeout(0)` would do it, but browsers clamp a chained timer to 4 ms, and a
//! handler that checkpoints per chunk then idles 4 ms each time. A message posted to
//! a `MessageChannel` of one's own is a task like any other and is not clamped: it
//! comes after the messages already waiting, and costs microseconds.
//! (`scheduler.yield()` is faster still, but it is made to resume *before* other
//! waiting tasks, which is the opposite of what a checkpoint is for.)

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;
use web_sys::{MessageChannel, MessagePort};

/// One yield in progress: whether its message came back, and who waits for it.
#[derive(Default)]
struct Turn {
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// This thread's channel to itself, and the yields waiting for their message.
struct Yielder {
    port: MessagePort,
    /// The yields in progress, oldest first: each message that comes back ends the
    /// oldest.
    waiting: Rc<RefCell<VecDeque<Rc<Turn>>>>,
    _on_message: Closure<dyn FnMut()>,
}

thread_local! {
    /// Made on the first yield; `None` where the browser offers no `MessageChannel`.
    static YIELDER: Option<Yielder> = Yielder::new();
}

impl Yielder {
    fn new() -> Option<Self> {
        let channel = MessageChannel::new().ok()?;
        let waiting: Rc<RefCell<VecDeque<Rc<Turn>>>> = Rc::default();
        let queue = waiting.clone();
        let on_message = Closure::<dyn FnMut()>::new(move || {
            let oldest = queue.borrow_mut().pop_front();
            if let Some(turn) = oldest {
                turn.done.set(true);
                if let Some(waker) = turn.waker.borrow_mut().take() {
                    waker.wake();
                }
            }
        });
        channel.port1().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self {
            port: channel.port2(),
            waiting,
            _on_message: on_message,
        })
    }

    /// Starts a yield: its turn ends when this thread's event loop has run the tasks
    /// that were waiting. `None` if the message could not be posted.
    fn next_turn(&self) -> Option<Rc<Turn>> {
        let turn = Rc::new(Turn::default());
        self.waiting.borrow_mut().push_back(turn.clone());
        if self.port.post_message(&JsValue::UNDEFINED).is_err() {
            self.waiting.borrow_mut().pop_back();
            return None;
        }
        Some(turn)
    }
}

/// Resumes after one trip through the event loop: after the tasks already waiting
/// (a cancel among them), through a message of this thread's own `MessageChannel`;
/// where that fails, through `setTimeout(0)`.
pub(crate) async fn yield_now() {
    match YIELDER.with(|yielder| yielder.as_ref().and_then(Yielder::next_turn)) {
        Some(turn) => NextTurn { turn }.await,
        None => {
            let _ = wasm_bindgen_futures::JsFuture::from(timeout_zero()).await;
        }
    }
}

/// Completes when its turn's message has come back. A plain future, not a JS promise:
/// no closure or promise is made per yield.
struct NextTurn {
    turn: Rc<Turn>,
}

impl Future for NextTurn {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.turn.done.get() {
            return Poll::Ready(());
        }
        let mut waker = self.turn.waker.borrow_mut();
        match waker.as_mut() {
            Some(known) => known.clone_from(cx.waker()),
            None => *waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// A promise resolved by `setTimeout(0)`, or at once where there is no `setTimeout`.
fn timeout_zero() -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(set_timeout) => {
                let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from(0));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    })
}
