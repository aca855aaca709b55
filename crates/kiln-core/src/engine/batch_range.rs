//! Which batches a run covers, and the data they are cut from.
use crate::tensor::Tensor;
use std::ops::Range;

/// Batches `first..first + count` of `batch_size` samples each (the last may be shorter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchRange {
    pub batch_size: usize,
    pub first: usize,
    pub count: usize,
}

impl BatchRange {
    pub fn new(batch_size: usize, first: usize, count: usize) -> BatchRange {
        BatchRange { batch_size, first, count }
    }

    /// Every batch of `samples`, in order (prediction).
    pub fn all(samples: usize, batch_size: usize) -> BatchRange {
        BatchRange::new(batch_size, 0, samples.div_ceil(batch_size.max(1)))
    }

    pub fn batches(&self) -> Range<usize> {
        self.first..self.first + self.count
    }

    /// The sample indices of batch `b`, cut from `order` (one epoch's shuffle, or 0..n).
    pub fn indices<'a>(&self, order: &'a [u32], b: usize) -> &'a [u32] {
        let start = (b * self.batch_size).min(order.len());
        &order[start..(start + self.batch_size).min(order.len())]
    }
}

/// The arrays a run's batches are gathered from: the model's inputs, one target array per
/// loss (in the order of the spec's losses), and optionally one weight per sample
/// ([samples] or [samples, 1]) multiplying each sample's loss (Keras' `sample_weight`).
#[derive(Clone, Copy)]
pub struct BatchData<'a> {
    pub inputs: &'a [&'a Tensor],
    pub targets: &'a [&'a Tensor],
    pub sample_weights: Option<&'a Tensor>,
}

impl<'a> BatchData<'a> {
    pub fn new(inputs: &'a [&'a Tensor], targets: &'a [&'a Tensor]) -> BatchData<'a> {
        BatchData { inputs, targets, sample_weights: None }
    }

    pub fn weighted(self, sample_weights: Option<&'a Tensor>) -> BatchData<'a> {
        BatchData { sample_weights, ..self }
    }

    /// Samples in the data (the inputs' first axis).
    pub fn samples(&self) -> usize {
        self.inputs.first().map(|t| t.shape().first().copied().unwrap_or(0)).unwrap_or(0)
    }

    /// Each input's per-sample shape (its shape after the batch axis).
    pub fn sample_dims(&self) -> Vec<Vec<usize>> {
        sample_dims(self.inputs)
    }
}

/// Each input's per-sample shape (its shape after the batch axis).
pub fn sample_dims(inputs: &[&Tensor]) -> Vec<Vec<usize>> {
    inputs.iter().map(|t| t.shape().get(1..).unwrap_or(&[]).to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cut_the_order_with_a_short_last_batch() {
        let order: Vec<u32> = vec![4, 2, 0, 1, 3];
        let range = BatchRange::new(2, 1, 2);
        assert_eq!(range.batches(), 1..3);
        assert_eq!(range.indices(&order, 1), &[0, 1]);
        assert_eq!(range.indices(&order, 2), &[3]);
        assert_eq!(range.indices(&order, 3), &[] as &[u32]);
        assert_eq!(BatchRange::all(5, 2), BatchRange::new(2, 0, 3));
        assert_eq!(BatchRange::all(0, 2).count, 0);
    }
}
