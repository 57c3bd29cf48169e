use leptos_atelier::{HandlerError, task_method};

#[task_method]
async fn add(a: u32, b: u32) -> Result<u32, HandlerError> {
    Ok(a + b)
}

fn main() {}
