//! Nodes whose values are another node's, read in place rather than copied: a reshape (the
//! same values in the same order, always), and in a pass that is not training a dropout or
//! noise layer (the identity there). A pass computes nothing for them; every read of their
//! values goes to the node that holds them. Nothing writes a node's values after its own op
//! has run in a pass, so a reader of the alias sees exactly what a copy would hold.
use super::op::Op;
use super::Graph;

pub struct Aliases {
    /// Per node: the node whose buffer holds its values (itself when it has its own).
    owner: Vec<usize>,
    /// Whether `owner` was worked out for a training pass, where the stochastic layers compute
    /// their own values.
    training: bool,
}

impl Aliases {
    pub fn new(graph: &Graph, training: bool) -> Aliases {
        let mut aliases = Aliases { owner: vec![0; graph.nodes.len()], training };
        aliases.fill(graph);
        aliases
    }

    /// Works the owners out again when the pass's mode changes (a fit's plan also evaluates).
    pub fn set_training(&mut self, graph: &Graph, training: bool) {
        if self.training != training {
            self.training = training;
            self.fill(graph);
        }
    }

    fn fill(&mut self, graph: &Graph) {
        for (id, node) in graph.nodes.iter().enumerate() {
            self.owner[id] = match node.op {
                Op::Reshape { .. } => self.owner[node.inputs[0]],
                Op::Dropout { .. } | Op::GaussianNoise { .. } | Op::GaussianDropout { .. } if !self.training => self.owner[node.inputs[0]],
                _ => id,
            };
        }
    }

    /// The node whose buffer holds node `id`'s values.
    pub fn owner(&self, id: usize) -> usize {
        self.owner[id]
    }

    /// Whether node `id` reads another node's values instead of computing its own.
    pub fn is_alias(&self, id: usize) -> bool {
        self.owner[id] != id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x -> reshape -> dropout -> reshape, and a dense layer's matmul on the last.
    const GRAPH: &str = r#"{"nodes":[
        {"op":"input","index":0,"shape":[null,2,3]},
        {"op":"reshape","shape":[-1,6],"keep_batch":true,"inputs":[0]},
        {"op":"dropout","rate":0.5,"shared_axes":[],"inputs":[1]},
        {"op":"reshape","shape":[-1,3,2],"keep_batch":true,"inputs":[2]},
        {"op":"unary","function":"relu","inputs":[3]}],
      "outputs":[4]}"#;

    #[test]
    fn reshapes_always_and_dropout_outside_training_read_their_input() {
        let graph = Graph::from_json(GRAPH).unwrap();
        let mut aliases = Aliases::new(&graph, true);
        assert_eq!((0..5).map(|i| aliases.owner(i)).collect::<Vec<_>>(), [0, 0, 2, 2, 4]);
        aliases.set_training(&graph, false);
        assert_eq!((0..5).map(|i| aliases.owner(i)).collect::<Vec<_>>(), [0, 0, 0, 0, 4]);
        assert!(aliases.is_alias(3) && !aliases.is_alias(4));
        aliases.set_training(&graph, true);
        assert_eq!(aliases.owner(3), 2);
    }
}
