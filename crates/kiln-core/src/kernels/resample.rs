//! Separable resampling: each output index along an axis is a weighted sum of a few input
//! indices along the same axis ("taps"). Zero padding and cropping (one tap or none), nearest
//! repetition (one tap) and linear interpolation (two taps) are all this one kernel, and so is
//! each one's gradient (the same taps, scattered back).
use crate::error::{shape_str, KilnError, Result};
use rayon::prelude::*;

/// For each output index of one axis: the input indices it reads and their weights.
type Taps = Vec<Vec<(usize, f32)>>;

#[derive(Debug, Clone)]
pub struct Resampling {
    pub in_shape: Vec<usize>,
    pub out_shape: Vec<usize>,
    /// Taps of the leading axes (up to the last one that changes); the trailing axes that stay
    /// as they are form contiguous blocks of `inner` values copied whole.
    taps: Vec<Taps>,
    inner: usize,
    /// Whether axis 0 (the batch) is kept as it is, so samples can run in parallel.
    batch_kept: bool,
}

fn identity(n: usize) -> Taps {
    (0..n).map(|i| vec![(i, 1.0)]).collect()
}

impl Resampling {
    fn new(in_shape: &[usize], taps: Vec<Option<Taps>>) -> Resampling {
        let out_shape: Vec<usize> = taps.iter().zip(in_shape).map(|(t, &d)| t.as_ref().map_or(d, |t| t.len())).collect();
        let changed = taps.iter().rposition(|t| t.is_some()).map_or(0, |a| a + 1);
        let inner = in_shape[changed..].iter().product();
        let batch_kept = taps.first().is_some_and(|t| t.is_none());
        let taps = taps.into_iter().zip(in_shape).take(changed).map(|(t, &d)| t.unwrap_or_else(|| identity(d))).collect();
        Resampling { in_shape: in_shape.to_vec(), out_shape, taps, inner, batch_kept }
    }

    /// Adds `before` and `after` zeros on each axis; negative amounts crop instead.
    pub fn pad(in_shape: &[usize], paddings: &[[i64; 2]], name: &str) -> Result<Resampling> {
        if paddings.len() != in_shape.len() {
            return Err(KilnError::value(format!("{name}: padding needs one [before, after] pair per axis ({}), got {}", in_shape.len(), paddings.len())));
        }
        let mut taps = Vec::new();
        for (a, (&d, &[before, after])) in in_shape.iter().zip(paddings).enumerate() {
            // Checked: found by cargo fuzz (op_geometry), paddings near i64's limits wrapped to a
            // length the size check had not seen.
            let out = (d as i64).checked_add(before).and_then(|v| v.checked_add(after)).ok_or_else(|| KilnError::value(format!("{name}: padding [{before}, {after}] of axis {a} overflows")))?;
            if out <= 0 && d > 0 {
                return Err(KilnError::shape(format!("{name}: cropping {} and {} from axis {a} of length {d} leaves nothing (input shape {})", -before.min(0), -after.min(0), shape_str(in_shape))));
            }
            taps.push((before != 0 || after != 0).then(|| (0..out.max(0)).map(|o| (0..d as i64).contains(&(o - before)).then(|| ((o - before) as usize, 1.0)).into_iter().collect()).collect()));
        }
        Ok(Resampling::new(in_shape, taps))
    }

    /// Repeats each index of axis a `repeats[a]` times in a row (numpy's repeat; nearest
    /// upsampling).
    pub fn repeat(in_shape: &[usize], repeats: &[usize], name: &str) -> Result<Resampling> {
        if repeats.len() != in_shape.len() || repeats.contains(&0) {
            return Err(KilnError::value(format!("{name}: repeats must be {} positive integers (one per axis), got {repeats:?}", in_shape.len())));
        }
        let taps = in_shape.iter().zip(repeats).map(|(&d, &r)| (r != 1).then(|| (0..d * r).map(|o| vec![(o / r, 1.0)]).collect())).collect();
        Ok(Resampling::new(in_shape, taps))
    }

    /// Linear interpolation of axis a to `sizes[a]` with half-pixel centres, edges clamped
    /// (jax.image.resize's 'linear' when enlarging).
    pub fn linear(in_shape: &[usize], sizes: &[usize], name: &str) -> Result<Resampling> {
        if sizes.len() != in_shape.len() || sizes.contains(&0) {
            return Err(KilnError::value(format!("{name}: sizes must be {} positive integers (one per axis), got {sizes:?}", in_shape.len())));
        }
        let axis = |d: usize, n: usize| -> Option<Taps> {
            (d != n).then(|| {
                let scale = d as f32 / n as f32;
                (0..n)
                    .map(|o| {
                        let at = ((o as f32 + 0.5) * scale - 0.5).clamp(0.0, (d - 1) as f32);
                        let (low, frac) = (at.floor() as usize, at - at.floor());
                        if frac == 0.0 || low + 1 >= d {
                            vec![(low, 1.0)]
                        } else {
                            vec![(low, 1.0 - frac), (low + 1, frac)]
                        }
                    })
                    .collect()
            })
        };
        Ok(Resampling::new(in_shape, in_shape.iter().zip(sizes).map(|(&d, &n)| axis(d, n)).collect()))
    }

    /// Strides (in units of `inner` blocks) of the leading axes of the input and the output.
    fn strides(&self) -> (Vec<usize>, Vec<usize>) {
        let lead = self.taps.len();
        let (mut s_in, mut s_out) = (vec![self.inner; lead], vec![self.inner; lead]);
        for a in (0..lead.saturating_sub(1)).rev() {
            s_in[a] = s_in[a + 1] * self.in_shape[a + 1];
            s_out[a] = s_out[a + 1] * self.out_shape[a + 1];
        }
        (s_in, s_out)
    }

    /// Calls `f(input offset, output offset, weight)` for every tap combination of the axes
    /// from `axis` on.
    fn walk(&self, axis: usize, strides: &(Vec<usize>, Vec<usize>), at: (usize, usize, f32), f: &mut impl FnMut(usize, usize, f32)) {
        if axis == self.taps.len() {
            return f(at.0, at.1, at.2);
        }
        for (o, taps) in self.taps[axis].iter().enumerate() {
            for &(i, w) in taps {
                self.walk(axis + 1, strides, (at.0 + i * strides.0[axis], at.1 + o * strides.1[axis], at.2 * w), f);
            }
        }
    }

    /// dst += w · src over every tap: input blocks into output blocks, or with `adjoint`
    /// output blocks back into input blocks. Split over the batch when axis 0 is kept.
    fn apply(&self, src: &[f32], dst: &mut [f32], adjoint: bool) {
        if src.is_empty() || dst.is_empty() {
            return;
        }
        if self.taps.is_empty() {
            return dst.iter_mut().zip(src).for_each(|(d, v)| *d += v);
        }
        let strides = self.strides();
        let n = self.inner;
        let run = |src: &[f32], dst: &mut [f32], from_axis: usize| {
            self.walk(from_axis, &strides, (0, 0, 1.0), &mut |i, o, w| {
                let (s, d) = if adjoint { (o, i) } else { (i, o) };
                dst[d..d + n].iter_mut().zip(&src[s..s + n]).for_each(|(d, v)| *d += w * v);
            });
        };
        if self.batch_kept && self.taps.len() > 1 {
            let (in_sample, out_sample) = (strides.0[0], strides.1[0]);
            let (src_sample, dst_sample) = if adjoint { (out_sample, in_sample) } else { (in_sample, out_sample) };
            dst.par_chunks_mut(dst_sample).zip(src.par_chunks(src_sample)).for_each(|(d, s)| run(s, d, 1));
        } else {
            run(src, dst, 0);
        }
    }

    /// y = the resampling of x.
    pub fn forward(&self, x: &[f32], y: &mut [f32]) {
        y.fill(0.0);
        self.apply(x, y, false);
    }

    /// dx += the adjoint of the resampling applied to dy.
    pub fn backward(&self, dy: &[f32], dx: &mut [f32]) {
        self.apply(dy, dx, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    fn run(r: &Resampling, x: &[f32]) -> Vec<f32> {
        let mut y = vec![0.0; r.out_shape.iter().product()];
        r.forward(x, &mut y);
        y
    }

    #[test]
    fn pad_crop_and_repeat_match_numpy() {
        let x: Vec<f32> = (1..=6).map(|v| v as f32).collect(); // [[1, 2, 3], [4, 5, 6]]
        let r = Resampling::pad(&[2, 3], &[[1, 0], [0, 2]], "p").unwrap();
        assert_eq!(r.out_shape, vec![3, 5]);
        assert_eq!(run(&r, &x), vec![0., 0., 0., 0., 0., 1., 2., 3., 0., 0., 4., 5., 6., 0., 0.]);
        let r = Resampling::pad(&[2, 3], &[[0, 0], [-1, -1]], "p").unwrap();
        assert_eq!(run(&r, &x), vec![2., 5.]);
        assert!(Resampling::pad(&[2, 3], &[[0, 0], [-2, -1]], "p").is_err());
        let r = Resampling::repeat(&[2, 3], &[2, 1], "p").unwrap();
        assert_eq!(run(&r, &x), vec![1., 2., 3., 1., 2., 3., 4., 5., 6., 4., 5., 6.]);
        let r = Resampling::repeat(&[1, 2, 3], &[1, 1, 2], "p").unwrap();
        assert_eq!(run(&r, &x), vec![1., 1., 2., 2., 3., 3., 4., 4., 5., 5., 6., 6.]);
        // jax.image.resize(jnp.array([1., 2., 3.]), (6,), 'linear')
        let r = Resampling::linear(&[3], &[6], "p").unwrap();
        let y = run(&r, &[1.0, 2.0, 3.0]);
        for (a, b) in y.iter().zip([1.0, 1.25, 1.75, 2.25, 2.75, 3.0]) {
            assert!((a - b).abs() < 1e-6, "{y:?}");
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let shape = [2, 3, 4, 2];
        let x: Vec<f32> = (0..48).map(|v| (v as f32 * 0.61).cos()).collect();
        let cases = [
            Resampling::pad(&shape, &[[0, 0], [1, 2], [-1, 1], [0, 0]], "p").unwrap(),
            Resampling::repeat(&shape, &[1, 2, 3, 1], "p").unwrap(),
            Resampling::linear(&shape, &[2, 6, 8, 2], "p").unwrap(),
            Resampling::pad(&shape, &[[1, 0], [0, 0], [0, 0], [0, 1]], "p").unwrap(),
        ];
        for r in &cases {
            check_gradient(
                "resample",
                &x,
                |x| run(r, x),
                |_, dy| {
                    let mut dx = vec![0.0; 48];
                    r.backward(dy, &mut dx);
                    dx
                },
            );
        }
    }
}
