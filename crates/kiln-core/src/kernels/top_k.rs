//! The k largest entries of each row (the last axis), largest first, ties to the lower index
//! (Keras' `ops.top_k` with `sorted=True`).

/// Writes each row's k largest values and their positions within the row.
pub fn forward(x: &[f32], row: usize, k: usize, values: &mut [f32], positions: &mut [u32]) {
    let mut order: Vec<u32> = Vec::with_capacity(row);
    for ((x, v), p) in x.chunks_exact(row.max(1)).zip(values.chunks_exact_mut(k.max(1))).zip(positions.chunks_exact_mut(k.max(1))) {
        order.clear();
        order.extend(0..row as u32);
        // NaN ranks above everything, as in sorting by descending value with NaN largest.
        order.sort_by(|&a, &b| {
            let (xa, xb) = (x[a as usize], x[b as usize]);
            xb.partial_cmp(&xa).unwrap_or_else(|| xb.is_nan().cmp(&xa.is_nan()).reverse()).then(a.cmp(&b))
        });
        for j in 0..k {
            p[j] = order[j];
            v[j] = x[order[j] as usize];
        }
    }
}

/// dx += dy at the positions the values came from.
pub fn backward(dy: &[f32], positions: &[u32], row: usize, k: usize, dx: &mut [f32]) {
    for (r, (g, p)) in dy.chunks_exact(k.max(1)).zip(positions.chunks_exact(k.max(1))).enumerate() {
        for (g, &p) in g.iter().zip(p) {
            dx[r * row + p as usize] += g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    #[test]
    fn top_k_matches_a_sort_and_finite_differences() {
        let x = vec![0.3, -1.0, 2.5, 0.9, 4.0, 1.0, 1.0, -2.0];
        let (mut v, mut p) = (vec![0.0; 4], vec![0u32; 4]);
        forward(&x, 4, 2, &mut v, &mut p);
        assert_eq!(v, vec![2.5, 0.9, 4.0, 1.0]);
        assert_eq!(p, vec![2, 3, 0, 1]);
        let x = vec![0.3, -1.0, 2.5, 0.9, 4.0, 1.1, 1.0, -2.0];
        check_gradient(
            "top_k",
            &x,
            |x| {
                let (mut v, mut p) = (vec![0.0; 6], vec![0u32; 6]);
                forward(x, 4, 3, &mut v, &mut p);
                v
            },
            |x, dy| {
                let (mut v, mut p) = (vec![0.0; 6], vec![0u32; 6]);
                forward(x, 4, 3, &mut v, &mut p);
                let mut dx = vec![0.0; 8];
                backward(dy, &p, 4, 3, &mut dx);
                dx
            },
        );
    }
}
