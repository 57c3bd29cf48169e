//! One worker's serving state: the calls it is running, the cancels it has heard,
#![cfg_attr(not(any(target_arch = "wasm32", test, feature = "testing")), allow(dead_code))]
//! and how a frame from the runtime becomes work.
//!
//! Both the browser's [`serve`](crate::serve) and the simulated transport feed frames
//! to a [`Session`] and run the futures it returns; the session posts replies and
//! progress through the function it was given. It does not know how frames travel.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use crate::abort::AbortController;
use crate::codec::{self, CallId, ToWorker};
use crate::method::TaskContext;
use crate::spares::Spares;
use crate::worker::Registry;
use crate::worker::registry::Done;
use wasm_bindgen::JsValue;

/// How many cancels of calls not (yet) seen a worker remembers.
const TOMBSTONES: usize = 256;

/// At most this many finished calls' abort controllers are kept for the next calls.
const SPARE_CONTROLLERS: usize = 16;

/// Work to run on the worker's event loop: one call, ending with its reply posted.
pub(crate) use crate::worker::registry::Work;

pub(crate) use crate::method::Post;

/// The serving state of one worker.
pub(crate) struct Session {
    registry: Registry,
    worker_index: usize,
    post: Post,
    /// Takes each call's reply: forgets the call and posts the reply (one closure for
    /// all calls, so a call allocates none).
    done: Done,
    /// The abort controller of each running call (a worker runs few at once, so a
    /// list scanned by id beats a hash map).
    running: RefCell<Vec<(CallId, AbortController)>>,
    /// Controllers of finished calls that nothing else saw, reused by the next calls
    /// (a call then costs the worker no allocation for its signal).
    spare: RefCell<Spares<AbortController, SPARE_CONTROLLERS>>,
    /// Cancels that arrived before their call: the call starts aborted.
    tombstones: RefCell<VecDeque<CallId>>,
}

impl Session {
    pub(crate) fn new(registry: Registry, worker_index: usize, post: Post) -> Rc<Self> {
        Rc::new_cyclic(|session: &Weak<Self>| {
            let session = session.clone();
            let done: Done = Rc::new(move |call, frame, attachments| {
                if let Some(session) = session.upgrade() {
                    session.finish(call);
                    (session.post)(frame, attachments);
                }
            });
            Self {
                registry,
                worker_index,
                post,
                done,
                running: RefCell::default(),
                spare: RefCell::default(),
                tombstones: RefCell::default(),
            }
        })
    }

    /// Forgets a finished call, keeping its controller for a later call if nothing
    /// else holds its signal.
    fn finish(&self, call: CallId) {
        let mut running = self.running.borrow_mut();
        let Some(at) = running.iter().position(|(id, _)| *id == call) else {
            return;
        };
        let (_, controller) = running.swap_remove(at);
        drop(running);
        if controller.is_unused() {
            self.spare.borrow_mut().keep(controller);
        }
    }

    /// Takes one frame from the runtime. A call runs at once, as far as it goes, and
    /// gives back the rest of its work (which posts its reply) only if it has to wait;
    /// a cancel aborts the call's signal (or is remembered, if the call has not
    /// arrived) and gives back nothing. A frame that is not a runtime
    /// frame is an error for the caller to report.
    pub(crate) fn receive(
        self: &Rc<Self>,
        frame: &[u8],
        attachments: &[JsValue],
    ) -> Result<Option<Work>, codec::Error> {
        let (envelope, payload) = codec::decode_frame::<ToWorker>(frame)?;
        match envelope {
            ToWorker::Cancel { call } => {
                let running = self
                    .running
                    .borrow()
                    .iter()
                    .find(|(id, _)| *id == call)
                    .map(|(_, c)| c.clone());
                if let Some(controller) = running {
                    controller.abort();
                } else {
                    let mut tombstones = self.tombstones.borrow_mut();
                    if tombstones.len() == TOMBSTONES {
                        tombstones.pop_front();
                    }
                    tombstones.push_back(call);
                }
                Ok(None)
            }
            ToWorker::Call {
                call,
                attempt,
                method,
                key,
            } => {
                let controller = self.spare.borrow_mut().take().unwrap_or_default();
                let mut tombstones = self.tombstones.borrow_mut();
                if let Some(at) = tombstones.iter().position(|&dead| dead == call) {
                    tombstones.remove(at);
                    controller.abort();
                }
                drop(tombstones);
                let signal = controller.signal();
                self.running.borrow_mut().push((call, controller));
                let cx = TaskContext {
                    call_id: call,
                    attempt,
                    key: key.map(str::to_owned),
                    worker_index: self.worker_index,
                    signal,
                    progress: Some(self.post.clone()),
                };
                Ok(self.registry.reply(method, payload, attachments, cx, self.done.clone()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use futures_util::FutureExt;

    use super::*;
    use crate::codec::FromWorker;
    use crate::{HandlerError, TaskMethod};

    /// Waits for its call to be canceled, reporting progress first.
    struct Patient;
    impl TaskMethod for Patient {
        const NAME: &'static str = "patient";
        type Input = ();
        type Output = ();
        async fn run(_: (), cx: TaskContext) -> Result<(), HandlerError> {
            cx.progress(0.5);
            cx.aborted().await;
            cx.throw_if_aborted()
        }
    }

    fn session() -> (Rc<Session>, Rc<RefCell<Vec<FromWorker>>>) {
        let sent = Rc::new(RefCell::new(Vec::new()));
        let log = sent.clone();
        let post: Post = Rc::new(move |frame: Vec<u8>, _| {
            let (envelope, _) = codec::decode_frame::<FromWorker>(&frame).unwrap();
            log.borrow_mut().push(envelope);
        });
        (Session::new(Registry::new().method::<Patient>(), 0, post), sent)
    }

    impl Session {
        fn receive_plain(self: &Rc<Self>, frame: &[u8]) -> Result<Option<Work>, codec::Error> {
            self.receive(frame, &[])
        }
    }

    fn call(id: CallId) -> Vec<u8> {
        let envelope = ToWorker::Call {
            call: id,
            attempt: 1,
            method: "patient",
            key: None,
        };
        codec::encode_frame(&envelope, &()).unwrap()
    }

    fn cancel(id: CallId) -> Vec<u8> {
        codec::encode_envelope(&ToWorker::Cancel { call: id }).unwrap()
    }

    fn aborted(call: CallId) -> FromWorker {
        FromWorker::Failed {
            call,
            attempt: 1,
            error: codec::RemoteError::Handler(HandlerError::aborted()),
        }
    }

    #[test]
    fn a_cancel_aborts_the_running_handler() {
        let (session, sent) = session();
        let mut work = session.receive_plain(&call(3)).unwrap().unwrap();
        assert_eq!(work.as_mut().now_or_never(), None, "waiting for its cancel");
        assert!(session.receive_plain(&cancel(3)).unwrap().is_none());
        assert_eq!(work.now_or_never(), Some(()));
        let progress = FromWorker::Progress {
            call: 3,
            attempt: 1,
            fraction: 0.5,
        };
        assert_eq!(*sent.borrow(), [progress, aborted(3)]);
    }

    #[test]
    fn a_cancel_that_arrives_first_starts_the_call_aborted_and_an_unknown_one_is_harmless() {
        let (session, sent) = session();
        assert!(session.receive_plain(&cancel(9)).unwrap().is_none());
        assert!(session.receive_plain(&cancel(404)).unwrap().is_none());
        let work = session.receive_plain(&call(9)).unwrap();
        assert!(work.is_none(), "the handler saw it aborted and finished at once");
        assert_eq!(sent.borrow().last(), Some(&aborted(9)));
        // The tombstone is used up: the same id again runs normally.
        let mut again = session.receive_plain(&call(9)).unwrap().unwrap();
        assert_eq!(again.as_mut().now_or_never(), None);
    }

    thread_local! {
        static KEPT: RefCell<Vec<crate::AbortSignal>> = const { RefCell::new(Vec::new()) };
    }

    /// Keeps its call's signal after returning, as a handler that stores it might.
    struct Keeper;
    impl TaskMethod for Keeper {
        const NAME: &'static str = "keeper";
        type Input = ();
        type Output = ();
        async fn run(_: (), cx: TaskContext) -> Result<(), HandlerError> {
            KEPT.with_borrow_mut(|kept| kept.push(cx.signal().clone()));
            Ok(())
        }
    }

    #[test]
    fn a_finished_calls_signal_still_held_is_never_given_to_another_call() {
        let post: Post = Rc::new(|_, _| {});
        let session = Session::new(Registry::new().method::<Patient>().method::<Keeper>(), 0, post);
        for id in 0..3 {
            let frame = codec::encode_frame(
                &ToWorker::Call {
                    call: id,
                    attempt: 1,
                    method: "keeper",
                    key: None,
                },
                &(),
            )
            .unwrap();
            assert!(session.receive_plain(&frame).unwrap().is_none(), "finished at once");
        }
        let mut patient = session.receive_plain(&call(3)).unwrap().unwrap();
        assert_eq!(patient.as_mut().now_or_never(), None);
        assert!(session.receive_plain(&cancel(3)).unwrap().is_none());
        assert_eq!(patient.now_or_never(), Some(()), "the patient call was aborted");
        let kept = KEPT.with_borrow_mut(std::mem::take);
        assert_eq!(kept.len(), 3);
        assert!(
            kept.iter().all(|signal| !signal.is_aborted()),
            "a kept signal was reused"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        let (session, _) = session();
        assert!(session.receive_plain(&[0xff, 0xff]).is_err());
    }
}
