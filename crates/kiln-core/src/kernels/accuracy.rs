//! The accuracy metrics Keras resolves `'accuracy'` to, as counts of correct samples.
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccuracyKind {
    /// argmax(pred) == argmax(one-hot target)
    Categorical,
    /// argmax(pred) == integer target
    SparseCategorical,
    /// (pred > 0.5) == target, averaged over the last axis
    Binary,
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

/// Sum over samples of each sample's accuracy (0..1).
pub fn correct(kind: AccuracyKind, pred: &[f32], target: &[f32], rows: usize) -> f64 {
    let width = pred.len() / rows.max(1);
    (0..rows)
        .map(|r| {
            let p = &pred[r * width..(r + 1) * width];
            match kind {
                AccuracyKind::Categorical => (argmax(p) == argmax(&target[r * width..(r + 1) * width])) as i32 as f64,
                AccuracyKind::SparseCategorical => (argmax(p) == target[r] as usize) as i32 as f64,
                AccuracyKind::Binary => {
                    let t = &target[r * width..(r + 1) * width];
                    let hits = p.iter().zip(t).filter(|(&pi, &ti)| ((pi > 0.5) as i32 as f32) == ti).count();
                    hits as f64 / width as f64
                }
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_hand_values() {
        let pred = [0.1, 0.7, 0.2, 0.5, 0.3, 0.2];
        assert_eq!(correct(AccuracyKind::Categorical, &pred, &[0.0, 1.0, 0.0, 0.0, 1.0, 0.0], 2), 1.0);
        assert_eq!(correct(AccuracyKind::SparseCategorical, &pred, &[1.0, 0.0], 2), 2.0);
        assert_eq!(correct(AccuracyKind::Binary, &[0.9, 0.2, 0.6, 0.4], &[1.0, 1.0, 1.0, 0.0], 2), 1.5);
    }
}
