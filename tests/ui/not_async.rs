use leptos_atelier::{HandlerError, task_method};

#[task_method]
fn double(n: u32) -> Result<u32, HandlerError> {
    Ok(n * 2)
}

fn main() {}
