//! Finite-difference gradient checking shared by every kernel's tests.

/// Checks `backward(x, dy)` (the vector-Jacobian product) against central differences of
/// `forward` in float64-accumulated form, with a fixed pseudo-random `dy`.
pub fn check_gradient(name: &str, x: &[f32], forward: impl Fn(&[f32]) -> Vec<f32>, backward: impl Fn(&[f32], &[f32]) -> Vec<f32>) {
    let y0 = forward(x);
    let dy: Vec<f32> = (0..y0.len()).map(|i| ((i * 7 + 3) % 11) as f32 / 11.0 - 0.4).collect();
    let analytic = backward(x, &dy);
    assert_eq!(analytic.len(), x.len(), "{name}: gradient has the wrong size");
    let eps = 1e-2f32;
    for i in 0..x.len() {
        let mut xp = x.to_vec();
        let mut xm = x.to_vec();
        xp[i] += eps;
        xm[i] -= eps;
        let (yp, ym) = (forward(&xp), forward(&xm));
        let numeric: f64 = yp.iter().zip(&ym).zip(&dy).map(|((a, b), d)| (*a as f64 - *b as f64) / (2.0 * eps as f64) * *d as f64).sum();
        let a = analytic[i] as f64;
        assert!((a - numeric).abs() <= 2e-2 * (1.0 + numeric.abs()), "{name}: d/dx[{i}] analytic {a} vs numeric {numeric}");
    }
}

/// `n` values drawn uniformly from [-1, 1): the random operands of the kernels' tests.
pub fn random_values(n: usize, rng: &mut crate::rng::Rng) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()
}
