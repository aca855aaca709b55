//! A model as a graph of ops, planned once per batch size and run forward and backward.
mod executor;
mod op;

pub use executor::Plan;
pub use op::{batch_dims, conv_geometry, conv_transpose_geometry, normalize_axis, output_shape, pool_geometry, resampling, rnn_config, Node, Op};

use crate::error::{KilnError, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Graph {
    /// In topological order: a node's inputs come before it.
    pub nodes: Vec<Node>,
    pub outputs: Vec<usize>,
}

impl Graph {
    pub fn from_json(json: &str) -> Result<Graph> {
        let graph: Graph = serde_json::from_str(json).map_err(|e| KilnError::value(format!("Invalid graph description: {e}")))?;
        graph.check()?;
        Ok(graph)
    }

    /// Checks what the ops' planning relies on: each node's input count, inputs that come
    /// before the node, outputs that are nodes. A graph deserialized as part of a larger
    /// description (the engine spec) must be checked too: found by the engine_spec fuzzer, a
    /// node reading a later node indexed past a vector in Engine::new.
    pub fn check(&self) -> Result<()> {
        let graph = self;
        for (id, node) in graph.nodes.iter().enumerate() {
            let fits = match node.op.arity() {
                Some(n) => node.inputs.len() == n,
                None => !node.inputs.is_empty(),
            };
            if !fits {
                let needs = node.op.arity().map_or("at least 1".to_string(), |n| n.to_string());
                return Err(KilnError::value(format!("Graph node {id} ({}) needs {needs} inputs, got {}", node.name, node.inputs.len())));
            }
            if let Some(&bad) = node.inputs.iter().find(|&&i| i >= id) {
                return Err(KilnError::value(format!("Graph node {id} ({}) reads node {bad}, which does not come before it", node.name)));
            }
        }
        // Inputs are batches: their shapes start with the batch axis (planning reads shape[1..]).
        if let Some((id, node)) = graph.nodes.iter().enumerate().find(|(_, n)| matches!(&n.op, Op::Input { shape, .. } if shape.is_empty())) {
            return Err(KilnError::value(format!("Graph node {id} ({}) is an input of rank 0: inputs need at least the batch axis", node.name)));
        }
        if let Some(&bad) = graph.outputs.iter().find(|&&o| o >= graph.nodes.len()) {
            return Err(KilnError::value(format!("Graph output {bad} is not a node")));
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
