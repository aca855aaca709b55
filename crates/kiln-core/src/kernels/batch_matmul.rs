//! Batched matrix products: a [batch, m, k] · b [batch, k, n] -> [batch, m, n] (Keras'
//! batch_dot, the Dot layer), parallel over the batch.
use super::gemm::{gemm, MatRef};
use rayon::prelude::*;

/// Sizes of one batched product.
#[derive(Debug, Clone, Copy)]
pub struct BatchDims {
    pub batch: usize,
    pub m: usize,
    pub k: usize,
    pub n: usize,
}

/// c (= with `beta` 0, += with 1) op(a) · op(b) for each of `batch` samples; a and b are
/// given as (stored rows, stored columns, whether op transposes).
fn product(batch: usize, a: &[f32], a_dims: (usize, usize, bool), b: &[f32], b_dims: (usize, usize, bool), beta: f32, c: &mut [f32]) {
    let (a_size, b_size, c_size) = (a_dims.0 * a_dims.1, b_dims.0 * b_dims.1, c.len() / batch.max(1));
    if a_size == 0 || b_size == 0 || c_size == 0 {
        if beta == 0.0 {
            c.fill(0.0);
        }
        return;
    }
    c.par_chunks_mut(c_size).zip(a.par_chunks(a_size)).zip(b.par_chunks(b_size)).for_each(|((c, a), b)| {
        let a = MatRef::new(a, a_dims.0, a_dims.1);
        let b = MatRef::new(b, b_dims.0, b_dims.1);
        gemm(1.0, if a_dims.2 { a.t() } else { a }, if b_dims.2 { b.t() } else { b }, beta, c);
    });
}

pub fn forward(d: BatchDims, a: &[f32], b: &[f32], c: &mut [f32]) {
    product(d.batch, a, (d.m, d.k, false), b, (d.k, d.n, false), 0.0, c);
}

/// da += dc · bᵀ and db += aᵀ · dc, each skipped with None.
pub fn backward(d: BatchDims, a: &[f32], b: &[f32], dc: &[f32], da: Option<&mut [f32]>, db: Option<&mut [f32]>) {
    if let Some(da) = da {
        product(d.batch, dc, (d.m, d.n, false), b, (d.k, d.n, true), 1.0, da);
    }
    if let Some(db) = db {
        product(d.batch, a, (d.m, d.k, true), dc, (d.m, d.n, false), 1.0, db);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    fn naive(d: BatchDims, a: &[f32], b: &[f32]) -> Vec<f32> {
        let mut c = vec![0.0; d.batch * d.m * d.n];
        for s in 0..d.batch {
            for i in 0..d.m {
                for j in 0..d.n {
                    c[(s * d.m + i) * d.n + j] = (0..d.k).map(|p| a[(s * d.m + i) * d.k + p] * b[(s * d.k + p) * d.n + j]).sum();
                }
            }
        }
        c
    }

    #[test]
    fn matches_the_definition_with_gradients() {
        let d = BatchDims { batch: 3, m: 2, k: 4, n: 3 };
        let a: Vec<f32> = (0..24).map(|v| (v as f32 * 0.7).sin()).collect();
        let b: Vec<f32> = (0..36).map(|v| (v as f32 * 0.3).cos()).collect();
        let mut c = vec![0.0; 18];
        forward(d, &a, &b, &mut c);
        for (x, y) in c.iter().zip(naive(d, &a, &b)) {
            assert!((x - y).abs() < 1e-5);
        }
        check_gradient(
            "batch matmul da",
            &a,
            |a| naive(d, a, &b),
            |a, dc| {
                let mut da = vec![0.0; a.len()];
                backward(d, a, &b, dc, Some(&mut da), None);
                da
            },
        );
        check_gradient(
            "batch matmul db",
            &b,
            |b| naive(d, &a, b),
            |b, dc| {
                let mut db = vec![0.0; b.len()];
                backward(d, &a, b, dc, None, Some(&mut db));
                db
            },
        );
    }
}
