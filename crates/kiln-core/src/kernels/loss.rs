//! Loss functions: per-sample values summed over the batch, and their gradients scaled by the
//! caller (1/batch for Keras' "sum over batch size" reduction). Each sample's values are one
//! row (all its non-batch axes). The cross-entropies have a logits form, stable for any logit
//! size: used for `from_logits`, and fused with a softmax or sigmoid that ends the model.
mod crossentropy;
mod elementwise;
pub mod per_sample;
mod rowwise;

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Keras' `epsilon()`: probabilities are clipped to [EPSILON, 1 - EPSILON].
pub const EPSILON: f32 = 1e-7;

/// Declares `LossKind` and `LossKind::ALL` from one list of the kinds.
macro_rules! loss_kinds {
    ($($kind:ident),* $(,)?) => {
        /// The engine's losses, named as Keras' loss functions (snake_case).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(rename_all = "snake_case")]
        pub enum LossKind {
            $($kind),*
        }

        impl LossKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [LossKind] = &[$(LossKind::$kind),*];
        }
    };
}

loss_kinds!(
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    BinaryCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    Huber,
    LogCosh,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KlDivergence,
    Poisson,
    CosineSimilarity,
);

impl LossKind {
    /// The kind's name as Keras' loss function ('mean_squared_error').
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }

    /// Targets hold one class index per sample instead of one value per output.
    pub fn sparse_targets(self) -> bool {
        self == LossKind::SparseCategoricalCrossentropy
    }

    /// The three cross-entropies, which can read logits.
    pub fn has_logits_form(self) -> bool {
        matches!(self, LossKind::CategoricalCrossentropy | LossKind::SparseCategoricalCrossentropy | LossKind::BinaryCrossentropy)
    }
}

/// A loss and its settings, with Keras' defaults.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Loss {
    pub kind: LossKind,
    /// The output holds logits (cross-entropies): no softmax or sigmoid before the loss.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub from_logits: bool,
    /// Categorical: t (1 - s) + s / classes; binary: t (1 - s) + s / 2.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub label_smoothing: f32,
    /// Huber's switch from quadratic to linear.
    #[serde(default = "one")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub delta: f32,
}

fn one() -> f32 {
    1.0
}

impl Loss {
    pub fn new(kind: LossKind) -> Loss {
        Loss { kind, from_logits: false, label_smoothing: 0.0, delta: 1.0 }
    }
}

impl From<LossKind> for Loss {
    fn from(kind: LossKind) -> Loss {
        Loss::new(kind)
    }
}

/// The targets as the loss reads them: label smoothing, and hinge losses' 0/1 labels as -1/1
/// (Keras converts when every label of the batch is 0 or 1).
fn prepared_targets<'a>(loss: &Loss, target: &'a [f32], width: usize) -> Cow<'a, [f32]> {
    let s = loss.label_smoothing;
    match loss.kind {
        LossKind::CategoricalCrossentropy if s != 0.0 => target.iter().map(|&t| t * (1.0 - s) + s / width as f32).collect(),
        LossKind::BinaryCrossentropy if s != 0.0 => target.iter().map(|&t| t * (1.0 - s) + 0.5 * s).collect(),
        LossKind::Hinge | LossKind::SquaredHinge if target.iter().all(|&t| t == 0.0 || t == 1.0) => target.iter().map(|&t| 2.0 * t - 1.0).collect(),
        _ => Cow::Borrowed(target),
    }
}

/// Sum over the `rows` samples of the loss of `pred` ([rows, width]) against `target`;
/// with `grad`, also writes d(scale * sum)/d(pred).
pub fn loss_and_grad(loss: &Loss, pred: &[f32], target: &[f32], rows: usize, grad: Option<&mut [f32]>, scale: f32) -> f64 {
    if loss.from_logits && loss.kind.has_logits_form() {
        return from_logits(loss, pred, None, target, rows, grad, scale);
    }
    let width = pred.len() / rows.max(1);
    let target = prepared_targets(loss, target, width);
    let target = &target[..];
    use LossKind::*;
    match loss.kind {
        CategoricalCrossentropy => crossentropy::categorical(pred, target, width, grad, scale),
        SparseCategoricalCrossentropy => crossentropy::sparse(pred, target, width, grad, scale),
        BinaryCrossentropy => crossentropy::binary(pred, target, width, grad, scale),
        CategoricalHinge => rowwise::categorical_hinge(pred, target, width, grad, scale),
        CosineSimilarity => rowwise::cosine_similarity(pred, target, width, grad, scale),
        _ => elementwise::loss_and_grad(loss, pred, target, width, grad, scale),
    }
}

/// A cross-entropy computed from `logits`: of softmax(logits) (categorical, sparse) or
/// sigmoid(logits) (binary). `probs` is that activation's output when the model already has it.
/// Writes d/d(logits).
pub fn from_logits(loss: &Loss, logits: &[f32], probs: Option<&[f32]>, target: &[f32], rows: usize, grad: Option<&mut [f32]>, scale: f32) -> f64 {
    let width = logits.len() / rows.max(1);
    let target = prepared_targets(loss, target, width);
    crossentropy::from_logits(loss.kind, logits, probs, &target, width, grad, scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    /// The loss summed over `rows` samples, with Keras' default settings.
    pub(super) fn value(kind: LossKind, pred: &[f32], target: &[f32], rows: usize) -> f64 {
        loss_and_grad(&kind.into(), pred, target, rows, None, 1.0)
    }

    /// The batch-mean loss's gradient against central differences.
    pub(super) fn check_loss_gradient(loss: &Loss, pred: &[f32], target: &[f32], rows: usize) {
        let scale = 1.0 / rows as f32;
        check_gradient(
            &format!("{loss:?}"),
            pred,
            |p| vec![(loss_and_grad(loss, p, target, rows, None, scale) * scale as f64) as f32],
            |p, dy| {
                let mut g = vec![0.0; p.len()];
                loss_and_grad(loss, p, target, rows, Some(&mut g), scale);
                g.iter().map(|v| v * dy[0]).collect()
            },
        );
    }

    #[test]
    fn every_kind_is_listed_once_under_its_keras_name() {
        assert_eq!(LossKind::ALL.len(), 15);
        assert_eq!(LossKind::KlDivergence.name(), "kl_divergence");
        for kind in LossKind::ALL {
            let read: LossKind = serde_json::from_str(&format!("{:?}", kind.name())).unwrap();
            assert_eq!(read, *kind);
        }
    }

    #[test]
    fn settings_default_as_keras_and_read_from_json() {
        let l: Loss = serde_json::from_str(r#"{"kind":"kl_divergence"}"#).unwrap();
        assert_eq!(l, Loss::new(LossKind::KlDivergence));
        let l: Loss = serde_json::from_str(r#"{"kind":"huber","delta":2.5}"#).unwrap();
        assert_eq!(l.delta, 2.5);
        assert!(serde_json::from_str::<Loss>(r#"{"kind":"no_such_loss"}"#).is_err());
    }

    #[test]
    fn label_smoothing_and_hinge_labels() {
        let mut l = Loss::new(LossKind::CategoricalCrossentropy);
        l.label_smoothing = 0.1;
        let t = prepared_targets(&l, &[0.0, 1.0, 0.0, 0.0], 4);
        assert!((t[0] - 0.025).abs() < 1e-7 && (t[1] - 0.925).abs() < 1e-7);
        l.kind = LossKind::BinaryCrossentropy;
        assert!((prepared_targets(&l, &[1.0], 1)[0] - 0.95).abs() < 1e-7);
        let hinge = Loss::new(LossKind::Hinge);
        assert_eq!(&prepared_targets(&hinge, &[0.0, 1.0], 2)[..], &[-1.0, 1.0]);
        // Labels already in {-1, 1} (or anything else) stay as given.
        assert_eq!(&prepared_targets(&hinge, &[-1.0, 1.0, 0.0], 3)[..], &[-1.0, 1.0, 0.0]);
    }
}
