//! Single-precision matrix multiply, C = alpha * op(A) * op(B) + beta * C, on matrixmultiply's
//! AVX2/FMA kernels; large products are split into column or row blocks across the rayon pool.
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
    /// Row and column strides of the logical matrix.
    fn strides(&self) -> (isize, isize) {
        if self.transposed {
            (1, self.cols as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

impl MatRef<'_> {
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f32 {
        if self.transposed {
            self.data[j * self.cols + i]
        } else {
            self.data[i * self.cols + j]
        }
    }
    /// Row `i` of the logical matrix when it is contiguous.
    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// Below this many multiply-adds one thread is faster than fork/join.
const PARALLEL_MIN_FLOPS: usize = 1 << 20;
/// Inner dimensions up to this use row updates: packing would cost more than the arithmetic.
const SKINNY_INNER: usize = 16;
/// Products with up to this many rows of C (and under PARALLEL_MIN_FLOPS) use row updates.
const FEW_ROWS: usize = 4;
/// Outputs up to this many values with a long inner dimension accumulate in place.
const SMALL_OUTPUT: usize = 4096;

/// C = alpha A B + beta C as k row updates per row of C (small k, or few rows; B rows contiguous).
fn gemm_small_inner(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32]) {
    let (m, k) = a.dims();
    let n = b.dims().1;
    let rows = |(i, c_row): (usize, &mut [f32])| {
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
    use rayon::prelude::*;
    if m * n * k >= PARALLEL_MIN_FLOPS && threads::num_threads() > 1 {
        c.par_chunks_mut(n).enumerate().with_min_len(64).for_each(rows);
    } else {
        c.chunks_mut(n).enumerate().for_each(rows);
    }
}

/// C = alpha A B + beta C for a small C and a long inner dimension (B rows contiguous):
/// each thread sums a share of the k outer products into its own copy of C.
fn gemm_small_output(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32]) {
    let (m, k) = a.dims();
    let n = b.dims().1;
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
    let sum = if threads > 1 && m * n * k >= PARALLEL_MIN_FLOPS {
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
    for (cv, sv) in c.iter_mut().zip(&sum) {
        *cv = alpha * sv + if beta == 0.0 { 0.0 } else { beta * *cv };
    }
}

struct SendPtr(*mut f32);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

/// `c` (m x n, row-major) = alpha * a * b + beta * c.
pub fn gemm(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32]) {
    let (m, k) = a.dims();
    let (k2, n) = b.dims();
    assert_eq!(k, k2, "gemm inner dimensions differ");
    assert_eq!(c.len(), m * n, "gemm output has the wrong size");
    if m == 0 || n == 0 {
        return;
    }
    // An empty inner dimension sums nothing: C = beta C (zeros for beta 0, as numpy).
    if k == 0 {
        if beta == 0.0 {
            c.fill(0.0)
        } else {
            c.iter_mut().for_each(|v| *v *= beta)
        }
        return;
    }
    // Few rows (inference on a sample or a handful): row updates read B once per row, where
    // packing it would copy all of B on every call.
    if !b.transposed && (k <= SKINNY_INNER || (m <= FEW_ROWS && m * n * k < PARALLEL_MIN_FLOPS)) {
        return gemm_small_inner(alpha, a, b, beta, c);
    }
    if !b.transposed && m * n <= SMALL_OUTPUT && k >= 64 * m.max(n) {
        return gemm_small_output(alpha, a, b, beta, c);
    }
    let (rsa, csa) = a.strides();
    let (rsb, csb) = b.strides();
    let threads = threads::num_threads();
    let work = m * n * k;
    let c_ptr = SendPtr(c.as_mut_ptr());
    // Each block writes a disjoint part of C; A and B are only read.
    let block = |row0: usize, rows: usize, col0: usize, cols: usize| unsafe {
        let c_ptr = &c_ptr;
        matrixmultiply::sgemm(
            rows,
            k,
            cols,
            alpha,
            a.data.as_ptr().offset(row0 as isize * rsa),
            rsa,
            csa,
            b.data.as_ptr().offset(col0 as isize * csb),
            rsb,
            csb,
            beta,
            c_ptr.0.add(row0 * n + col0),
            n as isize,
            1,
        );
    };
    if threads <= 1 || work < PARALLEL_MIN_FLOPS {
        block(0, m, 0, n);
        return;
    }
    use rayon::prelude::*;
    // Split the longer side, in multiples of the micro-kernel's 16 (AVX-512) / 8 lanes.
    if n >= m {
        let chunk = n.div_ceil(threads).next_multiple_of(16).min(n);
        (0..n.div_ceil(chunk)).into_par_iter().for_each(|i| {
            let col0 = i * chunk;
            block(0, m, col0, chunk.min(n - col0));
        });
    } else {
        let chunk = m.div_ceil(threads).next_multiple_of(8).min(m);
        (0..m.div_ceil(chunk)).into_par_iter().for_each(|i| {
            let row0 = i * chunk;
            block(row0, chunk.min(m - row0), 0, n);
        });
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
}

/// `c` (m x n from the start of `c`, rows `c_row_stride` apart) = alpha * a * b + beta * c,
/// for blocks of larger matrices; rows of C are split over threads when the product is large.
pub fn gemm_strided(alpha: f32, a: StridedRef, b: StridedRef, beta: f32, c: &mut [f32], c_row_stride: usize) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm inner dimensions differ");
    assert!(a.fits(a.data.len()) && b.fits(b.data.len()), "gemm operand outside its buffer");
    assert!(StridedRef { data: c, rows: m, cols: n, row_stride: c_row_stride, col_stride: 1 }.fits(c.len()), "gemm output outside its buffer");
    if m == 0 || n == 0 {
        return;
    }
    let c_ptr = SendPtr(c.as_mut_ptr());
    // Each block writes its own rows of C; A and B are only read.
    let block = |row0: usize, rows: usize| unsafe {
        let c_ptr = &c_ptr;
        matrixmultiply::sgemm(
            rows,
            k,
            n,
            alpha,
            a.data.as_ptr().add(row0 * a.row_stride),
            a.row_stride as isize,
            a.col_stride as isize,
            b.data.as_ptr(),
            b.row_stride as isize,
            b.col_stride as isize,
            beta,
            c_ptr.0.add(row0 * c_row_stride),
            c_row_stride as isize,
            1,
        );
    };
    let threads = threads::num_threads();
    if threads <= 1 || m * n * k < PARALLEL_MIN_FLOPS || m < 16 {
        block(0, m);
        return;
    }
    use rayon::prelude::*;
    let chunk = m.div_ceil(threads).next_multiple_of(8).min(m);
    (0..m.div_ceil(chunk)).into_par_iter().for_each(|i| block(i * chunk, chunk.min(m - i * chunk)));
}

/// Naive reference, for tests.
pub fn gemm_reference(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32]) {
    let (m, k) = a.dims();
    let (_, n) = b.dims();
    let at = |i: usize, p: usize| if a.transposed { a.data[p * a.cols + i] } else { a.data[i * a.cols + p] };
    let bt = |p: usize, j: usize| if b.transposed { b.data[j * b.cols + p] } else { b.data[p * b.cols + j] };
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f64;
            for p in 0..k {
                s += at(i, p) as f64 * bt(p, j) as f64;
            }
            c[i * n + j] = alpha * s as f32 + beta * c[i * n + j];
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
