//! Reductions along one axis (sum, mean, max, min, prod, argmax, argmin) viewed as [outer, axis, inner].
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReduceOp {
    Sum,
    Mean,
    Max,
    Min,
    Prod,
}

/// The [outer, axis, inner] view of `shape` around `axis`.
pub fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}

pub fn forward(op: ReduceOp, x: &[f32], dims: (usize, usize, usize), y: &mut [f32]) {
    let (outer, len, inner) = dims;
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| x[(o * len + k) * inner + i];
            let v = match op {
                ReduceOp::Sum => (0..len).map(at).sum(),
                ReduceOp::Mean => (0..len).map(at).sum::<f32>() / len as f32,
                ReduceOp::Max => (0..len).map(at).fold(f32::NEG_INFINITY, super::extremum::maximum),
                ReduceOp::Min => (0..len).map(at).fold(f32::INFINITY, super::extremum::minimum),
                ReduceOp::Prod => (0..len).map(at).product(),
            };
            y[o * inner + i] = v;
        }
    }
}

/// dx += the gradient of the reduction; max and min send it to the first extreme element,
/// prod to each entry times the product of the others.
pub fn backward(op: ReduceOp, x: &[f32], dims: (usize, usize, usize), y: &[f32], dy: &[f32], dx: &mut [f32]) {
    let (outer, len, inner) = dims;
    for o in 0..outer {
        for i in 0..inner {
            let g = dy[o * inner + i];
            match op {
                ReduceOp::Sum | ReduceOp::Mean => {
                    let g = if op == ReduceOp::Mean { g / len as f32 } else { g };
                    for k in 0..len {
                        dx[(o * len + k) * inner + i] += g;
                    }
                }
                ReduceOp::Max | ReduceOp::Min => {
                    let m = y[o * inner + i];
                    let hit = |v: f32| v == m || (m.is_nan() && v.is_nan());
                    if let Some(k) = (0..len).find(|&k| hit(x[(o * len + k) * inner + i])) {
                        dx[(o * len + k) * inner + i] += g;
                    }
                }
                ReduceOp::Prod => {
                    // Products of the entries before and after each one, so zeros need no division.
                    let at = |k: usize| (o * len + k) * inner + i;
                    let mut before = 1.0;
                    let mut after = vec![1.0f32; len + 1];
                    for k in (0..len).rev() {
                        after[k] = after[k + 1] * x[at(k)];
                    }
                    for k in 0..len {
                        dx[at(k)] += g * before * after[k + 1];
                        before *= x[at(k)];
                    }
                }
            }
        }
    }
}

/// Index of the first largest value along the axis; the first NaN if any (numpy's rule).
pub fn argmax(x: &[f32], dims: (usize, usize, usize)) -> Vec<i32> {
    arg_extreme(x, dims, super::extremum::beats)
}

/// Index of the first smallest value along the axis; the first NaN if any (numpy's rule).
pub fn argmin(x: &[f32], dims: (usize, usize, usize)) -> Vec<i32> {
    arg_extreme(x, dims, super::extremum::beats_below)
}

fn arg_extreme(x: &[f32], dims: (usize, usize, usize), better: impl Fn(f32, f32) -> bool) -> Vec<i32> {
    let (outer, len, inner) = dims;
    let mut out = vec![0i32; outer * inner];
    for o in 0..outer {
        for i in 0..inner {
            let mut best = 0;
            for k in 1..len {
                if better(x[(o * len + k) * inner + i], x[(o * len + best) * inner + i]) {
                    best = k;
                }
            }
            out[o * inner + i] = best as i32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    #[test]
    fn reductions_match_hand_values() {
        let x: Vec<f32> = (0..6).map(|v| v as f32).collect(); // [2, 3]
        let mut y = vec![0.0; 3];
        forward(ReduceOp::Sum, &x, split_at_axis(&[2, 3], 0), &mut y);
        assert_eq!(y, vec![3.0, 5.0, 7.0]);
        let mut y = vec![0.0; 2];
        forward(ReduceOp::Mean, &x, split_at_axis(&[2, 3], 1), &mut y);
        assert_eq!(y, vec![1.0, 4.0]);
        assert_eq!(argmax(&[1.0, 5.0, 5.0, 0.0], (2, 2, 1)), vec![1, 0]);
        assert_eq!(argmin(&[1.0, 5.0, 5.0, 0.0, 0.0, 7.0], (2, 3, 1)), vec![0, 0]);
        let mut y = vec![0.0; 3];
        forward(ReduceOp::Min, &x, split_at_axis(&[2, 3], 0), &mut y);
        assert_eq!(y, vec![0.0, 1.0, 2.0]);
        forward(ReduceOp::Prod, &x, split_at_axis(&[2, 3], 0), &mut y);
        assert_eq!(y, vec![0.0, 4.0, 10.0]);
    }

    #[test]
    fn nan_wins_max_and_argmax_as_in_numpy() {
        let x = [1.0, f32::NAN, 3.0, f32::NAN, 2.0, 0.0]; // [2, 3]
        let mut y = vec![0.0; 2];
        forward(ReduceOp::Max, &x, (2, 3, 1), &mut y);
        assert!(y[0].is_nan() && y[1].is_nan());
        assert_eq!(argmax(&x, (2, 3, 1)), vec![1, 0]);
        assert_eq!(argmax(&[1.0, f32::INFINITY, f32::NAN], (1, 3, 1)), vec![2]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x0 = vec![0.1, 0.9, -0.5, 1.3, 0.2, 0.7, -1.0, 0.4, 2.0, 0.3, 0.5, 0.6];
        for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod] {
            for axis in 0..3 {
                let dims = split_at_axis(&[2, 3, 2], axis);
                let n_out = dims.0 * dims.2;
                let fwd = |x: &[f32]| {
                    let mut y = vec![0.0; n_out];
                    forward(op, x, dims, &mut y);
                    y
                };
                check_gradient(&format!("{op:?} axis {axis}"), &x0, fwd, |x, dy| {
                    let y = fwd(x);
                    let mut dx = vec![0.0; x.len()];
                    backward(op, x, dims, &y, dy, &mut dx);
                    dx
                });
            }
        }
    }
}
