//! Direct convolution without im2col: y[p, o] = Σ_q x[base(p) + offset(q)] · k[q, o], where p
//! runs over the output positions of the whole batch, q over the receptive field (window cells
//! x input channels, the kernel's row order), base(p) is where p's window starts in x and
//! offset(q) where cell q sits inside a window. Any stride and dilation are two tables of
//! offsets; padding is a zero-bordered copy of x, so every window lies inside its source.
//!
//! The micro-kernels keep a tile of R positions x V vectors of output channels in registers:
//! per receptive-field cell one load of V kernel vectors, R broadcasts of x, R x V fused
//! multiply-adds (forward); the kernel gradient swaps the roles (R cells, the sum over
//! positions). They are written once over `Lanes` and compiled for AVX-512, AVX2 + FMA (chosen
//! at run time) and a portable 8-lane fallback that the compiler vectorises for any target.
//! Output channels past the last whole vector take a scalar loop.
//!
//! The input gradient at stride 1 is this same forward pass over dy, zero-bordered by the
//! window's span less its padding, with the kernel flipped and its channel axes swapped (the
//! transposed convolution); conv.rs takes other strides through GEMM and col2im.
use super::conv::Geometry;
use crate::threads;
use rayon::prelude::*;

/// Below this many multiply-adds one thread is faster than fork/join.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;
/// Positions per kernel-gradient pass: their dy rows stay in cache while every cell tile
/// runs over them.
const GRADIENT_CHUNK: usize = 256;

/// A source tensor [batch, h, w, channels] walked by windows: its (possibly padded) sizes, the
/// output grid, and the window's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    pub batch: usize,
    /// The source as given.
    pub in_h: usize,
    pub in_w: usize,
    pub channels: usize,
    /// Zeros before the first row and column; None when the source is walked as it is.
    pub padded: Option<Padded>,
    pub k_h: usize,
    pub k_w: usize,
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    pub out_h: usize,
    pub out_w: usize,
}

/// A zero-bordered copy: the source sits at (top, left) inside an h x w plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Padded {
    pub top: usize,
    pub left: usize,
    pub h: usize,
    pub w: usize,
}

impl Walk {
    /// The forward pass of a 2-D convolution (flat depth axis).
    pub fn forward(g: &Geometry) -> Walk {
        let span = |k: usize, d: usize| (k - 1) * d + 1;
        // Rows and columns the windows reach, counted from the first padded one.
        let reach_h = (g.out_h - 1) * g.stride.0 + span(g.k_h, g.dilation.0);
        let reach_w = (g.out_w - 1) * g.stride.1 + span(g.k_w, g.dilation.1);
        let padded = (g.pad_top > 0 || g.pad_left > 0 || reach_h > g.in_h || reach_w > g.in_w).then(|| Padded {
            top: g.pad_top,
            left: g.pad_left,
            h: reach_h.max(g.pad_top + g.in_h),
            w: reach_w.max(g.pad_left + g.in_w),
        });
        Walk { batch: g.batch, in_h: g.in_h, in_w: g.in_w, channels: g.channels, padded, k_h: g.k_h, k_w: g.k_w, stride: g.stride, dilation: g.dilation, out_h: g.out_h, out_w: g.out_w }
    }

    /// The input gradient of a stride-1 convolution as a forward pass over dy: dx[i] =
    /// Σ dy[i + pad - c·d] k[c] = Σ dy'[i + c'·d] k[k - 1 - c'] with dy' = dy shifted by
    /// span - 1 - pad.
    pub fn input_gradient(g: &Geometry, out_channels: usize) -> Walk {
        debug_assert_eq!(g.stride, (1, 1));
        let (span_h, span_w) = ((g.k_h - 1) * g.dilation.0 + 1, (g.k_w - 1) * g.dilation.1 + 1);
        let padded = Some(Padded { top: span_h - 1 - g.pad_top, left: span_w - 1 - g.pad_left, h: g.in_h + span_h - 1, w: g.in_w + span_w - 1 });
        Walk { batch: g.batch, in_h: g.out_h, in_w: g.out_w, channels: out_channels, padded, k_h: g.k_h, k_w: g.k_w, stride: (1, 1), dilation: g.dilation, out_h: g.in_h, out_w: g.in_w }
    }

    /// Values of the padded copy (0 when the source is walked as it is).
    pub fn padded_len(&self) -> usize {
        self.padded.map_or(0, |p| self.batch * p.h * p.w * self.channels)
    }
    fn source_dims(&self) -> (usize, usize) {
        self.padded.map_or((self.in_h, self.in_w), |p| (p.h, p.w))
    }
    fn positions(&self) -> usize {
        self.out_h * self.out_w
    }
    fn patch(&self) -> usize {
        self.k_h * self.k_w * self.channels
    }

    /// offset(q) for every receptive-field cell, in the kernel's row order (ky, kx, channel).
    fn offsets(&self) -> Vec<usize> {
        let (_, w) = self.source_dims();
        let c = self.channels;
        let mut offsets = Vec::with_capacity(self.patch());
        for ky in 0..self.k_h {
            for kx in 0..self.k_w {
                let cell = (ky * self.dilation.0 * w + kx * self.dilation.1) * c;
                offsets.extend(cell..cell + c);
            }
        }
        offsets
    }

    /// base(p) for positions p = first, first + 1, ... written into `bases`.
    fn bases(&self, first: usize, bases: &mut [usize]) {
        let (h, w) = self.source_dims();
        let c = self.channels;
        let per_sample = self.positions();
        let (mut b, rest) = (first / per_sample, first % per_sample);
        let (mut oy, mut ox) = (rest / self.out_w, rest % self.out_w);
        for base in bases {
            *base = ((b * h + oy * self.stride.0) * w + ox * self.stride.1) * c;
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

    /// Writes the zero-bordered copy of `x` into `padded` (of `padded_len`).
    pub fn pad(&self, x: &[f32], padded: &mut [f32]) {
        let Some(p) = self.padded else { return };
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

/// The sources of one tile: x, the R bases (or cells' offsets) and where results go.
/// y[r][v] = (acc ? y : 0) + Σ_q x[bases[r] + offsets[q]] k[q][v], for the R positions of a
/// forward tile; `k` points at the tile's first output channel, rows `k_stride` apart.
// Index loops keep the register tile explicit.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
unsafe fn forward_tile<L: Lanes, const R: usize, const V: usize>(x: *const f32, bases: &[usize; R], offsets: &[usize], k: *const f32, k_stride: usize, y: &[*mut f32; R], accumulate: bool) {
    let mut acc = [[L::zero(); V]; R];
    let mut kq = k;
    for &off in offsets {
        let mut kv = [L::zero(); V];
        for (v, kv) in kv.iter_mut().enumerate() {
            *kv = L::load(kq.add(v * L::N));
        }
        for r in 0..R {
            let xv = L::splat(*x.add(bases[r] + off));
            for v in 0..V {
                acc[r][v] = L::fma(xv, kv[v], acc[r][v]);
            }
        }
        kq = kq.add(k_stride);
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
    offsets: &[usize],
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
    let mut bases = [0usize; R];
    while o + width <= out_channels {
        let mut p = 0;
        while p < count {
            let n = R.min(count - p);
            walk.bases(first + p, &mut bases[..n]);
            let mut outs = [spare.as_mut_ptr(); R];
            for r in 0..R {
                if r < n {
                    outs[r] = y.as_mut_ptr().add((p + r) * out_channels + o);
                } else {
                    // Past the last position: repeat it, into a spare row.
                    bases[r] = bases[n - 1];
                }
            }
            forward_tile::<L, R, V>(x.as_ptr(), &bases, offsets, kernel.as_ptr().add(o), out_channels, &outs, accumulate);
            p += R;
        }
        o += width;
    }
    o
}

/// The kernel gradient over positions `first..first + count`, channels `from..` in blocks of
/// V vectors, R cells at a time, chunk by chunk; returns the first channel left.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gradient_block<L: Lanes, const R: usize, const V: usize>(
    walk: &Walk,
    x: &[f32],
    offsets: &[usize],
    dy: &[f32],
    out_channels: usize,
    first: usize,
    count: usize,
    dk: &mut [f32],
    from: usize,
) -> usize {
    let width = V * L::N;
    let patch = offsets.len();
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
            while q < patch {
                let mut cells = [0usize; R];
                let mut rows = [spare.as_mut_ptr(); R];
                for r in 0..R {
                    // Past the last cell: repeat it, into a spare row.
                    cells[r] = offsets[(q + r).min(patch - 1)];
                    if q + r < patch {
                        rows[r] = dk.as_mut_ptr().add((q + r) * out_channels + o);
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
fn forward_scalar(walk: &Walk, x: &[f32], offsets: &[usize], kernel: &[f32], out_channels: usize, first: usize, y: &mut [f32], from: usize, accumulate: bool) {
    if from == out_channels {
        return;
    }
    let mut base = [0usize];
    for (i, y) in y.chunks_exact_mut(out_channels).enumerate() {
        walk.bases(first + i, &mut base);
        let x = &x[base[0]..];
        for (o, y) in y.iter_mut().enumerate().skip(from) {
            let s: f32 = offsets.iter().enumerate().map(|(q, &off)| x[off] * kernel[q * out_channels + o]).sum();
            *y = if accumulate { *y + s } else { s };
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn gradient_scalar(walk: &Walk, x: &[f32], offsets: &[usize], dy: &[f32], out_channels: usize, first: usize, count: usize, dk: &mut [f32], from: usize) {
    if from == out_channels {
        return;
    }
    let mut base = [0usize];
    for p in first..first + count {
        walk.bases(p, &mut base);
        let (x, dy) = (&x[base[0]..], &dy[p * out_channels..(p + 1) * out_channels]);
        for (q, &off) in offsets.iter().enumerate() {
            let xv = x[off];
            dk[q * out_channels + from..(q + 1) * out_channels].iter_mut().zip(&dy[from..]).for_each(|(d, &g)| *d += xv * g);
        }
    }
}

/// The micro-kernels' tiles on one instruction set: (R, V) for blocks of 4, 2 and 1 vectors.
macro_rules! per_isa {
    ($name:ident, $gradient:ident, $lanes:ty, [$(($r:literal, $v:literal)),*], [$(($gr:literal, $gv:literal)),*] $(, $feature:literal)?) => {
        $(#[target_feature(enable = $feature)])?
        #[allow(clippy::too_many_arguments)]
        unsafe fn $name(walk: &Walk, x: &[f32], offsets: &[usize], kernel: &[f32], out_channels: usize, first: usize, y: &mut [f32], accumulate: bool) {
            let o = 0;
            $(let o = forward_block::<$lanes, $r, $v>(walk, x, offsets, kernel, out_channels, first, y, o, accumulate);)*
            forward_scalar(walk, x, offsets, kernel, out_channels, first, y, o, accumulate);
        }
        $(#[target_feature(enable = $feature)])?
        #[allow(clippy::too_many_arguments)]
        unsafe fn $gradient(walk: &Walk, x: &[f32], offsets: &[usize], dy: &[f32], out_channels: usize, first: usize, count: usize, dk: &mut [f32]) {
            let o = 0;
            $(let o = gradient_block::<$lanes, $gr, $gv>(walk, x, offsets, dy, out_channels, first, count, dk, o);)*
            gradient_scalar(walk, x, offsets, dy, out_channels, first, count, dk, o);
        }
    };
}

per_isa!(forward_portable, gradient_portable, Portable, [(4, 2), (8, 1)], [(4, 2), (8, 1)]);
#[cfg(target_arch = "x86_64")]
per_isa!(forward_avx2, gradient_avx2, x86::Avx2, [(6, 2), (6, 1)], [(6, 2), (12, 1)], "avx2,fma");
#[cfg(target_arch = "x86_64")]
// Six positions per forward tile at every width: tried against twelve for the narrower blocks,
// six ran the seed CNN's first layer 1.8x and its input gradient 1.4x faster (fewer x streams).
per_isa!(forward_avx512, gradient_avx512, x86::Avx512, [(6, 4), (6, 2), (6, 1)], [(6, 4), (12, 2), (12, 1)], "avx512f");

/// Positions per parallel task: whole tiles, about four tasks per thread.
fn task_positions(total: usize, threads: usize) -> usize {
    total.div_ceil(threads * 4).next_multiple_of(12).max(12)
}

/// y (= or, with `accumulate`, +=) the convolution of x walked by `walk` with `kernel`
/// ([patch, out_channels]); `padded` (of `walk.padded_len()`) receives x's zero-bordered copy,
/// which the kernel gradient reads later.
#[allow(clippy::too_many_arguments)]
pub fn forward(isa: Isa, walk: &Walk, x: &[f32], padded: &mut [f32], kernel: &[f32], out_channels: usize, accumulate: bool, y: &mut [f32]) {
    walk.pad(x, padded);
    let source = if walk.padded.is_some() { &*padded } else { x };
    let offsets = walk.offsets();
    let total = walk.batch * walk.positions();
    debug_assert_eq!(y.len(), total * out_channels);
    debug_assert_eq!(kernel.len(), walk.patch() * out_channels);
    let run = |first: usize, y: &mut [f32]| unsafe {
        match isa {
            Isa::Portable => forward_portable(walk, source, &offsets, kernel, out_channels, first, y, accumulate),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => forward_avx2(walk, source, &offsets, kernel, out_channels, first, y, accumulate),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => forward_avx512(walk, source, &offsets, kernel, out_channels, first, y, accumulate),
        }
    };
    let threads = threads::num_threads();
    if threads > 1 && total * walk.patch() * out_channels >= PARALLEL_MIN_FLOPS {
        let chunk = task_positions(total, threads);
        y.par_chunks_mut(chunk * out_channels).enumerate().for_each(|(i, y)| run(i * chunk, y));
    } else {
        run(0, y);
    }
}

/// dkernel (= with `overwrite`, else +=) Σ_p x[base(p) + offset(q)] dy[p]: `source` is x, or
/// its padded copy made by `forward` when `walk.padded` is set.
pub fn kernel_gradient(isa: Isa, walk: &Walk, source: &[f32], dy: &[f32], out_channels: usize, overwrite: bool, dkernel: &mut [f32]) {
    let offsets = walk.offsets();
    let total = walk.batch * walk.positions();
    let run = |first: usize, count: usize, dk: &mut [f32]| unsafe {
        match isa {
            Isa::Portable => gradient_portable(walk, source, &offsets, dy, out_channels, first, count, dk),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => gradient_avx2(walk, source, &offsets, dy, out_channels, first, count, dk),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => gradient_avx512(walk, source, &offsets, dy, out_channels, first, count, dk),
        }
    };
    let threads = threads::num_threads();
    if threads > 1 && total * walk.patch() * out_channels >= PARALLEL_MIN_FLOPS {
        // Each thread sums a share of the positions into its own copy; the copies are added.
        let share = total.div_ceil(threads);
        let partials: Vec<Vec<f32>> = (0..threads)
            .into_par_iter()
            .map(|t| {
                let mut dk = vec![0.0; dkernel.len()];
                let first = (t * share).min(total);
                run(first, share.min(total - first), &mut dk);
                dk
            })
            .collect();
        if overwrite {
            dkernel.fill(0.0);
        }
        for partial in &partials {
            dkernel.iter_mut().zip(partial).for_each(|(d, p)| *d += p);
        }
    } else {
        if overwrite {
            dkernel.fill(0.0);
        }
        run(0, total, dkernel);
    }
}

/// dx (+= with `accumulate`, else =) the input gradient of a stride-1 convolution, as a
/// forward pass over dy (see `Walk::input_gradient`), which writes every value of dx;
/// `padded` (of that walk's `padded_len`) receives dy's copy.
#[allow(clippy::too_many_arguments)]
pub fn input_gradient(isa: Isa, g: &Geometry, dy: &[f32], kernel: &[f32], out_channels: usize, padded: &mut [f32], accumulate: bool, dx: &mut [f32]) {
    let walk = Walk::input_gradient(g, out_channels);
    let cin = g.channels;
    // flipped[(ky, kx, o), c] = kernel[(k_h - 1 - ky, k_w - 1 - kx, c), o]
    let mut flipped = vec![0.0; kernel.len()];
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
    forward(isa, &walk, dy, padded, &flipped, cin, accumulate, dx);
}
