//! R2Score's sums, per output column: Σ w·y, Σ w·y², Σ w·(y - ŷ)², Σ w, then the number of
//! target values. State: those four `classes`-long vectors and one count.
use super::Batch;

pub fn accumulate(batch: &Batch, state: &mut [f64]) {
    let columns = batch.classes;
    if batch.target.len() != batch.pred.len() || batch.pred.len() != batch.rows * columns {
        return; // the engine checks shapes at compile time; never read out of bounds
    }
    for (i, (&p, &t)) in batch.pred.iter().zip(batch.target).enumerate() {
        let c = i % columns;
        let w = batch.weights.at(i, columns) as f64;
        let (p, t) = (p as f64, t as f64);
        state[c] += w * t;
        state[columns + c] += w * t * t;
        state[2 * columns + c] += w * (t - p) * (t - p);
        state[3 * columns + c] += w;
    }
    state[4 * columns] += batch.pred.len() as f64;
}

#[cfg(test)]
mod tests {
    use super::super::Weights;
    use super::*;

    #[test]
    fn sums_per_column() {
        let mut state = vec![0.0; 5];
        accumulate(&Batch { pred: &[1.0, 2.0], target: &[2.0, 4.0], rows: 2, classes: 1, weights: Weights::PerRow(&[1.0, 0.5]) }, &mut state);
        assert_eq!(state, vec![4.0, 12.0, 3.0, 1.5, 2.0]);
    }
}
