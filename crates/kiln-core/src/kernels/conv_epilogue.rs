//! A convolution whose kernel applies a bias and activation to its own output as it writes it
//! (bias_activation::Epilogue): the folded batch norm's bias and the activation after it, at
//! inference (graph/inference_fold.rs), without a second pass over the whole output.
//!
//! Two routes take it. Depthwise: each work item adds the bias to the output row it has just
//! written (depthwise_conv::forward_activated). Pointwise (1 x 1, stride 1: one GEMM on x): the
//! product is split into blocks of rows small enough that a block of x and of y stay in L2, and
//! each thread applies the epilogue to the block it has just multiplied. MobileNetV2's expand
//! layers at 112 x 112 write 4.8 MB per sample, so a pass after the GEMM streams them from
//! memory again.
use super::bias_activation::{self, Epilogue};
use super::conv::{columns_times_kernel, Geometry, Groups, Route};
use super::depthwise_conv;
use super::gemm::{gemm_via, route_for, splits, StridedRef};
use crate::threads;
use rayon::prelude::*;

/// About how many bytes of x and y one pointwise block holds (half of one core's L2).
const BLOCK_BYTES: usize = 1 << 18;
/// The fewest rows a pointwise block has, so each GEMM call still fills whole micro-tiles.
const MIN_BLOCK_ROWS: usize = 48;
/// Blocks per thread below which the whole product runs as one GEMM (split its own way over
/// the pool) and the epilogue after it: the output is then small enough to be in cache.
const MIN_BLOCKS_PER_THREAD: usize = 2;

/// Whether `forward` applies the epilogue inside the kernel for this convolution.
pub fn fuses(g: &Geometry, groups: &Groups) -> bool {
    matches!(Route::of(g, groups), Route::Depthwise(_) | Route::Pointwise)
}

/// y = f(conv(x, kernel) + bias) for a convolution where `fuses`.
pub fn forward(g: &Geometry, groups: &Groups, x: &[f32], kernel: &[f32], epilogue: Epilogue, y: &mut [f32]) {
    match Route::of(g, groups) {
        Route::Depthwise(multiplier) => depthwise_conv::forward_activated(g, x, kernel, multiplier, Some(epilogue), y),
        Route::Pointwise => pointwise(g, x, kernel, groups.out_channels, epilogue, y),
        route => panic!("conv_epilogue: the {route:?} route does not apply an epilogue"),
    }
}

/// The pointwise product in blocks of rows, each followed by its epilogue on the same thread.
fn pointwise(g: &Geometry, x: &[f32], kernel: &[f32], n: usize, epilogue: Epilogue, y: &mut [f32]) {
    let (rows, k) = (g.batch * g.positions(), g.patch());
    assert!(
        x.len() == rows * k && kernel.len() == k * n && y.len() == rows * n && epilogue.bias.len() == n,
        "pointwise convolution: buffers of {}, {} and {} values and a bias of {} do not fit {g:?} with {n} filters",
        x.len(),
        kernel.len(),
        y.len(),
        epilogue.bias.len()
    );
    let per = (BLOCK_BYTES / 4 / (k + n).max(1)).max(MIN_BLOCK_ROWS);
    let threads = threads::num_threads();
    if rows == 0 || n == 0 || threads < 2 || !splits(rows, k, n) || rows.div_ceil(per) < MIN_BLOCKS_PER_THREAD * threads {
        columns_times_kernel(g, x, kernel, n, 0.0, y);
        return bias_activation::forward_in_place(epilogue.function, epilogue.bias, y);
    }
    let b = StridedRef::new(kernel, k, n, n);
    y.par_chunks_mut(per * n).enumerate().for_each(|(i, y)| {
        let m = y.len() / n;
        let a = StridedRef::new(&x[i * per * k..][..m * k], m, k, k);
        gemm_via(route_for(m, k, n), Some(false), 1.0, a, b, 0.0, y, n);
        bias_activation::forward_in_place_here(epilogue.function, epilogue.bias, y);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::conv::Padding;
    use crate::kernels::testing::random_values;
    use crate::kernels::unary::UnaryOp;
    use crate::rng::Rng;

    /// Every activation a folded chain ends with in Keras' applications, and a few more.
    const FUNCTIONS: [UnaryOp; 6] = [UnaryOp::Linear, UnaryOp::Relu, UnaryOp::Relu6, UnaryOp::Swish, UnaryOp::Sigmoid, UnaryOp::Gelu];

    /// f(conv + bias) straight from the definition, in float64: each output channel sums
    /// x over its window and its group's input channels.
    fn naive(g: &Geometry, groups: &Groups, x: &[f32], kernel: &[f32], bias: &[f32], function: UnaryOp) -> Vec<f32> {
        let n = groups.out_channels;
        let per_group_in = g.channels / groups.groups;
        let per_group_out = n / groups.groups;
        let mut y = Vec::with_capacity(g.batch * g.positions() * n);
        for b in 0..g.batch {
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    for o in 0..n {
                        let group = o / per_group_out;
                        let mut s = bias[o] as f64;
                        for ky in 0..g.k_h {
                            for kx in 0..g.k_w {
                                let Some((iy, ix)) = g.source(oy, ox, ky, kx) else { continue };
                                for c in 0..per_group_in {
                                    let xc = group * per_group_in + c;
                                    let kv = kernel[((ky * g.k_w + kx) * per_group_in + c) * n + o];
                                    s += x[b * g.in_size() + (iy * g.in_w + ix) * g.channels + xc] as f64 * kv as f64;
                                }
                            }
                        }
                        y.push(function.apply2(s as f32, 0.0));
                    }
                }
            }
        }
        y
    }

    fn check(input: [usize; 4], window: (usize, usize), stride: (usize, usize), padding: Padding, groups: usize, filters: usize, rng: &mut Rng) {
        let g = Geometry::new(&input, window, stride, (1, 1), padding, "t").unwrap();
        let groups = Groups::new(groups, filters);
        assert!(fuses(&g, &groups), "{g:?} {groups:?} should fuse");
        let x = random_values(g.batch * g.in_size(), rng);
        let kernel = random_values(g.k_h * g.k_w * (g.channels / groups.groups) * filters, rng);
        // Values near 0 and 6 too, where relu and relu6 turn.
        let bias: Vec<f32> = random_values(filters, rng).iter().enumerate().map(|(i, v)| if i % 4 == 0 { v + 6.0 } else { *v }).collect();
        for function in FUNCTIONS {
            let want = naive(&g, &groups, &x, &kernel, &bias, function);
            let mut y = vec![f32::NAN; want.len()];
            forward(&g, &groups, &x, &kernel, Epilogue { bias: &bias, function }, &mut y);
            for (i, (a, b)) in y.iter().zip(&want).enumerate() {
                assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{function:?} {g:?} {groups:?} [{i}]: {a} vs {b}");
            }
        }
    }

    #[test]
    fn depthwise_matches_the_definition() {
        let mut rng = Rng::new(31);
        for (input, stride, padding) in [
            ([1, 7, 9, 5], (1, 1), Padding::Same),
            ([3, 8, 7, 19], (2, 2), Padding::Same),
            ([2, 9, 11, 27], (2, 2), Padding::Valid),
            ([1, 5, 6, 33], (1, 1), Padding::Valid),
            // Parallel: rows split, and a 7 x 7 map split into channel blocks too.
            ([2, 23, 21, 40], (1, 1), Padding::Same),
            ([1, 7, 7, 200], (1, 1), Padding::Same),
        ] {
            check(input, (3, 3), stride, padding, input[3], input[3], &mut rng);
        }
        // A channel multiplier of 2: the epilogue after the scalar loops.
        check([2, 6, 5, 3], (3, 3), (1, 1), Padding::Same, 3, 6, &mut rng);
    }

    #[test]
    fn pointwise_matches_the_definition() {
        let mut rng = Rng::new(32);
        // One GEMM then the epilogue (few rows), and blocks of rows with the last one short
        // (batch 3 of 23 x 19 = 1311 rows).
        for (input, filters) in [([1, 5, 3, 7], 9), ([2, 7, 7, 16], 24), ([3, 23, 19, 24], 40), ([1, 56, 56, 24], 36)] {
            check(input, (1, 1), (1, 1), Padding::Valid, 1, filters, &mut rng);
        }
    }
}
