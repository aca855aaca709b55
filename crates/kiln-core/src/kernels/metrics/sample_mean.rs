//! Metrics that are a weighted mean of a score per sample (Keras' `MeanMetricWrapper` and
//! `Mean`): the accuracy family and the regression errors. State: [Σ w·score, Σ w].
use super::{Batch, MetricKind};
use crate::kernels::extremum::maximum;

/// Keras' backend.epsilon().
const EPSILON: f32 = 1e-7;

fn softplus(x: f32) -> f32 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn softplus64(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// Keras' cross-entropy inputs as log-probabilities: log_softmax of logits, or the
/// probabilities renormalised to sum 1 and clipped to [epsilon, 1 - epsilon].
fn log_probabilities(pred: &[f32], from_logits: bool) -> Vec<f64> {
    if from_logits {
        let max = pred.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
        let log_sum = pred.iter().map(|&x| (x as f64 - max).exp()).sum::<f64>().ln();
        pred.iter().map(|&x| x as f64 - max - log_sum).collect()
    } else {
        let sum: f32 = pred.iter().sum();
        pred.iter().map(|&p| ((p / sum).clamp(EPSILON, 1.0 - EPSILON) as f64).ln()).collect()
    }
}

fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for i in 1..row.len() {
        if row[i] > row[best] {
            best = i;
        }
    }
    best
}

/// Keras' `in_top_k`: the label is in the top k when fewer than k predictions beat it
/// (ties count for the label; NaN never does).
fn in_top_k(row: &[f32], label: usize, k: usize) -> bool {
    let Some(&at_label) = row.get(label) else { return false };
    let at_label = if at_label.is_nan() { f32::NEG_INFINITY } else { at_label };
    row.iter().filter(|&&p| p > at_label).count() < k
}

/// A label stored as a float, if it names a class.
fn label_index(value: f32) -> Option<usize> {
    (value >= 0.0 && value.fract() == 0.0).then_some(value as usize)
}

/// The score of one position: `pred` and `target` are its `classes` values (the target is
/// one label for the sparse kinds).
fn score(kind: &MetricKind, pred: &[f32], target: &[f32]) -> f64 {
    let mean_over = |f: &dyn Fn(f32, f32) -> f32| pred.iter().zip(target).map(|(&p, &t)| f(p, t) as f64).sum::<f64>() / pred.len() as f64;
    match kind {
        MetricKind::Accuracy => mean_over(&|p, t| (p == t) as u8 as f32),
        MetricKind::CategoricalAccuracy => (argmax(pred) == argmax(target)) as u8 as f64,
        MetricKind::SparseCategoricalAccuracy => (label_index(target[0]) == Some(argmax(pred))) as u8 as f64,
        MetricKind::BinaryAccuracy { threshold } => mean_over(&|p, t| (((p > *threshold) as u8 as f32) == t) as u8 as f32),
        MetricKind::TopKCategoricalAccuracy { k } => in_top_k(pred, argmax(target), *k) as u8 as f64,
        MetricKind::SparseTopKCategoricalAccuracy { k } => label_index(target[0]).is_some_and(|l| in_top_k(pred, l, *k)) as u8 as f64,
        MetricKind::MeanSquaredError => mean_over(&|p, t| (t - p) * (t - p)),
        MetricKind::MeanAbsoluteError => mean_over(&|p, t| (t - p).abs()),
        // Keras: 100 * |(t - p) / max(|t|, epsilon)|.
        MetricKind::MeanAbsolutePercentageError => 100.0 * mean_over(&|p, t| ((t - p) / t.abs().max(1e-7)).abs()),
        MetricKind::MeanSquaredLogarithmicError => mean_over(&|p, t| {
            let d = (p.max(EPSILON) + 1.0).ln() - (t.max(EPSILON) + 1.0).ln();
            d * d
        }),
        // log(cosh(x)) = x + softplus(-2x) - log(2), stable for large |x|.
        MetricKind::LogCoshError => mean_over(&|p, t| {
            let x = p - t;
            x + softplus(-2.0 * x) - std::f32::consts::LN_2
        }),
        MetricKind::CosineSimilarity => {
            // Keras' normalize: x·min(1/‖x‖, 1/epsilon).
            let inverse_norm = |v: &[f32]| (1.0 / v.iter().map(|x| x * x).sum::<f32>().sqrt()).min(1.0 / EPSILON);
            let (np, nt) = (inverse_norm(pred), inverse_norm(target));
            pred.iter().zip(target).map(|(&p, &t)| (p * np * t * nt) as f64).sum()
        }
        // The targets are already -1/1 here (see accumulate).
        MetricKind::Hinge => mean_over(&|p, t| maximum(1.0 - t * p, 0.0)),
        MetricKind::SquaredHinge => mean_over(&|p, t| maximum(1.0 - t * p, 0.0).powi(2)),
        MetricKind::CategoricalHinge => {
            let positive: f32 = pred.iter().zip(target).map(|(p, t)| t * p).sum();
            let negative = pred.iter().zip(target).map(|(p, t)| (1.0 - t) * p).fold(f32::NEG_INFINITY, maximum);
            maximum(negative - positive + 1.0, 0.0) as f64
        }
        MetricKind::KlDivergence => pred
            .iter()
            .zip(target)
            .map(|(&p, &t)| {
                let (p, t) = (p.clamp(EPSILON, 1.0), t.clamp(EPSILON, 1.0));
                (t * (t / p).ln()) as f64
            })
            .sum(),
        MetricKind::Poisson => mean_over(&|p, t| p - t * (p + EPSILON).ln()),
        MetricKind::BinaryCrossentropy { from_logits, label_smoothing } => {
            let smooth = |t: f32| t as f64 * (1.0 - *label_smoothing as f64) + 0.5 * *label_smoothing as f64;
            let per_value = |p: f32, t: f32| {
                let t = smooth(t);
                if *from_logits {
                    t * softplus64(-p as f64) + (1.0 - t) * softplus64(p as f64)
                } else {
                    // Clipped in float32 as Keras does: 1 - epsilon rounds to 1 - 2^-23.
                    let p = p.clamp(EPSILON, 1.0 - EPSILON);
                    -(t * (p as f64).ln() + (1.0 - t) * ((1.0 - p) as f64).ln())
                }
            };
            pred.iter().zip(target).map(|(&p, &t)| per_value(p, t)).sum::<f64>() / pred.len() as f64
        }
        MetricKind::CategoricalCrossentropy { from_logits, label_smoothing } => {
            let classes = pred.len() as f64;
            let log_probabilities = log_probabilities(pred, *from_logits);
            let smooth = |t: f32| t as f64 * (1.0 - *label_smoothing as f64) + *label_smoothing as f64 / classes;
            -target.iter().zip(&log_probabilities).map(|(&t, lp)| smooth(t) * lp).sum::<f64>()
        }
        MetricKind::SparseCategoricalCrossentropy { from_logits } => match label_index(target[0]) {
            Some(label) if label < pred.len() => -log_probabilities(pred, *from_logits)[label],
            _ => f64::NAN,
        },
        MetricKind::Mean => pred[0] as f64,
        _ => unreachable!("{kind:?} is not a per-sample mean"),
    }
}

/// Adds Σ over rows of mean_p(w·score) and Σ over rows of mean_p(w), p running over a row's
/// positions, as Keras reduces per-position values and weights to one per sample.
pub fn accumulate(kind: &MetricKind, batch: &Batch, state: &mut [f64]) {
    let (classes, positions) = (batch.classes, batch.positions());
    let target_width = if kind.sparse_targets() { 1 } else { classes };
    let per_row = positions * classes;
    if batch.target.len() < batch.rows * positions * target_width && !matches!(kind, MetricKind::Mean) {
        return; // the engine checks shapes at compile time; never read out of bounds
    }
    // Hinge losses read 0/1 targets as -1/1 when the whole batch is binary, as Keras does.
    let converted: Vec<f32>;
    let mut targets = batch.target;
    if matches!(kind, MetricKind::Hinge | MetricKind::SquaredHinge) && targets.iter().all(|&t| t == 0.0 || t == 1.0) {
        converted = targets.iter().map(|&t| 2.0 * t - 1.0).collect();
        targets = &converted;
    }
    let (mut total, mut count) = (0.0, 0.0);
    for r in 0..batch.rows {
        let (mut row_total, mut row_weight) = (0.0, 0.0);
        for p in 0..positions {
            let at = r * positions + p;
            let pred = &batch.pred[r * per_row + p * classes..][..classes];
            let target = if matches!(kind, MetricKind::Mean) { pred } else { &targets[at * target_width..][..target_width] };
            let w = batch.weights.at(at, positions) as f64;
            row_total += w * score(kind, pred, target);
            row_weight += w;
        }
        total += row_total / positions as f64;
        count += row_weight / positions as f64;
    }
    state[0] += total;
    state[1] += count;
}

/// `keras.metrics.Sum`: adds Σ w·value.
pub fn accumulate_sum(batch: &Batch, state: &mut [f64]) {
    let per_row = batch.pred.len() / batch.rows.max(1);
    state[0] += batch.pred.iter().enumerate().map(|(i, &v)| batch.weights.at(i, per_row) as f64 * v as f64).sum::<f64>();
}

#[cfg(test)]
mod tests {
    use super::super::Weights;
    use super::*;

    fn state(kind: MetricKind, pred: &[f32], target: &[f32], rows: usize, classes: usize, weights: Weights) -> [f64; 2] {
        let mut s = [0.0; 2];
        accumulate(&kind, &Batch { pred, target, rows, classes, weights }, &mut s);
        s
    }

    #[test]
    fn accuracy_scores_match_hand_values() {
        let pred = [0.1, 0.7, 0.2, 0.5, 0.3, 0.2];
        assert_eq!(state(MetricKind::CategoricalAccuracy, &pred, &[0.0, 1.0, 0.0, 0.0, 1.0, 0.0], 2, 3, Weights::None), [1.0, 2.0]);
        assert_eq!(state(MetricKind::SparseCategoricalAccuracy, &pred, &[1.0, 0.0], 2, 3, Weights::None), [2.0, 2.0]);
        assert_eq!(state(MetricKind::BinaryAccuracy { threshold: 0.5 }, &[0.9, 0.2, 0.6, 0.4], &[1.0, 1.0, 1.0, 0.0], 2, 2, Weights::None), [1.5, 2.0]);
        // Row 1's label 1 (0.3) is beaten only by 0.5: in the top 2, not the top 1.
        assert_eq!(state(MetricKind::SparseTopKCategoricalAccuracy { k: 2 }, &pred, &[2.0, 1.0], 2, 3, Weights::None), [2.0, 2.0]);
        assert_eq!(state(MetricKind::SparseTopKCategoricalAccuracy { k: 1 }, &pred, &[2.0, 1.0], 2, 3, Weights::None), [0.0, 2.0]);
        // Weights per sample scale both sums.
        assert_eq!(state(MetricKind::SparseCategoricalAccuracy, &pred, &[1.0, 1.0], 2, 3, Weights::PerRow(&[0.25, 2.0])), [0.25, 2.25]);
    }

    #[test]
    fn errors_average_the_last_axis_then_the_positions() {
        let s = state(MetricKind::MeanSquaredError, &[1.0, 2.0, 3.0, 5.0], &[0.0, 0.0, 3.0, 3.0], 1, 2, Weights::None);
        assert_eq!(s, [(2.5 + 2.0) / 2.0, 1.0]);
        let s = state(MetricKind::MeanAbsolutePercentageError, &[1.0, 3.0], &[2.0, 2.0], 2, 1, Weights::PerRow(&[1.0, 3.0]));
        assert_eq!(s, [50.0 + 150.0, 4.0]);
        let s = state(MetricKind::Mean, &[1.0, 3.0, 5.0, 7.0], &[], 1, 1, Weights::PerElement(&[1.0, 1.0, 0.0, 0.0]));
        assert_eq!(s, [1.0, 0.5]);
    }
}
