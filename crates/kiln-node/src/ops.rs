//! Eager ops: argument conversion only; the work is kiln_core::ops.
use crate::convert;
use crate::error::{guard, to_js, value_error, Result};
use crate::tensor::NativeTensor;
use kiln_core::kernels::binary::BinaryOp;
use kiln_core::kernels::conv::Padding;
use kiln_core::kernels::pool::PoolOp;
use kiln_core::kernels::reduce::ReduceOp;
use kiln_core::kernels::unary::UnaryOp;
use kiln_core::{ops, Tensor};
use napi::bindgen_prelude::{ClassInstance, Uint32Array};
use napi::Env;
use napi_derive::napi;

/// Parses a snake_case op name into one of kiln_core's op enums.
fn parse_name<T: serde::de::DeserializeOwned>(kind: &str, name: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| value_error(format!("Unknown {kind} '{name}'")))
}

fn wrap(env: &Env, t: kiln_core::Result<Tensor>) -> Result<NativeTensor> {
    NativeTensor::wrap(env, t.map_err(to_js)?)
}

#[napi]
pub fn unary_op(env: Env, name: String, x: &NativeTensor) -> Result<NativeTensor> {
    let op: UnaryOp = parse_name("function", &name)?;
    guard(|| wrap(&env, ops::unary(op, x.get()?)))
}

#[napi]
pub fn binary_op(env: Env, name: String, a: &NativeTensor, b: &NativeTensor) -> Result<NativeTensor> {
    let op: BinaryOp = parse_name("function", &name)?;
    // Read as float32 anyway: a pending float32 conversion is read from its source.
    guard(|| {
        let (a, b) = (a.float_source()?, b.float_source()?);
        wrap(&env, ops::binary(op, &a, &b))
    })
}

#[napi]
pub fn matmul(env: Env, a: &NativeTensor, b: &NativeTensor) -> Result<NativeTensor> {
    // A deferred matrix transpose is read in place, transposed.
    guard(|| {
        let ((a, ta), (b, tb)) = (a.matmul_operand()?, b.matmul_operand()?);
        wrap(&env, ops::matmul_transposed(&a, ta, &b, tb))
    })
}

#[napi]
pub fn softmax(env: Env, x: &NativeTensor) -> Result<NativeTensor> {
    guard(|| wrap(&env, ops::softmax(x.get()?)))
}

#[napi]
pub fn reduce(env: Env, name: String, x: &NativeTensor, axis: Option<f64>, keep_dims: bool) -> Result<NativeTensor> {
    let op: ReduceOp = parse_name("reduction", &name)?;
    let axis = axis.map(|a| convert::integer(a, &format!("{name}: axis"))).transpose()?;
    guard(|| wrap(&env, ops::reduce(op, x.get()?, axis, keep_dims)))
}

#[napi]
pub fn arg_max(env: Env, x: &NativeTensor, axis: f64) -> Result<NativeTensor> {
    let axis = convert::integer(axis, "argMax: axis")?;
    guard(|| wrap(&env, ops::argmax(x.get()?, axis)))
}

#[napi]
pub fn transpose(env: Env, x: &NativeTensor, perm: Option<Vec<f64>>) -> Result<NativeTensor> {
    let perm = perm.map(|p| p.iter().map(|&a| convert::count(a, "transpose: perm")).collect::<Result<Vec<_>>>()).transpose()?;
    // A matrix's transpose is deferred (numpy's `.T` is a view): matmul reads it in place.
    let matrix_swap = matches!(perm.as_deref(), None | Some([1, 0]));
    if matrix_swap && x.get()?.rank() == 2 {
        return x.transposed(&env);
    }
    guard(|| wrap(&env, ops::transpose(x.get()?, perm.as_deref())))
}

#[napi]
pub fn slice(env: Env, x: &NativeTensor, begin: Vec<f64>, size: Vec<f64>) -> Result<NativeTensor> {
    let (begin, size) = (convert::integers(&begin, "slice: begin")?, convert::integers(&size, "slice: size")?);
    guard(|| wrap(&env, ops::slice(x.get()?, &begin, &size)))
}

#[napi]
pub fn gather(env: Env, x: &NativeTensor, indices: Vec<f64>) -> Result<NativeTensor> {
    let indices = convert::integers(&indices, "gather: index")?;
    guard(|| wrap(&env, ops::gather(x.get()?, &indices)))
}

#[napi]
pub fn concat(env: Env, xs: Vec<ClassInstance<NativeTensor>>, axis: f64) -> Result<NativeTensor> {
    let axis = convert::integer(axis, "concat: axis")?;
    guard(|| {
        let tensors = xs.iter().map(|t| t.get().map(|a| a.as_ref())).collect::<Result<Vec<&Tensor>>>()?;
        wrap(&env, ops::concat(&tensors, axis))
    })
}

fn pair(v: &[f64], what: &str) -> Result<(usize, usize)> {
    match v {
        [a, b] => match (convert::count(*a, what)?, convert::count(*b, what)?) {
            (a, b) if a > 0 && b > 0 => Ok((a, b)),
            _ => Err(value_error(format!("{what} must be two positive integers, got {v:?}"))),
        },
        _ => Err(value_error(format!("{what} must be two positive integers, got {v:?}"))),
    }
}

#[napi]
pub fn conv2d(env: Env, x: &NativeTensor, kernel: &NativeTensor, strides: Vec<f64>, padding: String, dilation: Vec<f64>) -> Result<NativeTensor> {
    let padding: Padding = parse_name("padding", &padding)?;
    let (strides, dilation) = (pair(&strides, "strides")?, pair(&dilation, "dilationRate")?);
    guard(|| wrap(&env, ops::conv2d(x.get()?, kernel.get()?, strides, padding, dilation)))
}

#[napi]
pub fn pool2d(env: Env, kind: String, x: &NativeTensor, pool: Vec<f64>, strides: Vec<f64>, padding: String) -> Result<NativeTensor> {
    let op: PoolOp = parse_name("pooling", &kind)?;
    let padding: Padding = parse_name("padding", &padding)?;
    let (pool, strides) = (pair(&pool, "poolSize")?, pair(&strides, "strides")?);
    guard(|| wrap(&env, ops::pool2d(op, x.get()?, pool, strides, padding)))
}

/// Runs one graph op (its JSON, as a model graph spells it) on concrete tensors.
#[napi]
pub fn run_op(env: Env, op: String, inputs: Vec<ClassInstance<NativeTensor>>, name: String) -> Result<NativeTensor> {
    let op: kiln_core::graph::Op = serde_json::from_str(&op).map_err(|e| value_error(format!("{name}: invalid op: {e}")))?;
    guard(|| {
        let tensors = inputs.iter().map(|t| t.get().map(|a| a.as_ref())).collect::<Result<Vec<&Tensor>>>()?;
        wrap(&env, ops::run_op(op, &tensors, &name))
    })
}

#[napi]
pub fn one_hot(env: Env, labels: &NativeTensor, classes: Option<f64>) -> Result<NativeTensor> {
    let classes = classes.map(|c| convert::count(c, "toCategorical: numClasses")).transpose()?;
    guard(|| wrap(&env, ops::one_hot(labels.get()?, classes)))
}

#[napi]
pub fn has_non_finite(x: &NativeTensor) -> Result<bool> {
    Ok(ops::has_non_finite(x.get()?))
}

#[napi]
pub fn random_uniform(env: Env, shape: Vec<f64>, low: f64, high: f64) -> Result<NativeTensor> {
    let shape = convert::shape(&shape, "random.uniform: shape")?;
    guard(|| wrap(&env, ops::random_uniform(shape, low as f32, high as f32)))
}

#[napi]
pub fn random_normal(env: Env, shape: Vec<f64>, mean: f64, std: f64) -> Result<NativeTensor> {
    let shape = convert::shape(&shape, "random.normal: shape")?;
    guard(|| wrap(&env, ops::random_normal(shape, mean as f32, std as f32)))
}

#[napi]
pub fn random_truncated_normal(env: Env, shape: Vec<f64>, mean: f64, std: f64) -> Result<NativeTensor> {
    let shape = convert::shape(&shape, "random.truncatedNormal: shape")?;
    guard(|| wrap(&env, ops::random_truncated_normal(shape, mean as f32, std as f32)))
}

#[napi]
pub fn random_int(env: Env, low: f64, high: f64, shape: Vec<f64>) -> Result<NativeTensor> {
    let (low, high) = (convert::integer(low, "randint: low")?, convert::integer(high, "randint: high")?);
    let shape = convert::shape(&shape, "randint: shape")?;
    guard(|| wrap(&env, ops::random_int(low, high, shape)))
}

/// A random order of 0..n from the seeded generator (epoch shuffling).
#[napi]
pub fn permutation(n: f64) -> Result<Uint32Array> {
    let n = convert::count(n, "permutation: n")?;
    Ok(Uint32Array::new(guard(|| ops::permutation(n).map_err(to_js))?))
}

#[napi]
pub fn set_seed(seed: f64) -> Result<()> {
    if !(seed.is_finite() && seed >= 0.0 && seed.fract() == 0.0) {
        return Err(value_error(format!("setSeed: the seed must be a non-negative integer, got {seed}")));
    }
    kiln_core::rng::set_global_seed(seed as u64);
    Ok(())
}

#[napi]
pub fn num_threads() -> u32 {
    kiln_core::threads::num_threads() as u32
}
