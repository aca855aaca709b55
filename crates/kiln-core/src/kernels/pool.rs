//! Max and average pooling over 2-D windows, channels last, parallel over the batch.
use super::conv::Geometry;
use rayon::prelude::*;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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
                y.fill(if op == PoolOp::Max { f32::NEG_INFINITY } else { 0.0 });
                let mut count = 0;
                for ky in g.rows_inside(oy) {
                    for kx in g.columns_inside(ox) {
                        let Some((iy, ix)) = g.source(oy, ox, ky, kx) else { continue };
                        count += 1;
                        let base = (iy * g.in_w + ix) * c;
                        for ch in 0..c {
                            let v = x[base + ch];
                            match op {
                                PoolOp::Max if super::extremum::beats(v, y[ch]) => {
                                    y[ch] = v;
                                    argmax[ch] = (base + ch) as u32;
                                }
                                PoolOp::Max => {}
                                PoolOp::Average => y[ch] += v,
                            }
                        }
                    }
                }
                // Keras' 'same' average pooling divides by the cells inside the input only.
                if op == PoolOp::Average {
                    let inv = 1.0 / count.max(1) as f32;
                    y.iter_mut().for_each(|v| *v *= inv);
                }
            }
        }
    });
}

pub fn backward(op: PoolOp, g: &Geometry, dy: &[f32], argmax: &[u32], dx: &mut [f32]) {
    let c = g.channels;
    let out_size = g.positions() * c;
    dx.par_chunks_mut(g.in_size()).zip(dy.par_chunks(out_size)).zip(argmax.par_chunks(out_size)).for_each(|((dx, dy), argmax)| match op {
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
    });
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
}
