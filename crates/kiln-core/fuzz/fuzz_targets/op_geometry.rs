//! The kernels' shape handling: one graph op (convolutions, pooling, reshape, padding,
//! repetition, resizing, transposes, slices, concatenation, reductions, products, RNNs...)
//! with arbitrary small integers (and a few extreme ones) as its parameters and its inputs'
//! shapes, run as kiln.ops runs it eagerly (ops::run_op, the graph's kernels and checks).
//! It must return a tensor of the shape output_shape announced, or an error; never panic.
#![no_main]
mod common;

use kiln_core::graph::{output_shape, Node, Op};
use kiln_core::Tensor;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

/// Reads the fuzzer's bytes as small numbers; past the end, zeros.
struct Draw<'a>(&'a [u8]);

impl Draw<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }
    /// Mostly 0..8; one byte in sixteen an extreme size.
    fn size(&mut self) -> u64 {
        match self.byte() {
            b @ 0..=239 => u64::from(b % 8),
            b => [0, 1, 16, 255, 65_536, 1 << 32, u64::MAX / 2, u64::MAX][usize::from(b - 240) % 8],
        }
    }
    /// Mostly -4..=4; one byte in sixteen an extreme.
    fn signed(&mut self) -> i64 {
        match self.byte() {
            b @ 0..=239 => i64::from(b % 9) - 4,
            b => [i64::MIN, i64::MAX, -1, -(1 << 32), 1 << 32, 100, -100, 0][usize::from(b - 240) % 8],
        }
    }
    fn sizes(&mut self, n: usize) -> Vec<u64> {
        (0..n).map(|_| self.size()).collect()
    }
    fn rank(&mut self) -> usize {
        usize::from(self.byte() % 6)
    }
    fn shape(&mut self, rank: usize) -> Vec<usize> {
        (0..rank).map(|_| usize::try_from(self.size()).unwrap_or(usize::MAX)).collect()
    }
    fn padding(&mut self) -> &'static str {
        if self.flag() {
            "same"
        } else {
            "valid"
        }
    }
}

/// An op and the shapes of its inputs.
fn op_and_shapes(d: &mut Draw) -> (Value, Vec<Vec<usize>>) {
    let kind = d.byte() % 24;
    let rank = d.rank();
    let x = d.shape(rank);
    match kind {
        0 | 1 => {
            let spatial = if kind == 0 { 2 } else { 3 };
            let op = json!({"op": if kind == 0 { "conv2d" } else { "conv3d" }, "strides": d.sizes(spatial), "padding": d.padding(), "dilation": d.sizes(spatial), "groups": d.size()});
            let kernel_rank = spatial + 2 - usize::from(d.byte() % 8 == 0);
            (op, vec![x, d.shape(kernel_rank)])
        }
        2 | 3 => {
            let spatial = if kind == 2 { 2 } else { 3 };
            let output_padding = if d.flag() { json!(d.sizes(spatial)) } else { Value::Null };
            let op = json!({"op": if kind == 2 { "conv2d_transpose" } else { "conv3d_transpose" }, "strides": d.sizes(spatial), "padding": d.padding(), "output_padding": output_padding, "dilation": d.sizes(spatial)});
            let kernel = d.shape(spatial + 2);
            (op, vec![x, kernel])
        }
        4 => (json!({"op": "pool2d", "function": if d.flag() { "max" } else { "average" }, "pool": d.sizes(2), "strides": d.sizes(2), "padding": d.padding()}), vec![x]),
        5 => {
            let target: Vec<i64> = (0..d.rank()).map(|_| d.signed()).collect();
            let copies: Vec<[u64; 2]> = (0..d.byte() % 3).map(|_| [d.size(), d.size()]).collect();
            (json!({"op": "reshape", "shape": target, "keep_batch": d.flag(), "copy_axes": copies}), vec![x])
        }
        6 => (json!({"op": "pad", "paddings": (0..rank).map(|_| [d.signed(), d.signed()]).collect::<Vec<_>>()}), vec![x]),
        7 => (json!({"op": "repeat", "repeats": d.sizes(rank)}), vec![x]),
        8 => (json!({"op": "resize_linear", "factors": d.sizes(rank)}), vec![x]),
        9 => (json!({"op": "transpose", "perm": d.sizes(rank)}), vec![x]),
        10 => (json!({"op": "slice", "axis": d.signed(), "begin": d.size(), "size": d.size()}), vec![x]),
        11 => {
            let mut shapes = vec![x.clone()];
            for _ in 0..d.byte() % 3 {
                let mut other = x.clone();
                if let Some(axis) = other.get_mut(usize::from(d.byte()) % rank.max(1)) {
                    *axis = usize::try_from(d.size()).unwrap_or(usize::MAX);
                }
                shapes.push(other);
            }
            (json!({"op": "concat", "axis": d.signed()}), shapes)
        }
        12 => (json!({"op": "tile", "repeats": d.sizes(rank)}), vec![x]),
        13 => {
            let function = ["sum", "mean", "max", "min", "prod"][usize::from(d.byte()) % 5];
            let axis = if d.flag() { json!(d.signed()) } else { Value::Null };
            (json!({"op": "reduce", "function": function, "axis": axis, "keep_dims": d.flag()}), vec![x])
        }
        14 => (json!({"op": "arg_reduce", "function": if d.flag() { "max" } else { "min" }, "axis": d.signed()}), vec![x]),
        15 => (json!({"op": "top_k", "k": d.size(), "indices": d.flag()}), vec![x]),
        16 => (json!({"op": if d.flag() { "cumsum" } else { "flip" }, "axis": d.signed()}), vec![x]),
        17 => {
            let other = d.rank();
            let other = d.shape(other);
            if d.flag() {
                (json!({"op": "batch_matmul"}), vec![x, other])
            } else {
                (json!({"op": "matmul", "transpose_b": d.flag()}), vec![x, other])
            }
        }
        18 => {
            let other = d.rank();
            let function = ["add", "mul", "maximum", "div"][usize::from(d.byte()) % 4];
            (json!({"op": "binary", "function": function}), vec![x, d.shape(other)])
        }
        19 => {
            let (a, b) = (d.rank(), d.rank());
            (json!({"op": "where"}), vec![x, d.shape(a), d.shape(b)])
        }
        20 => (json!({"op": "embedding"}), vec![x, d.shape(2)]),
        21 => {
            let shared = usize::from(d.byte() % 3);
            (if d.flag() { json!({"op": "softmax"}) } else { json!({"op": "dropout", "rate": 0.5, "shared_axes": d.sizes(shared)}) }, vec![x])
        }
        22 => {
            let channels = x.last().copied().unwrap_or(1);
            let mut shapes = vec![x];
            for _ in 0..4 {
                shapes.push(if d.byte() % 8 == 0 { vec![channels, 1] } else { vec![channels] });
            }
            (json!({"op": "batch_norm", "epsilon": 0.001, "momentum": 0.99}), shapes)
        }
        _ => {
            let cell = ["simple", "lstm", "gru"][usize::from(d.byte()) % 3];
            let gates = [1, 4, 3][["simple", "lstm", "gru"].iter().position(|&c| c == cell).unwrap()];
            let units = usize::try_from(d.size()).unwrap_or(usize::MAX);
            let features = x.get(2).copied().unwrap_or(1);
            let gu = gates * units.min(1 << 20);
            let bias = if cell == "gru" { vec![2, gu] } else { vec![gu] };
            let op = json!({"op": "rnn", "cell": cell, "units": units, "activation": "tanh", "recurrent_activation": "sigmoid",
                "return_sequences": d.flag(), "go_backwards": d.flag(), "return_state": d.flag(), "dropout": 0.0, "recurrent_dropout": 0.0});
            (op, vec![x, vec![features, gu], vec![units, gu], bias])
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut draw = Draw(data);
    let (op, shapes) = op_and_shapes(&mut draw);
    let Ok(op) = serde_json::from_value::<Op>(op) else { return };
    let node = Node { op: op.clone(), inputs: (0..shapes.len()).collect(), name: "fuzzed".into() };
    let inputs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
    let batch = shapes[0].first().copied().unwrap_or(1);
    let Ok(expected) = output_shape(&node, &inputs, batch, &[]) else { return };
    // Run only what is small: the inputs, the output and what is planned between them.
    let count = |s: &[usize]| s.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let Some(out_values) = count(&expected) else { return };
    let Some(largest_input) = shapes.iter().map(|s| count(s)).collect::<Option<Vec<_>>>().map(|c| c.into_iter().max().unwrap_or(1)) else { return };
    if out_values > common::MAX_VALUES || largest_input > common::MAX_VALUES || out_values.saturating_mul(largest_input.max(1)) > 1 << 26 {
        return;
    }
    let Some(tensors) = shapes.iter().map(|s| common::tensor(s)).collect::<Option<Vec<Tensor>>>() else { return };
    let refs: Vec<&Tensor> = tensors.iter().collect();
    if let Ok(out) = kiln_core::ops::run_op(op, &refs, "fuzzed") {
        assert_eq!(out.shape(), expected.as_slice(), "run_op gave another shape than output_shape for {node:?} on {shapes:?}");
    }
});
