//! Confusion counts at thresholds, as Keras' `update_confusion_matrix_variables`: a
//! prediction is positive at threshold t when it is greater than t; a target is positive when
//! it is not zero. State: [tp, fp, tn, fn], each `thresholds × labels` (labels is the number of
//! classes with `multi_label`, else 1), weighted.
use super::Batch;
use crate::error::{KilnError, Result};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConfusionSpec {
    pub thresholds: Vec<f32>,
    /// Thresholds i/(n-1) (AUC's default): Keras then buckets the clipped predictions, which
    /// gives the same counts in one pass (and decides exact ties the same way Keras does).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub evenly_distributed: bool,
    /// Keep only each row's k highest predictions (the others become -1e10).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub top_k: Option<usize>,
    /// Count only this column of the predictions and targets.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub class_id: Option<usize>,
    /// Count each class separately (AUC's `multi_label`).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub multi_label: bool,
    /// Apply a sigmoid to the predictions first (AUC's `from_logits`).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub from_logits: bool,
    /// Without `multi_label`: a weight per class, multiplied into the sample weights.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub label_weights: Option<Vec<f32>>,
}

/// Keras' NEG_INF for predictions outside the top k.
const NEG_INF: f32 = -1e10;

impl ConfusionSpec {
    pub fn labels(&self, classes: usize) -> usize {
        if self.multi_label {
            classes
        } else {
            1
        }
    }

    pub fn check(&self, rank: usize, classes: usize) -> Result<()> {
        if let Some(class_id) = self.class_id {
            if rank < 2 {
                return Err(KilnError::value("When class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes)"));
            }
            if class_id >= classes {
                return Err(KilnError::value(format!("class_id {class_id} is out of range for predictions with {classes} classes")));
            }
        }
        if self.multi_label && rank != 2 {
            return Err(KilnError::value(format!("`y_pred` must have rank 2 when `multi_label=True`. Found rank {rank}")));
        }
        if let (false, Some(weights)) = (self.multi_label, &self.label_weights) {
            if weights.len() != classes {
                return Err(KilnError::value(format!("label_weights has {} values for predictions with {classes} classes", weights.len())));
            }
        }
        if self.thresholds.is_empty() {
            return Err(KilnError::value("A confusion matrix metric needs at least one threshold"));
        }
        Ok(())
    }
}

/// Adds the batch's weighted counts to `state`.
pub fn accumulate(spec: &ConfusionSpec, batch: &Batch, state: &mut [f64]) {
    let classes = batch.classes;
    if batch.target.len() != batch.pred.len() || !batch.pred.len().is_multiple_of(classes) {
        return; // the engine checks shapes at compile time; never read out of bounds
    }
    let labels = spec.labels(classes);
    let thresholds = spec.thresholds.len();
    let per_row = batch.pred.len() / batch.rows.max(1);
    let mut groups = ConfusionCounts::new(thresholds * labels, labels);
    let mut row = vec![0.0f32; classes];
    for (g, (pred, target)) in batch.pred.chunks(classes).zip(batch.target.chunks(classes)).enumerate() {
        for (r, &p) in row.iter_mut().zip(pred) {
            *r = if spec.from_logits { 1.0 / (1.0 + (-p).exp()) } else { p };
        }
        if let Some(k) = spec.top_k {
            keep_top_k(&mut row, k);
        }
        let columns = match spec.class_id {
            Some(c) => c..c + 1,
            None => 0..classes,
        };
        for c in columns {
            let mut weight = batch.weights.at(g * classes + c, per_row) as f64;
            if let (false, Some(label_weights)) = (spec.multi_label, &spec.label_weights) {
                weight *= label_weights.get(c).copied().unwrap_or(1.0) as f64;
            }
            let label = if spec.multi_label { c } else { 0 };
            groups.add(spec, row[c], target[c] != 0.0, weight, label, labels);
        }
    }
    groups.finish(spec, labels, state);
}

/// Sets every value outside the k highest to NEG_INF (ties keep the lower index, as top_k).
fn keep_top_k(row: &mut [f32], k: usize) {
    if k >= row.len() {
        return;
    }
    let mut order: Vec<usize> = (0..row.len()).collect();
    order.sort_by(|&a, &b| row[b].partial_cmp(&row[a]).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b)));
    for &i in &order[k..] {
        row[i] = NEG_INF;
    }
}

/// Weighted counts per (threshold, label): positives counted per bucket and summed from the
/// top at the end when the thresholds are even, else compared with every threshold.
struct ConfusionCounts {
    true_positives: Vec<f64>,
    false_positives: Vec<f64>,
    /// Total positive and negative weight per label.
    positives: Vec<f64>,
    negatives: Vec<f64>,
}

impl ConfusionCounts {
    fn new(cells: usize, labels: usize) -> Self {
        ConfusionCounts { true_positives: vec![0.0; cells], false_positives: vec![0.0; cells], positives: vec![0.0; labels], negatives: vec![0.0; labels] }
    }

    fn add(&mut self, spec: &ConfusionSpec, pred: f32, positive: bool, weight: f64, label: usize, labels: usize) {
        let counts = if positive { &mut self.true_positives } else { &mut self.false_positives };
        if positive {
            self.positives[label] += weight
        } else {
            self.negatives[label] += weight
        }
        let thresholds = &spec.thresholds;
        if spec.evenly_distributed {
            // Keras' bucket: ceil(clip(p, 0, 1) * (n - 1)) - 1, in float32; with thresholds
            // beyond [0, 1] (AUC's) the lowest bucket takes p = 0 too.
            let n = thresholds.len();
            let bucket = (pred.clamp(0.0, 1.0) * (n - 1) as f32).ceil() - 1.0;
            let with_epsilon = thresholds[0] < 0.0 || thresholds[n - 1] > 1.0;
            let bucket = if with_epsilon { bucket.max(0.0) } else { bucket };
            if bucket >= 0.0 && bucket.is_finite() {
                counts[(bucket as usize).min(n - 1) * labels + label] += weight;
            }
        } else {
            for (t, &threshold) in thresholds.iter().enumerate() {
                if pred > threshold {
                    counts[t * labels + label] += weight;
                }
            }
        }
    }

    /// Writes [tp, fp, tn, fn] into `state` (adding).
    fn finish(mut self, spec: &ConfusionSpec, labels: usize, state: &mut [f64]) {
        let n = spec.thresholds.len();
        if spec.evenly_distributed {
            // Bucket b is positive at thresholds 0..=b: cumulative sums from the top.
            for counts in [&mut self.true_positives, &mut self.false_positives] {
                for t in (0..n - 1).rev() {
                    for l in 0..labels {
                        counts[t * labels + l] += counts[(t + 1) * labels + l];
                    }
                }
            }
        }
        let cells = n * labels;
        for i in 0..cells {
            let l = i % labels;
            state[i] += self.true_positives[i];
            state[cells + i] += self.false_positives[i];
            state[2 * cells + i] += self.negatives[l] - self.false_positives[i];
            state[3 * cells + i] += self.positives[l] - self.true_positives[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Weights;
    use super::*;

    fn counts(spec: &ConfusionSpec, pred: &[f32], target: &[f32], classes: usize, weights: Weights) -> Vec<f64> {
        let mut state = vec![0.0; 4 * spec.thresholds.len() * spec.labels(classes)];
        accumulate(spec, &Batch { pred, target, rows: pred.len() / classes, classes, weights }, &mut state);
        state
    }

    fn spec(thresholds: Vec<f32>) -> ConfusionSpec {
        ConfusionSpec { thresholds, evenly_distributed: false, top_k: None, class_id: None, multi_label: false, from_logits: false, label_weights: None }
    }

    #[test]
    fn counts_at_one_threshold_match_hand_values() {
        let pred = [0.9, 0.2, 0.6, 0.4, 0.5];
        let target = [1.0, 1.0, 0.0, 0.0, 1.0];
        // tp: 0.9; fp: 0.6; tn: 0.4; fn: 0.2 and 0.5 (not > 0.5).
        assert_eq!(counts(&spec(vec![0.5]), &pred, &target, 1, Weights::None), vec![1.0, 1.0, 1.0, 2.0]);
        let weighted = counts(&spec(vec![0.5]), &pred, &target, 1, Weights::PerRow(&[2.0, 1.0, 3.0, 1.0, 0.5]));
        assert_eq!(weighted, vec![2.0, 3.0, 1.0, 1.5]);
    }

    #[test]
    fn even_thresholds_by_buckets_agree_with_comparisons() {
        let pred: Vec<f32> = (0..40).map(|i| ((i * 37) % 41) as f32 / 41.0 + 0.003).collect();
        let target: Vec<f32> = (0..40).map(|i| (i % 3 == 0) as u8 as f32).collect();
        let n = 11;
        let mut thresholds: Vec<f32> = (0..n).map(|i| i as f32 / (n - 1) as f32).collect();
        thresholds[0] = -1e-7;
        thresholds[n - 1] = 1.0 + 1e-7;
        let by_comparison = counts(&spec(thresholds.clone()), &pred, &target, 1, Weights::None);
        let by_bucket = counts(&ConfusionSpec { evenly_distributed: true, ..spec(thresholds) }, &pred, &target, 1, Weights::None);
        assert_eq!(by_comparison, by_bucket);
    }

    #[test]
    fn top_k_and_class_id_select_predictions() {
        let pred = [0.9, 0.8, 0.1, 0.2, 0.7, 0.6];
        let target = [1.0, 0.0, 1.0, 0.0, 1.0, 1.0];
        // Top 1 per row: 0.9 (positive) and 0.7 (positive): tp 2, fp 0; the rest fall below.
        let top1 = ConfusionSpec { top_k: Some(1), ..spec(vec![NEG_INF]) };
        assert_eq!(counts(&top1, &pred, &target, 3, Weights::None)[..2], [2.0, 0.0]);
        let column1 = ConfusionSpec { class_id: Some(1), ..spec(vec![0.5]) };
        assert_eq!(counts(&column1, &pred, &target, 3, Weights::None), vec![1.0, 1.0, 0.0, 0.0]);
    }
}
