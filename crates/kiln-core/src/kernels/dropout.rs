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
}
