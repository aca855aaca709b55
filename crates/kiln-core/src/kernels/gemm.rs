//! Single-precision matrix multiply, C = alpha * op(A) * op(B) + beta * C, for operands with any
//! row and column strides: a transpose is a swap of strides, never a copy. One function
//! (`gemm_via`, behind `gemm` and `gemm_strided`) runs products through the `gemm` crate's packed
//! kernels (AVX-512 / AVX2+FMA / portable, chosen at run time by CPU detection), or row updates
//! for up to 4 rows, and splits C over the rayon pool only past a size threshold: small products
//! run on the calling thread, with no fork/join.
use crate::threads;
use std::ops::Range;

/// A row-major matrix operand, possibly used transposed.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    /// Rows and columns as stored.
    pub rows: usize,
    pub cols: usize,
    pub transposed: bool,
}

impl<'a> MatRef<'a> {
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        debug_assert_eq!(data.len(), rows * cols);
        MatRef { data, rows, cols, transposed: false }
    }
    pub fn t(self) -> Self {
        MatRef { transposed: !self.transposed, ..self }
    }
    /// Logical shape after the transpose.
    pub fn dims(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }
    /// The logical matrix as strides over the same buffer.
    fn strided(self) -> StridedRef<'a> {
        let stored = StridedRef::new(self.data, self.rows, self.cols, self.cols);
        if self.transposed {
            stored.t()
        } else {
            stored
        }
    }
}

/// A matrix inside a larger buffer, with any strides: one group's columns of a grouped
/// convolution's kernel or output, or the transpose of such a block.
#[derive(Clone, Copy)]
pub struct StridedRef<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> StridedRef<'a> {
    /// `rows` x `cols` from the start of `data`, rows `row_stride` apart, columns adjacent.
    pub fn new(data: &'a [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        StridedRef { data, rows, cols, row_stride, col_stride: 1 }
    }
    pub fn t(self) -> Self {
        StridedRef { rows: self.cols, cols: self.rows, row_stride: self.col_stride, col_stride: self.row_stride, data: self.data }
    }
    /// Whether every element lies inside `data`.
    fn fits(&self, len: usize) -> bool {
        self.rows == 0 || self.cols == 0 || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride < len
    }
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.row_stride + j * self.col_stride]
    }
}

/// Which kernel computes a product. All give the same numbers up to float32 rounding; `gemm`
/// takes `route_for`'s, `gemm_via` forces one (for the benchmark and the tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// k row updates per row of C on the calling thread, no packing: each row of C is summed in
    /// the same order whatever the number of rows.
    RowUpdates,
    /// matrixmultiply's AVX2/FMA kernels (kiln's route before the `gemm` crate, kept for the
    /// benchmark's comparison).
    MatrixMultiply,
    /// The `gemm` crate's kernels: AVX-512 where the CPU has it, else AVX2+FMA, else portable;
    /// C split into one block per thread by kiln.
    Gemm,
    /// The `gemm` crate with its own split over the pool (it shares packed blocks of B between
    /// threads).
    GemmThreaded,
    /// kiln's own packed kernel (`gemm_packed`), packing B on each call; its own split.
    Packed,
}

impl Route {
    pub const ALL: [Route; 5] = [Route::RowUpdates, Route::MatrixMultiply, Route::Gemm, Route::GemmThreaded, Route::Packed];
}

/// Below this many multiply-adds a product runs on the calling thread, with no fork/join. A split
/// pays once half the work saves more than the hand-off costs: `cargo bench -p kiln-core --bench
/// gemm -- sweep` measures both, called from outside the pool (an eager op on the JavaScript
/// thread, handed over through `threads::fork_join`'s board) and from a pool thread (the engine's
/// steps and predictions, through rayon). Best of 41 alternating rounds over 76 sweeps, 2 cores
/// shared with four builds (2026-12-07 23:30, the best times are those where the second core was
/// free): from outside the pool the split won on every size swept, from 2^17 multiply-adds
/// (32x32x128, 2.5 us on one thread: 1.6 split; 48^3: 2.1 against 1.6); from a pool thread from
/// 2^19 for squares (80^3: 9.7 against 6.1), 2^17 with m = 32, 2^19.6 with k = 32 (192x32x128:
/// 14.9 against 10.2). A product alone after an idle spell also pays for waking a pool thread
/// (a futex call, a few microseconds), so both callers split from 2^19 multiply-adds (about 10 us
/// of work; from outside the pool it was 2^21 while rayon's inject + wake cost 20-30 us a split).
pub const PARALLEL_MIN_FLOPS: usize = 1 << 19;

/// Up to this many multiply-adds, products with at most `FEW_ROWS` rows use row updates (so that
/// predicting 1 to 4 samples gives each sample the same bits whatever the batch); larger ones
/// take the packed kernels, split over the pool.
const FEW_ROWS_MAX_FLOPS: usize = 1 << 21;

/// Products with up to this many rows of C use row updates (inference on a few samples).
const FEW_ROWS: usize = 4;

/// The route `gemm` takes for an m x k x n product. Measured with `cargo bench --bench gemm`: the
/// `gemm` crate is the fastest on every shape class kiln uses from 32 rows to 1024, short and
/// long inner dimensions (it replaced row updates for inner dimensions up to 16, 5-8x slower, and
/// per-thread partial sums for small outputs, 30x slower). Up to 4 rows, row updates and the crate
/// were level (21-35 GFLOP/s each, noisy): row updates stay there, so that predicting 1 to 4
/// samples gives each sample the same bits whatever the batch (below `FEW_ROWS_MAX_FLOPS`).
pub fn route_for(m: usize, k: usize, n: usize) -> Route {
    if m <= FEW_ROWS && m * k * n < FEW_ROWS_MAX_FLOPS {
        Route::RowUpdates
    } else {
        Route::Gemm
    }
}

/// C = alpha A B + beta C as k row updates per row of C, on the calling thread, vectorised over
/// the row with AVX-512 or AVX2 and fused multiply-adds where the CPU has them.
fn row_updates(alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: each is called only where the CPU has the features it is compiled for.
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma") {
            return unsafe { row_updates_avx512(alpha, a, b, beta, c, c_row_stride) };
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return unsafe { row_updates_avx2(alpha, a, b, beta, c, c_row_stride) };
        }
    }
    row_updates_body::<false>(alpha, a, b, beta, c, c_row_stride)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn row_updates_avx512(alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize) {
    row_updates_body::<true>(alpha, a, b, beta, c, c_row_stride)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_updates_avx2(alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize) {
    row_updates_body::<true>(alpha, a, b, beta, c, c_row_stride)
}

/// The row updates, compiled into each caller's instruction set; `FUSED` uses one rounding per
/// multiply-add (only where the CPU has FMA: elsewhere `mul_add` is a slow library call).
#[inline(always)]
fn row_updates_body<const FUSED: bool>(alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    for i in 0..m {
        let c_row = &mut c[i * c_row_stride..][..n];
        if beta == 0.0 {
            c_row.fill(0.0)
        } else if beta != 1.0 {
            c_row.iter_mut().for_each(|v| *v *= beta)
        }
        for p in 0..k {
            let s = alpha * a.at(i, p);
            if b.col_stride == 1 {
                let b_row = &b.data[p * b.row_stride..][..n];
                if FUSED {
                    c_row.iter_mut().zip(b_row).for_each(|(c, &bv)| *c = s.mul_add(bv, *c));
                } else {
                    c_row.iter_mut().zip(b_row).for_each(|(c, &bv)| *c += s * bv);
                }
            } else {
                c_row.iter_mut().enumerate().for_each(|(j, c)| *c += s * b.at(p, j));
            }
        }
    }
}

/// The output block: m x n at `ptr`, rows `row_stride` apart, columns adjacent.
#[derive(Clone, Copy)]
struct OutPtr {
    ptr: *mut f32,
    row_stride: usize,
}
// Each parallel block writes a disjoint part of C, which the caller borrows mutably throughout.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

/// Work on C run right after the kernel has written a block of it, while the block is in
/// cache (a dense layer's bias and activation): called with each row's part of the block and
/// the column that part starts at.
pub type Epilogue<'a> = &'a (dyn Fn(&mut [f32], usize) + Sync);

/// One product's operands and output, as the packed kernels take them.
struct Product<'a> {
    route: Route,
    alpha: f32,
    a: StridedRef<'a>,
    b: StridedRef<'a>,
    beta: f32,
    c: OutPtr,
    epilogue: Option<Epilogue<'a>>,
}

impl Product<'_> {
    /// Rows `rows` x columns `cols` of C through the packed kernel, on `threads` threads of the
    /// `gemm` crate's own split (1: the calling thread).
    ///
    /// # Safety
    /// The block lies inside A, B and C, and no other thread touches that part of C.
    unsafe fn block(&self, threads: usize, rows: Range<usize>, cols: Range<usize>) {
        let (a, b, k) = (&self.a, &self.b, self.a.cols);
        let a_ptr = a.data.as_ptr().add(rows.start * a.row_stride);
        let b_ptr = b.data.as_ptr().add(cols.start * b.col_stride);
        let c_ptr = self.c.ptr.add(rows.start * self.c.row_stride + cols.start);
        let (rsa, csa, rsb, csb, rsc) = (a.row_stride as isize, a.col_stride as isize, b.row_stride as isize, b.col_stride as isize, self.c.row_stride as isize);
        let (m, n) = (rows.len(), cols.len());
        if self.route == Route::MatrixMultiply {
            matrixmultiply::sgemm(m, k, n, self.alpha, a_ptr, rsa, csa, b_ptr, rsb, csb, self.beta, c_ptr, rsc, 1);
        } else {
            // The gemm crate computes dst = s·dst + t·lhs·rhs, dst read only when asked: with beta
            // 0 a C holding NaN is overwritten, as BLAS does. Strides are given column first.
            let parallelism = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
            gemm::gemm(m, n, k, c_ptr, 1, rsc, self.beta != 0.0, a_ptr, csa, rsa, b_ptr, csb, rsb, self.beta, self.alpha, false, false, false, parallelism);
        }
        if let Some(epilogue) = self.epilogue {
            for i in 0..m {
                epilogue(std::slice::from_raw_parts_mut(c_ptr.add(i * self.c.row_stride), n), cols.start);
            }
        }
    }

    /// The whole of C, split into one block per thread when `parallel`: see `split_blocks`.
    fn run(&self, parallel: bool) {
        let (m, n) = (self.a.rows, self.b.cols);
        let threads = threads::num_threads();
        // SAFETY (every call): the operands were checked to fit their buffers, the blocks partition C.
        if !parallel || self.route == Route::GemmThreaded {
            return unsafe { self.block(if parallel { threads } else { 1 }, 0..m, 0..n) };
        }
        let blocks = split_blocks(m, n, threads);
        threads::fork_join(blocks.len(), |i| unsafe { self.block(1, blocks[i].0.clone(), blocks[i].1.clone()) });
    }
}

/// C (m x n) cut into at most `threads` blocks (rows, columns), one per thread, along the side that
/// leaves each the larger block, in multiples of the micro-kernels' register tiles (16 columns:
/// one AVX-512 vector; 8 rows). Each block packs only its own rows of A or columns of B, so a
/// short inner dimension (the seed MLP's dW, k = 32, or dX, m = 32) costs no extra packing: each
/// thread packs half of the large operand and the small one whole (32 x 128 floats, 16 KB).
fn split_blocks(m: usize, n: usize, threads: usize) -> Vec<(Range<usize>, Range<usize>)> {
    if n >= m {
        let chunk = n.div_ceil(threads).next_multiple_of(16).min(n).max(1);
        (0..n.div_ceil(chunk)).map(|i| (0..m, i * chunk..((i + 1) * chunk).min(n))).collect()
    } else {
        let chunk = m.div_ceil(threads).next_multiple_of(8).min(m).max(1);
        (0..m.div_ceil(chunk)).map(|i| (i * chunk..((i + 1) * chunk).min(m), 0..n)).collect()
    }
}

/// Whether a product this size is split over the pool.
pub fn splits(m: usize, k: usize, n: usize) -> bool {
    threads::num_threads() > 1 && m * n * k >= PARALLEL_MIN_FLOPS
}

/// Checks C's layout for an m x n product and finishes the products with nothing to multiply:
/// true when done (m or n empty; an empty inner dimension sums nothing: C = beta C, zeros for
/// beta 0, as numpy). Shared by every GEMM entry (`gemm_via`, gemm_packed's prepacked one).
pub(crate) fn product_is_empty(m: usize, k: usize, n: usize, beta: f32, c: &mut [f32], c_row_stride: usize) -> bool {
    assert!(n <= c_row_stride || m <= 1, "gemm output rows overlap");
    assert!(StridedRef { data: c, rows: m, cols: n, row_stride: c_row_stride, col_stride: 1 }.fits(c.len()), "gemm output outside its buffer");
    if m == 0 || n == 0 {
        return true;
    }
    if k == 0 {
        for i in 0..m {
            let row = &mut c[i * c_row_stride..][..n];
            if beta == 0.0 {
                row.fill(0.0)
            } else {
                row.iter_mut().for_each(|v| *v *= beta)
            }
        }
        return true;
    }
    false
}

/// `c` (m x n from the start of `c`, rows `c_row_stride` apart) = alpha * a * b + beta * c
/// through `route`, split over the pool when `split` says so (None: when `splits`; row updates
/// never split).
#[allow(clippy::too_many_arguments)] // BLAS's argument list, less the sizes the operands carry
pub fn gemm_via(route: Route, split: Option<bool>, alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize) {
    gemm_via_then(route, split, alpha, a, b, beta, c, c_row_stride, None)
}

/// As `gemm_via`, then `epilogue` on every row of C: on each block right after its product
/// where the route splits C into blocks (`Gemm`), else on the whole of C after it.
#[allow(clippy::too_many_arguments)]
pub fn gemm_via_then(route: Route, split: Option<bool>, alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize, epilogue: Option<Epilogue>) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm inner dimensions differ");
    assert!(a.fits(a.data.len()) && b.fits(b.data.len()), "gemm operand outside its buffer");
    let parallel = split.unwrap_or_else(|| splits(m, k, n)) && threads::num_threads() > 1;
    let after = |c: &mut [f32]| {
        if let (Some(epilogue), true) = (epilogue, n > 0) {
            (0..m).for_each(|i| epilogue(&mut c[i * c_row_stride..][..n], 0));
        }
    };
    if product_is_empty(m, k, n, beta, c, c_row_stride) {
        return after(c);
    }
    match route {
        Route::RowUpdates => row_updates(alpha, a, b, beta, c, c_row_stride),
        Route::Packed => super::gemm_packed::gemm_packing_b(super::gemm_packed::Isa::detect(), alpha, a, b, beta, c, c_row_stride, parallel),
        _ => return Product { route, alpha, a, b, beta, c: OutPtr { ptr: c.as_mut_ptr(), row_stride: c_row_stride }, epilogue }.run(parallel),
    }
    after(c)
}

/// `c` (m x n from the start of `c`, rows `c_row_stride` apart) = alpha * a * b + beta * c,
/// for blocks of larger matrices and transposed operands, read in place.
pub fn gemm_strided(alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize) {
    gemm_via(route_for(a.rows, a.cols, b.cols), None, alpha, a, b, beta, c, c_row_stride);
}

/// `c` (m x n, row-major) = alpha * a * b + beta * c.
pub fn gemm(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32]) {
    gemm_then(alpha, a, b, beta, c, None)
}

/// As `gemm`, then `epilogue` on every row of C, each block's rows right after the block.
pub fn gemm_then(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32], epilogue: Option<Epilogue>) {
    let ((m, k), (k2, n)) = (a.dims(), b.dims());
    assert_eq!(k, k2, "gemm inner dimensions differ");
    assert_eq!(c.len(), m * n, "gemm output has the wrong size");
    let (a, b) = (a.strided(), b.strided());
    gemm_via_then(route_for(a.rows, a.cols, b.cols), None, alpha, a, b, beta, c, n.max(1), epilogue);
}

/// Naive reference, for tests.
pub fn gemm_reference(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32]) {
    let (m, k) = a.dims();
    let (_, n) = b.dims();
    let (a, b) = (a.strided(), b.strided());
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f64;
            for p in 0..k {
                s += a.at(i, p) as f64 * b.at(p, j) as f64;
            }
            c[i * n + j] = alpha * s as f32 + if beta == 0.0 { 0.0 } else { beta * c[i * n + j] };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::random_values;
    use crate::rng::Rng;

    #[test]
    fn every_transpose_combination_matches_the_reference() {
        let mut rng = Rng::new(3);
        // Sizes on both sides of the parallel threshold and off the micro-kernel multiples; a
        // short inner dimension, and a small output with a long one.
        for &(m, k, n) in &[(3, 5, 7), (32, 784, 128), (130, 70, 257), (1, 9, 1), (3000, 9, 32), (9, 20000, 32), (300, 16, 40), (1, 784, 128), (4, 128, 10)] {
            for &(ta, tb) in &[(false, false), (true, false), (false, true), (true, true)] {
                let a = random_values(m * k, &mut rng);
                let b = random_values(k * n, &mut rng);
                let ar = if ta { MatRef::new(&a, k, m).t() } else { MatRef::new(&a, m, k) };
                let br = if tb { MatRef::new(&b, n, k).t() } else { MatRef::new(&b, k, n) };
                let c0 = random_values(m * n, &mut rng);
                let (mut c, mut r) = (c0.clone(), c0.clone());
                gemm(0.5, ar, br, 0.25, &mut c);
                gemm_reference(0.5, ar, br, 0.25, &mut r);
                for (x, y) in c.iter().zip(&r) {
                    assert!((x - y).abs() < 1e-3 * (1.0 + y.abs()), "{m}x{k}x{n} {ta} {tb}: {x} vs {y}");
                }
            }
        }
    }

    #[test]
    fn an_epilogue_sees_every_row_once_after_its_product_on_every_route_and_split() {
        let mut rng = Rng::new(8);
        // Split by rows (m > n) and by columns (n > m), below the split threshold, k = 0, one row.
        for &(m, k, n) in &[(1024, 784, 128), (40, 300, 600), (7, 5, 3), (6, 0, 4), (1, 784, 128)] {
            let (a, b) = (random_values(m * k, &mut rng), random_values(k * n, &mut rng));
            let bias = random_values(n, &mut rng);
            let (ar, br) = (StridedRef::new(&a, m, k, k), StridedRef::new(&b, k, n, n));
            let mut want = vec![0.0; m * n];
            gemm_via(Route::Gemm, Some(false), 1.0, ar, br, 0.0, &mut want, n);
            want.iter_mut().enumerate().for_each(|(i, v)| *v = (*v + bias[i % n]).max(0.0));
            let relu = |row: &mut [f32], first: usize| row.iter_mut().zip(&bias[first..]).for_each(|(v, b)| *v = (*v + b).max(0.0));
            for route in Route::ALL {
                for split in [false, true] {
                    let mut c = vec![f32::NAN; m * n];
                    crate::threads::run(|| gemm_via_then(route, Some(split), 1.0, ar, br, 0.0, &mut c, n, Some(&relu)));
                    for (x, y) in c.iter().zip(&want) {
                        assert!((x - y).abs() < 1e-3 * (1.0 + y.abs()), "{m}x{k}x{n} {route:?} split {split}: {x} vs {y}");
                    }
                }
            }
        }
    }

    /// Every route against the reference on one product; `c0` seeds C (NaN where beta is 0
    /// must not leak through).
    fn check_every_route(alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c0: &[f32], c_row_stride: usize, label: &str) {
        let (m, k, n) = (a.rows, a.cols, b.cols);
        let mut want = c0.to_vec();
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k).map(|p| a.at(i, p) as f64 * b.at(p, j) as f64).sum();
                let old = c0[i * c_row_stride + j];
                want[i * c_row_stride + j] = alpha * s as f32 + if beta == 0.0 { 0.0 } else { beta * old };
            }
        }
        for route in Route::ALL {
            for split in [false, true] {
                let mut c = c0.to_vec();
                gemm_via(route, Some(split), alpha, a, b, beta, &mut c, c_row_stride);
                for (idx, (x, y)) in c.iter().zip(&want).enumerate() {
                    let close = (x - y).abs() <= 1e-4 * (1.0 + k as f32).sqrt() * (1.0 + y.abs()) || (x.is_nan() && y.is_nan());
                    assert!(close, "{label} via {route:?} split {split}: C[{idx}] = {x}, reference {y}");
                }
            }
        }
    }

    #[test]
    fn every_route_matches_the_reference_on_strided_and_transposed_operands() {
        let mut rng = Rng::new(5);
        // Odd sizes off the micro-kernel multiples, zero-size dimensions, the seed MLP's products,
        // sizes past the parallel threshold, and each operand read in place transposed or as a
        // block of a wider buffer (row stride past its columns).
        for &(m, k, n) in &[(0, 3, 4), (3, 0, 4), (3, 4, 0), (1, 1, 1), (7, 13, 5), (17, 33, 31), (32, 784, 128), (784, 32, 128), (32, 128, 784), (65, 300, 97), (2, 5000, 3)] {
            for &(ta, tb) in &[(false, false), (true, false), (false, true), (true, true)] {
                for pad in [0, 3] {
                    let (a_rows, a_cols) = if ta { (k, m) } else { (m, k) };
                    let (b_rows, b_cols) = if tb { (n, k) } else { (k, n) };
                    let a_buf = random_values(a_rows * (a_cols + pad), &mut rng);
                    let b_buf = random_values(b_rows * (b_cols + pad), &mut rng);
                    let a = StridedRef::new(&a_buf, a_rows, a_cols, a_cols + pad);
                    let b = StridedRef::new(&b_buf, b_rows, b_cols, b_cols + pad);
                    let (a, b) = (if ta { a.t() } else { a }, if tb { b.t() } else { b });
                    let c_row_stride = n + pad;
                    let mut c0 = random_values(m * c_row_stride, &mut rng);
                    let label = format!("{m}x{k}x{n} ta={ta} tb={tb} pad={pad}");
                    check_every_route(0.5, a, b, 0.25, &c0, c_row_stride, &label);
                    check_every_route(1.0, a, b, 1.0, &c0, c_row_stride, &label);
                    c0.iter_mut().for_each(|v| *v = f32::NAN);
                    check_every_route(1.0, a, b, 0.0, &c0, c_row_stride, &label);
                }
            }
        }
    }

    #[test]
    fn split_blocks_cover_c_once_in_whole_register_tiles() {
        for &(m, n) in &[(1, 1), (784, 128), (32, 784), (33, 17), (7, 1000), (1000, 7), (5000, 3)] {
            for threads in 1..=5 {
                let blocks = split_blocks(m, n, threads);
                assert!(blocks.len() <= threads, "{m}x{n} on {threads}: {} blocks", blocks.len());
                let mut seen = vec![0u8; m * n];
                for (rows, cols) in &blocks {
                    // Every cut but the last falls on a tile edge.
                    assert!(rows.end == m || rows.end % 8 == 0, "{m}x{n}: rows cut at {}", rows.end);
                    assert!(cols.end == n || cols.end % 16 == 0, "{m}x{n}: columns cut at {}", cols.end);
                    rows.clone().for_each(|i| cols.clone().for_each(|j| seen[i * n + j] += 1));
                }
                assert!(seen.iter().all(|&v| v == 1), "{m}x{n} on {threads} threads");
            }
        }
    }

    #[test]
    fn split_products_match_the_unsplit_ones_and_the_reference() {
        // The seed MLP's backward products (short inner dimension, few rows), read transposed in
        // place as the engine and the transposed view give them, and off-tile sizes: split over the
        // pool or not, each element within 1e-6 of the other, and both near the reference.
        let mut rng = Rng::new(7);
        for &(m, k, n, ta, tb) in &[
            (784, 32, 128, true, false),
            (32, 128, 784, false, true),
            (784, 32, 128, false, false),
            (32, 128, 784, false, false),
            (1024, 784, 128, false, false),
            (130, 32, 257, true, true),
            (33, 300, 45, false, false),
        ] {
            let a_buf = random_values(m * k, &mut rng);
            let b_buf = random_values(k * n, &mut rng);
            let a = if ta { StridedRef::new(&a_buf, k, m, m).t() } else { StridedRef::new(&a_buf, m, k, k) };
            let b = if tb { StridedRef::new(&b_buf, n, k, k).t() } else { StridedRef::new(&b_buf, k, n, n) };
            let (mut one, mut split) = (vec![f32::NAN; m * n], vec![f32::NAN; m * n]);
            gemm_via(Route::Gemm, Some(false), 1.0, a, b, 0.0, &mut one, n);
            gemm_via(Route::Gemm, Some(true), 1.0, a, b, 0.0, &mut split, n);
            for (idx, (x, y)) in split.iter().zip(&one).enumerate() {
                assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{m}x{k}x{n}: C[{idx}] split {x}, one thread {y}");
                let (i, j) = (idx / n, idx % n);
                let want: f64 = (0..k).map(|p| a.at(i, p) as f64 * b.at(p, j) as f64).sum();
                assert!((*x as f64 - want).abs() <= 1e-4 * (1.0 + want.abs()), "{m}x{k}x{n}: C[{idx}] = {x}, reference {want}");
            }
        }
    }

    #[test]
    fn back_to_back_split_products_match_one_thread_from_either_caller() {
        // Eager products come one after another from the JavaScript thread (handed to pool threads
        // still watching for work) and from pool threads (the engine): every split product of a
        // run, odd sizes included, equals the unsplit one within float tolerance (the blocks may
        // sum in another order: a one-row block takes another kernel), and empty ones
        // (no rows, no columns, k = 0) leave C as numpy does.
        let mut rng = Rng::new(8);
        let shapes = [(784, 32, 128, true), (81, 83, 85, false), (32, 128, 784, false), (128, 128, 128, false), (9, 20000, 3, false), (0, 40, 50, false), (60, 0, 70, false), (70, 50, 0, false)];
        let cases: Vec<_> = shapes
            .iter()
            .map(|&(m, k, n, ta)| {
                let a_buf = random_values(m * k, &mut rng);
                let b_buf = random_values(k * n, &mut rng);
                let c0 = random_values(m * n, &mut rng);
                let mut want = c0.clone();
                let a = if ta { StridedRef::new(&a_buf, k, m, m).t() } else { StridedRef::new(&a_buf, m, k, k) };
                gemm_via(Route::Gemm, Some(false), 1.0, a, StridedRef::new(&b_buf, k, n, n), 0.5, &mut want, n.max(1));
                (m, k, n, ta, a_buf, b_buf, c0, want)
            })
            .collect();
        for in_pool in [false, true] {
            let check = || {
                for round in 0..40 {
                    for (m, k, n, ta, a_buf, b_buf, c0, want) in &cases {
                        let (m, k, n) = (*m, *k, *n);
                        let a = if *ta { StridedRef::new(a_buf, k, m, m).t() } else { StridedRef::new(a_buf, m, k, k) };
                        let mut c = c0.clone();
                        gemm_via(Route::Gemm, Some(true), 1.0, a, StridedRef::new(b_buf, k, n, n), 0.5, &mut c, n.max(1));
                        for (idx, (x, y)) in c.iter().zip(want).enumerate() {
                            assert!((x - y).abs() <= 1e-6 * (1.0 + k as f32).sqrt() * (1.0 + y.abs()), "{m}x{k}x{n} in pool {in_pool} round {round}: C[{idx}] split {x}, one thread {y}");
                        }
                        if k == 0 {
                            assert!(c.iter().zip(c0).all(|(x, y)| *x == 0.5 * y), "{m}x0x{n}: C = beta C");
                        }
                    }
                }
            };
            if in_pool {
                threads::run(check)
            } else {
                check()
            }
        }
    }

    #[test]
    fn one_to_four_rows_give_each_row_the_same_bits() {
        // predict on 1 sample and on a few must agree exactly: each row is summed in one order.
        let mut rng = Rng::new(6);
        let (k, n) = (784, 128);
        let (x, w) = (random_values(4 * k, &mut rng), random_values(k * n, &mut rng));
        let mut four = vec![0.0; 4 * n];
        gemm(1.0, MatRef::new(&x, 4, k), MatRef::new(&w, k, n), 0.0, &mut four);
        for row in 0..4 {
            let mut one = vec![0.0; n];
            gemm(1.0, MatRef::new(&x[row * k..(row + 1) * k], 1, k), MatRef::new(&w, k, n), 0.0, &mut one);
            assert_eq!(one, four[row * n..(row + 1) * n], "row {row}");
        }
    }

    #[test]
    fn strided_blocks_match_the_reference() {
        // One column block of A times one column block of B into one column block of C, as a
        // grouped convolution uses them, plain and transposed, serial and parallel sizes.
        let mut rng = Rng::new(4);
        for &(m, k, n, wide) in &[(5, 3, 4, 3), (600, 40, 24, 4)] {
            let a = random_values(m * k * wide, &mut rng);
            let b = random_values(k * n * wide, &mut rng);
            let c0 = random_values(m * n * wide, &mut rng);
            let g = wide - 1;
            let a_block = StridedRef::new(&a[g * k..], m, k, k * wide);
            let b_block = StridedRef::new(&b[g * n..], k, n, n * wide);
            let mut c = c0.clone();
            gemm_strided(0.5, a_block, b_block, 0.25, &mut c[g * n..], n * wide);
            // The same product on packed copies.
            let pack = |v: &[f32], rows: usize, cols: usize| -> Vec<f32> { (0..rows).flat_map(|i| v[i * cols * wide + g * cols..][..cols].to_vec()).collect() };
            let mut r = pack(&c0, m, n);
            gemm_reference(0.5, MatRef::new(&pack(&a, m, k), m, k), MatRef::new(&pack(&b, k, n), k, n), 0.25, &mut r);
            for i in 0..m {
                for j in 0..n * wide {
                    let want = if j / n == g { r[i * n + j % n] } else { c0[i * n * wide + j] };
                    let got = c[i * n * wide + j];
                    assert!((got - want).abs() < 1e-3 * (1.0 + want.abs()), "{m}x{k}x{n} at ({i}, {j}): {got} vs {want}");
                }
            }
            // Transposed operands: (Bᵀ)ᵀ and Aᵀ as views of the same blocks.
            let mut t = vec![0.0; k * k];
            gemm_strided(1.0, a_block.t(), a_block, 0.0, &mut t, k);
            let packed = pack(&a, m, k);
            let mut tr = vec![0.0; k * k];
            gemm_reference(1.0, MatRef::new(&packed, m, k).t(), MatRef::new(&packed, m, k), 0.0, &mut tr);
            for (x, y) in t.iter().zip(&tr) {
                assert!((x - y).abs() < 1e-3 * (1.0 + y.abs()), "AᵀA: {x} vs {y}");
            }
        }
    }
}
