//! Cross-entropies, on probabilities (clipped as Keras does) and on logits.
use super::{elementwise, LossKind, EPSILON};
use crate::kernels::softmax::{self, log_sum_exp};

/// The clipped probability, and whether it lies inside the clip (else its gradient is 0).
fn clip(p: f32) -> (f32, bool) {
    if p < EPSILON {
        (EPSILON, false)
    } else if p > 1.0 - EPSILON {
        (1.0 - EPSILON, false)
    } else {
        (p, true)
    }
}

/// Keras on probabilities: normalise each row, clip, -sum(t * log p).
pub fn categorical(pred: &[f32], target: &[f32], width: usize, mut grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let mut total = 0.0;
    for (r, (out, t)) in pred.chunks_exact(width).zip(target.chunks_exact(width)).enumerate() {
        let sum: f32 = out.iter().sum();
        let mut weighted = 0.0f32; // sum_i g_i * p_i, for the normalisation's gradient
        for i in 0..width {
            let (p, inside) = clip(out[i] / sum);
            total -= (t[i] * p.ln()) as f64;
            if inside {
                weighted += -t[i];
            }
        }
        if let Some(g) = grad.as_deref_mut() {
            let g = &mut g[r * width..(r + 1) * width];
            for i in 0..width {
                let (p, inside) = clip(out[i] / sum);
                let gi = if inside { -t[i] / p } else { 0.0 };
                g[i] = (gi - weighted) / sum * scale;
            }
        }
    }
    total
}

/// Categorical cross-entropy against one class index per row.
pub fn sparse(pred: &[f32], labels: &[f32], width: usize, mut grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let mut total = 0.0;
    for (r, out) in pred.chunks_exact(width).enumerate() {
        let label = labels[r] as usize;
        let sum: f32 = out.iter().sum();
        let (p, inside) = clip(out.get(label).copied().unwrap_or(0.0) / sum);
        if let Some(g) = grad.as_deref_mut() {
            let gl = if inside { -1.0 / p } else { 0.0 };
            let weighted = gl * p;
            for (i, gi) in g[r * width..(r + 1) * width].iter_mut().enumerate() {
                let own = if i == label { gl } else { 0.0 };
                *gi = (own - weighted) / sum * scale;
            }
        }
        total -= p.ln() as f64;
    }
    total
}

/// Keras on probabilities: clip, -(t log p + (1 - t) log(1 - p)), averaged over the row.
pub fn binary(pred: &[f32], target: &[f32], width: usize, grad: Option<&mut [f32]>, scale: f32) -> f64 {
    elementwise::mean_of_terms(pred, target, width, grad, scale, |out, t| {
        let (p, inside) = clip(out);
        let value = -(t * p.ln() + (1.0 - t) * (1.0 - p).ln());
        (value, if inside { -t / p + (1.0 - t) / (1.0 - p) } else { 0.0 })
    })
}

/// Cross-entropy of softmax(logits) (categorical, sparse) or sigmoid(logits) (binary).
/// `probs`, the activation's output, is computed here when not given.
pub fn from_logits(kind: LossKind, logits: &[f32], probs: Option<&[f32]>, target: &[f32], width: usize, grad: Option<&mut [f32]>, scale: f32) -> f64 {
    match kind {
        LossKind::BinaryCrossentropy => {
            // max(z, 0) - z t + log(1 + exp(-|z|)); d/dz = sigmoid(z) - t.
            elementwise::mean_of_terms(logits, target, width, grad, scale, |z, t| {
                let value = z.max(0.0) - z * t + (-z.abs()).exp().ln_1p();
                (value, 1.0 / (1.0 + (-z).exp()) - t)
            })
        }
        LossKind::CategoricalCrossentropy | LossKind::SparseCategoricalCrossentropy => {
            let computed;
            let probs = match (probs, &grad) {
                (Some(p), _) => p,
                (None, Some(_)) => {
                    let mut p = vec![0.0; logits.len()];
                    softmax::forward(logits, width, &mut p);
                    computed = p;
                    &computed[..]
                }
                (None, None) => &[], // the value alone needs no probabilities
            };
            let sparse = kind == LossKind::SparseCategoricalCrossentropy;
            let mut grad = grad;
            let mut total = 0.0f64;
            for (r, z) in logits.chunks_exact(width).enumerate() {
                let lse = log_sum_exp(z);
                // -sum t (z - lse); d/dz = p * sum(t) - t.
                let label = if sparse { target[r] as usize } else { usize::MAX };
                let t = |i: usize| if sparse { (i == label) as i32 as f32 } else { target[r * width + i] };
                total += (0..width).map(|i| (t(i) * (lse - z[i])) as f64).sum::<f64>();
                if let Some(g) = grad.as_deref_mut() {
                    let t_sum: f32 = (0..width).map(t).sum();
                    let p = &probs[r * width..(r + 1) * width];
                    for (i, gi) in g[r * width..(r + 1) * width].iter_mut().enumerate() {
                        *gi = (p[i] * t_sum - t(i)) * scale;
                    }
                }
            }
            total
        }
        _ => unreachable!("{kind:?} has no logits form"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_loss_gradient;
    use super::super::{from_logits as loss_from_logits, loss_and_grad, Loss};
    use super::*;
    use crate::kernels::unary::{self, UnaryOp};

    const ROWS: usize = 2;

    fn onehot() -> Vec<f32> {
        vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    }

    fn with(kind: LossKind, from_logits: bool, label_smoothing: f32) -> Loss {
        Loss { from_logits, label_smoothing, ..Loss::new(kind) }
    }

    #[test]
    fn values_match_keras_hand_computations() {
        // Keras: categorical_crossentropy([[0,1,0]], [[0.05,0.95,0]]) = -ln(0.95)
        let l = loss_and_grad(&LossKind::CategoricalCrossentropy.into(), &[0.05, 0.95, 0.0], &[0.0, 1.0, 0.0], 1, None, 1.0);
        assert!((l - 0.051293).abs() < 1e-5, "{l}");
        let l = loss_and_grad(&LossKind::SparseCategoricalCrossentropy.into(), &[0.1, 0.8, 0.1], &[2.0], 1, None, 1.0);
        assert!((l - std::f64::consts::LN_10).abs() < 1e-5, "{l}");
        let l = loss_and_grad(&LossKind::BinaryCrossentropy.into(), &[0.6, 0.4], &[0.0, 1.0], 1, None, 1.0);
        assert!((l - 0.916291).abs() < 1e-5, "{l}");
        // Smoothing 0.2 over 2 classes: t = [0.1, 0.9]; -(0.1 ln 0.25 + 0.9 ln 0.75).
        let l = loss_and_grad(&with(LossKind::CategoricalCrossentropy, false, 0.2), &[0.25, 0.75], &[0.0, 1.0], 1, None, 1.0);
        assert!((l - (-(0.1 * 0.25f64.ln() + 0.9 * 0.75f64.ln()))).abs() < 1e-6, "{l}");
        // Binary, smoothing 0.2: t = 0.9; -(0.9 ln 0.6 + 0.1 ln 0.4).
        let l = loss_and_grad(&with(LossKind::BinaryCrossentropy, false, 0.2), &[0.6], &[1.0], 1, None, 1.0);
        assert!((l - (-(0.9 * 0.6f64.ln() + 0.1 * 0.4f64.ln()))).abs() < 1e-6, "{l}");
        // From logits: [0, ln 3] is softmax [0.25, 0.75]; sigmoid(0) = 0.5.
        let l = loss_and_grad(&with(LossKind::CategoricalCrossentropy, true, 0.0), &[0.0, 3f32.ln()], &[0.0, 1.0], 1, None, 1.0);
        assert!((l + 0.75f64.ln()).abs() < 1e-6, "{l}");
        let l = loss_and_grad(&with(LossKind::SparseCategoricalCrossentropy, true, 0.0), &[0.0, 3f32.ln()], &[0.0], 1, None, 1.0);
        assert!((l + 0.25f64.ln()).abs() < 1e-6, "{l}");
        let l = loss_and_grad(&with(LossKind::BinaryCrossentropy, true, 0.0), &[0.0, 0.0], &[1.0, 0.0], 1, None, 1.0);
        assert!((l - 2f64.ln()).abs() < 1e-6, "{l}");
    }

    #[test]
    fn logits_forms_equal_the_probability_forms_and_survive_huge_logits() {
        let z = vec![1.0, 2.0, 0.5, -1.0, 0.3, 0.8];
        let mut p = vec![0.0; 6];
        softmax::forward(&z, 3, &mut p);
        let plain = loss_and_grad(&LossKind::CategoricalCrossentropy.into(), &p, &onehot(), ROWS, None, 1.0);
        let fused = loss_from_logits(&LossKind::CategoricalCrossentropy.into(), &z, Some(&p), &onehot(), ROWS, None, 1.0);
        assert!((plain - fused).abs() < 1e-5);
        let unfused = loss_and_grad(&with(LossKind::CategoricalCrossentropy, true, 0.0), &z, &onehot(), ROWS, None, 1.0);
        assert!((unfused - fused).abs() < 1e-9);
        let sparse = loss_from_logits(&LossKind::SparseCategoricalCrossentropy.into(), &z, Some(&p), &[1.0, 2.0], ROWS, None, 1.0);
        assert!((sparse - fused).abs() < 1e-6);
        let mut s = vec![0.0; 6];
        unary::forward(UnaryOp::Sigmoid, &z, &mut s);
        let target = [0.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        let plain = loss_and_grad(&LossKind::BinaryCrossentropy.into(), &s, &target, ROWS, None, 1.0);
        let logits = loss_and_grad(&with(LossKind::BinaryCrossentropy, true, 0.0), &z, &target, ROWS, None, 1.0);
        assert!((plain - logits).abs() < 1e-5);
        let big = vec![1000.0, -1000.0, 0.0];
        let l = loss_and_grad(&with(LossKind::SparseCategoricalCrossentropy, true, 0.0), &big, &[1.0], 1, None, 1.0);
        assert!((l - 2000.0).abs() < 1e-2 && l.is_finite());
        let l = loss_and_grad(&with(LossKind::BinaryCrossentropy, true, 0.0), &[-500.0], &[1.0], 1, None, 1.0);
        assert!((l - 500.0).abs() < 1e-3, "{l}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let pred = [0.2, 0.5, 0.3, 0.6, 0.1, 0.3];
        let binary_target = [0.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        check_loss_gradient(&LossKind::CategoricalCrossentropy.into(), &pred, &onehot(), ROWS);
        check_loss_gradient(&LossKind::SparseCategoricalCrossentropy.into(), &pred, &[1.0, 2.0], ROWS);
        check_loss_gradient(&LossKind::BinaryCrossentropy.into(), &pred, &binary_target, ROWS);
        check_loss_gradient(&with(LossKind::CategoricalCrossentropy, false, 0.1), &pred, &onehot(), ROWS);
        check_loss_gradient(&with(LossKind::BinaryCrossentropy, false, 0.1), &pred, &binary_target, ROWS);
        // The logits forms, differentiated with respect to the logits.
        let z = [0.4, -0.7, 1.2, 0.1, 0.9, -0.3];
        check_loss_gradient(&with(LossKind::CategoricalCrossentropy, true, 0.0), &z, &onehot(), ROWS);
        check_loss_gradient(&with(LossKind::CategoricalCrossentropy, true, 0.2), &z, &onehot(), ROWS);
        check_loss_gradient(&with(LossKind::SparseCategoricalCrossentropy, true, 0.0), &z, &[0.0, 2.0], ROWS);
        check_loss_gradient(&with(LossKind::BinaryCrossentropy, true, 0.0), &z, &binary_target, ROWS);
        check_loss_gradient(&with(LossKind::BinaryCrossentropy, true, 0.3), &z, &binary_target, ROWS);
    }

    #[test]
    fn the_fused_gradient_uses_the_given_probabilities() {
        let z = [0.4, -0.7, 1.2, 0.1, 0.9, -0.3];
        let mut p = vec![0.0; 6];
        softmax::forward(&z, 3, &mut p);
        let (mut given, mut computed) = (vec![0.0; 6], vec![0.0; 6]);
        let loss = Loss::new(LossKind::CategoricalCrossentropy);
        loss_from_logits(&loss, &z, Some(&p), &onehot(), ROWS, Some(&mut given), 0.5);
        loss_from_logits(&loss, &z, None, &onehot(), ROWS, Some(&mut computed), 0.5);
        assert_eq!(given, computed);
    }
}
