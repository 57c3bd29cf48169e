//! The image pipeline's data and its three stages, as worker methods: `resize` (a
//! parallel pool), `analyze` and `enhance` (singletons). Images are drawn by the
//! resize worker from a [`Picture`] (no network, nothing heavy in the page), and the
//! result comes back as a BMP `data:` URL the page shows as it is.

use leptos_atelier::{HandlerError, TaskContext, task_method};
use serde::{Deserialize, Serialize};

/// An RGBA image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// `width * height * 4` bytes, row by row.
    pub rgba: Vec<u8>,
}

/// What the resize stage draws before it halves it: a synthetic picture of `width` ×
/// `height` pixels, different for every `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    pub seed: u32,
    pub width: u32,
    pub height: u32,
}

impl Picture {
    /// The largest side drawn: a bad request is a handler error, not a huge allocation.
    pub const MAX_SIDE: u32 = 2048;
}

impl Image {
    /// Draws `picture`: gradients and rings, dim and low in contrast so that the
    /// enhancement shows.
    pub fn generate(picture: Picture) -> Result<Self, HandlerError> {
        let Picture { seed, width, height } = picture;
        if width == 0 || height == 0 || width > Picture::MAX_SIDE || height > Picture::MAX_SIDE {
            return Err(HandlerError::new(format!(
                "cannot draw a {width}x{height} picture: each side must be 1 to {} pixels",
                Picture::MAX_SIDE
            )));
        }
        let mut rgba = Vec::with_capacity((width * height * 4) as usize);
        let (cx, cy) = ((seed * 37 % width) as f32, (seed * 53 % height) as f32);
        for y in 0..height {
            for x in 0..width {
                let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                let ring = ((d / (6.0 + (seed % 5) as f32)).sin() * 0.5 + 0.5) * 255.0;
                // A dim, low-contrast picture, so that the enhancement shows.
                let r = 40 + (x * 100 / width) as u8 / 2 + (ring as u8) / 4;
                let g = 50 + (y * 100 / height) as u8 / 2 + ((seed * 29 % 60) as u8);
                let b = 60 + (ring as u8) / 3;
                rgba.extend_from_slice(&[r, g, b, 255]);
            }
        }
        Ok(Self { width, height, rgba })
    }

    fn check(&self) -> Result<(), HandlerError> {
        if self.rgba.len() as u64 != u64::from(self.width) * u64::from(self.height) * 4 {
            return Err(HandlerError::new(format!(
                "an image of {}x{} needs {} bytes, not {}",
                self.width,
                self.height,
                u64::from(self.width) * u64::from(self.height) * 4,
                self.rgba.len()
            )));
        }
        Ok(())
    }
}

/// Faults the page asks a stage to simulate: a share of calls that fail with a
/// handler error, and (for analyze) a crash of the worker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faults {
    /// Percent of calls that fail, chosen by call id (so a retry of a call fails too).
    pub error_percent: u8,
    /// The analyze stage panics on its first attempt.
    pub crash: bool,
}

impl Faults {
    /// Fails this call if it falls within the error rate.
    fn roll(self, stage: &str, cx: &TaskContext) -> Result<(), HandlerError> {
        // A small integer hash (splitmix64) of the call id: spread, and the same on retry.
        let mut z = cx.call_id().wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        if z % 100 < u64::from(self.error_percent) {
            return Err(HandlerError::new(format!(
                "simulated {stage} error (error rate {} %)",
                self.error_percent
            )));
        }
        Ok(())
    }
}

/// Draws a picture and halves it in each direction (2x2 box filter), reporting
/// progress by rows.
#[task_method]
pub async fn resize((picture, faults): (Picture, Faults), cx: TaskContext) -> Result<Image, HandlerError> {
    faults.roll("resize", &cx)?;
    let image = Image::generate(picture)?;
    let (width, height) = (image.width / 2, image.height / 2);
    let mut rgba = Vec::with_capacity((width * height * 4) as usize);
    let source = |x: u32, y: u32, c: u32| u32::from(image.rgba[((y * image.width + x) * 4 + c) as usize]);
    for y in 0..height {
        if y % 16 == 0 {
            cx.progress(f64::from(y) / f64::from(height));
            cx.checkpoint().await?;
        }
        for x in 0..width {
            for c in 0..4 {
                let sum = source(2 * x, 2 * y, c)
                    + source(2 * x + 1, 2 * y, c)
                    + source(2 * x, 2 * y + 1, c)
                    + source(2 * x + 1, 2 * y + 1, c);
                rgba.push((sum / 4) as u8);
            }
        }
    }
    cx.progress(1.0);
    Ok(Image { width, height, rgba })
}

/// The luminance range and mean of an image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub min: u8,
    pub max: u8,
    pub mean: f64,
}

/// Measures an image's luminance. With `faults.crash` set, the first attempt panics
/// instead (the page's "crash next").
#[task_method]
pub async fn analyze((image, faults): (Image, Faults), cx: TaskContext) -> Result<Stats, HandlerError> {
    if faults.crash && cx.attempt() == 1 {
        panic!("crash requested while analyzing");
    }
    faults.roll("analyze", &cx)?;
    measure(&image)
}

fn measure(image: &Image) -> Result<Stats, HandlerError> {
    {
        image.check()?;
        let luma: Vec<u8> = image.rgba.chunks_exact(4).map(luminance).collect();
        let (min, max) = luma
            .iter()
            .fold((u8::MAX, u8::MIN), |(lo, hi), &l| (lo.min(l), hi.max(l)));
        let mean = luma.iter().map(|&l| f64::from(l)).sum::<f64>() / luma.len().max(1) as f64;
        Ok(Stats { min, max, mean })
    }
}

fn luminance(pixel: &[u8]) -> u8 {
    ((u32::from(pixel[0]) * 299 + u32::from(pixel[1]) * 587 + u32::from(pixel[2]) * 114) / 1000) as u8
}

/// What [`enhance`](fn@enhance) answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enhanced {
    /// A 24-bit BMP file as a `data:` URL, encoded in the worker: the page only sets it
    /// on an `<img>`.
    pub url: String,
    /// The luminance after stretching.
    pub stats: Stats,
}

/// Stretches an image's contrast to the full range and encodes it as a BMP `data:` URL.
#[task_method]
pub async fn enhance(
    (mut image, stats, faults): (Image, Stats, Faults),
    cx: TaskContext,
) -> Result<Enhanced, HandlerError> {
    image.check()?;
    faults.roll("enhance", &cx)?;
    let span = f64::from(stats.max.saturating_sub(stats.min)).max(1.0);
    for pixel in image.rgba.chunks_exact_mut(4) {
        for channel in &mut pixel[..3] {
            let stretched = (f64::from(channel.saturating_sub(stats.min)) * 255.0 / span).round();
            *channel = stretched.clamp(0.0, 255.0) as u8;
        }
    }
    let after = measure(&image)?;
    Ok(Enhanced {
        url: format!("data:image/bmp;base64,{}", base64(&bmp(&image))),
        stats: after,
    })
}

/// A 24-bit bottom-up BMP of `image`.
fn bmp(image: &Image) -> Vec<u8> {
    let row = (image.width * 3).div_ceil(4) * 4;
    let data = row * image.height;
    let mut out = Vec::with_capacity(54 + data as usize);
    out.extend_from_slice(b"BM");
    out.extend_from_slice(&(54 + data).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&54u32.to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&(image.width as i32).to_le_bytes());
    out.extend_from_slice(&(image.height as i32).to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&24u16.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&data.to_le_bytes());
    out.extend_from_slice(&[0; 16]);
    for y in (0..image.height).rev() {
        let start = out.len();
        for x in 0..image.width {
            let p = ((y * image.width + x) * 4) as usize;
            out.extend_from_slice(&[image.rgba[p + 2], image.rgba[p + 1], image.rgba[p]]);
        }
        out.resize(start + row as usize, 0);
    }
    out
}

/// Standard base64, for `data:` URLs.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_reference() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn the_pipeline_halves_stretches_and_encodes() {
        let picture = Picture {
            seed: 3,
            width: 64,
            height: 32,
        };
        let cx = || TaskContext::detached(Default::default());
        let none = Faults::default();
        let small = futures_lite_block_on(resize((picture, none), cx())).unwrap();
        assert_eq!((small.width, small.height, small.rgba.len()), (32, 16, 32 * 16 * 4));
        let stats = futures_lite_block_on(analyze((small.clone(), none), cx())).unwrap();
        assert!(stats.min < stats.max);
        let enhanced = futures_lite_block_on(enhance((small, stats, none), cx())).unwrap();
        let (before, after) = (stats.max - stats.min, enhanced.stats.max - enhanced.stats.min);
        assert!(after > before, "the contrast was stretched: {before} -> {after}");
        let encoded = enhanced.url.strip_prefix("data:image/bmp;base64,").unwrap();
        assert!(encoded.starts_with("Qk"), "a BMP starts with BM: {}", &encoded[..8]);
        assert_eq!(encoded.len(), (54_usize + 32 * 3 * 16).div_ceil(3) * 4);
    }

    #[test]
    fn a_picture_too_large_or_empty_is_a_handler_error() {
        let cx = || TaskContext::detached(Default::default());
        for (width, height) in [(0, 8), (8, 0), (Picture::MAX_SIDE + 1, 8), (u32::MAX, u32::MAX)] {
            let picture = Picture { seed: 1, width, height };
            let error = futures_lite_block_on(resize((picture, Faults::default()), cx())).unwrap_err();
            assert!(error.to_string().contains("cannot draw"), "{width}x{height}: {error}");
        }
    }

    #[test]
    fn a_malformed_image_is_a_handler_error() {
        let broken = Image {
            width: 4,
            height: 4,
            rgba: vec![0; 3],
        };
        let result = futures_lite_block_on(analyze(
            (broken, Faults::default()),
            TaskContext::detached(Default::default()),
        ));
        assert!(result.is_err());
    }

    #[test]
    fn an_error_rate_of_100_fails_every_stage_and_0_none() {
        let cx = || TaskContext::detached(Default::default());
        let always = Faults {
            error_percent: 100,
            crash: false,
        };
        let picture = Picture {
            seed: 1,
            width: 8,
            height: 8,
        };
        let failed = futures_lite_block_on(resize((picture, always), cx())).unwrap_err();
        assert!(failed.to_string().contains("simulated resize error"), "{failed}");
        let image = Image::generate(picture).unwrap();
        assert!(futures_lite_block_on(analyze((image, always), cx())).is_err());
        assert!(futures_lite_block_on(resize((picture, Faults::default()), cx())).is_ok());
    }

    /// Polls a future that never waits on anything but itself to completion.
    fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        loop {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
    }
}
