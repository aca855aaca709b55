//! 2-D convolution, channels last (Keras' layout): x [batch, h, w, cin], kernel
//! [kh, kw, cin, cout]. Forward and both gradients go through im2col and one GEMM over the
//! whole batch; the column buffer made by the forward pass is reused by the backward pass.
use super::gemm::{gemm, MatRef};
use crate::error::{shape_str, KilnError, Result};
use rayon::prelude::*;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    Valid,
    Same,
}

/// Sizes of one convolution (or pooling window walk) over one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub channels: usize,
    pub k_h: usize,
    pub k_w: usize,
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    pub pad_top: usize,
    pub pad_left: usize,
    pub out_h: usize,
    pub out_w: usize,
}

/// Output length and leading padding of one axis, as TensorFlow computes them.
fn axis(input: usize, window: usize, stride: usize, dilation: usize, padding: Padding) -> Option<(usize, usize)> {
    let span = (window - 1) * dilation + 1;
    match padding {
        Padding::Valid => (input >= span).then(|| ((input - span) / stride + 1, 0)),
        Padding::Same => {
            let out = input.div_ceil(stride);
            let total = ((out - 1) * stride + span).saturating_sub(input);
            Some((out, total / 2))
        }
    }
}

impl Geometry {
    /// `input` is [batch, h, w, channels]; the window is `k_h` x `k_w`.
    pub fn new(input: &[usize], window: (usize, usize), stride: (usize, usize), dilation: (usize, usize), padding: Padding, name: &str) -> Result<Geometry> {
        if input.len() != 4 {
            return Err(KilnError::shape(format!("{name}: expected an input of rank 4 [batch, height, width, channels], got {}", shape_str(input))));
        }
        if stride.0 == 0 || stride.1 == 0 || dilation.0 == 0 || dilation.1 == 0 || window.0 == 0 || window.1 == 0 {
            return Err(KilnError::value(format!("{name}: window, strides and dilation must be positive")));
        }
        let too_small = || {
            KilnError::shape(format!(
                "{name}: the {}x{} window (dilation {:?}) is larger than the input {} with padding 'valid'",
                window.0, window.1, dilation, shape_str(input)
            ))
        };
        let (out_h, pad_top) = axis(input[1], window.0, stride.0, dilation.0, padding).ok_or_else(too_small)?;
        let (out_w, pad_left) = axis(input[2], window.1, stride.1, dilation.1, padding).ok_or_else(too_small)?;
        Ok(Geometry {
            batch: input[0],
            in_h: input[1],
            in_w: input[2],
            channels: input[3],
            k_h: window.0,
            k_w: window.1,
            stride,
            dilation,
            pad_top,
            pad_left,
            out_h,
            out_w,
        })
    }

    pub fn in_size(&self) -> usize {
        self.in_h * self.in_w * self.channels
    }
    pub fn positions(&self) -> usize {
        self.out_h * self.out_w
    }
    /// Length of one im2col row: the receptive field.
    pub fn patch(&self) -> usize {
        self.k_h * self.k_w * self.channels
    }

    /// The input row and column under window cell (ky, kx) at output (oy, ox), if inside.
    #[inline]
    pub fn source(&self, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        let iy = (oy * self.stride.0 + ky * self.dilation.0).checked_sub(self.pad_top)?;
        let ix = (ox * self.stride.1 + kx * self.dilation.1).checked_sub(self.pad_left)?;
        (iy < self.in_h && ix < self.in_w).then_some((iy, ix))
    }
}

/// Fills `cols` ([batch * positions, patch]) with the receptive fields of `x`.
pub fn im2col(g: &Geometry, x: &[f32], cols: &mut [f32]) {
    let (c, patch) = (g.channels, g.patch());
    cols.par_chunks_mut(g.positions() * patch).zip(x.par_chunks(g.in_size())).for_each(|(cols, x)| {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let row = &mut cols[(oy * g.out_w + ox) * patch..][..patch];
                for ky in 0..g.k_h {
                    for kx in 0..g.k_w {
                        let dst = &mut row[(ky * g.k_w + kx) * c..][..c];
                        match g.source(oy, ox, ky, kx) {
                            // A plain loop: for few channels a memcpy call costs more than the copy.
                            Some((iy, ix)) => dst.iter_mut().zip(&x[(iy * g.in_w + ix) * c..][..c]).for_each(|(d, &s)| *d = s),
                            None => dst.fill(0.0),
                        }
                    }
                }
            }
        }
    });
}

/// dx += the receptive-field gradients `dcols` scattered back (the adjoint of im2col).
pub fn col2im(g: &Geometry, dcols: &[f32], dx: &mut [f32]) {
    let (c, patch) = (g.channels, g.patch());
    dx.par_chunks_mut(g.in_size()).zip(dcols.par_chunks(g.positions() * patch)).for_each(|(dx, dcols)| {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let row = &dcols[(oy * g.out_w + ox) * patch..][..patch];
                for ky in 0..g.k_h {
                    for kx in 0..g.k_w {
                        if let Some((iy, ix)) = g.source(oy, ox, ky, kx) {
                            let src = &row[(ky * g.k_w + kx) * c..][..c];
                            dx[(iy * g.in_w + ix) * c..][..c].iter_mut().zip(src).for_each(|(d, s)| *d += s);
                        }
                    }
                }
            }
        }
    });
}

/// y = beta y + cols · kernel: the GEMM of a convolution over im2col columns
/// ([batch * positions, patch] x [patch, cout]).
pub fn columns_times_kernel(g: &Geometry, cols: &[f32], kernel: &[f32], out_channels: usize, beta: f32, y: &mut [f32]) {
    let rows = g.batch * g.positions();
    gemm(1.0, MatRef::new(cols, rows, g.patch()), MatRef::new(kernel, g.patch(), out_channels), beta, y);
}

/// dkernel (= with `overwrite`, else +=) colsᵀ · dy: the kernel gradient of a convolution.
pub fn kernel_gradient(g: &Geometry, cols: &[f32], dy: &[f32], out_channels: usize, overwrite: bool, dkernel: &mut [f32]) {
    let rows = g.batch * g.positions();
    gemm(1.0, MatRef::new(cols, rows, g.patch()).t(), MatRef::new(dy, rows, out_channels), if overwrite { 0.0 } else { 1.0 }, dkernel);
}

/// dx += col2im(dy · kernelᵀ): the adjoint of the convolution in its input (`dcols` is
/// working memory of im2col's size). A transposed convolution's forward pass is this.
pub fn input_gradient(g: &Geometry, dy: &[f32], kernel: &[f32], out_channels: usize, dcols: &mut [f32], dx: &mut [f32]) {
    let rows = g.batch * g.positions();
    gemm(1.0, MatRef::new(dy, rows, out_channels), MatRef::new(kernel, g.patch(), out_channels).t(), 0.0, dcols);
    col2im(g, dcols, dx);
}

/// y ([batch, out_h, out_w, cout]) = conv(x, kernel); `cols` keeps the im2col matrix.
pub fn forward(g: &Geometry, x: &[f32], kernel: &[f32], out_channels: usize, cols: &mut [f32], y: &mut [f32]) {
    im2col(g, x, cols);
    columns_times_kernel(g, cols, kernel, out_channels, 0.0, y);
}

/// Gradients from dy: dkernel (+= or = with `overwrite_dkernel`) and dx (+=, through
/// `dcols`), each skipped with None. `cols` must hold the forward pass's im2col.
#[allow(clippy::too_many_arguments)]
pub fn backward(g: &Geometry, cols: &[f32], kernel: &[f32], out_channels: usize, dy: &[f32], dkernel: Option<(&mut [f32], bool)>, dx: Option<(&mut [f32], &mut [f32])>) {
    if let Some((dk, overwrite)) = dkernel {
        kernel_gradient(g, cols, dy, out_channels, overwrite, dk);
    }
    if let Some((dx, dcols)) = dx {
        input_gradient(g, dy, kernel, out_channels, dcols, dx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;
    use crate::rng::Rng;

    /// Direct convolution, for reference.
    fn naive(g: &Geometry, x: &[f32], k: &[f32], cout: usize) -> Vec<f32> {
        let mut y = vec![0.0; g.batch * g.positions() * cout];
        for b in 0..g.batch {
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    for o in 0..cout {
                        let mut s = 0.0;
                        for ky in 0..g.k_h {
                            for kx in 0..g.k_w {
                                if let Some((iy, ix)) = g.source(oy, ox, ky, kx) {
                                    for c in 0..g.channels {
                                        s += x[b * g.in_size() + (iy * g.in_w + ix) * g.channels + c] * k[((ky * g.k_w + kx) * g.channels + c) * cout + o];
                                    }
                                }
                            }
                        }
                        y[((b * g.out_h + oy) * g.out_w + ox) * cout + o] = s;
                    }
                }
            }
        }
        y
    }

    fn cases() -> Vec<(Geometry, usize)> {
        vec![
            (Geometry::new(&[2, 5, 6, 3], (3, 3), (1, 1), (1, 1), Padding::Valid, "t").unwrap(), 4),
            (Geometry::new(&[2, 5, 6, 3], (3, 2), (2, 2), (1, 1), Padding::Same, "t").unwrap(), 2),
            (Geometry::new(&[1, 7, 7, 2], (3, 3), (1, 1), (2, 2), Padding::Same, "t").unwrap(), 3),
        ]
    }

    #[test]
    fn output_sizes_match_tensorflow() {
        let g = Geometry::new(&[1, 28, 28, 1], (3, 3), (1, 1), (1, 1), Padding::Valid, "c").unwrap();
        assert_eq!((g.out_h, g.out_w), (26, 26));
        let g = Geometry::new(&[1, 5, 6, 1], (3, 2), (2, 2), (1, 1), Padding::Same, "c").unwrap();
        assert_eq!((g.out_h, g.out_w, g.pad_top, g.pad_left), (3, 3, 1, 0));
        assert!(Geometry::new(&[1, 2, 2, 1], (3, 3), (1, 1), (1, 1), Padding::Valid, "c").is_err());
    }

    #[test]
    fn forward_matches_direct_convolution() {
        let mut rng = Rng::new(1);
        for (g, cout) in cases() {
            let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k: Vec<f32> = (0..g.patch() * cout).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let mut cols = vec![0.0; g.batch * g.positions() * g.patch()];
            let mut y = vec![0.0; g.batch * g.positions() * cout];
            forward(&g, &x, &k, cout, &mut cols, &mut y);
            for (a, b) in y.iter().zip(naive(&g, &x, &k, cout)) {
                assert!((a - b).abs() < 1e-4, "{g:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(2);
        for (g, cout) in cases() {
            let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k: Vec<f32> = (0..g.patch() * cout).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let n_cols = g.batch * g.positions() * g.patch();
            check_gradient("conv dx", &x, |x| naive(&g, x, &k, cout), |x, dy| {
                let mut cols = vec![0.0; n_cols];
                im2col(&g, x, &mut cols);
                let (mut dx, mut dcols) = (vec![0.0; x.len()], vec![0.0; n_cols]);
                backward(&g, &cols, &k, cout, dy, None, Some((&mut dx, &mut dcols)));
                dx
            });
            check_gradient("conv dkernel", &k, |k| naive(&g, &x, k, cout), |k, dy| {
                let mut cols = vec![0.0; n_cols];
                im2col(&g, &x, &mut cols);
                let mut dk = vec![0.0; k.len()];
                backward(&g, &cols, k, cout, dy, Some((&mut dk, true)), None);
                dk
            });
        }
    }
}
