//! Two tensors of one shape added, then an elementwise activation, y = f(a + b), as one pass
//! forward and one backward instead of two each: the end of a residual block (Keras'
//! `layers.Add()([x, shortcut])` then `Activation('relu')`). The graph executor picks it for an
//! add whose only reader is the activation (graph/fusion.rs). Every value is the one the
//! separate binary add and unary op give: the same float32 sum, the same activation, the same
//! product for the gradient, which both addends receive.
use super::bias_activation::tasks;
use super::unary::{per_op, UnaryOp};
use rayon::prelude::*;

/// y = f(a + b); `sum` (when given) receives a + b, which the backward pass needs when the
/// output alone does not give f's derivative.
pub fn forward(function: UnaryOp, a: &[f32], b: &[f32], sum: Option<&mut [f32]>, y: &mut [f32]) {
    assert!(a.len() == y.len() && b.len() == y.len(), "residual activation: addends of another size than the output");
    per_op!(function, apply2, |f| forward_with(f, a, b, sum, y))
}

fn forward_with(f: impl Fn(f32, f32) -> f32 + Sync, a: &[f32], b: &[f32], sum: Option<&mut [f32]>, y: &mut [f32]) {
    let step = |a: &[f32], b: &[f32], y: &mut [f32], sum: Option<&mut [f32]>| match sum {
        Some(sum) => {
            for (((y, s), &a), &b) in y.iter_mut().zip(sum.iter_mut()).zip(a).zip(b) {
                *s = a + b;
                *y = f(*s, 0.0);
            }
        }
        None => y.iter_mut().zip(a).zip(b).for_each(|((y, &a), &b)| *y = f(a + b, 0.0)),
    };
    let per = y.len().div_ceil(tasks(y.len())).max(1);
    if per >= y.len() {
        return step(a, b, y, sum);
    }
    let chunks = y.par_chunks_mut(per).zip(a.par_chunks(per)).zip(b.par_chunks(per));
    match sum {
        Some(sum) => chunks.zip(sum.par_chunks_mut(per)).for_each(|(((y, a), b), s)| step(a, b, y, Some(s))),
        None => chunks.for_each(|((y, a), b)| step(a, b, y, None)),
    }
}

/// From dy, the gradients of y = f(a + b): da and db (each = with its flag, else +=)
/// dy · f'(a + b), each skipped with None. `sum` is a + b as `forward` kept it, or None when
/// `function.output_gives_derivative()`.
pub fn backward(function: UnaryOp, sum: Option<&[f32]>, y: &[f32], dy: &[f32], da: Option<(&mut [f32], bool)>, db: Option<(&mut [f32], bool)>) {
    match sum {
        Some(sum) => per_op!(function, derivative, |f| backward_with(f, sum, y, dy, da, db)),
        None => {
            debug_assert!(function.output_gives_derivative());
            per_op!(function, derivative_of_output2, |f| backward_with(f, y, y, dy, da, db))
        }
    }
}

/// `backward` with the derivative `f(sum or y, y)`.
fn backward_with(f: impl Fn(f32, f32) -> f32 + Sync, x: &[f32], y: &[f32], dy: &[f32], da: Option<(&mut [f32], bool)>, db: Option<(&mut [f32], bool)>) {
    let write = |d: &mut f32, v: f32, overwrite: bool| *d = if overwrite { v } else { *d + v };
    // One task's values from `start`.
    let step = |start: usize, dy: &[f32], da: Option<(&mut [f32], bool)>, db: Option<(&mut [f32], bool)>| {
        let (x, y) = (&x[start..start + dy.len()], &y[start..start + dy.len()]);
        match (da, db) {
            (Some((da, oa)), Some((db, ob))) => {
                for i in 0..dy.len() {
                    let d = dy[i] * f(x[i], y[i]);
                    write(&mut da[i], d, oa);
                    write(&mut db[i], d, ob);
                }
            }
            (Some((d_out, o)), None) | (None, Some((d_out, o))) => {
                for i in 0..dy.len() {
                    write(&mut d_out[i], dy[i] * f(x[i], y[i]), o);
                }
            }
            (None, None) => {}
        }
    };
    let per = dy.len().div_ceil(tasks(dy.len())).max(1);
    if per >= dy.len() {
        return step(0, dy, da, db);
    }
    let used = dy.len().div_ceil(per);
    dy.par_chunks(per).zip(chunks(da, per, used)).zip(chunks(db, per, used)).enumerate().for_each(|(t, ((dy, da), db))| step(t * per, dy, da, db));
}

/// One gradient in chunks of `per` values, or `tasks` Nones for a gradient not wanted.
fn chunks(g: Option<(&mut [f32], bool)>, per: usize, tasks: usize) -> Vec<Option<(&mut [f32], bool)>> {
    match g {
        Some((g, overwrite)) => g.chunks_mut(per).map(|c| Some((c, overwrite))).collect(),
        None => (0..tasks).map(|_| None).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::binary::{self, BinaryOp};
    use crate::kernels::testing::check_gradient;
    use crate::kernels::unary;
    use crate::rng::Rng;

    const FUNCTIONS: [UnaryOp; 6] = [UnaryOp::Relu, UnaryOp::Linear, UnaryOp::Tanh, UnaryOp::Relu6, UnaryOp::Gelu, UnaryOp::Swish];

    /// The unfused passes: binary add, then the activation; backward through both.
    fn separate(function: UnaryOp, a: &[f32], b: &[f32], shape: &[usize], dy: &[f32]) -> [Vec<f32>; 3] {
        let (mut z, mut y) = (vec![0.0; a.len()], vec![0.0; a.len()]);
        binary::forward(BinaryOp::Add, a, shape, b, shape, shape, &mut z);
        unary::forward(function, &z, &mut y);
        let (mut dz, mut da, mut db) = (vec![0.0; a.len()], vec![0.0; a.len()], vec![0.0; a.len()]);
        unary::backward(function, &z, &y, dy, &mut dz);
        binary::backward(BinaryOp::Add, a, shape, b, shape, shape, &dz, Some(&mut da), Some(&mut db));
        [y, da, db]
    }

    fn fused(function: UnaryOp, a: &[f32], b: &[f32], dy: &[f32]) -> [Vec<f32>; 3] {
        let keep = !function.output_gives_derivative();
        let (mut sum, mut y) = (vec![0.0; if keep { a.len() } else { 0 }], vec![0.0; a.len()]);
        forward(function, a, b, keep.then_some(sum.as_mut_slice()), &mut y);
        let (mut da, mut db) = (vec![7.0; a.len()], vec![7.0; a.len()]);
        backward(function, keep.then_some(sum.as_slice()), &y, dy, Some((&mut da, true)), Some((&mut db, true)));
        [y, da, db]
    }

    /// Addends whose sums hit 0 and 6 exactly (where relu and relu6 turn) among random ones.
    fn data(n: usize, seed: u64) -> [Vec<f32>; 3] {
        let mut rng = Rng::new(seed);
        let mut a: Vec<f32> = (0..n).map(|_| rng.uniform(-4.0, 8.0)).collect();
        let b: Vec<f32> = (0..n).map(|_| rng.uniform(-2.0, 2.0)).collect();
        for i in (0..n).step_by(7) {
            a[i] = if i % 2 == 0 { -b[i] } else { 6.0 - b[i] };
        }
        let dy = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        [a, b, dy]
    }

    #[test]
    fn equals_the_separate_add_and_activation() {
        // One value, one task's worth, and enough values to split over threads.
        for (k, shape) in [vec![1], vec![3, 4, 4, 6], vec![2, 28, 28, 64]].into_iter().enumerate() {
            let [a, b, dy] = data(shape.iter().product(), k as u64 + 1);
            for function in FUNCTIONS {
                let (want, got) = (separate(function, &a, &b, &shape, &dy), fused(function, &a, &b, &dy));
                // The same float32 operations, so equal.
                for (what, g, w) in [("y", &got[0], &want[0]), ("da", &got[1], &want[1]), ("db", &got[2], &want[2])] {
                    assert_eq!(g, w, "{function:?} {shape:?} {what}");
                }
            }
        }
    }

    #[test]
    fn accumulates_where_asked_and_skips_what_is_not() {
        for n in [30, 2 * 28 * 28 * 64] {
            let [a, b, dy] = data(n, 9);
            let want = separate(UnaryOp::Tanh, &a, &b, &[n], &dy);
            let mut y = vec![0.0; n];
            forward(UnaryOp::Tanh, &a, &b, None, &mut y);
            let (mut da, mut db) = (vec![0.5; n], vec![0.25; n]);
            backward(UnaryOp::Tanh, None, &y, &dy, Some((&mut da, false)), Some((&mut db, true)));
            da.iter().zip(&want[1]).for_each(|(g, w)| assert!((g - 0.5 - w).abs() < 1e-6));
            assert_eq!(db, want[2]);
            let mut db_only = vec![0.5; n];
            backward(UnaryOp::Tanh, None, &y, &dy, None, Some((&mut db_only, false)));
            db_only.iter().zip(&want[2]).for_each(|(g, w)| assert!((g - 0.5 - w).abs() < 1e-6));
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let [a, b, _] = data(24, 4);
        for function in [UnaryOp::Tanh, UnaryOp::Swish, UnaryOp::Relu] {
            // Sums at least 0.1 from relu's kink (eps is 0.01), where finite differences apply.
            let a: Vec<f32> = a.iter().zip(&b).map(|(a, b)| if (a + b).abs() < 0.1 { a + 0.5 } else { *a }).collect();
            let run = |a: &[f32], b: &[f32]| {
                let mut y = vec![0.0; a.len()];
                forward(function, a, b, None, &mut y);
                y
            };
            let grad = |a: &[f32], b: &[f32], dy: &[f32], which: usize| {
                let keep = !function.output_gives_derivative();
                let (mut sum, mut y) = (vec![0.0; if keep { a.len() } else { 0 }], vec![0.0; a.len()]);
                forward(function, a, b, keep.then_some(sum.as_mut_slice()), &mut y);
                let mut d = vec![0.0; a.len()];
                let (da, db) = if which == 0 { (Some((d.as_mut_slice(), true)), None) } else { (None, Some((d.as_mut_slice(), true))) };
                backward(function, keep.then_some(sum.as_slice()), &y, dy, da, db);
                d
            };
            check_gradient("residual activation da", &a, |a| run(a, &b), |a, dy| grad(a, &b, dy, 0));
            check_gradient("residual activation db", &b, |b| run(&a, b), |b, dy| grad(&a, b, dy, 1));
        }
    }
}
