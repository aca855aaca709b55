//! Winograd convolution for 3 x 3 windows at stride 1, dilation 1, channels last (Lavin and
//! Gray, "Fast Algorithms for Convolutional Neural Networks", 2015). Each output tile of
//! `Tile::M` x `Tile::M` positions is computed from an `A` x `A` input tile (A = M + 2): the
//! input tile and the kernel are carried into the transform domain (Bᵀ d B and G w Gᵀ), the
//! A² transform points become A² independent GEMMs over channels ([tiles, cin] x [cin, cout],
//! through gemm.rs), and Aᵀ m A brings each tile back. F(2x2, 3x3) does 16 multiplies per
//! output tile of 4 where the direct sum does 36 (2.25x fewer); F(4x4, 3x3) 36 for 16 (4x).
//!
//! Tiles are processed in chunks small enough for the chunk's transformed input and GEMM
//! output to stay in L2; each thread owns one slot of scratch and takes every slots-th chunk.
//! The transforms run across the channels (the contiguous axis), so they vectorise.
//!
//! The same correlation with the kernel flipped and its channels swapped, over dy padded by
//! 2 - pad, is the input gradient of a stride-1 3 x 3 convolution (`input_gradient`).
use super::conv::Geometry;
use super::gemm::{gemm_strided, StridedRef};
use crate::threads;
use rayon::prelude::*;

/// One Winograd tile size: F(M x M, 3 x 3) and its transform matrices (points 0, ±1, ±2, ∞).
pub trait Tile {
    /// Output positions per tile side.
    const M: usize;
    /// Input positions per tile side (M + 2).
    const A: usize;
    /// Bᵀ, A x A, row-major.
    const BT: &'static [f32];
    /// G, A x 3.
    const G: &'static [f32];
    /// Aᵀ, M x A.
    const AT: &'static [f32];
}

/// F(2x2, 3x3): exact in its transforms (coefficients 0, ±1, ±1/2).
pub struct F2;
impl Tile for F2 {
    const M: usize = 2;
    const A: usize = 4;
    #[rustfmt::skip]
    const BT: &'static [f32] = &[
        1.0, 0.0, -1.0, 0.0,
        0.0, 1.0, 1.0, 0.0,
        0.0, -1.0, 1.0, 0.0,
        0.0, 1.0, 0.0, -1.0,
    ];
    #[rustfmt::skip]
    const G: &'static [f32] = &[
        1.0, 0.0, 0.0,
        0.5, 0.5, 0.5,
        0.5, -0.5, 0.5,
        0.0, 0.0, 1.0,
    ];
    #[rustfmt::skip]
    const AT: &'static [f32] = &[
        1.0, 1.0, 1.0, 0.0,
        0.0, 1.0, -1.0, -1.0,
    ];
}

/// F(4x4, 3x3): fewer multiplies, but coefficients up to 8 cost some float32 precision.
pub struct F4;
impl Tile for F4 {
    const M: usize = 4;
    const A: usize = 6;
    #[rustfmt::skip]
    const BT: &'static [f32] = &[
        4.0, 0.0, -5.0, 0.0, 1.0, 0.0,
        0.0, -4.0, -4.0, 1.0, 1.0, 0.0,
        0.0, 4.0, -4.0, -1.0, 1.0, 0.0,
        0.0, -2.0, -1.0, 2.0, 1.0, 0.0,
        0.0, 2.0, -1.0, -2.0, 1.0, 0.0,
        0.0, 4.0, 0.0, -5.0, 0.0, 1.0,
    ];
    #[rustfmt::skip]
    const G: &'static [f32] = &[
        1.0 / 4.0, 0.0, 0.0,
        -1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0,
        -1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0,
        1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0,
        1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0,
        0.0, 0.0, 1.0,
    ];
    #[rustfmt::skip]
    const AT: &'static [f32] = &[
        1.0, 1.0, 1.0, 1.0, 1.0, 0.0,
        0.0, 1.0, -1.0, 2.0, -2.0, 0.0,
        0.0, 1.0, 1.0, 4.0, 4.0, 0.0,
        0.0, 1.0, -1.0, 8.0, -8.0, 1.0,
    ];
}

/// A stride-1 3 x 3 correlation over NHWC data: out[b, oy, ox, o] = Σ src[b, oy + ky -
/// pad_top, ox + kx - pad_left, c] w[ky, kx, c, o], zero outside src.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub in_channels: usize,
    pub pad_top: usize,
    pub pad_left: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub out_channels: usize,
}

impl Shape {
    fn tiles<T: Tile>(&self) -> (usize, usize) {
        (self.out_h.div_ceil(T::M), self.out_w.div_ceil(T::M))
    }
    fn tile_count<T: Tile>(&self) -> usize {
        let (th, tw) = self.tiles::<T>();
        self.batch * th * tw
    }
    /// Tiles per chunk: each GEMM reads its point's whole cin x cout kernel once per chunk, so
    /// at least 96 rows (a chunk of 32 left 7x7x512 at batch 32 0.9x im2col + GEMM, measured);
    /// up to the chunk's transformed input and GEMM output (A² (cin + cout) values a tile) in
    /// about 1 MiB, L2; no more than each thread's share of the tiles.
    fn chunk<T: Tile>(&self) -> usize {
        let per_tile = T::A * T::A * (self.in_channels + self.out_channels);
        let share = self.tile_count::<T>().div_ceil(threads::num_threads());
        ((1 << 18) / per_tile).clamp(96, 256).min(share).max(1)
    }
    fn slot_len<T: Tile>(&self) -> usize {
        let a2 = T::A * T::A;
        // Transformed input and GEMM output of a chunk, and two tiles' working values.
        a2 * self.chunk::<T>() * (self.in_channels + self.out_channels) + 2 * a2 * self.in_channels.max(self.out_channels)
    }
    fn slots<T: Tile>(&self) -> usize {
        threads::num_threads().min(self.tile_count::<T>().div_ceil(self.chunk::<T>())).max(1)
    }
    /// The transformed kernel's length: A² x cin x cout.
    pub fn kernel_len<T: Tile>(&self) -> usize {
        T::A * T::A * self.in_channels * self.out_channels
    }
    /// Scratch for `correlate` after the transformed kernel.
    pub fn scratch_len<T: Tile>(&self) -> usize {
        self.slots::<T>() * self.slot_len::<T>()
    }
}

/// out[i] (= or +=) Σ_j m[i, j] src[j], each a vector of `n` values: one row pass of a
/// transform, skipping the zero coefficients outside the vector loop.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // a matrix and two strided lists of vectors
fn combine(m: &[f32], rows: usize, cols: usize, src: &[f32], src_stride: usize, dst: &mut [f32], dst_stride: usize, n: usize) {
    for i in 0..rows {
        let out = &mut dst[i * dst_stride..][..n];
        let mut first = true;
        for j in 0..cols {
            let c = m[i * cols + j];
            if c == 0.0 {
                continue;
            }
            let s = &src[j * src_stride..][..n];
            if first {
                if c == 1.0 {
                    out.copy_from_slice(s);
                } else {
                    out.iter_mut().zip(s).for_each(|(o, v)| *o = c * v);
                }
                first = false;
            } else if c == 1.0 {
                out.iter_mut().zip(s).for_each(|(o, v)| *o += v);
            } else if c == -1.0 {
                out.iter_mut().zip(s).for_each(|(o, v)| *o -= v);
            } else {
                out.iter_mut().zip(s).for_each(|(o, v)| *o += c * v);
            }
        }
        if first {
            out.fill(0.0);
        }
    }
}

/// The kernel in the transform domain: u[p, c, o] = (G w[.., .., c, o] Gᵀ)[p] for each of the
/// A² points p, w [3, 3, cin, cout]. Depends on the weights only: compute it once per call (or
/// once per weight version, where a caller keeps it).
pub fn transform_kernel<T: Tile>(w: &[f32], cin: usize, cout: usize, u: &mut [f32]) {
    let a = T::A;
    assert_eq!(w.len(), 9 * cin * cout, "winograd kernel has the wrong size");
    assert_eq!(u.len(), a * a * cin * cout, "winograd transformed kernel has the wrong size");
    let plane = cin * cout;
    let u_ptr = OutPtr(u.as_mut_ptr());
    // One input channel's A² x cout block at a time, in buffers each thread reuses.
    (0..cin).into_par_iter().for_each_init(
        || (vec![0.0; a * 3 * cout], vec![0.0; a * a * cout]),
        |(half, block), c| {
            // G along ky (taps ky * 3 + kx are 3 cin cout apart): half [A, 3 (kx), cout].
            for kx in 0..3 {
                combine(T::G, a, 3, &w[(kx * cin + c) * cout..], 3 * plane, &mut half[kx * cout..], 3 * cout, cout);
            }
            // G along kx: block [A, A, cout].
            for i in 0..a {
                combine(T::G, a, 3, &half[i * 3 * cout..], cout, &mut block[i * a * cout..], cout, cout);
            }
            for p in 0..a * a {
                // SAFETY: row (p, c) of u, cout values inside it, written by this task only.
                let row = unsafe { std::slice::from_raw_parts_mut(u_ptr.get().add(p * plane + c * cout), cout) };
                row.copy_from_slice(&block[p * cout..][..cout]);
            }
        },
    );
}

/// w [3, 3, cin, cout] flipped in both window axes with its channels swapped: the kernel
/// [3, 3, cout, cin] whose correlation with dy is the input gradient.
pub fn flip_kernel(w: &[f32], cin: usize, cout: usize, flipped: &mut [f32]) {
    for t in 0..9 {
        for c in 0..cin {
            for o in 0..cout {
                flipped[((8 - t) * cout + o) * cin + c] = w[(t * cin + c) * cout + o];
            }
        }
    }
}

/// out (= with `overwrite`, else +=) the correlation `s` of src with the kernel whose
/// transform (`transform_kernel`) is `u`; `scratch` of `s.scratch_len::<T>()` or more.
pub fn correlate<T: Tile>(s: &Shape, src: &[f32], u: &[f32], overwrite: bool, scratch: &mut [f32], out: &mut [f32]) {
    let (a, m) = (T::A, T::M);
    let a2 = a * a;
    let (cin, cout) = (s.in_channels, s.out_channels);
    assert_eq!(src.len(), s.batch * s.in_h * s.in_w * cin, "winograd input has the wrong size");
    assert_eq!(out.len(), s.batch * s.out_h * s.out_w * cout, "winograd output has the wrong size");
    assert_eq!(u.len(), s.kernel_len::<T>(), "winograd transformed kernel has the wrong size");
    let (tiles_h, tiles_w) = s.tiles::<T>();
    let total = s.tile_count::<T>();
    if total == 0 {
        return;
    }
    let chunk = s.chunk::<T>();
    let chunks = total.div_ceil(chunk);
    let slot_len = s.slot_len::<T>();
    let slots = s.slots::<T>();
    assert!(scratch.len() >= slots * slot_len, "winograd scratch too small");
    let out_ptr = OutPtr(out.as_mut_ptr());
    scratch[..slots * slot_len].par_chunks_mut(slot_len).enumerate().for_each(|(slot, buf)| {
        let (v, rest) = buf.split_at_mut(a2 * chunk * cin);
        let (prod, work) = rest.split_at_mut(a2 * chunk * cout);
        let (tile_in, tile_mid) = work.split_at_mut(a2 * cin.max(cout));
        for c in (slot..chunks).step_by(slots) {
            let first = c * chunk;
            let n = chunk.min(total - first);
            // Input transform: v[p, j, c] = (Bᵀ d_j B)[p] for each tile j of the chunk.
            for j in 0..n {
                let t = first + j;
                let (b, ty, tx) = (t / (tiles_h * tiles_w), t / tiles_w % tiles_h, t % tiles_w);
                let d = &mut tile_in[..a2 * cin];
                gather(s, src, b, (ty * m) as isize - s.pad_top as isize, (tx * m) as isize - s.pad_left as isize, a, d);
                // Bᵀ along rows: mid[i, x] = Σ_y Bᵀ[i, y] d[y, x].
                let mid = &mut tile_mid[..a2 * cin];
                combine(T::BT, a, a, d, a * cin, mid, a * cin, a * cin);
                // B along columns: v[i, k] = Σ_x Bᵀ[k, x] mid[i, x].
                for i in 0..a {
                    combine(T::BT, a, a, &mid[i * a * cin..], cin, &mut v[(i * a * chunk + j) * cin..], chunk * cin, cin);
                }
            }
            // One GEMM per transform point: prod[p] [n, cout] = v[p] [n, cin] · u[p] [cin, cout].
            for p in 0..a2 {
                let lhs = StridedRef::new(&v[p * chunk * cin..], n, cin, cin);
                let rhs = StridedRef::new(&u[p * cin * cout..], cin, cout, cout);
                gemm_strided(1.0, lhs, rhs, 0.0, &mut prod[p * chunk * cout..], cout);
            }
            // Output transform: Aᵀ m A, clipped at the bottom and right edges.
            for j in 0..n {
                let t = first + j;
                let (b, ty, tx) = (t / (tiles_h * tiles_w), t / tiles_w % tiles_h, t % tiles_w);
                // Aᵀ along rows: mid[i, x] = Σ_y Aᵀ[i, y] prod[y, x, j].
                let mid = &mut tile_mid[..m * a * cout];
                for x in 0..a {
                    combine(T::AT, m, a, &prod[(x * chunk + j) * cout..], a * chunk * cout, &mut mid[x * cout..], a * cout, cout);
                }
                let res = &mut tile_in[..m * m * cout];
                for i in 0..m {
                    combine(T::AT, m, a, &mid[i * a * cout..], cout, &mut res[i * m * cout..], cout, cout);
                }
                let (oy0, ox0) = (ty * m, tx * m);
                let rows = m.min(s.out_h - oy0);
                let cols = m.min(s.out_w - ox0);
                for i in 0..rows {
                    let at = ((b * s.out_h + oy0 + i) * s.out_w + ox0) * cout;
                    // SAFETY: tiles partition the output, each tile goes to one slot, and
                    // `at + cols * cout` lies inside `out` (rows and cols are clipped to it).
                    let dst = unsafe { std::slice::from_raw_parts_mut(out_ptr.get().add(at), cols * cout) };
                    let from = &res[i * m * cout..][..cols * cout];
                    if overwrite {
                        dst.copy_from_slice(from);
                    } else {
                        dst.iter_mut().zip(from).for_each(|(o, v)| *o += v);
                    }
                }
            }
        }
    });
}

/// The output's base pointer, shared by the slots, which write disjoint tiles.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}
impl OutPtr {
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// d [A, A, cin] = src's A x A window at (y0, x0) of image b, zero outside.
#[inline]
fn gather(s: &Shape, src: &[f32], b: usize, y0: isize, x0: isize, a: usize, d: &mut [f32]) {
    let cin = s.in_channels;
    let (h, w) = (s.in_h as isize, s.in_w as isize);
    let (x_lo, x_hi) = (x0.max(0), (x0 + a as isize).min(w));
    for y in 0..a {
        let row = &mut d[y * a * cin..][..a * cin];
        let iy = y0 + y as isize;
        if iy < 0 || iy >= h || x_lo >= x_hi {
            row.fill(0.0);
            continue;
        }
        let skip = (x_lo - x0) as usize * cin;
        let len = (x_hi - x_lo) as usize * cin;
        row[..skip].fill(0.0);
        let at = ((b * s.in_h + iy as usize) * s.in_w + x_lo as usize) * cin;
        row[skip..skip + len].copy_from_slice(&src[at..at + len]);
        row[skip + len..].fill(0.0);
    }
}

/// The tile conv.rs's Winograd route uses when it transforms the kernel on each call (see
/// `winograd_wins` there for the measurements).
pub type Chosen = F2;

/// Whether winograd.rs can compute this convolution: ungrouped 2-D, 3 x 3, stride 1, no dilation.
pub fn applies(g: &Geometry, groups: usize) -> bool {
    groups == 1 && g.depth.is_flat() && (g.k_h, g.k_w, g.stride, g.dilation) == (3, 3, (1, 1), (1, 1))
}

/// The forward correlation of a convolution.
fn forward_shape(g: &Geometry, out_channels: usize) -> Shape {
    Shape { batch: g.batch, in_h: g.in_h, in_w: g.in_w, in_channels: g.channels, pad_top: g.pad_top, pad_left: g.pad_left, out_h: g.out_h, out_w: g.out_w, out_channels }
}

/// Its input gradient: dy correlated with the flipped kernel, padded by 2 - pad.
fn gradient_shape(g: &Geometry, out_channels: usize) -> Shape {
    Shape { batch: g.batch, in_h: g.out_h, in_w: g.out_w, in_channels: out_channels, pad_top: 2 - g.pad_top, pad_left: 2 - g.pad_left, out_h: g.in_h, out_w: g.in_w, out_channels: g.channels }
}

/// Scratch for `forward` and for `input_gradient` (the larger of the two).
pub fn scratch_len(g: &Geometry, out_channels: usize) -> usize {
    let f = forward_shape(g, out_channels);
    let d = gradient_shape(g, out_channels);
    (f.kernel_len::<Chosen>() + f.scratch_len::<Chosen>()).max(d.kernel_len::<Chosen>() + 9 * g.channels * out_channels + d.scratch_len::<Chosen>())
}

/// y = conv(x, kernel) for a convolution `applies` accepts; `scratch` of `scratch_len`.
pub fn forward(g: &Geometry, out_channels: usize, x: &[f32], kernel: &[f32], scratch: &mut [f32], y: &mut [f32]) {
    let s = forward_shape(g, out_channels);
    let (u, rest) = scratch.split_at_mut(s.kernel_len::<Chosen>());
    transform_kernel::<Chosen>(kernel, g.channels, out_channels, u);
    correlate::<Chosen>(&s, x, u, true, rest, y);
}

/// The tile of a forward pass whose kernel is transformed ahead (`forward_transformed`):
/// without a transform per call, F(4x4, 3x3)'s 36 points cost less where tiles are many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileSize {
    F2,
    F4,
}

/// The length of the forward kernel in the transform domain (16/9 or 36/9 of the kernel's).
pub fn transformed_kernel_len(g: &Geometry, out_channels: usize, tile: TileSize) -> usize {
    let s = forward_shape(g, out_channels);
    match tile {
        TileSize::F2 => s.kernel_len::<F2>(),
        TileSize::F4 => s.kernel_len::<F4>(),
    }
}

/// u = the forward kernel in the transform domain. It depends on the weights only: an
/// inference pass keeps it per weight generation (graph::transformed_kernels) for
/// `forward_transformed`.
pub fn transform_forward_kernel(g: &Geometry, out_channels: usize, tile: TileSize, kernel: &[f32], u: &mut [f32]) {
    match tile {
        TileSize::F2 => transform_kernel::<F2>(kernel, g.channels, out_channels, u),
        TileSize::F4 => transform_kernel::<F4>(kernel, g.channels, out_channels, u),
    }
}

/// Scratch for `forward_transformed`.
pub fn transformed_scratch_len(g: &Geometry, out_channels: usize, tile: TileSize) -> usize {
    let s = forward_shape(g, out_channels);
    match tile {
        TileSize::F2 => s.scratch_len::<F2>(),
        TileSize::F4 => s.scratch_len::<F4>(),
    }
}

/// y = conv(x, kernel) from the kernel's transform `u` (`transform_forward_kernel` with the
/// same tile); `scratch` of `transformed_scratch_len`.
pub fn forward_transformed(g: &Geometry, out_channels: usize, tile: TileSize, x: &[f32], u: &[f32], scratch: &mut [f32], y: &mut [f32]) {
    let s = forward_shape(g, out_channels);
    match tile {
        TileSize::F2 => correlate::<F2>(&s, x, u, true, scratch, y),
        TileSize::F4 => correlate::<F4>(&s, x, u, true, scratch, y),
    }
}

/// dx (= with `overwrite`, else +=) the input gradient of that convolution from dy.
pub fn input_gradient(g: &Geometry, out_channels: usize, dy: &[f32], kernel: &[f32], overwrite: bool, scratch: &mut [f32], dx: &mut [f32]) {
    let s = gradient_shape(g, out_channels);
    let (u, rest) = scratch.split_at_mut(s.kernel_len::<Chosen>());
    let (flipped, rest) = rest.split_at_mut(9 * g.channels * out_channels);
    flip_kernel(kernel, g.channels, out_channels, flipped);
    transform_kernel::<Chosen>(flipped, out_channels, g.channels, u);
    correlate::<Chosen>(&s, dy, u, overwrite, rest, dx);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The correlation summed directly, in float64.
    fn naive(s: &Shape, src: &[f32], w: &[f32]) -> Vec<f32> {
        let (cin, cout) = (s.in_channels, s.out_channels);
        let mut out = vec![0.0; s.batch * s.out_h * s.out_w * cout];
        for b in 0..s.batch {
            for oy in 0..s.out_h {
                for ox in 0..s.out_w {
                    for o in 0..cout {
                        let mut sum = 0.0f64;
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let (iy, ix) = ((oy + ky) as isize - s.pad_top as isize, (ox + kx) as isize - s.pad_left as isize);
                                if iy < 0 || ix < 0 || iy >= s.in_h as isize || ix >= s.in_w as isize {
                                    continue;
                                }
                                for c in 0..cin {
                                    let xv = src[((b * s.in_h + iy as usize) * s.in_w + ix as usize) * cin + c] as f64;
                                    sum += xv * w[((ky * 3 + kx) * cin + c) * cout + o] as f64;
                                }
                            }
                        }
                        out[((b * s.out_h + oy) * s.out_w + ox) * cout + o] = sum as f32;
                    }
                }
            }
        }
        out
    }

    fn shapes() -> Vec<Shape> {
        let shape = |batch, h, w, cin, pad, cout| {
            let out = |n: usize| n + 2 * pad - 2;
            Shape { batch, in_h: h, in_w: w, in_channels: cin, pad_top: pad, pad_left: pad, out_h: out(h), out_w: out(w), out_channels: cout }
        };
        vec![
            // 'same' (pad 1) and 'valid' (pad 0), odd sizes that leave partial tiles, batch > 1,
            // channel counts off the vector width; pad 2 is the input gradient of 'valid'.
            shape(1, 6, 6, 8, 1, 8),
            shape(2, 7, 5, 3, 1, 5),
            shape(3, 9, 11, 17, 0, 13),
            shape(2, 5, 8, 33, 2, 7),
            shape(1, 3, 3, 1, 0, 1),
            shape(2, 13, 13, 32, 0, 64),
            shape(1, 14, 14, 70, 1, 40),
        ]
    }

    fn check<T: Tile>(tolerance: f32) {
        let mut rng = Rng::new(7);
        for s in shapes() {
            let src: Vec<f32> = (0..s.batch * s.in_h * s.in_w * s.in_channels).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let w: Vec<f32> = (0..9 * s.in_channels * s.out_channels).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let mut u = vec![0.0; s.kernel_len::<T>()];
            transform_kernel::<T>(&w, s.in_channels, s.out_channels, &mut u);
            let mut scratch = vec![f32::NAN; s.scratch_len::<T>()];
            let want = naive(&s, &src, &w);
            let mut got = vec![f32::NAN; want.len()];
            correlate::<T>(&s, &src, &u, true, &mut scratch, &mut got);
            // Relative to the size of the sum's terms (√(9 cin) for unit inputs).
            let scale = (9.0 * s.in_channels as f32).sqrt();
            for (i, (g, e)) in got.iter().zip(&want).enumerate() {
                assert!((g - e).abs() <= tolerance * scale, "F({}) {s:?} [{i}]: {g} vs {e}", T::M);
            }
            // Accumulating adds to what is there.
            let mut sum = vec![1.0; want.len()];
            correlate::<T>(&s, &src, &u, false, &mut scratch, &mut sum);
            for (g, e) in sum.iter().zip(&got) {
                assert!((g - 1.0 - e).abs() <= 1e-5 * (1.0 + e.abs()));
            }
        }
    }

    #[test]
    fn winograd_f2_matches_the_direct_sum() {
        check::<F2>(2e-6);
    }

    #[test]
    fn winograd_f4_matches_the_direct_sum() {
        check::<F4>(1e-5);
    }

    #[test]
    fn winograd_flipped_kernel_is_the_adjoint() {
        // <correlate(x, w), dy> = <x, correlate(dy, flip(w))> with the padding 2 - pad.
        let mut rng = Rng::new(9);
        for s in shapes() {
            let (cin, cout) = (s.in_channels, s.out_channels);
            let x: Vec<f32> = (0..s.batch * s.in_h * s.in_w * cin).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let dy: Vec<f32> = (0..s.batch * s.out_h * s.out_w * cout).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let w: Vec<f32> = (0..9 * cin * cout).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let y = naive(&s, &x, &w);
            let mut flipped = vec![0.0; w.len()];
            flip_kernel(&w, cin, cout, &mut flipped);
            let t = Shape { in_h: s.out_h, in_w: s.out_w, in_channels: cout, pad_top: 2 - s.pad_top, pad_left: 2 - s.pad_left, out_h: s.in_h, out_w: s.in_w, out_channels: cin, ..s };
            let mut u = vec![0.0; t.kernel_len::<F2>()];
            transform_kernel::<F2>(&flipped, cout, cin, &mut u);
            let mut dx = vec![0.0; x.len()];
            correlate::<F2>(&t, &dy, &u, true, &mut vec![0.0; t.scratch_len::<F2>()], &mut dx);
            let lhs: f64 = y.iter().zip(&dy).map(|(a, b)| *a as f64 * *b as f64).sum();
            let rhs: f64 = x.iter().zip(&dx).map(|(a, b)| *a as f64 * *b as f64).sum();
            assert!((lhs - rhs).abs() <= 1e-4 * (1.0 + lhs.abs()), "{s:?}: {lhs} vs {rhs}");
        }
    }
}
