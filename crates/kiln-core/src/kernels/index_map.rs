//! Ops that copy entries by a position map planned once: each output entry reads one input
//! entry (numpy's broadcast_to, tile, and where's three operands). The backward pass adds each
//! output gradient into the entry it read.

/// For each entry of `out` (row-major), the entry of `shape` it reads under numpy
/// broadcasting (`shape` right-aligned; axes of 1 repeat).
pub fn broadcast_map(shape: &[usize], out: &[usize]) -> Vec<u32> {
    map_by(
        out,
        |o, axis| {
            let offset = out.len() - shape.len();
            if axis < offset || shape[axis - offset] == 1 {
                None
            } else {
                Some(o)
            }
        },
        shape,
    )
}

/// For each entry of the tiled output, the entry of `shape` it reads: axis a of the output is
/// `repeats[a]` whole copies of the input's axis a.
pub fn tile_map(shape: &[usize], repeats: &[usize]) -> Vec<u32> {
    let out: Vec<usize> = shape.iter().zip(repeats).map(|(d, r)| d * r).collect();
    map_by(&out, |o, axis| Some(o % shape[axis]), shape)
}

/// Walks every output index; `source(i, axis)` gives the input index along the input's axis
/// for output index `i` on output `axis`, or None where the input has no such axis or
/// broadcasts it.
fn map_by(out: &[usize], source: impl Fn(usize, usize) -> Option<usize>, shape: &[usize]) -> Vec<u32> {
    let total: usize = out.iter().product();
    let offset = out.len() - shape.len();
    let mut strides = vec![0usize; shape.len()];
    let mut stride = 1;
    for a in (0..shape.len()).rev() {
        strides[a] = stride;
        stride *= shape[a];
    }
    let mut map = Vec::with_capacity(total);
    let mut index = vec![0usize; out.len()];
    for _ in 0..total {
        let mut at = 0;
        for (axis, &i) in index.iter().enumerate() {
            if let Some(k) = source(i, axis) {
                at += k * strides[axis - offset];
            }
        }
        map.push(at as u32);
        for axis in (0..out.len()).rev() {
            index[axis] += 1;
            if index[axis] < out[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    map
}

/// y[o] = x[map[o]].
pub fn gather(x: &[f32], map: &[u32], y: &mut [f32]) {
    y.iter_mut().zip(map).for_each(|(y, &m)| *y = x[m as usize]);
}

/// dx[map[o]] += dy[o].
pub fn scatter_add(dy: &[f32], map: &[u32], dx: &mut [f32]) {
    dy.iter().zip(map).for_each(|(g, &m)| dx[m as usize] += g);
}

/// numpy's where over maps planned by `broadcast_map`: x where the condition is non-zero,
/// else y.
pub fn select(condition: &[f32], x: &[f32], y: &[f32], maps: [&[u32]; 3], out: &mut [f32]) {
    for (o, v) in out.iter_mut().enumerate() {
        *v = if condition[maps[0][o] as usize] != 0.0 { x[maps[1][o] as usize] } else { y[maps[2][o] as usize] };
    }
}

/// The gradients of `select`: dy goes to x where the condition holds, else to y.
pub fn select_backward(condition: &[f32], maps: [&[u32]; 3], dy: &[f32], mut dx: Option<&mut [f32]>, mut d_y: Option<&mut [f32]>) {
    for (o, &g) in dy.iter().enumerate() {
        let target = if condition[maps[0][o] as usize] != 0.0 { (dx.as_deref_mut(), maps[1][o]) } else { (d_y.as_deref_mut(), maps[2][o]) };
        if let (Some(d), at) = target {
            d[at as usize] += g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::check_gradient;

    #[test]
    fn maps_match_numpy() {
        // np.broadcast_to(np.arange(3).reshape(3, 1), (2, 3, 2)).ravel()
        assert_eq!(broadcast_map(&[3, 1], &[2, 3, 2]), vec![0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]);
        // np.tile(np.arange(6).reshape(2, 3), (2, 2)).ravel()
        assert_eq!(tile_map(&[2, 3], &[2, 2]), vec![0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
        assert_eq!(tile_map(&[2], &[3]), vec![0, 1, 0, 1, 0, 1]);
    }

    #[test]
    fn select_matches_a_naive_loop_and_finite_differences() {
        // condition [2, 1], x [3], y [2, 3] -> [2, 3]
        let (c, x, y) = (vec![1.0, 0.0], vec![0.5, -1.0, 2.0], vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
        let out = [2, 3];
        let maps = [broadcast_map(&[2, 1], &out), broadcast_map(&[3], &out), broadcast_map(&[2, 3], &out)];
        let run = |x: &[f32], y: &[f32]| {
            let mut o = vec![0.0; 6];
            select(&c, x, y, [&maps[0], &maps[1], &maps[2]], &mut o);
            o
        };
        assert_eq!(run(&x, &y), vec![0.5, -1.0, 2.0, 0.4, 0.5, 0.6]);
        check_gradient(
            "where wrt x",
            &x,
            |x| run(x, &y),
            |_, dy| {
                let mut dx = vec![0.0; 3];
                select_backward(&c, [&maps[0], &maps[1], &maps[2]], dy, Some(&mut dx), None);
                dx
            },
        );
        check_gradient(
            "where wrt y",
            &y,
            |y| run(&x, y),
            |_, dy| {
                let mut d = vec![0.0; 6];
                select_backward(&c, [&maps[0], &maps[1], &maps[2]], dy, None, Some(&mut d));
                d
            },
        );
        let map = tile_map(&[3], &[2]);
        check_gradient(
            "tile",
            &x,
            |x| {
                let mut o = vec![0.0; 6];
                gather(x, &map, &mut o);
                o
            },
            |_, dy| {
                let mut dx = vec![0.0; 3];
                scatter_add(dy, &map, &mut dx);
                dx
            },
        );
    }
}
