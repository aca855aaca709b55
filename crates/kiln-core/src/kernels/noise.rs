//! Gaussian noise layers' training-time kernels (Keras' GaussianNoise and GaussianDropout).
use crate::rng::Rng;

/// y = x + n with n ~ N(0, stddev²); the gradient passes through unchanged.
pub fn add_gaussian(x: &[f32], stddev: f32, rng: &mut Rng, y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = x + rng.normal(0.0, stddev);
    }
}

/// y = x * m with m ~ N(1, rate / (1 - rate)), kept in `mask` for the backward pass (which
/// is dropout's: dx += dy * mask).
pub fn multiply_gaussian(x: &[f32], rate: f32, rng: &mut Rng, mask: &mut [f32], y: &mut [f32]) {
    let stddev = (rate / (1.0 - rate)).sqrt();
    for ((y, m), &x) in y.iter_mut().zip(mask.iter_mut()).zip(x) {
        *m = rng.normal(1.0, stddev);
        *y = x * *m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(v: &[f32]) -> (f32, f32) {
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        (mean, (v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32).sqrt())
    }

    #[test]
    fn noise_has_the_asked_moments() {
        let n = 100_000;
        let x = vec![2.0; n];
        let mut y = vec![0.0; n];
        add_gaussian(&x, 0.3, &mut Rng::new(3), &mut y);
        let (mean, std) = moments(&y);
        assert!((mean - 2.0).abs() < 0.01 && (std - 0.3).abs() < 0.01, "{mean} {std}");
        let mut mask = vec![0.0; n];
        multiply_gaussian(&x, 0.2, &mut Rng::new(3), &mut mask, &mut y);
        let (mean, std) = moments(&y);
        assert!((mean - 2.0).abs() < 0.01 && (std - 2.0 * 0.5).abs() < 0.01, "{mean} {std}");
        assert!(y.iter().zip(&mask).all(|(y, m)| *y == 2.0 * m));
    }
}
