//! Loss functions: per-sample values summed over the batch, and their gradients scaled by the
//! caller (1/batch for Keras' "sum over batch size" reduction). Cross-entropies after a
//! softmax or sigmoid have fused forms computed from the logits, stable for any logit size.
use super::softmax::log_sum_exp;
use serde::Deserialize;

/// Keras' `epsilon()`: probabilities are clipped to [EPSILON, 1 - EPSILON].
pub const EPSILON: f32 = 1e-7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    BinaryCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
}

impl LossKind {
    /// Targets hold one class index per sample instead of one value per output.
    pub fn sparse_targets(self) -> bool {
        self == LossKind::SparseCategoricalCrossentropy
    }
}

fn clip(p: f32) -> (f32, bool) {
    if p < EPSILON {
        (EPSILON, false)
    } else if p > 1.0 - EPSILON {
        (1.0 - EPSILON, false)
    } else {
        (p, true)
    }
}

/// Sum over the `rows` samples of the loss of `pred` ([rows, width]) against `target`;
/// with `grad`, also writes d(scale * sum)/d(pred).
pub fn loss_and_grad(kind: LossKind, pred: &[f32], target: &[f32], rows: usize, grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let width = pred.len() / rows.max(1);
    let mut total = 0.0f64;
    let mut grad = grad;
    for r in 0..rows {
        let p = &pred[r * width..(r + 1) * width];
        let g = grad.as_deref_mut().map(|g| &mut g[r * width..(r + 1) * width]);
        total += match kind {
            LossKind::CategoricalCrossentropy => {
                categorical_row(p, &target[r * width..(r + 1) * width], g, scale)
            }
            LossKind::SparseCategoricalCrossentropy => sparse_row(p, target[r] as usize, g, scale),
            LossKind::BinaryCrossentropy => binary_row(p, &target[r * width..(r + 1) * width], g, scale),
            LossKind::MeanSquaredError | LossKind::MeanAbsoluteError => {
                let t = &target[r * width..(r + 1) * width];
                let inv = 1.0 / width as f32;
                let mut s = 0.0f64;
                let mut g = g;
                for i in 0..width {
                    let d = p[i] - t[i];
                    let (value, slope) = if kind == LossKind::MeanSquaredError {
                        (d * d, 2.0 * d)
                    } else {
                        (d.abs(), d.signum() * (d != 0.0) as i32 as f32)
                    };
                    s += value as f64;
                    if let Some(g) = g.as_deref_mut() {
                        g[i] = slope * inv * scale;
                    }
                }
                s / width as f64
            }
        };
    }
    total
}

/// Keras on probabilities: normalise the row, clip, -sum(t * log p).
fn categorical_row(out: &[f32], t: &[f32], grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let sum: f32 = out.iter().sum();
    let mut loss = 0.0f64;
    let mut weighted = 0.0f32; // sum_i g_i * p_i, for the normalisation's gradient
    for i in 0..out.len() {
        let (p, inside) = clip(out[i] / sum);
        loss -= (t[i] * p.ln()) as f64;
        if inside {
            weighted += -t[i];
        }
    }
    if let Some(g) = grad {
        for i in 0..out.len() {
            let (p, inside) = clip(out[i] / sum);
            let gi = if inside { -t[i] / p } else { 0.0 };
            g[i] = (gi - weighted) / sum * scale;
        }
    }
    loss
}

fn sparse_row(out: &[f32], label: usize, grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let sum: f32 = out.iter().sum();
    let (p, inside) = clip(out.get(label).copied().unwrap_or(0.0) / sum);
    if let Some(g) = grad {
        let gl = if inside { -1.0 / p } else { 0.0 };
        let weighted = gl * p;
        for (i, gi) in g.iter_mut().enumerate() {
            let own = if i == label { gl } else { 0.0 };
            *gi = (own - weighted) / sum * scale;
        }
    }
    -(p.ln() as f64)
}

fn binary_row(out: &[f32], t: &[f32], grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let inv = 1.0 / out.len() as f32;
    let mut loss = 0.0f64;
    let mut grad = grad;
    for i in 0..out.len() {
        let (p, inside) = clip(out[i]);
        loss -= (t[i] * p.ln() + (1.0 - t[i]) * (1.0 - p).ln()) as f64;
        if let Some(g) = grad.as_deref_mut() {
            g[i] = if inside { (-t[i] / p + (1.0 - t[i]) / (1.0 - p)) * inv * scale } else { 0.0 };
        }
    }
    loss * inv as f64
}

/// Cross-entropy of softmax(logits) (categorical or sparse) or sigmoid(logits) (binary),
/// computed from the logits; `probs` is the activation's output. Writes d/d(logits).
pub fn from_logits(kind: LossKind, logits: &[f32], probs: &[f32], target: &[f32], rows: usize, grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let width = logits.len() / rows.max(1);
    let mut total = 0.0f64;
    let mut grad = grad;
    for r in 0..rows {
        let z = &logits[r * width..(r + 1) * width];
        let p = &probs[r * width..(r + 1) * width];
        let g = grad.as_deref_mut().map(|g| &mut g[r * width..(r + 1) * width]);
        total += match kind {
            LossKind::CategoricalCrossentropy => {
                let t = &target[r * width..(r + 1) * width];
                let lse = log_sum_exp(z);
                let t_sum: f32 = t.iter().sum();
                if let Some(g) = g {
                    for i in 0..width {
                        g[i] = (p[i] * t_sum - t[i]) * scale;
                    }
                }
                t.iter().zip(z).map(|(&ti, &zi)| (ti * (lse - zi)) as f64).sum()
            }
            LossKind::SparseCategoricalCrossentropy => {
                let label = target[r] as usize;
                if let Some(g) = g {
                    for i in 0..width {
                        g[i] = (p[i] - (i == label) as i32 as f32) * scale;
                    }
                }
                (log_sum_exp(z) - z.get(label).copied().unwrap_or(0.0)) as f64
            }
            LossKind::BinaryCrossentropy => {
                let t = &target[r * width..(r + 1) * width];
                let inv = 1.0 / width as f32;
                if let Some(g) = g {
                    for i in 0..width {
                        g[i] = (p[i] - t[i]) * inv * scale;
                    }
                }
                // max(z, 0) - z t + log(1 + exp(-|z|))
                let s: f32 = (0..width).map(|i| z[i].max(0.0) - z[i] * t[i] + (-z[i].abs()).exp().ln_1p()).sum();
                (s * inv) as f64
            }
            _ => unreachable!("{kind:?} has no fused form"),
        };
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::softmax;
    use crate::kernels::testing::check_gradient;
    use crate::kernels::unary::UnaryOp;

    const ROWS: usize = 2;

    fn onehot() -> Vec<f32> {
        vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    }

    #[test]
    fn values_match_keras_hand_computations() {
        // Keras: categorical_crossentropy([[0,1,0]], [[0.05,0.95,0]]) = -ln(0.95)
        let l = loss_and_grad(LossKind::CategoricalCrossentropy, &[0.05, 0.95, 0.0], &[0.0, 1.0, 0.0], 1, None, 1.0);
        assert!((l - 0.051293).abs() < 1e-5, "{l}");
        let l = loss_and_grad(LossKind::SparseCategoricalCrossentropy, &[0.1, 0.8, 0.1], &[2.0], 1, None, 1.0);
        assert!((l - 2.302585).abs() < 1e-5, "{l}");
        let l = loss_and_grad(LossKind::BinaryCrossentropy, &[0.6, 0.4], &[0.0, 1.0], 1, None, 1.0);
        assert!((l - 0.916291).abs() < 1e-5, "{l}");
        let l = loss_and_grad(LossKind::MeanSquaredError, &[1.0, 1.0], &[0.0, 1.0], 1, None, 1.0);
        assert!((l - 0.5).abs() < 1e-7);
    }

    #[test]
    fn fused_forms_equal_the_plain_forms_and_survive_huge_logits() {
        let z = vec![1.0, 2.0, 0.5, -1.0, 0.3, 0.8];
        let mut p = vec![0.0; 6];
        softmax::forward(&z, 3, &mut p);
        let plain = loss_and_grad(LossKind::CategoricalCrossentropy, &p, &onehot(), ROWS, None, 1.0);
        let fused = from_logits(LossKind::CategoricalCrossentropy, &z, &p, &onehot(), ROWS, None, 1.0);
        assert!((plain - fused).abs() < 1e-5);
        let sparse = from_logits(LossKind::SparseCategoricalCrossentropy, &z, &p, &[1.0, 2.0], ROWS, None, 1.0);
        assert!((sparse - fused).abs() < 1e-6);
        let big = vec![1000.0, -1000.0, 0.0];
        let mut pb = vec![0.0; 3];
        softmax::forward(&big, 3, &mut pb);
        let l = from_logits(LossKind::SparseCategoricalCrossentropy, &big, &pb, &[1.0], 1, None, 1.0);
        assert!((l - 2000.0).abs() < 1e-2 && l.is_finite());
    }

    #[test]
    fn gradients_match_finite_differences() {
        let pred = vec![0.2, 0.5, 0.3, 0.6, 0.1, 0.3];
        let cases: [(LossKind, Vec<f32>); 5] = [
            (LossKind::CategoricalCrossentropy, onehot()),
            (LossKind::SparseCategoricalCrossentropy, vec![1.0, 2.0]),
            (LossKind::BinaryCrossentropy, vec![0.0, 1.0, 1.0, 1.0, 0.0, 0.0]),
            (LossKind::MeanSquaredError, vec![0.0, 1.0, 0.5, 0.2, 0.2, 0.9]),
            (LossKind::MeanAbsoluteError, vec![0.0, 1.0, 0.5, 0.2, 0.2, 0.9]),
        ];
        for (kind, target) in cases {
            check_gradient(&format!("{kind:?}"), &pred, |p| {
                vec![loss_and_grad(kind, p, &target, ROWS, None, 0.5) as f32 * 0.5]
            }, |p, dy| {
                let mut g = vec![0.0; p.len()];
                loss_and_grad(kind, p, &target, ROWS, Some(&mut g), 0.5);
                g.iter().map(|v| v * dy[0]).collect()
            });
        }
        // Fused forms, differentiated with respect to the logits.
        let z = vec![0.4, -0.7, 1.2, 0.1, 0.9, -0.3];
        let fused: [(LossKind, Vec<f32>, bool); 3] = [
            (LossKind::CategoricalCrossentropy, onehot(), true),
            (LossKind::SparseCategoricalCrossentropy, vec![0.0, 2.0], true),
            (LossKind::BinaryCrossentropy, vec![0.0, 1.0, 1.0, 1.0, 0.0, 0.0], false),
        ];
        for (kind, target, softmax_output) in fused {
            let probs = |z: &[f32]| {
                let mut p = vec![0.0; 6];
                if softmax_output {
                    softmax::forward(z, 3, &mut p);
                } else {
                    crate::kernels::unary::forward(UnaryOp::Sigmoid, z, &mut p);
                }
                p
            };
            check_gradient(&format!("fused {kind:?}"), &z, |z| {
                vec![from_logits(kind, z, &probs(z), &target, ROWS, None, 1.0) as f32]
            }, |z, dy| {
                let mut g = vec![0.0; 6];
                from_logits(kind, z, &probs(z), &target, ROWS, Some(&mut g), 1.0);
                g.iter().map(|v| v * dy[0]).collect()
            });
        }
    }
}
