//! kiln's own packed f32 GEMM, BLIS-style: B is packed into kc x nr column panels, A into
//! mc x mr row panels, and a register-tiled micro-kernel (AVX-512: 12 x 32, AVX2+FMA: 6 x 16,
//! portable: 4 x 16) sums each kc-long strip with fused multiply-adds. The instruction set is
//! detected at run time. Its reason to exist is `PackedB`: a right operand packed once and
//! reused, which the `gemm` crate cannot take, so constant weights at inference (Dense kernels,
//! convolution kernels) skip the packing the crate repeats on every call.
use super::gemm::StridedRef;
use std::cell::RefCell;
use std::ops::Range;

/// The instruction set of a micro-kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Avx512,
    Avx2,
    Portable,
}

impl Isa {
    pub const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2, Isa::Portable];

    /// The widest the CPU runs.
    pub fn detect() -> Isa {
        [Isa::Avx512, Isa::Avx2].into_iter().find(|isa| isa.available()).unwrap_or(Isa::Portable)
    }

    /// Whether this CPU has the instructions (the portable kernel runs everywhere).
    pub fn available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Isa::Avx512 => is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma"),
                Isa::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
                Isa::Portable => true,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Isa::Portable
        }
    }

    /// Rows of C in one micro-tile.
    const fn mr(self) -> usize {
        match self {
            Isa::Avx512 => 12,
            Isa::Avx2 => 6,
            Isa::Portable => 4,
        }
    }

    /// Columns of C in one micro-tile (a B panel's width).
    const fn nr(self) -> usize {
        match self {
            Isa::Avx512 => 32,
            Isa::Avx2 | Isa::Portable => 16,
        }
    }
}

/// The inner dimension of one packed strip: a 12 x 256 A panel (12 KB) and a 256 x 32 B panel
/// (32 KB) stay in L1/L2 while the micro-kernel walks them.
const KC: usize = 256;
/// Rows of A packed at once (a multiple of every mr): 96 x 256 floats (96 KB) stay in L2.
const MC: usize = 96;

/// A float buffer whose used part starts on a 64-byte line.
struct Aligned {
    data: Vec<f32>,
    start: usize,
}

impl Aligned {
    fn zeros(len: usize) -> Aligned {
        let data = vec![0.0; len + 16];
        let start = data.as_ptr().align_offset(64).min(16);
        Aligned { data, start }
    }
    fn slice(&self, len: usize) -> &[f32] {
        &self.data[self.start..self.start + len]
    }
    fn slice_mut(&mut self, len: usize) -> &mut [f32] {
        &mut self.data[self.start..self.start + len]
    }
}

/// A right operand (k x n) packed for one instruction set's micro-kernel, built once and reused
/// for every product with it: [k strip of KC][panel of nr columns][p][nr], zero-padded past n.
pub struct PackedB {
    isa: Isa,
    k: usize,
    n: usize,
    buf: Aligned,
}

impl PackedB {
    /// `b` packed for the widest kernel this CPU runs.
    pub fn new(b: StridedRef) -> PackedB {
        PackedB::for_isa(b, Isa::detect())
    }

    /// `b` packed for `isa`'s kernel (which the CPU must have to multiply with it).
    pub fn for_isa(b: StridedRef, isa: Isa) -> PackedB {
        let (k, n, nr) = (b.rows, b.cols, isa.nr());
        assert!(b.rows == 0 || b.cols == 0 || (b.rows - 1) * b.row_stride + (b.cols - 1) * b.col_stride < b.data.len(), "gemm operand outside its buffer");
        let panels = n.div_ceil(nr);
        let mut buf = Aligned::zeros(k * panels * nr);
        let packed = buf.slice_mut(k * panels * nr);
        for p0 in (0..k).step_by(KC) {
            let kc = KC.min(k - p0);
            let strip = &mut packed[p0 * panels * nr..][..kc * panels * nr];
            for (j, panel) in strip.chunks_exact_mut(kc * nr).enumerate() {
                let (j0, w) = (j * nr, nr.min(n - j * nr));
                let at = |p: usize, jj: usize| b.data[(p0 + p) * b.row_stride + (j0 + jj) * b.col_stride];
                // Read along whichever axis is contiguous.
                if b.col_stride == 1 {
                    for (p, row) in panel.chunks_exact_mut(nr).enumerate() {
                        row[..w].copy_from_slice(&b.data[(p0 + p) * b.row_stride + j0..][..w]);
                    }
                } else {
                    for jj in 0..w {
                        (0..kc).for_each(|p| panel[p * nr + jj] = at(p, jj));
                    }
                }
            }
        }
        PackedB { isa, k, n, buf }
    }

    /// Rows (inner dimension) and columns of the operand.
    pub fn dims(&self) -> (usize, usize) {
        (self.k, self.n)
    }

    pub fn isa(&self) -> Isa {
        self.isa
    }

    fn panels(&self) -> usize {
        self.n.div_ceil(self.isa.nr())
    }

    /// Panel `j` of the strip starting at `p0` (kc long).
    fn panel(&self, p0: usize, kc: usize, j: usize) -> *const f32 {
        let nr = self.isa.nr();
        self.buf.slice(self.k * self.panels() * nr)[p0 * self.panels() * nr + j * kc * nr..].as_ptr()
    }
}

/// Rows `rows` x columns `p0..p0 + kc` of A into mr-row panels ([panel][p][mr]), zero-padded
/// past the last row.
fn pack_a(a: &StridedRef, rows: Range<usize>, p0: usize, kc: usize, mr: usize, out: &mut [f32]) {
    match mr {
        12 => pack_a_panels::<12>(a, rows, p0, kc, out),
        6 => pack_a_panels::<6>(a, rows, p0, kc, out),
        _ => pack_a_panels::<4>(a, rows, p0, kc, out),
    }
}

#[inline(always)]
fn pack_a_panels<const MR: usize>(a: &StridedRef, rows: Range<usize>, p0: usize, kc: usize, out: &mut [f32]) {
    for (q, r0) in rows.clone().step_by(MR).enumerate() {
        let h = MR.min(rows.end - r0);
        let panel = &mut out[q * kc * MR..][..kc * MR];
        if h == MR && a.col_stride == 1 {
            // A full panel of row-major A: MR rows read side by side, one column of the panel at a time.
            let sources: [&[f32]; MR] = std::array::from_fn(|i| &a.data[(r0 + i) * a.row_stride + p0..][..kc]);
            for (p, column) in panel.chunks_exact_mut(MR).enumerate() {
                // SAFETY: the panel holds kc columns, so p < kc, the length of every source.
                (0..MR).for_each(|i| column[i] = unsafe { *sources[i].get_unchecked(p) });
            }
            continue;
        }
        for p in 0..kc {
            (0..h).for_each(|i| panel[p * MR + i] = a.data[(r0 + i) * a.row_stride + (p0 + p) * a.col_stride]);
        }
        if h < MR {
            panel.chunks_exact_mut(MR).for_each(|column| column[h..].fill(0.0));
        }
    }
}

thread_local! {
    /// Each thread's packed A block, kept between calls (no allocation per product).
    static PACKED_A: RefCell<Aligned> = RefCell::new(Aligned::zeros(MC * KC));
}

/// C's base pointer, shared by the threads that write disjoint blocks of it.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

/// `c` (m x n from the start of `c`, rows `c_row_stride` apart) = alpha * a * b + beta * c, with
/// B packed beforehand; split over the pool when `parallel` (beta 0 never reads C: NaN there is
/// overwritten, as BLAS does).
pub fn gemm_prepacked(alpha: f32, a: StridedRef, b: &PackedB, beta: f32, c: &mut [f32], c_row_stride: usize, parallel: bool) {
    let (m, k, n) = (a.rows, a.cols, b.n);
    assert_eq!(k, b.k, "gemm inner dimensions differ");
    assert!(b.isa.available(), "gemm: this CPU lacks {:?}", b.isa);
    assert!(m == 0 || k == 0 || (m - 1) * a.row_stride + (k - 1) * a.col_stride < a.data.len(), "gemm operand outside its buffer");
    if super::gemm::product_is_empty(m, k, n, beta, c, c_row_stride) {
        return;
    }
    let out = OutPtr(c.as_mut_ptr());
    let threads = crate::threads::num_threads();
    // SAFETY (every call): the operands were checked to fit their buffers; the blocks partition C.
    if !parallel || threads < 2 {
        return unsafe { run_block(alpha, &a, b, beta, out, c_row_stride, 0..m, 0..b.panels()) };
    }
    // One block per thread along the side with more micro-tiles.
    let (mr, panels) = (b.isa.mr(), b.panels());
    let row_tiles = m.div_ceil(mr);
    if row_tiles >= panels {
        let chunk = row_tiles.div_ceil(threads) * mr;
        crate::threads::fork_join(m.div_ceil(chunk), |i| unsafe { run_block(alpha, &a, b, beta, out, c_row_stride, i * chunk..((i + 1) * chunk).min(m), 0..panels) });
    } else {
        let chunk = panels.div_ceil(threads);
        crate::threads::fork_join(panels.div_ceil(chunk), |i| unsafe { run_block(alpha, &a, b, beta, out, c_row_stride, 0..m, i * chunk..((i + 1) * chunk).min(panels)) });
    }
}

/// Whether an m x k x n product with constant B (weights at inference; `b_transposed`: B read
/// in place transposed) runs through `gemm_prepacked` rather than `gemm`. Measured (one thread,
/// GFLOP/s, `cargo bench --bench gemm`, 7 alternating rounds, loaded machine; the `gemm` crate
/// against this kernel with B packed ahead): n128 110 vs 97, n256 111 vs 98, seed fwd
/// [32,784]x[784,128] 114 vs 84, seed dW 106 vs 88, [49,2048]x[2048,512] 26-37 vs 26-39 (noisy),
/// [3136,64]x[64,256] 38-42 vs 27-41; only B read transposed wins, [32,128]x[784,128]ᵀ 74 vs 92.
/// ResNet50 inference with every convolution kernel packed ahead was slower (batch 32: 9.5 and
/// 10.9 s a call against 8.0 and 8.8 s; batch 1: 280 and 291 ms against 320 and 249 ms,
/// interleaved, loaded machine), so only transposed weights take it. Never where `gemm` takes row
/// updates (1 to 4 rows, whose bits must not depend on the batch).
pub fn prepacked_pays(m: usize, k: usize, n: usize, b_transposed: bool) -> bool {
    super::gemm::route_for(m, k, n) != super::gemm::Route::RowUpdates && (b_transposed || forced_for_tests())
}

#[cfg(test)]
thread_local! {
    /// Tests send every eligible product on this thread through the prepacked kernel, to test
    /// the packing and its invalidation where the measured routing would not.
    pub static FORCE_PREPACKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn forced_for_tests() -> bool {
    #[cfg(test)]
    return FORCE_PREPACKED.with(|f| f.get());
    #[cfg(not(test))]
    false
}

/// As `gemm_prepacked`, packing B for this one product (the route `gemm_via` calls `Packed`).
#[allow(clippy::too_many_arguments)] // BLAS's argument list and the kernel's instruction set
pub fn gemm_packing_b(isa: Isa, alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize, parallel: bool) {
    gemm_prepacked(alpha, a, &PackedB::for_isa(b, isa), beta, c, c_row_stride, parallel)
}

/// C's rows `rows` x B's panels `panels` on the calling thread.
///
/// # Safety
/// The block lies inside C and no other thread touches it.
#[allow(clippy::too_many_arguments)]
unsafe fn run_block(alpha: f32, a: &StridedRef, b: &PackedB, beta: f32, c: OutPtr, rsc: usize, rows: Range<usize>, panels: Range<usize>) {
    let (isa, k, n) = (b.isa, b.k, b.n);
    let (mr, nr) = (isa.mr(), isa.nr());
    PACKED_A.with(|packed_a| {
        let mut packed_a = packed_a.borrow_mut();
        let packed_a = packed_a.slice_mut(MC * KC);
        for p0 in (0..k).step_by(KC) {
            let kc = KC.min(k - p0);
            // Later strips add to what the first wrote.
            let beta = if p0 == 0 { beta } else { 1.0 };
            for i0 in rows.clone().step_by(MC) {
                let mc = MC.min(rows.end - i0);
                pack_a(a, i0..i0 + mc, p0, kc, mr, packed_a);
                for j in panels.clone() {
                    let (b_panel, j0) = (b.panel(p0, kc, j), j * nr);
                    let w = nr.min(n - j0);
                    for (q, r0) in (i0..i0 + mc).step_by(mr).enumerate() {
                        let tile = Tile { kc, a: packed_a[q * kc * mr..].as_ptr(), b: b_panel, c: c.0.add(r0 * rsc + j0), rsc, alpha, beta, rows: mr.min(i0 + mc - r0), cols: w };
                        micro_kernel(isa, &tile);
                    }
                }
            }
        }
    })
}

/// One micro-tile: C[rows x cols] = alpha * A panel · B panel + beta * C (C not read at beta 0).
struct Tile {
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    rsc: usize,
    alpha: f32,
    beta: f32,
    rows: usize,
    cols: usize,
}

/// # Safety
/// The tile's panels hold kc x mr and kc x nr floats, its C block rows x cols, and the CPU has
/// `isa`.
#[inline(always)]
unsafe fn micro_kernel(isa: Isa, t: &Tile) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => micro_avx512(t),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => micro_avx2(t),
        _ => micro_portable(t),
    }
}

/// A partial tile's sums (`tile`, nr wide) into C.
unsafe fn store_edge(t: &Tile, tile: &[f32], nr: usize) {
    for i in 0..t.rows {
        let row = std::slice::from_raw_parts_mut(t.c.add(i * t.rsc), t.cols);
        for (j, c) in row.iter_mut().enumerate() {
            let s = t.alpha * tile[i * nr + j];
            *c = if t.beta == 0.0 { s } else { s + t.beta * *c };
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn micro_avx512(t: &Tile) {
    use std::arch::x86_64::*;
    const MR: usize = 12;
    const NR: usize = 32;
    let mut lo = [_mm512_setzero_ps(); MR];
    let mut hi = [_mm512_setzero_ps(); MR];
    let (mut a, mut b) = (t.a, t.b);
    for _ in 0..t.kc {
        let (b0, b1) = (_mm512_loadu_ps(b), _mm512_loadu_ps(b.add(16)));
        for i in 0..MR {
            let av = _mm512_set1_ps(*a.add(i));
            lo[i] = _mm512_fmadd_ps(av, b0, lo[i]);
            hi[i] = _mm512_fmadd_ps(av, b1, hi[i]);
        }
        a = a.add(MR);
        b = b.add(NR);
    }
    if t.rows == MR && t.cols == NR {
        let (alpha, beta) = (_mm512_set1_ps(t.alpha), _mm512_set1_ps(t.beta));
        for i in 0..MR {
            let c = t.c.add(i * t.rsc);
            let (mut r0, mut r1) = (_mm512_mul_ps(alpha, lo[i]), _mm512_mul_ps(alpha, hi[i]));
            if t.beta != 0.0 {
                r0 = _mm512_fmadd_ps(beta, _mm512_loadu_ps(c), r0);
                r1 = _mm512_fmadd_ps(beta, _mm512_loadu_ps(c.add(16)), r1);
            }
            _mm512_storeu_ps(c, r0);
            _mm512_storeu_ps(c.add(16), r1);
        }
    } else {
        let mut tile = [0f32; MR * NR];
        for i in 0..MR {
            _mm512_storeu_ps(tile.as_mut_ptr().add(i * NR), lo[i]);
            _mm512_storeu_ps(tile.as_mut_ptr().add(i * NR + 16), hi[i]);
        }
        store_edge(t, &tile, NR);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn micro_avx2(t: &Tile) {
    use std::arch::x86_64::*;
    const MR: usize = 6;
    const NR: usize = 16;
    let mut lo = [_mm256_setzero_ps(); MR];
    let mut hi = [_mm256_setzero_ps(); MR];
    let (mut a, mut b) = (t.a, t.b);
    for _ in 0..t.kc {
        let (b0, b1) = (_mm256_loadu_ps(b), _mm256_loadu_ps(b.add(8)));
        for i in 0..MR {
            let av = _mm256_set1_ps(*a.add(i));
            lo[i] = _mm256_fmadd_ps(av, b0, lo[i]);
            hi[i] = _mm256_fmadd_ps(av, b1, hi[i]);
        }
        a = a.add(MR);
        b = b.add(NR);
    }
    if t.rows == MR && t.cols == NR {
        let (alpha, beta) = (_mm256_set1_ps(t.alpha), _mm256_set1_ps(t.beta));
        for i in 0..MR {
            let c = t.c.add(i * t.rsc);
            let (mut r0, mut r1) = (_mm256_mul_ps(alpha, lo[i]), _mm256_mul_ps(alpha, hi[i]));
            if t.beta != 0.0 {
                r0 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(c), r0);
                r1 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(c.add(8)), r1);
            }
            _mm256_storeu_ps(c, r0);
            _mm256_storeu_ps(c.add(8), r1);
        }
    } else {
        let mut tile = [0f32; MR * NR];
        for i in 0..MR {
            _mm256_storeu_ps(tile.as_mut_ptr().add(i * NR), lo[i]);
            _mm256_storeu_ps(tile.as_mut_ptr().add(i * NR + 8), hi[i]);
        }
        store_edge(t, &tile, NR);
    }
}

/// Any CPU: plain loops the compiler vectorises as it can.
unsafe fn micro_portable(t: &Tile) {
    const MR: usize = 4;
    const NR: usize = 16;
    let a = std::slice::from_raw_parts(t.a, t.kc * MR);
    let b = std::slice::from_raw_parts(t.b, t.kc * NR);
    let mut tile = [0f32; MR * NR];
    for (a, b) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        for (i, &av) in a.iter().enumerate() {
            tile[i * NR..][..NR].iter_mut().zip(b).for_each(|(s, &bv)| *s += av * bv);
        }
    }
    store_edge(t, &tile, NR);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::random_values;
    use crate::rng::Rng;

    /// Every instruction set this CPU has, against a float64 reference: odd sizes 1..70 off
    /// every tile multiple, inner dimensions past one KC strip, transposed and strided operands,
    /// alpha/beta (and NaN in C at beta 0), serial and split.
    #[test]
    fn gemm_packed_matches_the_reference_on_every_isa() {
        let mut rng = Rng::new(11);
        let mut shapes: Vec<(usize, usize, usize)> = vec![(1, 1, 1), (12, 256, 32), (13, 257, 33), (97, 600, 65), (200, 40, 300), (3, 5000, 2)];
        for _ in 0..40 {
            let mut d = || 1 + (rng.uniform(0.0, 70.0) as usize).min(69);
            shapes.push((d(), d(), d()));
        }
        for isa in Isa::ALL.into_iter().filter(|isa| isa.available()) {
            for (s, &(m, k, n)) in shapes.iter().enumerate() {
                let (ta, tb, pad) = (s % 2 == 1, s % 4 >= 2, s % 3);
                let (a_rows, a_cols) = if ta { (k, m) } else { (m, k) };
                let (b_rows, b_cols) = if tb { (n, k) } else { (k, n) };
                let a_buf = random_values(a_rows * (a_cols + pad), &mut rng);
                let b_buf = random_values(b_rows * (b_cols + pad), &mut rng);
                let a = StridedRef::new(&a_buf, a_rows, a_cols, a_cols + pad);
                let b = StridedRef::new(&b_buf, b_rows, b_cols, b_cols + pad);
                let (a, b) = (if ta { a.t() } else { a }, if tb { b.t() } else { b });
                let rsc = n + pad;
                let packed = PackedB::for_isa(b, isa);
                for (alpha, beta) in [(1.0, 0.0), (0.5, 0.25), (1.0, 1.0)] {
                    let mut c0 = random_values(m * rsc, &mut rng);
                    if beta == 0.0 {
                        c0.iter_mut().for_each(|v| *v = f32::NAN);
                    }
                    let mut want = c0.clone();
                    for i in 0..m {
                        for j in 0..n {
                            let sum: f64 = (0..k).map(|p| a.data[i * a.row_stride + p * a.col_stride] as f64 * b.data[p * b.row_stride + j * b.col_stride] as f64).sum();
                            let old = c0[i * rsc + j];
                            want[i * rsc + j] = alpha * sum as f32 + if beta == 0.0 { 0.0 } else { beta * old };
                        }
                    }
                    for parallel in [false, true] {
                        let mut c = c0.clone();
                        gemm_prepacked(alpha, a, &packed, beta, &mut c, rsc, parallel);
                        for (idx, (x, y)) in c.iter().zip(&want).enumerate() {
                            let close = (x - y).abs() <= 1e-4 * (1.0 + k as f32).sqrt() * (1.0 + y.abs()) || (x.is_nan() && y.is_nan());
                            assert!(close, "{isa:?} {m}x{k}x{n} ta={ta} tb={tb} pad={pad} alpha={alpha} beta={beta} parallel={parallel}: C[{idx}] = {x}, reference {y}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn gemm_packed_detects_an_isa_the_cpu_has() {
        assert!(Isa::detect().available());
        assert!(Isa::Portable.available());
    }
}
