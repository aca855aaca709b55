//! A model as a graph of ops, planned once per batch size and run forward and backward.
mod aliases;
mod executor;
mod fusion;
mod inference_fold;
mod op;
mod transformed_kernels;

pub use executor::Plan;
pub use inference_fold::InferenceFolds;
pub use op::{batch_dims, conv_geometry, conv_transpose_geometry, normalize_axis, output_shape, pool_geometry, resampling, rnn_config, rnn_state_inputs, Node, Op};

use crate::error::{shape_str, KilnError, Result};
use serde::Deserialize;

/// A model's ops in topological order, validated whenever one is read (from JSON or as part
/// of an engine description): every malformed node is a clear error, never a panic later.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "GraphDescription")]
pub struct Graph {
    /// In topological order: a node's inputs come before it.
    pub nodes: Vec<Node>,
    pub outputs: Vec<usize>,
}

/// A model's ops in topological order (a node's inputs come before it) and which nodes are
/// its outputs, as described: a `Graph` once validated.
#[derive(Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Graph"))]
pub(crate) struct GraphDescription {
    nodes: Vec<Node>,
    outputs: Vec<usize>,
}

impl TryFrom<GraphDescription> for Graph {
    /// The message alone: serde puts it after "Invalid graph description: ".
    type Error = String;

    fn try_from(d: GraphDescription) -> std::result::Result<Graph, String> {
        let graph = Graph { nodes: d.nodes, outputs: d.outputs };
        graph.validate().map_err(|e| e.message)?;
        Ok(graph)
    }
}

/// "node 3 (dense_1)", for messages.
fn describe(id: usize, node: &Node) -> String {
    if node.name.is_empty() {
        format!("Graph node {id}")
    } else {
        format!("Graph node {id} ({})", node.name)
    }
}

impl Graph {
    pub fn from_json(json: &str) -> Result<Graph> {
        serde_json::from_str(json).map_err(|e| KilnError::value(format!("Invalid graph description: {e}")))
    }

    /// Refuses what the planner and the passes assume never happens: a wrong number of
    /// inputs, an input that is not an earlier node (a cycle, or no node at all), model inputs
    /// numbered other than 0..n once each, a constant whose values do not fill
    /// its shape, a stateful RNN whose states are not variables, an output that is not a node.
    pub fn validate(&self) -> Result<()> {
        let mut input_seen = vec![false; self.input_count()];
        for (id, node) in self.nodes.iter().enumerate() {
            let fits = match node.op.arity() {
                Some(n) => node.inputs.len() == n,
                None => !node.inputs.is_empty(),
            };
            if !fits {
                let needs = node.op.arity().map_or("at least 1".to_string(), |n| n.to_string());
                return Err(KilnError::value(format!("{} needs {needs} inputs, got {}", describe(id, node), node.inputs.len())));
            }
            if let Some(&bad) = node.inputs.iter().find(|&&i| i >= id) {
                let why = if bad >= self.nodes.len() {
                    format!("the graph has {} nodes", self.nodes.len())
                } else {
                    "which does not come before it (nodes must be in topological order, without cycles)".to_string()
                };
                return Err(KilnError::value(format!("{} reads node {bad}, {why}", describe(id, node))));
            }
            match &node.op {
                Op::Input { index, .. } => match input_seen.get_mut(*index) {
                    Some(seen) if !*seen => *seen = true,
                    Some(_) => return Err(KilnError::value(format!("{}: model input {index} is declared twice", describe(id, node)))),
                    None => return Err(KilnError::value(format!("{}: model input index {index} is out of range: the graph has {} inputs, numbered from 0", describe(id, node), input_seen.len()))),
                },
                Op::Constant { shape, values } => {
                    let expected = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
                    if expected != Some(values.len()) {
                        return Err(KilnError::value(format!(
                            "{}: a constant of shape {} needs {} values, got {}",
                            describe(id, node),
                            shape_str(shape),
                            expected.map_or("too many".to_string(), |n| n.to_string()),
                            values.len()
                        )));
                    }
                }
                // Its final states are written back, so they must be variables (the layer's states).
                Op::Rnn { stateful: true, .. } => {
                    if let Some(&bad) = rnn_state_inputs(node).1.iter().find(|&&t| !matches!(self.nodes[t].op, Op::Variable { .. })) {
                        return Err(KilnError::value(format!("{}: a stateful RNN's states must be variables, but node {bad} is not one", describe(id, node))));
                    }
                }
                _ => {}
            }
        }
        if let Some(&bad) = self.outputs.iter().find(|&&o| o >= self.nodes.len()) {
            return Err(KilnError::value(format!("Graph output {bad} is not a node: the graph has {} nodes", self.nodes.len())));
        }
        Ok(())
    }

    pub fn input_count(&self) -> usize {
        self.nodes.iter().filter(|n| matches!(n.op, Op::Input { .. })).count()
    }

    /// How many nodes read each node (outputs count as a reader).
    pub fn consumer_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.nodes.len()];
        for node in &self.nodes {
            for &i in &node.inputs {
                counts[i] += 1;
            }
        }
        for &o in &self.outputs {
            counts[o] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests;
