use futures_util::FutureExt;
use leptos_atelier::testing::SimTransport;
use leptos_atelier::{HandlerError, Registry, RuntimeOptions, SpanMode, TaskConfig, TaskContext, TaskMethod, TaskRuntime};
struct Noop;
impl TaskMethod for Noop {
    const NAME: &'static str = "noop";
    type Input = u32;
    type Output = u32;
    async fn run(m: u32, _: TaskContext) -> Result<u32, HandlerError> { Ok(m) }
}
fn main() {
    let sim = SimTransport::new(|| Registry::new().method::<Noop>());
    let runtime = TaskRuntime::simulated_with_options(&sim, RuntimeOptions::new().spans(SpanMode::Off));
    let task = runtime.define(TaskConfig::parallel("w").pool_size(1).max_in_flight(1).max_queue_depth(1)).unwrap();
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(1000);
    for _ in 0..n {
        let call = task.call::<Noop>(0);
        sim.run_until_idle();
        std::hint::black_box(call.now_or_never().unwrap().unwrap());
    }
}
