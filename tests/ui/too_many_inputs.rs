use leptos_atelier::{HandlerError, TaskContext, task_method};

#[task_method]
async fn add(a: u32, cx: TaskContext, b: u32) -> Result<u32, HandlerError> {
    let _ = cx;
    Ok(a + b)
}

fn main() {}
