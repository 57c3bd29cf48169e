//! [`serve`]: answers the runtime's frames on the port the bootstrap handed over.

use crate::worker::Registry;

/// Serves `registry` from this worker. Call it from the exported worker entry.
///
/// It installs a panic hook that reports the panic's message and location to the
/// main thread before the worker dies (then runs the hook that was set before, such
/// as `console_error_panic_hook`'s), answers every call frame with its reply
/// frame (running calls concurrently, each with its own abort signal, aborted when
/// the runtime sends a cancel), and sends the ready handshake. It returns at once; the worker keeps
/// serving until the runtime terminates it.
///
/// Outside a worker started by a [`TaskRuntime`](crate::TaskRuntime) there is no
/// runtime port: `serve` then logs an error to the console and does nothing. In a
/// native build (the server half of an SSR app) it does nothing, so the entry needs no
/// `cfg`. A registry with two methods of one name does not serve: the worker fails to
/// start, and calls fail with [`TaskError::WorkerStart`](crate::TaskError::WorkerStart)
/// saying which name.
///
/// ```no_run
/// use leptos_atelier::{serve, HandlerError, Registry, TaskContext, TaskMethod};
/// use wasm_bindgen::prelude::*;
///
/// pub struct Double;
/// impl TaskMethod for Double {
///     const NAME: &'static str = "double";
///     type Input = u64;
///     type Output = u64;
///     async fn run(n: u64, _: TaskContext) -> Result<u64, HandlerError> { Ok(n * 2) }
/// }
///
/// #[wasm_bindgen]
/// pub fn app_workers() {
///     serve(Registry::new().method::<Double>());
/// }
/// ```
pub fn serve(registry: Registry) {
    #[cfg(target_arch = "wasm32")]
    browser::serve(registry);
    #[cfg(not(target_arch = "wasm32"))]
    drop(registry);
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use std::cell::OnceCell;
    use std::rc::Rc;

    use js_sys::{Array, Reflect};
    use wasm_bindgen::prelude::*;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    use crate::codec::{self, FromWorker, RemoteError};
    use crate::protocol::outbox::Outbox;
    use crate::protocol::ring::{self, Direction, Idle, Listener, Ring};
    use crate::protocol::{GLOBAL_EARLY, GLOBAL_SERVING, GLOBAL_SHARED, GLOBAL_WORKER_INDEX, records, wire};
    use crate::worker::Registry;
    use crate::worker::session::{Post, Session};

    thread_local! {
        /// The worker's outbox, for the panic hook: what it holds (the handshake, the
        /// replies of calls that finished earlier in this turn) leaves before the
        /// crash report, not with the dying worker.
        static REPLIES: OnceCell<Rc<Outbox>> = const { OnceCell::new() };
    }

    pub(super) fn serve(registry: Registry) {
        let global = js_sys::global();
        let index = Reflect::get(&global, &JsValue::from_str(GLOBAL_WORKER_INDEX))
            .ok()
            .and_then(|v| v.as_f64());
        let (Some(index), Ok(scope)) = (index, global.dyn_into::<DedicatedWorkerGlobalScope>()) else {
            web_sys::console::error_1(&JsValue::from_str(
                "leptos_atelier::serve: not in a runtime's worker; serve() only works in a worker started by a TaskRuntime",
            ));
            return;
        };
        if let Some(defect) = registry.defect() {
            // Before `serve` marks the worker serving: the bootstrap reports a failed start.
            wasm_bindgen::throw_str(&defect);
        }
        // Ours first, then the app's own (which may log the panic to the console).
        let app_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            report_panic(info);
            app_hook(info);
        }));

        let reply_scope = scope.clone();
        let outbox = Rc::new(Outbox::new(
            move |message, transfer| reply_scope.post_message_with_transfer(message, transfer),
            // Replies the page will never see: say this worker is lost instead.
            |failure| post_crash(&format!("the worker {failure} to the page")),
        ));
        REPLIES.with(|replies| replies.set(outbox.clone()).ok());
        let replies = outbox.clone();
        let post: Post = Rc::new(move |frame: Vec<u8>, attachments| post_reply(&replies, frame, &attachments));
        let session = Session::new(registry, index as usize, post);
        let replies = outbox.clone();
        let frames_in = Rc::new(move |frames: Vec<(&[u8], &[JsValue])>| {
            // The replies of handlers that finish at once leave together when the
            // frames are handled, rather than after the turn's microtasks.
            replies.hold_while(|| {
                for (frame, attachments) in frames {
                    match session.receive(frame, attachments) {
                        // The session ran it as far as it goes; the rest waits here.
                        Ok(Some(work)) => wasm_bindgen_futures::spawn_local(work),
                        Ok(None) => {}
                        Err(e) => web_sys::console::error_1(&JsValue::from_str(&format!(
                            "leptos_atelier: the worker received a malformed frame: {e}"
                        ))),
                    }
                }
            });
        });
        // Shared memory first, if offered: the handshake can then go through it.
        let shared = Reflect::get(&scope, &JsValue::from_str(GLOBAL_SHARED)).is_ok_and(|v| v.is_truthy());
        let listener = (shared && ring::available())
            .then(|| share_memory(&scope, &outbox, frames_in.clone()))
            .flatten();
        // The handshake goes first, then the replies to frames that came early.
        match codec::encode_envelope(&FromWorker::Ready) {
            Ok(ready) => post_reply(&outbox, ready, &[]),
            Err(e) => web_sys::console::error_1(&JsValue::from_str(&e.to_string())),
        }
        let receive = move |data: JsValue| {
            // What the page wrote to shared memory before posting this comes first.
            if let Some(listener) = &listener {
                listener.take_now();
            }
            let Some(frames) = wire::unpack(&data) else {
                web_sys::console::error_1(&JsValue::from_str(
                    "leptos_atelier: the worker received a message that is not a frame",
                ));
                return;
            };
            // Counted first: a handler that panics ends this call here.
            if let Some(listener) = &listener {
                listener.received_message();
            }
            frames_in(
                frames
                    .iter()
                    .map(|(frame, attachments)| (frame.as_slice(), attachments.as_slice()))
                    .collect(),
            );
        };
        // Frames that arrived while the bundle loaded come first, in order.
        let early = Reflect::get(&scope, &JsValue::from_str(GLOBAL_EARLY))
            .ok()
            .and_then(|early| early.dyn_into::<Array>().ok());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| receive(event.data()));
        // Serving from here on: a panic on an early frame is a crash, not a failed start.
        let _ = Reflect::set(&scope, &JsValue::from_str(GLOBAL_SERVING), &JsValue::TRUE);
        if let Some(early) = early {
            let handler: &js_sys::Function = on_message.as_ref().unchecked_ref();
            for data in early.iter() {
                let event = js_sys::Object::new();
                let _ = Reflect::set(&event, &JsValue::from_str("data"), &data);
                let _ = handler.call1(&JsValue::NULL, &event);
            }
            early.set_length(0);
        }
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The handler lives as long as the worker does.
        on_message.forget();
    }

    /// Serves frames and their attachments, in order.
    type FramesIn = Rc<dyn Fn(Vec<(&[u8], &[JsValue])>)>;

    /// Makes a shared-memory channel, sends it to the page and uses it: replies go
    /// into one ring, frames from the other go to `frames_in`. `None` (and nothing
    /// sent) if the buffer cannot be posted.
    fn share_memory(scope: &DedicatedWorkerGlobalScope, outbox: &Outbox, frames_in: FramesIn) -> Option<Listener> {
        let buffer: JsValue = ring::new_channel().into();
        let (to_worker, to_page) = (
            Ring::open(&buffer, Direction::ToWorker)?,
            Ring::open(&buffer, Direction::ToPage)?,
        );
        let message = js_sys::Object::new();
        Reflect::set(&message, &JsValue::from_str("channel"), &buffer).ok()?;
        scope.post_message(&message).ok()?;
        outbox.attach(to_page);
        // The frames that came early are counted as they are replayed.
        Some(Listener::start(
            to_worker,
            0,
            Idle::Spin,
            move |bytes| match records::split(bytes) {
                Some(frames) => frames_in(frames.into_iter().map(|frame| (frame, &[][..])).collect()),
                None => web_sys::console::error_1(&JsValue::from_str(
                    "leptos_atelier: the page wrote malformed records to shared memory",
                )),
            },
        ))
    }

    /// Posts a frame. If the browser refuses (an output `Transfer` of an object that
    /// cannot be transferred), the call is answered with an encode failure instead,
    /// so that its caller is not left waiting.
    fn post_reply(outbox: &Outbox, frame: Vec<u8>, attachments: &[JsValue]) {
        let Err(refusal) = outbox.send(&frame, attachments) else {
            return;
        };
        let failed = match codec::decode_frame::<FromWorker>(&frame) {
            Ok((FromWorker::Done { call, attempt }, _)) => codec::encode_envelope(&FromWorker::Failed {
                call,
                attempt,
                error: RemoteError::Encode(format!("could not send the output: {refusal}")),
            }),
            _ => {
                let text = format!("leptos_atelier: could not post a message: {refusal}");
                web_sys::console::error_1(&JsValue::from_str(&text));
                return;
            }
        };
        if let Ok(failed) = failed {
            let _ = outbox.send(&failed, &[]);
        }
    }

    /// Runs a call's work: at once, as far as it goes, then on the event loop if it
    /// has to wait. Most handlers finish without waiting, and then their reply leaves
    /// with this turn's other replies, with no task spawned for them.
    fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
        // Calls that finished before the panic did finish: their replies go first.
        // Without this, a panic on a frame that came early also swallowed the held
        // handshake, and the runtime took the crash for a failed start.
        REPLIES.with(|replies| {
            if let Some(outbox) = replies.get() {
                outbox.flush();
            }
        });
        post_crash(&info.to_string());
    }

    /// Tells the runtime this worker is lost, and why (it then terminates it).
    fn post_crash(cause: &str) {
        if let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() {
            let message = js_sys::Object::new();
            let _ = Reflect::set(&message, &JsValue::from_str("crashed"), &JsValue::from_str(cause));
            let _ = scope.post_message(&message);
        }
    }
}
