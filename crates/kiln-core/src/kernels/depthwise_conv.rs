//! Depthwise 2-D convolution, channels last (Keras' layout): x [batch, h, w, channels] with a
//! kernel [kh, kw, channels, multiplier] gives y [batch, out_h, out_w, channels * multiplier],
//! output channel c * multiplier + m seeing input channel c only. Each output is a short sum
//! over its window, so the loops are direct (no im2col, no GEMM). A grouped convolution with
//! one input channel per group is this kernel too (see conv.rs).
//!
//! With one output per input channel (multiplier 1: MobileNet, EfficientNet, ConvNeXt) x, the
//! kernel and y are all contiguous along the channels, so every pass runs vectors of channels
//! (lanes.rs: AVX-512, AVX2 + FMA or portable, chosen at run time; one lane for the channels
//! past the last whole vector). The forward pass keeps a tile of R output columns x one vector
//! in registers over the window (with a 3-wide window, each window row's input vectors are
//! loaded once for its three columns); padding costs nothing: a window's rows and columns are
//! clipped to the input (interior tiles need no clipping), never read from a zero-bordered
//! copy. Work is split over output rows and, when there are fewer rows than threads want
//! (7x7 maps at batch 1), over channel blocks too. A larger multiplier takes the scalar loops.
use super::bias_activation::{self, Epilogue};
use super::conv::Geometry;
use super::conv_direct::Isa;
#[cfg(target_arch = "x86_64")]
use super::lanes::x86::{Avx2, Avx512};
use super::lanes::{Lanes, Portable, Scalar};
use crate::threads;
use rayon::prelude::*;
use std::ops::Range;

/// Below this many multiply-adds one thread is faster than fork/join.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;
/// Work items per thread a parallel forward pass aims for, so uneven items even out.
const ITEMS_PER_THREAD: usize = 4;
/// The narrowest channel block a row is split into: a few vectors, so each item's loop
/// overhead stays small against its arithmetic.
const MIN_BLOCK_CHANNELS: usize = 64;
/// Output columns per forward register tile.
const TILE: usize = 8;

fn parallel(g: &Geometry, multiplier: usize) -> bool {
    g.batch * g.positions() * g.k_h * g.k_w * g.channels * multiplier >= PARALLEL_MIN_FLOPS && threads::num_threads() > 1
}

/// A buffer written by the threads of one parallel loop, each at places no other writes.
#[derive(Clone, Copy)]
struct Shared(*mut f32);
// SAFETY: the loops that share it write disjoint elements, and the buffer outlives them.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    // A method, so closures capture the whole (Send) wrapper rather than its raw pointer.
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// The output columns whose window columns all lie inside the input: their tiles need no
/// clipping.
fn interior_columns(g: &Geometry) -> Range<usize> {
    let lo = g.pad_left.div_ceil(g.stride.1).min(g.out_w);
    let span = (g.k_w - 1) * g.dilation.1;
    // The last window column, ox * stride + span - pad_left, must be below in_w.
    let hi = if g.in_w + g.pad_left > span { ((g.in_w - 1 + g.pad_left - span) / g.stride.1 + 1).min(g.out_w) } else { 0 };
    lo..hi.max(lo)
}

/// The output columns whose window column `kx` lies inside the input.
fn columns_under(g: &Geometry, kx: usize) -> Range<usize> {
    let at = kx * g.dilation.1;
    let lo = g.pad_left.saturating_sub(at).div_ceil(g.stride.1).min(g.out_w);
    // ox * stride + at - pad_left < in_w.
    let hi = if g.in_w + g.pad_left > at { (g.in_w + g.pad_left - at).div_ceil(g.stride.1).min(g.out_w) } else { 0 };
    lo..hi.max(lo)
}

/// y[ox + r][ch..] for r < R, one vector of channels at a time from `ch` while whole vectors
/// fit before `end`: the sum over window rows `rows` and columns `columns` (both inside the
/// input). `x` is the sample, `y` the output row. Returns the first channel left.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn forward_tile<L: Lanes, const R: usize>(
    g: &Geometry,
    x: *const f32,
    kernel: *const f32,
    y: *mut f32,
    oy: usize,
    ox: usize,
    rows: Range<usize>,
    columns: Range<usize>,
    mut ch: usize,
    end: usize,
) -> usize {
    let c = g.channels;
    let step = g.stride.1 * c;
    while ch + L::N <= end {
        let mut acc = [L::zero(); R];
        for ky in rows.clone() {
            let iy = oy * g.stride.0 + ky * g.dilation.0 - g.pad_top;
            let x_row = x.add(iy * g.in_w * c + ch);
            for kx in columns.clone() {
                let k = L::load(kernel.add((ky * g.k_w + kx) * c + ch));
                let x_at = x_row.add((ox * g.stride.1 + kx * g.dilation.1 - g.pad_left) * c);
                for (r, acc) in acc.iter_mut().enumerate() {
                    *acc = L::fma(L::load(x_at.add(r * step)), k, *acc);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            L::store(y.add((ox + r) * c + ch), *acc);
        }
        ch += L::N;
    }
    ch
}

/// `forward_tile` for an interior tile of a 3-wide window, dilation 1, column stride S (1 or
/// 2): the tile's input vectors of a window row are loaded once and serve its three columns
/// ((R - 1) S + 3 loads for 3R multiply-adds, not 3R), in the same order of sums.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn forward_tile_3wide<L: Lanes, const R: usize, const S: usize>(
    g: &Geometry,
    x: *const f32,
    kernel: *const f32,
    y: *mut f32,
    oy: usize,
    ox: usize,
    rows: Range<usize>,
    mut ch: usize,
    end: usize,
) -> usize {
    let c = g.channels;
    debug_assert!(R <= TILE && S <= 2);
    let loads = (R - 1) * S + 3;
    while ch + L::N <= end {
        let mut acc = [L::zero(); R];
        for ky in rows.clone() {
            let iy = oy * g.stride.0 + ky * g.dilation.0 - g.pad_top;
            let x_at = x.add((iy * g.in_w + ox * S - g.pad_left) * c + ch);
            let mut v = [L::zero(); 2 * TILE + 1];
            for (i, v) in v.iter_mut().enumerate().take(loads) {
                *v = L::load(x_at.add(i * c));
            }
            for kx in 0..3 {
                let k = L::load(kernel.add((ky * 3 + kx) * c + ch));
                for (r, acc) in acc.iter_mut().enumerate() {
                    *acc = L::fma(v[r * S + kx], k, *acc);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            L::store(y.add((ox + r) * c + ch), *acc);
        }
        ch += L::N;
    }
    ch
}

/// A whole interior tile of output columns from `ox`, A's vectors, then B's, then single lanes.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn forward_interior_tile<A: Lanes, B: Lanes>(g: &Geometry, x: *const f32, kernel: *const f32, y: *mut f32, oy: usize, ox: usize, rows: Range<usize>, channels: &Range<usize>) {
    let (start, end) = (channels.start, channels.end);
    match (g.k_w, g.dilation.1, g.stride.1) {
        (3, 1, 1) => {
            let ch = forward_tile_3wide::<A, TILE, 1>(g, x, kernel, y, oy, ox, rows.clone(), start, end);
            let ch = forward_tile_3wide::<B, TILE, 1>(g, x, kernel, y, oy, ox, rows.clone(), ch, end);
            forward_tile_3wide::<Scalar, TILE, 1>(g, x, kernel, y, oy, ox, rows, ch, end);
        }
        (3, 1, 2) => {
            let ch = forward_tile_3wide::<A, TILE, 2>(g, x, kernel, y, oy, ox, rows.clone(), start, end);
            let ch = forward_tile_3wide::<B, TILE, 2>(g, x, kernel, y, oy, ox, rows.clone(), ch, end);
            forward_tile_3wide::<Scalar, TILE, 2>(g, x, kernel, y, oy, ox, rows, ch, end);
        }
        _ => {
            let ch = forward_tile::<A, TILE>(g, x, kernel, y, oy, ox, rows.clone(), 0..g.k_w, start, end);
            let ch = forward_tile::<B, TILE>(g, x, kernel, y, oy, ox, rows.clone(), 0..g.k_w, ch, end);
            forward_tile::<Scalar, TILE>(g, x, kernel, y, oy, ox, rows, 0..g.k_w, ch, end);
        }
    }
}

/// Output row `oy` of one sample (`x`, `y` at their starts), channels `channels`: whole tiles
/// of interior columns, then clipped windows one column at a time. A's vectors, then B's,
/// then single lanes.
#[inline(always)]
unsafe fn forward_row<A: Lanes, B: Lanes>(g: &Geometry, x: *const f32, kernel: *const f32, y: *mut f32, oy: usize, interior: &Range<usize>, channels: &Range<usize>) {
    let rows = g.rows_inside(oy);
    let mut ox = 0;
    while ox < g.out_w {
        if ox >= interior.start && ox + TILE <= interior.end {
            forward_interior_tile::<A, B>(g, x, kernel, y, oy, ox, rows.clone(), channels);
            ox += TILE;
        } else {
            let columns = g.columns_inside(ox);
            let ch = forward_tile::<A, 1>(g, x, kernel, y, oy, ox, rows.clone(), columns.clone(), channels.start, channels.end);
            let ch = forward_tile::<B, 1>(g, x, kernel, y, oy, ox, rows.clone(), columns.clone(), ch, channels.end);
            forward_tile::<Scalar, 1>(g, x, kernel, y, oy, ox, rows.clone(), columns, ch, channels.end);
            ox += 1;
        }
    }
}

/// dx[ix][ch..] += Σ dy[oy][ox] k[ky][kx] over the window cells (`rows`: (ky, oy); `columns`:
/// (kx, ox)) whose output lies on input pixel `ix` of the row `dx`; `dy` is the sample's. V
/// vectors at a time, so each cell's bookkeeping is shared by several vectors' multiply-adds
/// (a pixel has as few as one cell at stride 2).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn input_gradient_pixel<L: Lanes, const V: usize>(g: &Geometry, dy: *const f32, kernel: *const f32, dx: *mut f32, rows: &[(usize, usize)], columns: &[(usize, usize)], mut ch: usize) -> usize {
    let c = g.channels;
    while ch + V * L::N <= c {
        let mut acc = [L::zero(); V];
        for (v, acc) in acc.iter_mut().enumerate() {
            *acc = L::load(dx.add(ch + v * L::N));
        }
        for &(ky, oy) in rows {
            for &(kx, ox) in columns {
                let (d, k) = (dy.add((oy * g.out_w + ox) * c + ch), kernel.add((ky * g.k_w + kx) * c + ch));
                for (v, acc) in acc.iter_mut().enumerate() {
                    *acc = L::fma(L::load(d.add(v * L::N)), L::load(k.add(v * L::N)), *acc);
                }
            }
        }
        for (v, acc) in acc.iter().enumerate() {
            L::store(dx.add(ch + v * L::N), *acc);
        }
        ch += V * L::N;
    }
    ch
}

/// dk[ch..] += Σ x[i * step] dy[i] over `count` outputs of one window cell on one row: `x` at
/// the first one's input pixel, `dy` at the first output, both at channel 0.
#[inline(always)]
unsafe fn kernel_gradient_run<L: Lanes>(c: usize, x: *const f32, step: usize, dy: *const f32, count: usize, dk: *mut f32, mut ch: usize) -> usize {
    while ch + L::N <= c {
        // Four sums break the chain of dependent multiply-adds.
        let mut acc = [L::zero(); 4];
        let mut i = 0;
        while i + 4 <= count {
            for (j, acc) in acc.iter_mut().enumerate() {
                *acc = L::fma(L::load(x.add((i + j) * step + ch)), L::load(dy.add((i + j) * c + ch)), *acc);
            }
            i += 4;
        }
        while i < count {
            acc[0] = L::fma(L::load(x.add(i * step + ch)), L::load(dy.add(i * c + ch)), acc[0]);
            i += 1;
        }
        let sum = L::add(L::add(acc[0], acc[1]), L::add(acc[2], acc[3]));
        L::store(dk.add(ch), L::add(L::load(dk.add(ch)), sum));
        ch += L::N;
    }
    ch
}

/// dk (all cells) += the kernel gradient of output row `oy` of one sample (`x`, `dy` at the
/// sample's starts).
#[inline(always)]
unsafe fn kernel_gradient_row<A: Lanes, B: Lanes>(g: &Geometry, x: *const f32, dy: *const f32, dk: *mut f32, oy: usize) {
    let c = g.channels;
    let dy = dy.add(oy * g.out_w * c);
    for ky in g.rows_inside(oy) {
        let iy = oy * g.stride.0 + ky * g.dilation.0 - g.pad_top;
        for kx in 0..g.k_w {
            let columns = columns_under(g, kx);
            let (first, count) = (columns.start, columns.len());
            if count == 0 {
                continue;
            }
            let x_at = x.add((iy * g.in_w + first * g.stride.1 + kx * g.dilation.1 - g.pad_left) * c);
            let (dy_at, dk_at, step) = (dy.add(first * c), dk.add((ky * g.k_w + kx) * c), g.stride.1 * c);
            let ch = kernel_gradient_run::<A>(c, x_at, step, dy_at, count, dk_at, 0);
            let ch = kernel_gradient_run::<B>(c, x_at, step, dy_at, count, dk_at, ch);
            kernel_gradient_run::<Scalar>(c, x_at, step, dy_at, count, dk_at, ch);
        }
    }
}

/// The three passes compiled for one instruction set (A's vectors, then B's, then single
/// lanes), under `$feature` when given.
macro_rules! per_isa {
    ($forward:ident, $input_gradient:ident, $kernel_gradient:ident, $a:ty, $b:ty $(, $feature:literal)?) => {
        $(#[target_feature(enable = $feature)])?
        unsafe fn $forward(g: &Geometry, x: *const f32, kernel: *const f32, y: *mut f32, oy: usize, interior: &Range<usize>, channels: &Range<usize>) {
            forward_row::<$a, $b>(g, x, kernel, y, oy, interior, channels)
        }
        $(#[target_feature(enable = $feature)])?
        #[allow(clippy::too_many_arguments)]
        unsafe fn $input_gradient(g: &Geometry, dy: *const f32, kernel: *const f32, dx_row: *mut f32, rows: &[(usize, usize)], columns_over: &[Vec<(usize, usize)>]) {
            for (ix, columns) in columns_over.iter().enumerate() {
                let dx = dx_row.add(ix * g.channels);
                let ch = input_gradient_pixel::<$a, 4>(g, dy, kernel, dx, rows, columns, 0);
                let ch = input_gradient_pixel::<$a, 1>(g, dy, kernel, dx, rows, columns, ch);
                let ch = input_gradient_pixel::<$b, 1>(g, dy, kernel, dx, rows, columns, ch);
                input_gradient_pixel::<Scalar, 1>(g, dy, kernel, dx, rows, columns, ch);
            }
        }
        $(#[target_feature(enable = $feature)])?
        unsafe fn $kernel_gradient(g: &Geometry, x: *const f32, dy: *const f32, dk: *mut f32, oy: usize) {
            kernel_gradient_row::<$a, $b>(g, x, dy, dk, oy)
        }
    };
}

per_isa!(forward_row_portable, input_gradient_portable, kernel_gradient_portable, Portable, Scalar);
#[cfg(target_arch = "x86_64")]
per_isa!(forward_row_avx2, input_gradient_avx2, kernel_gradient_avx2, Avx2, Scalar, "avx2,fma");
#[cfg(target_arch = "x86_64")]
per_isa!(forward_row_avx512, input_gradient_avx512, kernel_gradient_avx512, Avx512, Avx2, "avx512f,avx2,fma");

fn check_lengths(g: &Geometry, x: usize, kernel: usize, y: usize, multiplier: usize) {
    let out_c = g.channels * multiplier;
    assert!(
        x == g.batch * g.in_size() && kernel == g.k_h * g.k_w * out_c && y == g.batch * g.positions() * out_c,
        "depthwise convolution: buffers of {x}, {kernel} and {y} values do not fit {g:?} with multiplier {multiplier}"
    );
}

/// y = the depthwise convolution of x.
pub fn forward(g: &Geometry, x: &[f32], kernel: &[f32], multiplier: usize, y: &mut [f32]) {
    forward_activated(g, x, kernel, multiplier, None, y)
}

/// y = the depthwise convolution of x, then `epilogue`'s bias and activation when given. At
/// multiplier 1 each work item applies it to the output row it has just written (in cache).
pub fn forward_activated(g: &Geometry, x: &[f32], kernel: &[f32], multiplier: usize, epilogue: Option<Epilogue>, y: &mut [f32]) {
    check_lengths(g, x.len(), kernel.len(), y.len(), multiplier);
    if let Some(e) = epilogue {
        assert_eq!(e.bias.len(), g.channels * multiplier, "depthwise convolution: a bias of {} values for {} output channels", e.bias.len(), g.channels * multiplier);
    }
    if multiplier == 1 {
        forward_vectors(Isa::detect(), g, x, kernel, epilogue, y);
    } else {
        forward_multiplied(g, x, kernel, multiplier, y);
        if let Some(e) = epilogue {
            bias_activation::forward_in_place(e.function, e.bias, y);
        }
    }
}

/// The forward pass at multiplier 1 with `isa`'s vectors, split over (output row, channel
/// block) items.
fn forward_vectors(isa: Isa, g: &Geometry, x: &[f32], kernel: &[f32], epilogue: Option<Epilogue>, y: &mut [f32]) {
    let c = g.channels;
    let rows = g.batch * g.out_h;
    let split = parallel(g, 1);
    // Rows alone when there are enough of them; else each row's channels in blocks too.
    let wanted = if split { threads::num_threads() * ITEMS_PER_THREAD } else { 1 };
    let blocks = wanted.div_ceil(rows).min(c / MIN_BLOCK_CHANNELS).max(1);
    let width = c.div_ceil(blocks).next_multiple_of(16);
    let interior = interior_columns(g);
    let (x, kernel, y) = (x.as_ptr() as usize, kernel.as_ptr() as usize, Shared(y.as_mut_ptr()));
    let item = |i: usize| {
        let (row, block) = (i / blocks, i % blocks);
        let channels = (block * width).min(c)..((block + 1) * width).min(c);
        let (b, oy) = (row / g.out_h, row % g.out_h);
        // SAFETY: check_lengths sized the buffers for `g`; every read stays inside the sample's
        // input rows and columns (clipped windows), every write inside output row `row`,
        // channels `channels`, which no other item writes.
        unsafe {
            let x = (x as *const f32).add(b * g.in_size());
            let y = y.get().add(row * g.out_w * c);
            let kernel = kernel as *const f32;
            match isa {
                Isa::Portable => forward_row_portable(g, x, kernel, y, oy, &interior, &channels),
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => forward_row_avx2(g, x, kernel, y, oy, &interior, &channels),
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => forward_row_avx512(g, x, kernel, y, oy, &interior, &channels),
            }
            if let Some(e) = epilogue {
                bias_activation::forward_in_place_strided(e.function, &e.bias[channels.clone()], y.add(channels.start), g.out_w, c);
            }
        }
    };
    if split {
        (0..rows * blocks).into_par_iter().for_each(item);
    } else {
        (0..rows * blocks).for_each(item);
    }
}

/// acc[c * multiplier + m] += x[c] * k[c * multiplier + m] over the channels of one pixel.
#[inline(always)]
fn multiply_add(acc: &mut [f32], x: &[f32], k: &[f32], multiplier: usize) {
    for ((a, &x), k) in acc.chunks_exact_mut(multiplier).zip(x).zip(k.chunks_exact(multiplier)) {
        a.iter_mut().zip(k).for_each(|(a, &k)| *a += x * k);
    }
}

/// The forward pass with several outputs per input channel, one output row at a time.
fn forward_multiplied(g: &Geometry, x: &[f32], kernel: &[f32], multiplier: usize, y: &mut [f32]) {
    let (c, out_c) = (g.channels, g.channels * multiplier);
    let row = |(r, y_row): (usize, &mut [f32])| {
        let (b, oy) = (r / g.out_h, r % g.out_h);
        let x = &x[b * g.in_size()..(b + 1) * g.in_size()];
        y_row.fill(0.0);
        for (ox, acc) in y_row.chunks_exact_mut(out_c).enumerate() {
            for ky in g.rows_inside(oy) {
                let iy = oy * g.stride.0 + ky * g.dilation.0 - g.pad_top;
                for kx in g.columns_inside(ox) {
                    let ix = ox * g.stride.1 + kx * g.dilation.1 - g.pad_left;
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

/// The (window cell, output index) pairs that land on each input index of one axis.
fn cells_over(input: usize, window: usize, stride: usize, dilation: usize, pad: usize, out: usize) -> Vec<Vec<(usize, usize)>> {
    (0..input).map(|i| (0..window).filter_map(|k| output_under(i, k, stride, dilation, pad, out).map(|o| (k, o))).collect()).collect()
}

/// dx += the input gradient, gathered one input row at a time (rows are disjoint, so they
/// run in parallel without sharing writes).
pub fn input_gradient(g: &Geometry, dy: &[f32], kernel: &[f32], multiplier: usize, dx: &mut [f32]) {
    check_lengths(g, dx.len(), kernel.len(), dy.len(), multiplier);
    input_gradient_with(Isa::detect(), g, dy, kernel, multiplier, dx)
}

fn input_gradient_with(isa: Isa, g: &Geometry, dy: &[f32], kernel: &[f32], multiplier: usize, dx: &mut [f32]) {
    let (c, out_c) = (g.channels, g.channels * multiplier);
    let rows_over = cells_over(g.in_h, g.k_h, g.stride.0, g.dilation.0, g.pad_top, g.out_h);
    let columns_over = cells_over(g.in_w, g.k_w, g.stride.1, g.dilation.1, g.pad_left, g.out_w);
    let row = |(r, dx_row): (usize, &mut [f32])| {
        let (b, iy) = (r / g.in_h, r % g.in_h);
        let dy = &dy[b * g.positions() * out_c..(b + 1) * g.positions() * out_c];
        let rows = &rows_over[iy];
        if multiplier == 1 {
            // SAFETY: check_lengths sized dy and the kernel for `g`; the cells are those whose
            // output lies inside dy; dx_row is this input row's in_w x c values.
            unsafe {
                let (dy, kernel, dx) = (dy.as_ptr(), kernel.as_ptr(), dx_row.as_mut_ptr());
                match isa {
                    Isa::Portable => input_gradient_portable(g, dy, kernel, dx, rows, &columns_over),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx2 => input_gradient_avx2(g, dy, kernel, dx, rows, &columns_over),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx512 => input_gradient_avx512(g, dy, kernel, dx, rows, &columns_over),
                }
            }
            return;
        }
        for (ix, acc) in dx_row.chunks_exact_mut(c).enumerate() {
            for &(ky, oy) in rows {
                for &(kx, ox) in &columns_over[ix] {
                    let d = &dy[(oy * g.out_w + ox) * out_c..][..out_c];
                    let k = &kernel[(ky * g.k_w + kx) * out_c..][..out_c];
                    for ((a, d), k) in acc.iter_mut().zip(d.chunks_exact(multiplier)).zip(k.chunks_exact(multiplier)) {
                        *a += d.iter().zip(k).map(|(d, k)| d * k).sum::<f32>();
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

/// dkernel (= with `overwrite`, else +=) the kernel gradient.
pub fn kernel_gradient(g: &Geometry, x: &[f32], dy: &[f32], multiplier: usize, overwrite: bool, dkernel: &mut [f32]) {
    check_lengths(g, x.len(), dkernel.len(), dy.len(), multiplier);
    if multiplier == 1 {
        kernel_gradient_vectors(Isa::detect(), g, x, dy, overwrite, dkernel);
    } else {
        kernel_gradient_multiplied(g, x, dy, multiplier, overwrite, dkernel);
    }
}

/// The kernel gradient at multiplier 1: each thread sums the output rows it takes into its
/// own copy of dkernel (its window cells see every row), and the copies are added at the end.
fn kernel_gradient_vectors(isa: Isa, g: &Geometry, x: &[f32], dy: &[f32], overwrite: bool, dkernel: &mut [f32]) {
    let c = g.channels;
    let rows = |range: Range<usize>, dk: &mut [f32]| {
        for row in range {
            let (b, oy) = (row / g.out_h, row % g.out_h);
            // SAFETY: check_lengths sized the buffers for `g`; kernel_gradient_row reads only
            // the input pixels under output row `oy` of sample b (columns_under clips them) and
            // that row of dy, and writes dk, this caller's own.
            unsafe {
                let (x, dy, dk) = (x.as_ptr().add(b * g.in_size()), dy.as_ptr().add(b * g.positions() * c), dk.as_mut_ptr());
                match isa {
                    Isa::Portable => kernel_gradient_portable(g, x, dy, dk, oy),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx2 => kernel_gradient_avx2(g, x, dy, dk, oy),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx512 => kernel_gradient_avx512(g, x, dy, dk, oy),
                }
            }
        }
    };
    if overwrite {
        dkernel.fill(0.0);
    }
    let total = g.batch * g.out_h;
    if !parallel(g, 1) {
        return rows(0..total, dkernel);
    }
    let parts = threads::num_threads().min(total);
    let sums: Vec<Vec<f32>> = (0..parts)
        .into_par_iter()
        .map(|p| {
            let mut dk = vec![0.0; dkernel.len()];
            rows(p * total / parts..(p + 1) * total / parts, &mut dk);
            dk
        })
        .collect();
    for sum in sums {
        dkernel.iter_mut().zip(sum).for_each(|(d, s)| *d += s);
    }
}

/// The kernel gradient with several outputs per input channel, one window cell
/// ([channels * multiplier] values) at a time: cells are disjoint, so they run in parallel.
fn kernel_gradient_multiplied(g: &Geometry, x: &[f32], dy: &[f32], multiplier: usize, overwrite: bool, dkernel: &mut [f32]) {
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
    use crate::kernels::testing::random_values;
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

    /// Both gradients of `naive` at multiplier 1 from the definition: each output's dy
    /// scattered back over its window.
    fn naive_gradients(g: &Geometry, x: &[f32], k: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let c = g.channels;
        let (mut dx, mut dk) = (vec![0.0; x.len()], vec![0.0; k.len()]);
        for b in 0..g.batch {
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    for ky in 0..g.k_h {
                        for kx in 0..g.k_w {
                            let Some((iy, ix)) = g.source(oy, ox, ky, kx) else { continue };
                            for ch in 0..c {
                                let d = dy[((b * g.out_h + oy) * g.out_w + ox) * c + ch];
                                let xi = b * g.in_size() + (iy * g.in_w + ix) * c + ch;
                                dx[xi] += d * k[(ky * g.k_w + kx) * c + ch];
                                dk[(ky * g.k_w + kx) * c + ch] += d * x[xi];
                            }
                        }
                    }
                }
            }
        }
        (dx, dk)
    }

    fn geometry(input: [usize; 4], window: (usize, usize), stride: (usize, usize), dilation: (usize, usize), padding: Padding) -> Geometry {
        Geometry::new(&input, window, stride, dilation, padding, "t").unwrap()
    }

    /// Small cases, checked against finite differences too: odd sizes, strides, dilation,
    /// both paddings, multipliers above 1, and channel counts that leave AVX-512 and AVX2
    /// tails (27 = 16 + 8 + 3, 19 = 16 + 3).
    fn small_cases() -> Vec<(Geometry, usize)> {
        vec![
            (geometry([2, 5, 6, 3], (3, 3), (1, 1), (1, 1), Padding::Valid), 1),
            (geometry([2, 5, 6, 3], (3, 2), (2, 2), (1, 1), Padding::Same), 2),
            (geometry([1, 7, 7, 2], (3, 3), (1, 1), (2, 2), Padding::Same), 3),
            (geometry([2, 6, 5, 4], (2, 3), (3, 2), (1, 1), Padding::Valid), 1),
            (geometry([1, 9, 11, 27], (3, 3), (1, 1), (1, 1), Padding::Same), 1),
            (geometry([1, 6, 7, 19], (3, 3), (2, 2), (1, 1), Padding::Same), 1),
            (geometry([1, 3, 4, 5], (5, 5), (1, 1), (1, 1), Padding::Same), 1),
        ]
    }

    /// Larger cases for the parallel paths (rows split; a 7x7 map split into channel blocks
    /// too) and several register tiles per row, against the definition only.
    fn large_cases() -> Vec<(Geometry, usize)> {
        vec![
            (geometry([4, 24, 24, 32], (3, 3), (1, 1), (1, 1), Padding::Same), 2),
            (geometry([2, 23, 37, 40], (3, 3), (1, 1), (1, 1), Padding::Same), 1),
            (geometry([1, 30, 29, 96], (3, 3), (2, 2), (1, 1), Padding::Valid), 1),
            // Stride 2, two interior tiles a row, channels leaving AVX-512 and AVX2 tails.
            (geometry([2, 9, 37, 27], (3, 3), (2, 2), (1, 1), Padding::Same), 1),
            (geometry([1, 7, 7, 648], (3, 3), (1, 1), (1, 1), Padding::Same), 1),
            (geometry([2, 20, 26, 24], (5, 5), (1, 1), (2, 2), Padding::Same), 1),
        ]
    }

    /// Every instruction set this machine runs.
    fn isas() -> Vec<Isa> {
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
        isas
    }

    fn assert_close(what: &str, g: &Geometry, got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len());
        for (i, (a, b)) in got.iter().zip(want).enumerate() {
            assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "{what} {g:?} [{i}]: {a} vs {b}");
        }
    }

    /// The forward pass through `isa` (multiplier 1) or the scalar loops.
    fn forward_on(isa: Isa, g: &Geometry, x: &[f32], k: &[f32], dm: usize) -> Vec<f32> {
        let mut y = vec![7.0; g.batch * g.positions() * g.channels * dm];
        if dm == 1 {
            forward_vectors(isa, g, x, k, None, &mut y);
        } else {
            forward(g, x, k, dm, &mut y);
        }
        y
    }

    #[test]
    fn forward_matches_the_definition() {
        let mut rng = Rng::new(11);
        for (g, dm) in small_cases().into_iter().chain(large_cases()) {
            let x = random_values(g.batch * g.in_size(), &mut rng);
            let k = random_values(g.k_h * g.k_w * g.channels * dm, &mut rng);
            let want = naive(&g, &x, &k, dm);
            for isa in isas() {
                assert_close(&format!("forward {isa:?}"), &g, &forward_on(isa, &g, &x, &k, dm), &want);
            }
            let mut y = vec![7.0; want.len()];
            forward(&g, &x, &k, dm, &mut y);
            assert_close("forward", &g, &y, &want);
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(12);
        for (g, dm) in small_cases() {
            let x = random_values(g.batch * g.in_size(), &mut rng);
            let k = random_values(g.k_h * g.k_w * g.channels * dm, &mut rng);
            for isa in isas() {
                check_gradient(
                    &format!("depthwise dx {isa:?} {g:?}"),
                    &x,
                    |x| naive(&g, x, &k, dm),
                    |_, dy| {
                        // Starts at 0.5: the input gradient is added to what is there.
                        let mut dx = vec![0.5; x.len()];
                        input_gradient_with(isa, &g, dy, &k, dm, &mut dx);
                        dx.iter().map(|v| v - 0.5).collect()
                    },
                );
                check_gradient(
                    &format!("depthwise dkernel {isa:?} {g:?}"),
                    &k,
                    |k| naive(&g, &x, k, dm),
                    |_, dy| {
                        let mut dk = vec![3.0; k.len()];
                        if dm == 1 {
                            kernel_gradient_vectors(isa, &g, &x, dy, true, &mut dk);
                        } else {
                            kernel_gradient(&g, &x, dy, dm, true, &mut dk);
                        }
                        dk
                    },
                );
            }
        }
    }

    #[test]
    fn large_gradients_match_the_definition() {
        let mut rng = Rng::new(14);
        for (g, _) in large_cases().into_iter().filter(|&(_, dm)| dm == 1) {
            let x = random_values(g.batch * g.in_size(), &mut rng);
            let k = random_values(g.k_h * g.k_w * g.channels, &mut rng);
            let dy = random_values(g.batch * g.positions() * g.channels, &mut rng);
            let (want_dx, want_dk) = naive_gradients(&g, &x, &k, &dy);
            for isa in isas() {
                let mut dx = vec![0.0; x.len()];
                input_gradient_with(isa, &g, &dy, &k, 1, &mut dx);
                assert_close(&format!("dx {isa:?}"), &g, &dx, &want_dx);
                // Accumulates onto what is there without `overwrite`.
                let mut dk = vec![1.0; k.len()];
                kernel_gradient_vectors(isa, &g, &x, &dy, false, &mut dk);
                let want: Vec<f32> = want_dk.iter().map(|v| v + 1.0).collect();
                for (i, (a, b)) in dk.iter().zip(&want).enumerate() {
                    assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "dkernel {isa:?} {g:?} [{i}]: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn batched_gradients_are_sums_over_samples() {
        // Large cases (parallel loops; multiplier 2 and 1) against the same sums taken one
        // sample at a time.
        let mut rng = Rng::new(13);
        for (g, dm) in large_cases().into_iter().take(2) {
            let x = random_values(g.batch * g.in_size(), &mut rng);
            let k = random_values(g.k_h * g.k_w * g.channels * dm, &mut rng);
            let dy = random_values(g.batch * g.positions() * g.channels * dm, &mut rng);
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
}
