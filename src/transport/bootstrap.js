// leptos_atelier worker bootstrap (serve it as text/javascript; see WORKER_BOOTSTRAP).
// It waits for one message from the runtime: the app's glue URL, its compiled
// WebAssembly.Module, the entry to call, the worker's index and whether the page
// would share memory with it; then it imports the
// glue, instantiates the module and calls the entry, which calls serve(). Messages
// that arrive meanwhile are kept for serve(). Failures are reported to the runtime.
// The worker's name ("leptos_atelier|<glue URL>") lets the import start before the
// message arrives.
const named = self.name.startsWith("leptos_atelier|") ? self.name.slice("leptos_atelier|".length) : null;
const preloaded = named === null ? null : import(named);
// A failed import is reported when the message comes and awaits it.
if (preloaded !== null) preloaded.catch(() => {});
self.onmessage = async (event) => {
  const early = [];
  self.__leptosAtelierEarly = early;
  self.onmessage = (e) => early.push(e.data);
  const { url, module, entry, index, shared } = event.data;
  const fail = (why) => self.postMessage({ startFailed: String(why) });
  // Failures outside any handler end the worker: report their cause first.
  const crashed = (why) => self.postMessage({ crashed: why });
  try {
    let glue;
    try {
      glue = await (url === named ? preloaded : import(url));
    } catch (err) {
      fail(
        `importing the app's wasm-bindgen glue from ${url} failed: ${err && err.stack ? err.stack : err}\n` +
          `Workers import the glue module itself (wasm-bindgen --target web) by the URL it reports: ` +
          `it must be served as a file of its own, not merged into a bundler's chunk, and the page's ` +
          `Content Security Policy must let workers import it.`,
      );
      return;
    }
    if (typeof glue.default !== "function") {
      fail(
        `${url} is not a wasm-bindgen glue module (wasm-bindgen --target web): it exports no init ` +
          `function as its default export`,
      );
      return;
    }
    // The glue instantiates the module, then runs the bundle's start function. To tell
    // a failing start function (a CSR app's `fn main` reaching for a DOM that workers
    // lack) from a module that cannot instantiate, note when instantiation succeeds.
    const instantiate = WebAssembly.instantiate;
    let instantiated = false;
    WebAssembly.instantiate = async (...args) => {
      const result = await instantiate.apply(WebAssembly, args);
      instantiated = true;
      return result;
    };
    try {
      await glue.default({ module_or_path: module });
    } catch (err) {
      if (!instantiated) throw err;
      const why = err && err.stack ? err.stack : err;
      fail(
        `the bundle's start function (a client-side app's \`fn main\`, or a ` +
          `#[wasm_bindgen(start)] function) failed in this worker: ${why}\n` +
          `Every worker instantiates the app's own bundle, so its start function runs there too, ` +
          `where there is no DOM. Return before mounting in a worker: begin \`fn main\` with ` +
          `\`if leptos_atelier::is_worker_scope() { return; }\`.`,
      );
      return;
    } finally {
      WebAssembly.instantiate = instantiate;
    }
    const start = glue[entry];
    if (typeof start !== "function") {
      fail(`the bundle at ${url} exports no function named '${entry}'`);
      return;
    }
    self.__leptosAtelierWorkerIndex = index;
    self.__leptosAtelierShared = shared === true;
    self.addEventListener("unhandledrejection", (e) => {
      const r = e.reason;
      crashed(`unhandled promise rejection: ${r && r.stack ? r.stack : r}`);
    });
    self.onmessageerror = () => crashed("a message from the runtime could not be deserialized");
    start();
    if (self.__leptosAtelierServing !== true) {
      fail(`worker entry '${entry}' returned without calling serve()`);
    }
  } catch (err) {
    const why = err && err.stack ? err.stack : err;
    // Once serving, a throw is a handler's panic on an early frame (its hook has
    // reported it already): the worker started, then crashed.
    if (self.__leptosAtelierServing === true) crashed(String(why));
    else fail(why);
  }
};
