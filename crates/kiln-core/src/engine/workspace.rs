//! One batch size's buffers: the graph plan, the gathered targets (one buffer per output)
//! and the batch's sample weights.
use super::batch_range::BatchData;
use super::spec::LossSpec;
use crate::error::Result;
use crate::graph::{Graph, Plan};
use crate::tensor::{Storage, Tensor};
use std::ops::Range;

pub struct Workspace {
    pub plan: Plan,
    /// The batch's targets of each output, float32; empty for an output without a loss.
    pub targets: Vec<Vec<f32>>,
    /// The batch's sample weights, when the run has them.
    pub sample_weights: Vec<f32>,
}

impl Workspace {
    /// Plans the graph for `batch` samples whose inputs have the per-sample shapes `dims`;
    /// `read_outside`: the nodes besides the outputs the losses read (see `Plan::new`).
    pub fn new(graph: &Graph, losses: &[LossSpec], batch: usize, dims: &[Vec<usize>], variable_shapes: &[Vec<usize>], needs_grad: &[bool], read_outside: &[usize]) -> Result<Workspace> {
        let plan = Plan::new(graph, batch, dims, variable_shapes, needs_grad, read_outside)?;
        let mut targets = vec![Vec::new(); graph.outputs.len()];
        for l in losses {
            let width: usize = plan.shapes[graph.outputs[l.output]].get(1..).unwrap_or(&[]).iter().product();
            targets[l.output] = vec![0.0; batch * if l.loss.kind.sparse_targets() { 1 } else { width }];
        }
        Ok(Workspace { plan, targets, sample_weights: vec![0.0; batch] })
    }

    /// Copies the rows `idx` of each input, each loss's targets (into its output's buffer) and
    /// the sample weights into the workspace, as float32. Returns the batch's sample weights,
    /// None when the run has none.
    pub fn gather(&mut self, input_nodes: &[usize], losses: &[LossSpec], data: &BatchData, idx: &[u32]) -> Option<Vec<f32>> {
        for (k, t) in data.inputs.iter().enumerate() {
            gather_rows(t, idx, &mut self.plan.values[input_nodes[k]]);
        }
        for (l, t) in losses.iter().zip(data.targets) {
            gather_rows(t, idx, &mut self.targets[l.output]);
        }
        let w = data.sample_weights?;
        gather_rows(w, idx, &mut self.sample_weights);
        Some(self.sample_weights.clone())
    }

    /// Each input's rows `rows` for a pass that reads them in place (`Plan::forward_folded`):
    /// float32 values are borrowed as they are, with no copy; others are converted into the
    /// plan's buffer (None). The tensors are immutable, so the values cannot change during the
    /// pass.
    pub fn place_inputs<'a>(&mut self, input_nodes: &[usize], inputs: &[&'a Tensor], rows: Range<usize>) -> Vec<Option<&'a [f32]>> {
        inputs
            .iter()
            .zip(input_nodes)
            .map(|(t, &node)| {
                let width = t.shape()[1..].iter().product::<usize>();
                let (values, out) = (rows.start * width..rows.end * width, &mut self.plan.values[node]);
                match t.storage() {
                    Storage::F32(v) => return Some(&v[values]),
                    Storage::I32(v) => out.iter_mut().zip(&v[values]).for_each(|(o, &x)| *o = x as f32),
                    Storage::U8(v) => out.iter_mut().zip(&v[values]).for_each(|(o, &x)| *o = x as f32),
                }
                None
            })
            .collect()
    }
}

fn gather_rows(t: &Tensor, idx: &[u32], out: &mut [f32]) {
    let width = out.len() / idx.len().max(1);
    fn copy<T: Copy>(src: &[T], idx: &[u32], width: usize, out: &mut [f32], cast: impl Fn(T) -> f32) {
        for (r, &i) in idx.iter().enumerate() {
            let row = &src[i as usize * width..(i as usize + 1) * width];
            for (o, &v) in out[r * width..(r + 1) * width].iter_mut().zip(row) {
                *o = cast(v);
            }
        }
    }
    match t.storage() {
        Storage::F32(v) => copy(v, idx, width, out, |x| x),
        Storage::I32(v) => copy(v, idx, width, out, |x| x as f32),
        Storage::U8(v) => copy(v, idx, width, out, |x| x as f32),
    }
}
