//! Direct convolution without im2col: y[p, o] = Σ_q x[window(p), q] · k[q, o], where p runs
//! over the output positions of the whole batch and q over the receptive field (window cells
//! x input channels, the kernel's row order). Any stride and dilation; padding is handled in
//! the loops: a window cell outside the source reads a row of zeros (from the caller's
//! scratch), and a cell outside for every position of a tile is skipped, so no zero-bordered
//! copy is made for the forward pass or the input gradient.
//!
//! The micro-kernels keep a tile of R positions x V vectors of output channels in registers:
//! per receptive-field cell one load of V kernel vectors, R broadcasts of x, R x V fused
//! multiply-adds (forward); the kernel gradient swaps the roles (R cells, the sum over
//! positions). They are written once over `Lanes` and compiled for AVX-512, AVX2 + FMA (chosen
//! at run time) and a portable 8-lane fallback that the compiler vectorises for any target.
//! Output channels past the last whole vector take a scalar loop.
//!
//! The input gradient at stride 1 is this same forward pass over dy, whose windows reach
//! span - 1 - pad past each border, with the kernel flipped and its channel axes swapped (the
//! transposed convolution); conv.rs takes other strides through GEMM and col2im. The kernel
//! gradient walks windows that lie inside their source: for a padded convolution it reads a
//! zero-bordered copy of x that it makes in its scratch.
//!
//! Nothing here allocates: the zero row, the copy, the flipped kernel and the kernel
//! gradient's per-thread partial sums live in the plan's scratch (`forward_scratch_len`,
//! `input_gradient_scratch_len`). Measured against the zero-bordered copies (seed CNN, batch
//! 64, one thread, medians of 3 alternating runs, loaded machine): conv2's input gradient
//! 3.80 -> 3.20 ms, its kernel gradient 2.72 -> 2.60, its forward 2.58 -> 2.56; the
//! 1-channel first layer lost 0.05 ms forward and 0.12 ms kernel gradient, the latter to
//! register spills in its 12-cell gradient tile (now 9 cells; see `per_isa!` below).
use super::conv::Geometry;
use crate::threads;
use rayon::prelude::*;

/// Below this many multiply-adds one thread is faster than fork/join.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;
/// Positions per kernel-gradient pass: their dy rows stay in cache while every cell tile
/// runs over them.
const GRADIENT_CHUNK: usize = 256;

/// A source tensor [batch, in_h, in_w, channels] walked by windows: the output grid, the
/// window's cells, and the zeros the windows reach before the first row and column (windows
/// may also reach past the last ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub channels: usize,
    pub pad_top: usize,
    pub pad_left: usize,
    pub k_h: usize,
    pub k_w: usize,
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    pub out_h: usize,
    pub out_w: usize,
}

/// A zero-bordered copy: the source sits at (top, left) inside an h x w plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Padded {
    top: usize,
    left: usize,
    h: usize,
    w: usize,
}

/// Where one position's window starts in the source (an offset that may point before it when
/// the window starts in the padding) and which of its rows and columns lie inside.
#[derive(Debug, Clone, Copy, Default)]
struct Origin {
    base: isize,
    rows: (usize, usize),
    columns: (usize, usize),
    interior: bool,
}

impl Origin {
    #[inline(always)]
    fn covers(&self, ky: usize, kx: usize) -> bool {
        self.rows.0 <= ky && ky < self.rows.1 && self.columns.0 <= kx && kx < self.columns.1
    }
}

/// The window cells `first..end` (of `window`, `dilation` apart, starting at padded index
/// `start`) whose source index lies in `0..input`; the second value says whether all do.
#[inline(always)]
fn inside(start: usize, dilation: usize, window: usize, pad: usize, input: usize) -> ((usize, usize), bool) {
    if start >= pad && start - pad + (window - 1) * dilation < input {
        return ((0, window), true);
    }
    let first = pad.saturating_sub(start).div_ceil(dilation).min(window);
    let end = if pad + input > start { ((pad + input - start - 1) / dilation + 1).min(window) } else { 0 };
    ((first, end.max(first)), false)
}

impl Walk {
    /// The forward pass of a 2-D convolution (flat depth axis).
    pub fn forward(g: &Geometry) -> Walk {
        Walk {
            batch: g.batch,
            in_h: g.in_h,
            in_w: g.in_w,
            channels: g.channels,
            pad_top: g.pad_top,
            pad_left: g.pad_left,
            k_h: g.k_h,
            k_w: g.k_w,
            stride: g.stride,
            dilation: g.dilation,
            out_h: g.out_h,
            out_w: g.out_w,
        }
    }

    /// The input gradient of a stride-1 convolution as a forward pass over dy: dx[i] =
    /// Σ dy[i + pad - c·d] k[c] = Σ dy'[i + c'·d] k[k - 1 - c'] with dy' = dy shifted by
    /// span - 1 - pad.
    pub fn input_gradient(g: &Geometry, out_channels: usize) -> Walk {
        debug_assert_eq!(g.stride, (1, 1));
        let (span_h, span_w) = ((g.k_h - 1) * g.dilation.0 + 1, (g.k_w - 1) * g.dilation.1 + 1);
        Walk {
            batch: g.batch,
            in_h: g.out_h,
            in_w: g.out_w,
            channels: out_channels,
            pad_top: span_h - 1 - g.pad_top,
            pad_left: span_w - 1 - g.pad_left,
            k_h: g.k_h,
            k_w: g.k_w,
            stride: (1, 1),
            dilation: g.dilation,
            out_h: g.in_h,
            out_w: g.in_w,
        }
    }

    fn positions(&self) -> usize {
        self.out_h * self.out_w
    }
    fn patch(&self) -> usize {
        self.k_h * self.k_w * self.channels
    }

    /// The zero-bordered copy the kernel gradient reads, when some window leaves the source.
    fn padded(&self) -> Option<Padded> {
        let span = |k: usize, d: usize| (k - 1) * d + 1;
        // Rows and columns the windows reach, counted from the first padded one.
        let reach_h = (self.out_h - 1) * self.stride.0 + span(self.k_h, self.dilation.0);
        let reach_w = (self.out_w - 1) * self.stride.1 + span(self.k_w, self.dilation.1);
        let outside = self.pad_top > 0 || self.pad_left > 0 || reach_h > self.pad_top + self.in_h || reach_w > self.pad_left + self.in_w;
        outside.then(|| Padded { top: self.pad_top, left: self.pad_left, h: reach_h.max(self.pad_top + self.in_h), w: reach_w.max(self.pad_left + self.in_w) })
    }

    /// Values of the kernel gradient's zero-bordered copy (0 when the source is walked as it is).
    fn padded_len(&self) -> usize {
        self.padded().map_or(0, |p| self.batch * p.h * p.w * self.channels)
    }

    /// This walk over its zero-bordered copy (itself when it has none): no window leaves it.
    fn over_copy(&self) -> Walk {
        match self.padded() {
            Some(p) => Walk { in_h: p.h, in_w: p.w, pad_top: 0, pad_left: 0, ..*self },
            None => *self,
        }
    }

    /// Origins of positions first, first + 1, ... written into `origins`.
    #[inline(always)]
    fn origins(&self, first: usize, origins: &mut [Origin]) {
        let c = self.channels as isize;
        let per_sample = self.positions();
        let (mut b, rest) = (first / per_sample, first % per_sample);
        let (mut oy, mut ox) = (rest / self.out_w, rest % self.out_w);
        let (mut rows, mut rows_whole) = inside(oy * self.stride.0, self.dilation.0, self.k_h, self.pad_top, self.in_h);
        for origin in origins {
            let (columns, columns_whole) = inside(ox * self.stride.1, self.dilation.1, self.k_w, self.pad_left, self.in_w);
            let y = (b * self.in_h + oy * self.stride.0) as isize - self.pad_top as isize;
            let x = (ox * self.stride.1) as isize - self.pad_left as isize;
            *origin = Origin { base: (y * self.in_w as isize + x) * c, rows, columns, interior: rows_whole && columns_whole };
            ox += 1;
            if ox == self.out_w {
                ox = 0;
                oy += 1;
                if oy == self.out_h {
                    oy = 0;
                    b += 1;
                }
                (rows, rows_whole) = inside(oy * self.stride.0, self.dilation.0, self.k_h, self.pad_top, self.in_h);
            }
        }
    }

    /// Where window p starts in a source no window leaves, for p = first, first + 1, ...
    fn bases(&self, first: usize, bases: &mut [usize]) {
        debug_assert!(self.padded().is_none());
        let c = self.channels;
        let per_sample = self.positions();
        let (mut b, rest) = (first / per_sample, first % per_sample);
        let (mut oy, mut ox) = (rest / self.out_w, rest % self.out_w);
        for base in bases {
            *base = ((b * self.in_h + oy * self.stride.0) * self.in_w + ox * self.stride.1) * c;
            ox += 1;
            if ox == self.out_w {
                ox = 0;
                oy += 1;
                if oy == self.out_h {
                    oy = 0;
                    b += 1;
                }
            }
        }
    }

    /// Where receptive-field cell q (kernel row order: ky, kx, channel) sits inside a window.
    #[inline(always)]
    fn offset(&self, q: usize) -> usize {
        let c = self.channels;
        let (cell, channel) = (q / c, q % c);
        ((cell / self.k_w) * self.dilation.0 * self.in_w + (cell % self.k_w) * self.dilation.1) * c + channel
    }

    /// The column, channel and offset of the cell after the one given (row order).
    #[inline(always)]
    fn next_cell(&self, kx: usize, channel: usize, offset: usize) -> (usize, usize, usize) {
        if channel + 1 < self.channels {
            (kx, channel + 1, offset + 1)
        } else if kx + 1 < self.k_w {
            (kx + 1, 0, offset + 1 + (self.dilation.1 - 1) * self.channels)
        } else {
            // Back to the row's first column, one dilated row down.
            let row_start = offset + 1 + (self.dilation.1 - 1) * self.channels - self.k_w * self.dilation.1 * self.channels;
            (0, 0, row_start + self.dilation.0 * self.in_w * self.channels)
        }
    }

    /// Writes the zero-bordered copy of `x` into `padded` (of `padded_len`).
    fn pad(&self, x: &[f32], padded: &mut [f32]) {
        let Some(p) = self.padded() else { return };
        let c = self.channels;
        let row = self.in_w * c;
        padded.par_chunks_mut(p.h * p.w * c).zip(x.par_chunks(self.in_h * row)).for_each(|(dst, x)| {
            dst[..p.top * p.w * c].fill(0.0);
            for (y, dst_row) in dst.chunks_mut(p.w * c).enumerate().skip(p.top) {
                match y.checked_sub(p.top).filter(|&iy| iy < self.in_h) {
                    Some(iy) => {
                        dst_row[..p.left * c].fill(0.0);
                        dst_row[p.left * c..p.left * c + row].copy_from_slice(&x[iy * row..(iy + 1) * row]);
                        dst_row[p.left * c + row..].fill(0.0);
                    }
                    None => dst_row.fill(0.0),
                }
            }
        });
    }
}

#[cfg(target_arch = "x86_64")]
use super::lanes::x86;
use super::lanes::{Lanes, Portable};

/// Which micro-kernels this machine runs, detected once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Isa {
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            use std::sync::OnceLock;
            static ISA: OnceLock<Isa> = OnceLock::new();
            *ISA.get_or_init(|| {
                if is_x86_feature_detected!("avx512f") {
                    Isa::Avx512
                } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                    Isa::Avx2
                } else {
                    Isa::Portable
                }
            })
        }
        #[cfg(not(target_arch = "x86_64"))]
        Isa::Portable
    }
}

/// acc[r] += Σ_channel src[r][at + channel] k[channel][v]: one window cell of a forward tile,
/// `k` at the cell's first row, rows `k_stride` apart.
// Index loops keep the register tile explicit.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
unsafe fn cell_tile<L: Lanes, const R: usize, const V: usize>(acc: &mut [[L::V; V]; R], src: &[*const f32; R], at: usize, channels: usize, k: *const f32, k_stride: usize) {
    let mut kq = k;
    for channel in at..at + channels {
        let mut kv = [L::zero(); V];
        for (v, kv) in kv.iter_mut().enumerate() {
            *kv = L::load(kq.add(v * L::N));
        }
        for r in 0..R {
            let xv = L::splat(*src[r].add(channel));
            for v in 0..V {
                acc[r][v] = L::fma(xv, kv[v], acc[r][v]);
            }
        }
        kq = kq.add(k_stride);
    }
}

/// y[r][v] = (acc ? y : 0) + Σ_cells Σ_channels x[window r, cell, channel] k[cell, channel][v]
/// for the R positions of a forward tile. When every window of the tile lies inside x
/// (`inside`: `at`'s other fields unused), R fixed pointers walk it, with no test per cell;
/// otherwise a cell outside position r's window reads `zeros` (a row of `channels` zeros)
/// and a cell outside every window is skipped. `k` points at the tile's first output
/// channel, rows `k_stride` apart.
// Index loops keep the register tile explicit.
#[allow(clippy::needless_range_loop, clippy::too_many_arguments)]
#[inline(always)]
unsafe fn forward_tile<L: Lanes, const R: usize, const V: usize>(
    walk: &Walk,
    x: *const f32,
    zeros: *const f32,
    at: &[Origin; R],
    inside: bool,
    k: *const f32,
    k_stride: usize,
    y: &[*mut f32; R],
    accumulate: bool,
) {
    let c = walk.channels;
    let mut acc = [[L::zero(); V]; R];
    let cell_offset = |ky: usize, kx: usize| (ky * walk.dilation.0 * walk.in_w + kx * walk.dilation.1) * c;
    let cell_kernel = |ky: usize, kx: usize| k.add((ky * walk.k_w + kx) * c * k_stride);
    if inside {
        let mut src = [x; R];
        for r in 0..R {
            src[r] = x.offset(at[r].base);
        }
        for ky in 0..walk.k_h {
            for kx in 0..walk.k_w {
                cell_tile::<L, R, V>(&mut acc, &src, cell_offset(ky, kx), c, cell_kernel(ky, kx), k_stride);
            }
        }
    } else {
        for ky in 0..walk.k_h {
            for kx in 0..walk.k_w {
                let cell = cell_offset(ky, kx) as isize;
                let mut src = [zeros; R];
                let mut any = false;
                for r in 0..R {
                    if at[r].covers(ky, kx) {
                        src[r] = x.offset(at[r].base + cell);
                        any = true;
                    }
                }
                if any {
                    cell_tile::<L, R, V>(&mut acc, &src, 0, c, cell_kernel(ky, kx), k_stride);
                }
            }
        }
    }
    for r in 0..R {
        for v in 0..V {
            let p = y[r].add(v * L::N);
            L::store(p, if accumulate { L::add(L::load(p), acc[r][v]) } else { acc[r][v] });
        }
    }
}

/// dk[cells[r]][v] += Σ_i x[bases[i] + offsets[r]] dy[i][v] over a chunk of positions; `dy`
/// points at the tile's first output channel of the chunk's first position.
// Index loops keep the register tile explicit.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
unsafe fn gradient_tile<L: Lanes, const R: usize, const V: usize>(x: *const f32, bases: &[usize], offsets: &[usize; R], dy: *const f32, dy_stride: usize, dk: &[*mut f32; R]) {
    let mut acc = [[L::zero(); V]; R];
    for r in 0..R {
        for v in 0..V {
            acc[r][v] = L::load(dk[r].add(v * L::N));
        }
    }
    let mut d = dy;
    for &base in bases {
        let mut dv = [L::zero(); V];
        for (v, dv) in dv.iter_mut().enumerate() {
            *dv = L::load(d.add(v * L::N));
        }
        let xb = x.add(base);
        for r in 0..R {
            let xv = L::splat(*xb.add(offsets[r]));
            for v in 0..V {
                acc[r][v] = L::fma(xv, dv[v], acc[r][v]);
            }
        }
        d = d.add(dy_stride);
    }
    for r in 0..R {
        for v in 0..V {
            L::store(dk[r].add(v * L::N), acc[r][v]);
        }
    }
}

/// The forward pass over positions `first..first + y.len() / out_channels`, channels
/// `from..` in blocks of V vectors, R positions at a time; returns the first channel left.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn forward_block<L: Lanes, const R: usize, const V: usize>(
    walk: &Walk,
    x: &[f32],
    zeros: &[f32],
    kernel: &[f32],
    out_channels: usize,
    first: usize,
    y: &mut [f32],
    from: usize,
    accumulate: bool,
) -> usize {
    let width = V * L::N;
    let count = y.len() / out_channels;
    let mut spare = [0.0f32; 64];
    debug_assert!(width <= spare.len());
    let mut o = from;
    let mut origins = [Origin::default(); R];
    let mut bases = [0usize; R];
    // No window leaves x (valid padding): the bases alone, as cheaply as possible.
    let unclipped = walk.padded().is_none();
    while o + width <= out_channels {
        let mut p = 0;
        while p < count {
            let n = R.min(count - p);
            if unclipped {
                walk.bases(first + p, &mut bases[..n]);
                for (origin, &base) in origins.iter_mut().zip(&bases[..n]) {
                    origin.base = base as isize;
                }
            } else {
                walk.origins(first + p, &mut origins[..n]);
            }
            let mut outs = [spare.as_mut_ptr(); R];
            for r in 0..R {
                if r < n {
                    outs[r] = y.as_mut_ptr().add((p + r) * out_channels + o);
                } else {
                    // Past the last position: repeat it, into a spare row.
                    origins[r] = origins[n - 1];
                }
            }
            let inside = unclipped || origins.iter().all(|o| o.interior);
            forward_tile::<L, R, V>(walk, x.as_ptr(), zeros.as_ptr(), &origins, inside, kernel.as_ptr().add(o), out_channels, &outs, accumulate);
            p += R;
        }
        o += width;
    }
    o
}

/// The kernel gradient over positions `first..first + count`, channels `from..` in blocks of
/// V vectors, R cells at a time, chunk by chunk; returns the first channel left. No window
/// of `walk` leaves `x`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gradient_block<L: Lanes, const R: usize, const V: usize>(walk: &Walk, x: &[f32], dy: &[f32], out_channels: usize, first: usize, count: usize, dk: &mut [f32], from: usize) -> usize {
    let width = V * L::N;
    let patch = walk.patch();
    let mut spare = [0.0f32; 64];
    let mut bases = [0usize; GRADIENT_CHUNK];
    let mut start = 0;
    let mut end = from;
    while start < count {
        let n = GRADIENT_CHUNK.min(count - start);
        walk.bases(first + start, &mut bases[..n]);
        let mut o = from;
        while o + width <= out_channels {
            let mut q = 0;
            // Cell q's (window column, channel) and offset, advanced one cell at a time: a
            // division per cell would cost a fifth of the tile's multiply-adds.
            let (mut kx, mut channel, mut offset) = (0, 0, 0);
            let last = walk.offset(patch - 1);
            while q < patch {
                let mut cells = [last; R];
                let mut rows = [spare.as_mut_ptr(); R];
                for r in 0..R {
                    // Past the last cell: repeat it, into a spare row.
                    if q + r < patch {
                        cells[r] = offset;
                        rows[r] = dk.as_mut_ptr().add((q + r) * out_channels + o);
                        (kx, channel, offset) = walk.next_cell(kx, channel, offset);
                    }
                }
                gradient_tile::<L, R, V>(x.as_ptr(), &bases[..n], &cells, dy.as_ptr().add((first + start) * out_channels + o), out_channels, &rows);
                q += R;
            }
            o += width;
        }
        end = o;
        start += n;
    }
    end
}

/// Output channels `from..` of positions `first..` one by one: the channels past the last
/// whole vector.
#[allow(clippy::too_many_arguments)]
fn forward_scalar(walk: &Walk, x: &[f32], kernel: &[f32], out_channels: usize, first: usize, y: &mut [f32], from: usize, accumulate: bool) {
    if from == out_channels {
        return;
    }
    let c = walk.channels;
    let mut origin = [Origin::default()];
    for (i, y) in y.chunks_exact_mut(out_channels).enumerate() {
        walk.origins(first + i, &mut origin);
        let at = origin[0];
        for (o, y) in y.iter_mut().enumerate().skip(from) {
            let mut s = 0.0;
            for ky in at.rows.0..at.rows.1 {
                for kx in at.columns.0..at.columns.1 {
                    let start = (at.base + ((ky * walk.dilation.0 * walk.in_w + kx * walk.dilation.1) * c) as isize) as usize;
                    let row = (ky * walk.k_w + kx) * c;
                    s += x[start..start + c].iter().enumerate().map(|(ch, &xv)| xv * kernel[(row + ch) * out_channels + o]).sum::<f32>();
                }
            }
            *y = if accumulate { *y + s } else { s };
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn gradient_scalar(walk: &Walk, x: &[f32], dy: &[f32], out_channels: usize, first: usize, count: usize, dk: &mut [f32], from: usize) {
    if from == out_channels {
        return;
    }
    let mut base = [0usize];
    for p in first..first + count {
        walk.bases(p, &mut base);
        let (x, dy) = (&x[base[0]..], &dy[p * out_channels..(p + 1) * out_channels]);
        for q in 0..walk.patch() {
            let xv = x[walk.offset(q)];
            dk[q * out_channels + from..(q + 1) * out_channels].iter_mut().zip(&dy[from..]).for_each(|(d, &g)| *d += xv * g);
        }
    }
}

/// The micro-kernels' tiles on one instruction set: (R, V) for blocks of 4, 2 and 1 vectors.
macro_rules! per_isa {
    ($name:ident, $gradient:ident, $lanes:ty, [$(($r:literal, $v:literal)),*], [$(($gr:literal, $gv:literal)),*] $(, $feature:literal)?) => {
        $(#[target_feature(enable = $feature)])?
        #[allow(clippy::too_many_arguments)]
        unsafe fn $name(walk: &Walk, x: &[f32], zeros: &[f32], kernel: &[f32], out_channels: usize, first: usize, y: &mut [f32], accumulate: bool) {
            let o = 0;
            $(let o = forward_block::<$lanes, $r, $v>(walk, x, zeros, kernel, out_channels, first, y, o, accumulate);)*
            forward_scalar(walk, x, kernel, out_channels, first, y, o, accumulate);
        }
        $(#[target_feature(enable = $feature)])?
        #[allow(clippy::too_many_arguments)]
        unsafe fn $gradient(walk: &Walk, x: &[f32], dy: &[f32], out_channels: usize, first: usize, count: usize, dk: &mut [f32]) {
            let o = 0;
            $(let o = gradient_block::<$lanes, $gr, $gv>(walk, x, dy, out_channels, first, count, dk, o);)*
            gradient_scalar(walk, x, dy, out_channels, first, count, dk, o);
        }
    };
}

per_isa!(forward_portable, gradient_portable, Portable, [(4, 2), (8, 1)], [(4, 2), (8, 1)]);
#[cfg(target_arch = "x86_64")]
per_isa!(forward_avx2, gradient_avx2, x86::Avx2, [(6, 2), (6, 1)], [(6, 2), (12, 1)], "avx2,fma");
#[cfg(target_arch = "x86_64")]
// Six positions per forward tile at every width: tried against twelve for the narrower blocks,
// six ran the seed CNN's first layer 1.8x and its input gradient 1.4x faster (fewer x streams).
// Nine cells per kernel-gradient tile of two vectors: twelve (24 accumulators) spilled to the
// stack, and a 3x3 window's cells come in nines (conv1's kernel gradient 0.56 -> 0.38 ms).
per_isa!(forward_avx512, gradient_avx512, x86::Avx512, [(6, 4), (6, 2), (6, 1)], [(6, 4), (9, 2), (12, 1)], "avx512f");

/// Positions per parallel task: whole tiles, about four tasks per thread.
fn task_positions(total: usize, threads: usize) -> usize {
    total.div_ceil(threads * 4).next_multiple_of(12).max(12)
}

/// Whether a pass of this many multiply-adds splits over `threads`.
fn splits(multiply_adds: usize, threads: usize) -> bool {
    threads > 1 && multiply_adds >= PARALLEL_MIN_FLOPS
}

/// The scratch values `forward` and `kernel_gradient` need (one buffer, planned once): a row
/// of zeros, x's zero-bordered copy when padded, and the partial sums of every thread but
/// the first when the kernel gradient splits.
pub fn forward_scratch_len(walk: &Walk, out_channels: usize) -> usize {
    let threads = threads::num_threads();
    let kernel_len = walk.patch() * out_channels;
    let partials = if splits(walk.batch * walk.positions() * kernel_len, threads) { (threads - 1) * kernel_len } else { 0 };
    walk.channels + walk.padded_len() + partials
}

/// The scratch values `input_gradient` needs: the flipped kernel and a row of zeros.
pub fn input_gradient_scratch_len(g: &Geometry, out_channels: usize) -> usize {
    g.k_h * g.k_w * g.channels * out_channels + out_channels
}

/// y (= or, with `accumulate`, +=) the convolution of x walked by `walk` with `kernel`
/// ([patch, out_channels]); `scratch` holds at least `walk.channels` values (overwritten).
#[allow(clippy::too_many_arguments)]
pub fn forward(isa: Isa, walk: &Walk, x: &[f32], scratch: &mut [f32], kernel: &[f32], out_channels: usize, accumulate: bool, y: &mut [f32]) {
    let zeros = &mut scratch[..walk.channels];
    zeros.fill(0.0);
    let zeros = &*zeros;
    let total = walk.batch * walk.positions();
    debug_assert_eq!(x.len(), walk.batch * walk.in_h * walk.in_w * walk.channels);
    debug_assert_eq!(y.len(), total * out_channels);
    debug_assert_eq!(kernel.len(), walk.patch() * out_channels);
    let run = |first: usize, y: &mut [f32]| unsafe {
        match isa {
            Isa::Portable => forward_portable(walk, x, zeros, kernel, out_channels, first, y, accumulate),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => forward_avx2(walk, x, zeros, kernel, out_channels, first, y, accumulate),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => forward_avx512(walk, x, zeros, kernel, out_channels, first, y, accumulate),
        }
    };
    let threads = threads::num_threads();
    if splits(total * walk.patch() * out_channels, threads) {
        let chunk = task_positions(total, threads);
        y.par_chunks_mut(chunk * out_channels).enumerate().for_each(|(i, y)| run(i * chunk, y));
    } else {
        run(0, y);
    }
}

/// dkernel (= with `overwrite`, else +=) Σ_p x[window(p), q] dy[p]; `scratch` (of
/// `forward_scratch_len`, overwritten) receives x's zero-bordered copy when the windows
/// leave x, and the other threads' partial sums. With less scratch than planned (the pool
/// grew since) fewer threads share the work.
#[allow(clippy::too_many_arguments)]
pub fn kernel_gradient(isa: Isa, walk: &Walk, x: &[f32], scratch: &mut [f32], dy: &[f32], out_channels: usize, overwrite: bool, dkernel: &mut [f32]) {
    let copy_len = walk.padded_len();
    let (copy, partials) = scratch[walk.channels..].split_at_mut(copy_len);
    walk.pad(x, copy);
    let (walk, source) = if copy_len > 0 { (&walk.over_copy(), &*copy) } else { (walk, x) };
    let total = walk.batch * walk.positions();
    let run = |first: usize, count: usize, dk: &mut [f32]| unsafe {
        match isa {
            Isa::Portable => gradient_portable(walk, source, dy, out_channels, first, count, dk),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => gradient_avx2(walk, source, dy, out_channels, first, count, dk),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => gradient_avx512(walk, source, dy, out_channels, first, count, dk),
        }
    };
    if overwrite {
        dkernel.fill(0.0);
    }
    let kernel_len = dkernel.len();
    let threads = threads::num_threads().min(partials.len() / kernel_len + 1);
    if splits(total * kernel_len, threads) {
        // The first thread sums its share of the positions into dkernel, each other one into
        // its own partial sums, which are added after.
        let share = total.div_ceil(threads);
        let partials = &mut partials[..(threads - 1) * kernel_len];
        rayon::join(
            || run(0, share.min(total), dkernel),
            || {
                partials.par_chunks_mut(kernel_len).enumerate().for_each(|(t, dk)| {
                    dk.fill(0.0);
                    let first = ((t + 1) * share).min(total);
                    run(first, share.min(total - first), dk);
                })
            },
        );
        for partial in partials.chunks_exact(kernel_len) {
            dkernel.iter_mut().zip(partial).for_each(|(d, p)| *d += p);
        }
    } else {
        run(0, total, dkernel);
    }
}

/// dx (+= with `accumulate`, else =) the input gradient of a stride-1 convolution, as a
/// forward pass over dy (see `Walk::input_gradient`), which writes every value of dx;
/// `scratch` (of `input_gradient_scratch_len`, overwritten) holds the flipped kernel.
#[allow(clippy::too_many_arguments)]
pub fn input_gradient(isa: Isa, g: &Geometry, dy: &[f32], kernel: &[f32], out_channels: usize, scratch: &mut [f32], accumulate: bool, dx: &mut [f32]) {
    let walk = Walk::input_gradient(g, out_channels);
    let cin = g.channels;
    let (flipped, zeros) = scratch.split_at_mut(kernel.len());
    // flipped[(ky, kx, o), c] = kernel[(k_h - 1 - ky, k_w - 1 - kx, c), o]
    for ky in 0..g.k_h {
        for kx in 0..g.k_w {
            let from = ((g.k_h - 1 - ky) * g.k_w + (g.k_w - 1 - kx)) * cin * out_channels;
            let to = (ky * g.k_w + kx) * out_channels * cin;
            for c in 0..cin {
                for o in 0..out_channels {
                    flipped[to + o * cin + c] = kernel[from + c * out_channels + o];
                }
            }
        }
    }
    forward(isa, &walk, dy, zeros, flipped, cin, accumulate, dx);
}
