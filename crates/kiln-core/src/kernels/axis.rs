//! Moves along one axis of a tensor seen as [outer, len, inner]: a contiguous slice of it
//! (splitting a recurrent layer's packed output and states) and its reversal (the backward
//! half of a Bidirectional layer). Their gradients are the same moves in the other direction.

/// y = x[:, begin..begin + size, :], with dims (outer, len, inner) of x.
pub fn slice_forward(x: &[f32], dims: (usize, usize, usize), begin: usize, size: usize, y: &mut [f32]) {
    let (outer, len, inner) = dims;
    for o in 0..outer {
        y[o * size * inner..][..size * inner].copy_from_slice(&x[(o * len + begin) * inner..][..size * inner]);
    }
}

/// dx[:, begin..begin + size, :] += dy.
pub fn slice_backward(dy: &[f32], dims: (usize, usize, usize), begin: usize, size: usize, dx: &mut [f32]) {
    let (outer, len, inner) = dims;
    for o in 0..outer {
        let row = &mut dx[(o * len + begin) * inner..][..size * inner];
        row.iter_mut().zip(&dy[o * size * inner..][..size * inner]).for_each(|(d, g)| *d += g);
    }
}

/// y[:, j, :] = x[:, len - 1 - j, :]; with `accumulate`, adds instead (the gradient).
pub fn flip(x: &[f32], dims: (usize, usize, usize), y: &mut [f32], accumulate: bool) {
    let (outer, len, inner) = dims;
    for o in 0..outer {
        for j in 0..len {
            let src = &x[(o * len + len - 1 - j) * inner..][..inner];
            let dst = &mut y[(o * len + j) * inner..][..inner];
            if accumulate {
                dst.iter_mut().zip(src).for_each(|(d, v)| *d += v);
            } else {
                dst.copy_from_slice(src);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    #[test]
    fn slices_and_flips_the_middle_axis() {
        let x: Vec<f32> = (0..12).map(|v| v as f32).collect(); // [2, 3, 2]
        let mut y = vec![0.0; 8];
        slice_forward(&x, (2, 3, 2), 1, 2, &mut y);
        assert_eq!(y, [2.0, 3.0, 4.0, 5.0, 8.0, 9.0, 10.0, 11.0]);
        let mut f = vec![0.0; 12];
        flip(&x, (2, 3, 2), &mut f, false);
        assert_eq!(f, [4.0, 5.0, 2.0, 3.0, 0.0, 1.0, 10.0, 11.0, 8.0, 9.0, 6.0, 7.0]);
        check_gradient(
            "slice",
            &x,
            |x| {
                let mut y = vec![0.0; 8];
                slice_forward(x, (2, 3, 2), 1, 2, &mut y);
                y
            },
            |x, dy| {
                let mut dx = vec![0.0; x.len()];
                slice_backward(dy, (2, 3, 2), 1, 2, &mut dx);
                dx
            },
        );
        check_gradient(
            "flip",
            &x,
            |x| {
                let mut y = vec![0.0; 12];
                flip(x, (2, 3, 2), &mut y, false);
                y
            },
            |x, dy| {
                let mut dx = vec![0.0; x.len()];
                flip(dy, (2, 3, 2), &mut dx, true);
                dx
            },
        );
    }
}
