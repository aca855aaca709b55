//! What both targets share: small tensors, and a size gate so the fuzzer tests how kiln-core
//! handles shapes rather than whether the machine holds a large (valid) model.
#![allow(dead_code)]
use kiln_core::graph::{output_shape, Graph, Op};
use kiln_core::Tensor;
use serde_json::Value;

/// The most values an input may make a run compute (over all of a graph's nodes).
pub const MAX_VALUES: usize = 1 << 20;

/// A tensor of `shape` with varied values (zeros hide wrong indexing), if it is small.
pub fn tensor(shape: &[usize]) -> Option<Tensor> {
    let n = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).filter(|&n| n <= MAX_VALUES)?;
    Tensor::from_f32(shape.to_vec(), (0..n).map(|i| (i % 7) as f32 * 0.5 - 1.5).collect()).ok()
}

/// A JSON list of shapes (lists of small integers); anything else gives no shapes.
pub fn shapes(value: &Value, max_count: usize) -> Vec<Vec<usize>> {
    let Some(list) = value.as_array() else { return vec![] };
    list.iter().take(max_count).map(|s| s.as_array().map(|d| d.iter().map(|d| d.as_u64().unwrap_or(1).min(4096) as usize).collect()).unwrap_or_default()).collect()
}

/// The values a run of `graph` computes (every node's output), or None when the shapes are
/// refused (the engine refuses them too) or the count overflows.
pub fn planned_values(graph: &Graph, batch: usize, input_shapes: &[Vec<usize>], variable_shapes: &[Vec<usize>]) -> Option<usize> {
    let mut shapes: Vec<Vec<usize>> = Vec::with_capacity(graph.nodes.len());
    let mut total = 0usize;
    for node in &graph.nodes {
        let shape = match &node.op {
            Op::Input { index, .. } => input_shapes.get(*index)?.clone(),
            _ => {
                let inputs: Vec<&[usize]> = node.inputs.iter().map(|&i| shapes[i].as_slice()).collect();
                output_shape(node, &inputs, batch, variable_shapes).ok()?
            }
        };
        total = total.checked_add(shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?)?;
        if total > MAX_VALUES {
            return None;
        }
        shapes.push(shape);
    }
    Some(total)
}
