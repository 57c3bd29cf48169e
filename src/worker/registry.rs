//! [`Registry`]: the methods one worker serves, and how a call frame becomes a reply frame.

use std::collections::HashMap;
use std::future::{Future, ready};
use std::pin::Pin;

use crate::codec::{self, FromWorker, RemoteError};
use crate::error::PayloadSide;
use crate::method::TaskMethod;
use crate::transfer::{self, Attachments};
use crate::worker::TaskContext;
use wasm_bindgen::JsValue;

type Reply = Pin<Box<dyn Future<Output = Result<(Vec<u8>, Attachments), RemoteError>>>>;
/// Decodes the input (with its transferred objects), runs the method, and appends the
/// encoded output to the reply prefix.
type Handler = Box<dyn Fn(&[u8], &[JsValue], TaskContext, Vec<u8>) -> Reply>;

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
    handlers: HashMap<&'static str, Handler>,
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
        let handler: Handler = Box::new(|payload, attachments, cx, reply_prefix| {
            let input = match transfer::decode::<M::Input>(payload, attachments) {
                Ok(input) => input,
                Err(e) => {
                    return Box::pin(ready(Err(RemoteError::Decode {
                        side: PayloadSide::Input,
                        message: e.to_string(),
                    })));
                }
            };
            let run = M::run(input, cx);
            Box::pin(async move {
                let output = run.await.map_err(RemoteError::Handler)?;
                transfer::encode(&output, reply_prefix).map_err(|e| RemoteError::Encode(e.to_string()))
            })
        });
        if self.handlers.contains_key(M::NAME) {
            self.duplicates.push(M::NAME);
        } else {
            self.handlers.insert(M::NAME, handler);
        }
        self
    }

    /// Why this registry cannot serve, if it cannot: a method name registered twice.
    pub(crate) fn defect(&self) -> Option<String> {
        let name = self.duplicates.first()?;
        Some(format!(
            "the worker registers two methods named `{name}`: each TaskMethod::NAME must be unique in a Registry"
        ))
    }

    /// Whether a method of this name is registered.
    pub fn serves(&self, method: &str) -> bool {
        self.handlers.contains_key(method)
    }

    /// The future of the reply frame to a call of `method` on `payload` (and the
    /// objects transferred with it): `Done` and the output with its transferred
    /// objects, or `Failed` (unknown method, undecodable input, handler error,
    /// unencodable output).
    #[cfg_attr(not(any(target_arch = "wasm32", test, feature = "testing")), allow(dead_code))]
    pub(crate) fn reply(
        &self,
        method: String,
        payload: &[u8],
        attachments: &[JsValue],
        cx: TaskContext,
    ) -> impl Future<Output = (Vec<u8>, Attachments)> + 'static {
        let (call, attempt) = (cx.call_id, cx.attempt);
        let reply: Reply = match self.handlers.get(method.as_str()) {
            None => Box::pin(ready(Err(RemoteError::UnknownMethod(method)))),
            Some(handler) => match codec::encode_envelope(&FromWorker::Done { call, attempt }) {
                Ok(prefix) => handler(payload, attachments, cx, prefix),
                Err(e) => Box::pin(ready(Err(RemoteError::Encode(e.to_string())))),
            },
        };
        async move {
            match reply.await {
                Ok(reply) => reply,
                // An envelope of plain integers and strings always encodes; if it ever
                // did not, the empty frame reaches the caller as a protocol error.
                Err(error) => (
                    codec::encode_envelope(&FromWorker::Failed { call, attempt, error }).unwrap_or_default(),
                    Vec::new(),
                ),
            }
        }
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.handlers.keys().collect();
        names.sort();
        f.debug_struct("Registry").field("methods", &names).finish()
    }
}
