//! The batch math of Keras' stateful metrics. Each metric kind adds one batch's contribution
//! to an additive state vector (weighted sums and counts, as Keras' metric variables hold);
//! summing the states of several batches gives the state of all of them, and TypeScript turns
//! a state into the metric's result. The engine calls [`accumulate`] after each batch of
//! fit/evaluate; standalone `updateState` calls [`update`] on tensors.
mod confusion;
mod f_score;
mod r2_score;
mod sample_mean;

pub use confusion::ConfusionSpec;

use crate::error::{shape_str, KilnError, Result};
use crate::tensor::Tensor;
use serde::Deserialize;

/// What a metric accumulates, as the TypeScript side describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MetricKind {
    /// yPred == yTrue exactly, averaged over the last axis
    Accuracy,
    /// argmax(pred) == argmax(one-hot target)
    CategoricalAccuracy,
    /// argmax(pred) == integer target
    SparseCategoricalAccuracy,
    /// (pred > threshold) == target, averaged over the last axis
    BinaryAccuracy {
        #[serde(default = "half")]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        threshold: f32,
    },
    /// The target class is among the k highest predictions.
    TopKCategoricalAccuracy {
        k: usize,
    },
    SparseTopKCategoricalAccuracy {
        k: usize,
    },
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    LogCoshError,
    /// Cosine of the angle between target and prediction along the last axis.
    CosineSimilarity,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KlDivergence,
    Poisson,
    BinaryCrossentropy {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        from_logits: bool,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        label_smoothing: f32,
    },
    CategoricalCrossentropy {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        from_logits: bool,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        label_smoothing: f32,
    },
    SparseCategoricalCrossentropy {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        from_logits: bool,
    },
    /// The weighted mean of the values themselves (`keras.metrics.Mean`).
    Mean,
    /// The weighted sum of the values (`keras.metrics.Sum`).
    Sum,
    /// True/false positives/negatives at thresholds (Precision, Recall, AUC, TruePositives...).
    Confusion(ConfusionSpec),
    /// Per-class true positives, false positives, false negatives and support (FBetaScore).
    FScore {
        threshold: Option<f32>,
    },
    /// Per-column sums of targets, squared targets, squared residuals and weights (R2Score).
    R2Score,
}

fn half() -> f32 {
    0.5
}

/// How sample weights apply: none, one per sample (row), or one per element of the metric's
/// values (a row's positions, or every prediction for the confusion metrics).
#[derive(Debug, Clone, Copy)]
pub enum Weights<'a> {
    None,
    PerRow(&'a [f32]),
    PerElement(&'a [f32]),
}

impl Weights<'_> {
    /// The weight of element `i` of `per_row` elements in a row.
    #[inline]
    fn at(&self, i: usize, per_row: usize) -> f32 {
        match self {
            Weights::None => 1.0,
            Weights::PerRow(w) => w[i / per_row.max(1)],
            Weights::PerElement(w) => w[i],
        }
    }
}

/// One batch: predictions of shape [rows, ..., classes] and targets (one label per position
/// for the sparse kinds, else the same size as the predictions).
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub pred: &'a [f32],
    pub target: &'a [f32],
    pub rows: usize,
    /// The last axis of the predictions (classes), 1 for values without one.
    pub classes: usize,
    pub weights: Weights<'a>,
}

impl Batch<'_> {
    /// Positions per row: the predictions of a row are `positions` groups of `classes`.
    fn positions(&self) -> usize {
        self.pred.len() / (self.rows * self.classes).max(1)
    }
}

impl MetricKind {
    /// Whether the metric reads integer labels (one per position) rather than one target
    /// value per prediction.
    pub fn sparse_targets(&self) -> bool {
        matches!(self, MetricKind::SparseCategoricalAccuracy | MetricKind::SparseTopKCategoricalAccuracy { .. } | MetricKind::SparseCategoricalCrossentropy { .. })
    }

    /// The length of the state for predictions with `classes` values on the last axis.
    pub fn state_len(&self, classes: usize) -> usize {
        match self {
            MetricKind::Sum => 1,
            MetricKind::Confusion(spec) => 4 * spec.thresholds.len() * spec.labels(classes),
            MetricKind::FScore { .. } => 4 * classes,
            MetricKind::R2Score => 4 * classes + 1,
            _ => 2,
        }
    }

    /// Keras' name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            MetricKind::Accuracy => "accuracy",
            MetricKind::CategoricalAccuracy => "categorical_accuracy",
            MetricKind::SparseCategoricalAccuracy => "sparse_categorical_accuracy",
            MetricKind::BinaryAccuracy { .. } => "binary_accuracy",
            MetricKind::TopKCategoricalAccuracy { .. } => "top_k_categorical_accuracy",
            MetricKind::SparseTopKCategoricalAccuracy { .. } => "sparse_top_k_categorical_accuracy",
            MetricKind::MeanSquaredError => "mean_squared_error",
            MetricKind::MeanAbsoluteError => "mean_absolute_error",
            MetricKind::MeanAbsolutePercentageError => "mean_absolute_percentage_error",
            MetricKind::MeanSquaredLogarithmicError => "mean_squared_logarithmic_error",
            MetricKind::LogCoshError => "logcosh",
            MetricKind::CosineSimilarity => "cosine_similarity",
            MetricKind::Hinge => "hinge",
            MetricKind::SquaredHinge => "squared_hinge",
            MetricKind::CategoricalHinge => "categorical_hinge",
            MetricKind::KlDivergence => "kl_divergence",
            MetricKind::Poisson => "poisson",
            MetricKind::BinaryCrossentropy { .. } => "binary_crossentropy",
            MetricKind::CategoricalCrossentropy { .. } => "categorical_crossentropy",
            MetricKind::SparseCategoricalCrossentropy { .. } => "sparse_categorical_crossentropy",
            MetricKind::Mean => "mean",
            MetricKind::Sum => "sum",
            MetricKind::Confusion(_) => "confusion matrix metric",
            MetricKind::FScore { .. } => "fbeta_score",
            MetricKind::R2Score => "r2_score",
        }
    }

    /// Checks the metric can read targets of the given kind for predictions shaped
    /// `pred_shape` (batch axis first): the engine calls this once, at compile time.
    pub fn check_shapes(&self, pred_shape: &[usize], sparse_targets: bool) -> Result<()> {
        if self.sparse_targets() != sparse_targets {
            let (wants, given) = if sparse_targets { ("one target value per prediction", "integer class labels") } else { ("integer class labels", "one target value per prediction") };
            return Err(KilnError::value(format!("Metric {} expects {wants}, but the loss of its output takes {given}", self.name())));
        }
        let classes = pred_shape.last().copied().unwrap_or(1);
        if matches!(self, MetricKind::FScore { .. } | MetricKind::R2Score) && pred_shape.len() != 2 {
            return Err(KilnError::shape(format!("{} expects 2D inputs with shape (batch_size, output_dim), got predictions of shape {}", self.name(), shape_str(pred_shape))));
        }
        if let MetricKind::Confusion(spec) = self {
            spec.check(pred_shape.len(), classes)?;
        }
        Ok(())
    }
}

/// Adds one batch's contribution to `state` (of length `kind.state_len(batch.classes)`).
pub fn accumulate(kind: &MetricKind, batch: &Batch, state: &mut [f64]) {
    match kind {
        MetricKind::Confusion(spec) => confusion::accumulate(spec, batch, state),
        MetricKind::FScore { threshold } => f_score::accumulate(*threshold, batch, state),
        MetricKind::R2Score => r2_score::accumulate(batch, state),
        MetricKind::Sum => sample_mean::accumulate_sum(batch, state),
        _ => sample_mean::accumulate(kind, batch, state),
    }
}

/// One batch's state, computed by the engine for a compiled metric (no sample weights yet).
pub fn batch_state(kind: &MetricKind, pred: &[f32], pred_shape: &[usize], target: &[f32], weights: Weights) -> Vec<f64> {
    let classes = pred_shape.last().copied().unwrap_or(1).max(1);
    let mut state = vec![0.0; kind.state_len(classes)];
    let rows = pred_shape.first().copied().unwrap_or(1);
    accumulate(kind, &Batch { pred, target, rows, classes, weights }, &mut state);
    state
}

/// Standalone `updateState(yTrue, yPred, sampleWeight)`: checks and broadcasts the tensors
/// as Keras does, and returns the batch's state. `Mean` and `Sum` read the values from
/// `y_pred` and need no `y_true`.
pub fn update(kind: &MetricKind, y_true: Option<&Tensor>, y_pred: &Tensor, sample_weight: Option<&Tensor>) -> Result<Vec<f64>> {
    let name = kind.name();
    let values_only = matches!(kind, MetricKind::Mean | MetricKind::Sum);
    let pred_shape: Vec<usize> = if y_pred.rank() == 0 { vec![1] } else { y_pred.shape().to_vec() };
    let rows = pred_shape[0];
    // Mean and Sum average a row's values whatever its shape; the others read a last axis.
    let classes = if values_only || pred_shape.len() == 1 { 1 } else { *pred_shape.last().unwrap() };
    let pred = y_pred.to_f32();
    if pred.is_empty() {
        return Ok(vec![0.0; kind.state_len(classes)]);
    }
    if matches!(kind, MetricKind::FScore { .. } | MetricKind::R2Score) && pred_shape.len() != 2 {
        return Err(KilnError::shape(format!("{name} expects 2D inputs with shape (batch_size, output_dim), got y_pred of shape {}", shape_str(y_pred.shape()))));
    }
    if let MetricKind::Confusion(spec) = kind {
        spec.check(pred_shape.len(), classes)?;
    }
    let target: Vec<f32> = match y_true {
        _ if values_only => Vec::new(),
        None => return Err(KilnError::value(format!("{name}: updateState needs y_true"))),
        Some(t) => {
            let expected = if kind.sparse_targets() { pred.len() / classes } else { pred.len() };
            if t.size() != expected || t.shape().first().copied().unwrap_or(1) != rows {
                let what = if kind.sparse_targets() { "one integer label per sample" } else { "the same number of values as y_pred" };
                return Err(KilnError::shape(format!("{name}: y_true of shape {} does not match y_pred of shape {}: expected {what}", shape_str(t.shape()), shape_str(y_pred.shape()))));
            }
            t.to_f32().into_owned()
        }
    };
    let weight_values: Option<Vec<f32>> = sample_weight.map(|w| {
        let values = w.to_f32();
        // A single weight applies to every sample.
        if values.len() == 1 {
            vec![values[0]; rows]
        } else {
            values.into_owned()
        }
    });
    let element_weights = match kind {
        MetricKind::Confusion(_) | MetricKind::R2Score | MetricKind::Mean | MetricKind::Sum => pred.len(),
        MetricKind::FScore { .. } => rows,
        _ => pred.len() / classes,
    };
    let weights = match &weight_values {
        None => Weights::None,
        Some(w) if w.len() == rows => Weights::PerRow(w),
        Some(w) if w.len() == element_weights => Weights::PerElement(w),
        Some(_) => {
            return Err(KilnError::shape(format!("{name}: sample_weight of shape {} cannot be broadcast to y_pred of shape {}", shape_str(sample_weight.unwrap().shape()), shape_str(y_pred.shape()))))
        }
    };
    let mut state = vec![0.0; kind.state_len(classes)];
    accumulate(kind, &Batch { pred: &pred, target: &target, rows, classes, weights }, &mut state);
    Ok(state)
}
