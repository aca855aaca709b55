//! A bias added along the last axis followed by an elementwise activation, y = f(x + b), as one
//! pass forward and one backward (the activation's derivative, the input gradient and the
//! bias gradient together) instead of four passes over the tensor. The graph executor picks
//! it for a convolution's or a dense layer's bias add whose only reader is the activation
//! (graph/fusion.rs). Every value is the one the separate binary add and unary op give: the
//! same float32 sum, the same activation, the same product for the gradient; only the bias
//! gradient's sum is split into per-task partial sums when more than one thread runs.
use super::conv_direct::Isa;
use super::unary::{per_op, UnaryOp};
use crate::threads;
use rayon::prelude::*;

/// Below this many values one thread is faster than fork/join.
const PARALLEL_MIN_VALUES: usize = 1 << 15;

/// Tasks a pass over `len` values splits into: two per thread for large tensors, else one.
pub fn tasks(len: usize) -> usize {
    let threads = threads::num_threads();
    if threads > 1 && len >= PARALLEL_MIN_VALUES {
        2 * threads
    } else {
        1
    }
}

/// Values per task: whole rows of `channels`, `tasks` of them cover `len`.
fn task_len(len: usize, channels: usize, tasks: usize) -> usize {
    (len / channels).div_ceil(tasks).max(1) * channels
}

/// y = f(x + bias), bias [channels] broadcast over the rows of x; `sum` (when given) receives
/// x + bias, which the backward pass needs when the output alone does not give f's derivative.
pub fn forward(function: UnaryOp, x: &[f32], bias: &[f32], sum: Option<&mut [f32]>, y: &mut [f32]) {
    if bias.is_empty() || y.is_empty() {
        return;
    }
    per_op!(function, apply2, |f| forward_with(f, x, bias, sum, y))
}

fn forward_with(f: impl Fn(f32, f32) -> f32 + Sync, x: &[f32], bias: &[f32], sum: Option<&mut [f32]>, y: &mut [f32]) {
    let c = bias.len();
    let step = |x: &[f32], y: &mut [f32], sum: Option<&mut [f32]>| match sum {
        Some(sum) => {
            for ((x, y), s) in x.chunks_exact(c).zip(y.chunks_exact_mut(c)).zip(sum.chunks_exact_mut(c)) {
                for i in 0..c {
                    let z = x[i] + bias[i];
                    s[i] = z;
                    y[i] = f(z, 0.0);
                }
            }
        }
        None => add_activate_detected(&f, Some(x), bias, y),
    };
    let per = task_len(y.len(), c, tasks(y.len()));
    if per >= y.len() {
        return step(x, y, sum);
    }
    match sum {
        Some(sum) => y.par_chunks_mut(per).zip(x.par_chunks(per)).zip(sum.par_chunks_mut(per)).for_each(|((y, x), s)| step(x, y, Some(s))),
        None => y.par_chunks_mut(per).zip(x.par_chunks(per)).for_each(|(y, x)| step(x, y, None)),
    }
}

/// A bias and activation that a layer applies to its own output as it writes it, while the
/// values are still in cache, instead of a pass of `forward` over the whole output after it.
#[derive(Debug, Clone, Copy)]
pub struct Epilogue<'a> {
    /// One value per output channel (the last axis).
    pub bias: &'a [f32],
    pub function: UnaryOp,
}

/// y = f(y + bias) in place, over the rows of y (each bias.len() long): the same float32 values
/// as `forward`, split over the pool as it is.
pub fn forward_in_place(function: UnaryOp, bias: &[f32], y: &mut [f32]) {
    let per = task_len(y.len(), bias.len().max(1), tasks(y.len()));
    if per >= y.len() {
        forward_in_place_here(function, bias, y)
    } else {
        y.par_chunks_mut(per).for_each(|y| forward_in_place_here(function, bias, y))
    }
}

/// `forward_in_place` on the calling thread: a layer's epilogue on the block of its output
/// that this thread has just written (still in cache).
pub fn forward_in_place_here(function: UnaryOp, bias: &[f32], y: &mut [f32]) {
    if bias.is_empty() || y.is_empty() {
        return;
    }
    per_op!(function, apply2, |f| add_activate_detected(&f, None, bias, y))
}

/// `forward_in_place` on `rows` rows `stride` values apart from `y`, each transformed over its
/// first bias.len() values only: a channel block of a layer's output.
///
/// # Safety
/// Every transformed value lies in one buffer, and no other thread reads or writes them.
pub unsafe fn forward_in_place_strided(function: UnaryOp, bias: &[f32], y: *mut f32, rows: usize, stride: usize) {
    let width = bias.len();
    if width == 0 || rows == 0 {
        return;
    }
    per_op!(function, apply2, |f| {
        for r in 0..rows {
            add_activate_detected(&f, None, bias, std::slice::from_raw_parts_mut(y.add(r * stride), width));
        }
    })
}

/// y = f(x + bias) (x None: f(y + bias) in place) row by row, f(z, 0.0) being the activation.
/// Compiled for each instruction set below, so plain loops run as whole vectors.
#[inline(always)]
fn add_activate<F: Fn(f32, f32) -> f32>(f: &F, x: Option<&[f32]>, bias: &[f32], y: &mut [f32]) {
    let c = bias.len();
    match x {
        Some(x) => {
            for (x, y) in x.chunks_exact(c).zip(y.chunks_exact_mut(c)) {
                y.iter_mut().zip(x).zip(bias).for_each(|((y, &x), &b)| *y = f(x + b, 0.0));
            }
        }
        None => {
            for y in y.chunks_exact_mut(c) {
                y.iter_mut().zip(bias).for_each(|(y, &b)| *y = f(*y + b, 0.0));
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn add_activate_avx512<F: Fn(f32, f32) -> f32>(f: &F, x: Option<&[f32]>, bias: &[f32], y: &mut [f32]) {
    add_activate(f, x, bias, y)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn add_activate_avx2<F: Fn(f32, f32) -> f32>(f: &F, x: Option<&[f32]>, bias: &[f32], y: &mut [f32]) {
    add_activate(f, x, bias, y)
}

/// `add_activate` with the widest vectors this CPU has.
fn add_activate_detected<F: Fn(f32, f32) -> f32>(f: &F, x: Option<&[f32]>, bias: &[f32], y: &mut [f32]) {
    match Isa::detect() {
        // SAFETY: Isa::detect found the features these are compiled for.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { add_activate_avx512(f, x, bias, y) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { add_activate_avx2(f, x, bias, y) },
        Isa::Portable => add_activate(f, x, bias, y),
    }
}

/// From dy, the gradient of y = f(x + bias): dx (= with its flag, else +=) dy · f'(x + bias),
/// and dbias (likewise) its sum over rows, each skipped with None. `sum` is x + bias as
/// `forward` kept it, or None when `function.output_gives_derivative()`. `partials` is working
/// memory of at least `tasks(dy.len())` rows of the bias' length.
#[allow(clippy::too_many_arguments)]
pub fn backward(function: UnaryOp, sum: Option<&[f32]>, y: &[f32], dy: &[f32], dx: Option<(&mut [f32], bool)>, dbias: Option<(&mut [f32], bool)>, channels: usize, partials: &mut [f32]) {
    if channels == 0 || dy.is_empty() {
        return;
    }
    match sum {
        Some(sum) => per_op!(function, derivative, |f| backward_with(f, sum, y, dy, dx, dbias, channels, partials)),
        None => {
            debug_assert!(function.output_gives_derivative());
            per_op!(function, derivative_of_output2, |f| backward_with(f, y, y, dy, dx, dbias, channels, partials))
        }
    }
}

/// `backward` with the derivative `f(x or y, y)`.
#[allow(clippy::too_many_arguments)]
fn backward_with(f: impl Fn(f32, f32) -> f32 + Sync, x: &[f32], y: &[f32], dy: &[f32], dx: Option<(&mut [f32], bool)>, dbias: Option<(&mut [f32], bool)>, c: usize, partials: &mut [f32]) {
    let with_bias = dbias.is_some();
    // One task's values from `start`: its gradients, and its share of the bias gradient.
    let step = |start: usize, dy: &[f32], dx: Option<(&mut [f32], bool)>, partial: &mut [f32]| {
        let (x, y) = (&x[start..start + dy.len()], &y[start..start + dy.len()]);
        partial.fill(0.0);
        let rows = x.chunks_exact(c).zip(y.chunks_exact(c)).zip(dy.chunks_exact(c));
        match dx {
            Some((dx, overwrite)) => {
                for (((x, y), g), dx) in rows.zip(dx.chunks_exact_mut(c)) {
                    for i in 0..c {
                        let d = g[i] * f(x[i], y[i]);
                        dx[i] = if overwrite { d } else { dx[i] + d };
                        partial[i] += d;
                    }
                }
            }
            None if with_bias => {
                for ((x, y), g) in rows {
                    for i in 0..c {
                        partial[i] += g[i] * f(x[i], y[i]);
                    }
                }
            }
            None => {}
        }
    };
    let tasks = tasks(dy.len()).min(partials.len() / c).max(1);
    let per = task_len(dy.len(), c, tasks);
    let used = dy.len().div_ceil(per);
    if used == 1 {
        step(0, dy, dx, &mut partials[..c]);
    } else {
        let partials = partials.par_chunks_mut(c).enumerate();
        match dx {
            Some((dx, overwrite)) => dx.par_chunks_mut(per).zip(dy.par_chunks(per)).zip(partials).for_each(|((dx, dy), (t, p))| step(t * per, dy, Some((dx, overwrite)), p)),
            None => dy.par_chunks(per).zip(partials).for_each(|(dy, (t, p))| step(t * per, dy, None, p)),
        }
    }
    if let Some((db, overwrite)) = dbias {
        if overwrite {
            db.copy_from_slice(&partials[..c]);
        } else {
            db.iter_mut().zip(&partials[..c]).for_each(|(d, p)| *d += p);
        }
        for p in partials[c..used * c].chunks_exact(c) {
            db.iter_mut().zip(p).for_each(|(d, p)| *d += p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::binary::{self, BinaryOp};
    use crate::kernels::testing::check_gradient;
    use crate::kernels::unary;
    use crate::rng::Rng;

    const FUNCTIONS: [UnaryOp; 9] = [UnaryOp::Relu, UnaryOp::Linear, UnaryOp::Sigmoid, UnaryOp::Tanh, UnaryOp::Elu, UnaryOp::Relu6, UnaryOp::LeakyRelu, UnaryOp::Gelu, UnaryOp::Swish];

    /// The unfused passes: binary add, then the activation; backward through both.
    fn separate(function: UnaryOp, x: &[f32], shape: &[usize], bias: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let c = [bias.len()];
        let (mut z, mut y) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        binary::forward(BinaryOp::Add, x, shape, bias, &c, shape, &mut z);
        unary::forward(function, &z, &mut y);
        let (mut dz, mut dx, mut db) = (vec![0.0; x.len()], vec![0.0; x.len()], vec![0.0; bias.len()]);
        unary::backward(function, &z, &y, dy, &mut dz);
        binary::backward(BinaryOp::Add, x, shape, bias, &c, shape, &dz, Some(&mut dx), Some(&mut db));
        (y, dx, db)
    }

    fn fused(function: UnaryOp, x: &[f32], bias: &[f32], dy: &[f32], tasks: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let keep = !function.output_gives_derivative();
        let (mut sum, mut y) = (vec![0.0; if keep { x.len() } else { 0 }], vec![0.0; x.len()]);
        forward(function, x, bias, keep.then_some(sum.as_mut_slice()), &mut y);
        let (mut dx, mut db) = (vec![7.0; x.len()], vec![7.0; bias.len()]);
        let mut partials = vec![0.0; tasks * bias.len()];
        backward(function, keep.then_some(sum.as_slice()), &y, dy, Some((&mut dx, true)), Some((&mut db, true)), bias.len(), &mut partials);
        (y, dx, db)
    }

    fn data(shape: &[usize], seed: u64) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let mut rng = Rng::new(seed);
        let n: usize = shape.iter().product();
        let c = *shape.last().unwrap();
        // Whole numbers among them: x + b exactly 0 and 6, where relu and relu6 turn.
        let mut x: Vec<f32> = (0..n).map(|_| rng.uniform(-4.0, 8.0)).collect();
        let bias: Vec<f32> = (0..c).map(|i| if i % 3 == 0 { 1.0 } else { rng.uniform(-1.0, 1.0) }).collect();
        for (i, v) in x.iter_mut().enumerate().step_by(5) {
            if (i % c).is_multiple_of(3) {
                *v = if i % 2 == 0 { -1.0 } else { 5.0 };
            }
        }
        let dy = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        (x, bias, dy)
    }

    #[test]
    fn equals_the_separate_add_and_activation() {
        for (k, shape) in [vec![5, 7], vec![3, 4, 4, 6], vec![64, 26, 26, 32], vec![1, 1]].into_iter().enumerate() {
            let (x, bias, dy) = data(&shape, k as u64 + 1);
            for function in FUNCTIONS {
                let want = separate(function, &x, &shape, &bias, &dy);
                for tasks in [1, 4, 64] {
                    let got = fused(function, &x, &bias, &dy, tasks);
                    // Forward and input gradient: the same float32 operations, so equal.
                    assert_eq!(got.0, want.0, "{function:?} {shape:?} y");
                    assert_eq!(got.1, want.1, "{function:?} {shape:?} dx");
                    for (i, (a, b)) in got.2.iter().zip(&want.2).enumerate() {
                        let scale: f32 = dy.iter().skip(i).step_by(bias.len()).map(|v| v.abs()).sum();
                        assert!((a - b).abs() <= 1e-5 * scale.max(1.0), "{function:?} {shape:?} tasks {tasks} dbias[{i}]: {a} vs {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn accumulates_where_asked() {
        let shape = [6, 5];
        let (x, bias, dy) = data(&shape, 9);
        let (_, dx, db) = separate(UnaryOp::Tanh, &x, &shape, &bias, &dy);
        let mut y = vec![0.0; x.len()];
        forward(UnaryOp::Tanh, &x, &bias, None, &mut y);
        let (mut dx_sum, mut db_sum) = (vec![0.5; x.len()], vec![0.5; bias.len()]);
        backward(UnaryOp::Tanh, None, &y, &dy, Some((&mut dx_sum, false)), Some((&mut db_sum, false)), bias.len(), &mut [0.0; 5]);
        dx_sum.iter().zip(&dx).for_each(|(a, b)| assert!((a - 0.5 - b).abs() < 1e-6));
        db_sum.iter().zip(&db).for_each(|(a, b)| assert!((a - 0.5 - b).abs() < 1e-6));
        // The bias gradient alone.
        let mut db_only = vec![0.0; bias.len()];
        backward(UnaryOp::Tanh, None, &y, &dy, None, Some((&mut db_only, true)), bias.len(), &mut [0.0; 5]);
        db_only.iter().zip(&db).for_each(|(a, b)| assert!((a - b).abs() < 1e-6));
    }

    #[test]
    fn gradients_match_finite_differences() {
        let shape = [4, 3];
        // Away from relu's kink, where finite differences are not defined.
        let (x, bias, _) = data(&shape, 3);
        let x: Vec<f32> = x.iter().map(|v| if (v + 1.0).abs() < 0.05 || (v - 5.0).abs() < 0.05 { v + 0.3 } else { *v }).collect();
        for function in [UnaryOp::Relu, UnaryOp::Sigmoid, UnaryOp::Gelu, UnaryOp::Elu] {
            let run = |x: &[f32], bias: &[f32]| {
                let mut y = vec![0.0; x.len()];
                forward(function, x, bias, Some(&mut vec![0.0; x.len()]), &mut y);
                y
            };
            let grads = |x: &[f32], bias: &[f32], dy: &[f32]| {
                let keep = !function.output_gives_derivative();
                let (mut sum, mut y) = (vec![0.0; x.len()], vec![0.0; x.len()]);
                forward(function, x, bias, Some(&mut sum), &mut y);
                let (mut dx, mut db) = (vec![0.0; x.len()], vec![0.0; bias.len()]);
                backward(function, keep.then_some(sum.as_slice()), &y, dy, Some((&mut dx, true)), Some((&mut db, true)), bias.len(), &mut [0.0; 3]);
                (dx, db)
            };
            check_gradient("bias_activation dx", &x, |x| run(x, &bias), |x, dy| grads(x, &bias, dy).0);
            check_gradient("bias_activation dbias", &bias, |b| run(&x, b), |b, dy| grads(&x, b, dy).1);
        }
    }
}
