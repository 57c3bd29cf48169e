//! The browser transport: module Web Workers running the app's own wasm bundle.
//!
//! Each worker is created from the bootstrap script (a `blob:` URL, or the app's own
//! URL), and receives the compiled `WebAssembly.Module` of this bundle (so it neither
//! downloads nor compiles the wasm again). All runtime traffic uses the worker's own
//! message channel (a dedicated `MessagePort` halves Chromium's message rate). Frames
//! go through an [`Outbox`], which sends those of one turn as one message; their
//! encoding is in [`wire`].
//!
//! In a cross-origin-isolated page (and unless
//! [`RuntimeOptions::shared_memory`](crate::RuntimeOptions::shared_memory) is off), the
//! hello offers the worker shared memory; a worker that can use it answers with a
//! channel buffer before its handshake, and from then on small frames travel both ways
//! through the [`ring`]s in it, messages only carrying what a ring cannot.
//!
//! With spare workers ([`RuntimeOptions::spare_workers`](crate::RuntimeOptions::spare_workers)),
//! the transport keeps that many workers started ahead: their bootstrap has run and
//! imported the app's glue, and they wait for the hello that binds them to a task's
//! entry. A spawn takes a spare started from the same bootstrap and glue URLs, and
//! starts its replacement. Spares belong to no task and are terminated with the transport.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, Event, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::bootstrap;
use super::{EventSink, SpawnRequest, Transport, WorkerEvent, WorkerLink};
use crate::platform::Timeout;
use crate::protocol::describe;
use crate::protocol::outbox::Outbox;
use crate::protocol::ring::{self, Direction, Idle, Listener, Ring};
use crate::protocol::{records, wire};

/// Spawns real Web Workers.
#[derive(Debug)]
pub(crate) struct WebTransport {
    /// How many spare workers to keep.
    spare_workers: usize,
    /// Whether to offer workers shared memory where the page can.
    shared_memory: bool,
    spares: RefCell<Vec<Spare>>,
}

/// A worker started ahead, waiting for its hello.
#[derive(Debug)]
struct Spare {
    worker: Worker,
    script: String,
    glue: String,
}

impl WebTransport {
    /// A transport that keeps `spare_workers` workers started ahead, from the first
    /// spawn on (the first spawn says which bootstrap and glue to start them from),
    /// and offers workers shared memory if `shared_memory` and the page allows it.
    pub(crate) fn new(spare_workers: usize, shared_memory: bool) -> Self {
        Self {
            spare_workers,
            shared_memory,
            spares: RefCell::default(),
        }
    }

    /// A spare started from `script` and `glue`, if there is one.
    fn take_spare(&self, script: &str, glue: &str) -> Option<Worker> {
        let mut spares = self.spares.borrow_mut();
        let at = spares.iter().position(|s| s.script == script && s.glue == glue)?;
        Some(spares.remove(at).worker)
    }

    /// Starts spares from `script` and `glue` until there are enough.
    fn top_up(&self, script: &str, glue: &str) {
        while self.spares.borrow().len() < self.spare_workers {
            match start(script, glue) {
                Ok(worker) => self.spares.borrow_mut().push(Spare {
                    worker,
                    script: script.to_owned(),
                    glue: glue.to_owned(),
                }),
                // A spare is an optimisation: the next spawn starts its own worker
                // and reports what goes wrong.
                Err(_) => return,
            }
        }
    }
}

impl Drop for WebTransport {
    fn drop(&mut self) {
        for spare in self.spares.take() {
            spare.worker.terminate();
        }
    }
}

/// Creates a worker running the bootstrap `script`.
fn start(script: &str, glue: &str) -> Result<Worker, String> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    // The name carries the glue URL, so that the bootstrap starts importing the
    // glue as soon as it runs, while the hello message is still on its way.
    options.set_name(&bootstrap::worker_name(glue));
    Worker::new_with_options(script, &options).map_err(describe)
}

impl Transport for WebTransport {
    fn spawn(&self, request: &SpawnRequest<'_>, events: EventSink) -> Result<Box<dyn WorkerLink>, String> {
        let script = match request.spec.bootstrap_url.as_deref() {
            Some(url) => url.to_owned(),
            None => bootstrap::script_url()?,
        };
        let glue = request
            .spec
            .glue_url
            .as_deref()
            .map_or_else(bootstrap::glue_url, str::to_owned);
        let worker = match self.take_spare(&script, &glue) {
            Some(spare) => spare,
            None => start(&script, &glue)?,
        };

        // Any message from the worker (the first is the ready handshake or a start
        // failure) proves it started; until then this timer runs.
        let start_timer: Rc<RefCell<Option<Timeout>>> = Rc::default();
        let sink = events.clone();
        let timeout = request.spec.start_timeout;
        // A page whose Content Security Policy refuses `blob:` workers gets no error
        // event in every browser, only silence: say where to look.
        let hint = if request.spec.bootstrap_url.as_deref().is_none() {
            " (if the page's Content Security Policy refuses blob: workers, use TaskConfig::bootstrap_url)"
        } else {
            ""
        };
        let timer = Timeout::new(timeout, move || {
            sink(WorkerEvent::StartFailed(format!(
                "no ready handshake within {}{hint}",
                crate::platform::Millis(timeout)
            )))
        })
        .map_err(describe)?;
        *start_timer.borrow_mut() = Some(timer);
        let target = worker.clone();
        let lost = events.clone();
        let channel = Rc::new(Channel {
            outbox: Outbox::new(
                move |message, transfer| target.post_message_with_transfer(message, transfer),
                // Frames the worker will never see: its calls would wait forever.
                move |failure| lost(WorkerEvent::Crashed(format!("the page {failure} to the worker"))),
            ),
            listener: OnceCell::new(),
            received: Cell::new(0),
            offered: self.shared_memory && ring::available(),
        });
        let sink = events.clone();
        let started = start_timer.clone();
        let from_worker = channel.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            started.borrow_mut().take();
            let data = event.data();
            if let Some(buffer) = channel_buffer(&data) {
                from_worker.attach(&buffer, sink.clone());
                return;
            }
            // What the worker wrote to shared memory before posting this comes first.
            from_worker.take_ring();
            let events = classify(data);
            if matches!(events.first(), Some(WorkerEvent::Frame(..))) {
                from_worker.received_message();
            }
            for event in events {
                sink(event);
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

        let sink = events.clone();
        let from_worker = channel.clone();
        let on_error = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            // Keep the event from also being reported as an uncaught page error.
            event.prevent_default();
            from_worker.take_ring();
            sink(WorkerEvent::Crashed(error_text(&event)));
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));

        let sink = events;
        let from_worker = channel.clone();
        let on_message_error = Closure::<dyn FnMut(MessageEvent)>::new(move |_event: MessageEvent| {
            from_worker.take_ring();
            sink(WorkerEvent::Crashed(
                "a message from the worker could not be deserialized".into(),
            ));
        });
        worker.set_onmessageerror(Some(on_message_error.as_ref().unchecked_ref()));

        let link = WebLink {
            worker,
            channel,
            start_timer,
            _on_message: on_message,
            _on_error: on_error,
            _on_message_error: on_message_error,
        };
        let hello = Object::new();
        let fields: [(&str, JsValue); 5] = [
            ("url", glue.as_str().into()),
            ("module", wasm_bindgen::module()),
            ("entry", request.spec.worker_entry.as_str().into()),
            ("index", (request.worker_index as f64).into()),
            ("shared", link.channel.offered.into()),
        ];
        for (name, value) in fields {
            Reflect::set(&hello, &JsValue::from_str(name), &value).map_err(describe)?;
        }
        link.worker.post_message(&hello).map_err(describe)?;
        self.top_up(&script, &glue);
        Ok(Box::new(link))
    }
}

struct WebLink {
    worker: Worker,
    channel: Rc<Channel>,
    start_timer: Rc<RefCell<Option<Timeout>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
    _on_message_error: Closure<dyn FnMut(MessageEvent)>,
}

impl WorkerLink for WebLink {
    fn post(&self, frame: &[u8], attachments: &[JsValue]) -> Result<(), String> {
        self.channel.outbox.send(frame, attachments)
    }

    fn terminate(&self) {
        self.channel.outbox.close();
        if let Some(listener) = self.channel.listener.get() {
            listener.close();
        }
        self.start_timer.borrow_mut().take();
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.set_onmessageerror(None);
        self.worker.terminate();
    }
}

impl Drop for WebLink {
    fn drop(&mut self) {
        // The closures die with the link: detach them so no late event calls a freed closure.
        self.terminate();
    }
}

/// The page's ends of one worker's traffic, shared by its link and event handlers.
struct Channel {
    outbox: Outbox,
    /// Hears the worker's ring, once the worker has sent its channel buffer.
    listener: OnceCell<Listener>,
    /// Frame messages received from the worker before there was a listener.
    received: Cell<u32>,
    /// Whether the hello offered shared memory (a buffer not asked for is ignored).
    offered: bool,
}

impl Channel {
    /// Starts using the channel buffer the worker sent: frames to it through its ring,
    /// frames from it heard on the other. A worker that sends a channel it was not
    /// offered, a second one, or something that is not a channel's buffer is broken
    /// (it may already be writing where nobody reads): garbage, not ignored.
    fn attach(&self, buffer: &JsValue, sink: super::EventSink) {
        let rings = (self.offered && self.listener.get().is_none())
            .then(|| {
                Some((
                    Ring::open(buffer, Direction::ToWorker)?,
                    Ring::open(buffer, Direction::ToPage)?,
                ))
            })
            .flatten();
        let Some((to_worker, to_page)) = rings else {
            sink(WorkerEvent::Garbage(
                "the worker sent a shared-memory channel it was not offered, or not a channel".into(),
            ));
            return;
        };
        let listener = Listener::start(
            to_page,
            self.received.get(),
            Idle::Sleep,
            move |bytes| match records::split(bytes) {
                Some(frames) => {
                    for frame in frames {
                        sink(WorkerEvent::Frame(frame.to_vec(), Vec::new()));
                    }
                }
                None => sink(WorkerEvent::Garbage(
                    "the worker wrote malformed records to shared memory".into(),
                )),
            },
        );
        let _ = self.listener.set(listener);
        self.outbox.attach(to_worker);
    }

    /// Hands over the frames waiting in the worker's ring.
    fn take_ring(&self) {
        if let Some(listener) = self.listener.get() {
            listener.take_now();
        }
    }

    /// Counts a frame message from the worker (the worker's outbox compares).
    fn received_message(&self) {
        match self.listener.get() {
            Some(listener) => listener.received_message(),
            None => self.received.set(self.received.get().wrapping_add(1)),
        }
    }
}

/// The channel buffer in a `{ channel }` message from the worker.
fn channel_buffer(data: &JsValue) -> Option<JsValue> {
    if !data.is_object() || js_sys::Array::is_array(data) {
        return None;
    }
    let buffer = Reflect::get(data, &JsValue::from_str("channel")).ok()?;
    buffer.is_object().then_some(buffer)
}

/// Sorts a message from the worker into frames, bootstrap reports and garbage.
fn classify(data: JsValue) -> Vec<WorkerEvent> {
    if let Some(frames) = wire::unpack(&data) {
        return frames
            .into_iter()
            .map(|(frame, attachments)| WorkerEvent::Frame(frame, attachments))
            .collect();
    }
    vec![report(&data)]
}

/// A bootstrap report (`{ startFailed }` or `{ crashed }`), or garbage.
fn report(data: &JsValue) -> WorkerEvent {
    let text_field = |name: &str| {
        Reflect::get(data, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    if data.is_object() {
        if let Some(why) = text_field("startFailed") {
            return WorkerEvent::StartFailed(why);
        }
        if let Some(why) = text_field("crashed") {
            return WorkerEvent::Crashed(why);
        }
    }
    let shown = js_sys::JSON::stringify(data)
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| "a value that is not JSON".into());
    WorkerEvent::Garbage(format!("unexpected message {shown}"))
}

/// What a worker's `error` event says. An `ErrorEvent` is an error thrown in the
/// worker; a plain `Event` means its script never ran: the browser could not fetch it,
/// or the page's Content Security Policy refused it (the browser's console says which).
fn error_text(event: &Event) -> String {
    let Some(event) = event.dyn_ref::<ErrorEvent>() else {
        return "the worker's script could not be loaded: not found, not JavaScript, or refused by the page's \
                Content Security Policy (worker-src, or script-src without it)"
            .to_owned();
    };
    let message = event.message();
    let message = if message.is_empty() {
        "uncaught error".to_owned()
    } else {
        message
    };
    match event.filename() {
        file if file.is_empty() => message,
        file => format!("{message} ({file}:{}:{})", event.lineno(), event.colno()),
    }
}
