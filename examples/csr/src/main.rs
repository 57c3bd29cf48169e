//! The app's start: Trunk builds this binary, and its `main` is the wasm start
//! function, which runs wherever the bundle is instantiated, the runtime's workers
//! included. A worker has no DOM, so `main` returns there before mounting; the workers
//! serve through the exported entry (`csr::csr_workers`) instead.

fn main() {
    if leptos_atelier::is_worker_scope() {
        return;
    }
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(csr::App);
}
