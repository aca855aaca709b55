//! Inference on one batch (Keras' `predict_on_batch`, and `predict` when the data fits one
//! batch): the plan for each input shape is made once and reused, and small batches run on the
//! calling thread, so a call costs its kernels and one copy out (the inputs are read in place).
use super::batch_range::sample_dims;
use super::locks::{carry_rnn_states, held, lock_for_inference, try_lock_for_inference};
use super::Engine;
use crate::error::{shape_str, KilnError, Result};
use crate::graph::Op;
use crate::tensor::Tensor;

/// Batches up to this many samples run on the calling thread: handing them to the pool costs
/// more than its threads would save on kernels this small.
pub const INLINE_MAX_ROWS: usize = 16;
/// ... and plans up to this many values: a larger model (MobileNetV2 at batch 1 holds
/// millions) runs inside the pool, whose threads then stay awake between its kernels instead of
/// being woken for each (measured 4-8% faster for MobileNetV2 at batch 1 on a loaded machine).
pub const INLINE_MAX_VALUES: usize = 1 << 20;

impl Engine {
    /// The model's outputs on `inputs` (all their samples, as one batch), in inference mode.
    pub fn predict_on_batch(&mut self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        self.predict_on_batch_locking(inputs, true).expect("a waiting lock always succeeds")
    }

    /// As predict_on_batch, or None (nothing run) when a variable is being written, by a fit
    /// on another engine: for callers that must not wait, as the event loop.
    pub fn try_predict_on_batch(&mut self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>>> {
        self.predict_on_batch_locking(inputs, false)
    }

    fn predict_on_batch_locking(&mut self, inputs: &[&Tensor], wait: bool) -> Option<Result<Vec<Tensor>>> {
        let rows = match self.check_input_shapes(inputs) {
            Ok(rows) => rows,
            Err(e) => return Some(Err(e)),
        };
        let w = match self.workspace(rows, &sample_dims(inputs)) {
            Ok(w) => w,
            Err(e) => return Some(Err(e)),
        };
        let Engine { graph, workspaces, rng, input_nodes, variables, written, folds, .. } = self;
        // Locked on the caller's thread, as for training.
        let mut locks = if wait { lock_for_inference(variables, written) } else { try_lock_for_inference(variables, written)? };
        let mut buffers = held(&mut locks);
        let ws = &mut workspaces[w].2;
        // Read in place: the caller's tensors are immutable and borrowed for the whole call.
        let given = ws.place_inputs(input_nodes, inputs, 0..rows);
        let plan = &mut ws.plan;
        folds.refresh(graph, variables, &buffers);
        if rows <= INLINE_MAX_ROWS && plan.values.iter().map(Vec::len).sum::<usize>() <= INLINE_MAX_VALUES {
            plan.forward_folded(graph, &buffers, &given, folds, rng);
        } else {
            crate::threads::run(|| plan.forward_folded(graph, &buffers, &given, folds, rng));
        }
        if let Err(e) = plan.take_failure() {
            return Some(Err(e));
        }
        let outputs = graph.outputs.iter().map(|&o| Tensor::from_f32(plan.shapes[o].clone(), plan.value_given(graph, &buffers, &given, o).to_vec())).collect();
        carry_rnn_states(plan, graph, &mut buffers);
        Some(outputs)
    }

    /// Checks that `inputs` fit the model's inputs (count, rank, every fixed axis, one batch
    /// size); returns the batch size.
    pub fn check_input_shapes(&self, inputs: &[&Tensor]) -> Result<usize> {
        if inputs.len() != self.input_nodes.len() {
            return Err(KilnError::value(format!("The model expects {} input(s), got {}", self.input_nodes.len(), inputs.len())));
        }
        let rows = inputs.first().and_then(|t| t.shape().first().copied()).unwrap_or(0);
        for (i, t) in inputs.iter().enumerate() {
            if let Op::Input { shape, .. } = &self.graph.nodes[self.input_nodes[i]].op {
                let fits = t.rank() == shape.len() && shape[1..].iter().zip(&t.shape()[1..]).all(|(d, &got)| d.is_none_or(|d| d == got));
                if !fits {
                    let expected = shape[1..].iter().map(|d| d.map_or("null".to_string(), |d| d.to_string())).collect::<Vec<_>>().join(", ");
                    return Err(KilnError::shape(format!("Input {i} of the model is incompatible: expected shape [null, {expected}], got {}", shape_str(t.shape()))));
                }
            }
            if t.shape()[0] != rows {
                return Err(KilnError::value(format!("All inputs must have the same number of samples: input 0 has {rows}, input {i} has {}", t.shape()[0])));
            }
        }
        if rows == 0 {
            return Err(KilnError::value("predict: x has no samples"));
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::tensor::Storage;
    use crate::variable::Variable;

    /// x[4] -> Dense(8, relu) -> BatchNorm -> Dropout(0.5) -> Dense(3) -> softmax, and a
    /// second output: the Dense(8) activations.
    const SPEC: &str = r#"{"graph":{"nodes":[
        {"op":"input","index":0,"shape":[null,4]},
        {"op":"variable","index":0},
        {"op":"matmul","transpose_b":false,"inputs":[0,1]},
        {"op":"variable","index":1},
        {"op":"binary","function":"add","inputs":[2,3]},
        {"op":"unary","function":"relu","inputs":[4]},
        {"op":"variable","index":2},
        {"op":"variable","index":3},
        {"op":"variable","index":4},
        {"op":"variable","index":5},
        {"op":"batch_norm","epsilon":0.001,"momentum":0.99,"inputs":[5,6,7,8,9]},
        {"op":"dropout","rate":0.5,"shared_axes":[],"inputs":[10]},
        {"op":"variable","index":6},
        {"op":"matmul","transpose_b":false,"inputs":[11,12]},
        {"op":"softmax","inputs":[13]}],
      "outputs":[14,5]},
     "trainable":[false,false,false,false,false,false,false]}"#;

    fn random(shape: Vec<usize>, seed: u64, low: f32) -> Tensor {
        let mut rng = Rng::new(seed);
        let n = shape.iter().product();
        Tensor::from_f32(shape, (0..n).map(|_| rng.uniform(low, 1.0)).collect()).unwrap()
    }

    fn engine() -> Engine {
        let shapes = [vec![4, 8], vec![8], vec![8], vec![8], vec![8], vec![8], vec![8, 3]];
        let variables = shapes.iter().enumerate().map(|(i, s)| Variable::new(&random(s.clone(), i as u64 + 1, if i == 5 { 0.1 } else { -1.0 }))).collect();
        Engine::new(SPEC, variables).unwrap()
    }

    #[test]
    fn one_batch_gives_the_batched_predictions() {
        let mut fast = engine();
        let mut general = engine();
        // Inline (small) and on the pool (large); twice each, reusing the plan.
        for rows in [1, 3, 40, 1, 40] {
            let x = random(vec![rows, 4], rows as u64, -1.0);
            let a = fast.predict_on_batch(&[&x]).unwrap();
            let b = general.predict(&[&x], 7).unwrap();
            assert_eq!(a.len(), 2);
            for (a, b) in a.iter().zip(&b) {
                assert_eq!(a.shape(), b.shape());
                a.to_f32().iter().zip(b.to_f32().iter()).for_each(|(p, q)| assert!((p - q).abs() < 1e-6, "{p} vs {q}"));
            }
        }
        // One plan per batch size, reused.
        assert_eq!(fast.workspaces.iter().filter(|(b, _, _)| [1, 3, 40].contains(b)).count(), 3);
    }

    #[test]
    fn integer_inputs_are_read_as_float32() {
        let mut e = engine();
        let ints = Tensor::new(vec![2, 4], Storage::I32(vec![1, -2, 3, 0, 2, 2, -1, 1])).unwrap();
        let floats = ints.astype(crate::tensor::DType::Float32);
        assert_eq!(e.predict_on_batch(&[&ints]).unwrap(), e.predict_on_batch(&[&floats]).unwrap());
    }

    #[test]
    fn shapes_are_checked_as_strictly_as_for_training() {
        let mut e = engine();
        let wide = random(vec![2, 5], 1, -1.0);
        assert!(e.predict_on_batch(&[&wide]).unwrap_err().message.contains("expected shape [null, 4], got [2, 5]"));
        let flat = random(vec![4], 1, -1.0);
        assert_eq!(e.predict_on_batch(&[&flat]).unwrap_err().kind, crate::error::ErrorKind::Shape);
        let x = random(vec![2, 4], 1, -1.0);
        assert!(e.predict_on_batch(&[&x, &x]).unwrap_err().message.contains("expects 1 input(s), got 2"));
        assert!(e.predict_on_batch(&[&random(vec![0, 4], 1, -1.0)]).unwrap_err().message.contains("no samples"));
    }
}
