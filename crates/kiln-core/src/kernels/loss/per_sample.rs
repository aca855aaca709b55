//! Losses sample by sample: weighted by one number per sample (Keras' `sample_weight` and
//! `class_weight`), and each sample's value on its own (a loss's unreduced `call`).
//! Targets are prepared for the whole batch first, so batch-level rules (hinge labels) hold.
use super::{from_logits, loss_and_grad, prepared_targets, Loss};

/// Calls `each(row, value)` with each sample's loss; with `grad`, writes the gradient of
/// `scale * weight(row) * value` into that sample's row. `logits` says the input holds logits
/// (with the model's softmax/sigmoid output in `probs`).
#[allow(clippy::too_many_arguments)]
fn for_each_sample(
    loss: &Loss,
    input: &[f32],
    probs: Option<&[f32]>,
    logits: bool,
    target: &[f32],
    rows: usize,
    mut grad: Option<&mut [f32]>,
    scale: f32,
    weight: impl Fn(usize) -> f32,
    mut each: impl FnMut(usize, f64),
) {
    let width = input.len() / rows.max(1);
    let target = prepared_targets(loss, target, width);
    let target_width = target.len() / rows.max(1);
    // The targets are smoothed already.
    let row_loss = Loss { label_smoothing: 0.0, ..*loss };
    for r in 0..rows {
        let span = r * width..(r + 1) * width;
        let t = &target[r * target_width..(r + 1) * target_width];
        let g = grad.as_deref_mut().map(|g| &mut g[span.clone()]);
        let row_scale = scale * weight(r);
        let value = if logits { from_logits(&row_loss, &input[span.clone()], probs.map(|p| &p[span.clone()]), t, 1, g, row_scale) } else { loss_and_grad(&row_loss, &input[span], t, 1, g, row_scale) };
        each(r, value);
    }
}

/// Sum over the samples of `weights[r] * loss_r`; with `grad`, d(scale * that)/d(input).
#[allow(clippy::too_many_arguments)]
pub fn weighted(loss: &Loss, input: &[f32], probs: Option<&[f32]>, logits: bool, target: &[f32], rows: usize, weights: &[f32], grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let mut total = 0.0;
    for_each_sample(loss, input, probs, logits, target, rows, grad, scale, |r| weights[r], |r, value| total += weights[r] as f64 * value);
    total
}

/// Each sample's loss, unreduced (Keras' `Loss.call`).
pub fn values(loss: &Loss, pred: &[f32], target: &[f32], rows: usize) -> Vec<f32> {
    let mut out = vec![0.0; rows];
    for_each_sample(loss, pred, None, false, target, rows, None, 1.0, |_| 1.0, |r, value| out[r] = value as f32);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::loss::LossKind;

    #[test]
    fn weighted_sum_and_gradient_match_the_batch_kernel_row_by_row() {
        let mut loss = Loss::new(LossKind::CategoricalCrossentropy);
        loss.label_smoothing = 0.1;
        let pred = [0.2, 0.5, 0.3, 0.6, 0.3, 0.1];
        let target = [0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        let each = values(&loss, &pred, &target, 2);
        let batch = loss_and_grad(&loss, &pred, &target, 2, None, 1.0);
        assert!(((each[0] + each[1]) as f64 - batch).abs() < 1e-6);
        let mut plain = [0.0; 6];
        loss_and_grad(&loss, &pred, &target, 2, Some(&mut plain), 0.5);
        let mut g = [0.0; 6];
        let total = weighted(&loss, &pred, None, false, &target, 2, &[2.0, 0.0], Some(&mut g), 0.5);
        assert!((total - 2.0 * each[0] as f64).abs() < 1e-6);
        assert!(g[..3].iter().zip(&plain[..3]).all(|(a, b)| (a - 2.0 * b).abs() < 1e-6) && g[3..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn hinge_labels_convert_for_the_whole_batch() {
        let loss = Loss::new(LossKind::Hinge);
        // All labels are 0/1, so 0 means -1 in every row.
        let v = values(&loss, &[0.5, 0.5], &[0.0, 1.0], 2);
        assert!((v[0] - 1.5).abs() < 1e-6 && (v[1] - 0.5).abs() < 1e-6, "{v:?}");
    }
}
