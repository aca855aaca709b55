//! Transposed 2-D convolution, channels last: x [batch, h, w, cin] with kernel
//! [kh, kw, filters, cin] (Keras' layout) gives y [batch, H, W, filters]. It is the adjoint of
//! the convolution that maps y's size to x's, so it runs on conv.rs's pieces: its forward pass
//! is that convolution's input gradient, its input gradient is that convolution's forward pass.
use super::conv::{self, im2col, DepthAxis, Geometry, Padding};
use crate::error::{shape_str, KilnError, Result};

/// Output length and the index of output 0 in the dilated, padded frame (how far the first
/// window reaches before the output) of one axis, as Keras computes them.
fn axis(input: usize, window: usize, stride: usize, dilation: usize, padding: Padding, output_padding: Option<usize>) -> (usize, usize) {
    let span = (window - 1) * dilation + 1;
    // Keras' padding of the stride-dilated input before a plain convolution (its JAX backend).
    let (left, right) = match padding {
        Padding::Valid => (span - 1, span - 1 + output_padding.unwrap_or(span.max(stride) - span)),
        Padding::Same => {
            let total = match output_padding {
                None => stride + span - 2,
                Some(extra) => span + span % 2 - 2 + extra,
            };
            let left = (total / 2 + total % 2).min(span - 1);
            (left, total - left)
        }
    };
    let length = ((input - 1) * stride + left + right + 2).saturating_sub(span);
    (length, span - 1 - left)
}

/// The geometry of the convolution whose adjoint is this transposed convolution: its input
/// is the transposed convolution's output ([batch, H, W, filters]) and its output positions
/// are the transposed convolution's input pixels.
#[allow(clippy::too_many_arguments)]
pub fn geometry(
    input: &[usize],
    filters: usize,
    window: (usize, usize),
    stride: (usize, usize),
    dilation: (usize, usize),
    padding: Padding,
    output_padding: Option<(usize, usize)>,
    name: &str,
) -> Result<Geometry> {
    if input.len() != 4 {
        return Err(KilnError::shape(format!("{name}: expected an input of rank 4 [batch, height, width, channels], got {}", shape_str(input))));
    }
    if [stride.0, stride.1, dilation.0, dilation.1, window.0, window.1, filters].contains(&0) {
        return Err(KilnError::value(format!("{name}: filters, kernel size, strides and dilation must be positive")));
    }
    if input[1] == 0 || input[2] == 0 {
        return Err(KilnError::shape(format!("{name}: the input {} has no pixels", shape_str(input))));
    }
    if let Some((py, px)) = output_padding {
        if py >= stride.0 || px >= stride.1 {
            return Err(KilnError::value(format!("{name}: output_padding {:?} must be strictly less than strides {:?}", (py, px), stride)));
        }
    }
    let (in_h, pad_top) = axis(input[1], window.0, stride.0, dilation.0, padding, output_padding.map(|p| p.0));
    let (in_w, pad_left) = axis(input[2], window.1, stride.1, dilation.1, padding, output_padding.map(|p| p.1));
    if in_h == 0 || in_w == 0 {
        return Err(KilnError::shape(format!("{name}: the output of the transposed convolution of {} would be empty", shape_str(input))));
    }
    Ok(Geometry { batch: input[0], depth: DepthAxis::FLAT, in_h, in_w, channels: filters, k_h: window.0, k_w: window.1, stride, dilation, pad_top, pad_left, out_h: input[1], out_w: input[2] })
}

/// The same for a 3-D transposed convolution: x [batch, d, h, w, cin], kernel
/// [kd, kh, kw, filters, cin].
#[allow(clippy::too_many_arguments)]
pub fn geometry_3d(
    input: &[usize],
    filters: usize,
    window: [usize; 3],
    stride: [usize; 3],
    dilation: [usize; 3],
    padding: Padding,
    output_padding: Option<[usize; 3]>,
    name: &str,
) -> Result<Geometry> {
    if input.len() != 5 {
        return Err(KilnError::shape(format!("{name}: expected an input of rank 5 [batch, depth, height, width, channels], got {}", shape_str(input))));
    }
    let plane = [input[0], input[2], input[3], input[4]];
    let g = geometry(&plane, filters, (window[1], window[2]), (stride[1], stride[2]), (dilation[1], dilation[2]), padding, output_padding.map(|p| (p[1], p[2])), name)?;
    if [stride[0], dilation[0], window[0]].contains(&0) {
        return Err(KilnError::value(format!("{name}: filters, kernel size, strides and dilation must be positive")));
    }
    if input[1] == 0 {
        return Err(KilnError::shape(format!("{name}: the input {} has no planes", shape_str(input))));
    }
    if let Some(p) = output_padding.filter(|p| p[0] >= stride[0]) {
        return Err(KilnError::value(format!("{name}: output_padding {p:?} must be strictly less than strides {stride:?}")));
    }
    let (length, pad) = axis(input[1], window[0], stride[0], dilation[0], padding, output_padding.map(|p| p[0]));
    if length == 0 {
        return Err(KilnError::shape(format!("{name}: the output of the transposed convolution of {} would be empty", shape_str(input))));
    }
    Ok(Geometry { depth: DepthAxis { input: length, window: window[0], stride: stride[0], dilation: dilation[0], pad, output: input[1] }, ..g })
}

/// y = the transposed convolution of x; `dcols` is working memory of im2col's size.
pub fn forward(g: &Geometry, x: &[f32], kernel: &[f32], in_channels: usize, dcols: &mut [f32], y: &mut [f32]) {
    y.fill(0.0);
    conv::input_gradient(g, x, kernel, in_channels, dcols, y);
}

/// Gradients from dy: dkernel (= with `overwrite`, else +=) and dx (+=), each skipped with
/// None. `cols` is working memory of im2col's size.
#[allow(clippy::too_many_arguments)]
pub fn backward(g: &Geometry, x: &[f32], kernel: &[f32], in_channels: usize, dy: &[f32], cols: &mut [f32], dkernel: Option<(&mut [f32], bool)>, dx: Option<&mut [f32]>) {
    im2col(g, dy, cols);
    if let Some(dx) = dx {
        conv::columns_times_kernel(g, cols, kernel, in_channels, 1.0, dx);
    }
    if let Some((dk, overwrite)) = dkernel {
        conv::kernel_gradient(g, cols, x, in_channels, overwrite, dk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;
    use crate::rng::Rng;

    /// Each input pixel scatters kernel-weighted copies of itself over the output, for reference.
    fn naive(g: &Geometry, x: &[f32], k: &[f32], cin: usize) -> Vec<f32> {
        let (f, d) = (g.channels, g.depth);
        let mut y = vec![0.0; g.batch * g.in_size()];
        for b in 0..g.batch {
            for p in 0..d.output {
                for i in 0..g.out_h {
                    for j in 0..g.out_w {
                        for kd in 0..d.window {
                            let Some(od) = d.source(p, kd) else { continue };
                            for ky in 0..g.k_h {
                                for kx in 0..g.k_w {
                                    let Some((oy, ox)) = g.source(i, j, ky, kx) else { continue };
                                    for o in 0..f {
                                        for c in 0..cin {
                                            let xv = x[(((b * d.output + p) * g.out_h + i) * g.out_w + j) * cin + c];
                                            y[b * g.in_size() + ((od * g.in_h + oy) * g.in_w + ox) * f + o] += xv * k[(((kd * g.k_h + ky) * g.k_w + kx) * f + o) * cin + c];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        y
    }

    fn geom(input: &[usize], filters: usize, window: (usize, usize), stride: (usize, usize), dilation: (usize, usize), padding: Padding, output_padding: Option<(usize, usize)>) -> Geometry {
        geometry(input, filters, window, stride, dilation, padding, output_padding, "t").unwrap()
    }

    #[test]
    fn output_sizes_follow_keras() {
        // Keras: valid -> (in - 1) s + max(k, s); same -> in s; with output_padding p:
        // valid -> (in - 1) s + k + p, same -> (in - 1) s + k % 2 + p.
        let g = geom(&[1, 5, 4, 2], 3, (3, 2), (2, 3), (1, 1), Padding::Valid, None);
        assert_eq!((g.in_h, g.in_w, g.pad_top, g.pad_left), (11, 12, 0, 0));
        let g = geom(&[1, 5, 4, 2], 3, (3, 3), (2, 2), (1, 1), Padding::Same, None);
        assert_eq!((g.in_h, g.in_w, g.pad_top, g.pad_left), (10, 8, 0, 0));
        let g = geom(&[1, 5, 4, 2], 3, (3, 4), (2, 3), (1, 1), Padding::Same, Some((1, 2)));
        assert_eq!((g.in_h, g.in_w), (10, 11));
        let g = geom(&[1, 5, 4, 2], 3, (3, 3), (1, 1), (2, 2), Padding::Valid, None);
        assert_eq!((g.in_h, g.in_w), (9, 8));
        assert!(geometry(&[1, 5, 4, 2], 3, (3, 3), (2, 2), (1, 1), Padding::Same, Some((2, 0)), "t").is_err());
        assert!(geometry(&[1, 5, 4], 3, (3, 3), (2, 2), (1, 1), Padding::Same, None, "t").is_err());
        let g = geometry_3d(&[1, 3, 5, 4, 2], 3, [2, 3, 2], [3, 2, 3], [1, 1, 1], Padding::Valid, None, "t").unwrap();
        assert_eq!((g.depth.input, g.in_h, g.in_w, g.depth.output), (9, 11, 12, 3));
        assert!(geometry_3d(&[1, 3, 5, 4, 2], 3, [2, 3, 2], [2, 2, 2], [1, 1, 1], Padding::Same, Some([2, 0, 0]), "t").is_err());
    }

    fn cases() -> Vec<(Geometry, usize)> {
        vec![
            (geom(&[2, 3, 4, 3], 2, (3, 3), (1, 1), (1, 1), Padding::Valid, None), 3),
            (geom(&[2, 3, 3, 2], 3, (3, 2), (2, 2), (1, 1), Padding::Same, None), 2),
            (geom(&[1, 3, 4, 2], 2, (2, 3), (3, 2), (1, 1), Padding::Valid, Some((1, 1))), 2),
            (geom(&[1, 4, 3, 1], 2, (3, 3), (1, 1), (2, 1), Padding::Same, None), 1),
            (geometry_3d(&[2, 3, 2, 3, 2], 2, [2, 3, 2], [2, 1, 2], [1, 1, 1], Padding::Same, None, "t").unwrap(), 2),
            (geometry_3d(&[1, 2, 3, 2, 1], 2, [3, 2, 2], [2, 2, 1], [1, 1, 1], Padding::Valid, Some([1, 1, 0]), "t").unwrap(), 1),
        ]
    }

    #[test]
    fn forward_matches_direct_scatter() {
        let mut rng = Rng::new(7);
        for (g, cin) in cases() {
            let x: Vec<f32> = (0..g.batch * g.positions() * cin).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k: Vec<f32> = (0..g.patch() * cin).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let mut dcols = vec![0.0; g.batch * g.positions() * g.patch()];
            let mut y = vec![1.0; g.batch * g.in_size()];
            forward(&g, &x, &k, cin, &mut dcols, &mut y);
            for (a, b) in y.iter().zip(naive(&g, &x, &k, cin)) {
                assert!((a - b).abs() < 1e-4, "{g:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(8);
        for (g, cin) in cases() {
            let x: Vec<f32> = (0..g.batch * g.positions() * cin).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k: Vec<f32> = (0..g.patch() * cin).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let n_cols = g.batch * g.positions() * g.patch();
            check_gradient(
                "conv transpose dx",
                &x,
                |x| naive(&g, x, &k, cin),
                |x, dy| {
                    // Starts at 0.5: the input gradient is added to what is there.
                    let mut dx = vec![0.5; x.len()];
                    backward(&g, x, &k, cin, dy, &mut vec![0.0; n_cols], None, Some(&mut dx));
                    dx.iter().map(|v| v - 0.5).collect()
                },
            );
            check_gradient(
                "conv transpose dkernel",
                &k,
                |k| naive(&g, &x, k, cin),
                |k, dy| {
                    let mut dk = vec![0.0; k.len()];
                    backward(&g, &x, k, cin, dy, &mut vec![0.0; n_cols], Some((&mut dk, true)), None);
                    dk
                },
            );
        }
    }
}
