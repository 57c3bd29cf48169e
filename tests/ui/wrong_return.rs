use leptos_atelier::task_method;

#[task_method]
async fn double(n: u32) -> u32 {
    n * 2
}

fn main() {}
