//! Standalone metrics (`metric.updateState(yTrue, yPred, sampleWeight)`): argument
//! conversion only; the batch math is kiln_core's metrics kernels, the same the engine runs.
use crate::error::Result;
use crate::error::{guard, to_js, value_error};
use crate::tensor::NativeTensor;
use kiln_core::kernels::metrics::{self, MetricKind};
use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;

/// One batch's contribution to a metric's state; `spec` is the metric's JSON description.
#[napi]
pub fn metric_update(spec: String, y_true: Option<&NativeTensor>, y_pred: &NativeTensor, sample_weight: Option<&NativeTensor>) -> Result<Float64Array> {
    let kind: MetricKind = serde_json::from_str(&spec).map_err(|e| value_error(format!("Invalid metric description: {e}")))?;
    guard(|| {
        let y_true = y_true.map(|t| t.get()).transpose()?;
        let sample_weight = sample_weight.map(|t| t.get()).transpose()?;
        let state = metrics::update(&kind, y_true.map(|t| t.as_ref()), y_pred.get()?, sample_weight.map(|t| t.as_ref())).map_err(to_js)?;
        Ok(Float64Array::new(state))
    })
}

/// The length of a metric's state for predictions with `classes` values on the last axis
/// (the kernels' rule, which the batch logs and `metricUpdate` follow).
#[napi]
pub fn metric_state_len(spec: String, classes: f64) -> Result<u32> {
    let kind: MetricKind = serde_json::from_str(&spec).map_err(|e| value_error(format!("Invalid metric description: {e}")))?;
    let classes = crate::convert::count(classes, "metricStateLen: classes")?;
    u32::try_from(kind.state_len(classes)).map_err(|_| value_error(format!("The state of metric {} is too large for {classes} classes", kind.name())))
}
