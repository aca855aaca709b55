//! Elementwise functions of two tensors with numpy broadcasting, and their gradients.
//! One strided walk serves every op and every broadcast pattern.
use super::extremum;
use crate::error::{dims_str, shape_str, KilnError, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
    /// 1 where a != b, else 0 (masks); no gradient.
    NotEqual,
    // Ops for custom layers (kiln.ops): comparisons give 1 or 0 and no gradient.
    Equal,
    Greater,
    GreaterEqual,
    Less,
    LessEqual,
    /// a to the power b.
    Power,
}

impl BinaryOp {
    #[inline]
    pub fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Maximum => extremum::maximum(a, b),
            BinaryOp::Minimum => extremum::minimum(a, b),
            BinaryOp::NotEqual => f32::from(u8::from(a != b)),
            BinaryOp::Equal => f32::from(u8::from(a == b)),
            BinaryOp::Greater => f32::from(u8::from(a > b)),
            BinaryOp::GreaterEqual => f32::from(u8::from(a >= b)),
            BinaryOp::Less => f32::from(u8::from(a < b)),
            BinaryOp::LessEqual => f32::from(u8::from(a <= b)),
            BinaryOp::Power => a.powf(b),
        }
    }

    /// (d/da, d/db) at (a, b).
    #[inline]
    pub fn partials(self, a: f32, b: f32) -> (f32, f32) {
        match self {
            BinaryOp::Add => (1.0, 1.0),
            BinaryOp::Sub => (1.0, -1.0),
            BinaryOp::Mul => (b, a),
            BinaryOp::Div => (1.0 / b, -a / (b * b)),
            // Ties send the gradient to `a`, as TensorFlow does.
            BinaryOp::Maximum => {
                if a >= b {
                    (1.0, 0.0)
                } else {
                    (0.0, 1.0)
                }
            }
            BinaryOp::Minimum => {
                if a <= b {
                    (1.0, 0.0)
                } else {
                    (0.0, 1.0)
                }
            }
            BinaryOp::NotEqual | BinaryOp::Equal | BinaryOp::Greater | BinaryOp::GreaterEqual | BinaryOp::Less | BinaryOp::LessEqual => (0.0, 0.0),
            // The exponent's gradient is 0 where the base is not positive, as TensorFlow's.
            BinaryOp::Power => (if b == 0.0 { 0.0 } else { b * a.powf(b - 1.0) }, if a > 0.0 { a.powf(b) * a.ln() } else { 0.0 }),
        }
    }
}

/// The numpy broadcast of two shapes.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    if rank > MAX_RANK {
        return Err(KilnError::shape(format!("Elementwise ops support up to {MAX_RANK} axes, got shapes {} and {}", shape_str(a), shape_str(b))));
    }
    let known = |s: &[usize]| s.iter().map(|&d| Some(d)).collect::<Vec<_>>();
    Ok(broadcast_dims(&known(a), &known(b))?.into_iter().map(|d| d.unwrap_or(1)).collect())
}

/// numpy broadcasting of shapes whose axes may be unknown (None, as a recorded graph's batch
/// axis): equal axes and axes of 1 broadcast as numpy's do; an unknown axis against a known
/// one other than 1 takes the known length (the data must have it).
pub fn broadcast_dims(a: &[Option<usize>], b: &[Option<usize>]) -> Result<Vec<Option<usize>>> {
    let rank = a.len().max(b.len());
    let mut out = vec![None; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { Some(1) };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { Some(1) };
        out[i] = match (da, db) {
            _ if da == db => da,
            (d, Some(1)) | (Some(1), d) => d,
            (None, d) | (d, None) => d,
            _ => return Err(KilnError::shape(format!("Shapes {} and {} cannot be broadcast together", dims_str(a), dims_str(b)))),
        };
    }
    Ok(out)
}

/// Axes kiln's broadcasting handles without allocating; higher ranks are refused when planned.
pub const MAX_RANK: usize = 8;

/// Strides of `shape` seen through the broadcast to `out` (0 on broadcast axes).
fn broadcast_strides(shape: &[usize], out: &[usize]) -> [usize; MAX_RANK] {
    let mut strides = [0; MAX_RANK];
    let mut stride = 1;
    for i in (0..shape.len()).rev() {
        let o = i + out.len() - shape.len();
        strides[o] = if shape[i] == 1 { 0 } else { stride };
        stride *= shape[i];
    }
    strides
}

/// One contiguous stretch of the output along the last axis: `len` elements from `out`,
/// reading `a` and `b` from their starts with steps of 1 or 0 (broadcast).
#[derive(Clone, Copy)]
pub struct Run {
    pub out: usize,
    pub a: usize,
    pub b: usize,
    pub len: usize,
    pub a_step: usize,
    pub b_step: usize,
}

/// Calls `f` for every run of the broadcast result, in order. Allocates nothing.
pub fn for_each_run(a: &[usize], b: &[usize], out: &[usize], mut f: impl FnMut(Run)) {
    let total: usize = out.iter().product();
    if total == 0 {
        return;
    }
    if a == b {
        f(Run { out: 0, a: 0, b: 0, len: total, a_step: 1, b_step: 1 });
        return;
    }
    let rank = out.len();
    assert!(rank <= MAX_RANK, "broadcasting supports up to {MAX_RANK} axes");
    if rank == 0 {
        f(Run { out: 0, a: 0, b: 0, len: 1, a_step: 0, b_step: 0 });
        return;
    }
    let (sa, sb) = (broadcast_strides(a, out), broadcast_strides(b, out));
    let inner = out[rank - 1];
    let mut counter = [0usize; MAX_RANK];
    let (mut oa, mut ob) = (0usize, 0usize);
    let mut o = 0;
    while o < total {
        f(Run { out: o, a: oa, b: ob, len: inner, a_step: sa[rank - 1], b_step: sb[rank - 1] });
        o += inner;
        // Advance the odometer over the outer axes.
        let mut axis = rank - 1;
        while axis > 0 {
            axis -= 1;
            counter[axis] += 1;
            oa += sa[axis];
            ob += sb[axis];
            if counter[axis] < out[axis] {
                break;
            }
            oa -= sa[axis] * out[axis];
            ob -= sb[axis] * out[axis];
            counter[axis] = 0;
        }
    }
}

/// Calls `f(out_index, a_index, b_index)` for every element of the broadcast result, in order.
pub fn for_each_broadcast(a: &[usize], b: &[usize], out: &[usize], mut f: impl FnMut(usize, usize, usize)) {
    for_each_run(a, b, out, |r| {
        for k in 0..r.len {
            f(r.out + k, r.a + k * r.a_step, r.b + k * r.b_step);
        }
    });
}

/// The elementwise loop of one run, specialised on the steps so the common cases vectorise.
#[inline(always)]
fn run_forward(f: impl Fn(f32, f32) -> f32, a: &[f32], b: &[f32], y: &mut [f32], r: Run) {
    let y = &mut y[r.out..r.out + r.len];
    match (r.a_step, r.b_step) {
        (1, 1) => y.iter_mut().zip(&a[r.a..r.a + r.len]).zip(&b[r.b..r.b + r.len]).for_each(|((y, &x), &z)| *y = f(x, z)),
        (1, 0) => y.iter_mut().zip(&a[r.a..r.a + r.len]).for_each(|(y, &x)| *y = f(x, b[r.b])),
        (0, 1) => y.iter_mut().zip(&b[r.b..r.b + r.len]).for_each(|(y, &z)| *y = f(a[r.a], z)),
        _ => y.fill(f(a[r.a], b[r.b])),
    }
}

pub fn forward(op: BinaryOp, a: &[f32], a_shape: &[usize], b: &[f32], b_shape: &[usize], out_shape: &[usize], y: &mut [f32]) {
    // One monomorphised loop per op: the op's match stays outside the element loop.
    macro_rules! each_op {
        ($($variant:ident => $f:expr),*) => {
            match op { $(BinaryOp::$variant => for_each_run(a_shape, b_shape, out_shape, |r| run_forward($f, a, b, y, r)),)* }
        };
    }
    each_op!(
        Add => |x, z| x + z,
        Sub => |x, z| x - z,
        Mul => |x, z| x * z,
        Div => |x, z| x / z,
        Maximum => extremum::maximum,
        Minimum => extremum::minimum,
        NotEqual => |x: f32, z: f32| f32::from(u8::from(x != z)),
        Equal => |x: f32, z: f32| f32::from(u8::from(x == z)),
        Greater => |x: f32, z: f32| f32::from(u8::from(x > z)),
        GreaterEqual => |x: f32, z: f32| f32::from(u8::from(x >= z)),
        Less => |x: f32, z: f32| f32::from(u8::from(x < z)),
        LessEqual => |x: f32, z: f32| f32::from(u8::from(x <= z)),
        Power => |x: f32, z: f32| x.powf(z)
    );
}

/// Accumulates the gradients of both operands; either can be skipped with `None`.
#[allow(clippy::too_many_arguments)]
pub fn backward(op: BinaryOp, a: &[f32], a_shape: &[usize], b: &[f32], b_shape: &[usize], out_shape: &[usize], dy: &[f32], mut da: Option<&mut [f32]>, mut db: Option<&mut [f32]>) {
    // Addition's gradient is dy itself: summed runs, the bias-gradient case, vectorise.
    if op == BinaryOp::Add {
        for_each_run(a_shape, b_shape, out_shape, |r| {
            let g = &dy[r.out..r.out + r.len];
            for (grad, start, step) in [(da.as_deref_mut(), r.a, r.a_step), (db.as_deref_mut(), r.b, r.b_step)] {
                match (grad, step) {
                    (Some(d), 1) => d[start..start + r.len].iter_mut().zip(g).for_each(|(d, &g)| *d += g),
                    (Some(d), _) => d[start] += g.iter().sum::<f32>(),
                    (None, _) => {}
                }
            }
        });
        return;
    }
    for_each_broadcast(a_shape, b_shape, out_shape, |o, i, j| {
        let (ga, gb) = op.partials(a[i], b[j]);
        if let Some(da) = da.as_deref_mut() {
            da[i] += dy[o] * ga;
        }
        if let Some(db) = db.as_deref_mut() {
            db[j] += dy[o] * gb;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    #[test]
    fn unknown_axes_broadcast_to_the_known_length() {
        let (n, k) = (None, Some);
        assert_eq!(broadcast_dims(&[n, k(3)], &[k(3)]).unwrap(), vec![n, k(3)]);
        assert_eq!(broadcast_dims(&[n, k(1)], &[k(4), k(3)]).unwrap(), vec![k(4), k(3)]);
        assert_eq!(broadcast_dims(&[n, k(2)], &[k(1), n]).unwrap(), vec![n, k(2)]);
        assert_eq!(broadcast_dims(&[k(1)], &[n]).unwrap(), vec![n]);
        assert_eq!(broadcast_dims(&[], &[n, k(5)]).unwrap(), vec![n, k(5)]);
        assert_eq!(broadcast_dims(&[n, k(2)], &[k(3)]).unwrap_err().message, "Shapes [null, 2] and [3] cannot be broadcast together");
        assert_eq!(broadcast_shape(&[2, 1, 3], &[4, 1]).unwrap(), vec![2, 4, 3]);
    }

    #[test]
    fn broadcasting_matches_numpy() {
        assert_eq!(broadcast_shape(&[4, 1, 3], &[5, 1]).unwrap(), vec![4, 5, 3]);
        assert!(broadcast_shape(&[2, 3], &[4]).is_err());
        let a: Vec<f32> = (0..6).map(|v| v as f32).collect(); // [2,3]
        let b = vec![10.0, 20.0, 30.0]; // [3]
        let mut y = vec![0.0; 6];
        forward(BinaryOp::Add, &a, &[2, 3], &b, &[3], &[2, 3], &mut y);
        assert_eq!(y, vec![10.0, 21.0, 32.0, 13.0, 24.0, 35.0]);
        let c = vec![1.0, 2.0]; // [2,1]
        forward(BinaryOp::Mul, &a, &[2, 3], &c, &[2, 1], &[2, 3], &mut y);
        assert_eq!(y, vec![0.0, 1.0, 2.0, 6.0, 8.0, 10.0]);
    }

    #[test]
    fn maximum_and_minimum_keep_nan() {
        let (a, b) = ([f32::NAN, 1.0, 2.0], [0.0, f32::NAN, 3.0]);
        for op in [BinaryOp::Maximum, BinaryOp::Minimum] {
            let mut y = vec![0.0; 3];
            forward(op, &a, &[3], &b, &[3], &[3], &mut y);
            assert!(y[0].is_nan() && y[1].is_nan(), "{op:?}: {y:?}");
            assert_eq!(y[2], if op == BinaryOp::Maximum { 3.0 } else { 2.0 });
            assert!(op.apply(f32::NAN, 0.0).is_nan());
        }
    }

    #[test]
    fn both_sided_broadcast_matches_a_naive_loop() {
        // [2,1,3] op [4,1] -> [2,4,3]
        let a: Vec<f32> = (0..6).map(|v| v as f32 * 0.5 - 1.0).collect();
        let b: Vec<f32> = (0..4).map(|v| v as f32 + 0.3).collect(); // no ties with a: max has a kink there
        let (sa, sb, so) = ([2usize, 1, 3], [4usize, 1], [2usize, 4, 3]);
        for op in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Maximum] {
            let mut y = vec![0.0; 24];
            forward(op, &a, &sa, &b, &sb, &so, &mut y);
            for i in 0..2 {
                for j in 0..4 {
                    for k in 0..3 {
                        assert_eq!(y[(i * 4 + j) * 3 + k], op.apply(a[i * 3 + k], b[j]), "{op:?}");
                    }
                }
            }
            check_gradient(
                &format!("{op:?} rank 3 wrt a"),
                &a,
                |a| {
                    let mut y = vec![0.0; 24];
                    forward(op, a, &sa, &b, &sb, &so, &mut y);
                    y
                },
                |a, dy| {
                    let mut da = vec![0.0; 6];
                    backward(op, a, &sa, &b, &sb, &so, dy, Some(&mut da), None);
                    da
                },
            );
            check_gradient(
                &format!("{op:?} rank 3 wrt b"),
                &b,
                |b| {
                    let mut y = vec![0.0; 24];
                    forward(op, &a, &sa, b, &sb, &so, &mut y);
                    y
                },
                |b, dy| {
                    let mut db = vec![0.0; 4];
                    backward(op, &a, &sa, b, &sb, &so, dy, None, Some(&mut db));
                    db
                },
            );
        }
    }

    #[test]
    fn gradients_match_finite_differences_under_broadcast() {
        use BinaryOp::*;
        let (sa, sb, so) = ([2usize, 3], [3usize], [2usize, 3]);
        let a0 = vec![0.5, -1.2, 2.0, 0.7, 1.1, -0.4];
        let b0 = vec![1.5, 0.8, -2.5];
        for op in [Add, Sub, Mul, Div, Maximum, Minimum] {
            let fwd = |a: &[f32], b: &[f32]| {
                let mut y = vec![0.0; 6];
                forward(op, a, &sa, b, &sb, &so, &mut y);
                y
            };
            check_gradient(
                &format!("{op:?} wrt a"),
                &a0,
                |a| fwd(a, &b0),
                |a, dy| {
                    let mut da = vec![0.0; 6];
                    backward(op, a, &sa, &b0, &sb, &so, dy, Some(&mut da), None);
                    da
                },
            );
            check_gradient(
                &format!("{op:?} wrt b"),
                &b0,
                |b| fwd(&a0, b),
                |b, dy| {
                    let mut db = vec![0.0; 3];
                    backward(op, &a0, &sa, b, &sb, &so, dy, None, Some(&mut db));
                    db
                },
            );
        }
    }

    #[test]
    fn comparisons_and_power_match_numpy() {
        use BinaryOp::*;
        let (a, b) = ([1.0f32, 2.0, 3.0], [2.0f32]);
        let run = |op| {
            let mut y = vec![0.0; 3];
            forward(op, &a, &[3], &b, &[1], &[3], &mut y);
            y
        };
        assert_eq!(run(Equal), vec![0.0, 1.0, 0.0]);
        assert_eq!(run(Greater), vec![0.0, 0.0, 1.0]);
        assert_eq!(run(GreaterEqual), vec![0.0, 1.0, 1.0]);
        assert_eq!(run(Less), vec![1.0, 0.0, 0.0]);
        assert_eq!(run(LessEqual), vec![1.0, 1.0, 0.0]);
        assert_eq!(run(Power), vec![1.0, 4.0, 9.0]);
        let (a0, b0) = (vec![0.5, 1.2, 2.0, 0.7, 1.1, 0.4], vec![1.5, 0.8, -2.5]);
        let fwd = |a: &[f32], b: &[f32]| {
            let mut y = vec![0.0; 6];
            forward(Power, a, &[2, 3], b, &[3], &[2, 3], &mut y);
            y
        };
        check_gradient(
            "power wrt a",
            &a0,
            |a| fwd(a, &b0),
            |a, dy| {
                let mut da = vec![0.0; 6];
                backward(Power, a, &[2, 3], &b0, &[3], &[2, 3], dy, Some(&mut da), None);
                da
            },
        );
        check_gradient(
            "power wrt b",
            &b0,
            |b| fwd(&a0, b),
            |b, dy| {
                let mut db = vec![0.0; 3];
                backward(Power, &a0, &[2, 3], b, &[3], &[2, 3], dy, None, Some(&mut db));
                db
            },
        );
    }
}
