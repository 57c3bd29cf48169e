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
    const glue = await (url === named ? preloaded : import(url));
    await glue.default({ module_or_path: module });
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
