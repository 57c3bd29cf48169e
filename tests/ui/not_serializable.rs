use leptos_atelier::{HandlerError, task_method};

pub struct Image {
    pub pixels: Vec<u8>,
}

#[task_method]
async fn invert(image: Image) -> Result<u32, HandlerError> {
    Ok(image.pixels.len() as u32)
}

fn main() {}
