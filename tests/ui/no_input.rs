use leptos_atelier::{HandlerError, task_method};

#[task_method]
async fn answer() -> Result<u32, HandlerError> {
    Ok(42)
}

fn main() {}
