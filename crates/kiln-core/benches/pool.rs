//! Pooling throughput in GB/s (input read + output written; backward: dy and argmax read, dx
//! written): `cargo bench -p kiln-core --bench pool`.
mod common;

use common::{bench, random, Work};
use kiln_core::kernels::conv::{Geometry, Padding};
use kiln_core::kernels::pool::{self, PoolOp};
use kiln_core::rng::Rng;

fn main() {
    let mut rng = Rng::new(0);
    println!("{} threads", kiln_core::threads::num_threads());
    for (name, input, window, stride, padding) in [
        ("seed [64,26,26,32] 2x2", [64, 26, 26, 32], 2, 2, Padding::Valid),
        ("seed [64,11,11,64] 2x2", [64, 11, 11, 64], 2, 2, Padding::Valid),
        ("resnet [1,114,114,64] 3x3/2", [1, 114, 114, 64], 3, 2, Padding::Valid),
        ("vgg [32,56,56,256] 2x2", [32, 56, 56, 256], 2, 2, Padding::Valid),
    ] {
        let g = Geometry::new(&input, (window, window), (stride, stride), (1, 1), padding, "bench").unwrap();
        let (n, out) = (g.batch * g.in_size(), g.batch * g.positions() * g.channels);
        let x = random(n, &mut rng, 1.0);
        let (mut y, mut argmax, mut dx) = (vec![0.0; out], vec![0u32; out], vec![0.0; n]);
        for op in [PoolOp::Max, PoolOp::Average] {
            let label = if op == PoolOp::Max { "max" } else { "average" };
            bench(&format!("{label} {name} forward"), Work::Bytes(4.0 * (n + out) as f64), || pool::forward(op, &g, &x, &mut y, &mut argmax));
            bench(&format!("{label} {name} backward"), Work::Bytes(4.0 * (n + 2 * out) as f64), || {
                dx.fill(0.0);
                pool::backward(op, &g, &y, &argmax, &mut dx)
            });
        }
    }
}
