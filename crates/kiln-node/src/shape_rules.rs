//! kiln_core's rules that the TypeScript side also needs while it records a graph (output
//! shapes of symbolic ops) or names things (the loss kinds): exposed here so that each rule
//! is written once, in Rust.
use crate::convert;
use crate::error::Result;
use crate::error::{to_js, value_error};
use kiln_core::kernels::binary::broadcast_dims;
use kiln_core::kernels::conv::{self, Padding};
use kiln_core::kernels::loss::LossKind;
use napi_derive::napi;

/// A shape from JavaScript whose axes may be unknown (null).
fn dims(shape: &[Option<f64>], what: &str) -> Result<Vec<Option<usize>>> {
    shape.iter().map(|d| d.map(|d| convert::count(d, what)).transpose()).collect()
}

/// numpy broadcasting of two shapes whose axes may be unknown (see kernels::binary).
#[napi]
pub fn broadcast_shapes(a: Vec<Option<f64>>, b: Vec<Option<f64>>) -> Result<Vec<Option<f64>>> {
    let out = broadcast_dims(&dims(&a, "broadcastShapes: a")?, &dims(&b, "broadcastShapes: b")?).map_err(to_js)?;
    Ok(out.into_iter().map(|d| d.map(|d| d as f64)).collect())
}

/// The output length of one axis under a convolution or pooling window, as TensorFlow
/// computes it; null where the window (with its dilation) does not fit a 'valid' input.
#[napi]
pub fn window_output(input: f64, window: f64, stride: f64, dilation: f64, padding: String) -> Result<Option<f64>> {
    let padding: Padding = serde_json::from_value(serde_json::Value::String(padding.clone())).map_err(|_| value_error(format!("Unknown padding '{padding}': expected 'valid' or 'same'")))?;
    let positive = |value: f64, what: &str| match convert::count(value, what)? {
        0 => Err(value_error(format!("windowOutput: {what} must be at least 1, got 0"))),
        n => Ok(n),
    };
    let (window, stride, dilation) = (positive(window, "window")?, positive(stride, "stride")?, positive(dilation, "dilation")?);
    Ok(conv::axis(convert::count(input, "input")?, window, stride, dilation, padding).map(|(out, _)| out as f64))
}

/// The engine's loss kinds, as Keras names its loss functions.
#[napi]
pub fn loss_kinds() -> Vec<String> {
    LossKind::ALL.iter().map(|k| k.name()).collect()
}
