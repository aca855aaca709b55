//! Single-precision matrix multiply, C = alpha * op(A) * op(B) + beta * C, for operands with any
//! row and column strides: a transpose is a swap of strides, never a copy. One function chooses
//! the route by shape (row updates for few rows or a short inner dimension, per-thread partial
//! sums for a small output with a long inner dimension, otherwise the `gemm` crate's packed
//! kernels, AVX-512 / AVX2+FMA / portable by runtime CPU detection), and whether to split C
//! over the rayon pool: small products run on the calling thread, with no fork/join.
use crate::threads;

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
    /// Row `i`, when columns are adjacent.
    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.row_stride..][..self.cols]
    }
}

/// How a product is computed. Every route gives the same numbers up to float32 rounding; `gemm`
/// picks one by shape, `gemm_via` forces one (for the benchmark and the tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// k row updates per row of C, reading B's rows in place (B's columns adjacent): for few rows
    /// or a short inner dimension, where packing all of B would cost more than the arithmetic.
    RowUpdates,
    /// Each thread sums a share of the k outer products into its own copy of a small C (B's
    /// columns adjacent).
    SmallOutput,
    /// matrixmultiply's packed AVX2/FMA kernels (the route before the `gemm` crate; kept for the
    /// benchmark's comparison).
    MatrixMultiply,
    /// The `gemm` crate's packed kernels: AVX-512 where the CPU has it, else AVX2+FMA, else portable.
    Packed,
}

impl Route {
    pub const ALL: [Route; 4] = [Route::RowUpdates, Route::SmallOutput, Route::MatrixMultiply, Route::Packed];
    /// Whether this route can take these operands (the row routes read B's rows in place).
    pub fn accepts(self, b_col_stride: usize) -> bool {
        !matches!(self, Route::RowUpdates | Route::SmallOutput) || b_col_stride == 1
    }
}

/// Below this many multiply-adds one thread is faster than fork/join (a pool wake-up and join
/// costs about as much as 2^20 multiply-adds, 10-20 us, on one core).
pub const PARALLEL_MIN_FLOPS: usize = 1 << 20;
/// Inner dimensions up to this use row updates: packing would cost more than the arithmetic.
const SKINNY_INNER: usize = 16;
/// Products with up to this many rows of C (and under PARALLEL_MIN_FLOPS) use row updates.
const FEW_ROWS: usize = 4;
/// Outputs up to this many values with a long inner dimension accumulate in place.
const SMALL_OUTPUT: usize = 4096;

/// The route `gemm` takes for an m x k x n product.
pub fn route_for(m: usize, k: usize, n: usize, b_col_stride: usize) -> Route {
    let b_rows_contiguous = b_col_stride == 1;
    if b_rows_contiguous && (k <= SKINNY_INNER || (m <= FEW_ROWS && m * n * k < PARALLEL_MIN_FLOPS)) {
        Route::RowUpdates
    } else if b_rows_contiguous && m * n <= SMALL_OUTPUT && k >= 64 * m.max(n) {
        Route::SmallOutput
    } else {
        Route::Packed
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

/// C = alpha A B + beta C as k row updates per row of C.
fn row_updates(alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize, parallel: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let rows = |(i, c_row): (usize, &mut [f32])| {
        let c_row = &mut c_row[..n];
        if beta == 0.0 {
            c_row.fill(0.0)
        } else if beta != 1.0 {
            c_row.iter_mut().for_each(|v| *v *= beta)
        }
        for p in 0..k {
            let s = alpha * a.at(i, p);
            c_row.iter_mut().zip(b.row(p)).for_each(|(c, &bv)| *c += s * bv);
        }
    };
    let c = &mut c[..(m - 1) * c_row_stride + n];
    use rayon::prelude::*;
    if parallel {
        c.par_chunks_mut(c_row_stride).enumerate().with_min_len(64).for_each(rows);
    } else {
        c.chunks_mut(c_row_stride).enumerate().for_each(rows);
    }
}

/// C = alpha A B + beta C for a small C and a long inner dimension: each thread sums a share of
/// the k outer products into its own copy of C.
fn small_output(alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize, parallel: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let partial = |range: std::ops::Range<usize>| {
        let mut acc = vec![0.0f32; m * n];
        for p in range {
            let b_row = b.row(p);
            for i in 0..m {
                let s = a.at(i, p);
                acc[i * n..(i + 1) * n].iter_mut().zip(b_row).for_each(|(c, &bv)| *c += s * bv);
            }
        }
        acc
    };
    use rayon::prelude::*;
    let threads = threads::num_threads();
    let sum = if parallel {
        let chunk = k.div_ceil(threads);
        (0..threads).into_par_iter().map(|t| partial(t * chunk..((t + 1) * chunk).min(k))).reduce(
            || vec![0.0; m * n],
            |mut x, y| {
                x.iter_mut().zip(&y).for_each(|(a, b)| *a += b);
                x
            },
        )
    } else {
        partial(0..k)
    };
    for (i, sum_row) in sum.chunks(n).enumerate() {
        for (cv, sv) in c[i * c_row_stride..][..n].iter_mut().zip(sum_row) {
            *cv = alpha * sv + if beta == 0.0 { 0.0 } else { beta * *cv };
        }
    }
}

/// One block of C through a packed kernel, on the calling thread.
///
/// # Safety
/// The block (rows x cols from (row0, col0)) lies inside A, B and C, and no other thread
/// touches that part of C.
unsafe fn packed_block(route: Route, alpha: f32, a: &StridedRef, b: &StridedRef, beta: f32, c: OutPtr, (row0, rows): (usize, usize), (col0, cols): (usize, usize)) {
    let k = a.cols;
    let a_ptr = a.data.as_ptr().add(row0 * a.row_stride);
    let b_ptr = b.data.as_ptr().add(col0 * b.col_stride);
    let c_ptr = c.ptr.add(row0 * c.row_stride + col0);
    let (rsa, csa, rsb, csb, rsc) = (a.row_stride as isize, a.col_stride as isize, b.row_stride as isize, b.col_stride as isize, c.row_stride as isize);
    if route == Route::MatrixMultiply {
        matrixmultiply::sgemm(rows, k, cols, alpha, a_ptr, rsa, csa, b_ptr, rsb, csb, beta, c_ptr, rsc, 1);
    } else {
        // The gemm crate computes dst = s·dst + t·lhs·rhs, dst read only when asked: with beta 0 a
        // C holding NaN is overwritten, as BLAS does. Strides are given column first.
        gemm::gemm(rows, cols, k, c_ptr, 1, rsc, beta != 0.0, a_ptr, csa, rsa, b_ptr, csb, rsb, beta, alpha, false, false, false, gemm::Parallelism::None);
    }
}

/// C = alpha A B + beta C through a packed kernel, C split into one block per thread when
/// `parallel`: along the side that leaves each thread the larger block.
fn packed(route: Route, alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize, parallel: bool) {
    let (m, n) = (a.rows, b.cols);
    let out = OutPtr { ptr: c.as_mut_ptr(), row_stride: c_row_stride };
    // SAFETY (both arms): the operands were checked to fit their buffers, the blocks partition C.
    let threads = threads::num_threads();
    if !parallel {
        return unsafe { packed_block(route, alpha, &a, &b, beta, out, (0, m), (0, n)) };
    }
    use rayon::prelude::*;
    // Blocks in multiples of the micro-kernels' register tiles (16 columns: one AVX-512 vector).
    if n >= m {
        let chunk = n.div_ceil(threads).next_multiple_of(16).min(n);
        (0..n.div_ceil(chunk)).into_par_iter().for_each(|i| unsafe { packed_block(route, alpha, &a, &b, beta, out, (0, m), (i * chunk, chunk.min(n - i * chunk))) });
    } else {
        let chunk = m.div_ceil(threads).next_multiple_of(8).min(m);
        (0..m.div_ceil(chunk)).into_par_iter().for_each(|i| unsafe { packed_block(route, alpha, &a, &b, beta, out, (i * chunk, chunk.min(m - i * chunk)), (0, n)) });
    }
}

/// `c` (m x n from the start of `c`, rows `c_row_stride` apart) = alpha * a * b + beta * c
/// through `route`; None when the route cannot take these operands.
pub fn gemm_via(route: Route, alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize) -> Option<()> {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm inner dimensions differ");
    assert!(a.fits(a.data.len()) && b.fits(b.data.len()), "gemm operand outside its buffer");
    assert!(n <= c_row_stride || m <= 1, "gemm output rows overlap");
    assert!(StridedRef { data: c, rows: m, cols: n, row_stride: c_row_stride, col_stride: 1 }.fits(c.len()), "gemm output outside its buffer");
    if !route.accepts(b.col_stride) {
        return None;
    }
    if m == 0 || n == 0 {
        return Some(());
    }
    // An empty inner dimension sums nothing: C = beta C (zeros for beta 0, as numpy).
    if k == 0 {
        for i in 0..m {
            let row = &mut c[i * c_row_stride..][..n];
            if beta == 0.0 {
                row.fill(0.0)
            } else {
                row.iter_mut().for_each(|v| *v *= beta)
            }
        }
        return Some(());
    }
    let parallel = threads::num_threads() > 1 && m * n * k >= PARALLEL_MIN_FLOPS;
    match route {
        Route::RowUpdates => row_updates(alpha, a, b, beta, c, c_row_stride, parallel),
        Route::SmallOutput => small_output(alpha, a, b, beta, c, c_row_stride, parallel),
        Route::MatrixMultiply | Route::Packed => packed(route, alpha, a, b, beta, c, c_row_stride, parallel),
    }
    Some(())
}

/// `c` (m x n from the start of `c`, rows `c_row_stride` apart) = alpha * a * b + beta * c,
/// for blocks of larger matrices and transposed operands, read in place.
pub fn gemm_strided(alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize) {
    let route = route_for(a.rows, a.cols, b.cols, b.col_stride);
    gemm_via(route, alpha, a, b, beta, c, c_row_stride).expect("route_for picks a route that takes the operands");
}

/// `c` (m x n, row-major) = alpha * a * b + beta * c.
pub fn gemm(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32]) {
    let ((m, k), (k2, n)) = (a.dims(), b.dims());
    assert_eq!(k, k2, "gemm inner dimensions differ");
    assert_eq!(c.len(), m * n, "gemm output has the wrong size");
    gemm_strided(alpha, a.strided(), b.strided(), beta, c, n.max(1));
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
    use crate::rng::Rng;

    fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()
    }

    #[test]
    fn every_transpose_combination_matches_the_reference() {
        let mut rng = Rng::new(3);
        // Sizes on both sides of the parallel threshold and off the micro-kernel multiples.
        // Also the skinny paths: a small inner dimension, and a small output with a long one.
        for &(m, k, n) in &[(3, 5, 7), (32, 784, 128), (130, 70, 257), (1, 9, 1), (3000, 9, 32), (9, 20000, 32), (300, 16, 40), (1, 784, 128), (4, 128, 10)] {
            for &(ta, tb) in &[(false, false), (true, false), (false, true), (true, true)] {
                let a = random(m * k, &mut rng);
                let b = random(k * n, &mut rng);
                let ar = if ta { MatRef::new(&a, k, m).t() } else { MatRef::new(&a, m, k) };
                let br = if tb { MatRef::new(&b, n, k).t() } else { MatRef::new(&b, k, n) };
                let c0 = random(m * n, &mut rng);
                let (mut c, mut r) = (c0.clone(), c0.clone());
                gemm(0.5, ar, br, 0.25, &mut c);
                gemm_reference(0.5, ar, br, 0.25, &mut r);
                for (x, y) in c.iter().zip(&r) {
                    assert!((x - y).abs() < 1e-3 * (1.0 + y.abs()), "{m}x{k}x{n} {ta} {tb}: {x} vs {y}");
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
            let mut c = c0.to_vec();
            if gemm_via(route, alpha, a, b, beta, &mut c, c_row_stride).is_none() {
                assert!(!route.accepts(b.col_stride), "{label}: {route:?} refused operands it accepts");
                continue;
            }
            for (idx, (x, y)) in c.iter().zip(&want).enumerate() {
                let close = (x - y).abs() <= 1e-4 * (1.0 + k as f32).sqrt() * (1.0 + y.abs()) || (x.is_nan() && y.is_nan());
                assert!(close, "{label} via {route:?}: C[{idx}] = {x}, reference {y}");
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
                    let a_buf = random(a_rows * (a_cols + pad), &mut rng);
                    let b_buf = random(b_rows * (b_cols + pad), &mut rng);
                    let a = StridedRef::new(&a_buf, a_rows, a_cols, a_cols + pad);
                    let b = StridedRef::new(&b_buf, b_rows, b_cols, b_cols + pad);
                    let (a, b) = (if ta { a.t() } else { a }, if tb { b.t() } else { b });
                    let c_row_stride = n + pad;
                    let mut c0 = random(m * c_row_stride, &mut rng);
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
    fn the_chosen_route_takes_its_operands() {
        for &(m, k, n) in &[(1, 784, 128), (32, 784, 128), (784, 32, 128), (32, 128, 784), (3000, 9, 32), (9, 20000, 32)] {
            for col_stride in [1, 7] {
                assert!(route_for(m, k, n, col_stride).accepts(col_stride), "{m}x{k}x{n} col stride {col_stride}");
            }
        }
    }

    #[test]
    fn strided_blocks_match_the_reference() {
        // One column block of A times one column block of B into one column block of C, as a
        // grouped convolution uses them, plain and transposed, serial and parallel sizes.
        let mut rng = Rng::new(4);
        for &(m, k, n, wide) in &[(5, 3, 4, 3), (600, 40, 24, 4)] {
            let a = random(m * k * wide, &mut rng);
            let b = random(k * n * wide, &mut rng);
            let c0 = random(m * n * wide, &mut rng);
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
