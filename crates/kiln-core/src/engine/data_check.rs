//! Checks on a run's data before it starts: input shapes, NaN/infinity, target sizes, labels
//! and sample weights, each refused with a message naming what was expected.
use super::batch_range::{sample_dims, BatchData};
use super::Engine;
use crate::error::{shape_str, KilnError, Result};
use crate::graph::Op;
use crate::tensor::{Storage, Tensor};

impl Engine {
    /// Checks data before a long run: input shapes, NaN/infinity, target sizes and labels.
    pub fn check_data(&mut self, inputs: &[&Tensor], targets: &[&Tensor]) -> Result<()> {
        if inputs.len() != self.input_nodes.len() {
            return Err(KilnError::value(format!("The model expects {} input(s), got {}", self.input_nodes.len(), inputs.len())));
        }
        let rows = inputs.first().map(|t| t.shape().first().copied().unwrap_or(0)).unwrap_or(0);
        for (i, t) in inputs.iter().enumerate() {
            if let Op::Input { shape, .. } = &self.graph.nodes[self.input_nodes[i]].op {
                let fits = t.rank() == shape.len() && shape[1..].iter().zip(&t.shape()[1..]).all(|(d, &got)| d.is_none_or(|d| d == got));
                if !fits {
                    return Err(KilnError::shape(format!(
                        "Input {i} of the model is incompatible: expected shape [null, {}], got {}",
                        shape[1..].iter().map(|d| d.map_or("null".to_string(), |d| d.to_string())).collect::<Vec<_>>().join(", "),
                        shape_str(t.shape())
                    )));
                }
            }
            if t.shape()[0] != rows {
                return Err(KilnError::value(format!("All inputs must have the same number of samples: input 0 has {rows}, input {i} has {}", t.shape()[0])));
            }
            if let Storage::F32(values) = t.storage() {
                if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
                    return Err(KilnError::value(format!(
                        "Input {i} contains a non-finite value ({}) at sample {}; clean or impute the data before training",
                        values[pos],
                        pos / (values.len() / rows.max(1)).max(1)
                    )));
                }
            }
        }
        let losses = self.losses.specs();
        if targets.len() != losses.len() {
            return Err(KilnError::value(format!("The model has {} loss(es), so it needs {} target array(s) (y), but {} were given", losses.len(), losses.len(), targets.len())));
        }
        let out_shapes = self.output_shapes_for(self.probe_batch, &sample_dims(inputs))?;
        for (l, t) in self.losses.specs().iter().zip(targets) {
            if t.rank() == 0 || t.shape()[0] != rows {
                return Err(KilnError::value(format!("x and y must have the same number of samples: x has {rows}, y has {}", t.shape().first().copied().unwrap_or(0))));
            }
            let width: usize = out_shapes[l.output].get(1..).unwrap_or(&[]).iter().product();
            let t_width: usize = t.shape()[1..].iter().product();
            if l.loss.kind.sparse_targets() {
                if t_width != 1 {
                    return Err(KilnError::shape(format!("sparse_categorical_crossentropy expects integer labels of shape [{rows}] or [{rows}, 1], got {}", shape_str(t.shape()))));
                }
                let labels = t.to_f32();
                if let Some(pos) = labels.iter().position(|&v| !(v >= 0.0 && (v as usize) < width && v.fract() == 0.0)) {
                    return Err(KilnError::value(format!(
                        "Received a label value of {} at sample {pos}, which is outside the valid range of [0, {}) for sparse_categorical_crossentropy",
                        labels[pos], width
                    )));
                }
            } else if t_width != width {
                return Err(KilnError::shape(format!(
                    "Target (y) of shape {} is incompatible with the model output of shape [null, {}]: expected {} values per sample, got {}",
                    shape_str(t.shape()),
                    out_shapes[l.output].get(1..).unwrap_or(&[]).iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
                    width,
                    t_width
                )));
            }
            if let Some(pos) = t.to_f32().iter().position(|v| !v.is_finite()) {
                return Err(KilnError::value(format!("Target (y) contains a non-finite value at sample {}", pos / t_width.max(1))));
            }
        }
        Ok(())
    }
}

/// Refuses sample weights that are not one finite number per sample.
pub fn check_sample_weights(data: &BatchData) -> Result<()> {
    let Some(w) = data.sample_weights else { return Ok(()) };
    let rows = data.samples();
    if w.rank() == 0 || w.shape()[0] != rows || w.shape()[1..].iter().product::<usize>() != 1 {
        return Err(KilnError::value(format!("sample_weight must have one value per sample, shape [{rows}] or [{rows}, 1]; got shape {}", shape_str(w.shape()))));
    }
    if let Some(pos) = w.to_f32().iter().position(|v| !v.is_finite()) {
        return Err(KilnError::value(format!("sample_weight contains a non-finite value at sample {pos}")));
    }
    Ok(())
}
