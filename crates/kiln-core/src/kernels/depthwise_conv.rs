//! Depthwise 2-D convolution, channels last (Keras' layout): x [batch, h, w, channels] with a
//! kernel [kh, kw, channels, multiplier] gives y [batch, out_h, out_w, channels * multiplier],
//! output channel c * multiplier + m seeing input channel c only. Each output is a short sum
//! over its window, so the loops are direct (no im2col, no GEMM), with the channel axis
//! innermost where x, the kernel and y are all contiguous. A grouped convolution with one
//! input channel per group is this kernel too (see conv.rs).
use super::conv::Geometry;
use crate::threads;
use rayon::prelude::*;

/// Below this many multiply-adds one thread is faster than fork/join.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;

fn parallel(g: &Geometry, multiplier: usize) -> bool {
    g.batch * g.positions() * g.k_h * g.k_w * g.channels * multiplier >= PARALLEL_MIN_FLOPS && threads::num_threads() > 1
}

/// acc[c * multiplier + m] += x[c] * k[c * multiplier + m] over the channels of one pixel.
#[inline(always)]
fn multiply_add(acc: &mut [f32], x: &[f32], k: &[f32], multiplier: usize) {
    if multiplier == 1 {
        acc.iter_mut().zip(x).zip(k).for_each(|((a, &x), &k)| *a += x * k);
    } else {
        for ((a, &x), k) in acc.chunks_exact_mut(multiplier).zip(x).zip(k.chunks_exact(multiplier)) {
            a.iter_mut().zip(k).for_each(|(a, &k)| *a += x * k);
        }
    }
}

/// y = the depthwise convolution of x, one output row ([out_w, channels * multiplier]) at a time.
pub fn forward(g: &Geometry, x: &[f32], kernel: &[f32], multiplier: usize, y: &mut [f32]) {
    let (c, out_c) = (g.channels, g.channels * multiplier);
    let row = |(r, y_row): (usize, &mut [f32])| {
        let (b, oy) = (r / g.out_h, r % g.out_h);
        let x = &x[b * g.in_size()..(b + 1) * g.in_size()];
        y_row.fill(0.0);
        for (ox, acc) in y_row.chunks_exact_mut(out_c).enumerate() {
            for ky in 0..g.k_h {
                let Some(iy) = g.source_row(oy, ky) else {
                    continue;
                };
                for kx in 0..g.k_w {
                    let Some(ix) = g.source_column(ox, kx) else {
                        continue;
                    };
                    let at = (iy * g.in_w + ix) * c;
                    multiply_add(acc, &x[at..at + c], &kernel[(ky * g.k_w + kx) * out_c..][..out_c], multiplier);
                }
            }
        }
    };
    let rows = g.out_w * out_c;
    if parallel(g, multiplier) {
        y.par_chunks_mut(rows).enumerate().for_each(row);
    } else {
        y.chunks_mut(rows).enumerate().for_each(row);
    }
}

/// The output index along one axis whose window cell `k` lands on input index `i`, if any:
/// o * stride + k * dilation - pad = i.
#[inline]
fn output_under(i: usize, k: usize, stride: usize, dilation: usize, pad: usize, out: usize) -> Option<usize> {
    let at = (i + pad).checked_sub(k * dilation)?;
    (at % stride == 0 && at / stride < out).then_some(at / stride)
}

/// dx += the input gradient, gathered one input row at a time (rows are disjoint, so they
/// run in parallel without sharing writes).
pub fn input_gradient(g: &Geometry, dy: &[f32], kernel: &[f32], multiplier: usize, dx: &mut [f32]) {
    let (c, out_c) = (g.channels, g.channels * multiplier);
    let row = |(r, dx_row): (usize, &mut [f32])| {
        let (b, iy) = (r / g.in_h, r % g.in_h);
        let dy = &dy[b * g.positions() * out_c..(b + 1) * g.positions() * out_c];
        for (ix, acc) in dx_row.chunks_exact_mut(c).enumerate() {
            for ky in 0..g.k_h {
                let Some(oy) = output_under(iy, ky, g.stride.0, g.dilation.0, g.pad_top, g.out_h) else {
                    continue;
                };
                for kx in 0..g.k_w {
                    let Some(ox) = output_under(ix, kx, g.stride.1, g.dilation.1, g.pad_left, g.out_w) else {
                        continue;
                    };
                    let d = &dy[(oy * g.out_w + ox) * out_c..][..out_c];
                    let k = &kernel[(ky * g.k_w + kx) * out_c..][..out_c];
                    if multiplier == 1 {
                        acc.iter_mut().zip(d).zip(k).for_each(|((a, &d), &k)| *a += d * k);
                    } else {
                        for ((a, d), k) in acc.iter_mut().zip(d.chunks_exact(multiplier)).zip(k.chunks_exact(multiplier)) {
                            *a += d.iter().zip(k).map(|(d, k)| d * k).sum::<f32>();
                        }
                    }
                }
            }
        }
    };
    let rows = g.in_w * c;
    if parallel(g, multiplier) {
        dx.par_chunks_mut(rows).enumerate().for_each(row);
    } else {
        dx.chunks_mut(rows).enumerate().for_each(row);
    }
}

/// dkernel (= with `overwrite`, else +=) the kernel gradient, one window cell
/// ([channels * multiplier] values) at a time: cells are disjoint, so they run in parallel.
pub fn kernel_gradient(g: &Geometry, x: &[f32], dy: &[f32], multiplier: usize, overwrite: bool, dkernel: &mut [f32]) {
    let (c, out_c) = (g.channels, g.channels * multiplier);
    let cell = |(cell, acc): (usize, &mut [f32])| {
        let (ky, kx) = (cell / g.k_w, cell % g.k_w);
        if overwrite {
            acc.fill(0.0);
        }
        for b in 0..g.batch {
            let (x, dy) = (&x[b * g.in_size()..], &dy[b * g.positions() * out_c..]);
            for oy in 0..g.out_h {
                let Some(iy) = g.source_row(oy, ky) else {
                    continue;
                };
                for ox in 0..g.out_w {
                    let Some(ix) = g.source_column(ox, kx) else {
                        continue;
                    };
                    let at = (iy * g.in_w + ix) * c;
                    // dk[c, m] += x[c] * dy[c, m]: the forward's multiply-add with dy as the kernel.
                    multiply_add(acc, &x[at..at + c], &dy[(oy * g.out_w + ox) * out_c..][..out_c], multiplier);
                }
            }
        }
    };
    if parallel(g, multiplier) {
        dkernel.par_chunks_mut(out_c).enumerate().for_each(cell);
    } else {
        dkernel.chunks_mut(out_c).enumerate().for_each(cell);
    }
}

/// Gradients from dy: dkernel (+= or = with its flag) and dx (+=), each skipped with None.
#[allow(clippy::too_many_arguments)]
pub fn backward(g: &Geometry, x: &[f32], kernel: &[f32], multiplier: usize, dy: &[f32], dkernel: Option<(&mut [f32], bool)>, dx: Option<&mut [f32]>) {
    if let Some((dk, overwrite)) = dkernel {
        kernel_gradient(g, x, dy, multiplier, overwrite, dk);
    }
    if let Some(dx) = dx {
        input_gradient(g, dy, kernel, multiplier, dx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::conv::Padding;
    use crate::kernels::testing::check_gradient;
    use crate::rng::Rng;

    /// Each output channel from its own input channel, straight from the definition.
    fn naive(g: &Geometry, x: &[f32], k: &[f32], dm: usize) -> Vec<f32> {
        let (c, out_c) = (g.channels, g.channels * dm);
        let mut y = vec![0.0; g.batch * g.positions() * out_c];
        for b in 0..g.batch {
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    for ch in 0..c {
                        for m in 0..dm {
                            let mut s = 0.0;
                            for ky in 0..g.k_h {
                                for kx in 0..g.k_w {
                                    if let Some((iy, ix)) = g.source(oy, ox, ky, kx) {
                                        s += x[b * g.in_size() + (iy * g.in_w + ix) * c + ch] * k[((ky * g.k_w + kx) * c + ch) * dm + m];
                                    }
                                }
                            }
                            y[((b * g.out_h + oy) * g.out_w + ox) * out_c + ch * dm + m] = s;
                        }
                    }
                }
            }
        }
        y
    }

    fn cases() -> Vec<(Geometry, usize)> {
        vec![
            (Geometry::new(&[2, 5, 6, 3], (3, 3), (1, 1), (1, 1), Padding::Valid, "t").unwrap(), 1),
            (Geometry::new(&[2, 5, 6, 3], (3, 2), (2, 2), (1, 1), Padding::Same, "t").unwrap(), 2),
            (Geometry::new(&[1, 7, 7, 2], (3, 3), (1, 1), (2, 2), Padding::Same, "t").unwrap(), 3),
            (Geometry::new(&[2, 6, 5, 4], (2, 3), (3, 2), (1, 1), Padding::Valid, "t").unwrap(), 1),
            // Large enough to take the parallel path.
            (Geometry::new(&[4, 24, 24, 32], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), 2),
        ]
    }

    fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()
    }

    #[test]
    fn forward_matches_the_definition() {
        let mut rng = Rng::new(11);
        for (g, dm) in cases() {
            let x = random(g.batch * g.in_size(), &mut rng);
            let k = random(g.k_h * g.k_w * g.channels * dm, &mut rng);
            let mut y = vec![7.0; g.batch * g.positions() * g.channels * dm];
            forward(&g, &x, &k, dm, &mut y);
            for (a, b) in y.iter().zip(naive(&g, &x, &k, dm)) {
                assert!((a - b).abs() < 1e-4, "{g:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(12);
        // The large case is checked against the small ones' reference only in forward: finite
        // differences over all its inputs would take too long.
        for (g, dm) in cases().into_iter().take(4) {
            let x = random(g.batch * g.in_size(), &mut rng);
            let k = random(g.k_h * g.k_w * g.channels * dm, &mut rng);
            check_gradient(
                "depthwise dx",
                &x,
                |x| naive(&g, x, &k, dm),
                |_, dy| {
                    // Starts at 0.5: the input gradient is added to what is there.
                    let mut dx = vec![0.5; x.len()];
                    backward(&g, &x, &k, dm, dy, None, Some(&mut dx));
                    dx.iter().map(|v| v - 0.5).collect()
                },
            );
            check_gradient(
                "depthwise dkernel",
                &k,
                |k| naive(&g, &x, k, dm),
                |k, dy| {
                    let mut dk = vec![3.0; k.len()];
                    backward(&g, &x, k, dm, dy, Some((&mut dk, true)), None);
                    dk
                },
            );
        }
    }

    #[test]
    fn batched_gradients_are_sums_over_samples() {
        // The large case (parallel loops) against the same sums taken one sample at a time.
        let mut rng = Rng::new(13);
        let (g, dm) = cases().pop().unwrap();
        let x = random(g.batch * g.in_size(), &mut rng);
        let k = random(g.k_h * g.k_w * g.channels * dm, &mut rng);
        let dy = random(g.batch * g.positions() * g.channels * dm, &mut rng);
        let (mut dx, mut dk) = (vec![0.0; x.len()], vec![0.0; k.len()]);
        backward(&g, &x, &k, dm, &dy, Some((&mut dk, true)), Some(&mut dx));
        let one = Geometry { batch: 1, ..g };
        let out = g.positions() * g.channels * dm;
        let mut dk_sum = vec![0.0; k.len()];
        for b in 0..g.batch {
            let (xb, dyb) = (&x[b * g.in_size()..(b + 1) * g.in_size()], &dy[b * out..(b + 1) * out]);
            let mut dxb = vec![0.0; g.in_size()];
            backward(&one, xb, &k, dm, dyb, Some((&mut dk_sum, false)), Some(&mut dxb));
            for (a, b) in dx[b * g.in_size()..(b + 1) * g.in_size()].iter().zip(&dxb) {
                assert!((a - b).abs() < 1e-4, "dx: {a} vs {b}");
            }
        }
        for (a, b) in dk.iter().zip(&dk_sum) {
            assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "dkernel: {a} vs {b}");
        }
    }
}
