//! Ops the executor runs together: an add whose only reader is an elementwise activation runs
//! as one pass each way: a bias add (a Dense or Conv layer's `activation(x · kernel + bias)`,
//! kernels::bias_activation) or the sum of two tensors of one shape (a residual block's
//! `relu(x + shortcut)`, kernels::residual_activation). The add keeps no value of its own
//! (unless the activation's derivative needs it) and no gradient. Where a bias add's input is a
//! matrix product that nothing else reads and the activation's output gives its derivative,
//! the bias and activation run as the product's epilogue, on each block of it while in cache,
//! written straight into the activation's values: the product keeps no values of its own.
use super::op::Op;
use super::Graph;
use crate::kernels::binary::BinaryOp;
use crate::kernels::unary::UnaryOp;

/// What a folded add adds to its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addend {
    /// A bias [channels] along the last axis.
    Bias,
    /// A tensor of the input's shape (a residual connection).
    Tensor,
}

/// An activation node that also computes the add node before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddActivation {
    /// The add node folded into the activation.
    pub add: usize,
    /// What is added to (a matmul or convolution output, or a residual block's branch), and
    /// what is added: a bias [channels] or a tensor of the input's shape, as `kind` says.
    pub input: usize,
    pub addend: usize,
    pub kind: Addend,
    pub function: UnaryOp,
    pub channels: usize,
    /// Whether the add node keeps x + bias for the backward pass (the activation's output
    /// does not give its derivative).
    pub keeps_sum: bool,
    /// Whether `input` is a matmul whose product is written into this node's values with the
    /// bias and activation applied as its epilogue (see the module notes).
    pub in_epilogue: bool,
}

/// For each node, the fusion it runs, if any; `folded` marks the add nodes run by another;
/// `epilogue_of` gives, for a matmul run with an epilogue, the activation node it writes.
pub struct Fusions {
    pub at: Vec<Option<AddActivation>>,
    pub folded: Vec<bool>,
    pub epilogue_of: Vec<Option<usize>>,
}

impl Fusions {
    /// Finds the add + activation pairs of `graph` with these node shapes. An add is folded
    /// only when the activation is its one reader: not an output, and not in `read_outside`
    /// (the nodes the engine reads or seeds itself, as a loss fused with a sigmoid reads its
    /// logits).
    pub fn plan(graph: &Graph, shapes: &[Vec<usize>], read_outside: &[usize]) -> Fusions {
        let n = graph.nodes.len();
        let consumers = graph.consumer_counts();
        let mut at = vec![None; n];
        let mut folded = vec![false; n];
        let mut epilogue_of = vec![None; n];
        for (id, node) in graph.nodes.iter().enumerate() {
            let Op::Unary { function } = node.op else { continue };
            let add = node.inputs[0];
            if consumers[add] != 1 || read_outside.contains(&add) {
                continue;
            }
            let Op::Binary { function: BinaryOp::Add } = graph.nodes[add].op else { continue };
            let [a, b] = [graph.nodes[add].inputs[0], graph.nodes[add].inputs[1]];
            let out = &shapes[add];
            let Some(&channels) = out.last() else { continue };
            // x + y of one shape (no broadcast), or x + bias or bias + x, x of the add's own shape
            // and bias [channels].
            let is_bias = |i: usize| shapes[i] == [channels];
            let (input, addend, kind) = match (shapes[a] == *out, shapes[b] == *out) {
                (true, true) => (a, b, Addend::Tensor),
                (true, _) if is_bias(b) => (a, b, Addend::Bias),
                (_, true) if is_bias(a) => (b, a, Addend::Bias),
                _ => continue,
            };
            if input == addend || channels == 0 {
                continue;
            }
            let keeps_sum = !function.output_gives_derivative();
            let in_epilogue = kind == Addend::Bias && matches!(graph.nodes[input].op, Op::Matmul { .. }) && !keeps_sum && consumers[input] == 1 && !read_outside.contains(&input);
            at[id] = Some(AddActivation { add, input, addend, kind, function, channels, keeps_sum, in_epilogue });
            folded[add] = true;
            if in_epilogue {
                epilogue_of[input] = Some(id);
            }
        }
        Fusions { at, folded, epilogue_of }
    }
}
