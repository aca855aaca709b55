//! Batch normalisation folded into the convolution or dense layer before it, at inference.
//!
//! With the moving statistics, a BatchNormalization is an affine map per channel:
//! y = gamma · (x - mean) / sqrt(variance + epsilon) + beta. When x is a convolution's (or a
//! matrix product's) output, plus a bias or not, the map moves into the layer: each output
//! channel's kernel column scaled by s = gamma / sqrt(variance + epsilon), and a new bias
//! (bias - mean) · s + beta. The chain conv → [bias add] → BN → [activation] then runs as the
//! convolution with the folded kernel and the bias + activation applied in place over its
//! output (kernels::bias_activation), or by the kernel itself as it writes it where its route
//! can (kernels::conv_epilogue: depthwise and pointwise), instead of three or four passes over
//! the tensor.
//!
//! Only forward passes that take no gradient use it (Plan::forward_folded: prediction and
//! evaluation); plans are shared with training, so the choice is made per call. The folded
//! weights are computed from the variables once and kept (`refresh`) until a variable they
//! come from changes generation (variable::VariableData: every write lock moves it on).
//! Memory: a folded chain keeps its own copy of the kernel, so folded layers' kernels take
//! twice their size while the engine lives.
use super::op::{output_shape, Op};
use super::transformed_kernels::TransformedKernels;
use super::Graph;
use crate::kernels::binary::BinaryOp;
use crate::kernels::unary::UnaryOp;
use crate::variable::{fresh_generation, Variable};
use std::ops::Deref;

/// Where a chain reads a weight from: a variable (by index), or a constant node (a
/// BatchNormalization without `scale` or `center` has constant ones or zeros).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Variable(usize),
    Constant(usize),
}

/// How a kernel's values map to output channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// The output channel is the last axis: a convolution's [.., filters] (grouped and
    /// depthwise ones too) and a matmul's [k, n].
    LastAxis,
    /// A matmul with transpose_b: [n, k], one row per output channel.
    Rows,
}

/// One foldable chain: layer → [bias add] → batch norm → [activation].
#[derive(Debug, Clone, PartialEq)]
struct Chain {
    /// The convolution or matmul node.
    layer: usize,
    kernel: Source,
    layout: Layout,
    /// The kernel's node when it is a reshape of the variable only the layer reads (a
    /// depthwise kernel regrouped): not run when folded.
    kernel_reshape: Option<usize>,
    bias_add: Option<(usize, Source)>,
    batch_norm: usize,
    /// gamma, beta, moving mean, moving variance.
    statistics: [Source; 4],
    epsilon: f32,
    /// The activation after the batch norm, run in the fused pass; without one the pass adds
    /// the bias alone and writes the batch norm's output.
    activation: Option<(usize, UnaryOp)>,
    /// The relu of a relu then minimum with 6, run as the relu6 of `activation` (the minimum).
    capped_relu: Option<usize>,
    channels: usize,
}

impl Chain {
    /// The node whose value the fused bias + activation pass writes.
    fn last(&self) -> usize {
        self.activation.map_or(self.batch_norm, |(id, _)| id)
    }

    fn sources(&self) -> impl Iterator<Item = Source> + '_ {
        std::iter::once(self.kernel).chain(self.bias_add.map(|(_, b)| b)).chain(self.statistics)
    }
}

/// What a node does in a folded forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs as usual.
    Unchanged,
    /// Its value is not needed: a bias add or batch norm folded away, a reshaped kernel.
    Skipped,
    /// The layer of chain k, run with the folded kernel.
    Layer(usize),
    /// Writes chain k's output: the folded bias added, then the activation.
    Output(usize),
}

/// A chain's folded kernel and bias, and the generations of the variables they came from.
struct Folded {
    kernel: Vec<f32>,
    bias: Vec<f32>,
    generations: Vec<u64>,
    /// The folded kernel's own generation (variable::fresh_generation), new at each fold: what
    /// an inference pass derives from this kernel keys on it.
    key: u64,
}

/// The foldable chains of a graph, found once per engine, and their folded weights; also
/// what else an inference pass derives from the weights keys on: the variables' generations
/// read under that pass's locks (executor: weights packed ahead for the GEMM kernel), and the
/// convolution kernels kept in Winograd's transform domain (shared by the engine's plans).
pub struct InferenceFolds {
    chains: Vec<Chain>,
    roles: Vec<Role>,
    /// Per node: for a grouped convolution whose input is a zero padding of the height and
    /// width that only it reads (MobileNetV2's ZeroPadding2D before each stride-2 depthwise
    /// convolution), that padding node; for the padding, the convolution. The executor then
    /// runs the convolution on the padding's input, the padding's leading rows and columns
    /// added to its own (`padded_input`), where its route clips windows to the input.
    pad_links: Vec<Option<usize>>,
    folded: Vec<Option<Folded>>,
    generations: Vec<u64>,
    pub transformed_kernels: TransformedKernels,
}

impl InferenceFolds {
    /// Finds the chains of `graph` whose intermediate values nobody else reads: each node
    /// folded away has one reader (the next in the chain), is not a graph output and is not
    /// in `read_outside` (nodes the engine reads itself, as a loss's logits).
    pub fn plan(graph: &Graph, variable_shapes: &[Vec<usize>], read_outside: &[usize]) -> InferenceFolds {
        let n = graph.nodes.len();
        let consumers = graph.consumer_counts();
        let private = |id: usize| consumers[id] == 1 && !graph.outputs.contains(&id) && !read_outside.contains(&id);
        let mut readers = vec![Vec::new(); n];
        for (id, node) in graph.nodes.iter().enumerate() {
            for &i in &node.inputs {
                readers[i].push(id);
            }
        }
        let mut chains = Vec::new();
        let mut roles = vec![Role::Unchanged; n];
        for (bn, node) in graph.nodes.iter().enumerate() {
            let Op::BatchNorm { epsilon, .. } = node.op else { continue };
            if let Some(chain) = find_chain(graph, variable_shapes, bn, epsilon, &private, &readers) {
                // A node belongs to one chain at most (always so: each is read once).
                let nodes = [Some(chain.layer), chain.kernel_reshape, chain.bias_add.map(|(a, _)| a), Some(bn), chain.capped_relu, chain.activation.map(|(a, _)| a)];
                if nodes.iter().flatten().any(|&i| roles[i] != Role::Unchanged) {
                    continue;
                }
                let k = chains.len();
                for i in nodes.into_iter().flatten() {
                    roles[i] = Role::Skipped;
                }
                roles[chain.layer] = Role::Layer(k);
                roles[chain.last()] = Role::Output(k);
                chains.push(chain);
            }
        }
        let mut pad_links = vec![None; n];
        for (pad, node) in graph.nodes.iter().enumerate() {
            if let (Some(paddings), [conv]) = (spatial_padding(&node.op), readers[pad].as_slice()) {
                let reader = &graph.nodes[*conv];
                let grouped = matches!(reader.op, Op::Conv2d { groups, .. } if groups > 1);
                if grouped && private(pad) && reader.inputs[0] == pad && reader.inputs[1] != pad && paddings.iter().all(|&p| p >= 0) {
                    pad_links[pad] = Some(*conv);
                    pad_links[*conv] = Some(pad);
                }
            }
        }
        let folded = chains.iter().map(|_| None).collect();
        InferenceFolds { chains, roles, pad_links, folded, generations: Vec::new(), transformed_kernels: TransformedKernels::new(n) }
    }

    /// For a convolution node, the zero padding of its input it may run without (and for
    /// that padding, the convolution); see `pad_links`. The padding's [top, bottom, left, right].
    pub fn pad_link(&self, graph: &Graph, id: usize) -> Option<(usize, [i64; 4])> {
        let other = self.pad_links.get(id).copied().flatten()?;
        let pad = if matches!(graph.nodes[id].op, Op::Pad { .. }) { id } else { other };
        Some((other, spatial_padding(&graph.nodes[pad].op)?))
    }

    /// How many chains fold.
    pub fn len(&self) -> usize {
        self.chains.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chains.is_empty()
    }

    pub fn role(&self, id: usize) -> Role {
        self.roles.get(id).copied().unwrap_or(Role::Unchanged)
    }

    /// Chain k's folded kernel (after `refresh`).
    pub fn kernel(&self, k: usize) -> &[f32] {
        &self.folded[k].as_ref().expect("refreshed before the forward pass").kernel
    }

    /// Chain k's layer node (whose value holds the folded layer's output), its folded bias and
    /// the activation to apply (Linear when the chain ends at the batch norm).
    pub fn output(&self, k: usize) -> (usize, &[f32], UnaryOp) {
        let chain = &self.chains[k];
        let bias = &self.folded[k].as_ref().expect("refreshed before the forward pass").bias;
        (chain.layer, bias, chain.activation.map_or(UnaryOp::Linear, |(_, f)| f))
    }

    /// The generation of chain k's folded kernel (after `refresh`): new each time it is folded.
    pub fn kernel_generation(&self, k: usize) -> u64 {
        self.folded[k].as_ref().expect("refreshed before the forward pass").key
    }

    /// Variable `index`'s generation at the last `refresh`.
    pub fn generation(&self, index: usize) -> Option<u64> {
        self.generations.get(index).copied()
    }

    /// Reads every variable's generation and folds again every chain one of whose variables
    /// has changed since it was folded. `variables` are the engine's, `vars` their buffers,
    /// locked by the caller for the pass that follows (so no write can come between the
    /// generations read here and the values).
    pub fn refresh<V: Deref<Target = Vec<f32>>>(&mut self, graph: &Graph, variables: &[Variable], vars: &[V]) {
        self.generations.clear();
        self.generations.extend(variables.iter().map(|v| v.data.generation()));
        let InferenceFolds { chains, folded, generations: now, .. } = self;
        for (chain, folded) in chains.iter().zip(folded.iter_mut()) {
            let generations = || {
                chain.sources().filter_map(|s| match s {
                    Source::Variable(i) => Some(now[i]),
                    Source::Constant(_) => None,
                })
            };
            // Compared without collecting: a call with nothing to fold allocates nothing.
            if folded.as_ref().is_some_and(|f| f.generations.iter().copied().eq(generations())) {
                continue;
            }
            let generations = generations().collect();
            let read = |s: Source| -> &[f32] {
                match s {
                    Source::Variable(i) => &vars[i],
                    Source::Constant(id) => match &graph.nodes[id].op {
                        Op::Constant { values, .. } => values,
                        _ => unreachable!("a constant source"),
                    },
                }
            };
            let [gamma, beta, mean, variance] = chain.statistics.map(read);
            let bias = chain.bias_add.map(|(_, b)| read(b));
            let (kernel, bias) = fold(read(chain.kernel), chain.layout, chain.channels, bias, gamma, beta, mean, variance, chain.epsilon);
            *folded = Some(Folded { kernel, bias, generations, key: fresh_generation() });
        }
    }
}

/// The folded kernel and bias of one chain: kernel columns scaled by
/// s = gamma / sqrt(variance + epsilon) (1/sqrt computed as kernels::batch_norm does), bias
/// (bias - mean) · s + beta.
#[allow(clippy::too_many_arguments)]
fn fold(kernel: &[f32], layout: Layout, channels: usize, bias: Option<&[f32]>, gamma: &[f32], beta: &[f32], mean: &[f32], variance: &[f32], epsilon: f32) -> (Vec<f32>, Vec<f32>) {
    let scale: Vec<f32> = (0..channels).map(|c| gamma[c] * (1.0 / (variance[c] + epsilon).sqrt())).collect();
    let kernel = match layout {
        Layout::LastAxis => kernel.chunks_exact(channels).flat_map(|row| row.iter().zip(&scale).map(|(k, s)| k * s)).collect(),
        Layout::Rows => {
            let per_row = kernel.len() / channels.max(1);
            kernel.chunks_exact(per_row.max(1)).zip(&scale).flat_map(|(row, &s)| row.iter().map(move |k| k * s)).collect()
        }
    };
    let bias = (0..channels).map(|c| (bias.map_or(0.0, |b| b[c]) - mean[c]) * scale[c] + beta[c]).collect();
    (kernel, bias)
}

/// The chain ending at batch norm node `bn`, if it folds.
fn find_chain(graph: &Graph, variable_shapes: &[Vec<usize>], bn: usize, epsilon: f32, private: &impl Fn(usize) -> bool, readers: &[Vec<usize>]) -> Option<Chain> {
    let nodes = &graph.nodes;
    let bn_node = &nodes[bn];
    // The value before the batch norm: the layer's output, or that plus a bias.
    let mut before = bn_node.inputs[0];
    let shape_of = |id: usize| node_shape(graph, variable_shapes, id);
    let mut bias_add = None;
    if let Op::Binary { function: BinaryOp::Add } = nodes[before].op {
        if !private(before) {
            return None;
        }
        let [a, b] = [nodes[before].inputs[0], nodes[before].inputs[1]];
        // The layer's output and a weight of shape [channels], either way round.
        let (layer, bias) = if is_layer(&nodes[a].op) { (a, b) } else { (b, a) };
        let source = source_of(graph, bias)?;
        bias_add = Some((before, source, shape_of(bias)?));
        before = layer;
    }
    let layer = before;
    if !is_layer(&nodes[layer].op) || !private(layer) {
        return None;
    }
    let kernel_node = nodes[layer].inputs[1];
    let (kernel, kernel_reshape) = match &nodes[kernel_node].op {
        Op::Variable { index } => (Source::Variable(*index), None),
        // A depthwise kernel [kh, kw, channels, multiplier] regrouped as [kh, kw, 1, filters]:
        // the same values in the same order.
        Op::Reshape { .. } => match nodes[nodes[kernel_node].inputs[0]].op {
            Op::Variable { index } => (Source::Variable(index), private(kernel_node).then_some(kernel_node)),
            _ => return None,
        },
        _ => return None,
    };
    let kernel_shape = shape_of(kernel_node)?;
    let (layout, channels) = match nodes[layer].op {
        Op::Matmul { transpose_b: false } if kernel_shape.len() == 2 => (Layout::LastAxis, kernel_shape[1]),
        Op::Matmul { transpose_b: true } if kernel_shape.len() == 2 => (Layout::Rows, kernel_shape[0]),
        Op::Conv2d { .. } if kernel_shape.len() == 4 => (Layout::LastAxis, kernel_shape[3]),
        Op::Conv3d { .. } if kernel_shape.len() == 5 => (Layout::LastAxis, kernel_shape[4]),
        _ => return None,
    };
    if channels == 0 {
        return None;
    }
    let bias_add = match bias_add {
        Some((add, source, shape)) if shape == [channels] => Some((add, source)),
        Some(_) => return None,
        None => None,
    };
    let params = [1, 2, 3, 4].map(|j| bn_node.inputs[j]);
    if params.iter().any(|&p| shape_of(p).as_deref() != Some(&[channels][..])) {
        return None;
    }
    let statistics = [source_of(graph, params[0])?, source_of(graph, params[1])?, source_of(graph, params[2])?, source_of(graph, params[3])?];
    // The activation after it, when the batch norm's output is read by it alone.
    let mut activation = match readers[bn].as_slice() {
        [reader] if private(bn) => match nodes[*reader].op {
            Op::Unary { function } => Some((*reader, function)),
            _ => None,
        },
        _ => None,
    };
    // Keras' ReLU(6.) (MobileNetV2's activation) records a relu, then a minimum with 6: the
    // same values as relu6 (NaN and -0 included), run as one activation.
    let mut capped_relu = None;
    if let Some((relu, UnaryOp::Relu)) = activation {
        if let [minimum] = readers[relu].as_slice() {
            if private(relu) && is_minimum_with_six(graph, *minimum, relu) {
                capped_relu = Some(relu);
                activation = Some((*minimum, UnaryOp::Relu6));
            }
        }
    }
    Some(Chain { layer, kernel, layout, kernel_reshape, bias_add, batch_norm: bn, statistics, epsilon, activation, capped_relu, channels })
}

/// A 4-D zero padding of the height and width only: its [top, bottom, left, right].
fn spatial_padding(op: &Op) -> Option<[i64; 4]> {
    match op {
        Op::Pad { paddings } if paddings.len() == 4 && paddings[0] == [0, 0] && paddings[3] == [0, 0] => Some([paddings[1][0], paddings[1][1], paddings[2][0], paddings[2][1]]),
        _ => None,
    }
}

/// Whether `node` is minimum(x, 6) or minimum(6, x), 6 a one-value constant.
fn is_minimum_with_six(graph: &Graph, node: usize, x: usize) -> bool {
    let n = &graph.nodes[node];
    let Op::Binary { function: BinaryOp::Minimum } = n.op else { return false };
    let other = if n.inputs[0] == x { n.inputs[1] } else { n.inputs[0] };
    other != x && matches!(&graph.nodes[other].op, Op::Constant { values, shape } if values == &[6.0] && shape.len() <= 1)
}

fn is_layer(op: &Op) -> bool {
    matches!(op, Op::Matmul { .. } | Op::Conv2d { .. } | Op::Conv3d { .. })
}

fn source_of(graph: &Graph, id: usize) -> Option<Source> {
    match graph.nodes[id].op {
        Op::Variable { index } => Some(Source::Variable(index)),
        Op::Constant { .. } => Some(Source::Constant(id)),
        _ => None,
    }
}

/// The shape of a weight node: a variable, a constant, or a reshape of a variable.
fn node_shape(graph: &Graph, variable_shapes: &[Vec<usize>], id: usize) -> Option<Vec<usize>> {
    let node = &graph.nodes[id];
    match &node.op {
        Op::Variable { index } => variable_shapes.get(*index).cloned(),
        Op::Constant { shape, .. } => Some(shape.clone()),
        Op::Reshape { keep_batch: false, copy_axes, .. } if copy_axes.is_empty() => {
            let from = node_shape(graph, variable_shapes, node.inputs[0])?;
            output_shape(node, &[&from], 1, variable_shapes).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
