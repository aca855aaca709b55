//! Keras' image augmentation layers (RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
//! RandomContrast, RandomBrightness, RandomCrop) on channels-last images [batch, height, width,
//! channels]: parameters drawn per image (per batch for a crop) from the engine's seeded
//! generator, applied in training only.
//! Rotation, zoom and translation are Keras' affine transforms resampled as
//! `jax.scipy.ndimage.map_coordinates` does (its fill modes and nearest/bilinear orders).
use crate::rng::Rng;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FillMode {
    /// d c b a | a b c d | d c b a (the edge pixel repeated).
    Reflect,
    /// a b c d | a b c d | a b c d
    Wrap,
    /// k k k k | a b c d | k k k k with k = fill_value.
    Constant,
    /// a a a a | a b c d | d d d d
    Nearest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Interpolation {
    Nearest,
    Bilinear,
}

/// An augmentation and its ranges, as the TypeScript layer describes it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Augmentation {
    /// One draw per image flips it (both axes at once with both set), with probability 1/2.
    Flip { horizontal: bool, vertical: bool },
    /// An angle of factor · 360° drawn in [factor[0], factor[1]], about the image centre.
    Rotation { factor: [f32; 2], fill_mode: FillMode, interpolation: Interpolation, fill_value: f32 },
    /// Zoom 1 + z with z in `height` (and in `width`, or the same draw when None).
    Zoom { height: [f32; 2], width: Option<[f32; 2]>, fill_mode: FillMode, interpolation: Interpolation, fill_value: f32 },
    /// A shift of (fraction drawn in the range) · size along each axis.
    Translation { height: [f32; 2], width: [f32; 2], fill_mode: FillMode, interpolation: Interpolation, fill_value: f32 },
    /// (x − mean) · f + mean per image and channel, f in [1 − factor[0], 1 + factor[1]], clipped to `value_range`.
    Contrast { factor: [f32; 2], value_range: [f32; 2] },
    /// x + d · (range width), d in [factor[0], factor[1]] per image, clipped to `value_range`.
    Brightness { factor: [f32; 2], value_range: [f32; 2] },
    /// A `height` x `width` window at one random place for the whole batch (the output's size);
    /// an image not larger than that on both axes is resized (bilinear) from a centred window.
    Crop { height: usize, width: usize },
}

/// A crop's parameters: window top, left, height and width.
const CROP: usize = 4;

/// Keras' affine transform [a0, a1, a2, b0, b1, b2]: output (x, y) reads input
/// (a0·x + a1·y + a2, b0·x + b1·y + b2).
const AFFINE: usize = 6;

/// Images [batch, height, width, channels].
#[derive(Debug, Clone, Copy)]
pub struct Images {
    pub batch: usize,
    pub height: usize,
    pub width: usize,
    pub channels: usize,
}

impl Images {
    pub fn from_shape(shape: &[usize]) -> Images {
        Images { batch: shape[0], height: shape[1], width: shape[2], channels: shape[3] }
    }
    fn image_len(&self) -> usize {
        self.height * self.width * self.channels
    }
}

/// How many parameters a forward pass keeps for the backward pass.
pub fn params_len(augmentation: &Augmentation, batch: usize) -> usize {
    match augmentation {
        Augmentation::Flip { .. } | Augmentation::Contrast { .. } | Augmentation::Brightness { .. } => batch,
        Augmentation::Crop { .. } => CROP,
        _ => batch * AFFINE,
    }
}

/// The output's shape for input images of `shape` [batch, height, width, channels].
pub fn output_shape(augmentation: &Augmentation, shape: &[usize]) -> Vec<usize> {
    match augmentation {
        Augmentation::Crop { height, width } => vec![shape[0], *height, *width, shape[3]],
        _ => shape.to_vec(),
    }
}

/// Keras' RandomCrop window for one batch: a random place when the images are larger than the
/// target on both axes; else the largest centred window of the target's aspect ratio gives the
/// start, and the target's size from there, cut at the image's edge, is resized.
fn crop_window(images: Images, height: usize, width: usize, rng: &mut Rng) -> [usize; 4] {
    let (h, w) = (images.height, images.width);
    if h > height && w > width {
        // Keras casts uniform(0, n + 1) to int32: floor.
        let top = (rng.uniform(0.0, (h - height + 1) as f32) as usize).min(h - height);
        let left = (rng.uniform(0.0, (w - width + 1) as f32) as usize).min(w - width);
        return [top, left, height, width];
    }
    let centred_height = ((w * height) as f64 / width as f64) as usize;
    let centred_height = centred_height.min(h).max(1);
    let centred_width = ((h * width) as f64 / height as f64) as usize;
    let centred_width = centred_width.min(w).max(1);
    let (top, left) = ((h - centred_height) / 2, (w - centred_width) / 2);
    [top, left, height.min(h - top), width.min(w - left)]
}

/// jax.image.resize's bilinear taps (half-pixel centres, no antialiasing): for each output index,
/// up to two (input index, weight) pairs.
fn resize_taps(input: usize, output: usize) -> Vec<Vec<(usize, f32)>> {
    (0..output)
        .map(|j| {
            let sample = (j as f64 + 0.5) * input as f64 / output as f64 - 0.5;
            if sample < -0.5 || sample > input as f64 - 0.5 {
                return Vec::new();
            }
            let taps: Vec<(usize, f64)> = (0..input).map(|i| (i, (1.0 - (sample - i as f64).abs()).max(0.0))).filter(|(_, v)| *v > 0.0).collect();
            let total: f64 = taps.iter().map(|(_, v)| v).sum();
            taps.into_iter().map(|(i, v)| (i, (v / total) as f32)).collect()
        })
        .collect()
}

/// Each output pixel of a crop, with the input pixels (window-relative) and weights it reads.
fn crop_taps(params: &[f32], height: usize, width: usize, mut tap: impl FnMut(usize, usize, usize, usize, f32)) {
    let [top, left, window_height, window_width] = [0, 1, 2, 3].map(|i| params[i] as usize);
    let (rows, cols) = (resize_taps(window_height, height), resize_taps(window_width, width));
    for (row, row_taps) in rows.iter().enumerate() {
        for (col, col_taps) in cols.iter().enumerate() {
            for &(r, wr) in row_taps {
                for &(q, wq) in col_taps {
                    tap(row, col, top + r, left + q, wr * wq);
                }
            }
        }
    }
}

/// Draws each image's parameters into `params`.
pub fn draw(augmentation: &Augmentation, images: Images, rng: &mut Rng, params: &mut [f32]) {
    let (h, w) = (images.height as f32, images.width as f32);
    if let Augmentation::Crop { height, width } = augmentation {
        let window = crop_window(images, *height, *width, rng);
        params[..CROP].copy_from_slice(&window.map(|v| v as f32));
        return;
    }
    for b in 0..images.batch {
        match augmentation {
            Augmentation::Crop { .. } => unreachable!("drawn once per batch above"),
            Augmentation::Flip { .. } => params[b] = if rng.next_f32() <= 0.5 { 1.0 } else { 0.0 },
            Augmentation::Contrast { factor, .. } => params[b] = rng.uniform(1.0 - factor[0], 1.0 + factor[1]),
            Augmentation::Brightness { factor, value_range } => params[b] = rng.uniform(factor[0], factor[1]) * (value_range[1] - value_range[0]),
            Augmentation::Rotation { factor, .. } => {
                let angle = rng.uniform(factor[0] * 360.0, factor[1] * 360.0) * (std::f32::consts::PI / 180.0);
                let (cx, cy) = (0.5 * (w - 1.0), 0.5 * (h - 1.0));
                let (cos, sin) = (angle.cos(), angle.sin());
                params[b * AFFINE..(b + 1) * AFFINE].copy_from_slice(&[cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos]);
            }
            Augmentation::Zoom { height, width, .. } => {
                let zy = 1.0 + rng.uniform(height[0], height[1]);
                let zx = width.map_or(zy, |range| 1.0 + rng.uniform(range[0], range[1]));
                params[b * AFFINE..(b + 1) * AFFINE].copy_from_slice(&[zx, 0.0, (w - 1.0) / 2.0 * (1.0 - zx), 0.0, zy, (h - 1.0) / 2.0 * (1.0 - zy)]);
            }
            Augmentation::Translation { height, width, .. } => {
                let dy = rng.uniform(height[0], height[1]) * h;
                let dx = rng.uniform(width[0], width[1]) * w;
                params[b * AFFINE..(b + 1) * AFFINE].copy_from_slice(&[1.0, 0.0, -dx, 0.0, 1.0, -dy]);
            }
        }
    }
}

/// jax's index fixers: where an index outside [0, size) reads from (None: the fill value).
fn fix_index(index: i64, size: usize, mode: FillMode) -> Option<usize> {
    let n = size as i64;
    let inside = (0..n).contains(&index);
    match mode {
        FillMode::Constant => inside.then_some(index as usize),
        FillMode::Nearest => Some(index.clamp(0, n - 1) as usize),
        FillMode::Wrap => Some(index.rem_euclid(n) as usize),
        FillMode::Reflect => Some((mirror(2 * index + 1, 2 * n + 1) - 1).div_euclid(2) as usize),
    }
}

/// The triangular wave jax's 'mirror' mode folds indices with.
fn mirror(index: i64, size: i64) -> i64 {
    let s = size - 1;
    if s == 0 {
        return 0;
    }
    ((index + s).rem_euclid(2 * s) - s).abs()
}

/// The input pixels (y, x) and weights output pixel (x, y) of an image reads, by `transform`.
fn taps(t: &[f32], x: usize, y: usize, images: Images, mode: FillMode, interpolation: Interpolation, mut tap: impl FnMut(Option<(usize, usize)>, f32)) {
    let (xf, yf) = (x as f32, y as f32);
    let src_y = yf * t[4] + xf * t[3] + t[5];
    let src_x = yf * t[1] + xf * t[0] + t[2];
    let one = |coordinate: f32| -> [(i64, f32); 2] {
        match interpolation {
            Interpolation::Nearest => [(coordinate.round() as i64, 1.0), (0, 0.0)],
            Interpolation::Bilinear => {
                let low = coordinate.floor();
                let upper = coordinate - low;
                [(low as i64, 1.0 - upper), (low as i64 + 1, upper)]
            }
        }
    };
    for (iy, wy) in one(src_y) {
        for (ix, wx) in one(src_x) {
            // Taps of weight 0 add nothing (nearest has one tap of weight 1).
            if wy * wx == 0.0 {
                continue;
            }
            let at = fix_index(iy, images.height, mode).zip(fix_index(ix, images.width, mode));
            tap(at, wy * wx);
        }
    }
}

fn resampling(augmentation: &Augmentation) -> Option<(FillMode, Interpolation, f32)> {
    match *augmentation {
        Augmentation::Rotation { fill_mode, interpolation, fill_value, .. }
        | Augmentation::Zoom { fill_mode, interpolation, fill_value, .. }
        | Augmentation::Translation { fill_mode, interpolation, fill_value, .. } => Some((fill_mode, interpolation, fill_value)),
        _ => None,
    }
}

/// The per-channel mean of one image.
fn channel_means(image: &[f32], channels: usize) -> Vec<f32> {
    let mut sums = vec![0.0f64; channels];
    for (i, v) in image.iter().enumerate() {
        sums[i % channels] += *v as f64;
    }
    let pixels = (image.len() / channels.max(1)).max(1) as f64;
    sums.iter().map(|s| (s / pixels) as f32).collect()
}

/// Applies the drawn augmentation: `y` from `x` (`images` describes `x`).
pub fn forward(augmentation: &Augmentation, images: Images, params: &[f32], x: &[f32], y: &mut [f32]) {
    let len = images.image_len();
    let c = images.channels;
    if let Augmentation::Crop { height, width } = *augmentation {
        y.fill(0.0);
        for b in 0..images.batch {
            let (xi, yi) = (&x[b * len..(b + 1) * len], &mut y[b * height * width * c..(b + 1) * height * width * c]);
            crop_taps(params, height, width, |row, col, r, q, weight| {
                let (to, from) = ((row * width + col) * c, (r * images.width + q) * c);
                for k in 0..c {
                    yi[to + k] += weight * xi[from + k];
                }
            });
        }
        return;
    }
    for b in 0..images.batch {
        let (xi, yi) = (&x[b * len..(b + 1) * len], &mut y[b * len..(b + 1) * len]);
        match augmentation {
            Augmentation::Flip { horizontal, vertical } => {
                let flip = params[b] != 0.0;
                for row in 0..images.height {
                    for col in 0..images.width {
                        let from_row = if flip && *vertical { images.height - 1 - row } else { row };
                        let from_col = if flip && *horizontal { images.width - 1 - col } else { col };
                        let (to, from) = ((row * images.width + col) * c, (from_row * images.width + from_col) * c);
                        yi[to..to + c].copy_from_slice(&xi[from..from + c]);
                    }
                }
            }
            Augmentation::Contrast { value_range, .. } => {
                let means = channel_means(xi, c);
                for (i, (o, v)) in yi.iter_mut().zip(xi).enumerate() {
                    let m = means[i % c];
                    *o = ((v - m) * params[b] + m).clamp(value_range[0], value_range[1]);
                }
            }
            Augmentation::Brightness { value_range, .. } => {
                for (o, v) in yi.iter_mut().zip(xi) {
                    *o = (v + params[b]).clamp(value_range[0], value_range[1]);
                }
            }
            _ => {
                let (mode, interpolation, fill) = resampling(augmentation).expect("an affine augmentation");
                let t = &params[b * AFFINE..(b + 1) * AFFINE];
                for row in 0..images.height {
                    for col in 0..images.width {
                        let out = &mut yi[(row * images.width + col) * c..][..c];
                        out.fill(0.0);
                        taps(t, col, row, images, mode, interpolation, |at, weight| {
                            for (k, o) in out.iter_mut().enumerate() {
                                *o += weight * at.map_or(fill, |(r, q)| xi[(r * images.width + q) * c + k]);
                            }
                        });
                    }
                }
            }
        }
    }
}

/// Adds the gradient with respect to `x` of the drawn augmentation to `dx` (the drawn
/// parameters are constants; `y` is the forward output; `images` describes `x`).
pub fn backward(augmentation: &Augmentation, images: Images, params: &[f32], x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
    let len = images.image_len();
    let c = images.channels;
    if let Augmentation::Crop { height, width } = *augmentation {
        for b in 0..images.batch {
            let (dxi, dyi) = (&mut dx[b * len..(b + 1) * len], &dy[b * height * width * c..(b + 1) * height * width * c]);
            crop_taps(params, height, width, |row, col, r, q, weight| {
                let (from, to) = ((row * width + col) * c, (r * images.width + q) * c);
                for k in 0..c {
                    dxi[to + k] += weight * dyi[from + k];
                }
            });
        }
        return;
    }
    for b in 0..images.batch {
        let range = b * len..(b + 1) * len;
        let (xi, yi, dyi, dxi) = (&x[range.clone()], &y[range.clone()], &dy[range.clone()], &mut dx[range]);
        match augmentation {
            Augmentation::Flip { horizontal, vertical } => {
                let flip = params[b] != 0.0;
                for row in 0..images.height {
                    for col in 0..images.width {
                        let from_row = if flip && *vertical { images.height - 1 - row } else { row };
                        let from_col = if flip && *horizontal { images.width - 1 - col } else { col };
                        let (to, from) = ((row * images.width + col) * c, (from_row * images.width + from_col) * c);
                        for k in 0..c {
                            dxi[from + k] += dyi[to + k];
                        }
                    }
                }
            }
            Augmentation::Contrast { value_range, .. } => {
                // Clipped outputs pass no gradient; the mean spreads (1 − f) / pixels over its channel.
                let f = params[b];
                let passed: Vec<f32> = dyi.iter().zip(yi).map(|(g, o)| if *o > value_range[0] && *o < value_range[1] { *g } else { 0.0 }).collect();
                let pixels = (len / c.max(1)).max(1) as f32;
                let mut sums = vec![0.0f32; c];
                for (i, g) in passed.iter().enumerate() {
                    sums[i % c] += g;
                }
                for (i, d) in dxi.iter_mut().enumerate() {
                    *d += f * passed[i] + (1.0 - f) * sums[i % c] / pixels;
                }
                let _ = xi;
            }
            Augmentation::Brightness { value_range, .. } => {
                for ((d, g), o) in dxi.iter_mut().zip(dyi).zip(yi) {
                    if *o > value_range[0] && *o < value_range[1] {
                        *d += g;
                    }
                }
            }
            _ => {
                let (mode, interpolation, _) = resampling(augmentation).expect("an affine augmentation");
                let t = &params[b * AFFINE..(b + 1) * AFFINE];
                for row in 0..images.height {
                    for col in 0..images.width {
                        let g = &dyi[(row * images.width + col) * c..][..c];
                        taps(t, col, row, images, mode, interpolation, |at, weight| {
                            if let Some((r, q)) = at {
                                for (k, g) in g.iter().enumerate() {
                                    dxi[(r * images.width + q) * c + k] += weight * g;
                                }
                            }
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(got: &[f32], want: &[f32], tolerance: f32) {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= tolerance * (1.0 + w.abs()), "at {i}: {g} vs {w}");
        }
    }

    const IMAGES: Images = Images { batch: 2, height: 4, width: 5, channels: 2 };

    fn image() -> Vec<f32> {
        (0..IMAGES.batch * IMAGES.image_len()).map(|i| ((i * 37) % 23) as f32 + 0.25 * (i % 3) as f32).collect()
    }

    fn run(augmentation: &Augmentation, params: &[f32], x: &[f32]) -> Vec<f32> {
        let mut y = vec![0.0; x.len()];
        forward(augmentation, IMAGES, params, x, &mut y);
        y
    }

    /// The naive reference: pixel by pixel from the documented formulas.
    fn naive_affine(t: &[f32], x: &[f32], image: usize, mode: FillMode, fill: f32) -> Vec<f32> {
        let Images { height, width, channels, .. } = IMAGES;
        let read = |r: i64, q: i64, k: usize| -> f32 {
            let fix = |i: i64, n: usize| -> Option<usize> {
                let n = n as i64;
                match mode {
                    FillMode::Constant => (0..n).contains(&i).then_some(i as usize),
                    FillMode::Nearest => Some(i.clamp(0, n - 1) as usize),
                    FillMode::Wrap => Some(i.rem_euclid(n) as usize),
                    // d c b a | a b c d | d c b a, by unfolding one period of length 2n.
                    FillMode::Reflect => {
                        let p = i.rem_euclid(2 * n);
                        Some(if p < n { p } else { 2 * n - 1 - p } as usize)
                    }
                }
            };
            match (fix(r, height), fix(q, width)) {
                (Some(r), Some(q)) => x[image * IMAGES.image_len() + (r * width + q) * channels + k],
                _ => fill,
            }
        };
        let mut out = Vec::new();
        for row in 0..height {
            for col in 0..width {
                let sy = t[3] * col as f32 + t[4] * row as f32 + t[5];
                let sx = t[0] * col as f32 + t[1] * row as f32 + t[2];
                let (y0, x0) = (sy.floor(), sx.floor());
                let (fy, fx) = (sy - y0, sx - x0);
                for k in 0..channels {
                    let (y0, x0) = (y0 as i64, x0 as i64);
                    out.push((1.0 - fy) * (1.0 - fx) * read(y0, x0, k) + (1.0 - fy) * fx * read(y0, x0 + 1, k) + fy * (1.0 - fx) * read(y0 + 1, x0, k) + fy * fx * read(y0 + 1, x0 + 1, k));
                }
            }
        }
        out
    }

    #[test]
    fn affine_resampling_matches_the_naive_reference_in_every_fill_mode() {
        let x = image();
        let t = [0.8f32, -0.45, 1.3, 0.5, 0.9, -1.7];
        for mode in [FillMode::Reflect, FillMode::Wrap, FillMode::Constant, FillMode::Nearest] {
            let augmentation = Augmentation::Rotation { factor: [0.0, 0.0], fill_mode: mode, interpolation: Interpolation::Bilinear, fill_value: -3.0 };
            let params: Vec<f32> = t.iter().chain(&t).copied().collect();
            let y = run(&augmentation, &params, &x);
            let want: Vec<f32> = (0..2).flat_map(|b| naive_affine(&t, &x, b, mode, -3.0)).collect();
            assert_close(&y, &want, 1e-5);
        }
    }

    #[test]
    fn flips_mirror_exactly_and_draws_are_seeded() {
        let x = image();
        let augmentation = Augmentation::Flip { horizontal: true, vertical: false };
        let y = run(&augmentation, &[1.0, 0.0], &x);
        let Images { height, width, channels, .. } = IMAGES;
        for row in 0..height {
            for col in 0..width {
                for k in 0..channels {
                    assert_eq!(y[(row * width + col) * channels + k], x[(row * width + width - 1 - col) * channels + k]);
                }
            }
        }
        assert_eq!(&y[IMAGES.image_len()..], &x[IMAGES.image_len()..]);
        let (mut a, mut b) = (vec![0.0; 64], vec![0.0; 64]);
        let many = Images { batch: 64, ..IMAGES };
        draw(&augmentation, many, &mut Rng::new(5), &mut a);
        draw(&augmentation, many, &mut Rng::new(5), &mut b);
        assert_eq!(a, b);
        let flipped = a.iter().filter(|v| **v == 1.0).count();
        assert!((16..=48).contains(&flipped), "{flipped} of 64 flipped");
    }

    #[test]
    fn contrast_and_brightness_stay_in_range() {
        let x = image();
        let contrast = Augmentation::Contrast { factor: [0.5, 0.5], value_range: [0.0, 20.0] };
        let y = run(&contrast, &[1.5, 0.5], &x);
        assert!(y.iter().all(|v| (0.0..=20.0).contains(v)));
        let means = channel_means(&x[..IMAGES.image_len()], 2);
        assert_close(&y[..2], &[((x[0] - means[0]) * 1.5 + means[0]).clamp(0.0, 20.0), ((x[1] - means[1]) * 1.5 + means[1]).clamp(0.0, 20.0)], 1e-5);
        let brightness = Augmentation::Brightness { factor: [-0.2, 0.2], value_range: [0.0, 20.0] };
        let mut params = vec![0.0; 2];
        draw(&brightness, IMAGES, &mut Rng::new(1), &mut params);
        assert!(params.iter().all(|d| d.abs() <= 4.0 + 1e-6));
    }

    /// Finite differences of sum(y · w) for every augmentation, with fixed parameters.
    #[test]
    fn gradients_match_finite_differences() {
        let x: Vec<f32> = image().iter().map(|v| v * 0.3 + 1.0).collect();
        let weights: Vec<f32> = (0..x.len()).map(|i| ((i * 7) % 5) as f32 - 2.0).collect();
        let affine = [0.8f32, -0.45, 1.3, 0.5, 0.9, -1.7, 1.1, 0.2, -0.6, -0.1, 0.95, 0.4];
        let cases = [
            (Augmentation::Flip { horizontal: true, vertical: true }, vec![1.0, 0.0]),
            (Augmentation::Contrast { factor: [0.5, 0.5], value_range: [0.0, 100.0] }, vec![1.4, 0.7]),
            (Augmentation::Brightness { factor: [0.0, 0.0], value_range: [0.0, 100.0] }, vec![0.5, -0.5]),
            (Augmentation::Rotation { factor: [0.0, 0.0], fill_mode: FillMode::Reflect, interpolation: Interpolation::Bilinear, fill_value: 0.0 }, affine.to_vec()),
            (Augmentation::Zoom { height: [0.0, 0.0], width: None, fill_mode: FillMode::Constant, interpolation: Interpolation::Bilinear, fill_value: 2.0 }, affine.to_vec()),
            (Augmentation::Translation { height: [0.0, 0.0], width: [0.0, 0.0], fill_mode: FillMode::Wrap, interpolation: Interpolation::Nearest, fill_value: 0.0 }, affine.to_vec()),
        ];
        for (augmentation, params) in cases {
            let loss = |x: &[f32]| -> f64 { run(&augmentation, &params, x).iter().zip(&weights).map(|(y, w)| (*y as f64) * (*w as f64)).sum() };
            let y = run(&augmentation, &params, &x);
            let mut dx = vec![0.0; x.len()];
            backward(&augmentation, IMAGES, &params, &x, &y, &weights, &mut dx);
            let eps = 1e-2f32;
            for i in (0..x.len()).step_by(3) {
                let (mut plus, mut minus) = (x.clone(), x.clone());
                plus[i] += eps;
                minus[i] -= eps;
                let numeric = ((loss(&plus) - loss(&minus)) / (2.0 * eps as f64)) as f32;
                assert!((numeric - dx[i]).abs() < 2e-2 * (1.0 + numeric.abs()), "{augmentation:?} at {i}: {numeric} vs {}", dx[i]);
            }
        }
    }

    /// A naive bilinear resize (jax's half-pixel rule, edges clamped) of one channel-last image.
    fn naive_resize(x: &[f32], (h, w, c): (usize, usize, usize), (height, width): (usize, usize)) -> Vec<f32> {
        let coordinate = |j: usize, input: usize, output: usize| -> (usize, usize, f32) {
            let sample = ((j as f32 + 0.5) * input as f32 / output as f32 - 0.5).clamp(0.0, (input - 1) as f32);
            let low = sample.floor() as usize;
            (low, (low + 1).min(input - 1), sample - low as f32)
        };
        let mut out = Vec::new();
        for row in 0..height {
            let (r0, r1, fr) = coordinate(row, h, height);
            for col in 0..width {
                let (q0, q1, fq) = coordinate(col, w, width);
                for k in 0..c {
                    let at = |r: usize, q: usize| x[(r * w + q) * c + k];
                    out.push((1.0 - fr) * ((1.0 - fq) * at(r0, q0) + fq * at(r0, q1)) + fr * ((1.0 - fq) * at(r1, q0) + fq * at(r1, q1)));
                }
            }
        }
        out
    }

    #[test]
    fn crops_cut_a_random_window_or_resize_a_centred_one() {
        let x = image();
        let Images { height, width, channels, .. } = IMAGES;
        // Larger on both axes: a 2x3 window at one draw for the batch, copied exactly.
        let crop = Augmentation::Crop { height: 2, width: 3 };
        let mut seen = std::collections::HashSet::new();
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let mut params = vec![0.0; params_len(&crop, 2)];
            draw(&crop, IMAGES, &mut rng, &mut params);
            let [top, left] = [params[0] as usize, params[1] as usize];
            assert!(top <= height - 2 && left <= width - 3 && params[2] == 2.0 && params[3] == 3.0);
            seen.insert((top, left));
            let mut y = vec![0.0; 2 * 2 * 3 * channels];
            forward(&crop, IMAGES, &params, &x, &mut y);
            for b in 0..2 {
                for row in 0..2 {
                    for col in 0..3 {
                        for k in 0..channels {
                            assert_eq!(y[((b * 2 + row) * 3 + col) * channels + k], x[b * IMAGES.image_len() + ((top + row) * width + left + col) * channels + k]);
                        }
                    }
                }
            }
        }
        assert_eq!(seen.len(), 3 * 3, "every place is drawn: {seen:?}");
        // Not larger on an axis: Keras' centred start, the target's size cut at the edge, resized.
        for (target, window) in [((6, 7), [0, 0, 4, 5]), ((4, 8), [1, 0, 3, 5]), ((2, 5), [1, 0, 2, 5])] {
            let crop = Augmentation::Crop { height: target.0, width: target.1 };
            let mut params = vec![0.0; 4];
            draw(&crop, IMAGES, &mut Rng::new(1), &mut params);
            assert_eq!(params, window.map(|v| v as f32), "{target:?}");
            let mut y = vec![0.0; 2 * target.0 * target.1 * channels];
            forward(&crop, IMAGES, &params, &x, &mut y);
            let [top, left, wh, ww] = window;
            for b in 0..2 {
                let mut cut = Vec::new();
                for row in top..top + wh {
                    for col in left..left + ww {
                        cut.extend_from_slice(&x[b * IMAGES.image_len() + (row * width + col) * channels..][..channels]);
                    }
                }
                let want = naive_resize(&cut, (wh, ww, channels), target);
                assert_close(&y[b * want.len()..(b + 1) * want.len()], &want, 1e-5);
            }
        }
        // Taller than the 4x4 target but narrower: the centred 3x3 window's start, 4 rows from there.
        let tall = Images { batch: 1, height: 7, width: 3, channels: 1 };
        let mut params = vec![0.0; 4];
        draw(&Augmentation::Crop { height: 4, width: 4 }, tall, &mut Rng::new(1), &mut params);
        assert_eq!(params, [2.0, 0.0, 4.0, 3.0]);
    }

    #[test]
    fn crop_gradients_match_finite_differences() {
        let x: Vec<f32> = image().iter().map(|v| v * 0.3 + 1.0).collect();
        for (target, params) in [((2usize, 3usize), [1.0f32, 2.0, 2.0, 3.0]), ((6, 7), [0.0, 0.0, 4.0, 5.0]), ((3, 2), [1.0, 1.0, 3.0, 4.0])] {
            let crop = Augmentation::Crop { height: target.0, width: target.1 };
            let out_len = 2 * target.0 * target.1 * IMAGES.channels;
            let weights: Vec<f32> = (0..out_len).map(|i| ((i * 7) % 5) as f32 - 2.0).collect();
            let run_crop = |x: &[f32]| {
                let mut y = vec![0.0; out_len];
                forward(&crop, IMAGES, &params, x, &mut y);
                y
            };
            let loss = |x: &[f32]| -> f64 { run_crop(x).iter().zip(&weights).map(|(y, w)| (*y as f64) * (*w as f64)).sum() };
            let mut dx = vec![0.0; x.len()];
            backward(&crop, IMAGES, &params, &x, &run_crop(&x), &weights, &mut dx);
            let eps = 1e-2f32;
            for i in 0..x.len() {
                let (mut plus, mut minus) = (x.clone(), x.clone());
                plus[i] += eps;
                minus[i] -= eps;
                let numeric = ((loss(&plus) - loss(&minus)) / (2.0 * eps as f64)) as f32;
                assert!((numeric - dx[i]).abs() < 2e-2 * (1.0 + numeric.abs()), "{target:?} at {i}: {numeric} vs {}", dx[i]);
            }
        }
    }
}
