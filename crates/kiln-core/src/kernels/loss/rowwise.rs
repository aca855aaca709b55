//! Losses that compare each sample's values as a whole: categorical hinge, cosine similarity.
use super::EPSILON;

/// max(neg - pos + 1, 0) with pos = sum(t p), neg = max((1 - t) p).
pub fn categorical_hinge(pred: &[f32], target: &[f32], width: usize, mut grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let mut total = 0.0;
    for (r, (p, t)) in pred.chunks_exact(width).zip(target.chunks_exact(width)).enumerate() {
        let pos: f32 = p.iter().zip(t).map(|(p, t)| p * t).sum();
        let (mut arg, mut neg) = (0, f32::NEG_INFINITY);
        for i in 0..width {
            let v = (1.0 - t[i]) * p[i];
            if v > neg {
                (arg, neg) = (i, v);
            }
        }
        let value = crate::kernels::extremum::maximum(neg - pos + 1.0, 0.0);
        total += value as f64;
        if let Some(g) = grad.as_deref_mut() {
            let g = &mut g[r * width..(r + 1) * width];
            for i in 0..width {
                g[i] = if value > 0.0 { (-t[i] + if i == arg { 1.0 - t[i] } else { 0.0 }) * scale } else { 0.0 };
            }
        }
    }
    total
}

/// 1 / max(norm, EPSILON): Keras' `normalize` (x * min(rsqrt(sum x²), 1 / EPSILON)), and
/// whether the clamp is inactive (then the factor depends on x).
fn inverse_norm(x: &[f32]) -> (f32, bool) {
    let inv = 1.0 / x.iter().map(|v| v * v).sum::<f32>().sqrt();
    if inv < 1.0 / EPSILON {
        (inv, true)
    } else {
        (1.0 / EPSILON, false)
    }
}

/// -sum(normalize(t) * normalize(p)).
pub fn cosine_similarity(pred: &[f32], target: &[f32], width: usize, mut grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let mut total = 0.0;
    for (r, (p, t)) in pred.chunks_exact(width).zip(target.chunks_exact(width)).enumerate() {
        let (inv_t, _) = inverse_norm(t);
        let (inv_p, depends) = inverse_norm(p);
        let dot: f32 = p.iter().zip(t).map(|(p, t)| p * t * inv_t).sum();
        total -= (dot * inv_p) as f64;
        if let Some(g) = grad.as_deref_mut() {
            // d/dp of -(a . p) inv_p, with d(inv_p)/dp = -inv_p³ p when the clamp is inactive.
            let curvature = if depends { dot * inv_p * inv_p * inv_p } else { 0.0 };
            for (i, gi) in g[r * width..(r + 1) * width].iter_mut().enumerate() {
                *gi = (-t[i] * inv_t * inv_p + curvature * p[i]) * scale;
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check_loss_gradient, value};
    use super::super::LossKind;

    #[test]
    fn values_match_keras_hand_computations() {
        // Keras' docstring: cosine_similarity([[0,1],[1,1],[1,1]], [[1,0],[1,1],[-1,-1]]) = [0, -1, 1].
        let v = value(LossKind::CosineSimilarity, &[1.0, 0.0, 1.0, 1.0, -1.0, -1.0], &[0.0, 1.0, 1.0, 1.0, 1.0, 1.0], 3);
        assert!(v.abs() < 1e-6, "{v}");
        let v = value(LossKind::CosineSimilarity, &[3.0, 4.0], &[1.0, 0.0], 1);
        assert!((v + 0.6).abs() < 1e-6, "{v}");
        // A zero prediction gives 0, not NaN.
        assert_eq!(value(LossKind::CosineSimilarity, &[0.0, 0.0], &[1.0, 0.0], 1), 0.0);
        // Categorical hinge: pos = 0.7, neg = max(0.2, 0.1) = 0.2: 0.5; a confident row gives 0.
        let v = value(LossKind::CategoricalHinge, &[0.2, 0.7, 0.1, 0.0, 0.0, 3.0], &[0.0, 1.0, 0.0, 0.0, 0.0, 1.0], 2);
        assert!((v - 0.5).abs() < 1e-6, "{v}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let pred = [0.2, 0.5, 0.3, 0.6, -0.1, 0.3];
        let target = [0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        check_loss_gradient(&LossKind::CategoricalHinge.into(), &pred, &target, 2);
        check_loss_gradient(&LossKind::CosineSimilarity.into(), &pred, &target, 2);
        check_loss_gradient(&LossKind::CosineSimilarity.into(), &pred, &[0.3, -1.0, 2.0, 0.5, 0.5, 0.1], 2);
    }
}
