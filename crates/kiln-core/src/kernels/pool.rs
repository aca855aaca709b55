//! Max and average pooling over 2-D windows, channels last, parallel over the batch.
use super::conv::Geometry;
use rayon::prelude::*;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PoolOp {
    Max,
    Average,
}

/// y [batch, out_h, out_w, c]; for max pooling `argmax` records each output's input index
/// (within its sample) for the backward pass.
pub fn forward(op: PoolOp, g: &Geometry, x: &[f32], y: &mut [f32], argmax: &mut [u32]) {
    let c = g.channels;
    let out_size = g.positions() * c;
    y.par_chunks_mut(out_size).zip(argmax.par_chunks_mut(out_size)).zip(x.par_chunks(g.in_size())).for_each(|((y, argmax), x)| {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let at = (oy * g.out_w + ox) * c;
                let (y, argmax) = (&mut y[at..at + c], &mut argmax[at..at + c]);
                match op {
                    PoolOp::Max => max_window(x, g, (oy, ox), y, argmax),
                    PoolOp::Average => {
                        y.fill(0.0);
                        let mut count = 0;
                        let cells = g.rows_inside(oy).flat_map(|ky| g.columns_inside(ox).map(move |kx| (ky, kx))).filter_map(|(ky, kx)| g.source(oy, ox, ky, kx));
                        for (iy, ix) in cells {
                            count += 1;
                            y.iter_mut().zip(&x[(iy * g.in_w + ix) * c..][..c]).for_each(|(y, &v)| *y += v);
                        }
                        // Keras' 'same' average pooling divides by the cells inside the input only.
                        let inv = 1.0 / count.max(1) as f32;
                        y.iter_mut().for_each(|v| *v *= inv);
                    }
                }
            }
        }
    });
}

/// Window cells up to which `max_window` keeps a table of them (larger windows scan plainly).
const MAX_CELLS: usize = 64;
/// Channels `max_window` carries in registers at once.
const LANES: usize = 16;

/// The maximum of each channel over the window at (oy, ox) (its cells inside the input) and
/// where it is. Channels go LANES at a time through a local best value and best cell number,
/// branch-free selects the compiler vectorises (a branch per value mispredicts on real data); the indices follow from the cell
/// numbers at the end. A NaN wins and stays.
#[inline]
fn max_window(x: &[f32], g: &Geometry, (oy, ox): (usize, usize), y: &mut [f32], argmax: &mut [u32]) {
    let c = g.channels;
    // Only the window cells inside the input are visited: a huge window costs no more than the input.
    let cells = g.rows_inside(oy).filter_map(|ky| g.source_row(oy, ky)).flat_map(|iy| g.columns_inside(ox).filter_map(move |kx| g.source_column(ox, kx)).map(move |ix| (iy * g.in_w + ix) * c));
    let mut table = [0usize; MAX_CELLS];
    let mut count = 0;
    for base in cells.clone() {
        if count < MAX_CELLS {
            table[count] = base;
        }
        count += 1;
    }
    if count == 0 || count > MAX_CELLS {
        y.fill(f32::NEG_INFINITY);
        argmax.fill(0);
        for base in cells {
            for ((y, a), (i, &v)) in y.iter_mut().zip(argmax.iter_mut()).zip(x[base..base + c].iter().enumerate()) {
                if super::extremum::beats(v, *y) {
                    (*y, *a) = (v, (base + i) as u32);
                }
            }
        }
        return;
    }
    let bases = &table[..count];
    for (block, (y, argmax)) in y.chunks_mut(LANES).zip(argmax.chunks_mut(LANES)).enumerate() {
        let first = block * LANES;
        let width = y.len();
        let (mut best, mut cell) = ([0.0f32; LANES], [0u32; LANES]);
        best[..width].copy_from_slice(&x[bases[0] + first..][..width]);
        for (n, &base) in bases.iter().enumerate().skip(1) {
            let xs = &x[base + first..][..width];
            if width == LANES {
                select_larger(&mut best, &mut cell, xs.try_into().unwrap(), n as u32);
            } else {
                for j in 0..width {
                    let take = super::extremum::beats(xs[j], best[j]);
                    (best[j], cell[j]) = if take { (xs[j], n as u32) } else { (best[j], cell[j]) };
                }
            }
        }
        y.copy_from_slice(&best[..width]);
        for (j, a) in argmax.iter_mut().enumerate() {
            *a = (bases[cell[j] as usize] + first + j) as u32;
        }
    }
}

/// best, cell = v, n where v beats best: extremum::beats without its short-circuits, and the
/// choice as bit masks. Plain `if` selects compiled to branches (8x slower on the seed CNN).
#[inline(always)]
fn select_larger(best: &mut [f32; LANES], cell: &mut [u32; LANES], v: &[f32; LANES], n: u32) {
    for j in 0..LANES {
        let take = !best[j].is_nan() & ((v[j] > best[j]) | v[j].is_nan());
        let mask = 0u32.wrapping_sub(u32::from(take));
        best[j] = f32::from_bits((v[j].to_bits() & mask) | (best[j].to_bits() & !mask));
        cell[j] = (n & mask) | (cell[j] & !mask);
    }
}

pub fn backward(op: PoolOp, g: &Geometry, dy: &[f32], argmax: &[u32], dx: &mut [f32]) {
    backward_into(op, g, dy, argmax, dx, false)
}

/// dx (= with `overwrite`, else +=) the pooling's input gradient: written, each sample's
/// zeros are filled on the thread that scatters into them, while they are in its cache.
pub fn backward_into(op: PoolOp, g: &Geometry, dy: &[f32], argmax: &[u32], dx: &mut [f32], overwrite: bool) {
    let c = g.channels;
    let out_size = g.positions() * c;
    dx.par_chunks_mut(g.in_size()).zip(dy.par_chunks(out_size)).zip(argmax.par_chunks(out_size)).for_each(|((dx, dy), argmax)| {
        if overwrite {
            dx.fill(0.0);
        }
        scatter(op, g, dy, argmax, dx)
    });
}

/// One sample's input gradient added to dx.
fn scatter(op: PoolOp, g: &Geometry, dy: &[f32], argmax: &[u32], dx: &mut [f32]) {
    let c = g.channels;
    match op {
        PoolOp::Max => {
            for (&i, &g) in argmax.iter().zip(dy) {
                dx[i as usize] += g;
            }
        }
        PoolOp::Average => {
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    let cells = || g.rows_inside(oy).flat_map(move |ky| g.columns_inside(ox).map(move |kx| (ky, kx))).filter_map(move |(ky, kx)| g.source(oy, ox, ky, kx));
                    let inv = 1.0 / cells().count().max(1) as f32;
                    let grad = &dy[(oy * g.out_w + ox) * c..][..c];
                    for (iy, ix) in cells() {
                        dx[(iy * g.in_w + ix) * c..][..c].iter_mut().zip(grad).for_each(|(d, &g)| *d += g * inv);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::conv::Padding;
    use crate::kernels::testing::check_gradient;
    use crate::rng::Rng;

    #[test]
    fn max_and_average_match_hand_values() {
        // One 4x4 single-channel image, 2x2 windows.
        let x: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let g = Geometry::new(&[1, 4, 4, 1], (2, 2), (2, 2), (1, 1), Padding::Valid, "p").unwrap();
        let (mut y, mut idx) = (vec![0.0; 4], vec![0; 4]);
        forward(PoolOp::Max, &g, &x, &mut y, &mut idx);
        assert_eq!(y, vec![5.0, 7.0, 13.0, 15.0]);
        forward(PoolOp::Average, &g, &x, &mut y, &mut idx);
        assert_eq!(y, vec![2.5, 4.5, 10.5, 12.5]);
        // 'same' on 3x3 with 2x2 windows: the edge windows average fewer cells.
        let x: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let g = Geometry::new(&[1, 3, 3, 1], (2, 2), (2, 2), (1, 1), Padding::Same, "p").unwrap();
        let (mut y, mut idx) = (vec![0.0; 4], vec![0; 4]);
        forward(PoolOp::Average, &g, &x, &mut y, &mut idx);
        assert_eq!(y, vec![2.0, 3.5, 6.5, 8.0]);
    }

    /// Found by the API fuzzer: maxPool(x [3, 1, 3], 2**40, 'same') looped over every cell
    /// of the window; now only over the cells inside the input, which give the plain answer.
    #[test]
    fn a_window_far_larger_than_the_input_costs_only_the_cells_inside() {
        let x: Vec<f32> = (0..6).map(|v| v as f32).collect();
        let g = Geometry::new(&[1, 2, 3, 1], (1 << 40, 1 << 40), (1 << 40, 1 << 40), (1, 1), Padding::Same, "p").unwrap();
        assert_eq!((g.out_h, g.out_w), (1, 1));
        let (mut y, mut idx) = (vec![0.0; 1], vec![0; 1]);
        forward(PoolOp::Max, &g, &x, &mut y, &mut idx);
        assert_eq!((y[0], idx[0]), (5.0, 5));
        forward(PoolOp::Average, &g, &x, &mut y, &mut idx);
        assert_eq!(y[0], 2.5);
        let mut dx = vec![0.0; 6];
        backward(PoolOp::Average, &g, &[6.0], &idx, &mut dx);
        assert_eq!(dx, vec![1.0; 6]);
        // Windows, strides or dilations whose extent wraps a machine word are refused.
        assert!(Geometry::new(&[1, 2, 3, 1], (usize::MAX, 1), (1, 1), (1, 1), Padding::Same, "p").is_err());
        assert!(Geometry::new(&[1, 2, 3, 1], (3, 3), (1, 1), (usize::MAX / 2, 1), Padding::Valid, "p").is_err());
        assert!(Geometry::new(&[1, usize::MAX, 3, 1], (1, 1), (usize::MAX, 1), (1, 1), Padding::Same, "p").is_err());
    }

    /// Written gradients (the buffer's old values dropped) equal gradients added onto zeros,
    /// with windows that overlap, skip cells and cross the padding.
    #[test]
    fn written_gradients_equal_accumulated_ones() {
        let mut rng = Rng::new(8);
        for (op, padding, stride) in [(PoolOp::Max, Padding::Valid, (2, 2)), (PoolOp::Max, Padding::Same, (1, 1)), (PoolOp::Average, Padding::Same, (3, 2))] {
            let g = Geometry::new(&[3, 7, 6, 4], (3, 2), stride, (1, 1), padding, "p").unwrap();
            let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let n = g.batch * g.positions() * g.channels;
            let (mut y, mut idx) = (vec![0.0; n], vec![0; n]);
            forward(op, &g, &x, &mut y, &mut idx);
            let dy: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let (mut added, mut written) = (vec![0.0; x.len()], vec![f32::NAN; x.len()]);
            backward(op, &g, &dy, &idx, &mut added);
            backward_into(op, &g, &dy, &idx, &mut written, true);
            assert_eq!(written, added, "{op:?} {padding:?} {stride:?}");
        }
    }

    #[test]
    fn a_nan_in_a_window_makes_its_max_nan() {
        let mut x: Vec<f32> = (0..16).map(|v| v as f32).collect();
        x[1] = f32::NAN;
        let g = Geometry::new(&[1, 4, 4, 1], (2, 2), (2, 2), (1, 1), Padding::Valid, "p").unwrap();
        let (mut y, mut idx) = (vec![0.0; 4], vec![0; 4]);
        forward(PoolOp::Max, &g, &x, &mut y, &mut idx);
        assert!(y[0].is_nan() && idx[0] == 1);
        assert_eq!(y[1..], [7.0, 13.0, 15.0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(4);
        for (op, padding, stride) in [(PoolOp::Max, Padding::Valid, (2, 2)), (PoolOp::Average, Padding::Same, (2, 2)), (PoolOp::Max, Padding::Same, (1, 1))] {
            let g = Geometry::new(&[2, 5, 4, 3], (2, 2), stride, (1, 1), padding, "p").unwrap();
            // Distinct values so the max is never tied.
            let mut x: Vec<f32> = (0..g.batch * g.in_size()).map(|i| i as f32 * 0.05).collect();
            rng.shuffle(&mut x);
            let n_out = g.batch * g.positions() * g.channels;
            let fwd = |x: &[f32]| {
                let (mut y, mut idx) = (vec![0.0; n_out], vec![0; n_out]);
                forward(op, &g, x, &mut y, &mut idx);
                y
            };
            check_gradient(&format!("{op:?} {padding:?}"), &x, fwd, |x, dy| {
                let (mut y, mut idx) = (vec![0.0; n_out], vec![0; n_out]);
                forward(op, &g, x, &mut y, &mut idx);
                let mut dx = vec![0.0; x.len()];
                backward(op, &g, dy, &idx, &mut dx);
                dx
            });
        }
    }

    /// The branch-free max against a plain scan of each window, on odd shapes: 'same' and
    /// 'valid', strides 1 to 3, 3 x 3 and 2 x 3 windows, one to five channels, batch 1.
    #[test]
    fn max_matches_a_plain_scan() {
        let mut rng = Rng::new(6);
        for (input, window, stride, padding) in [
            ([1, 7, 6, 1], (3, 3), (1, 1), Padding::Same),
            ([2, 9, 8, 3], (3, 3), (2, 2), Padding::Same),
            ([1, 8, 9, 5], (2, 3), (3, 2), Padding::Valid),
            ([3, 5, 5, 4], (2, 2), (2, 2), Padding::Same),
        ] {
            let g = Geometry::new(&input, window, stride, (1, 1), padding, "p").unwrap();
            let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let n_out = g.batch * g.positions() * g.channels;
            let (mut y, mut idx) = (vec![0.0; n_out], vec![0; n_out]);
            forward(PoolOp::Max, &g, &x, &mut y, &mut idx);
            for b in 0..g.batch {
                let x = &x[b * g.in_size()..(b + 1) * g.in_size()];
                for oy in 0..g.out_h {
                    for ox in 0..g.out_w {
                        for ch in 0..g.channels {
                            let mut best = (f32::NEG_INFINITY, 0);
                            for ky in 0..g.k_h {
                                for kx in 0..g.k_w {
                                    if let Some((iy, ix)) = g.source(oy, ox, ky, kx) {
                                        let i = (iy * g.in_w + ix) * g.channels + ch;
                                        if x[i] > best.0 {
                                            best = (x[i], i);
                                        }
                                    }
                                }
                            }
                            let o = ((b * g.out_h + oy) * g.out_w + ox) * g.channels + ch;
                            assert_eq!((y[o], idx[o] as usize), best, "{input:?} {window:?} {stride:?} {padding:?} at {o}");
                        }
                    }
                }
            }
        }
    }
}
