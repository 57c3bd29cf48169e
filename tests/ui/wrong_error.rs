use leptos_atelier::task_method;

#[task_method]
async fn double(n: u32) -> Result<u32, String> {
    Ok(n * 2)
}

fn main() {}
