//! Batch normalisation over the last axis (channels last): every other axis is a sample.
//! Training normalises with the batch's mean and (biased) variance and reports them for the
//! moving averages; inference uses the moving averages.

/// Normalises x [rows, channels] with the batch statistics; keeps x̂ and 1/std for backward.
#[allow(clippy::too_many_arguments)]
pub fn forward_train(x: &[f32], channels: usize, gamma: &[f32], beta: &[f32], epsilon: f32, mean: &mut [f32], variance: &mut [f32], inv_std: &mut [f32], xhat: &mut [f32], y: &mut [f32]) {
    let rows = x.len() / channels.max(1);
    mean.fill(0.0);
    variance.fill(0.0);
    for row in x.chunks_exact(channels) {
        mean.iter_mut().zip(row).for_each(|(m, &v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= rows as f32);
    for row in x.chunks_exact(channels) {
        variance.iter_mut().zip(row).zip(mean.iter()).for_each(|((s, &v), &m)| *s += (v - m) * (v - m));
    }
    for c in 0..channels {
        variance[c] /= rows as f32;
        inv_std[c] = 1.0 / (variance[c] + epsilon).sqrt();
    }
    for ((xr, hr), yr) in x.chunks_exact(channels).zip(xhat.chunks_exact_mut(channels)).zip(y.chunks_exact_mut(channels)) {
        for c in 0..channels {
            hr[c] = (xr[c] - mean[c]) * inv_std[c];
            yr[c] = gamma[c] * hr[c] + beta[c];
        }
    }
}

/// Normalises with fixed statistics (the moving averages: at inference, or in a layer that is
/// not trainable); keeps x̂ and 1/std for `backward_fixed`.
#[allow(clippy::too_many_arguments)]
pub fn forward_infer(x: &[f32], channels: usize, gamma: &[f32], beta: &[f32], mean: &[f32], variance: &[f32], epsilon: f32, inv_std: &mut [f32], xhat: &mut [f32], y: &mut [f32]) {
    for c in 0..channels {
        inv_std[c] = 1.0 / (variance[c] + epsilon).sqrt();
    }
    for ((xr, hr), yr) in x.chunks_exact(channels).zip(xhat.chunks_exact_mut(channels)).zip(y.chunks_exact_mut(channels)) {
        for c in 0..channels {
            hr[c] = (xr[c] - mean[c]) * inv_std[c];
            yr[c] = gamma[c] * hr[c] + beta[c];
        }
    }
}

/// Gradients of `forward_infer` (+=): the statistics are constants, so x's gradient is the
/// output's scaled per channel. Arguments as `backward`'s.
#[allow(clippy::too_many_arguments)]
pub fn backward_fixed(dy: &[f32], xhat: &[f32], inv_std: &[f32], gamma: &[f32], channels: usize, sums: &mut [f32], dx: Option<&mut [f32]>, dgamma: Option<&mut [f32]>, dbeta: Option<&mut [f32]>) {
    parameter_grads(dy, xhat, channels, sums, dgamma, dbeta);
    if let Some(dx) = dx {
        for (dxr, gr) in dx.chunks_exact_mut(channels).zip(dy.chunks_exact(channels)) {
            for c in 0..channels {
                dxr[c] += gamma[c] * inv_std[c] * gr[c];
            }
        }
    }
}

/// Gradients of a training-mode forward pass (+=); each output may be skipped with None.
/// `sums` is scratch of 2 · channels.
#[allow(clippy::too_many_arguments)]
pub fn backward(dy: &[f32], xhat: &[f32], inv_std: &[f32], gamma: &[f32], channels: usize, sums: &mut [f32], dx: Option<&mut [f32]>, dgamma: Option<&mut [f32]>, dbeta: Option<&mut [f32]>) {
    let rows = (dy.len() / channels.max(1)) as f32;
    let (sum_dy, sum_dy_xhat) = parameter_grads(dy, xhat, channels, sums, dgamma, dbeta);
    if let Some(dx) = dx {
        for ((dxr, gr), hr) in dx.chunks_exact_mut(channels).zip(dy.chunks_exact(channels)).zip(xhat.chunks_exact(channels)) {
            for c in 0..channels {
                dxr[c] += gamma[c] * inv_std[c] * (gr[c] - sum_dy[c] / rows - hr[c] * sum_dy_xhat[c] / rows);
            }
        }
    }
}

/// Σ dy and Σ dy·x̂ per channel (into `sums`), which are beta's and gamma's gradients (+=).
fn parameter_grads<'a>(dy: &[f32], xhat: &[f32], channels: usize, sums: &'a mut [f32], dgamma: Option<&mut [f32]>, dbeta: Option<&mut [f32]>) -> (&'a [f32], &'a [f32]) {
    let (sum_dy, sum_dy_xhat) = sums.split_at_mut(channels);
    sum_dy.fill(0.0);
    sum_dy_xhat.fill(0.0);
    for (gr, hr) in dy.chunks_exact(channels).zip(xhat.chunks_exact(channels)) {
        for c in 0..channels {
            sum_dy[c] += gr[c];
            sum_dy_xhat[c] += gr[c] * hr[c];
        }
    }
    if let Some(dg) = dgamma {
        dg.iter_mut().zip(sum_dy_xhat.iter()).for_each(|(d, s)| *d += s);
    }
    if let Some(db) = dbeta {
        db.iter_mut().zip(sum_dy.iter()).for_each(|(d, s)| *d += s);
    }
    (sum_dy, sum_dy_xhat)
}

/// moving = moving · momentum + batch · (1 - momentum), as Keras updates it.
pub fn update_moving(moving: &mut [f32], batch: &[f32], momentum: f32) {
    moving.iter_mut().zip(batch).for_each(|(m, &b)| *m = *m * momentum + b * (1.0 - momentum));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    const C: usize = 3;

    fn train(x: &[f32], gamma: &[f32], beta: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let (mut mean, mut var, mut inv, mut xhat, mut y) = (vec![0.0; C], vec![0.0; C], vec![0.0; C], vec![0.0; x.len()], vec![0.0; x.len()]);
        forward_train(x, C, gamma, beta, 1e-3, &mut mean, &mut var, &mut inv, &mut xhat, &mut y);
        (y, xhat, inv)
    }

    #[test]
    fn normalises_each_channel() {
        let x = [1.0, 10.0, -1.0, 3.0, 20.0, -1.0, 5.0, 30.0, -1.0];
        let (y, _, _) = train(&x, &[1.0; C], &[0.0; C]);
        for c in 0..C {
            let column: Vec<f32> = (0..3).map(|r| y[r * C + c]).collect();
            let mean = column.iter().sum::<f32>() / 3.0;
            assert!(mean.abs() < 1e-5, "channel {c} mean {mean}");
        }
        // Channel 0 is [1, 3, 5]: variance 8/3, so x̂ = (1 - 3) / sqrt(8/3 + 1e-3).
        assert!((y[0] + 2.0 / (8.0f32 / 3.0 + 1e-3).sqrt()).abs() < 1e-5);
        let mut moving = vec![0.0, 1.0];
        update_moving(&mut moving, &[10.0, 3.0], 0.99);
        assert!((moving[0] - 0.1).abs() < 1e-6 && (moving[1] - 1.02).abs() < 1e-6);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x0: Vec<f32> = (0..12).map(|i| ((i * 7) % 11) as f32 * 0.3 - 1.0).collect();
        let gamma = vec![0.5, 1.5, -0.7];
        let beta = vec![0.1, -0.2, 0.3];
        check_gradient(
            "batch norm dx",
            &x0,
            |x| train(x, &gamma, &beta).0,
            |x, dy| {
                let (_, xhat, inv) = train(x, &gamma, &beta);
                let mut dx = vec![0.0; x.len()];
                backward(dy, &xhat, &inv, &gamma, C, &mut [0.0; 2 * C], Some(&mut dx), None, None);
                dx
            },
        );
        check_gradient(
            "batch norm dgamma",
            &gamma,
            |g| train(&x0, g, &beta).0,
            |g, dy| {
                let (_, xhat, inv) = train(&x0, g, &beta);
                let mut dg = vec![0.0; C];
                backward(dy, &xhat, &inv, g, C, &mut [0.0; 2 * C], None, Some(&mut dg), None);
                dg
            },
        );
        check_gradient(
            "batch norm dbeta",
            &beta,
            |b| train(&x0, &gamma, b).0,
            |b, dy| {
                let (_, xhat, inv) = train(&x0, &gamma, b);
                let mut db = vec![0.0; C];
                backward(dy, &xhat, &inv, &gamma, C, &mut [0.0; 2 * C], None, None, Some(&mut db));
                db
            },
        );
    }

    #[test]
    fn fixed_statistics_gradients_match_finite_differences() {
        let x0: Vec<f32> = (0..12).map(|i| ((i * 5) % 11) as f32 * 0.3 - 1.0).collect();
        let (gamma, mean, variance) = (vec![0.5, 1.5, -0.7], vec![0.2, -0.4, 1.0], vec![0.5, 2.0, 0.9]);
        let infer = |x: &[f32], g: &[f32]| {
            let (mut inv, mut xhat, mut y) = (vec![0.0; C], vec![0.0; x.len()], vec![0.0; x.len()]);
            forward_infer(x, C, g, &[0.1, -0.2, 0.3], &mean, &variance, 1e-3, &mut inv, &mut xhat, &mut y);
            (y, xhat, inv)
        };
        check_gradient(
            "fixed batch norm dx",
            &x0,
            |x| infer(x, &gamma).0,
            |x, dy| {
                let (_, xhat, inv) = infer(x, &gamma);
                let mut dx = vec![0.0; x.len()];
                backward_fixed(dy, &xhat, &inv, &gamma, C, &mut [0.0; 2 * C], Some(&mut dx), None, None);
                dx
            },
        );
        check_gradient(
            "fixed batch norm dgamma",
            &gamma,
            |g| infer(&x0, g).0,
            |g, dy| {
                let (_, xhat, inv) = infer(&x0, g);
                let mut dg = vec![0.0; C];
                backward_fixed(dy, &xhat, &inv, g, C, &mut [0.0; 2 * C], None, Some(&mut dg), None);
                dg
            },
        );
    }
}
