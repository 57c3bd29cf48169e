//! [`Registry`]: the methods one worker serves, and how a call frame becomes a reply frame.

use std::cell::Cell;
use std::future::Future;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Waker};

use crate::codec::{self, CallId, FromWorker, RemoteError};
use crate::error::PayloadSide;
use crate::method::TaskContext;
use crate::method::TaskMethod;
use crate::protocol::Attachments;
use crate::transfer;
use wasm_bindgen::JsValue;

/// Takes a call's reply frame (and the objects to transfer with it) when the call
/// finishes: the worker's session, which posts it.
pub(crate) type Done = Rc<dyn Fn(CallId, Vec<u8>, Attachments)>;

/// One call's work that has to wait, ending with its reply handed to [`Done`]: the
/// worker's executor runs it on.
pub(crate) type Work = Pin<Box<dyn Future<Output = ()>>>;

/// Decodes the input (with its transferred objects), runs the method as far as it goes
/// at once, and gives back the work only if it has to wait.
type Handler = Box<dyn Fn(&[u8], &[JsValue], TaskContext, Done) -> Option<Work>>;

/// Where a handler keeps the allocation of a call's work that finished at once, for
/// its next call: most calls finish at once, and then they allocate nothing.
type SpareWork<F> = Cell<Option<Box<MaybeUninit<F>>>>;

/// Runs `work` as far as it goes at once; the boxed rest if it has to wait. Polled
/// with a no-op waker: whoever runs the rest polls it again with a real one, which
/// replaces the no-op one wherever the work waits (as every future must allow).
///
/// The box comes from `spare` when it holds one, and goes back to it when the work
/// finishes here.
fn run_at_once<F: Future<Output = ()> + 'static>(spare: &SpareWork<F>, work: F) -> Option<Work> {
    let boxed = match spare.take() {
        Some(memory) => Box::write(memory, work),
        None => Box::new(work),
    };
    let mut work = Box::into_pin(boxed);
    let mut cx = Context::from_waker(Waker::noop());
    if work.as_mut().poll(&mut cx).is_pending() {
        return Some(work);
    }
    // SAFETY: the finished future is dropped where it was pinned, before its memory is
    // reused (as `Pin` requires), and the box is rebuilt from the pointer it gave, as
    // uninitialized memory of the same layout. A panicking drop leaks the memory.
    unsafe {
        let raw = Box::into_raw(Pin::into_inner_unchecked(work));
        std::ptr::drop_in_place(raw);
        spare.set(Some(Box::from_raw(raw.cast::<MaybeUninit<F>>())));
    }
    None
}

/// The methods a worker serves, by name.
///
/// Build it in the exported worker entry and hand it to [`serve`](crate::serve).
/// Two methods with the same [`TaskMethod::NAME`] are a mistake the worker reports:
/// it does not start, and calls fail with
/// [`TaskError::WorkerStart`](crate::TaskError::WorkerStart) naming the method.
///
/// ```
/// use leptos_atelier::{HandlerError, Registry, TaskContext, TaskMethod};
///
/// pub struct Double;
/// impl TaskMethod for Double {
///     const NAME: &'static str = "double";
///     type Input = u64;
///     type Output = u64;
///     async fn run(n: u64, _: TaskContext) -> Result<u64, HandlerError> {
///         n.checked_mul(2).ok_or_else(|| HandlerError::new("overflow"))
///     }
/// }
///
/// let registry = Registry::new().method::<Double>();
/// assert!(registry.serves("double"));
/// assert!(!registry.serves("triple"));
/// ```
#[derive(Default)]
pub struct Registry {
    /// By name. A worker serves a handful of methods: scanning them costs less than
    /// hashing the name.
    handlers: Vec<(&'static str, Handler)>,
    /// Names registered more than once (the first handler is kept).
    duplicates: Vec<&'static str>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a method.
    pub fn method<M: TaskMethod>(mut self) -> Self {
        let spare = Cell::new(None);
        let handler: Handler = Box::new(move |payload, attachments, cx, done| {
            let (call, attempt) = (cx.call_id, cx.attempt);
            let input = match transfer::decode::<M::Input>(payload, attachments) {
                Ok(input) => input,
                Err(e) => {
                    let error = RemoteError::Decode {
                        side: PayloadSide::Input,
                        message: e.to_string(),
                    };
                    done(call, failed_frame(call, attempt, error), Vec::new());
                    return None;
                }
            };
            let run = M::run(input, cx);
            run_at_once(&spare, async move {
                let encoded = match run.await {
                    Ok(output) => {
                        let mut frame = codec::done_frame_start(call, attempt);
                        transfer::encode(&output, &mut frame, transfer::Blocks::Beside)
                            .map(|attachments| (frame, attachments))
                            .map_err(|e| RemoteError::Encode(e.to_string()))
                    }
                    Err(error) => Err(RemoteError::Handler(error)),
                };
                match encoded {
                    Ok((frame, attachments)) => done(call, frame, attachments),
                    Err(error) => done(call, failed_frame(call, attempt, error), Vec::new()),
                }
            })
        });
        if self.serves(M::NAME) {
            self.duplicates.push(M::NAME);
        } else {
            self.handlers.push((M::NAME, handler));
        }
        self
    }

    /// Why this registry cannot serve, if it cannot: a method name registered twice.
    #[cfg_attr(not(any(target_arch = "wasm32", test, feature = "testing")), allow(dead_code))]
    pub(crate) fn defect(&self) -> Option<String> {
        let name = self.duplicates.first()?;
        Some(format!(
            "the worker registers two methods named `{name}`: each TaskMethod::NAME must be unique in a Registry"
        ))
    }

    /// Whether a method of this name is registered.
    pub fn serves(&self, method: &str) -> bool {
        self.handlers.iter().any(|(name, _)| *name == method)
    }

    /// Runs a call of `method` on `payload` (and the objects transferred with it) as far
    /// as it goes at once; it hands `done` the reply frame, `Done` and the output with
    /// its transferred objects, or `Failed` (unknown method, undecodable input, handler
    /// error, unencodable output). The work left, if the method has to wait.
    #[cfg_attr(not(any(target_arch = "wasm32", test, feature = "testing")), allow(dead_code))]
    pub(crate) fn reply(
        &self,
        method: &str,
        payload: &[u8],
        attachments: &[JsValue],
        cx: TaskContext,
        done: Done,
    ) -> Option<Work> {
        match self.handlers.iter().find(|(name, _)| *name == method) {
            Some((_, handler)) => handler(payload, attachments, cx, done),
            None => {
                let error = RemoteError::UnknownMethod(method.to_owned());
                done(cx.call_id, failed_frame(cx.call_id, cx.attempt, error), Vec::new());
                None
            }
        }
    }
}

/// The frame of a failed call. An envelope of plain integers and strings always
/// encodes; if it ever did not, the empty frame reaches the caller as a protocol error.
fn failed_frame(call: CallId, attempt: u32, error: RemoteError) -> Vec<u8> {
    codec::encode_envelope(&FromWorker::Failed { call, attempt, error }).unwrap_or_default()
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.handlers.iter().map(|(name, _)| name).collect();
        names.sort();
        f.debug_struct("Registry").field("methods", &names).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::future::Future;
    use std::pin::Pin;
    use std::rc::Rc;
    use std::task::{Context, Poll};

    use super::{SpareWork, run_at_once};

    /// Finishes at its first poll, still holding its `Rc` (a finished future's fields
    /// go only when it is dropped).
    struct FinishesHolding(#[allow(dead_code)] Rc<()>);
    impl Future for FinishesHolding {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Ready(())
        }
    }

    /// Waits at its first poll (unless told it has waited), then finishes; holds its
    /// `Rc` until dropped.
    struct WaitsOnce(#[allow(dead_code)] Rc<()>, bool);
    impl Future for WaitsOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            if std::mem::replace(&mut self.1, true) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }

    #[test]
    fn work_that_finishes_at_once_is_dropped_and_leaves_its_box_for_the_next() {
        let held = Rc::new(());
        let spare: SpareWork<FinishesHolding> = Cell::new(None);
        for _ in 0..3 {
            assert!(run_at_once(&spare, FinishesHolding(held.clone())).is_none());
            assert_eq!(Rc::strong_count(&held), 1, "the finished work was dropped");
            let kept = spare.take().expect("its box is kept");
            spare.set(Some(kept));
        }
    }

    #[test]
    fn work_that_waits_takes_the_spare_box_with_it() {
        let held = Rc::new(());
        let spare: SpareWork<WaitsOnce> = Cell::new(None);
        // A first run that finishes at once leaves a box; stop this one halfway instead.
        assert!(run_at_once(&spare, WaitsOnce(held.clone(), true)).is_none());
        assert!(spare.take().is_some_and(|kept| {
            spare.set(Some(kept));
            true
        }));
        let mut work = run_at_once(&spare, WaitsOnce(held.clone(), false)).expect("it waits");
        assert!(spare.take().is_none(), "the waiting work has the box");
        assert_eq!(Rc::strong_count(&held), 2);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(work.as_mut().poll(&mut cx).is_ready());
        drop(work);
        assert_eq!(Rc::strong_count(&held), 1);
        // With no spare, a new box is made.
        assert!(run_at_once(&spare, WaitsOnce(held.clone(), true)).is_none());
        assert_eq!(Rc::strong_count(&held), 1);
    }
}
