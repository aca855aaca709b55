//! Axis permutation (numpy's transpose) of a row-major tensor, and its adjoint.

/// The shape after moving axis `perm[i]` of `shape` to position i.
pub fn permuted_shape(shape: &[usize], perm: &[usize]) -> Vec<usize> {
    perm.iter().map(|&a| shape[a]).collect()
}

/// The permutation that undoes `perm`.
pub fn inverse(perm: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    inv
}

/// dst (= or, with `accumulate`, +=) x with its axes permuted: dst axis i is x's axis perm[i].
pub fn permute(x: &[f32], shape: &[usize], perm: &[usize], accumulate: bool, dst: &mut [f32]) {
    let rank = shape.len();
    if rank == 0 || x.is_empty() {
        if accumulate {
            dst.iter_mut().zip(x).for_each(|(d, v)| *d += v)
        } else {
            dst.copy_from_slice(x)
        }
        return;
    }
    let mut strides = vec![1; rank];
    for a in (0..rank - 1).rev() {
        strides[a] = strides[a + 1] * shape[a + 1];
    }
    // Walk dst in order; x's offset follows through the permuted strides.
    let out_shape = permuted_shape(shape, perm);
    let src_strides: Vec<usize> = perm.iter().map(|&a| strides[a]).collect();
    let (inner, inner_stride) = (out_shape[rank - 1], src_strides[rank - 1]);
    let mut index = vec![0; rank - 1];
    let mut offset = 0;
    for row in dst.chunks_exact_mut(inner) {
        for (i, d) in row.iter_mut().enumerate() {
            let v = x[offset + i * inner_stride];
            if accumulate {
                *d += v
            } else {
                *d = v
            }
        }
        // Next row: an odometer over the outer axes.
        for a in (0..rank - 1).rev() {
            index[a] += 1;
            offset += src_strides[a];
            if index[a] < out_shape[a] {
                break;
            }
            offset -= src_strides[a] * out_shape[a];
            index[a] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    #[test]
    fn matches_numpy_transpose() {
        // x = arange(24).reshape(2, 3, 4); x.transpose(2, 0, 1)[3, 1, 2] == x[1, 2, 3] == 23
        let x: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let mut y = vec![0.0; 24];
        permute(&x, &[2, 3, 4], &[2, 0, 1], false, &mut y);
        assert_eq!(permuted_shape(&[2, 3, 4], &[2, 0, 1]), vec![4, 2, 3]);
        assert_eq!(y[(3 * 2 + 1) * 3 + 2], 23.0);
        assert_eq!(&y[..6], &[0.0, 4.0, 8.0, 12.0, 16.0, 20.0]);
        let mut back = vec![0.0; 24];
        permute(&y, &[4, 2, 3], &inverse(&[2, 0, 1]), false, &mut back);
        assert_eq!(back, x);
    }

    #[test]
    fn gradient_is_the_inverse_permutation() {
        let (shape, perm) = ([2, 3, 2, 2], [0, 3, 1, 2]);
        let x: Vec<f32> = (0..24).map(|v| (v as f32 * 0.37).sin()).collect();
        check_gradient(
            "permute",
            &x,
            |x| {
                let mut y = vec![0.0; x.len()];
                permute(x, &shape, &perm, false, &mut y);
                y
            },
            |x, dy| {
                let mut dx = vec![0.0; x.len()];
                permute(dy, &permuted_shape(&shape, &perm), &inverse(&perm), true, &mut dx);
                dx
            },
        );
    }
}
