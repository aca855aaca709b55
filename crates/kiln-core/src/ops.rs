//! Eager ops on concrete tensors (data preparation, debugging, custom code outside a model).
//! They reuse the graph's kernels; shape work goes through ndarray.
use crate::alloc;
use crate::error::{shape_str, KilnError, Result};
use crate::graph::normalize_axis;
use crate::kernels::binary::{self, broadcast_shape, BinaryOp};
use crate::kernels::conv::{self, Geometry, Padding};
use crate::kernels::gemm::{gemm, MatRef};
use crate::kernels::pool::{self, PoolOp};
use crate::kernels::reduce::{self, split_at_axis, ReduceOp};
use crate::kernels::softmax;
use crate::kernels::unary::{self, UnaryOp};
use crate::rng::with_global;
use crate::tensor::{element_count, DType, Storage, Tensor};
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Slice};

fn f32_tensor(shape: Vec<usize>, data: Vec<f32>) -> Tensor {
    Tensor::from_f32(shape, data).expect("kernel output matches its shape")
}

pub fn unary(op: UnaryOp, x: &Tensor) -> Result<Tensor> {
    let input = x.to_f32();
    let mut out = alloc::zeros(input.len(), "unary op")?;
    unary::forward(op, &input, &mut out);
    Ok(f32_tensor(x.shape().to_vec(), out))
}

pub fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let shape = broadcast_shape(a.shape(), b.shape())?;
    let mut out = alloc::zeros(alloc::checked_element_count(&shape)?, "binary op")?;
    // A float32 copy of a whole uint8/int32 operand would double what `x.div(255)` needs at
    // its peak: beside a scalar, the operand is converted one block at a time instead.
    let converted_beside_scalar = |big: &Tensor, small: &Tensor| big.dtype() != DType::Float32 && small.size() == 1 && big.shape() == shape.as_slice();
    if converted_beside_scalar(a, b) {
        binary_with_scalar(op, a, &b.to_f32(), true, &mut out);
    } else if converted_beside_scalar(b, a) {
        binary_with_scalar(op, b, &a.to_f32(), false, &mut out);
    } else {
        binary::forward(op, &a.to_f32(), a.shape(), &b.to_f32(), b.shape(), &shape, &mut out);
    }
    Ok(f32_tensor(shape, out))
}

/// `op(big, scalar)` (or `op(scalar, big)` when `big_first` is false) with `big` read as
/// float32 a block at a time.
fn binary_with_scalar(op: BinaryOp, big: &Tensor, scalar: &[f32], big_first: bool, out: &mut [f32]) {
    const BLOCK: usize = 1 << 14;
    let mut block = vec![0.0f32; BLOCK.min(out.len())];
    for (start, out_block) in (0..).step_by(BLOCK).zip(out.chunks_mut(BLOCK)) {
        let values = &mut block[..out_block.len()];
        let end = start + out_block.len();
        match big.storage() {
            Storage::F32(v) => values.copy_from_slice(&v[start..end]),
            Storage::I32(v) => values.iter_mut().zip(&v[start..end]).for_each(|(o, &x)| *o = x as f32),
            Storage::U8(v) => values.iter_mut().zip(&v[start..end]).for_each(|(o, &x)| *o = x as f32),
        }
        let len = [values.len()];
        if big_first {
            binary::forward(op, values, &len, scalar, &[], &len, out_block);
        } else {
            binary::forward(op, scalar, &[], values, &len, &len, out_block);
        }
    }
}

/// 2-D matrix product, or a batch of rows ([.., k] x [k, n]).
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    matmul_transposed(a, false, b, false)
}

/// `matmul` of op(a) and op(b), where op transposes a matrix (a 2-D operand) read in place when
/// its flag is set: the product of a transposed view, with no copy.
pub fn matmul_transposed(a: &Tensor, transpose_a: bool, b: &Tensor, transpose_b: bool) -> Result<Tensor> {
    let logical = |t: &Tensor, transposed: bool| -> Vec<usize> {
        let mut s = t.shape().to_vec();
        if transposed {
            s.reverse()
        }
        s
    };
    if (transpose_a && a.rank() != 2) || (transpose_b && b.rank() != 2) {
        return Err(KilnError::shape("matmul: only a matrix (2-D) operand can be read transposed"));
    }
    let (sa, sb) = (logical(a, transpose_a), logical(b, transpose_b));
    if sa.is_empty() || sb.len() != 2 || sa[sa.len() - 1] != sb[0] {
        return Err(KilnError::shape(format!("matmul: cannot multiply {} by {}", shape_str(&sa), shape_str(&sb))));
    }
    let k = sb[0];
    // Counted from the shape, not the size: with k = 0 there are still rows (numpy's zeros).
    let rows = element_count(&sa[..sa.len() - 1]);
    let mut out = alloc::zeros(alloc::checked_element_count(&[rows, sb[1]])?, "matmul")?;
    // Stored as the transpose of the logical shape: [k, rows] for A, [n, k] for B.
    let stored = |data, r, c, transposed: bool| if transposed { MatRef::new(data, c, r).t() } else { MatRef::new(data, r, c) };
    let (a_values, b_values) = (a.to_f32(), b.to_f32());
    gemm(1.0, stored(&a_values, rows, k, transpose_a), stored(&b_values, k, sb[1], transpose_b), 0.0, &mut out);
    let mut shape = sa;
    *shape.last_mut().unwrap() = sb[1];
    Ok(f32_tensor(shape, out))
}

pub fn softmax(x: &Tensor) -> Result<Tensor> {
    let classes = *x.shape().last().ok_or_else(|| KilnError::shape("softmax needs a tensor of rank >= 1"))?;
    let input = x.to_f32();
    let mut out = alloc::zeros(input.len(), "softmax")?;
    if classes > 0 {
        softmax::forward(&input, classes, &mut out);
    }
    Ok(f32_tensor(x.shape().to_vec(), out))
}

pub fn reduce(op: ReduceOp, x: &Tensor, axis: Option<i64>, keep_dims: bool) -> Result<Tensor> {
    let (dims, mut shape) = match axis {
        None => ((1, x.size(), 1), if keep_dims { vec![1; x.rank()] } else { vec![] }),
        Some(a) => {
            let a = normalize_axis(a, x.rank(), "reduce")?;
            let mut s = x.shape().to_vec();
            if keep_dims {
                s[a] = 1
            } else {
                s.remove(a);
            }
            (split_at_axis(x.shape(), a), s)
        }
    };
    if dims.1 == 0 && matches!(op, ReduceOp::Max | ReduceOp::Min) {
        return Err(KilnError::value(format!("{}: cannot reduce an empty axis", if op == ReduceOp::Max { "max" } else { "min" })));
    }
    let mut out = alloc::zeros(dims.0 * dims.2, "reduce")?;
    reduce::forward(op, &x.to_f32(), dims, &mut out);
    if shape.is_empty() && out.len() != 1 {
        shape = vec![out.len()];
    }
    Ok(f32_tensor(shape, out))
}

pub fn argmax(x: &Tensor, axis: i64) -> Result<Tensor> {
    let a = normalize_axis(axis, x.rank(), "argMax")?;
    if x.shape()[a] > i32::MAX as usize {
        return Err(KilnError::value(format!("argMax: axis {a} has {} entries, more than an int32 index can hold", x.shape()[a])));
    }
    let mut shape = x.shape().to_vec();
    shape.remove(a);
    Tensor::new(shape, Storage::I32(reduce::argmax(&x.to_f32(), split_at_axis(x.shape(), a))))
}

/// Applies an ndarray view transformation to any dtype.
fn map_storage(x: &Tensor, f: impl Fn(ArrayViewD<'_, f32>) -> ArrayD<f32>, fi: impl Fn(ArrayViewD<'_, i32>) -> ArrayD<i32>, fu: impl Fn(ArrayViewD<'_, u8>) -> ArrayD<u8>) -> Tensor {
    let shape = IxDyn(x.shape());
    let (out_shape, storage) = match x.storage() {
        Storage::F32(v) => {
            let r = f(ArrayViewD::from_shape(shape, v).unwrap());
            (r.shape().to_vec(), Storage::F32(r.iter().copied().collect()))
        }
        Storage::I32(v) => {
            let r = fi(ArrayViewD::from_shape(shape, v).unwrap());
            (r.shape().to_vec(), Storage::I32(r.iter().copied().collect()))
        }
        Storage::U8(v) => {
            let r = fu(ArrayViewD::from_shape(shape, v).unwrap());
            (r.shape().to_vec(), Storage::U8(r.iter().copied().collect()))
        }
    };
    Tensor::new(out_shape, storage).expect("same element count")
}

pub fn transpose(x: &Tensor, perm: Option<&[usize]>) -> Result<Tensor> {
    let perm: Vec<usize> = match perm {
        Some(p) => p.to_vec(),
        None => (0..x.rank()).rev().collect(),
    };
    let mut seen = perm.clone();
    seen.sort_unstable();
    if seen != (0..x.rank()).collect::<Vec<_>>() {
        return Err(KilnError::value(format!("transpose: perm {perm:?} is not a permutation of the {} axes", x.rank())));
    }
    // Swapping the last two axes (a matrix transpose, batched or not) goes through tiles.
    let r = x.rank();
    if r >= 2 && perm[..r - 2].iter().enumerate().all(|(i, &p)| p == i) && perm[r - 2] == r - 1 && perm[r - 1] == r - 2 {
        let (rows, cols) = (x.shape()[r - 2], x.shape()[r - 1]);
        let batch = x.size() / (rows * cols).max(1);
        let mut shape = x.shape().to_vec();
        shape.swap(r - 2, r - 1);
        fn swap<T: Copy + Default>(v: &[T], batch: usize, rows: usize, cols: usize) -> Vec<T> {
            let mut out = vec![T::default(); v.len()];
            crate::kernels::transpose::transpose_2d(v, batch, rows, cols, &mut out);
            out
        }
        let storage = match x.storage() {
            Storage::F32(v) => Storage::F32(swap(v, batch, rows, cols)),
            Storage::I32(v) => Storage::I32(swap(v, batch, rows, cols)),
            Storage::U8(v) => Storage::U8(swap(v, batch, rows, cols)),
        };
        return Tensor::new(shape, storage);
    }
    Ok(map_storage(
        x,
        |v| v.permuted_axes(perm.clone()).as_standard_layout().into_owned(),
        |v| v.permuted_axes(perm.clone()).as_standard_layout().into_owned(),
        |v| v.permuted_axes(perm.clone()).as_standard_layout().into_owned(),
    ))
}

/// `size[i]` of -1 takes everything from `begin[i]` to the end, as tf.slice.
pub fn slice(x: &Tensor, begin: &[i64], size: &[i64]) -> Result<Tensor> {
    if begin.len() != x.rank() || size.len() != x.rank() {
        return Err(KilnError::value(format!("slice: begin and size need {} entries (the rank), got {} and {}", x.rank(), begin.len(), size.len())));
    }
    let mut ranges = Vec::new();
    for i in 0..x.rank() {
        let dim = x.shape()[i] as i64;
        let b = begin[i];
        let s = if size[i] < 0 { dim - b } else { size[i] };
        if b < 0 || b > dim || s < 0 || b + s > dim {
            return Err(KilnError::value(format!("slice: begin {b} with size {} is out of range for axis {i} of length {dim} (shape {})", size[i], shape_str(x.shape()))));
        }
        ranges.push((b as usize, (b + s) as usize));
    }
    fn cut<T: Clone>(mut v: ArrayViewD<'_, T>, ranges: &[(usize, usize)]) -> ArrayD<T> {
        for (axis, &(a, b)) in ranges.iter().enumerate() {
            v.slice_axis_inplace(Axis(axis), Slice::from(a..b));
        }
        v.to_owned()
    }
    Ok(map_storage(x, |v| cut(v, &ranges), |v| cut(v, &ranges), |v| cut(v, &ranges)))
}

/// Rows of `x` (along axis 0) at `indices`.
pub fn gather(x: &Tensor, indices: &[i64]) -> Result<Tensor> {
    let n = x.shape().first().copied().unwrap_or(0) as i64;
    if let Some(&bad) = indices.iter().find(|&&i| i < 0 || i >= n) {
        return Err(KilnError::value(format!("gather: index {bad} is out of range for axis 0 of length {n}")));
    }
    let idx: Vec<usize> = indices.iter().map(|&i| i as usize).collect();
    Ok(map_storage(x, |v| v.select(Axis(0), &idx), |v| v.select(Axis(0), &idx), |v| v.select(Axis(0), &idx)))
}

pub fn concat(xs: &[&Tensor], axis: i64) -> Result<Tensor> {
    let first = xs.first().ok_or_else(|| KilnError::value("concat: needs at least one tensor"))?;
    let a = normalize_axis(axis, first.rank(), "concat")?;
    for (i, t) in xs.iter().enumerate() {
        let mut s1 = t.shape().to_vec();
        let mut s0 = first.shape().to_vec();
        if s1.len() == s0.len() {
            s1[a] = 0;
            s0[a] = 0;
        }
        if s1 != s0 {
            return Err(KilnError::shape(format!("concat: tensor {i} has shape {}, which does not match {} outside axis {a}", shape_str(t.shape()), shape_str(first.shape()))));
        }
    }
    let views: Vec<Vec<f32>> = xs.iter().map(|t| t.to_f32().into_owned()).collect();
    let arrays: Vec<ArrayViewD<f32>> = xs.iter().zip(&views).map(|(t, v)| ArrayViewD::from_shape(IxDyn(t.shape()), v).unwrap()).collect();
    let out = ndarray::concatenate(Axis(a), &arrays).map_err(|e| KilnError::shape(format!("concat: {e}")))?;
    Ok(f32_tensor(out.shape().to_vec(), out.as_standard_layout().iter().copied().collect()))
}

/// 2-D convolution of x [batch, h, w, cin] with kernel [kh, kw, cin, cout] (channels last).
pub fn conv2d(x: &Tensor, kernel: &Tensor, strides: (usize, usize), padding: Padding, dilation: (usize, usize)) -> Result<Tensor> {
    let k = kernel.shape();
    if k.len() != 4 {
        return Err(KilnError::shape(format!("conv: the kernel must have rank 4 [kh, kw, in_channels, filters], got {}", shape_str(k))));
    }
    let g = Geometry::new(x.shape(), (k[0], k[1]), strides, dilation, padding, "conv")?;
    if k[2] != g.channels {
        return Err(KilnError::shape(format!("conv: the kernel expects {} input channels, the input {} has {}", k[2], shape_str(x.shape()), g.channels)));
    }
    let groups = conv::Groups::new(1, k[3]);
    let mut cols = alloc::zeros(groups.columns_len(&g)?, "conv")?;
    let mut out = alloc::zeros(alloc::checked_element_count(&[g.batch, g.positions(), k[3]])?, "conv")?;
    conv::forward(&g, groups, &x.to_f32(), &kernel.to_f32(), &mut cols, &mut out);
    Ok(f32_tensor(vec![g.batch, g.out_h, g.out_w, k[3]], out))
}

/// Max or average pooling of x [batch, h, w, c] over `pool` windows.
pub fn pool2d(op: PoolOp, x: &Tensor, pool: (usize, usize), strides: (usize, usize), padding: Padding) -> Result<Tensor> {
    let g = Geometry::new(x.shape(), pool, strides, (1, 1), padding, "pool")?;
    let n = alloc::checked_element_count(&[g.batch, g.positions(), g.channels])?;
    let (mut out, mut argmax) = (alloc::zeros(n, "pool")?, alloc::filled(n, 0u32, "pool")?);
    pool::forward(op, &g, &x.to_f32(), &mut out, &mut argmax);
    Ok(f32_tensor(vec![g.batch, g.out_h, g.out_w, g.channels], out))
}

/// Runs one graph op on concrete tensors, as inference: eager calls of the ops that need no
/// eager code of their own (transposed convolution, padding, batched products, ...) share
/// the graph's kernels and checks this way.
pub fn run_op(op: crate::graph::Op, inputs: &[&Tensor], name: &str) -> Result<Tensor> {
    use crate::graph::{Graph, Node, Op, Plan};
    if let Some(n) = op.arity().filter(|&n| n != inputs.len()) {
        return Err(KilnError::value(format!("{name}: needs {n} input(s), got {}", inputs.len())));
    }
    let mut nodes: Vec<Node> = inputs
        .iter()
        .enumerate()
        .map(|(index, t)| Node { op: Op::Input { index, shape: t.shape().iter().map(|&d| Some(d)).collect() }, inputs: vec![], name: format!("{name} input {index}") })
        .collect();
    nodes.push(Node { op, inputs: (0..inputs.len()).collect(), name: name.to_string() });
    let graph = Graph { nodes, outputs: vec![inputs.len()] };
    // Refuses what needs a model's variables, such as a stateful RNN's states.
    graph.validate()?;
    let batch = inputs.first().and_then(|t| t.shape().first().copied()).unwrap_or(1);
    let mut plan = Plan::new(&graph, batch, &[], &[], &vec![false; graph.nodes.len()], &[])?;
    for (i, t) in inputs.iter().enumerate() {
        plan.values[i].copy_from_slice(&t.to_f32());
    }
    let no_variables: [&Vec<f32>; 0] = [];
    plan.forward(&graph, &no_variables, false, &mut crate::rng::Rng::new(0));
    plan.take_failure()?;
    let out = inputs.len();
    Ok(f32_tensor(plan.shapes[out].clone(), plan.take_value(out)))
}

/// One-hot float32 encoding of integer class labels (Keras' to_categorical).
pub fn one_hot(labels: &Tensor, classes: Option<usize>) -> Result<Tensor> {
    let values = labels.to_f32();
    if let Some(pos) = values.iter().position(|&v| v < 0.0 || v.fract() != 0.0) {
        return Err(KilnError::value(format!("toCategorical: labels must be non-negative integers, got {} at index {pos}", values[pos])));
    }
    let max = values.iter().fold(0.0f32, |m, &v| m.max(v)) as usize;
    let classes = classes.unwrap_or(max + 1);
    if !values.is_empty() && max >= classes {
        return Err(KilnError::value(format!("toCategorical: label {max} is out of range for numClasses {classes}")));
    }
    let mut out = alloc::zeros(alloc::checked_element_count(&[values.len(), classes])?, "toCategorical")?;
    for (i, &v) in values.iter().enumerate() {
        out[i * classes + v as usize] = 1.0;
    }
    // Keras drops a trailing axis of 1 ([n, 1] labels give [n, classes]).
    let mut shape = labels.shape().to_vec();
    if shape.last() == Some(&1) && shape.len() > 1 {
        shape.pop();
    }
    shape.push(classes);
    Ok(f32_tensor(shape, out))
}

pub fn random_uniform(shape: Vec<usize>, low: f32, high: f32) -> Result<Tensor> {
    let n = alloc::checked_element_count(&shape)?;
    let values = with_global(|r| alloc::from_fn(n, "random.uniform", || r.uniform(low, high)))?;
    Ok(f32_tensor(shape, values))
}

pub fn random_normal(shape: Vec<usize>, mean: f32, std: f32) -> Result<Tensor> {
    let n = alloc::checked_element_count(&shape)?;
    let values = with_global(|r| alloc::from_fn(n, "random.normal", || r.normal(mean, std)))?;
    Ok(f32_tensor(shape, values))
}

/// Normal values redrawn until within two standard deviations (Keras' truncated_normal).
pub fn random_truncated_normal(shape: Vec<usize>, mean: f32, std: f32) -> Result<Tensor> {
    let n = alloc::checked_element_count(&shape)?;
    let values = with_global(|r| {
        alloc::from_fn(n, "random.truncatedNormal", || loop {
            let z = r.normal(0.0, 1.0);
            if z.abs() <= 2.0 {
                break mean + std * z;
            }
        })
    })?;
    Ok(f32_tensor(shape, values))
}

/// Integers in [low, high), int32 as Keras' default dtype: both bounds must fit int32.
pub fn random_int(low: i64, high: i64, shape: Vec<usize>) -> Result<Tensor> {
    if high <= low {
        return Err(KilnError::value(format!("randint: high ({high}) must be greater than low ({low})")));
    }
    let (min, max) = (i32::MIN as i64, i32::MAX as i64 + 1);
    if low < min || high > max {
        return Err(KilnError::value(format!("randint: int32 values need low >= {min} and high <= {max}, got low {low} and high {high}")));
    }
    let n = alloc::checked_element_count(&shape)?;
    let span = (high - low) as u64;
    let values = with_global(|r| alloc::from_fn(n, "randint", || (low + r.int_below(span) as i64) as i32))?;
    Tensor::new(shape, Storage::I32(values))
}

/// A random permutation of 0..n (for shuffling an epoch).
pub fn permutation(n: usize) -> Result<Vec<u32>> {
    if n > u32::MAX as usize {
        return Err(KilnError::value(format!("permutation: {n} samples is more than 2^32")));
    }
    let mut next = 0u32;
    let mut order = alloc::from_fn(n, "permutation", || {
        next += 1;
        next - 1
    })?;
    with_global(|r| r.shuffle(&mut order));
    Ok(order)
}

/// Whether any float value is NaN or infinite.
pub fn has_non_finite(x: &Tensor) -> bool {
    matches!(x.storage(), Storage::F32(v) if v.iter().any(|f| !f.is_finite()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: Vec<usize>, v: Vec<f32>) -> Tensor {
        Tensor::from_f32(shape, v).unwrap()
    }

    #[test]
    fn matmul_of_transposed_operands_read_in_place_matches_the_copied_transpose() {
        // The seed MLP's dW (xᵀ·dY) and dX (dY·Wᵀ) and both flags, against the product of the copies.
        let mut rng = crate::rng::Rng::new(11);
        let mut random = |shape: Vec<usize>| {
            let n = shape.iter().product();
            t(shape, (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect())
        };
        for &(m, k, n, ta, tb) in &[(784, 32, 128, true, false), (32, 128, 784, false, true), (5, 7, 3, true, true), (1, 4, 1, true, false)] {
            let a = random(if ta { vec![k, m] } else { vec![m, k] });
            let b = random(if tb { vec![n, k] } else { vec![k, n] });
            let view = matmul_transposed(&a, ta, &b, tb).unwrap();
            let copy_a = if ta { transpose(&a, None).unwrap() } else { a.clone() };
            let copy_b = if tb { transpose(&b, None).unwrap() } else { b.clone() };
            let copied = matmul(&copy_a, &copy_b).unwrap();
            assert_eq!(view.shape(), &[m, n]);
            for (x, y) in view.to_f32().iter().zip(copied.to_f32().iter()) {
                assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{m}x{k}x{n} {ta} {tb}: {x} vs {y}");
            }
        }
        let e = matmul_transposed(&random(vec![2, 3, 4]), true, &random(vec![2, 2]), false).unwrap_err();
        assert!(e.message.contains("only a matrix"), "{}", e.message);
        let e = matmul_transposed(&random(vec![3, 4]), true, &random(vec![4, 2]), false).unwrap_err();
        assert!(e.message.contains("cannot multiply [4, 3] by [4, 2]"), "{}", e.message);
    }

    #[test]
    fn integer_operands_beside_a_scalar_give_the_float32_results() {
        // Over three conversion blocks, so their edges are covered.
        let n = 3 * (1 << 14) + 8; // a multiple of 5 past three blocks
        let bytes = Tensor::new(vec![n / 5, 5], Storage::U8((0..n).map(|i| (i * 7 % 256) as u8).collect())).unwrap();
        let ints = Tensor::new(vec![n], Storage::I32((0..n as i32).map(|i| i - 1000).collect())).unwrap();
        for big in [&bytes, &ints] {
            let floats = big.astype(DType::Float32);
            for scalar in [t(vec![], vec![255.0]), t(vec![1], vec![-3.5]), t(vec![1, 1], vec![2.0])] {
                for op in [BinaryOp::Div, BinaryOp::Sub, BinaryOp::Maximum] {
                    for (x, y, fx, fy) in [(big, &scalar, &floats, &scalar), (&scalar, big, &scalar, &floats)] {
                        let (fast, general) = (binary(op, x, y), binary(op, fx, fy));
                        match (fast, general) {
                            (Ok(fast), Ok(general)) => assert_eq!(fast, general, "{op:?}"),
                            (fast, general) => assert_eq!(fast.is_err(), general.is_err(), "{op:?}"),
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn shape_ops_match_numpy() {
        let x = t(vec![2, 3], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(transpose(&x, None).unwrap().to_f32().to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        let s = slice(&x, &[0, 1], &[-1, 2]).unwrap();
        assert_eq!((s.shape().to_vec(), s.to_f32().to_vec()), (vec![2, 2], vec![1.0, 2.0, 4.0, 5.0]));
        assert_eq!(gather(&x, &[1, 1]).unwrap().to_f32().to_vec(), vec![3.0, 4.0, 5.0, 3.0, 4.0, 5.0]);
        let c = concat(&[&x, &x], 1).unwrap();
        assert_eq!(c.shape(), &[2, 6]);
        assert_eq!(c.to_f32()[3..6].to_vec(), vec![0.0, 1.0, 2.0]);
        assert!(concat(&[&x, &t(vec![3, 2], vec![0.0; 6])], 0).is_err());
        assert_eq!(reduce(ReduceOp::Sum, &x, Some(-1), true).unwrap().shape(), &[2, 1]);
        assert_eq!(reduce(ReduceOp::Max, &x, None, false).unwrap().to_f32()[0], 5.0);
        assert_eq!(argmax(&x, 0).unwrap().storage(), &Storage::I32(vec![1, 1, 1]));
    }

    #[test]
    fn empty_inner_dimension_gives_zeros_as_numpy() {
        let y = matmul(&t(vec![2, 0], vec![]), &t(vec![0, 3], vec![])).unwrap();
        assert_eq!((y.shape().to_vec(), y.to_f32().to_vec()), (vec![2, 3], vec![0.0; 6]));
    }

    #[test]
    fn sizes_too_large_are_errors() {
        assert_eq!(random_uniform(vec![1_000_000, 1_000_000, 1_000_000], 0.0, 1.0).unwrap_err().class_name(), "ResourceExhaustedError");
        assert_eq!(random_uniform(vec![65536, 65536, 65536, 65536], 0.0, 1.0).unwrap_err().class_name(), "ValueError");
        assert!(random_int(0, 1 << 40, vec![3]).is_err());
        let labels = t(vec![1], vec![1e10]);
        assert_eq!(one_hot(&labels, None).unwrap_err().class_name(), "ResourceExhaustedError");
    }

    #[test]
    fn one_hot_matches_keras() {
        let y = Tensor::new(vec![3, 1], Storage::U8(vec![2, 0, 1])).unwrap();
        let h = one_hot(&y, Some(4)).unwrap();
        assert_eq!(h.shape(), &[3, 4]);
        assert_eq!(h.to_f32()[..4].to_vec(), vec![0.0, 0.0, 1.0, 0.0]);
        assert!(one_hot(&y, Some(2)).is_err());
    }
}
