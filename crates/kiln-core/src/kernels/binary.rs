//! Elementwise functions of two tensors with numpy broadcasting, and their gradients.
//! One strided walk serves every op and every broadcast pattern.
use crate::error::{shape_str, KilnError, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
}

impl BinaryOp {
    #[inline]
    pub fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Maximum => a.max(b),
            BinaryOp::Minimum => a.min(b),
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
            BinaryOp::Maximum => if a >= b { (1.0, 0.0) } else { (0.0, 1.0) },
            BinaryOp::Minimum => if a <= b { (1.0, 0.0) } else { (0.0, 1.0) },
        }
    }
}

/// The numpy broadcast of two shapes.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out[i] = match (da, db) {
            _ if da == db => da,
            (1, d) | (d, 1) => d,
            _ => {
                return Err(KilnError::shape(format!(
                    "Shapes {} and {} cannot be broadcast together",
                    shape_str(a),
                    shape_str(b)
                )))
            }
        };
    }
    Ok(out)
}

/// Strides of `shape` seen through the broadcast to `out` (0 on broadcast axes).
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; out.len()];
    let mut stride = 1;
    for i in (0..shape.len()).rev() {
        let o = i + out.len() - shape.len();
        strides[o] = if shape[i] == 1 { 0 } else { stride };
        stride *= shape[i];
    }
    strides
}

/// Calls `f(out_index, a_index, b_index)` for every element of the broadcast result, in order.
pub fn for_each_broadcast(a: &[usize], b: &[usize], out: &[usize], mut f: impl FnMut(usize, usize, usize)) {
    let total: usize = out.iter().product();
    if total == 0 {
        return;
    }
    if a == b {
        for i in 0..total {
            f(i, i, i);
        }
        return;
    }
    let rank = out.len();
    if rank == 0 {
        f(0, 0, 0);
        return;
    }
    let (sa, sb) = (broadcast_strides(a, out), broadcast_strides(b, out));
    let inner = out[rank - 1];
    let (ia, ib) = (sa[rank - 1], sb[rank - 1]);
    let mut counter = vec![0usize; rank];
    let (mut oa, mut ob) = (0usize, 0usize);
    let mut o = 0;
    while o < total {
        for j in 0..inner {
            f(o + j, oa + j * ia, ob + j * ib);
        }
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

pub fn forward(op: BinaryOp, a: &[f32], a_shape: &[usize], b: &[f32], b_shape: &[usize], out_shape: &[usize], y: &mut [f32]) {
    for_each_broadcast(a_shape, b_shape, out_shape, |o, i, j| y[o] = op.apply(a[i], b[j]));
}

/// Accumulates the gradients of both operands; either can be skipped with `None`.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    op: BinaryOp,
    a: &[f32], a_shape: &[usize],
    b: &[f32], b_shape: &[usize],
    out_shape: &[usize], dy: &[f32],
    mut da: Option<&mut [f32]>, mut db: Option<&mut [f32]>,
) {
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
            check_gradient(&format!("{op:?} wrt a"), &a0, |a| fwd(a, &b0), |a, dy| {
                let mut da = vec![0.0; 6];
                backward(op, a, &sa, &b0, &sb, &so, dy, Some(&mut da), None);
                da
            });
            check_gradient(&format!("{op:?} wrt b"), &b0, |b| fwd(&a0, b), |b, dy| {
                let mut db = vec![0.0; 3];
                backward(op, &a0, &sa, b, &sb, &so, dy, None, Some(&mut db));
                db
            });
        }
    }
}
