//! How a loss's per-sample values become the batch's loss (Keras' `reduction`).
use serde::Deserialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    /// The weighted sum divided by the number of values (Keras' default).
    #[default]
    SumOverBatchSize,
    /// The same as `SumOverBatchSize`.
    Mean,
    /// The weighted sum.
    Sum,
    /// The weighted sum divided by the sum of the sample weights.
    MeanWithSampleWeight,
}

impl Reduction {
    /// What the weighted sum of `count` values is divided by; `weight_sum` is the sum of the
    /// batch's sample weights, when given.
    pub fn divisor(self, count: usize, weight_sum: Option<f64>) -> f64 {
        match (self, weight_sum) {
            (Reduction::Sum, _) => 1.0,
            (Reduction::MeanWithSampleWeight, Some(w)) => w,
            _ => count as f64,
        }
    }
}

/// a / b, or 0 where b is 0 (Keras' `divide_no_nan`).
pub fn divide_no_nan(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}
