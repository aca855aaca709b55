//! Running sums along one axis (Keras' `ops.cumsum`), viewed as [outer, axis, inner].

/// y[.., k, ..] = x[.., 0, ..] + ... + x[.., k, ..].
pub fn cumsum(x: &[f32], dims: (usize, usize, usize), y: &mut [f32]) {
    let (outer, len, inner) = dims;
    for o in 0..outer {
        for i in 0..inner {
            let mut total = 0.0;
            for k in 0..len {
                let at = (o * len + k) * inner + i;
                total += x[at];
                y[at] = total;
            }
        }
    }
}

/// dx += the gradient of `cumsum`: each entry gets the sum of dy from its position to the end.
pub fn cumsum_backward(dy: &[f32], dims: (usize, usize, usize), dx: &mut [f32]) {
    let (outer, len, inner) = dims;
    for o in 0..outer {
        for i in 0..inner {
            let mut total = 0.0;
            for k in (0..len).rev() {
                let at = (o * len + k) * inner + i;
                total += dy[at];
                dx[at] += total;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    #[test]
    fn cumsum_matches_numpy_and_finite_differences() {
        let x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // [2, 3]
        let mut y = vec![0.0; 6];
        cumsum(&x, (1, 2, 3), &mut y);
        assert_eq!(y, vec![1.0, 2.0, 3.0, 5.0, 7.0, 9.0]); // np.cumsum(x, axis=0)
        cumsum(&x, (2, 3, 1), &mut y);
        assert_eq!(y, vec![1.0, 3.0, 6.0, 4.0, 9.0, 15.0]); // axis=1
        for dims in [(1, 2, 3), (2, 3, 1)] {
            check_gradient(
                "cumsum",
                &x,
                |x| {
                    let mut y = vec![0.0; 6];
                    cumsum(x, dims, &mut y);
                    y
                },
                |_, dy| {
                    let mut dx = vec![0.0; 6];
                    cumsum_backward(dy, dims, &mut dx);
                    dx
                },
            );
        }
    }
}
