//! Softmax over the last axis, in the max-subtracted form that cannot overflow.
use crate::threads;
use rayon::prelude::*;

/// From this many values the rows are split over the pool: an exponential per value makes a
/// batch of 1024 rows of 10 classes (a classifier's output at batch inference) worth the split.
const PARALLEL_MIN_VALUES: usize = 1 << 12;

pub fn forward(x: &[f32], classes: usize, y: &mut [f32]) {
    let threads = threads::num_threads();
    if threads > 1 && classes > 0 && y.len() >= PARALLEL_MIN_VALUES {
        // Whole rows per task: each row's values are those of the serial pass.
        let per = (y.len() / classes).div_ceil(threads) * classes;
        return y.par_chunks_mut(per).zip(x.par_chunks(per)).for_each(|(y, x)| forward_rows(x, classes, y));
    }
    forward_rows(x, classes, y)
}

fn forward_rows(x: &[f32], classes: usize, y: &mut [f32]) {
    for (xr, yr) in x.chunks_exact(classes).zip(y.chunks_exact_mut(classes)) {
        let max = xr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for (yi, &xi) in yr.iter_mut().zip(xr) {
            *yi = (xi - max).exp();
            sum += *yi;
        }
        let inv = 1.0 / sum;
        yr.iter_mut().for_each(|v| *v *= inv);
    }
}

/// dx += y * (dy - sum(dy * y)) row by row.
pub fn backward(y: &[f32], dy: &[f32], classes: usize, dx: &mut [f32]) {
    for ((yr, dyr), dxr) in y.chunks_exact(classes).zip(dy.chunks_exact(classes)).zip(dx.chunks_exact_mut(classes)) {
        let dot: f32 = yr.iter().zip(dyr).map(|(a, b)| a * b).sum();
        for i in 0..classes {
            dxr[i] += yr[i] * (dyr[i] - dot);
        }
    }
}

/// log(sum(exp(row))) computed stably.
pub fn log_sum_exp(row: &[f32]) -> f32 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    max + row.iter().map(|&v| (v - max).exp()).sum::<f32>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    #[test]
    fn rows_sum_to_one_even_for_huge_logits() {
        let x = vec![1000.0, 1001.0, 999.0, -5.0, 0.0, 5.0];
        let mut y = vec![0.0; 6];
        forward(&x, 3, &mut y);
        for r in y.chunks(3) {
            assert!((r.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        assert!(y[1] > y[0] && y[0] > y[2]);
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f32.ln())).abs() < 1e-3);
    }

    #[test]
    fn rows_split_over_the_pool_equal_the_serial_pass() {
        // 1023 rows of 10: past the split threshold, and rows that do not divide evenly.
        let x: Vec<f32> = (0..10230).map(|i| ((i * 7919) % 1000) as f32 * 0.01 - 5.0).collect();
        let (mut split, mut serial) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        crate::threads::run(|| forward(&x, 10, &mut split));
        forward_rows(&x, 10, &mut serial);
        assert_eq!(split, serial);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let x0 = vec![0.2, -1.0, 0.5, 1.5, 0.3, -0.2];
        let fwd = |x: &[f32]| {
            let mut y = vec![0.0; 6];
            forward(x, 3, &mut y);
            y
        };
        check_gradient("softmax", &x0, fwd, |x, dy| {
            let y = fwd(x);
            let mut dx = vec![0.0; 6];
            backward(&y, dy, 3, &mut dx);
            dx
        });
    }
}
