//! Inverted dropout (Keras' form): kept units are scaled by 1/(1-rate) during training.
use crate::rng::Rng;

/// Fills `mask` with 0 or 1/(1-rate) and writes y = x * mask.
pub fn forward(x: &[f32], rate: f32, rng: &mut Rng, mask: &mut [f32], y: &mut [f32]) {
    let scale = 1.0 / (1.0 - rate);
    for i in 0..x.len() {
        mask[i] = if rng.next_f32() >= rate { scale } else { 0.0 };
        y[i] = x[i] * mask[i];
    }
}

/// Dropout with one draw per cell of the noise shape (`shape` with the `shared_axes` set to
/// 1, Keras' noise_shape): the mask is shared along those axes, as SpatialDropout2D drops whole
/// channels. Cells sharing a draw read it from the first of them, which comes earlier in
/// row-major order, so the mask fills in one pass without extra memory.
pub fn forward_shared(x: &[f32], shape: &[usize], shared_axes: &[usize], rate: f32, rng: &mut Rng, mask: &mut [f32], y: &mut [f32]) {
    if shared_axes.is_empty() {
        return forward(x, rate, rng, mask, y);
    }
    let scale = 1.0 / (1.0 - rate);
    let rank = shape.len();
    let mut strides = vec![1; rank];
    for a in (0..rank.saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * shape[a + 1];
    }
    let mut index = vec![0; rank];
    for i in 0..x.len() {
        let back: usize = shared_axes.iter().map(|&a| index[a] * strides[a]).sum();
        mask[i] = if back == 0 {
            if rng.next_f32() >= rate {
                scale
            } else {
                0.0
            }
        } else {
            mask[i - back]
        };
        y[i] = x[i] * mask[i];
        for a in (0..rank).rev() {
            index[a] += 1;
            if index[a] < shape[a] {
                break;
            }
            index[a] = 0;
        }
    }
}

pub fn backward(mask: &[f32], dy: &[f32], dx: &mut [f32]) {
    for i in 0..dx.len() {
        dx[i] += dy[i] * mask[i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_the_right_fraction_and_keeps_the_mean() {
        let n = 100_000;
        let x = vec![1.0; n];
        let (mut mask, mut y) = (vec![0.0; n], vec![0.0; n]);
        forward(&x, 0.2, &mut Rng::new(5), &mut mask, &mut y);
        let dropped = y.iter().filter(|&&v| v == 0.0).count() as f32 / n as f32;
        let mean = y.iter().sum::<f32>() / n as f32;
        assert!((dropped - 0.2).abs() < 0.01, "dropped {dropped}");
        assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
        // Seeded: the same seed gives the same mask.
        let (mut mask2, mut y2) = (vec![0.0; n], vec![0.0; n]);
        forward(&x, 0.2, &mut Rng::new(5), &mut mask2, &mut y2);
        assert_eq!(mask, mask2);
        // The gradient flows through kept units only, scaled like the forward pass.
        let mut dx = vec![0.0; n];
        backward(&mask, &x, &mut dx);
        assert_eq!(dx, y);
    }

    #[test]
    fn shared_axes_drop_whole_channels() {
        // [batch 4, h 3, w 5, channels 6] with the mask shared over h and w.
        let shape = [4, 3, 5, 6];
        let n = 360;
        let x: Vec<f32> = (0..n).map(|v| 1.0 + v as f32).collect();
        let (mut mask, mut y) = (vec![0.0; n], vec![0.0; n]);
        forward_shared(&x, &shape, &[1, 2], 0.5, &mut Rng::new(9), &mut mask, &mut y);
        let mut dropped = 0;
        for b in 0..4 {
            for c in 0..6 {
                let cell: Vec<f32> = (0..15).map(|p| mask[(b * 15 + p) * 6 + c]).collect();
                assert!(cell.iter().all(|&m| m == cell[0]) && (cell[0] == 0.0 || cell[0] == 2.0), "{cell:?}");
                dropped += (cell[0] == 0.0) as usize;
            }
        }
        assert!(dropped > 0 && dropped < 24, "dropped {dropped} of 24 channels");
        assert!(y.iter().zip(&x).zip(&mask).all(|((y, x), m)| *y == x * m));
    }
}
