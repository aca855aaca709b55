//! 2-D and 3-D convolution, channels last (Keras' layout): x [batch, (d,) h, w, cin], kernel
//! [(kd,) kh, kw, cin / groups, cout]. A 3-D window is a stack of 2-D ones along the depth
//! axis, so one geometry (whose depth axis is flat, length 1, for 2-D) and one im2col serve
//! both; 1-D is 2-D with a height of one, upstream. Forward and both gradients go through im2col and one GEMM
//! over the whole batch (one per group when `groups` > 1, on that group's columns of the
//! kernel and output); the column buffer made by the forward pass is reused by the backward
//! pass. With one input channel per group (depthwise, as ConvNeXt's `groups = channels`) the
//! direct kernel of depthwise_conv.rs runs instead and no columns are made. Ungrouped 2-D
//! convolutions with up to 64 input channels (the seed CNN, ResNet's stem and first stage)
//! run conv_direct.rs's micro-kernels instead of im2col (`Route` names the choice; measured
//! 2-9x faster forward on those shapes); they handle padding in their loops, and their
//! scratch holds what they would otherwise allocate per call (conv_direct::forward_scratch_len).
//! A forward pass whose columns no backward pass reads (inference, a frozen kernel:
//! `forward_unkept`) takes only the scratch the forward pass needs, and with many output rows
//! the im2col route makes and multiplies its columns one block of rows at a time
//! (`forward_blocked`) instead of making the whole matrix.
use super::conv_direct::{self, Isa, Walk};
use super::depthwise_conv;
use super::gemm::{gemm, gemm_strided, gemm_via, route_for, splits, MatRef, StridedRef};
use super::gemm_packed::{gemm_prepacked, PackedB};
use super::winograd::{self, TileSize};
use crate::error::{shape_str, KilnError, Result};
use crate::threads;
use rayon::prelude::*;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    Valid,
    Same,
}

/// The depth axis of a 3-D window walk: input length, window, stride, dilation, leading
/// padding and output length. 2-D geometries have the flat one (all 1, no padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthAxis {
    pub input: usize,
    pub window: usize,
    pub stride: usize,
    pub dilation: usize,
    pub pad: usize,
    pub output: usize,
}

impl DepthAxis {
    pub const FLAT: DepthAxis = DepthAxis { input: 1, window: 1, stride: 1, dilation: 1, pad: 0, output: 1 };

    pub fn is_flat(&self) -> bool {
        *self == DepthAxis::FLAT
    }

    /// The input plane under window plane `kd` at output plane `od`, if inside.
    #[inline]
    pub fn source(&self, od: usize, kd: usize) -> Option<usize> {
        (od * self.stride + kd * self.dilation).checked_sub(self.pad).filter(|&id| id < self.input)
    }
}

/// Sizes of one convolution (or pooling window walk) over one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub batch: usize,
    /// Planes of [h, w, channels] (flat for 2-D).
    pub depth: DepthAxis,
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
pub fn axis(input: usize, window: usize, stride: usize, dilation: usize, padding: Padding) -> Option<(usize, usize)> {
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

/// Refuses an axis whose padded extent (the input, rounded up to the stride, plus the dilated
/// window) does not fit in a machine word: the geometry's arithmetic (`axis`, `source_row`)
/// would wrap and read the wrong cells, or panic.
fn check_extent(input: usize, window: usize, stride: usize, dilation: usize, name: &str) -> Result<()> {
    let extent = (input as u128).div_ceil(stride as u128) * stride as u128 + (window as u128 - 1) * dilation as u128 + 1;
    if extent > (usize::MAX / 2) as u128 {
        return Err(KilnError::value(format!("{name}: the window {window} (stride {stride}, dilation {dilation}) on an axis of {input} spans more than this machine can address")));
    }
    Ok(())
}

/// The window cells `k` (of `window`) whose input index `start + k * dilation - pad` lies in
/// `0..input`: the others read padding.
fn cells_inside(start: usize, dilation: usize, pad: usize, input: usize, window: usize) -> std::ops::Range<usize> {
    let first = pad.saturating_sub(start).div_ceil(dilation).min(window);
    let end = if pad + input > start { ((pad + input - start - 1) / dilation + 1).min(window) } else { 0 };
    first..end.max(first)
}

impl Geometry {
    /// The window rows whose input row is inside the input at output row `oy`: a pooling
    /// window far larger than the input costs what it covers, not its size.
    pub fn rows_inside(&self, oy: usize) -> std::ops::Range<usize> {
        cells_inside(oy * self.stride.0, self.dilation.0, self.pad_top, self.in_h, self.k_h)
    }

    /// As rows_inside, for the window columns at output column `ox`.
    pub fn columns_inside(&self, ox: usize) -> std::ops::Range<usize> {
        cells_inside(ox * self.stride.1, self.dilation.1, self.pad_left, self.in_w, self.k_w)
    }

    /// `input` is [batch, h, w, channels]; the window is `k_h` x `k_w`.
    pub fn new(input: &[usize], window: (usize, usize), stride: (usize, usize), dilation: (usize, usize), padding: Padding, name: &str) -> Result<Geometry> {
        if input.len() != 4 {
            return Err(KilnError::shape(format!("{name}: expected an input of rank 4 [batch, height, width, channels], got {}", shape_str(input))));
        }
        if stride.0 == 0 || stride.1 == 0 || dilation.0 == 0 || dilation.1 == 0 || window.0 == 0 || window.1 == 0 {
            return Err(KilnError::value(format!("{name}: window, strides and dilation must be positive")));
        }
        check_extent(input[1], window.0, stride.0, dilation.0, name)?;
        check_extent(input[2], window.1, stride.1, dilation.1, name)?;
        let too_small = || KilnError::shape(format!("{name}: the {}x{} window (dilation {:?}) is larger than the input {} with padding 'valid'", window.0, window.1, dilation, shape_str(input)));
        let (out_h, pad_top) = axis(input[1], window.0, stride.0, dilation.0, padding).ok_or_else(too_small)?;
        let (out_w, pad_left) = axis(input[2], window.1, stride.1, dilation.1, padding).ok_or_else(too_small)?;
        Ok(Geometry { batch: input[0], depth: DepthAxis::FLAT, in_h: input[1], in_w: input[2], channels: input[3], k_h: window.0, k_w: window.1, stride, dilation, pad_top, pad_left, out_h, out_w })
    }

    /// `input` is [batch, d, h, w, channels]; the window is `window[0]` x `[1]` x `[2]`.
    pub fn new_3d(input: &[usize], window: [usize; 3], stride: [usize; 3], dilation: [usize; 3], padding: Padding, name: &str) -> Result<Geometry> {
        if input.len() != 5 {
            return Err(KilnError::shape(format!("{name}: expected an input of rank 5 [batch, depth, height, width, channels], got {}", shape_str(input))));
        }
        let plane = [input[0], input[2], input[3], input[4]];
        let g = Geometry::new(&plane, (window[1], window[2]), (stride[1], stride[2]), (dilation[1], dilation[2]), padding, name)?;
        if stride[0] == 0 || dilation[0] == 0 || window[0] == 0 {
            return Err(KilnError::value(format!("{name}: window, strides and dilation must be positive")));
        }
        check_extent(input[1], window[0], stride[0], dilation[0], name)?;
        let (output, pad) = axis(input[1], window[0], stride[0], dilation[0], padding)
            .ok_or_else(|| KilnError::shape(format!("{name}: the {window:?} window (dilation {dilation:?}) is larger than the input {} with padding 'valid'", shape_str(input))))?;
        Ok(Geometry { depth: DepthAxis { input: input[1], window: window[0], stride: stride[0], dilation: dilation[0], pad, output }, ..g })
    }

    /// Values of one sample of x.
    pub fn in_size(&self) -> usize {
        self.depth.input * self.in_h * self.in_w * self.channels
    }
    /// Output positions of one sample.
    pub fn positions(&self) -> usize {
        self.depth.output * self.out_h * self.out_w
    }
    /// Length of one im2col row: the receptive field.
    pub fn patch(&self) -> usize {
        self.depth.window * self.k_h * self.k_w * self.channels
    }

    /// The input row and column under window cell (ky, kx) at output (oy, ox), if inside.
    #[inline]
    pub fn source(&self, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        Some((self.source_row(oy, ky)?, self.source_column(ox, kx)?))
    }

    /// The input row under window row `ky` at output row `oy`, if inside.
    #[inline]
    pub fn source_row(&self, oy: usize, ky: usize) -> Option<usize> {
        (oy * self.stride.0 + ky * self.dilation.0).checked_sub(self.pad_top).filter(|&iy| iy < self.in_h)
    }

    /// The input column under window column `kx` at output column `ox`, if inside.
    #[inline]
    pub fn source_column(&self, ox: usize, kx: usize) -> Option<usize> {
        (ox * self.stride.1 + kx * self.dilation.1).checked_sub(self.pad_left).filter(|&ix| ix < self.in_w)
    }

    /// The first input column of the window at output column `ox` when the window's columns
    /// are adjacent and all inside the input: then one window row is k_w * channels values
    /// in a row of x, copied at once.
    #[inline]
    fn whole_window_row(&self, ox: usize) -> Option<usize> {
        let first = (ox * self.stride.1).checked_sub(self.pad_left)?;
        (self.dilation.1 == 1 && first + self.k_w <= self.in_w).then_some(first)
    }
}

/// Walks the receptive fields of channels `first..first + count` in runs of adjacent values:
/// `visit(offset in one sample's cols, offset in one sample of x or None where the run is
/// padding, run length)`; one sample's cols are [positions, patch * count / channels]. A
/// window row inside the input is one run of k_w * channels values when all channels are
/// taken; other rows go cell by cell; a window plane outside the input (3-D) is padding.
#[inline]
fn for_each_run(g: &Geometry, (first, count): (usize, usize), mut visit: impl FnMut(usize, Option<usize>, usize)) {
    let c = g.channels;
    let (span, plane_patch) = (g.k_w * count, g.k_h * g.k_w * count);
    let patch = g.depth.window * plane_patch;
    let (plane_positions, plane_size) = (g.out_h * g.out_w, g.in_h * g.in_w * c);
    for od in 0..g.depth.output {
        for kd in 0..g.depth.window {
            let plane = g.depth.source(od, kd).map(|id| id * plane_size);
            let window_plane = od * plane_positions * patch + kd * plane_patch;
            for oy in 0..g.out_h {
                for ky in 0..g.k_h {
                    let iy = plane.and_then(|p| g.source_row(oy, ky).map(|iy| p + iy * g.in_w * c));
                    for ox in 0..g.out_w {
                        let at = window_plane + (oy * g.out_w + ox) * patch + ky * span;
                        match (iy, if count == c { g.whole_window_row(ox) } else { None }) {
                            (None, _) => visit(at, None, span),
                            (Some(row), Some(ix)) => visit(at, Some(row + ix * c), span),
                            (Some(row), None) => {
                                for kx in 0..g.k_w {
                                    visit(at + kx * count, g.source_column(ox, kx).map(|ix| row + ix * c + first), count);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Fills `cols` ([batch * positions, patch]) with the receptive fields of `x`.
pub fn im2col(g: &Geometry, x: &[f32], cols: &mut [f32]) {
    im2col_channels(g, (0, g.channels), x, cols);
}

/// im2col of channels `first..first + count` only ([batch * positions, k_h * k_w * count]).
fn im2col_channels(g: &Geometry, channels: (usize, usize), x: &[f32], cols: &mut [f32]) {
    let per_sample = g.positions() * g.patch() / g.channels * channels.1;
    cols.par_chunks_mut(per_sample).zip(x.par_chunks(g.in_size())).for_each(|(cols, x)| {
        for_each_run(g, channels, |at, from, len| {
            let dst = &mut cols[at..at + len];
            match from {
                // A plain loop: for few values a memcpy call costs more than the copy.
                Some(f) => dst.iter_mut().zip(&x[f..f + len]).for_each(|(d, &s)| *d = s),
                None => dst.fill(0.0),
            }
        });
    });
}

/// Rows `rows` of the im2col matrix of x (rows of [batch * positions, patch]) into `cols`
/// ([rows.len(), patch]): the blocked route's columns of one block of output positions.
fn im2col_rows(g: &Geometry, x: &[f32], rows: std::ops::Range<usize>, cols: &mut [f32]) {
    let (c, patch, positions, plane_positions) = (g.channels, g.patch(), g.positions(), g.out_h * g.out_w);
    let (row_len, plane_size) = (g.k_w * c, g.in_h * g.in_w * c);
    for (r, dst) in rows.zip(cols.chunks_exact_mut(patch)) {
        let (b, p) = (r / positions, r % positions);
        let (od, oy, ox) = (p / plane_positions, p % plane_positions / g.out_w, p % g.out_w);
        let x = &x[b * g.in_size()..][..g.in_size()];
        let whole = g.whole_window_row(ox);
        for kd in 0..g.depth.window {
            let plane = g.depth.source(od, kd).map(|id| id * plane_size);
            for ky in 0..g.k_h {
                let dst = &mut dst[(kd * g.k_h + ky) * row_len..][..row_len];
                let Some(row) = plane.and_then(|p| g.source_row(oy, ky).map(|iy| p + iy * g.in_w * c)) else {
                    dst.fill(0.0);
                    continue;
                };
                match whole {
                    Some(ix) => dst.copy_from_slice(&x[row + ix * c..][..row_len]),
                    None => {
                        for (kx, d) in dst.chunks_exact_mut(c).enumerate() {
                            match g.source_column(ox, kx) {
                                Some(ix) => d.copy_from_slice(&x[row + ix * c..][..c]),
                                None => d.fill(0.0),
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The kernel a blocked forward pass multiplies by: as stored ([patch, cout]) or packed ahead.
#[derive(Clone, Copy)]
pub enum KernelOperand<'a> {
    Plain(&'a [f32]),
    Packed(&'a PackedB),
}

/// Columns per block of the blocked route (rows x patch values, 4 MB), and the fewest rows a
/// block takes (the GEMM repacks the kernel for each block): see `blocked_wins`.
const BLOCK_VALUES: usize = 1 << 20;
const BLOCK_MIN_ROWS: usize = 256;

/// Rows of one block of columns: `BLOCK_VALUES` worth, at least `BLOCK_MIN_ROWS`, in whole
/// micro-tiles (of 8 rows); never more than one task's share of the rows.
pub fn block_rows(g: &Geometry) -> usize {
    let rows = g.batch * g.positions();
    let per_task = rows.div_ceil(threads::num_threads()).max(1);
    (BLOCK_VALUES / g.patch().max(1)).max(BLOCK_MIN_ROWS).next_multiple_of(8).min(per_task)
}

/// The tasks (one per thread, at most one per block) and rows per task of a blocked pass.
fn blocked_tasks(rows: usize, block: usize) -> (usize, usize) {
    let tasks = threads::num_threads().min(rows.div_ceil(block.max(1))).max(1);
    (tasks, rows.div_ceil(tasks).max(1))
}

/// Scratch values of the blocked route with blocks of `block` rows: one block per task (the
/// last task's no more than its rows), never more than the whole im2col matrix.
pub fn blocked_scratch_len_with(g: &Geometry, block: usize) -> usize {
    let rows = g.batch * g.positions();
    let (tasks, per_task) = blocked_tasks(rows, block);
    let block = block.min(per_task);
    ((tasks - 1) * block + block.min(rows - (tasks - 1) * per_task)) * g.patch()
}

/// Scratch values of `forward_blocked`.
pub fn blocked_scratch_len(g: &Geometry) -> usize {
    blocked_scratch_len_with(g, block_rows(g))
}

/// y = conv(x, kernel) for an ungrouped convolution through im2col, never making the whole
/// [batch * positions, patch] matrix: each thread takes a contiguous share of the output rows
/// and, one block of rows at a time, makes that block's columns in its part of `cols` (of
/// `blocked_scratch_len`) and multiplies it by the kernel on its own thread, so the columns
/// are read back from cache. Nothing is left for a backward pass.
pub fn forward_blocked(g: &Geometry, x: &[f32], kernel: KernelOperand, out_channels: usize, cols: &mut [f32], y: &mut [f32]) {
    forward_blocked_with(g, x, kernel, out_channels, block_rows(g), cols, y)
}

/// `forward_blocked` with blocks of `block` rows (benches and tests choose it).
pub fn forward_blocked_with(g: &Geometry, x: &[f32], kernel: KernelOperand, cout: usize, block: usize, cols: &mut [f32], y: &mut [f32]) {
    let (rows, patch) = (g.batch * g.positions(), g.patch());
    if rows == 0 || cout == 0 {
        return;
    }
    let (tasks, per_task) = blocked_tasks(rows, block);
    let block = block.min(per_task);
    assert!(cols.len() >= blocked_scratch_len_with(g, block), "conv: blocked scratch too small");
    let task = |first: usize, cols: &mut [f32], y: &mut [f32]| {
        let end = (first + per_task).min(rows);
        for b0 in (first..end).step_by(block) {
            let n = block.min(end - b0);
            let cols = &mut cols[..n * patch];
            im2col_rows(g, x, b0..b0 + n, cols);
            let (a, out) = (StridedRef::new(cols, n, patch, patch), &mut y[(b0 - first) * cout..][..n * cout]);
            match kernel {
                KernelOperand::Plain(k) => gemm_via(route_for(n, patch, cout), Some(false), 1.0, a, StridedRef::new(k, patch, cout, cout), 0.0, out, cout),
                KernelOperand::Packed(k) => gemm_prepacked(1.0, a, k, 0.0, out, cout, false),
            }
        }
    };
    if tasks == 1 {
        return task(0, cols, y);
    }
    y.par_chunks_mut(per_task * cout).zip(cols.par_chunks_mut(block * patch)).enumerate().for_each(|(t, (y, cols))| task(t * per_task, cols, y));
}

/// dx += the receptive-field gradients `dcols` scattered back (the adjoint of im2col).
pub fn col2im(g: &Geometry, dcols: &[f32], dx: &mut [f32]) {
    col2im_channels(g, (0, g.channels), dcols, dx);
}

fn col2im_channels(g: &Geometry, channels: (usize, usize), dcols: &[f32], dx: &mut [f32]) {
    let per_sample = g.positions() * g.patch() / g.channels * channels.1;
    dx.par_chunks_mut(g.in_size()).zip(dcols.par_chunks(per_sample)).for_each(|(dx, dcols)| {
        for_each_run(g, channels, |at, to, len| {
            if let Some(t) = to {
                dx[t..t + len].iter_mut().zip(&dcols[at..at + len]).for_each(|(d, s)| *d += s);
            }
        });
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

/// How a convolution splits its channels: `groups` independent convolutions, each over
/// channels / groups inputs making filters / groups outputs (Keras' `groups`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Groups {
    pub groups: usize,
    pub out_channels: usize,
}

impl Groups {
    pub fn new(groups: usize, out_channels: usize) -> Groups {
        Groups { groups, out_channels }
    }
    fn in_per_group(&self, g: &Geometry) -> usize {
        g.channels / self.groups
    }
    fn out_per_group(&self) -> usize {
        self.out_channels / self.groups
    }
    /// One input channel per group: the depthwise kernel, with this channel multiplier.
    fn depthwise(&self, g: &Geometry) -> Option<usize> {
        (self.groups > 1 && self.in_per_group(g) == 1 && g.depth.is_flat()).then(|| self.out_per_group())
    }
    /// The size of the column buffer (and of its gradient) the convolution needs.
    pub fn columns_len(&self, g: &Geometry) -> Result<usize> {
        Ok(with_transformed_scratch(g, self, Route::of(g, self).scratch_len(g, self)?))
    }
    /// An ungrouped 1 x 1 window at stride 1 (ResNet's and MobileNet's projections, the second
    /// half of a separable convolution): x is its own im2col matrix, so none is made.
    fn pointwise(&self, g: &Geometry) -> bool {
        self.groups == 1 && (g.k_h, g.k_w, g.stride, g.depth.window, g.depth.stride) == (1, 1, (1, 1), 1, 1)
    }
}

/// Input channels up to which an ungrouped 2-D convolution runs direct (conv_direct.rs):
/// there im2col would copy each input value k_h x k_w times for little arithmetic per value.
const DIRECT_MAX_CHANNELS: usize = 64;

/// Whether an ungrouped 3 x 3 stride-1 convolution runs Winograd F(2x2, 3x3) (winograd.rs)
/// rather than im2col + GEMM or the direct kernels: with 64 channels or more in and out, and at
/// least 1024 output tiles (2 x 2 positions each, over the batch) and as many as input channels,
/// which amortise the per-call kernel transform and the reads of the transformed kernel (16 cin
/// cout values per chunk of tiles). `cargo bench --bench conv -- winograd`, 2 threads, measured
/// on a loaded machine (3 alternating rounds, medians), Winograd against the route it replaces
/// (direct at 64 input channels, else im2col + GEMM), forward / input gradient:
/// - batch 32: 56x56x64 1.18x / 1.12x, 28x28x128 1.73x / 1.83x, 14x14x256 1.42x / 1.54x,
///   7x7x512 (512 tiles) 1.23x / 1.05x;
/// - batch 1: 56x56x64 1.00x / 0.99x, 28x28x128 (196 tiles) 1.07x / 1.93x; kept off 14x14x256
///   (49 tiles, 0.45x / 0.45x) and 7x7x512 (16 tiles, 0.28x / 0.39x);
/// - the seed CNN's 13x13x32 -> 64 (32 channels, kept off): 0.58-0.65x the direct kernel;
/// - ResNet50 at 224x224 end to end (`benches/kiln/infer_apps.mjs`, alternating runs with the
///   route switched off and on): batch 32 4.8-5.9 s -> 2.8-4.3 s with all four stages on it.
///   Batch 1 measured 153-155 ms -> 186-187 ms, but the same again with the 1024-tile floor
///   (no layer on Winograd at batch 1), so that gap is not Winograd's; the floor stays, as
///   batch 1 gains at most 1.07x in the figures above and batch 32's 7x7x512 (512 tiles) is
///   left off with it.
///
/// F(4x4, 3x3) was slower than F(2x2, 3x3) at batch 1 on 4 of 5 of these shapes (0.55-0.99x;
/// 1.39x at 28x28x128, once), and its float32 error is larger, so F(2x2, 3x3) it is here.
/// Inference keeps the transformed kernel across calls instead, and routes by
/// `transformed_winograd_tile`.
fn winograd_wins(g: &Geometry, groups: &Groups) -> bool {
    let tiles = g.batch * g.out_h.div_ceil(2) * g.out_w.div_ceil(2);
    winograd::applies(g, groups.groups) && g.channels >= WINOGRAD_MIN_CHANNELS && groups.out_channels >= WINOGRAD_MIN_CHANNELS && tiles >= g.channels.max(WINOGRAD_MIN_TILES)
}

/// The Winograd tile an inference pass runs with where it keeps the kernel's transform across
/// calls (per weight generation: graph::transformed_kernels), or None for `Route::of`'s route.
/// With no transform per call, Winograd wins on far fewer tiles, and F(4x4, 3x3) (36 GEMMs
/// for 16 outputs a tile) where its tiles are many. `cargo bench --bench conv -- transformed`,
/// 2 threads, loaded machine, CPU time (3 alternating rounds, medians), against `Route::of`'s
/// route (direct at 64 channels, im2col + GEMM or Winograd transforming per call above),
/// F(2x2) / F(4x4):
/// - batch 1: 56x56x64 1.06x / 1.08x, 28x28x128 1.48x / 2.32x, 14x14x256 (49 tiles of 2 x 2,
///   16 of 4 x 4) 1.78x / 0.74x; 7x7x512 (16 tiles) 0.58x / 0.52x, kept off;
/// - batch 32: 56x56x64 1.04x / 1.21x, 28x28x128 1.02x / 1.30x, 14x14x256 1.04x / 1.08x,
///   7x7x512 1.33x / 2.09x.
pub fn transformed_winograd_tile(g: &Geometry, groups: &Groups) -> Option<TileSize> {
    let tiles = |m: usize| g.batch * g.out_h.div_ceil(m) * g.out_w.div_ceil(m);
    let applies = winograd::applies(g, groups.groups) && g.channels >= WINOGRAD_MIN_CHANNELS && groups.out_channels >= WINOGRAD_MIN_CHANNELS;
    if !applies || tiles(2) < WINOGRAD_TRANSFORMED_MIN_TILES {
        return None;
    }
    Some(if tiles(4) >= WINOGRAD_F4_MIN_TILES { TileSize::F4 } else { TileSize::F2 })
}

/// Tiles of 2 x 2 outputs (over the batch) from which Winograd wins with the kernel
/// transformed ahead: 49 won (14x14x256 at batch 1), 16 lost (7x7x512).
const WINOGRAD_TRANSFORMED_MIN_TILES: usize = 49;

/// Tiles of 4 x 4 outputs from which F(4x4, 3x3) beats F(2x2, 3x3) with the kernel
/// transformed ahead: 49 won (28x28x128 at batch 1), 16 lost (14x14x256).
const WINOGRAD_F4_MIN_TILES: usize = 49;

/// Whether the blocked route beats the whole im2col matrix for this convolution: from
/// `BLOCKED_MIN_ROWS_PER_TASK` output rows per thread. `cargo bench --bench conv -- blocked`,
/// 2 threads, measured on a loaded machine (3 alternating rounds, medians, noisy: +-15%),
/// blocked against whole columns, ResNet50's im2col-route shapes:
/// - batch 32, blocks of 4 MB (at least 256 rows): 7x7x512 3x3 1.17x, 1x1 stride 2 from
///   56x56x256 to 128 1.06x and to 512 1.10x, 28x28x512 to 1024 1.11x, 14x14x1024 to 2048
///   1.00x; with 1 MB blocks (56 to 1024 rows) 0.85x, 1.15x, 1.08x, 1.00x, 0.94x: the GEMM
///   packs the kernel again for each block, which small blocks do not amortise;
/// - batch 1 (one block per thread, of 25 to 392 rows): 0.55-0.58x where the whole-matrix GEMM
///   splits the kernel's columns between the threads and the blocked one packs all of it on
///   each (1x1 stride 2 56x56x256 to 512, 28x28x512 to 1024, 3x3 14x14x256), 0.78x at
///   7x7x512, 1.0-1.3x at 28x28x128 and 56x56x256 to 128 (392 rows): kept off.
///
/// The kernel packed ahead for kiln's own GEMM kernel (`KernelOperand::Packed`, no repacking
/// per block) measured 0.76-1.17x at 1 MB blocks, no better than the `gemm` crate's.
/// ResNet50 at 224x224 end to end (`benches/kiln/infer_apps.mjs`, this change against the
/// build before it, 3 alternating rounds, heavily loaded machine): batch 32 medians 4424, 2897,
/// 2841 ms against 4388, 4735, 3067 ms, peak RSS 4.29-4.30 GB against 5.05-5.35 GB (the forward
/// scratch alone, all routes); batch 1 unchanged within the noise (161, 179, 138 ms against
/// 156, 184, 134 ms: no layer there takes the blocked route). Same predictions, bit for bit.
fn blocked_wins(g: &Geometry) -> bool {
    g.batch * g.positions() >= threads::num_threads() * BLOCKED_MIN_ROWS_PER_TASK
}

/// Output rows per thread from which the blocked route runs (see `blocked_wins`).
const BLOCKED_MIN_ROWS_PER_TASK: usize = 512;

/// Input and output channels from which Winograd wins (see `winograd_wins`).
const WINOGRAD_MIN_CHANNELS: usize = 64;

/// Output tiles (over the batch) from which Winograd wins (see `winograd_wins`).
const WINOGRAD_MIN_TILES: usize = 1024;

/// Which kernel computes a convolution: `Route::of` picks it; benches and tests name others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// One input channel per group: depthwise_conv.rs, with this channel multiplier.
    Depthwise(usize),
    /// 1 x 1 at stride 1: one GEMM on x itself.
    Pointwise,
    /// conv_direct.rs's micro-kernels, no im2col.
    Direct(Isa),
    /// im2col and one GEMM (per group).
    Columns,
    /// winograd.rs (3 x 3, stride 1): forward and input gradient; the kernel gradient through
    /// im2col and one GEMM.
    Winograd,
}

impl Route {
    pub fn of(g: &Geometry, groups: &Groups) -> Route {
        if let Some(multiplier) = groups.depthwise(g) {
            Route::Depthwise(multiplier)
        } else if groups.pointwise(g) {
            Route::Pointwise
        } else if winograd_wins(g, groups) {
            Route::Winograd
        } else if groups.groups == 1 && g.depth.is_flat() && g.channels <= DIRECT_MAX_CHANNELS {
            Route::Direct(Isa::detect())
        } else {
            Route::Columns
        }
    }

    /// Scratch values for the forward pass's buffer (and the input gradient's, the same size).
    pub fn scratch_len(&self, g: &Geometry, groups: &Groups) -> Result<usize> {
        let columns = || crate::alloc::checked_element_count(&[g.batch, g.positions(), g.patch()]);
        match self {
            Route::Depthwise(_) | Route::Pointwise => Ok(0),
            Route::Columns => columns(),
            // The backward pass makes the kernel gradient's im2col in the same buffer.
            Route::Winograd => Ok(columns()?.max(winograd::scratch_len(g, groups.out_channels))),
            Route::Direct(_) => {
                let forward = conv_direct::forward_scratch_len(&Walk::forward(g), groups.out_channels);
                let gradient = if g.stride == (1, 1) { conv_direct::input_gradient_scratch_len(g, groups.out_channels) } else { columns()? };
                Ok(forward.max(gradient))
            }
        }
    }
}

/// Group `i`'s im2col columns: each group's are a contiguous [batch * positions, patch / groups].
fn group_columns(g: &Geometry, groups: &Groups, i: usize) -> std::ops::Range<usize> {
    let len = g.batch * g.positions() * g.patch() / groups.groups;
    i * len..(i + 1) * len
}

/// y ([batch, out_h, out_w, cout]) = conv(x, kernel); `cols` (of `columns_len`) keeps the
/// im2col matrix.
pub fn forward(g: &Geometry, groups: Groups, x: &[f32], kernel: &[f32], cols: &mut [f32], y: &mut [f32]) {
    forward_by(Route::of(g, &groups), g, groups, x, kernel, cols, y)
}

/// Whether this convolution's forward pass is one GEMM on its whole [patch, cout] kernel, which
/// `forward_prepacked` can then take packed ahead.
pub fn takes_packed_kernel(g: &Geometry, groups: &Groups) -> bool {
    groups.groups == 1 && matches!(Route::of(g, groups), Route::Pointwise | Route::Columns)
}

/// `forward` with the kernel packed ahead (constant weights at inference); only where
/// `takes_packed_kernel`.
pub fn forward_prepacked(g: &Geometry, groups: &Groups, x: &[f32], kernel: &PackedB, cols: &mut [f32], y: &mut [f32]) {
    assert!(takes_packed_kernel(g, groups), "a packed kernel for a convolution that is not one GEMM");
    let (rows, patch, cout) = (g.batch * g.positions(), g.patch(), groups.out_channels);
    let cols: &[f32] = if Route::of(g, groups) == Route::Pointwise {
        x
    } else {
        im2col(g, x, cols);
        cols
    };
    gemm_prepacked(1.0, StridedRef::new(cols, rows, patch, patch), kernel, 0.0, y, cout, splits(rows, patch, cout));
}

/// y = conv(x, kernel) from the kernel's Winograd transform `u`
/// (winograd::transform_forward_kernel) with the tile `transformed_winograd_tile` picks;
/// `cols` of `columns_len`.
pub fn forward_transformed(g: &Geometry, groups: &Groups, x: &[f32], u: &[f32], cols: &mut [f32], y: &mut [f32]) {
    let tile = transformed_winograd_tile(g, groups).expect("a Winograd-transformed kernel for a convolution that takes one");
    winograd::forward_transformed(g, groups.out_channels, tile, x, u, cols, y);
}

/// Whether a forward pass that leaves no columns for a backward pass (inference, or a frozen
/// kernel) runs blocked (`forward_blocked`) rather than making the whole im2col matrix: an
/// ungrouped convolution on the columns route where `blocked_wins`.
pub fn runs_blocked(g: &Geometry, groups: &Groups) -> bool {
    groups.groups == 1 && Route::of(g, groups) == Route::Columns && blocked_wins(g)
}

/// The scratch of `forward_unkept`: what the forward pass alone needs (the blocked route's
/// blocks; Winograd's transforms and the direct kernels' padded input without the columns
/// their backward passes make), at batch 32 in ResNet50 a few MB where the columns take
/// hundreds.
pub fn unkept_scratch_len(g: &Geometry, groups: &Groups) -> Result<usize> {
    let route = match Route::of(g, groups) {
        Route::Columns if runs_blocked(g, groups) => blocked_scratch_len(g),
        Route::Columns => Route::Columns.scratch_len(g, groups)?,
        Route::Winograd => winograd::scratch_len(g, groups.out_channels),
        Route::Direct(_) => conv_direct::forward_scratch_len(&Walk::forward(g), groups.out_channels),
        Route::Depthwise(_) | Route::Pointwise => 0,
    };
    Ok(with_transformed_scratch(g, groups, route))
}

/// `len` raised to what the inference route with the Winograd transform kept needs
/// (`forward_transformed`), where `transformed_winograd_tile` picks it: a plan's scratch serves
/// that route as well as `Route::of`'s.
fn with_transformed_scratch(g: &Geometry, groups: &Groups, len: usize) -> usize {
    transformed_winograd_tile(g, groups).map_or(len, |tile| len.max(winograd::transformed_scratch_len(g, groups.out_channels, tile)))
}

/// `forward` for a pass whose columns no backward pass reads: blocked where `runs_blocked`
/// (with the kernel packed ahead when given), else `forward` (or `forward_prepacked`). `cols`
/// holds `unkept_scratch_len` values.
pub fn forward_unkept(g: &Geometry, groups: Groups, x: &[f32], kernel: KernelOperand, cols: &mut [f32], y: &mut [f32]) {
    match kernel {
        _ if runs_blocked(g, &groups) => forward_blocked(g, x, kernel, groups.out_channels, cols, y),
        KernelOperand::Plain(k) => forward(g, groups, x, k, cols, y),
        KernelOperand::Packed(k) => forward_prepacked(g, &groups, x, k, cols, y),
    }
}

/// `forward` through `route`, which must be `Route::of` or, for an ungrouped 2-D convolution,
/// `Direct` or `Columns` (with a scratch `cols` of that route's `scratch_len`).
pub fn forward_by(route: Route, g: &Geometry, groups: Groups, x: &[f32], kernel: &[f32], cols: &mut [f32], y: &mut [f32]) {
    match route {
        Route::Depthwise(multiplier) => return depthwise_conv::forward(g, x, kernel, multiplier, y),
        Route::Pointwise => return columns_times_kernel(g, x, kernel, groups.out_channels, 0.0, y),
        Route::Direct(isa) => {
            return conv_direct::forward(isa, &Walk::forward(g), x, cols, kernel, groups.out_channels, false, y);
        }
        Route::Winograd => return winograd::forward(g, groups.out_channels, x, kernel, cols, y),
        Route::Columns => {}
    }
    if groups.groups == 1 {
        im2col(g, x, cols);
        return columns_times_kernel(g, cols, kernel, groups.out_channels, 0.0, y);
    }
    let (cin, cout, f) = (groups.in_per_group(g), groups.out_per_group(), groups.out_channels);
    let (rows, patch) = (g.batch * g.positions(), g.patch() / g.channels * cin);
    for i in 0..groups.groups {
        let cols = &mut cols[group_columns(g, &groups, i)];
        im2col_channels(g, (i * cin, cin), x, cols);
        gemm_strided(1.0, StridedRef::new(cols, rows, patch, patch), StridedRef::new(&kernel[i * cout..], patch, cout, f), 0.0, &mut y[i * cout..], f);
    }
}

/// Gradients from dy: dkernel (+= or = with its flag) and dx (through `dcols`, of
/// `columns_len`; likewise += or = with its flag), each skipped with None. `cols` must hold
/// the forward pass's im2col.
#[allow(clippy::too_many_arguments)]
pub fn backward(g: &Geometry, groups: Groups, x: &[f32], cols: &mut [f32], kernel: &[f32], dy: &[f32], dkernel: Option<(&mut [f32], bool)>, dx: Option<(&mut [f32], &mut [f32], bool)>) {
    backward_by(Route::of(g, &groups), g, groups, x, cols, kernel, dy, dkernel, dx)
}

/// `backward` through `route` (as `forward_by`; `cols` from the same route's forward pass).
#[allow(clippy::too_many_arguments)]
pub fn backward_by(
    route: Route,
    g: &Geometry,
    groups: Groups,
    x: &[f32],
    cols: &mut [f32],
    kernel: &[f32],
    dy: &[f32],
    dkernel: Option<(&mut [f32], bool)>,
    dx: Option<(&mut [f32], &mut [f32], bool)>,
) {
    // The direct stride-1 route and the pointwise GEMM write dx whole; the others add to it.
    let writes_whole = matches!(route, Route::Pointwise | Route::Winograd) || (matches!(route, Route::Direct(_)) && g.stride == (1, 1));
    let dx = dx.map(|(dx, dcols, overwrite)| {
        if overwrite && !writes_whole {
            dx.fill(0.0);
        }
        (dx, dcols, overwrite && writes_whole)
    });
    if let Route::Depthwise(multiplier) = route {
        return depthwise_conv::backward(g, x, kernel, multiplier, dy, dkernel, dx.map(|(dx, _, _)| dx));
    }
    if let Route::Direct(isa) = route {
        if let Some((dk, overwrite)) = dkernel {
            conv_direct::kernel_gradient(isa, &Walk::forward(g), x, cols, dy, groups.out_channels, overwrite, dk);
        }
        if let Some((dx, dcols, overwrite)) = dx {
            if g.stride == (1, 1) {
                conv_direct::input_gradient(isa, g, dy, kernel, groups.out_channels, dcols, !overwrite, dx);
            } else {
                let len = g.batch * g.positions() * g.patch();
                input_gradient(g, dy, kernel, groups.out_channels, &mut dcols[..len], dx);
            }
        }
        return;
    }
    if route == Route::Winograd {
        // The forward pass left its transforms in `cols`, not im2col: make that now.
        if let Some((dk, overwrite)) = dkernel {
            let cols = &mut cols[..g.batch * g.positions() * g.patch()];
            im2col(g, x, cols);
            kernel_gradient(g, cols, dy, groups.out_channels, overwrite, dk);
        }
        if let Some((dx, dcols, overwrite)) = dx {
            winograd::input_gradient(g, groups.out_channels, dy, kernel, overwrite, dcols, dx);
        }
        return;
    }
    if route == Route::Pointwise {
        if let Some((dk, overwrite)) = dkernel {
            kernel_gradient(g, x, dy, groups.out_channels, overwrite, dk);
        }
        if let Some((dx, _, overwrite)) = dx {
            let rows = g.batch * g.positions();
            gemm(1.0, MatRef::new(dy, rows, groups.out_channels), MatRef::new(kernel, g.channels, groups.out_channels).t(), if overwrite { 0.0 } else { 1.0 }, dx);
        }
        return;
    }
    if groups.groups == 1 {
        if let Some((dk, overwrite)) = dkernel {
            kernel_gradient(g, cols, dy, groups.out_channels, overwrite, dk);
        }
        if let Some((dx, dcols, _)) = dx {
            let len = g.batch * g.positions() * g.patch();
            input_gradient(g, dy, kernel, groups.out_channels, &mut dcols[..len], dx);
        }
        return;
    }
    let (cin, cout, f) = (groups.in_per_group(g), groups.out_per_group(), groups.out_channels);
    let (rows, patch) = (g.batch * g.positions(), g.patch() / g.channels * cin);
    if let Some((dk, overwrite)) = dkernel {
        for i in 0..groups.groups {
            let cols = StridedRef::new(&cols[group_columns(g, &groups, i)], rows, patch, patch);
            let beta = if overwrite { 0.0 } else { 1.0 };
            gemm_strided(1.0, cols.t(), StridedRef::new(&dy[i * cout..], rows, cout, f), beta, &mut dk[i * cout..], f);
        }
    }
    if let Some((dx, dcols, _)) = dx {
        for i in 0..groups.groups {
            let dcols = &mut dcols[group_columns(g, &groups, i)];
            let kernel = StridedRef::new(&kernel[i * cout..], patch, cout, f);
            gemm_strided(1.0, StridedRef::new(&dy[i * cout..], rows, cout, f), kernel.t(), 0.0, dcols, patch);
            col2im_channels(g, (i * cin, cin), dcols, dx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;
    use crate::rng::Rng;

    /// Direct convolution, for reference, summed in float64: output channel o of group
    /// o / (cout / groups) sums over that group's input channels.
    fn naive(g: &Geometry, x: &[f32], k: &[f32], groups: Groups) -> Vec<f32> {
        let (cout, cin) = (groups.out_channels, g.channels / groups.groups);
        let d = g.depth;
        let mut y = vec![0.0; g.batch * g.positions() * cout];
        for b in 0..g.batch {
            for od in 0..d.output {
                for oy in 0..g.out_h {
                    for ox in 0..g.out_w {
                        for o in 0..cout {
                            let first = o / (cout / groups.groups) * cin;
                            let mut s = 0.0f64;
                            for kd in 0..d.window {
                                let Some(id) = d.source(od, kd) else { continue };
                                for ky in 0..g.k_h {
                                    for kx in 0..g.k_w {
                                        if let Some((iy, ix)) = g.source(oy, ox, ky, kx) {
                                            for c in 0..cin {
                                                let xv = x[b * g.in_size() + ((id * g.in_h + iy) * g.in_w + ix) * g.channels + first + c];
                                                s += xv as f64 * k[(((kd * g.k_h + ky) * g.k_w + kx) * cin + c) * cout + o] as f64;
                                            }
                                        }
                                    }
                                }
                            }
                            y[(((b * d.output + od) * g.out_h + oy) * g.out_w + ox) * cout + o] = s as f32;
                        }
                    }
                }
            }
        }
        y
    }

    fn cases() -> Vec<(Geometry, Groups)> {
        vec![
            (Geometry::new(&[2, 5, 6, 3], (3, 3), (1, 1), (1, 1), Padding::Valid, "t").unwrap(), Groups::new(1, 4)),
            (Geometry::new(&[2, 5, 6, 3], (3, 2), (2, 2), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 2)),
            (Geometry::new(&[1, 7, 7, 2], (3, 3), (1, 1), (2, 2), Padding::Same, "t").unwrap(), Groups::new(1, 3)),
            // Grouped: two and four groups of several channels each, then one channel per group.
            (Geometry::new(&[2, 5, 6, 4], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(2, 6)),
            (Geometry::new(&[2, 6, 5, 8], (2, 3), (2, 1), (1, 1), Padding::Valid, "t").unwrap(), Groups::new(4, 4)),
            (Geometry::new(&[1, 7, 6, 6], (3, 3), (1, 1), (2, 1), Padding::Same, "t").unwrap(), Groups::new(3, 6)),
            (Geometry::new(&[2, 5, 5, 3], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(3, 6)),
            // The direct kernels: one input channel with a channel tail past the vectors, batch
            // 1; stride 2 'same' (input gradient through columns); dilation with an odd stride;
            // whole blocks of 64 output channels.
            (Geometry::new(&[1, 9, 8, 1], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 17)),
            (Geometry::new(&[2, 7, 9, 3], (3, 3), (2, 2), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 40)),
            (Geometry::new(&[1, 8, 7, 5], (2, 3), (1, 2), (2, 1), Padding::Valid, "t").unwrap(), Groups::new(1, 9)),
            (Geometry::new(&[2, 6, 6, 7], (3, 3), (1, 1), (1, 1), Padding::Valid, "t").unwrap(), Groups::new(1, 64)),
            // Padded borders on every side at odd sizes (the windows also run past the last
            // row and column), a window wider than the input with 'same', stride 2 'same' with
            // a dilated window, and more than 64 output channels (a block of 64, one of 16 and
            // a scalar tail).
            (Geometry::new(&[2, 5, 7, 3], (3, 5), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 19)),
            (Geometry::new(&[1, 3, 2, 2], (5, 4), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 8)),
            (Geometry::new(&[2, 7, 5, 2], (3, 3), (2, 2), (2, 1), Padding::Same, "t").unwrap(), Groups::new(1, 5)),
            (Geometry::new(&[1, 5, 5, 3], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 83)),
            // 1 x 1 at stride 1 (no columns), then 1 x 1 at stride 2 (columns).
            (Geometry::new(&[2, 3, 4, 5], (1, 1), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 3)),
            (Geometry::new(&[2, 5, 4, 3], (1, 1), (2, 2), (1, 1), Padding::Valid, "t").unwrap(), Groups::new(1, 2)),
            // 3-D: valid; same with strides; dilated and grouped; one channel per group (no
            // depthwise kernel in 3-D: grouped GEMMs); 1 x 1 x 1.
            (Geometry::new_3d(&[2, 4, 3, 4, 2], [2, 2, 3], [1, 1, 1], [1, 1, 1], Padding::Valid, "t").unwrap(), Groups::new(1, 3)),
            (Geometry::new_3d(&[1, 5, 4, 3, 2], [3, 2, 2], [2, 2, 1], [1, 1, 1], Padding::Same, "t").unwrap(), Groups::new(1, 2)),
            (Geometry::new_3d(&[1, 5, 4, 4, 4], [2, 2, 2], [1, 1, 1], [2, 1, 2], Padding::Same, "t").unwrap(), Groups::new(2, 4)),
            (Geometry::new_3d(&[2, 3, 3, 3, 2], [2, 2, 2], [1, 1, 1], [1, 1, 1], Padding::Same, "t").unwrap(), Groups::new(2, 4)),
            (Geometry::new_3d(&[2, 2, 3, 2, 3], [1, 1, 1], [1, 1, 1], [1, 1, 1], Padding::Valid, "t").unwrap(), Groups::new(1, 2)),
        ]
    }

    fn kernel_len(g: &Geometry, groups: Groups) -> usize {
        g.patch() / groups.groups * groups.out_channels
    }

    #[test]
    fn output_sizes_match_tensorflow() {
        let g = Geometry::new(&[1, 28, 28, 1], (3, 3), (1, 1), (1, 1), Padding::Valid, "c").unwrap();
        assert_eq!((g.out_h, g.out_w), (26, 26));
        let g = Geometry::new(&[1, 5, 6, 1], (3, 2), (2, 2), (1, 1), Padding::Same, "c").unwrap();
        assert_eq!((g.out_h, g.out_w, g.pad_top, g.pad_left), (3, 3, 1, 0));
        assert!(Geometry::new(&[1, 2, 2, 1], (3, 3), (1, 1), (1, 1), Padding::Valid, "c").is_err());
        let g = Geometry::new_3d(&[1, 5, 6, 7, 1], [3, 3, 2], [2, 1, 3], [1, 1, 1], Padding::Same, "c").unwrap();
        assert_eq!((g.depth.output, g.depth.pad, g.out_h, g.out_w), (3, 1, 6, 3));
        let g = Geometry::new_3d(&[1, 5, 6, 7, 1], [3, 3, 2], [1, 1, 1], [2, 1, 1], Padding::Valid, "c").unwrap();
        assert_eq!((g.depth.output, g.out_h, g.out_w), (1, 4, 6));
        assert!(Geometry::new_3d(&[1, 2, 6, 6, 1], [3, 3, 3], [1, 1, 1], [1, 1, 1], Padding::Valid, "c").is_err());
    }

    #[test]
    fn forward_matches_direct_convolution() {
        let mut rng = Rng::new(1);
        for (g, groups) in cases() {
            let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k: Vec<f32> = (0..kernel_len(&g, groups)).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let mut cols = vec![0.0; groups.columns_len(&g).unwrap()];
            let mut y = vec![0.0; g.batch * g.positions() * groups.out_channels];
            forward(&g, groups, &x, &k, &mut cols, &mut y);
            for (a, b) in y.iter().zip(naive(&g, &x, &k, groups)) {
                assert!((a - b).abs() < 1e-4, "{g:?} {groups:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(2);
        for (g, groups) in cases() {
            let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k: Vec<f32> = (0..kernel_len(&g, groups)).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let n_cols = groups.columns_len(&g).unwrap();
            let columns = |x: &[f32], k: &[f32]| {
                let mut cols = vec![0.0; n_cols];
                forward(&g, groups, x, k, &mut cols, &mut vec![0.0; g.batch * g.positions() * groups.out_channels]);
                cols
            };
            check_gradient(
                "conv dx",
                &x,
                |x| naive(&g, x, &k, groups),
                |x, dy| {
                    let mut cols = columns(x, &k);
                    let (mut dx, mut dcols) = (vec![0.25; x.len()], vec![0.0; n_cols]);
                    backward(&g, groups, x, &mut cols, &k, dy, None, Some((&mut dx, &mut dcols, false)));
                    dx.iter().map(|v| v - 0.25).collect()
                },
            );
            check_gradient(
                "conv dkernel",
                &k,
                |k| naive(&g, &x, k, groups),
                |k, dy| {
                    let mut cols = columns(&x, k);
                    let mut dk = vec![1.0; k.len()];
                    backward(&g, groups, &x, &mut cols, k, dy, Some((&mut dk, true)), None);
                    dk
                },
            );
        }
    }

    /// The blocked route (the kernel as stored and packed ahead) against the float64 sum and
    /// the whole im2col matrix: odd sizes, padding on every side, strides, dilation, a window
    /// wider than the input, 3-D, batch 1; blocks of 1 row, of rows that do not divide a
    /// task's share, and one block per task; then `forward_unkept` on the routed blocks.
    #[test]
    fn blocked_route_equals_the_naive_sum_and_the_whole_columns() {
        let shapes = [
            (Geometry::new(&[1, 7, 9, 5], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), 6),
            (Geometry::new(&[2, 9, 7, 3], (3, 2), (2, 2), (1, 1), Padding::Same, "t").unwrap(), 5),
            (Geometry::new(&[3, 8, 8, 4], (3, 3), (1, 2), (2, 1), Padding::Valid, "t").unwrap(), 7),
            (Geometry::new(&[1, 11, 10, 67], (1, 1), (2, 2), (1, 1), Padding::Valid, "t").unwrap(), 9),
            (Geometry::new(&[2, 5, 6, 70], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), 17),
            (Geometry::new(&[1, 3, 2, 2], (5, 4), (1, 1), (1, 1), Padding::Same, "t").unwrap(), 3),
            (Geometry::new_3d(&[2, 5, 4, 3, 2], [3, 2, 2], [2, 2, 1], [1, 1, 1], Padding::Same, "t").unwrap(), 4),
            // Routed blocked: 1156 rows in blocks of 256 (a receptive field of 4140 values).
            (Geometry::new(&[1, 34, 34, 460], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), 3),
        ];
        let blocked = &shapes[shapes.len() - 1];
        assert!(runs_blocked(&blocked.0, &Groups::new(1, blocked.1)) && block_rows(&blocked.0) == 256);
        let mut rng = Rng::new(7);
        for (g, cout) in shapes {
            let groups = Groups::new(1, cout);
            let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k: Vec<f32> = (0..kernel_len(&g, groups)).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let want = naive(&g, &x, &k, groups);
            let n_y = g.batch * g.positions() * cout;
            let mut whole = vec![0.0; n_y];
            forward_by(Route::Columns, &g, groups, &x, &k, &mut vec![0.0; Route::Columns.scratch_len(&g, &groups).unwrap()], &mut whole);
            let packed = PackedB::new(StridedRef::new(&k, g.patch(), cout, cout));
            let rows = g.batch * g.positions();
            for block in [1, 5, 8, rows.div_ceil(2), rows] {
                for kernel in [KernelOperand::Plain(&k), KernelOperand::Packed(&packed)] {
                    let mut y = vec![f32::NAN; n_y];
                    forward_blocked_with(&g, &x, kernel, cout, block, &mut vec![f32::NAN; blocked_scratch_len_with(&g, block)], &mut y);
                    for (i, ((a, b), c)) in y.iter().zip(&want).zip(&whole).enumerate() {
                        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()) * (g.patch() as f32).sqrt(), "{g:?} block {block} [{i}]: {a} vs the sum {b}");
                        assert!((a - c).abs() <= 1e-5 * (1.0 + c.abs()) * (g.patch() as f32).sqrt(), "{g:?} block {block} [{i}]: {a} vs whole columns {c}");
                    }
                }
            }
            // The routed scratch, and the whole columns' (a plan that also trains).
            for n in [unkept_scratch_len(&g, &groups).unwrap(), groups.columns_len(&g).unwrap()] {
                let mut y = vec![f32::NAN; n_y];
                forward_unkept(&g, groups, &x, KernelOperand::Plain(&k), &mut vec![0.0; n], &mut y);
                y.iter().zip(&want).for_each(|(a, b)| assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{g:?} unkept: {a} vs {b}"));
            }
        }
        // Every route's forward pass alone runs in `unkept_scratch_len`, which is never more than the
        // route's whole scratch.
        for (g, groups) in cases() {
            let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k: Vec<f32> = (0..kernel_len(&g, groups)).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let n = unkept_scratch_len(&g, &groups).unwrap();
            assert!(n <= groups.columns_len(&g).unwrap(), "{g:?}");
            let mut y = vec![f32::NAN; g.batch * g.positions() * groups.out_channels];
            forward_unkept(&g, groups, &x, KernelOperand::Plain(&k), &mut vec![0.0; n], &mut y);
            y.iter().zip(naive(&g, &x, &k, groups)).for_each(|(a, b)| assert!((a - b).abs() < 1e-4, "{g:?} {groups:?} unkept: {a} vs {b}"));
        }
    }

    /// One route's forward pass and gradients: y, dx (accumulated onto 0.5s), dkernel
    /// (overwritten) and dkernel accumulated onto 1s; dx overwritten is checked on the way
    /// against dx accumulated.
    fn run_route(route: Route, g: &Geometry, groups: Groups, x: &[f32], k: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let n = route.scratch_len(g, &groups).unwrap();
        let (mut cols, mut dcols, mut y) = (vec![0.0; n], vec![0.0; n], vec![0.0; dy.len()]);
        forward_by(route, g, groups, x, k, &mut cols, &mut y);
        let (mut dx, mut dk, mut dk_sum) = (vec![0.5; x.len()], vec![9.0; k.len()], vec![1.0; k.len()]);
        backward_by(route, g, groups, x, &mut cols, k, dy, Some((&mut dk, true)), Some((&mut dx, &mut dcols, false)));
        backward_by(route, g, groups, x, &mut cols, k, dy, Some((&mut dk_sum, false)), None);
        let mut dx_written = vec![9.0; x.len()];
        backward_by(route, g, groups, x, &mut cols, k, dy, None, Some((&mut dx_written, &mut dcols, true)));
        dx_written.iter().zip(&dx).for_each(|(w, a)| assert!((w + 0.5 - a).abs() <= 1e-5 * (1.0 + a.abs()), "{route:?} {g:?}: dx written {w} vs accumulated {a}"));
        (y, dx, dk, dk_sum)
    }

    /// The Winograd route against im2col + GEMM ('same' and 'valid', odd sizes, batch > 1,
    /// channels off the vector width, enough tiles to split over threads), forward and both
    /// gradients, written and accumulated; then its gradients against finite differences.
    #[test]
    fn winograd_route_equals_the_columns_route() {
        let shapes = [
            (Geometry::new(&[2, 7, 9, 5], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 6)),
            (Geometry::new(&[3, 9, 6, 17], (3, 3), (1, 1), (1, 1), Padding::Valid, "t").unwrap(), Groups::new(1, 33)),
            (Geometry::new(&[2, 14, 14, 64], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 64)),
            (Geometry::new(&[1, 11, 13, 70], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 66)),
            (Geometry::new(&[5, 15, 15, 8], (3, 3), (1, 1), (1, 1), Padding::Valid, "t").unwrap(), Groups::new(1, 72)),
        ];
        // The rule: 64+ channels and 1024+ tiles of 2 x 2 outputs (and as many as input channels).
        let route = |input: &[usize], out| Route::of(&Geometry::new(input, (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), &Groups::new(1, out));
        assert_eq!(route(&[1, 64, 64, 64], 64), Route::Winograd);
        assert_eq!(route(&[32, 14, 14, 256], 256), Route::Winograd);
        assert_eq!(route(&[1, 28, 28, 128], 128), Route::Columns);
        assert_eq!(route(&[32, 7, 7, 512], 512), Route::Columns);
        assert_ne!(route(&[64, 13, 13, 32], 64), Route::Winograd);
        let mut rng = Rng::new(6);
        for (g, groups) in shapes {
            let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k: Vec<f32> = (0..kernel_len(&g, groups)).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let n_y = g.batch * g.positions() * groups.out_channels;
            let dy: Vec<f32> = (0..n_y).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let (want, got) = (run_route(Route::Columns, &g, groups, &x, &k, &dy), run_route(Route::Winograd, &g, groups, &x, &k, &dy));
            // Relative to the size of a sum of 9 cin (or 9 cout) unit terms.
            for (what, a, b, terms) in [("y", &got.0, &want.0, g.channels), ("dx", &got.1, &want.1, groups.out_channels), ("dkernel", &got.2, &want.2, g.batch * g.positions())] {
                let scale = (9.0 * terms as f32).sqrt();
                for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                    assert!((x - y).abs() <= 2e-6 * scale * (1.0 + y.abs()), "{g:?} {what} [{i}]: {x} vs {y}");
                }
            }
        }
        let (g, groups) = (Geometry::new(&[2, 5, 6, 3], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 4));
        let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let k: Vec<f32> = (0..kernel_len(&g, groups)).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let n = Route::Winograd.scratch_len(&g, &groups).unwrap();
        let winograd = |x: &[f32], k: &[f32]| {
            let (mut cols, mut y) = (vec![0.0; n], vec![0.0; g.batch * g.positions() * groups.out_channels]);
            forward_by(Route::Winograd, &g, groups, x, k, &mut cols, &mut y);
            (cols, y)
        };
        check_gradient(
            "winograd dx",
            &x,
            |x| winograd(x, &k).1,
            |x, dy| {
                let (mut cols, mut dx, mut dcols) = (winograd(x, &k).0, vec![0.0; x.len()], vec![0.0; n]);
                backward_by(Route::Winograd, &g, groups, x, &mut cols, &k, dy, None, Some((&mut dx, &mut dcols, true)));
                dx
            },
        );
        check_gradient(
            "winograd dkernel",
            &k,
            |k| winograd(&x, k).1,
            |k, dy| {
                let (mut cols, mut dk) = (winograd(&x, k).0, vec![0.0; k.len()]);
                backward_by(Route::Winograd, &g, groups, &x, &mut cols, k, dy, Some((&mut dk, true)), None);
                dk
            },
        );
    }

    /// The inference path with the kernel transformed ahead, at batch 1 where only it takes
    /// Winograd: against im2col + GEMM and the direct sum, with one transform reused over
    /// several inputs, and a new transform after the kernel changes.
    #[test]
    fn transformed_kernel_forward_equals_the_columns_route() {
        let mut rng = Rng::new(8);
        for (input, out) in [([1, 28, 28, 64], 64), ([1, 23, 25, 65], 70), ([2, 16, 16, 96], 64)] {
            let (g, groups) = (Geometry::new(&input, (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, out));
            let tile = transformed_winograd_tile(&g, &groups).expect("a case the transformed kernel takes");
            assert_ne!(Route::of(&g, &groups), Route::Winograd, "{g:?}: a case only the transformed kernel takes to Winograd");
            let mut k: Vec<f32> = (0..kernel_len(&g, groups)).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let mut u = vec![0.0; winograd::transformed_kernel_len(&g, out, tile)];
            let mut cols = vec![f32::NAN; groups.columns_len(&g).unwrap()];
            for round in 0..3 {
                if round == 2 {
                    k.iter_mut().for_each(|v| *v *= -0.8);
                }
                if round != 1 {
                    winograd::transform_forward_kernel(&g, out, tile, &k, &mut u);
                }
                let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
                let mut want = vec![0.0; g.batch * g.positions() * out];
                forward_by(Route::Columns, &g, groups, &x, &k, &mut vec![0.0; Route::Columns.scratch_len(&g, &groups).unwrap()], &mut want);
                let mut got = vec![f32::NAN; want.len()];
                forward_transformed(&g, &groups, &x, &u, &mut cols, &mut got);
                // F(4x4, 3x3)'s coefficients (up to 8) cost it more float32 precision.
                let scale = (9.0 * g.channels as f32).sqrt() * if tile == TileSize::F4 { 1e-5 } else { 2e-6 };
                for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                    assert!((a - b).abs() <= scale * (1.0 + b.abs()), "{g:?} {tile:?} round {round} [{i}]: {a} vs {b}");
                }
                if round == 0 {
                    for (a, b) in got.iter().zip(naive(&g, &x, &k, groups)) {
                        assert!((a - b).abs() < 20.0 * scale, "{g:?}: {a} vs the direct sum {b}");
                    }
                }
            }
        }
        // The rule: F(2x2) from 49 tiles of 2 x 2, F(4x4) from 49 tiles of 4 x 4, 64+ channels.
        let takes = |input: &[usize], out| transformed_winograd_tile(&Geometry::new(input, (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), &Groups::new(1, out));
        assert_eq!(takes(&[1, 7, 7, 512], 512), None);
        assert_eq!(takes(&[1, 28, 28, 32], 64), None);
        assert_eq!(takes(&[1, 14, 14, 256], 256), Some(TileSize::F2));
        assert_eq!(takes(&[1, 28, 28, 128], 128), Some(TileSize::F4));
        assert_eq!(takes(&[32, 7, 7, 512], 512), Some(TileSize::F4));
    }

    /// Every instruction set's direct kernels against im2col + GEMM, on the direct cases and
    /// on shapes large enough to split over threads, with padding on every side.
    #[test]
    fn direct_kernels_equal_the_columns_route() {
        let mut isas = vec![Isa::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                isas.push(Isa::Avx2);
            }
            if is_x86_feature_detected!("avx512f") {
                isas.push(Isa::Avx512);
            }
        }
        let mut shapes: Vec<(Geometry, Groups)> = cases().into_iter().filter(|(g, groups)| matches!(Route::of(g, groups), Route::Direct(_))).collect();
        assert!(shapes.len() >= 6);
        shapes.push((Geometry::new(&[3, 13, 12, 5], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 33)));
        shapes.push((Geometry::new(&[2, 13, 13, 32], (3, 3), (1, 1), (1, 1), Padding::Valid, "t").unwrap(), Groups::new(1, 64)));
        shapes.push((Geometry::new(&[4, 28, 28, 1], (3, 3), (1, 1), (1, 1), Padding::Valid, "t").unwrap(), Groups::new(1, 32)));
        shapes.push((Geometry::new(&[1, 30, 31, 3], (7, 7), (2, 2), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 24)));
        // A receptive field of 12 cells: the kernel gradient's 9-cell tiles end with a partial one.
        shapes.push((Geometry::new(&[2, 9, 8, 3], (2, 2), (1, 1), (1, 1), Padding::Valid, "t").unwrap(), Groups::new(1, 32)));
        // Large enough to split over threads, with padding: the kernel gradient's copy and
        // partial sums in the scratch; more than 64 output channels; an odd dilated 'same'.
        shapes.push((Geometry::new(&[3, 15, 13, 16], (3, 3), (1, 1), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 96)));
        shapes.push((Geometry::new(&[2, 17, 11, 6], (5, 3), (1, 1), (2, 3), Padding::Same, "t").unwrap(), Groups::new(1, 40)));
        shapes.push((Geometry::new(&[2, 15, 15, 8], (3, 3), (2, 2), (1, 1), Padding::Same, "t").unwrap(), Groups::new(1, 70)));
        let mut rng = Rng::new(5);
        let close = |a: &[f32], b: &[f32], what: &str| {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{what} [{i}]: {x} vs {y}");
            }
        };
        for (g, groups) in shapes {
            let x: Vec<f32> = (0..g.batch * g.in_size()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k: Vec<f32> = (0..kernel_len(&g, groups)).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let n_y = g.batch * g.positions() * groups.out_channels;
            let dy: Vec<f32> = (0..n_y).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let want = run_route(Route::Columns, &g, groups, &x, &k, &dy);
            for &isa in &isas {
                let got = run_route(Route::Direct(isa), &g, groups, &x, &k, &dy);
                let what = format!("{isa:?} {g:?} {groups:?}");
                close(&got.0, &want.0, &format!("{what} y"));
                close(&got.1, &want.1, &format!("{what} dx"));
                close(&got.2, &want.2, &format!("{what} dkernel"));
                close(&got.3, &want.3, &format!("{what} dkernel +="));
            }
        }
    }
}
