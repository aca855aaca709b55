//! Eager ops: argument conversion only; the work is kiln_core::ops.
use crate::error::{guard, to_js, value_error};
use crate::tensor::NativeTensor;
use kiln_core::kernels::binary::BinaryOp;
use kiln_core::kernels::conv::Padding;
use kiln_core::kernels::pool::PoolOp;
use kiln_core::kernels::reduce::ReduceOp;
use kiln_core::kernels::unary::UnaryOp;
use kiln_core::{ops, Tensor};
use napi::bindgen_prelude::{ClassInstance, Uint32Array};
use napi::{Env, Result};
use napi_derive::napi;

/// Parses a snake_case op name into one of kiln_core's op enums.
fn parse_name<T: serde::de::DeserializeOwned>(kind: &str, name: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| value_error(format!("Unknown {kind} '{name}'")))
}

fn wrap(env: &Env, t: kiln_core::Result<Tensor>) -> Result<NativeTensor> {
    NativeTensor::wrap(env, t.map_err(to_js)?)
}

fn shape_of(shape: &[u32]) -> Vec<usize> {
    shape.iter().map(|&d| d as usize).collect()
}

#[napi]
pub fn unary_op(env: Env, name: String, x: &NativeTensor) -> Result<NativeTensor> {
    let op: UnaryOp = parse_name("function", &name)?;
    guard(|| NativeTensor::wrap(&env, ops::unary(op, x.get()?)))
}

#[napi]
pub fn binary_op(env: Env, name: String, a: &NativeTensor, b: &NativeTensor) -> Result<NativeTensor> {
    let op: BinaryOp = parse_name("function", &name)?;
    guard(|| wrap(&env, ops::binary(op, a.get()?, b.get()?)))
}

#[napi]
pub fn matmul(env: Env, a: &NativeTensor, b: &NativeTensor) -> Result<NativeTensor> {
    guard(|| wrap(&env, ops::matmul(a.get()?, b.get()?)))
}

#[napi]
pub fn softmax(env: Env, x: &NativeTensor) -> Result<NativeTensor> {
    guard(|| wrap(&env, ops::softmax(x.get()?)))
}

#[napi]
pub fn reduce(env: Env, name: String, x: &NativeTensor, axis: Option<i32>, keep_dims: bool) -> Result<NativeTensor> {
    let op: ReduceOp = parse_name("reduction", &name)?;
    guard(|| wrap(&env, ops::reduce(op, x.get()?, axis.map(|a| a as i64), keep_dims)))
}

#[napi]
pub fn arg_max(env: Env, x: &NativeTensor, axis: i32) -> Result<NativeTensor> {
    guard(|| wrap(&env, ops::argmax(x.get()?, axis as i64)))
}

#[napi]
pub fn transpose(env: Env, x: &NativeTensor, perm: Option<Vec<u32>>) -> Result<NativeTensor> {
    let perm = perm.map(|p| shape_of(&p));
    guard(|| wrap(&env, ops::transpose(x.get()?, perm.as_deref())))
}

#[napi]
pub fn slice(env: Env, x: &NativeTensor, begin: Vec<i64>, size: Vec<i64>) -> Result<NativeTensor> {
    guard(|| wrap(&env, ops::slice(x.get()?, &begin, &size)))
}

#[napi]
pub fn gather(env: Env, x: &NativeTensor, indices: Vec<i64>) -> Result<NativeTensor> {
    guard(|| wrap(&env, ops::gather(x.get()?, &indices)))
}

#[napi]
pub fn concat(env: Env, xs: Vec<ClassInstance<NativeTensor>>, axis: i32) -> Result<NativeTensor> {
    guard(|| {
        let tensors = xs.iter().map(|t| t.get().map(|a| a.as_ref())).collect::<Result<Vec<&Tensor>>>()?;
        wrap(&env, ops::concat(&tensors, axis as i64))
    })
}

fn pair(v: &[u32], what: &str) -> Result<(usize, usize)> {
    match v {
        [a, b] if *a > 0 && *b > 0 => Ok((*a as usize, *b as usize)),
        _ => Err(value_error(format!("{what} must be two positive integers, got {v:?}"))),
    }
}

#[napi]
pub fn conv2d(env: Env, x: &NativeTensor, kernel: &NativeTensor, strides: Vec<u32>, padding: String, dilation: Vec<u32>) -> Result<NativeTensor> {
    let padding: Padding = parse_name("padding", &padding)?;
    let (strides, dilation) = (pair(&strides, "strides")?, pair(&dilation, "dilationRate")?);
    guard(|| wrap(&env, ops::conv2d(x.get()?, kernel.get()?, strides, padding, dilation)))
}

#[napi]
pub fn pool2d(env: Env, kind: String, x: &NativeTensor, pool: Vec<u32>, strides: Vec<u32>, padding: String) -> Result<NativeTensor> {
    let op: PoolOp = parse_name("pooling", &kind)?;
    let padding: Padding = parse_name("padding", &padding)?;
    let (pool, strides) = (pair(&pool, "poolSize")?, pair(&strides, "strides")?);
    guard(|| wrap(&env, ops::pool2d(op, x.get()?, pool, strides, padding)))
}

/// A recurrent layer's forward pass; `options` is the graph op's JSON (cell, units, ...).
#[napi]
pub fn rnn(env: Env, x: &NativeTensor, kernel: &NativeTensor, recurrent: &NativeTensor, bias: &NativeTensor, options: String) -> Result<NativeTensor> {
    let value: serde_json::Value = serde_json::from_str(&options).map_err(|e| value_error(format!("rnn: invalid options: {e}")))?;
    let op: kiln_core::graph::Op = serde_json::from_value(value).map_err(|e| value_error(format!("rnn: invalid options: {e}")))?;
    let kiln_core::graph::Op::Rnn { cell, units, activation, recurrent_activation, return_sequences, go_backwards } = op else {
        return Err(value_error("rnn: options must describe an rnn op"));
    };
    guard(|| wrap(&env, ops::rnn(x.get()?, kernel.get()?, recurrent.get()?, bias.get()?, cell, units, activation, recurrent_activation, return_sequences, go_backwards)))
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
pub fn one_hot(env: Env, labels: &NativeTensor, classes: Option<u32>) -> Result<NativeTensor> {
    guard(|| wrap(&env, ops::one_hot(labels.get()?, classes.map(|c| c as usize))))
}

#[napi]
pub fn has_non_finite(x: &NativeTensor) -> Result<bool> {
    Ok(ops::has_non_finite(x.get()?))
}

#[napi]
pub fn random_uniform(env: Env, shape: Vec<u32>, low: f64, high: f64) -> Result<NativeTensor> {
    NativeTensor::wrap(&env, ops::random_uniform(shape_of(&shape), low as f32, high as f32))
}

#[napi]
pub fn random_normal(env: Env, shape: Vec<u32>, mean: f64, std: f64) -> Result<NativeTensor> {
    NativeTensor::wrap(&env, ops::random_normal(shape_of(&shape), mean as f32, std as f32))
}

#[napi]
pub fn random_truncated_normal(env: Env, shape: Vec<u32>, mean: f64, std: f64) -> Result<NativeTensor> {
    NativeTensor::wrap(&env, ops::random_truncated_normal(shape_of(&shape), mean as f32, std as f32))
}

#[napi]
pub fn random_int(env: Env, low: i64, high: i64, shape: Vec<u32>) -> Result<NativeTensor> {
    wrap(&env, ops::random_int(low, high, shape_of(&shape)))
}

/// A random order of 0..n from the seeded generator (epoch shuffling).
#[napi]
pub fn permutation(n: u32) -> Uint32Array {
    Uint32Array::new(ops::permutation(n as usize))
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
