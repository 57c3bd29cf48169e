//! [`serve`]: answers the runtime's frames on the port the bootstrap handed over.

use crate::worker::Registry;

/// Serves `registry` from this worker. Call it from the exported worker entry.
///
/// It installs a panic hook that reports the panic's message and location to the
/// main thread before the worker dies, answers every call frame with its reply
/// frame (running calls concurrently, each with its own abort signal, aborted when
/// the runtime sends a cancel), and sends the ready handshake. It returns at once; the worker keeps
/// serving until the runtime terminates it.
///
/// Outside a worker started by a [`TaskRuntime`](crate::TaskRuntime) there is no
/// runtime port: `serve` then logs an error to the console and does nothing. In a
/// native build (the server half of an SSR app) it does nothing, so the entry needs no
/// `cfg`.
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
    use std::rc::Rc;

    use js_sys::Reflect;
    use wasm_bindgen::prelude::*;
    use web_sys::{MessageEvent, MessagePort};

    use crate::codec::{self, FromWorker, RemoteError};
    use crate::transport::bootstrap::{GLOBAL_PORT, GLOBAL_SERVING, GLOBAL_WORKER_INDEX};
    use crate::transport::web::{post_frame, unpack_frame};
    use crate::worker::Registry;
    use crate::worker::session::{Post, Session};

    pub(super) fn serve(registry: Registry) {
        let global = js_sys::global();
        let Ok(port) = Reflect::get(&global, &JsValue::from_str(GLOBAL_PORT)).and_then(|p| p.dyn_into::<MessagePort>())
        else {
            web_sys::console::error_1(&JsValue::from_str(
                "leptos_atelier::serve: no runtime port; serve() only works in a worker started by a TaskRuntime",
            ));
            return;
        };
        let worker_index = Reflect::get(&global, &JsValue::from_str(GLOBAL_WORKER_INDEX))
            .ok()
            .and_then(|v| v.as_f64())
            .map_or(0, |v| v as usize);
        std::panic::set_hook(Box::new(report_panic));

        let reply_port = port.clone();
        let post: Post = Rc::new(move |frame: Vec<u8>, attachments| post_reply(&reply_port, frame, &attachments));
        let session = Session::new(registry, worker_index, post);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some((frame, attachments)) = unpack_frame(&event.data()) else {
                web_sys::console::error_1(&JsValue::from_str(
                    "leptos_atelier: the worker received a message that is not a frame",
                ));
                return;
            };
            match session.receive(&frame, &attachments) {
                Ok(Some(work)) => wasm_bindgen_futures::spawn_local(work),
                Ok(None) => {}
                Err(e) => web_sys::console::error_1(&JsValue::from_str(&format!(
                    "leptos_atelier: the worker received a malformed frame: {e}"
                ))),
            }
        });
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The handler lives as long as the worker does.
        on_message.forget();
        let _ = Reflect::set(&global, &JsValue::from_str(GLOBAL_SERVING), &JsValue::TRUE);
        match crate::codec::encode_envelope(&crate::codec::FromWorker::Ready) {
            Ok(ready) => post_reply(&port, ready, &[]),
            Err(e) => web_sys::console::error_1(&JsValue::from_str(&e.to_string())),
        }
    }

    /// Posts a frame. If the browser refuses (an output `Transfer` of an object that
    /// cannot be transferred), the call is answered with an encode failure instead,
    /// so that its caller is not left waiting.
    fn post_reply(port: &MessagePort, frame: Vec<u8>, attachments: &[JsValue]) {
        let Err(refusal) = post_frame(port, &frame, attachments) else {
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
            let _ = post_frame(port, &failed, &[]);
        }
    }

    fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
        let global = js_sys::global();
        if let Ok(port) =
            Reflect::get(&global, &JsValue::from_str(GLOBAL_PORT)).and_then(|p| p.dyn_into::<MessagePort>())
        {
            let message = js_sys::Object::new();
            let _ = Reflect::set(
                &message,
                &JsValue::from_str("crashed"),
                &JsValue::from_str(&info.to_string()),
            );
            let _ = port.post_message(&message);
        }
    }
}
