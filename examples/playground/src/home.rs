//! The home page (`/`): what the crate is, how to add it (commands with copy buttons),
//! a tabbed code sample, and five small animated explainers. The explainers are
//! drawings (SVG and CSS animation), not runtimes: the live part is `/playground`.

use leptos::prelude::*;

/// The commands the hero offers to copy.
const INSTALL: [(&str, &str); 2] = [
    ("install-crate", "cargo add leptos_atelier"),
    ("install-leptos", "cargo install cargo-leptos --locked"),
];

/// The code sample's files.
const SAMPLES: [(&str, &str); 3] = [
    (
        "app.rs",
        r#"#[component]
pub fn Thumbnails(images: Vec<Image>) -> impl IntoView {
    if let Some(runtime) = provide_task_runtime() {
        runtime.define(TaskConfig::parallel(AppWorkers).task_id("resize")).unwrap();
    }
    let UseTaskActionReturn { action, abort, .. } = use_task_action::<resize>("resize");
    view! {
        <button on:click=move |_| { action.dispatch(images[0].clone()); }>"Resize"</button>
        <button on:click=move |_| abort()>"Cancel"</button>
    }
}"#,
    ),
    (
        "workers.rs",
        r#"#[task_method]
pub async fn resize(image: Image, cx: TaskContext) -> Result<Image, HandlerError> {
    cx.progress(0.5);
    cx.checkpoint().await?; // a cancel lands here
    Ok(image.halve())
}

// The entry each worker calls (exported as `app_workers`).
worker_entry!(pub AppWorkers = [resize]);"#,
    ),
    (
        "server.rs",
        r#"// Strict CSP (worker-src 'self'): serve the bootstrap yourself.
let app = app.route(
    "/atelier-bootstrap.js",
    get(|| async { ([(CONTENT_TYPE, "text/javascript")], WORKER_BOOTSTRAP) }),
);"#,
    ),
];

/// Copies `text` to the clipboard, then sets `copied` to whether the browser let it
/// (nothing happens on the server).
fn copy(text: &'static str, copied: RwSignal<bool>) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::{JsCast, JsValue};
        let clipboard = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
            .and_then(|navigator| js_sys::Reflect::get(&navigator, &"clipboard".into()));
        let write = clipboard
            .as_ref()
            .ok()
            .and_then(|clipboard| js_sys::Reflect::get(clipboard, &"writeText".into()).ok())
            .and_then(|write| write.dyn_into::<js_sys::Function>().ok());
        let (Ok(clipboard), Some(write)) = (clipboard, write) else {
            return;
        };
        let Ok(promise) = write.call1(&clipboard, &JsValue::from_str(text)) else {
            return;
        };
        // A refusal (no permission, no focus) settles the promise as rejected: show it
        // as not copied rather than leave an unhandled rejection.
        let promise = js_sys::Promise::resolve(&promise);
        leptos::task::spawn_local(async move {
            copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
        });
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (text, copied);
    }
}

#[component]
pub fn Home() -> impl IntoView {
    let sample = RwSignal::new(0usize);
    view! {
        <div class="home">
            <header class="hero">
                <h1>"leptos_atelier"</h1>
                <p class="lead">
                    "A task runtime for Web Workers in Leptos apps: bounded queues, backpressure, "
                    "cancellation that reaches the handler, crash recovery, and the whole state as signals."
                </p>
                <ul class="install">
                    {INSTALL
                        .into_iter()
                        .map(|(id, command)| {
                            let copied = RwSignal::new(false);
                            view! {
                                <li>
                                    <code>{command}</code>
                                    <button
                                        id=id
                                        class="copy"
                                        on:click=move |_| copy(command, copied)
                                    >
                                        {move || if copied.get() { "copied" } else { "copy" }}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
                <p class="links">
                    <a class="button primary" id="get-started" href="/docs/getting-started">
                        "Get started"
                    </a>
                    <a class="button" id="open-playground" href="/playground">
                        "Playground"
                    </a>
                </p>
            </header>
            <section class="features">
                <div class="sample">
                    <nav class="tabs" role="tablist">
                        {SAMPLES
                            .iter()
                            .enumerate()
                            .map(|(index, (file, _))| {
                                view! {
                                    <button
                                        role="tab"
                                        id=format!("sample-{index}")
                                        class:selected=move || sample.get() == index
                                        on:click=move |_| sample.set(index)
                                    >
                                        {*file}
                                    </button>
                                }
                            })
                            .collect_view()}
                    </nav>
                    <pre><code id="sample-code">{move || SAMPLES[sample.get()].1}</code></pre>
                </div>
                <Explainer title="Define and dispatch" text="A method is a type; a task is a pool with a queue. Calls go to the least busy worker.">
                    <DispatchDrawing />
                </Explainer>
                <Explainer title="Predictable backpressure" text="A full queue blocks, rejects or sheds: you choose, per task.">
                    <BackpressureDrawing />
                </Explainer>
                <Explainer title="Flexible cancellation" text="Abort a key: waiting, queued and running calls stop, and the handler hears it.">
                    <CancellationDrawing />
                </Explainer>
                <Explainer title="Crash recovery" text="A crashed worker is replaced; its calls are requeued or failed, as the policy says.">
                    <CrashDrawing />
                </Explainer>
                <Explainer title="Runtime observability" text="Spans and traces: queue time and run time of every call, retries included.">
                    <TraceDrawing />
                </Explainer>
            </section>
        </div>
    }
}

#[component]
fn Explainer(title: &'static str, text: &'static str, children: Children) -> impl IntoView {
    view! {
        <article class="explainer">
            <div class="drawing">{children()}</div>
            <h3>{title}</h3>
            <p>{text}</p>
        </article>
    }
}

#[component]
fn DispatchDrawing() -> impl IntoView {
    view! {
        <svg viewBox="0 0 240 100" role="img" aria-label="calls dispatched to workers">
            <rect class="box" x="8" y="36" width="48" height="28" rx="4"></rect>
            <text x="32" y="54">"call"</text>
            <rect class="box queue" x="88" y="36" width="48" height="28" rx="4"></rect>
            <text x="112" y="54">"queue"</text>
            {[14, 42, 70]
                .into_iter()
                .map(|y| {
                    view! {
                        <rect class="box worker" x="172" y=y width="60" height="20" rx="4"></rect>
                        <line class="wire" x1="136" y1="50" x2="172" y2=y + 10></line>
                    }
                })
                .collect_view()}
            <line class="wire" x1="56" y1="50" x2="88" y2="50"></line>
            <circle class="token travel" r="5" cx="56" cy="50"></circle>
        </svg>
    }
}

#[component]
fn BackpressureDrawing() -> impl IntoView {
    view! {
        <svg viewBox="0 0 240 100" role="img" aria-label="block, reject and shed">
            {[("block", 22, "wait"), ("reject", 50, "bounce"), ("shed", 78, "drop")]
                .into_iter()
                .map(|(label, y, motion)| {
                    view! {
                        <text class="lane" x="4" y=y + 4>{label}</text>
                        <line class="wire" x1="60" y1=y x2="236" y2=y></line>
                        <rect class="box queue" x="150" y=y - 8 width="40" height="16" rx="3"></rect>
                        <circle class=format!("token {motion}") r="5" cx="70" cy=y></circle>
                    }
                })
                .collect_view()}
        </svg>
    }
}

#[component]
fn CancellationDrawing() -> impl IntoView {
    view! {
        <svg viewBox="0 0 240 100" role="img" aria-label="a key aborted in every phase">
            {[("waiting", 30), ("queued", 110), ("in flight", 190)]
                .into_iter()
                .map(|(label, x)| {
                    view! {
                        <text class="lane" x=x y="20">{label}</text>
                        <rect class="box keyed fade" x=x - 2 y="34" width="44" height="22" rx="4"></rect>
                        <rect class="box" x=x - 2 y="64" width="44" height="22" rx="4"></rect>
                    }
                })
                .collect_view()}
        </svg>
    }
}

#[component]
fn CrashDrawing() -> impl IntoView {
    view! {
        <svg viewBox="0 0 240 100" role="img" aria-label="a worker crashes and is replaced">
            <rect class="box worker crash" x="90" y="30" width="60" height="40" rx="6"></rect>
            <text x="120" y="54">"worker"</text>
            <path class="wire requeue" d="M 90 50 C 40 50, 40 90, 120 90"></path>
            <text class="lane" x="8" y="20">"requeue"</text>
            <line class="wire fail" x1="150" y1="50" x2="220" y2="50"></line>
            <text class="lane" x="190" y="40">"fail"</text>
        </svg>
    }
}

#[component]
fn TraceDrawing() -> impl IntoView {
    // Queue time (light) then run time (dark) per span; the third retried once.
    let spans = [
        (0, 10, 40, "ok"),
        (14, 22, 50, "ok"),
        (20, 40, 30, "retry"),
        (30, 62, 24, "canceled"),
    ];
    view! {
        <svg viewBox="0 0 240 100" role="img" aria-label="a trace waterfall">
            {spans
                .into_iter()
                .enumerate()
                .map(|(row, (start, wait, run, status))| {
                    let y = 10 + row * 22;
                    view! {
                        <rect class="span wait grow" x=20 + start y=y width=wait height="14"></rect>
                        <rect class=format!("span run grow {status}") x=20 + start + wait y=y width=run height="14"></rect>
                        <text class="lane" x=24 + start + wait + run y=y + 11>{status}</text>
                    }
                })
                .collect_view()}
        </svg>
    }
}
