//! Prediction: the model forward on every sample, batch by batch, each output's rows
//! collected into one tensor.
use super::batch_range::{BatchData, BatchRange};
use super::locks::{carry_rnn_states, held, lock_for_inference, HeldVariable};
use super::Engine;
use crate::error::Result;
use crate::tensor::Tensor;

impl Engine {
    /// Runs the model forward on every sample; returns each output's values, all rows.
    pub fn predict(&mut self, inputs: &[&Tensor], batch_size: usize) -> Result<Vec<Tensor>> {
        // Data that fits one batch is one batch: no thread hop for small ones (see inference.rs).
        if inputs.first().is_some_and(|t| t.shape().first().is_some_and(|&rows| rows <= batch_size)) {
            return self.predict_on_batch(inputs);
        }
        // Locked on the caller's thread, as for training.
        let variables = self.variables.clone();
        let mut locks = lock_for_inference(&variables, &self.written);
        let mut buffers = held(&mut locks);
        crate::threads::run(|| self.predict_on_pool(inputs, batch_size, &mut buffers))
    }

    fn predict_on_pool(&mut self, inputs: &[&Tensor], batch_size: usize, vars: &mut [HeldVariable]) -> Result<Vec<Tensor>> {
        let data = BatchData::new(inputs, &[]);
        let rows_total = data.samples();
        let order: Vec<u32> = (0..rows_total as u32).collect();
        let dims = data.sample_dims();
        let out_shapes = self.output_shapes_for(self.probe_batch, &dims)?;
        let mut results = Vec::with_capacity(out_shapes.len());
        for s in &out_shapes {
            let mut shape = s.clone();
            shape[0] = rows_total;
            results.push(crate::alloc::with_capacity::<f32>(crate::alloc::checked_element_count(&shape)?, "predict")?);
        }
        let range = BatchRange::all(rows_total, batch_size);
        for b in range.batches() {
            let idx = range.indices(&order, b);
            let w = self.workspace(idx.len(), &dims)?;
            let Engine { graph, workspaces, rng, input_nodes, variables, folds, .. } = self;
            let ws = &mut workspaces[w].2;
            // The batches follow the samples' order: each is a run of rows, read in place.
            debug_assert!(idx.windows(2).all(|w| w[1] == w[0] + 1), "predict's batches are runs of rows");
            let first = idx.first().map_or(0, |&i| i as usize);
            let given = ws.place_inputs(input_nodes, data.inputs, first..first + idx.len());
            folds.refresh(graph, variables, vars);
            ws.plan.forward_folded(graph, vars, &given, folds, rng);
            ws.plan.take_failure()?;
            for (k, &o) in graph.outputs.iter().enumerate() {
                results[k].extend_from_slice(ws.plan.value_given(graph, vars, &given, o));
            }
            carry_rnn_states(&ws.plan, graph, vars);
        }
        out_shapes
            .into_iter()
            .zip(results)
            .map(|(mut shape, data)| {
                shape[0] = rows_total;
                Tensor::from_f32(shape, data)
            })
            .collect()
    }
}
