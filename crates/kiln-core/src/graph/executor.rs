//! Buffers planned for one batch size, and the forward and backward passes over them.
//! After planning, a step allocates nothing.
use super::aliases::Aliases;
use super::fusion::{Addend, Fusions};
use super::inference_fold::{InferenceFolds, Role};
use super::op::{batch_dims, conv_geometry, conv_transpose_geometry, normalize_axis, output_shape, pool_geometry, resampling, rnn_config, rnn_state_inputs, Op};
use super::Graph;
use crate::alloc;
use crate::error::{KilnError, Result};
use crate::kernels::augment::{self, Images};
use crate::kernels::bias_activation::Epilogue;
use crate::kernels::conv::{Geometry, Groups, KernelOperand};
use crate::kernels::gemm::{self as gemm_kernel, StridedRef};
use crate::kernels::gemm::{gemm, gemm_then, MatRef};
use crate::kernels::gemm_packed::{self, PackedB};
use crate::kernels::reduce::split_at_axis;
use crate::kernels::resample::Resampling;
use crate::kernels::rnn::{self, DropoutMasks, RnnConfig, RnnGrads, RnnScratch, RnnState};
use crate::kernels::{axis, batch_matmul, batch_norm, bias_activation, binary, conv, conv_epilogue, conv_transpose, dropout, noise, permute, pool, reduce, softmax, unary, winograd};
use crate::kernels::{index_map, residual_activation, scan, top_k};
use crate::rng::Rng;
use std::ops::{Deref, DerefMut};

pub struct Plan {
    pub batch: usize,
    pub shapes: Vec<Vec<usize>>,
    /// Node outputs (empty for variables: they are read in place).
    pub values: Vec<Vec<f32>>,
    /// Gradients of nodes that need one (empty otherwise).
    pub grads: Vec<Vec<f32>>,
    /// Per-node memory kept from the forward pass for the backward pass.
    scratch: Vec<Scratch>,
    /// Gradients written whole by their only reader (a matmul, with beta 0) rather than
    /// accumulated: they need no zeroing before each step.
    overwritten: Vec<bool>,
    /// Ops run together (a bias add folded into the activation after it).
    fusions: Fusions,
    /// The first bad input value the last forward pass met (an embedding id outside its
    /// table); the engine turns it into an error before using the results.
    failure: Option<KilnError>,
    /// Per node: its constant weights packed for the GEMM kernel at inference, with the
    /// generation they were packed from, the variable's or the folded kernel's (repacked when
    /// it changes: after a fit step or an assign).
    packed_weights: Vec<Option<(u64, PackedB)>>,
    /// Nodes that read another node's values in place (graph::aliases).
    aliases: Aliases,
    /// Per folded chain, in the inference pass that runs: whether its layer applied the chain's
    /// bias and activation itself (kernels::conv_epilogue), so its output is the chain's.
    epilogue_applied: Vec<bool>,
}

impl Plan {
    /// Plans for `batch` samples whose model inputs have the per-sample shapes `input_dims`
    /// (the lengths of axes the graph leaves unknown; inputs not listed take 1 there).
    /// `read_outside` lists the nodes besides the outputs whose values or gradients the
    /// caller reads or seeds: they are never folded into a fused op.
    pub fn new(graph: &Graph, batch: usize, input_dims: &[Vec<usize>], variable_shapes: &[Vec<usize>], needs_grad: &[bool], read_outside: &[usize]) -> Result<Plan> {
        let mut shapes: Vec<Vec<usize>> = Vec::with_capacity(graph.nodes.len());
        for node in &graph.nodes {
            let shape = match &node.op {
                Op::Input { index, shape } => {
                    let given = input_dims.get(*index);
                    shape.iter().enumerate().map(|(i, d)| d.unwrap_or(if i == 0 { batch } else { given.and_then(|g| g.get(i - 1).copied()).unwrap_or(1) })).collect()
                }
                _ => {
                    let inputs: Vec<&[usize]> = node.inputs.iter().map(|&i| shapes[i].as_slice()).collect();
                    output_shape(node, &inputs, batch, variable_shapes)?
                }
            };
            shapes.push(shape);
        }
        // Every buffer is reserved fallibly: a shape too large for the machine is an error.
        let sizes = shapes.iter().map(|s| alloc::checked_element_count(s)).collect::<Result<Vec<_>>>()?;
        let fusions = Fusions::plan(graph, &shapes, read_outside);
        // A folded add keeps a value only for its activation's derivative, and no gradient.
        let mut no_value = vec![false; graph.nodes.len()];
        for f in fusions.at.iter().flatten() {
            no_value[f.add] = !f.keeps_sum;
            // A product with its bias + activation as epilogue writes the activation's values.
            no_value[f.input] |= f.in_epilogue;
        }
        let size = |i: usize| sizes[i];
        let zeros = |n: usize, i: usize| alloc::zeros(n, &graph.nodes[i].name);
        let values = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| match &n.op {
                Op::Variable { .. } => Ok(Vec::new()),
                Op::Constant { values, .. } => Ok(values.clone()),
                // A reshape reads its input's values in place (graph::aliases).
                Op::Reshape { .. } => Ok(Vec::new()),
                _ if no_value[i] => Ok(Vec::new()),
                _ => zeros(size(i), i),
            })
            .collect::<Result<Vec<_>>>()?;
        let grads = (0..graph.nodes.len()).map(|i| if needs_grad[i] && !fusions.folded[i] { zeros(size(i), i) } else { Ok(Vec::new()) }).collect::<Result<Vec<_>>>()?;
        let scratch = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| -> Result<Scratch> {
                if let Some(f) = fusions.at[i].filter(|f| f.kind == Addend::Bias) {
                    // The bias gradient's partial sums, one row per task.
                    return Ok(Scratch { floats: zeros(bias_activation::tasks(size(i)) * f.channels, i)?, ..Scratch::default() });
                }
                Ok(match &n.op {
                    Op::Dropout { .. } | Op::GaussianDropout { .. } => Scratch { floats: zeros(size(i), i)?, ..Scratch::default() },
                    Op::Augment { augmentation } => Scratch { floats: zeros(augment::params_len(augmentation, shapes[i][0]), i)?, ..Scratch::default() },
                    Op::Conv2dTranspose { .. } | Op::Conv3dTranspose { .. } => {
                        let (g, _) = conv_transpose_geometry(n, &shapes[n.inputs[0]], &shapes[n.inputs[1]])?;
                        Scratch { floats: zeros(alloc::checked_element_count(&[g.batch, g.positions(), g.patch()])?, i)?, ..Scratch::default() }
                    }
                    Op::Pad { .. } | Op::Repeat { .. } | Op::ResizeLinear { .. } => Scratch { resampling: Some(resampling(n, &shapes[n.inputs[0]])?), ..Scratch::default() },
                    Op::Conv2d { .. } | Op::Conv3d { .. } => {
                        let (g, groups) = conv_geometry(n, &shapes[n.inputs[0]], &shapes[n.inputs[1]])?;
                        // The columns stay for the backward pass only when it takes the kernel's gradient.
                        let columns_read_back = needs_grad[n.inputs[1]];
                        let cols = if columns_read_back { groups.columns_len(&g)? } else { conv::unkept_scratch_len(&g, &groups)? };
                        let grad = if needs_grad[n.inputs[0]] { groups.columns_len(&g)? } else { 0 };
                        Scratch { floats: zeros(cols, i)?, floats_grad: zeros(grad, i)?, columns_read_back, ..Scratch::default() }
                    }
                    Op::Pool2d { .. } => Scratch { indices: alloc::filled(size(i), 0, &n.name)?, ..Scratch::default() },
                    Op::BatchNorm { .. } => {
                        let channels = *shapes[n.inputs[0]].last().unwrap_or(&1);
                        Scratch { floats: zeros(size(i), i)?, stats: vec![0.0; 5 * channels], ..Scratch::default() }
                    }
                    Op::Where => {
                        let maps = n.inputs.iter().flat_map(|&j| index_map::broadcast_map(&shapes[j], &shapes[i])).collect();
                        Scratch { indices: maps, ..Scratch::default() }
                    }
                    Op::Tile { repeats } => Scratch { indices: index_map::tile_map(&shapes[n.inputs[0]], repeats), ..Scratch::default() },
                    Op::TopK { .. } => Scratch { indices: vec![0; size(i)], ..Scratch::default() },
                    Op::Rnn { .. } => {
                        let inputs: Vec<&[usize]> = n.inputs.iter().map(|&j| shapes[j].as_slice()).collect();
                        let c = rnn_config(n, &inputs)?;
                        Scratch { rnn: Some((c, RnnState::new(&c), RnnScratch::new(&c))), ..Scratch::default() }
                    }
                    _ => Scratch::default(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let consumers = graph.consumer_counts();
        let mut overwritten = vec![false; graph.nodes.len()];
        for node in &graph.nodes {
            // Kernels that write a whole gradient: both of a matmul's, a convolution's kernel and
            // input (conv.rs fills zeros first where its route only adds), a pooling's input.
            let written: &[usize] = match (&node.op, node.inputs.as_slice()) {
                (Op::Matmul { .. }, [a, b]) if a != b => &node.inputs,
                (Op::Conv2d { .. } | Op::Conv3d { .. }, [x, kernel]) if x != kernel => &node.inputs,
                (Op::Conv2dTranspose { .. } | Op::Conv3dTranspose { .. }, [_, kernel]) => std::slice::from_ref(kernel),
                (Op::Pool2d { .. }, _) => &node.inputs,
                _ => &[],
            };
            for &i in written {
                overwritten[i] = consumers[i] == 1;
            }
        }
        // A fused add + activation writes the gradients of what it adds, when their only reader.
        for f in fusions.at.iter().flatten() {
            for i in [f.input, f.addend] {
                overwritten[i] = consumers[i] == 1;
            }
        }
        let packed_weights = (0..graph.nodes.len()).map(|_| None).collect();
        let aliases = Aliases::new(graph, true);
        Ok(Plan { batch, shapes, values, grads, scratch, overwritten, fusions, failure: None, packed_weights, aliases, epilogue_applied: Vec::new() })
    }

    /// The value of node `id`, reading variables from `vars`.
    pub fn value_of<'a, V: Deref<Target = Vec<f32>>>(&'a self, graph: &Graph, vars: &'a [V], id: usize) -> &'a [f32] {
        self.value_given(graph, vars, &[], id)
    }

    /// The value of node `id` after a pass given the model inputs `inputs` in place (see
    /// `forward_folded`), reading variables from `vars`.
    pub fn value_given<'a, V: Deref<Target = Vec<f32>>>(&'a self, graph: &Graph, vars: &'a [V], inputs: &'a [Option<&'a [f32]>], id: usize) -> &'a [f32] {
        node_value(&self.values, Links { aliases: &self.aliases, inputs }, graph, vars, id)
    }

    /// Node `id`'s values taken out of the plan, without a copy where it aliases another
    /// node's (a reshape): the plan's inputs must be filled again before it runs again. Not
    /// for a variable's values, which the plan does not hold.
    pub fn take_value(&mut self, id: usize) -> Vec<f32> {
        std::mem::take(&mut self.values[self.aliases.owner(id)])
    }

    /// How many nodes hold weights packed ahead for inference (for tests).
    pub fn packed_weight_count(&self) -> usize {
        self.packed_weights.iter().filter(|p| p.is_some()).count()
    }

    /// The add nodes folded into the activation after them.
    pub fn folded_nodes(&self) -> Vec<usize> {
        (0..self.fusions.folded.len()).filter(|&i| self.fusions.folded[i]).collect()
    }

    /// The error the last forward pass recorded, if any (taken, so the plan can run again).
    pub fn take_failure(&mut self) -> Result<()> {
        self.failure.take().map_or(Ok(()), Err)
    }

    /// Runs every node after the inputs (which the caller has filled); a bad input value is
    /// recorded for `take_failure`.
    pub fn forward<V: Deref<Target = Vec<f32>>>(&mut self, graph: &Graph, vars: &[V], training: bool, rng: &mut Rng) {
        self.run_forward(graph, vars, training, &[], None, rng);
    }

    /// The inference forward pass (training off) with the batch norms of `folds` folded into
    /// the layers before them (graph::inference_fold), for a pass no backward pass follows:
    /// the values the chains skip are left as they were. Weights the GEMM kernel reads faster
    /// packed are packed once and reused while their generation in `folds` stays the same;
    /// likewise 3 x 3 kernels in Winograd's transform domain (conv::transformed_winograd_tile,
    /// kept in `folds.transformed_kernels`).
    /// `folds` must be refreshed from the same locked `vars`. `inputs[i]`, where given, holds
    /// model input i's values, read in place instead of the plan's buffer (which the caller
    /// fills for the inputs not given); read the outputs with `value_given` and the same list.
    pub fn forward_folded<V: Deref<Target = Vec<f32>>>(&mut self, graph: &Graph, vars: &[V], inputs: &[Option<&[f32]>], folds: &InferenceFolds, rng: &mut Rng) {
        self.run_forward(graph, vars, false, inputs, Some(folds), rng);
    }

    /// For a depthwise convolution `id` (or the zero padding before it) that `folds` links
    /// (InferenceFolds::pad_link): the padding's input, which the convolution reads instead,
    /// and the convolution's geometry on it: the padding's top rows and left columns added to
    /// the convolution's own, its bottom and right ones left to the depthwise kernel, which
    /// clips every window to the input (the zeros it would read add nothing).
    fn padded_input(&self, graph: &Graph, folds: Option<&InferenceFolds>, id: usize) -> Option<(usize, Geometry, Groups)> {
        let (other, [top, _, left, _]) = folds?.pad_link(graph, id)?;
        let (conv, pad) = if matches!(graph.nodes[id].op, Op::Pad { .. }) { (other, id) } else { (id, other) };
        let node = &graph.nodes[conv];
        let (mut g, groups) = conv_geometry(node, &self.shapes[pad], &self.shapes[node.inputs[1]]).ok()?;
        if !matches!(conv::Route::of(&g, &groups), conv::Route::Depthwise(_)) {
            return None;
        }
        let source = graph.nodes[pad].inputs[0];
        let &[_, h, w, _] = self.shapes[source].as_slice() else { return None };
        (g.in_h, g.in_w) = (h, w);
        g.pad_top += usize::try_from(top).ok()?;
        g.pad_left += usize::try_from(left).ok()?;
        Some((source, g, groups))
    }

    fn run_forward<V: Deref<Target = Vec<f32>>>(&mut self, graph: &Graph, vars: &[V], training: bool, inputs: &[Option<&[f32]>], folds: Option<&InferenceFolds>, rng: &mut Rng) {
        self.aliases.set_training(graph, training);
        let links = Links { aliases: &self.aliases, inputs };
        if let Some(folds) = folds {
            self.epilogue_applied.clear();
            self.epilogue_applied.resize(folds.len(), false);
        }
        for (id, node) in graph.nodes.iter().enumerate() {
            if matches!(node.op, Op::Input { .. } | Op::Variable { .. } | Op::Constant { .. }) || self.fusions.folded[id] {
                continue;
            }
            if links.aliases.is_alias(id) {
                // Its values are its input's (a reshape, or the identity of a dropout or noise
                // layer outside training, whose backward pass is then the identity too).
                self.scratch[id].training_behaviour = false;
                continue;
            }
            let role = folds.map_or(Role::Unchanged, |f| f.role(id));
            if role == Role::Skipped || (matches!(node.op, Op::Pad { .. }) && self.padded_input(graph, folds, id).is_some()) {
                continue;
            }
            let mut out = std::mem::take(&mut self.values[id]);
            if let (Role::Output(k), Some(folds)) = (role, folds) {
                // The folded chain's bias, then its activation, over the folded layer's output.
                let (layer, bias, function) = folds.output(k);
                // In place over the layer's output unless the layer applied them as it wrote
                // it; then its buffer (same shape) becomes the chain's output, with no copy, and
                // the layer overwrites the one it gets back on the next pass.
                if !self.epilogue_applied[k] {
                    bias_activation::forward_in_place(function, bias, &mut self.values[layer]);
                }
                debug_assert_eq!(out.len(), self.values[layer].len());
                std::mem::swap(&mut out, &mut self.values[layer]);
                self.values[id] = out;
                continue;
            }
            // The folded kernel of a chain's layer, in place of the kernel node's value.
            let folded_kernel = match (role, folds) {
                (Role::Layer(k), Some(folds)) => Some(folds.kernel(k)),
                _ => None,
            };
            match node.op {
                Op::RandomNormal { mean, stddev, .. } => out.iter_mut().for_each(|v| *v = rng.normal(mean, stddev)),
                Op::RandomUniform { minval, maxval, .. } => out.iter_mut().for_each(|v| *v = rng.uniform(minval, maxval)),
                _ => {}
            }
            // No values, nothing to compute: kernels looping over the other axes of an empty
            // tensor ([2**32, 0] flipped or concatenated) hung (found by cargo fuzz, op_geometry).
            if node.inputs.is_empty() || (out.is_empty() && self.fusions.epilogue_of[id].is_none()) {
                self.values[id] = out;
                continue;
            }
            if let Some(f) = self.fusions.at[id] {
                if f.in_epilogue {
                    // Computed with its product (the Matmul arm below).
                    self.values[id] = out;
                    continue;
                }
                let mut sum = std::mem::take(&mut self.values[f.add]);
                let [x, addend] = [f.input, f.addend].map(|i| node_value(&self.values, links, graph, vars, i));
                let sum_kept = f.keeps_sum.then_some(sum.as_mut_slice());
                match f.kind {
                    Addend::Bias => bias_activation::forward(f.function, x, addend, sum_kept, &mut out),
                    Addend::Tensor => residual_activation::forward(f.function, x, addend, sum_kept, &mut out),
                }
                self.values[f.add] = sum;
                self.values[id] = out;
                continue;
            }
            // A product with its bias + activation as epilogue writes the activation's values.
            let fused = self.fusions.epilogue_of[id].map(|act| (act, self.fusions.at[act].expect("an epilogue is a planned fusion")));
            let mut fused_values = fused.map(|(act, _)| std::mem::take(&mut self.values[act]));
            let x = node_value(&self.values, links, graph, vars, node.inputs[0]);
            match &node.op {
                Op::Matmul { transpose_b } => {
                    let (a_shape, b_shape) = (&self.shapes[node.inputs[0]], &self.shapes[node.inputs[1]]);
                    let k = *a_shape.last().unwrap();
                    // Rows from the shape: with k = 0 the product is zeros, not empty.
                    let rows = a_shape[..a_shape.len() - 1].iter().product();
                    let b_data = folded_kernel.unwrap_or_else(|| node_value(&self.values, links, graph, vars, node.inputs[1]));
                    let n = if *transpose_b { b_shape[0] } else { b_shape[1] };
                    let mut product = fused_values.take().unwrap_or_else(|| std::mem::take(&mut out));
                    let bias = fused.map(|(_, f)| (f.function, node_value(&self.values, links, graph, vars, f.addend)));
                    let apply = bias.map(|(function, bias)| move |row: &mut [f32], first: usize| bias_activation::forward_in_place_here(function, &bias[first..first + row.len()], row));
                    let epilogue = apply.as_ref().map(|e| e as gemm_kernel::Epilogue);
                    match weight_generation(graph, folds, role, node.inputs[1]).filter(|_| gemm_packed::prepacked_pays(rows, k, n, *transpose_b)) {
                        Some(generation) => {
                            let b = StridedRef::new(b_data, b_shape[0], b_shape[1], b_shape[1]);
                            let packed = packed_weight(&mut self.packed_weights[id], generation, if *transpose_b { b.t() } else { b });
                            gemm_packed::gemm_prepacked(1.0, StridedRef::new(x, rows, k, k), packed, 0.0, &mut product, n, gemm_kernel::splits(rows, k, n));
                            if let (Some(epilogue), true) = (epilogue, n > 0) {
                                product.chunks_exact_mut(n).for_each(|row| epilogue(row, 0));
                            }
                        }
                        None => {
                            let b = MatRef::new(b_data, b_shape[0], b_shape[1]);
                            gemm_then(1.0, MatRef::new(x, rows, k), if *transpose_b { b.t() } else { b }, 0.0, &mut product, epilogue);
                        }
                    }
                    match fused {
                        Some((act, _)) => self.values[act] = product,
                        None => out = product,
                    }
                }
                Op::Unary { function } => unary::forward(*function, x, &mut out),
                Op::Binary { function } => {
                    let y = node_value(&self.values, links, graph, vars, node.inputs[1]);
                    binary::forward(*function, x, &self.shapes[node.inputs[0]], y, &self.shapes[node.inputs[1]], &self.shapes[id], &mut out);
                }
                Op::Softmax => softmax::forward(x, *self.shapes[id].last().unwrap_or(&1), &mut out),
                Op::Dropout { .. } | Op::GaussianNoise { .. } | Op::GaussianDropout { .. } | Op::Augment { .. } => {
                    let active = training
                        && match &node.op {
                            Op::Dropout { rate, .. } | Op::GaussianDropout { rate } => *rate > 0.0,
                            Op::GaussianNoise { stddev } => *stddev > 0.0,
                            _ => true,
                        };
                    let scratch = &mut self.scratch[id];
                    scratch.training_behaviour = active;
                    match &node.op {
                        // An augmentation passes its last input through: x, or the inference form
                        // (RandomCrop's centred resize) when it has one.
                        Op::Augment { .. } if !active => out.copy_from_slice(node_value(&self.values, links, graph, vars, *node.inputs.last().unwrap())),
                        _ if !active => out.copy_from_slice(x),
                        Op::Dropout { rate, shared_axes } => dropout::forward_shared(x, &self.shapes[id], shared_axes, *rate, rng, &mut scratch.floats, &mut out),
                        Op::GaussianNoise { stddev } => noise::add_gaussian(x, *stddev, rng, &mut out),
                        Op::GaussianDropout { rate } => noise::multiply_gaussian(x, *rate, rng, &mut scratch.floats, &mut out),
                        Op::Augment { augmentation } => {
                            let images = Images::from_shape(&self.shapes[node.inputs[0]]);
                            augment::draw(augmentation, images, rng, &mut scratch.floats);
                            augment::forward(augmentation, images, &scratch.floats, x, &mut out);
                        }
                        _ => unreachable!("a stochastic op"),
                    }
                }
                Op::Conv2dTranspose { .. } | Op::Conv3dTranspose { .. } => {
                    let kernel_shape = &self.shapes[node.inputs[1]];
                    let (g, in_channels) = conv_transpose_geometry(node, &self.shapes[node.inputs[0]], kernel_shape).expect("checked when planning");
                    let kernel = node_value(&self.values, links, graph, vars, node.inputs[1]);
                    conv_transpose::forward(&g, x, kernel, in_channels, &mut self.scratch[id].floats, &mut out);
                }
                Op::Transpose { perm } => permute::permute(x, &self.shapes[node.inputs[0]], perm, false, &mut out),
                Op::Pad { .. } | Op::Repeat { .. } | Op::ResizeLinear { .. } => self.scratch[id].resampling.as_ref().expect("planned").forward(x, &mut out),
                Op::BatchMatmul => {
                    let d = batch_dims(node, &self.shapes[node.inputs[0]], &self.shapes[node.inputs[1]]).expect("checked when planning");
                    batch_matmul::forward(d, x, node_value(&self.values, links, graph, vars, node.inputs[1]), &mut out);
                }
                // An alias of its input (graph::aliases): skipped above.
                Op::Reshape { .. } => unreachable!("a reshape reads its input in place"),
                Op::Conv2d { .. } | Op::Conv3d { .. } => {
                    let (g, groups, x) = match self.padded_input(graph, folds, id) {
                        Some((source, g, groups)) => (g, groups, node_value(&self.values, links, graph, vars, source)),
                        None => {
                            let (g, groups) = conv_geometry(node, &self.shapes[node.inputs[0]], &self.shapes[node.inputs[1]]).expect("checked when planning");
                            (g, groups, x)
                        }
                    };
                    let kernel = folded_kernel.unwrap_or_else(|| node_value(&self.values, links, graph, vars, node.inputs[1]));
                    let (rows, patch, cout) = (g.batch * g.positions(), g.patch(), groups.out_channels);
                    let generation = weight_generation(graph, folds, role, node.inputs[1]);
                    // No backward pass reads this pass's columns: the route need not keep them.
                    let unkept = folds.is_some() || !self.scratch[id].columns_read_back;
                    let cols = &mut self.scratch[id].floats;
                    if let (Some(generation), Some(folds), Some(tile)) = (generation, folds, conv::transformed_winograd_tile(&g, &groups)) {
                        let transform = |u: &mut [f32]| winograd::transform_forward_kernel(&g, cout, tile, kernel, u);
                        let len = winograd::transformed_kernel_len(&g, cout, tile);
                        folds.transformed_kernels.with(id, generation, len, transform, |u| conv::forward_transformed(&g, &groups, x, u, cols, &mut out));
                    } else {
                        let packed = generation
                            .filter(|_| conv::takes_packed_kernel(&g, &groups) && gemm_packed::prepacked_pays(rows, patch, cout, false))
                            .map(|generation| packed_weight(&mut self.packed_weights[id], generation, StridedRef::new(kernel, patch, cout, cout)));
                        match (packed, role, folds) {
                            (Some(packed), ..) if unkept => conv::forward_unkept(&g, groups, x, KernelOperand::Packed(packed), cols, &mut out),
                            (Some(packed), ..) => conv::forward_prepacked(&g, &groups, x, packed, cols, &mut out),
                            (None, Role::Layer(k), Some(folds)) if conv_epilogue::fuses(&g, &groups) => {
                                let (_, bias, function) = folds.output(k);
                                conv_epilogue::forward(&g, &groups, x, kernel, Epilogue { bias, function }, &mut out);
                                self.epilogue_applied[k] = true;
                            }
                            (None, ..) if unkept => conv::forward_unkept(&g, groups, x, KernelOperand::Plain(kernel), cols, &mut out),
                            (None, ..) => conv::forward(&g, groups, x, kernel, cols, &mut out),
                        }
                    }
                }
                Op::Pool2d { function, .. } => {
                    let g = pool_geometry(node, &self.shapes[node.inputs[0]]).expect("checked when planning");
                    pool::forward(*function, &g, x, &mut out, &mut self.scratch[id].indices);
                }
                Op::Embedding => {
                    let table = node_value(&self.values, links, graph, vars, node.inputs[1]);
                    let [rows, dim] = [self.shapes[node.inputs[1]][0], self.shapes[node.inputs[1]][1]];
                    // dim 0: no values to copy (chunks of 0 panic; found by cargo fuzz, op_geometry).
                    for (row, &id) in out.chunks_exact_mut(dim.max(1)).zip(x) {
                        match embedding_row(id, rows) {
                            Some(r) => row.copy_from_slice(&table[r * dim..(r + 1) * dim]),
                            None => {
                                row.fill(0.0);
                                // As TensorFlow's gather: an id outside the table is an error, not a zero row.
                                self.failure.get_or_insert_with(|| {
                                    KilnError::value(format!("{}: embedding id {id} is not in [0, {rows}): ids must be whole numbers below the table's inputDim ({rows})", node.name))
                                });
                            }
                        }
                    }
                }
                Op::BatchNorm { epsilon, inference, .. } => {
                    let channels = *self.shapes[id].last().unwrap_or(&1);
                    let [gamma, beta, moving_mean, moving_var] = [1, 2, 3, 4].map(|j| node_value(&self.values, links, graph, vars, node.inputs[j]));
                    let Scratch { floats: xhat, stats, training_behaviour, .. } = &mut self.scratch[id];
                    let (mean, rest) = stats.split_at_mut(channels);
                    let (variance, rest) = rest.split_at_mut(channels);
                    *training_behaviour = training && !inference;
                    if *training_behaviour {
                        batch_norm::forward_train(x, channels, gamma, beta, *epsilon, mean, variance, &mut rest[..channels], xhat, &mut out);
                    } else {
                        batch_norm::forward_infer(x, channels, gamma, beta, moving_mean, moving_var, *epsilon, &mut rest[..channels], xhat, &mut out);
                    }
                }
                Op::Concat { axis } => {
                    let shapes: Vec<&[usize]> = node.inputs.iter().map(|&i| self.shapes[i].as_slice()).collect();
                    let (outer, widths, total) = concat_layout(&shapes, *axis);
                    let mut offset = 0;
                    for (k, &i) in node.inputs.iter().enumerate() {
                        let src = node_value(&self.values, links, graph, vars, i);
                        for o in 0..outer {
                            out[o * total + offset..][..widths[k]].copy_from_slice(&src[o * widths[k]..][..widths[k]]);
                        }
                        offset += widths[k];
                    }
                }
                Op::Rnn { dropout, recurrent_dropout, .. } => {
                    let [k, r, b] = [1, 2, 3].map(|j| node_value(&self.values, links, graph, vars, node.inputs[j]));
                    let (c, state, _) = self.scratch[id].rnn.as_mut().expect("planned");
                    // Fresh masks for each training call, as Keras draws them per batch.
                    match state.dropout.as_mut() {
                        Some(masks) if training => masks.redraw(*dropout, *recurrent_dropout, rng),
                        _ if training && *recurrent_dropout > 0.0 => state.dropout = Some(DropoutMasks::draw(c, *dropout, *recurrent_dropout, rng)),
                        _ => state.dropout = None,
                    }
                    let mask = c.masked.then(|| node_value(&self.values, links, graph, vars, node.inputs[4]));
                    let first_states = rnn_state_inputs(node).0;
                    if !first_states.is_empty() {
                        let first: Vec<&[f32]> = first_states.iter().map(|&j| node_value(&self.values, links, graph, vars, j)).collect();
                        state.set_initial(&first);
                    }
                    rnn::forward(c, x, k, r, b, mask, state, &mut out);
                }
                Op::Slice { axis, begin, size } => axis::slice_forward(x, axis_dims(&self.shapes[node.inputs[0]], *axis), *begin, *size, &mut out),
                Op::Flip { axis } => axis::flip(x, axis_dims(&self.shapes[node.inputs[0]], *axis), &mut out, false),
                Op::Reduce { function, axis, .. } => reduce::forward(*function, x, reduce_dims(&self.shapes[node.inputs[0]], *axis), &mut out),
                Op::Where => {
                    let [x_values, y_values] = [1, 2].map(|j| node_value(&self.values, links, graph, vars, node.inputs[j]));
                    index_map::select(x, x_values, y_values, where_maps(&self.scratch[id].indices), &mut out);
                }
                Op::Tile { .. } => index_map::gather(x, &self.scratch[id].indices, &mut out),
                Op::Cumsum { axis } => scan::cumsum(x, axis_dims(&self.shapes[node.inputs[0]], *axis), &mut out),
                Op::ArgReduce { function, axis } => {
                    let dims = axis_dims(&self.shapes[node.inputs[0]], *axis);
                    let positions = if *function == reduce::ReduceOp::Min { reduce::argmin(x, dims) } else { reduce::argmax(x, dims) };
                    out.iter_mut().zip(positions).for_each(|(o, p)| *o = p as f32);
                }
                Op::TopK { k, indices } => {
                    let row = *self.shapes[node.inputs[0]].last().unwrap_or(&1);
                    let positions = &mut self.scratch[id].indices;
                    if *indices {
                        let mut values = vec![0.0; out.len()];
                        top_k::forward(x, row, *k, &mut values, positions);
                        out.iter_mut().zip(positions.iter()).for_each(|(o, &p)| *o = p as f32);
                    } else {
                        top_k::forward(x, row, *k, &mut out, positions);
                    }
                }
                Op::Input { .. } | Op::Variable { .. } | Op::Constant { .. } | Op::RandomNormal { .. } | Op::RandomUniform { .. } => unreachable!(),
            }
            self.values[id] = out;
        }
    }

    /// After a training step: moves each batch normalisation's moving statistics toward the
    /// batch's (the variables behind its inputs 3 and 4).
    pub fn update_moving_statistics<V: DerefMut<Target = Vec<f32>>>(&self, graph: &Graph, vars: &mut [V]) {
        for (id, node) in graph.nodes.iter().enumerate() {
            let Op::BatchNorm { momentum, .. } = node.op else { continue };
            if !self.scratch[id].training_behaviour {
                continue;
            }
            let channels = *self.shapes[id].last().unwrap_or(&1);
            let stats = &self.scratch[id].stats;
            for (k, batch) in [(3, &stats[..channels]), (4, &stats[channels..2 * channels])] {
                if let Op::Variable { index } = graph.nodes[node.inputs[k]].op {
                    batch_norm::update_moving(&mut vars[index], batch, momentum);
                }
            }
        }
    }

    /// After a forward pass: hands each stateful RNN's final states (h, then c for LSTM) to
    /// `write` with the index of the variable they go to, as Keras assigns its `states` after
    /// every call, in training and inference alike.
    pub fn final_rnn_states(&self, graph: &Graph, mut write: impl FnMut(usize, &[f32])) {
        for (id, node) in graph.nodes.iter().enumerate() {
            let (Op::Rnn { stateful: true, .. }, Some((c, state, _))) = (&node.op, &self.scratch[id].rnn) else { continue };
            let (n, last) = (c.batch * c.units, c.steps * c.batch * c.units);
            for (&target, values) in rnn_state_inputs(node).1.iter().zip([&state.hidden, &state.cells]) {
                if let Op::Variable { index } = graph.nodes[target].op {
                    write(index, &values[last..last + n]);
                }
            }
        }
    }

    pub fn zero_grads(&mut self) {
        for (g, &overwritten) in self.grads.iter_mut().zip(&self.overwritten) {
            if !overwritten {
                g.fill(0.0);
            }
        }
    }

    /// Propagates the gradients the loss seeded, from the last node to the first; nodes in
    /// `skip` had their input gradient written directly (fused losses).
    pub fn backward<V: Deref<Target = Vec<f32>>>(&mut self, graph: &Graph, vars: &[V], needs_grad: &[bool], skip: &[bool]) {
        let links = Links { aliases: &self.aliases, inputs: &[] };
        for id in (0..graph.nodes.len()).rev() {
            let node = &graph.nodes[id];
            if !needs_grad[id] || skip[id] || node.inputs.is_empty() {
                continue;
            }
            // The gradient of no values adds nothing to the inputs' (see forward).
            if self.grads[id].is_empty() {
                continue;
            }
            if let Some(f) = self.fusions.at[id] {
                let dy = std::mem::take(&mut self.grads[id]);
                let [mut dx, mut d_addend] = [f.input, f.addend].map(|i| std::mem::take(&mut self.grads[i]));
                let [dx_wanted, addend_wanted] = [f.input, f.addend].map(|i| needs_grad[i]);
                let sum = f.keeps_sum.then(|| self.values[f.add].as_slice());
                let dx_out = dx_wanted.then_some((dx.as_mut_slice(), self.overwritten[f.input]));
                let d_addend_out = addend_wanted.then_some((d_addend.as_mut_slice(), self.overwritten[f.addend]));
                match f.kind {
                    Addend::Bias => bias_activation::backward(f.function, sum, &self.values[id], &dy, dx_out, d_addend_out, f.channels, &mut self.scratch[id].floats),
                    Addend::Tensor => residual_activation::backward(f.function, sum, &self.values[id], &dy, dx_out, d_addend_out),
                }
                self.grads[f.input] = dx;
                self.grads[f.addend] = d_addend;
                self.grads[id] = dy;
                continue;
            }
            let dy = std::mem::take(&mut self.grads[id]);
            let x_id = node.inputs[0];
            let mut dx = std::mem::take(&mut self.grads[x_id]);
            // The second operand's gradient, taken out too (a scratch buffer for f(x, x)).
            let second = node.inputs.get(1).copied();
            let mut d_second = match second {
                Some(s) if s == x_id => vec![0.0; dx.len()],
                Some(s) => std::mem::take(&mut self.grads[s]),
                None => Vec::new(),
            };
            let x = node_value(&self.values, links, graph, vars, x_id);
            let x_grad = needs_grad[x_id];
            match &node.op {
                Op::Matmul { transpose_b } => {
                    let w_id = node.inputs[1];
                    let dw = &mut d_second;
                    let (a_shape, b_shape) = (&self.shapes[x_id], &self.shapes[w_id]);
                    let k = *a_shape.last().unwrap();
                    let rows = x.len() / k.max(1);
                    let n = dy.len() / rows.max(1);
                    let w = node_value(&self.values, links, graph, vars, w_id);
                    let b = MatRef::new(w, b_shape[0], b_shape[1]);
                    let b = if *transpose_b { b.t() } else { b };
                    let dy_m = MatRef::new(&dy, rows, n);
                    let beta = |i: usize| if self.overwritten[i] { 0.0 } else { 1.0 };
                    if x_grad {
                        gemm(1.0, dy_m, b.t(), beta(x_id), &mut dx); // dA = dY · Bᵀ
                    }
                    if needs_grad[w_id] {
                        let a = MatRef::new(x, rows, k);
                        if *transpose_b {
                            gemm(1.0, dy_m.t(), a, beta(w_id), dw); // d(Bᵀ) = (Aᵀ·dY)ᵀ = dYᵀ·A
                        } else {
                            gemm(1.0, a.t(), dy_m, beta(w_id), dw); // dB = Aᵀ · dY
                        }
                    }
                }
                Op::Unary { function } if x_grad => unary::backward(*function, x, &self.values[id], &dy, &mut dx),
                Op::Binary { function } => {
                    let y_id = node.inputs[1];
                    let y = node_value(&self.values, links, graph, vars, y_id);
                    binary::backward(
                        *function,
                        x,
                        &self.shapes[x_id],
                        y,
                        &self.shapes[y_id],
                        &self.shapes[id],
                        &dy,
                        if x_grad { Some(&mut dx) } else { None },
                        if needs_grad[y_id] { Some(&mut d_second) } else { None },
                    );
                }
                Op::Softmax if x_grad => softmax::backward(&self.values[id], &dy, *self.shapes[id].last().unwrap_or(&1), &mut dx),
                // At inference an augmentation's gradient flows to what passed through (its last input).
                Op::Augment { .. } if !self.scratch[id].training_behaviour => match second {
                    Some(s) if needs_grad[s] => d_second.iter_mut().zip(&dy).for_each(|(d, g)| *d += g),
                    Some(_) => {}
                    None if x_grad => dx.iter_mut().zip(&dy).for_each(|(d, g)| *d += g),
                    None => {}
                },
                // Where the forward pass was the identity (inference, a rate of 0), so is this.
                Op::Dropout { .. } | Op::GaussianDropout { .. } | Op::GaussianNoise { .. } if x_grad && !self.scratch[id].training_behaviour => dx.iter_mut().zip(&dy).for_each(|(d, g)| *d += g),
                Op::Dropout { .. } | Op::GaussianDropout { .. } if x_grad => dropout::backward(&self.scratch[id].floats, &dy, &mut dx),
                Op::GaussianNoise { .. } if x_grad => dx.iter_mut().zip(&dy).for_each(|(d, g)| *d += g),
                Op::Augment { augmentation } if x_grad => augment::backward(augmentation, Images::from_shape(&self.shapes[x_id]), &self.scratch[id].floats, x, &self.values[id], &dy, &mut dx),
                Op::Conv2dTranspose { .. } | Op::Conv3dTranspose { .. } => {
                    let k_id = node.inputs[1];
                    let (g, in_channels) = conv_transpose_geometry(node, &self.shapes[x_id], &self.shapes[k_id]).expect("checked when planning");
                    let kernel = node_value(&self.values, links, graph, vars, k_id);
                    conv_transpose::backward(
                        &g,
                        x,
                        kernel,
                        in_channels,
                        &dy,
                        &mut self.scratch[id].floats,
                        needs_grad[k_id].then_some((d_second.as_mut_slice(), self.overwritten[k_id])),
                        x_grad.then_some(dx.as_mut_slice()),
                    );
                }
                Op::Transpose { perm } if x_grad => permute::permute(&dy, &self.shapes[id], &permute::inverse(perm), true, &mut dx),
                Op::Pad { .. } | Op::Repeat { .. } | Op::ResizeLinear { .. } if x_grad => self.scratch[id].resampling.as_ref().expect("planned").backward(&dy, &mut dx),
                Op::BatchMatmul => {
                    let y_id = node.inputs[1];
                    let d = batch_dims(node, &self.shapes[x_id], &self.shapes[y_id]).expect("checked when planning");
                    let y = node_value(&self.values, links, graph, vars, y_id);
                    batch_matmul::backward(d, x, y, &dy, x_grad.then_some(dx.as_mut_slice()), needs_grad[y_id].then_some(d_second.as_mut_slice()));
                }
                Op::Reshape { .. } if x_grad => dx.iter_mut().zip(&dy).for_each(|(d, g)| *d += g),
                Op::Conv2d { .. } | Op::Conv3d { .. } => {
                    let k_id = node.inputs[1];
                    let (g, groups) = conv_geometry(node, &self.shapes[x_id], &self.shapes[k_id]).expect("checked when planning");
                    let kernel = node_value(&self.values, links, graph, vars, k_id);
                    let Scratch { floats: cols, floats_grad: dcols, .. } = &mut self.scratch[id];
                    conv::backward(
                        &g,
                        groups,
                        x,
                        cols,
                        kernel,
                        &dy,
                        needs_grad[k_id].then_some((d_second.as_mut_slice(), self.overwritten[k_id])),
                        if x_grad { Some((dx.as_mut_slice(), dcols.as_mut_slice(), self.overwritten[x_id])) } else { None },
                    );
                }
                Op::Rnn { .. } => {
                    // The kernel's gradient is `d_second`; take the recurrent kernel's and the bias's too.
                    let (r_id, b_id) = (node.inputs[2], node.inputs[3]);
                    let (mut d_recurrent, mut d_bias) = (std::mem::take(&mut self.grads[r_id]), std::mem::take(&mut self.grads[b_id]));
                    let [k, r] = [1, 2].map(|j| node_value(&self.values, links, graph, vars, node.inputs[j]));
                    let (c, state, scratch) = self.scratch[id].rnn.as_mut().expect("planned");
                    let mask = c.masked.then(|| node_value(&self.values, links, graph, vars, node.inputs[4]));
                    let grads = RnnGrads {
                        dx: x_grad.then_some(dx.as_mut_slice()),
                        dkernel: needs_grad[node.inputs[1]].then_some(d_second.as_mut_slice()),
                        drecurrent: needs_grad[r_id].then_some(d_recurrent.as_mut_slice()),
                        dbias: needs_grad[b_id].then_some(d_bias.as_mut_slice()),
                    };
                    rnn::backward(c, x, k, r, mask, state, scratch, &dy, grads);
                    self.grads[r_id] = d_recurrent;
                    self.grads[b_id] = d_bias;
                    // Given first states get what reached h_0 (and c_0).
                    let first_states = rnn_state_inputs(node).0;
                    for (&s_id, g) in first_states.iter().zip(scratch.initial_state_grads()) {
                        if needs_grad[s_id] {
                            self.grads[s_id].iter_mut().zip(g).for_each(|(d, v)| *d += v);
                        }
                    }
                }
                // Ids get no gradient; the table's rows add up the gradients of their uses.
                Op::Embedding if needs_grad[node.inputs[1]] => {
                    let [rows, dim] = [self.shapes[node.inputs[1]][0], self.shapes[node.inputs[1]][1]];
                    for (g, &id) in dy.chunks_exact(dim).zip(x) {
                        if let Some(r) = embedding_row(id, rows) {
                            d_second[r * dim..(r + 1) * dim].iter_mut().zip(g).for_each(|(d, v)| *d += v);
                        }
                    }
                }
                Op::BatchNorm { .. } => {
                    // gamma's gradient is `d_second`; beta's is taken out here.
                    let channels = *self.shapes[id].last().unwrap_or(&1);
                    let beta_id = node.inputs[2];
                    let mut d_beta = std::mem::take(&mut self.grads[beta_id]);
                    let gamma = node_value(&self.values, links, graph, vars, node.inputs[1]);
                    let Scratch { floats: xhat, stats, training_behaviour, .. } = &mut self.scratch[id];
                    let (inv_std_and_sums, _) = stats[2 * channels..].split_at_mut(3 * channels);
                    let (inv_std, sums) = inv_std_and_sums.split_at_mut(channels);
                    let backward = if *training_behaviour { batch_norm::backward } else { batch_norm::backward_fixed };
                    backward(
                        &dy,
                        xhat,
                        inv_std,
                        gamma,
                        channels,
                        sums,
                        x_grad.then_some(dx.as_mut_slice()),
                        needs_grad[node.inputs[1]].then_some(d_second.as_mut_slice()),
                        needs_grad[beta_id].then_some(d_beta.as_mut_slice()),
                    );
                    self.grads[beta_id] = d_beta;
                }
                Op::Concat { axis } => {
                    let shapes: Vec<&[usize]> = node.inputs.iter().map(|&i| self.shapes[i].as_slice()).collect();
                    let (outer, widths, total) = concat_layout(&shapes, *axis);
                    let mut offset = 0;
                    for (k, &i) in node.inputs.iter().enumerate() {
                        if needs_grad[i] {
                            // Inputs 0 and 1 are out already (as dx and d_second); others come out here.
                            let (first, second) = (node.inputs[0], node.inputs[1.min(node.inputs.len() - 1)]);
                            let mut other = Vec::new();
                            let grad: &mut [f32] = if i == first {
                                &mut dx
                            } else if i == second {
                                &mut d_second
                            } else {
                                other = std::mem::take(&mut self.grads[i]);
                                &mut other
                            };
                            for o in 0..outer {
                                grad[o * widths[k]..][..widths[k]].iter_mut().zip(&dy[o * total + offset..][..widths[k]]).for_each(|(d, g)| *d += g);
                            }
                            if i != first && i != second {
                                self.grads[i] = other;
                            }
                        }
                        offset += widths[k];
                    }
                }
                Op::Slice { axis, begin, size } if x_grad => axis::slice_backward(&dy, axis_dims(&self.shapes[x_id], *axis), *begin, *size, &mut dx),
                Op::Flip { axis } if x_grad => axis::flip(&dy, axis_dims(&self.shapes[x_id], *axis), &mut dx, true),
                Op::Pool2d { function, .. } if x_grad => {
                    let g = pool_geometry(node, &self.shapes[x_id]).expect("checked when planning");
                    pool::backward_into(*function, &g, &dy, &self.scratch[id].indices, &mut dx, self.overwritten[x_id]);
                }
                Op::Reduce { function, axis, .. } if x_grad => reduce::backward(*function, x, reduce_dims(&self.shapes[x_id], *axis), &self.values[id], &dy, &mut dx),
                Op::Where => {
                    // The condition gets no gradient: `x` holds it; the values are inputs 1 and 2,
                    // and y may also be x or the condition, whose gradients are already out.
                    let y_id = node.inputs[2];
                    let shared = y_id == node.inputs[1] || y_id == x_id;
                    let mut d_y = if shared { vec![0.0; if needs_grad[y_id] { self.shapes[y_id].iter().product() } else { 0 }] } else { std::mem::take(&mut self.grads[y_id]) };
                    index_map::select_backward(
                        x,
                        where_maps(&self.scratch[id].indices),
                        &dy,
                        needs_grad[node.inputs[1]].then_some(d_second.as_mut_slice()),
                        needs_grad[y_id].then_some(d_y.as_mut_slice()),
                    );
                    if y_id == node.inputs[1] {
                        d_second.iter_mut().zip(&d_y).for_each(|(d, g)| *d += g);
                    } else if y_id == x_id {
                        dx.iter_mut().zip(&d_y).for_each(|(d, g)| *d += g);
                    } else {
                        self.grads[y_id] = d_y;
                    }
                }
                Op::Tile { .. } if x_grad => index_map::scatter_add(&dy, &self.scratch[id].indices, &mut dx),
                Op::Cumsum { axis } if x_grad => scan::cumsum_backward(&dy, axis_dims(&self.shapes[x_id], *axis), &mut dx),
                Op::TopK { k, indices: false } if x_grad => top_k::backward(&dy, &self.scratch[id].indices, *self.shapes[x_id].last().unwrap_or(&1), *k, &mut dx),
                _ => {}
            }
            match second {
                Some(s) if s == x_id => dx.iter_mut().zip(&d_second).for_each(|(d, g)| *d += g),
                Some(s) => self.grads[s] = d_second,
                None => {}
            }
            self.grads[x_id] = dx;
            self.grads[id] = dy;
        }
    }
}

/// Working memory of one node: dropout masks, im2col columns and their gradient, max-pool
/// argmax indices, a recurrent layer's states.
#[derive(Default)]
struct Scratch {
    floats: Vec<f32>,
    floats_grad: Vec<f32>,
    indices: Vec<u32>,
    rnn: Option<(RnnConfig, RnnState, RnnScratch)>,
    /// Padding, repetition or interpolation taps, planned once.
    resampling: Option<Resampling>,
    /// Batch normalisation: batch mean, variance, 1/std, and two sums for backward (per channel).
    stats: Vec<f32>,
    /// Whether the last forward pass behaved as in training (dropout masks, noise and
    /// augmentations drawn; batch normalisation with the batch's statistics) rather than as
    /// the identity (or an augmentation's inference form) or with the moving statistics: the
    /// backward pass (and the moving-average update) must follow what the forward pass did.
    training_behaviour: bool,
    /// A convolution whose backward pass reads the columns its forward pass made (it takes
    /// the kernel's gradient): `floats` holds them whole.
    columns_read_back: bool,
}

/// A Where node's three broadcast maps (condition, x, y), planned as one list.
fn where_maps(maps: &[u32]) -> [&[u32]; 3] {
    let n = maps.len() / 3;
    [&maps[..n], &maps[n..2 * n], &maps[2 * n..]]
}

/// The table row of an id given as a float, if it is a whole number inside the table.
fn embedding_row(id: f32, rows: usize) -> Option<usize> {
    (id >= 0.0 && id.fract() == 0.0 && (id as usize) < rows).then_some(id as usize)
}

/// A concatenation as [outer, width_k]: rows before the axis, each input's row width, and
/// the output's row width (their sum).
fn concat_layout(shapes: &[&[usize]], axis: i64) -> (usize, Vec<usize>, usize) {
    let a = normalize_axis(axis, shapes[0].len(), "concat").expect("checked when planning");
    let outer = shapes[0][..a].iter().product();
    let widths: Vec<usize> = shapes.iter().map(|s| s[a..].iter().product()).collect();
    let total = widths.iter().sum();
    (outer, widths, total)
}

/// The generation of the weights a layer in `role` reads from node `input`, where the pass may
/// use what it derived from them before (packed, transformed): at inference (`folds`
/// refreshed under this pass's locks), for a variable or for the layer's batch-norm-folded
/// kernel (whose own generation is new at each fold).
fn weight_generation(graph: &Graph, folds: Option<&InferenceFolds>, role: Role, input: usize) -> Option<u64> {
    let folds = folds?;
    match (role, &graph.nodes[input].op) {
        (Role::Layer(k), _) => Some(folds.kernel_generation(k)),
        (_, Op::Variable { index }) => folds.generation(*index),
        _ => None,
    }
}

/// `b` packed, from `slot` while it holds the same generation, else packed now and kept.
fn packed_weight<'a>(slot: &'a mut Option<(u64, PackedB)>, generation: u64, b: StridedRef) -> &'a PackedB {
    if !matches!(slot, Some((g, _)) if *g == generation) {
        *slot = Some((generation, PackedB::new(b)));
    }
    &slot.as_ref().expect("just filled").1
}

/// Where a pass reads values that are not in a node's own buffer: the node an alias reads,
/// and the model inputs the caller gave in place.
#[derive(Clone, Copy)]
struct Links<'a> {
    aliases: &'a Aliases,
    /// Per model input: its values in place, or None to read the plan's buffer.
    inputs: &'a [Option<&'a [f32]>],
}

fn node_value<'a, V: Deref<Target = Vec<f32>>>(values: &'a [Vec<f32>], links: Links<'a>, graph: &Graph, vars: &'a [V], id: usize) -> &'a [f32] {
    let id = links.aliases.owner(id);
    match graph.nodes[id].op {
        Op::Variable { index } => &vars[index],
        Op::Input { index, .. } => links.inputs.get(index).copied().flatten().unwrap_or(&values[id]),
        _ => &values[id],
    }
}

/// The [outer, axis, inner] view of a shape around `axis`.
fn axis_dims(shape: &[usize], axis: i64) -> (usize, usize, usize) {
    split_at_axis(shape, normalize_axis(axis, shape.len(), "axis").expect("axis checked when planning"))
}

/// The [outer, axis, inner] view of a reduction; no axis reduces everything.
fn reduce_dims(shape: &[usize], axis: Option<i64>) -> (usize, usize, usize) {
    match axis {
        None => (1, shape.iter().product(), 1),
        Some(a) => split_at_axis(shape, normalize_axis(a, shape.len(), "reduce").expect("axis checked when planning")),
    }
}
