//! Optimizer update throughput in GB/s (Adam: the weights, gradient and both moments read,
//! the weights and both moments written): `cargo bench -p kiln-core --bench optimizer`.
mod common;

use common::{bench, random, Work};
use kiln_core::optim::{Adam, Optimizer};
use kiln_core::rng::Rng;

fn main() {
    let mut rng = Rng::new(0);
    for params in [1usize << 20, 225_034] {
        let (mut w, g) = (random(params, &mut rng, 0.1), random(params, &mut rng, 0.01));
        let mut adam = Adam::new(0.9, 0.999, 1e-7, false);
        let mut step = 0;
        bench(&format!("adam over {params} parameters"), Work::Bytes(4.0 * 7.0 * params as f64), || {
            step += 1;
            adam.update(0, &mut w, &g, 1e-3, step)
        });
    }
}
