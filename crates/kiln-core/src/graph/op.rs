//! The ops a graph is made of, as the TypeScript side describes them, and their output shapes.
use crate::error::{shape_str, KilnError, Result};
use crate::kernels::augment::Augmentation;
use crate::kernels::batch_matmul::BatchDims;
use crate::kernels::binary::{broadcast_shape, BinaryOp};
use crate::kernels::conv::{Geometry, Groups, Padding};
use crate::kernels::pool::PoolOp;
use crate::kernels::reduce::ReduceOp;
use crate::kernels::resample::Resampling;
use crate::kernels::rnn::{Cell, RnnConfig};
use crate::kernels::unary::UnaryOp;
use crate::kernels::{conv_transpose, permute};
use crate::tensor::resolve_reshape;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Model input `index`; `shape` includes the batch axis as null.
    Input {
        index: usize,
        shape: Vec<Option<usize>>,
    },
    /// Weight `index` in the variable list handed to the engine.
    Variable {
        index: usize,
    },
    Constant {
        shape: Vec<usize>,
        values: Vec<f32>,
    },
    /// [.., k] x [k, n] -> [.., n]
    Matmul {
        transpose_b: bool,
    },
    Unary {
        function: UnaryOp,
    },
    Binary {
        function: BinaryOp,
    },
    /// Over the last axis.
    Softmax,
    /// The mask is shared along `shared_axes` (SpatialDropout2D drops whole channels).
    Dropout {
        rate: f32,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        shared_axes: Vec<usize>,
    },
    /// With `keep_batch`, `shape` is per sample; -1 marks the one inferred dimension. Each
    /// `[output axis, input axis]` in `copy_axes` takes that axis' length from the input when
    /// planned (axes unknown when the graph was recorded, as in expand_dims and squeeze).
    Reshape {
        #[cfg_attr(feature = "ts", ts(as = "Vec<i32>"))]
        shape: Vec<i64>,
        keep_batch: bool,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        copy_axes: Vec<[usize; 2]>,
    },
    /// `axis` None reduces everything to a scalar.
    Reduce {
        function: ReduceOp,
        #[cfg_attr(feature = "ts", ts(as = "Option<i32>"))]
        axis: Option<i64>,
        keep_dims: bool,
    },
    /// x [batch, h, w, cin] * kernel [kh, kw, cin / groups, cout], channels last; `groups`
    /// splits the channels into independent convolutions (depthwise when groups = cin).
    Conv2d {
        strides: [usize; 2],
        padding: Padding,
        dilation: [usize; 2],
        #[serde(default = "one_group")]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        groups: usize,
    },
    /// Transposed convolution, x [batch, h, w, cin] with kernel [kh, kw, filters, cin].
    Conv2dTranspose {
        strides: [usize; 2],
        padding: Padding,
        output_padding: Option<[usize; 2]>,
        dilation: [usize; 2],
    },
    /// Conv2d's 3-D form: x [batch, d, h, w, cin] * kernel [kd, kh, kw, cin / groups, cout].
    Conv3d {
        strides: [usize; 3],
        padding: Padding,
        dilation: [usize; 3],
        #[serde(default = "one_group")]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        groups: usize,
    },
    /// Conv2dTranspose's 3-D form: x [batch, d, h, w, cin], kernel [kd, kh, kw, filters, cin].
    Conv3dTranspose {
        strides: [usize; 3],
        padding: Padding,
        output_padding: Option<[usize; 3]>,
        dilation: [usize; 3],
    },
    /// Axes reordered, batch axis included (numpy's transpose).
    Transpose {
        perm: Vec<usize>,
    },
    /// Zeros added before and after each axis; negative amounts crop.
    Pad {
        #[cfg_attr(feature = "ts", ts(as = "Vec<[i32; 2]>"))]
        paddings: Vec<[i64; 2]>,
    },
    /// Each index of axis a repeated `repeats[a]` times (nearest upsampling, RepeatVector).
    Repeat {
        repeats: Vec<usize>,
    },
    /// Each axis enlarged `factors[a]` times by linear interpolation (bilinear upsampling).
    ResizeLinear {
        factors: Vec<usize>,
    },
    /// Training only: x + N(0, stddev²).
    GaussianNoise {
        stddev: f32,
    },
    /// Training only: x · N(1, rate / (1 - rate)).
    GaussianDropout {
        rate: f32,
    },
    /// [..batch, m, k] x [..batch, k, n] -> [..batch, m, n], the same leading axes on both.
    BatchMatmul,
    /// Max or average over `pool` windows, channels last.
    Pool2d {
        function: PoolOp,
        pool: [usize; 2],
        strides: [usize; 2],
        padding: Padding,
    },
    /// A recurrent layer over x [batch, steps, features] with inputs (x, kernel,
    /// recurrent_kernel, bias), then when `masked` a mask [batch, steps], then with
    /// `initial_state` the first states (h, and c for LSTM: [batch, units] each), then when
    /// `stateful` the layer's state variables (Keras' `stateful=True`): the run starts from
    /// them unless first states are given, and its final states are written back into them
    /// (Plan::final_rnn_states). With `return_state` the output is [batch, output values +
    /// state values] per sample (see kernels::rnn).
    Rnn {
        cell: Cell,
        units: usize,
        activation: UnaryOp,
        recurrent_activation: UnaryOp,
        return_sequences: bool,
        go_backwards: bool,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        masked: bool,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        return_state: bool,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        zero_output_for_mask: bool,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        initial_state: bool,
        /// Keras' `recurrent_dropout`: while training, per-gate masks on h_{t-1}, and on the
        /// inputs when `dropout` > 0 too (see kernels::rnn). Without it the layer applies its
        /// `dropout` before this op.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        dropout: f32,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        recurrent_dropout: f32,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        stateful: bool,
    },
    /// `size` entries of `axis` from `begin`.
    Slice {
        #[cfg_attr(feature = "ts", ts(as = "i32"))]
        axis: i64,
        begin: usize,
        size: usize,
    },
    /// Reverses the order along `axis`.
    Flip {
        #[cfg_attr(feature = "ts", ts(as = "i32"))]
        axis: i64,
    },
    /// Joins its inputs (one or more) along `axis`.
    Concat {
        #[cfg_attr(feature = "ts", ts(as = "i32"))]
        axis: i64,
    },
    /// Rows of a table [vocabulary, dim] picked by integer ids: (ids, table) -> [..ids, dim].
    /// Ids outside the table give zero rows.
    Embedding,
    /// Batch normalisation over the last axis, with inputs (x, gamma, beta, moving_mean,
    /// moving_variance); the engine updates the moving statistics after each training step.
    /// With `inference` (Keras' layer that is not trainable) it normalises with the moving
    /// statistics in training too and leaves them as they are.
    BatchNorm {
        epsilon: f32,
        momentum: f32,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        inference: bool,
    },

    // Ops for custom layers (kiln.ops): selection, tiling, scans, ranking, sampling.
    /// (condition, x, y) broadcast together: x where the condition is non-zero, else y.
    Where,
    /// The input repeated `repeats[a]` times along each axis as whole copies (numpy's tile).
    Tile {
        repeats: Vec<usize>,
    },
    /// Running sum along `axis`.
    Cumsum {
        #[cfg_attr(feature = "ts", ts(as = "i32"))]
        axis: i64,
    },
    /// Position of the largest (`max`) or smallest (`min`) entry along `axis`, as float32;
    /// no gradient.
    ArgReduce {
        function: ReduceOp,
        #[cfg_attr(feature = "ts", ts(as = "i32"))]
        axis: i64,
    },
    /// The `k` largest entries of the last axis, largest first: their values, or with `indices`
    /// their positions (as float32, no gradient).
    TopK {
        k: usize,
        indices: bool,
    },
    /// Fresh N(mean, stddev²) samples at each run; a null first axis takes the batch size.
    RandomNormal {
        shape: Vec<Option<usize>>,
        mean: f32,
        stddev: f32,
    },
    /// Fresh U[minval, maxval) samples at each run; a null first axis takes the batch size.
    RandomUniform {
        shape: Vec<Option<usize>>,
        minval: f32,
        maxval: f32,
    },

    /// Image augmentation (Keras' Random* layers) on [batch, h, w, c], in training only: the
    /// identity at inference, or the optional second input's value there (a crop's inference
    /// output, computed by other ops). Parameters are drawn from the engine's generator.
    Augment {
        augmentation: Augmentation,
    },
}

fn one_group() -> usize {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Node {
    #[serde(flatten)]
    pub op: Op,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub inputs: Vec<usize>,
    /// The layer or op that made the node, for messages.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub name: String,
}

impl Op {
    /// How many inputs the op takes; None for any number from one.
    pub fn arity(&self) -> Option<usize> {
        Some(match self {
            Op::Input { .. } | Op::Variable { .. } | Op::Constant { .. } => 0,
            Op::RandomNormal { .. } | Op::RandomUniform { .. } => 0,
            Op::Where => 3,
            Op::Matmul { .. } | Op::Binary { .. } | Op::Conv2d { .. } | Op::Embedding => 2,
            Op::Conv2dTranspose { .. } | Op::BatchMatmul => 2,
            Op::Conv3d { .. } | Op::Conv3dTranspose { .. } => 2,
            Op::Rnn { cell, masked, initial_state, stateful, .. } => 4 + usize::from(*masked) + cell.state_count() * (usize::from(*initial_state) + usize::from(*stateful)),
            Op::BatchNorm { .. } => 5,
            // A crop changes the shape, so it comes with its inference form (the centred resize).
            Op::Augment { augmentation: Augmentation::Crop { .. } } => 2,
            Op::Concat { .. } => return None,
            _ => 1,
        })
    }
}

/// Resolves a possibly negative axis against a rank.
pub fn normalize_axis(axis: i64, rank: usize, name: &str) -> Result<usize> {
    let r = rank as i64;
    if axis < -r || axis >= r {
        return Err(KilnError::value(format!("{name}: axis {axis} is out of range for a tensor of rank {rank}")));
    }
    Ok(if axis < 0 { (axis + r) as usize } else { axis as usize })
}

fn to_reshape_target(shape: &[i64]) -> Vec<Option<usize>> {
    shape.iter().map(|&d| if d < 0 { None } else { Some(d as usize) }).collect()
}

/// The output shape of `node` given its inputs' shapes, for a batch of `batch` samples.
pub fn output_shape(node: &Node, inputs: &[&[usize]], batch: usize, variable_shapes: &[Vec<usize>]) -> Result<Vec<usize>> {
    let name = &node.name;
    Ok(match &node.op {
        Op::Input { shape, .. } => shape.iter().enumerate().map(|(i, d)| d.unwrap_or(if i == 0 { batch } else { 0 })).collect(),
        Op::Variable { index } => variable_shapes.get(*index).cloned().ok_or_else(|| KilnError::value(format!("{name}: variable {index} was not given to the engine")))?,
        Op::Constant { shape, .. } => shape.clone(),
        Op::Matmul { transpose_b } => {
            let (a, b) = (inputs[0], inputs[1]);
            if a.is_empty() || b.len() != 2 {
                return Err(KilnError::shape(format!("{name}: matmul needs a tensor of rank >= 1 and a matrix, got {} and {}", shape_str(a), shape_str(b))));
            }
            let (k, n) = if *transpose_b { (b[1], b[0]) } else { (b[0], b[1]) };
            if a[a.len() - 1] != k {
                return Err(KilnError::shape(format!("{name}: matmul inner dimensions differ: {} x {}", shape_str(a), shape_str(b))));
            }
            let mut out = a.to_vec();
            *out.last_mut().unwrap() = n;
            out
        }
        Op::Binary { .. } => broadcast_shape(inputs[0], inputs[1]).map_err(|e| KilnError::shape(format!("{name}: {}", e.message)))?,
        Op::Unary { .. } | Op::Softmax | Op::Dropout { .. } => inputs[0].to_vec(),
        Op::GaussianNoise { .. } | Op::GaussianDropout { .. } => inputs[0].to_vec(),
        Op::Augment { augmentation } => {
            if inputs[0].len() != 4 {
                return Err(KilnError::shape(format!("{name}: image augmentation expects images [batch, height, width, channels], got {}", shape_str(inputs[0]))));
            }
            let out = crate::kernels::augment::output_shape(augmentation, inputs[0]);
            if let Some(at_inference) = inputs.get(1) {
                if *at_inference != out.as_slice() {
                    return Err(KilnError::shape(format!("{name}: the inference value must have the augmented shape {}, got {}", shape_str(&out), shape_str(at_inference))));
                }
            }
            out
        }
        Op::Conv2dTranspose { .. } | Op::Conv3dTranspose { .. } => {
            let (g, _) = conv_transpose_geometry(node, inputs[0], inputs[1])?;
            let depth = matches!(node.op, Op::Conv3dTranspose { .. }).then_some(g.depth.input);
            [g.batch].into_iter().chain(depth).chain([g.in_h, g.in_w, g.channels]).collect()
        }
        Op::Transpose { perm } => {
            let mut sorted = perm.clone();
            sorted.sort_unstable();
            if sorted != (0..inputs[0].len()).collect::<Vec<_>>() {
                return Err(KilnError::value(format!("{name}: {perm:?} is not a permutation of the {} axes of {}", inputs[0].len(), shape_str(inputs[0]))));
            }
            permute::permuted_shape(inputs[0], perm)
        }
        Op::Pad { .. } | Op::Repeat { .. } | Op::ResizeLinear { .. } => resampling(node, inputs[0])?.out_shape,
        Op::BatchMatmul => {
            let d = batch_dims(node, inputs[0], inputs[1])?;
            let mut out = inputs[0].to_vec();
            *out.last_mut().unwrap() = d.n;
            out
        }
        Op::Reshape { shape, keep_batch, copy_axes } => {
            let from = inputs[0];
            let mut shape = shape.clone();
            for &[to, axis] in copy_axes {
                match (shape.get_mut(to), from.get(axis)) {
                    (Some(d), Some(&length)) => *d = length as i64,
                    _ => return Err(KilnError::value(format!("{name}: cannot copy axis {axis} of {} to axis {to} of the reshape target", shape_str(from)))),
                }
            }
            if *keep_batch {
                // Found by cargo fuzz (op_geometry): a scalar has no batch axis to keep.
                let Some(&batch_axis) = from.first() else {
                    return Err(KilnError::shape(format!("{name}: a reshape that keeps the batch axis needs an input with one, got a scalar")));
                };
                let mut out = vec![batch_axis];
                out.extend(resolve_reshape(&from[1..], &to_reshape_target(&shape)).map_err(|e| KilnError::shape(format!("{name}: {}", e.message)))?);
                out
            } else {
                resolve_reshape(from, &to_reshape_target(&shape)).map_err(|e| KilnError::shape(format!("{name}: {}", e.message)))?
            }
        }
        Op::Conv2d { .. } | Op::Conv3d { .. } => {
            let (g, groups) = conv_geometry(node, inputs[0], inputs[1])?;
            let depth = matches!(node.op, Op::Conv3d { .. }).then_some(g.depth.output);
            [g.batch].into_iter().chain(depth).chain([g.out_h, g.out_w, groups.out_channels]).collect()
        }
        Op::Pool2d { .. } => {
            let g = pool_geometry(node, inputs[0])?;
            vec![g.batch, g.out_h, g.out_w, g.channels]
        }
        Op::Rnn { .. } => {
            let c = rnn_config(node, inputs)?;
            if c.return_state {
                vec![c.batch, c.sample_width()]
            } else if c.return_sequences {
                vec![c.batch, c.steps, c.units]
            } else {
                vec![c.batch, c.units]
            }
        }
        Op::Slice { axis, begin, size } => {
            let a = normalize_axis(*axis, inputs[0].len(), name)?;
            // Checked: found by cargo fuzz (op_geometry), a begin near usize::MAX wrapped past the test.
            if begin.checked_add(*size).is_none_or(|end| end > inputs[0][a]) {
                return Err(KilnError::shape(format!("{name}: slice [{begin}, {}) is out of range for axis {a} of {}", begin.saturating_add(*size), shape_str(inputs[0]))));
            }
            let mut out = inputs[0].to_vec();
            out[a] = *size;
            out
        }
        Op::Flip { axis } => {
            normalize_axis(*axis, inputs[0].len(), name)?;
            inputs[0].to_vec()
        }
        Op::Embedding => {
            let table = inputs[1];
            if table.len() != 2 {
                return Err(KilnError::shape(format!("{name}: the embedding table must have rank 2 [input_dim, output_dim], got {}", shape_str(table))));
            }
            let mut out = inputs[0].to_vec();
            out.push(table[1]);
            out
        }
        Op::BatchNorm { .. } => {
            let channels = *inputs[0].last().ok_or_else(|| KilnError::shape(format!("{name}: BatchNormalization needs an input of rank >= 1")))?;
            for (what, shape) in ["gamma", "beta", "moving_mean", "moving_variance"].iter().zip(&inputs[1..]) {
                if *shape != [channels] {
                    return Err(KilnError::shape(format!("{name}: {what} must have shape [{channels}], got {}", shape_str(shape))));
                }
            }
            inputs[0].to_vec()
        }
        Op::Concat { axis } => {
            let first = inputs[0];
            let a = normalize_axis(*axis, first.len(), name)?;
            let mut out = first.to_vec();
            out[a] = 0;
            for (i, shape) in inputs.iter().enumerate() {
                let same_elsewhere = shape.len() == first.len() && (0..first.len()).all(|k| k == a || shape[k] == first[k]);
                if !same_elsewhere {
                    return Err(KilnError::shape(format!(
                        "{name}: a Concatenate layer requires inputs with matching shapes except for the concatenation axis {axis}; input {i} has shape {}, input 0 has {}",
                        shape_str(shape),
                        shape_str(first)
                    )));
                }
                out[a] += shape[a];
            }
            out
        }
        Op::Where => {
            let xy = broadcast_shape(inputs[1], inputs[2]).map_err(|e| KilnError::shape(format!("{name}: {}", e.message)))?;
            broadcast_shape(inputs[0], &xy).map_err(|e| KilnError::shape(format!("{name}: the condition does not broadcast with the values: {}", e.message)))?
        }
        Op::Tile { repeats } => {
            if repeats.len() != inputs[0].len() {
                return Err(KilnError::value(format!("{name}: tile needs one repeat count per axis of {}, got {repeats:?}", shape_str(inputs[0]))));
            }
            // Checked: a wrapped product planned a buffer too small for the tiles.
            inputs[0]
                .iter()
                .zip(repeats)
                .map(|(d, r)| d.checked_mul(*r))
                .collect::<Option<Vec<usize>>>()
                .ok_or_else(|| KilnError::value(format!("{name}: tiling {} by {repeats:?} overflows", shape_str(inputs[0]))))?
        }
        Op::Cumsum { axis } => {
            normalize_axis(*axis, inputs[0].len(), name)?;
            inputs[0].to_vec()
        }
        Op::ArgReduce { axis, .. } => {
            let a = normalize_axis(*axis, inputs[0].len(), name)?;
            if inputs[0][a] == 0 {
                return Err(KilnError::value(format!("{name}: cannot take the position of an extreme along an empty axis of {}", shape_str(inputs[0]))));
            }
            let mut out = inputs[0].to_vec();
            out.remove(a);
            out
        }
        Op::TopK { k, .. } => {
            let row = inputs[0].last().copied().unwrap_or(0);
            if inputs[0].is_empty() || *k > row {
                return Err(KilnError::value(format!("{name}: top_k needs k ({k}) at most the length of the last axis of {}", shape_str(inputs[0]))));
            }
            let mut out = inputs[0].to_vec();
            *out.last_mut().unwrap() = *k;
            out
        }
        Op::RandomNormal { shape, .. } | Op::RandomUniform { shape, .. } => shape
            .iter()
            .enumerate()
            .map(|(i, d)| match d {
                Some(d) => Ok(*d),
                None if i == 0 => Ok(batch),
                None => Err(KilnError::value(format!("{name}: only the first (batch) axis of a random tensor's shape may be unknown, got axis {i}"))),
            })
            .collect::<Result<Vec<_>>>()?,
        Op::Reduce { axis, keep_dims, .. } => {
            let from = inputs[0];
            match axis {
                None => {
                    if *keep_dims {
                        vec![1; from.len()]
                    } else {
                        vec![]
                    }
                }
                Some(a) => {
                    let a = normalize_axis(*a, from.len(), name)?;
                    let mut out = from.to_vec();
                    if *keep_dims {
                        out[a] = 1;
                    } else {
                        out.remove(a);
                    }
                    out
                }
            }
        }
    })
}

/// The geometry and channel groups of a Conv2d or Conv3d node, checking the kernel against
/// the input.
pub fn conv_geometry(node: &Node, x: &[usize], kernel: &[usize]) -> Result<(Geometry, Groups)> {
    let name = &node.name;
    let (g, groups) = match &node.op {
        Op::Conv2d { strides, padding, dilation, groups } => {
            if kernel.len() != 4 {
                return Err(KilnError::shape(format!("{name}: the kernel must have rank 4 [kh, kw, in_channels / groups, filters], got {}", shape_str(kernel))));
            }
            (Geometry::new(x, (kernel[0], kernel[1]), (strides[0], strides[1]), (dilation[0], dilation[1]), *padding, name)?, *groups)
        }
        Op::Conv3d { strides, padding, dilation, groups } => {
            if kernel.len() != 5 {
                return Err(KilnError::shape(format!("{name}: the kernel must have rank 5 [kd, kh, kw, in_channels / groups, filters], got {}", shape_str(kernel))));
            }
            (Geometry::new_3d(x, [kernel[0], kernel[1], kernel[2]], *strides, *dilation, *padding, name)?, *groups)
        }
        _ => unreachable!("not a conv node"),
    };
    let [per_group, filters] = [kernel[kernel.len() - 2], kernel[kernel.len() - 1]];
    if groups == 0 || !filters.is_multiple_of(groups) {
        return Err(KilnError::value(format!("{name}: the number of filters ({filters}) must be a multiple of groups ({groups})")));
    }
    if per_group * groups != g.channels {
        return Err(KilnError::shape(format!("{name}: expected an input with {} channels (last axis: {per_group} per group, {groups} groups), got {}", per_group * groups, shape_str(x))));
    }
    Ok((g, Groups::new(groups, filters)))
}

/// The geometry of a Conv2dTranspose or Conv3dTranspose node (see kernels::conv_transpose)
/// and its input channels, checking the kernel against the input.
pub fn conv_transpose_geometry(node: &Node, x: &[usize], kernel: &[usize]) -> Result<(Geometry, usize)> {
    let name = &node.name;
    let rank = if matches!(node.op, Op::Conv3dTranspose { .. }) { 5 } else { 4 };
    if kernel.len() != rank {
        let axes = if rank == 5 { "kd, kh, kw" } else { "kh, kw" };
        return Err(KilnError::shape(format!("{name}: the kernel must have rank {rank} [{axes}, filters, in_channels], got {}", shape_str(kernel))));
    }
    let (filters, channels) = (kernel[rank - 2], kernel[rank - 1]);
    if x.len() == rank && x[rank - 1] != channels {
        return Err(KilnError::shape(format!("{name}: expected an input with {channels} channels (last axis), got {}", shape_str(x))));
    }
    let g = match &node.op {
        Op::Conv2dTranspose { strides, padding, output_padding, dilation } => {
            conv_transpose::geometry(x, filters, (kernel[0], kernel[1]), (strides[0], strides[1]), (dilation[0], dilation[1]), *padding, output_padding.map(|p| (p[0], p[1])), name)?
        }
        Op::Conv3dTranspose { strides, padding, output_padding, dilation } => {
            conv_transpose::geometry_3d(x, filters, [kernel[0], kernel[1], kernel[2]], *strides, *dilation, *padding, *output_padding, name)?
        }
        _ => unreachable!("not a transposed conv node"),
    };
    Ok((g, channels))
}

/// The resampling a Pad, Repeat or ResizeLinear node does to an input of shape `x`.
pub fn resampling(node: &Node, x: &[usize]) -> Result<Resampling> {
    check_resampling_size(node, x)?;
    let name = &node.name;
    match &node.op {
        Op::Pad { paddings } => Resampling::pad(x, paddings, name),
        Op::Repeat { repeats } => Resampling::repeat(x, repeats, name),
        Op::ResizeLinear { factors } => {
            if factors.len() != x.len() {
                return Err(KilnError::value(format!("{name}: needs one factor per axis of {}, got {factors:?}", shape_str(x))));
            }
            Resampling::linear(x, &x.iter().zip(factors).map(|(d, f)| d * f).collect::<Vec<_>>(), name)
        }
        _ => unreachable!("not a resampling node"),
    }
}

/// Refuses a padding, repetition or resize whose output (and the taps planned for it, a small
/// vector per output index of each axis) the machine cannot hold, before any is allocated.
fn check_resampling_size(node: &Node, x: &[usize]) -> Result<()> {
    let scaled = |by: &[usize]| x.iter().zip(by).map(|(&d, &f)| d.checked_mul(f)).collect::<Option<Vec<usize>>>();
    let out = match &node.op {
        Op::Pad { paddings } => x.iter().zip(paddings).map(|(&d, p)| (d as i64).checked_add(p[0])?.checked_add(p[1]).map(|n| n.max(0) as usize)).collect(),
        Op::Repeat { repeats } => scaled(repeats),
        Op::ResizeLinear { factors } => scaled(factors),
        _ => return Ok(()),
    };
    let out = out.ok_or_else(|| KilnError::value(format!("{}: the output shape of input {} overflows", node.name, shape_str(x))))?;
    let values = crate::alloc::checked_element_count(&out)?;
    const TAP_BYTES: usize = 48;
    let taps = out.iter().fold(0usize, |n, &d| n.saturating_add(d));
    crate::alloc::ensure_available(values.saturating_mul(4).saturating_add(taps.saturating_mul(TAP_BYTES)), &node.name)
}

/// The sizes of a BatchMatmul node, checking its operands agree: every axis before the last
/// two is a batch axis, the same on both.
pub fn batch_dims(node: &Node, a: &[usize], b: &[usize]) -> Result<BatchDims> {
    let r = a.len();
    if r < 3 || b.len() != r || a[..r - 2] != b[..r - 2] || a[r - 1] != b[r - 2] {
        return Err(KilnError::shape(format!("{}: a batched matrix product needs [..batch, m, k] and [..batch, k, n] with the same batch axes, got {} and {}", node.name, shape_str(a), shape_str(b))));
    }
    Ok(BatchDims { batch: a[..r - 2].iter().product(), m: a[r - 2], k: a[r - 1], n: b[r - 1] })
}

pub fn pool_geometry(node: &Node, x: &[usize]) -> Result<Geometry> {
    let Op::Pool2d { pool, strides, padding, .. } = &node.op else { unreachable!("not a pool node") };
    Geometry::new(x, (pool[0], pool[1]), (strides[0], strides[1]), (1, 1), *padding, &node.name)
}

/// An Rnn node's inputs that hold its first states (those given, else a stateful layer's
/// state variables; none: zeros) and the state variables its final states go to (none unless
/// `stateful`).
pub fn rnn_state_inputs(node: &Node) -> (&[usize], &[usize]) {
    let Op::Rnn { cell, masked, initial_state, stateful, .. } = node.op else { unreachable!("not an rnn node") };
    let (first, n) = (4 + usize::from(masked), cell.state_count());
    let given: &[usize] = if initial_state || stateful { &node.inputs[first..first + n] } else { &[] };
    let targets: &[usize] = if stateful { &node.inputs[node.inputs.len() - n..] } else { &[] };
    (given, targets)
}

/// The sizes of an Rnn node, checking its weights against the input.
pub fn rnn_config(node: &Node, inputs: &[&[usize]]) -> Result<RnnConfig> {
    let Op::Rnn { cell, units, activation, recurrent_activation, return_sequences, go_backwards, masked, return_state, zero_output_for_mask, initial_state, dropout, recurrent_dropout, stateful } =
        node.op
    else {
        unreachable!("not an rnn node")
    };
    let name = &node.name;
    let (x, kernel, recurrent, bias) = (inputs[0], inputs[1], inputs[2], inputs[3]);
    if x.len() != 3 {
        return Err(KilnError::shape(format!("{name}: expected an input of rank 3 [batch, timesteps, features], got {}", shape_str(x))));
    }
    // Found by cargo fuzz (op_geometry): 0 units panicked in the kernel (rows of length 0).
    if units == 0 {
        return Err(KilnError::value(format!("{name}: units must be a positive integer, got 0")));
    }
    let gu = cell.gates().checked_mul(units).ok_or_else(|| KilnError::value(format!("{name}: {units} units overflow")))?;
    // The recurrent workspace ([steps + 1, batch, gates · units] floats, a few of them), checked
    // before it is sized: found by cargo fuzz (op_geometry), a huge one was a capacity-overflow panic.
    let workspace = x[0].checked_mul(x[1].saturating_add(1)).and_then(|bt| bt.checked_mul(gu)).and_then(|n| n.checked_mul(16));
    crate::alloc::ensure_available(workspace.ok_or_else(|| KilnError::value(format!("{name}: the recurrent workspace for {units} units over input {} overflows", shape_str(x))))?, name)?;
    let expected: [(&str, &[usize], Vec<usize>); 3] =
        [("kernel", kernel, vec![x[2], gu]), ("recurrent_kernel", recurrent, vec![units, gu]), ("bias", bias, if cell.bias_rows() == 1 { vec![gu] } else { vec![cell.bias_rows(), gu] })];
    for (what, got, want) in expected {
        if got != want.as_slice() {
            return Err(KilnError::shape(format!("{name}: {what} must have shape {}, got {}", shape_str(&want), shape_str(got))));
        }
    }
    for (what, rate) in [("dropout", dropout), ("recurrent_dropout", recurrent_dropout)] {
        if !(0.0..1.0).contains(&rate) {
            return Err(KilnError::value(format!("{name}: {what} must be in [0, 1), got {rate}")));
        }
    }
    if masked && inputs[4] != [x[0], x[1]] {
        return Err(KilnError::shape(format!("{name}: the mask must have shape [{}, {}] (batch, timesteps), got {}", x[0], x[1], shape_str(inputs[4]))));
    }
    let first = 4 + usize::from(masked);
    if stateful {
        // As Keras words it: the states were made for the batch size the model declared.
        for state in &inputs[first + if initial_state { cell.state_count() } else { 0 }..] {
            if *state != [x[0], units] {
                let held = state.first().map_or("none".to_string(), |b| b.to_string());
                return Err(KilnError::value(format!(
                    "{name}: if an RNN is stateful, the batch size of the input sequences must be the same as the batch size of the initial state: expected batch size {held}, received batch size {} (its states have shape {}, the input {})",
                    x[0],
                    shape_str(state),
                    shape_str(x)
                )));
            }
        }
    }
    if initial_state {
        for (k, state) in inputs[first..first + cell.state_count()].iter().enumerate() {
            if *state != [x[0], units] {
                return Err(KilnError::shape(format!("{name}: initial state {k} must have shape [{}, {units}] (batch, units), got {}", x[0], shape_str(state))));
            }
        }
    }
    Ok(RnnConfig { cell, batch: x[0], steps: x[1], features: x[2], units, activation, recurrent_activation, go_backwards, return_sequences, masked, return_state, zero_output_for_mask })
}
