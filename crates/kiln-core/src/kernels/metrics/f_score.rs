//! FBetaScore's counts: per class, weighted true positives, false positives, false negatives
//! and the targets' sum (the support, for 'weighted' averaging). State: [tp, fp, fn, support],
//! each `classes` long. Without a threshold a row's highest prediction(s) are its positives.
use super::Batch;

pub fn accumulate(threshold: Option<f32>, batch: &Batch, state: &mut [f64]) {
    let classes = batch.classes;
    if batch.target.len() != batch.pred.len() || batch.pred.len() != batch.rows * classes {
        return; // the engine checks shapes at compile time; never read out of bounds
    }
    for (r, (pred, target)) in batch.pred.chunks(classes).zip(batch.target.chunks(classes)).enumerate() {
        let weight = batch.weights.at(r, 1) as f64;
        let row_max = pred.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for c in 0..classes {
            let positive = match threshold {
                Some(t) => pred[c] > t,
                // Keras: y_pred >= max and |y_pred| > 1e-9.
                None => pred[c] >= row_max && pred[c].abs() > 1e-9,
            };
            let (p, t) = (positive as u8 as f64, target[c] as f64);
            state[c] += weight * p * t;
            state[classes + c] += weight * p * (1.0 - t);
            state[2 * classes + c] += weight * (1.0 - p) * t;
            state[3 * classes + c] += weight * t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Weights;
    use super::*;

    #[test]
    fn counts_per_class_match_hand_values() {
        let pred = [0.2, 0.7, 0.1, 0.6, 0.3, 0.1];
        let target = [0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let mut state = vec![0.0; 12];
        accumulate(None, &Batch { pred: &pred, target: &target, rows: 2, classes: 3, weights: Weights::PerRow(&[1.0, 2.0]) }, &mut state);
        // Row 0 picks class 1 (right); row 1 picks class 0 (wrong, label 2) with weight 2.
        assert_eq!(state, vec![0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 1.0, 2.0]);
        let mut thresholded = vec![0.0; 12];
        accumulate(Some(0.25), &Batch { pred: &pred, target: &target, rows: 2, classes: 3, weights: Weights::None }, &mut thresholded);
        assert_eq!(thresholded[3..6], [1.0, 1.0, 0.0], "false positives: 0.6 in class 0, 0.3 in class 1");
    }
}
