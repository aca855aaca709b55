//! A loss's per-sample values on concrete tensors (Keras' `Loss.call`); kiln_core computes.
use crate::error::Result;
use crate::error::{guard, value_error};
use crate::tensor::NativeTensor;
use kiln_core::kernels::loss::{per_sample, Loss};
use napi::bindgen_prelude::Float32Array;
use napi_derive::napi;

/// `spec` is the loss as JSON (kind and settings); `yTrue` holds one row per sample (one
/// label for sparse losses), `yPred` the same number of rows.
#[napi]
pub fn loss_values(spec: String, y_true: &NativeTensor, y_pred: &NativeTensor) -> Result<Float32Array> {
    let loss: Loss = serde_json::from_str(&spec).map_err(|e| value_error(format!("Invalid loss description: {e}")))?;
    guard(|| {
        let (target, pred) = (y_true.get()?, y_pred.get()?);
        let rows = pred.shape().first().copied().unwrap_or(1);
        let (pred_values, target_values) = (pred.to_f32(), target.to_f32());
        let target_width = if loss.kind.sparse_targets() { 1 } else { pred_values.len() / rows.max(1) };
        if target_values.len() != rows * target_width {
            return Err(value_error(format!("y_true has {} values but y_pred has {rows} samples of {target_width} target value(s) each", target_values.len())));
        }
        Ok(Float32Array::new(per_sample::values(&loss, &pred_values, &target_values, rows)))
    })
}
