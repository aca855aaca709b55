//! Optimizer update throughput in GB/s (Adam: the weights, gradient and both moments read,
//! the weights and both moments written): `cargo bench -p kiln-core --bench optimizer`. Each
//! line is one step over its variables swept together, run on a pool thread as the engine
//! runs it; the seed MLP's four variables are one line. Sizes around
//! `optim::PARALLEL_MIN_ELEMENTS` show where splitting over the threads pays (compare with
//! KILN_NUM_THREADS=1).
mod common;

use common::{bench, random, Work};
use kiln_core::optim::{Adam, Optimizer, UpdateOptions, VariableUpdate};
use kiln_core::rng::Rng;

fn main() {
    let mut rng = Rng::new(0);
    let lines: [(&str, Vec<usize>); 9] = [
        ("1M", vec![1 << 20]),
        ("225034", vec![225_034]),
        ("seed MLP (784x128, 128, 128x10, 10)", vec![784 * 128, 128, 1280, 10]),
        ("64K", vec![1 << 16]),
        ("48K", vec![48 << 10]),
        ("32K", vec![1 << 15]),
        ("16K", vec![1 << 14]),
        ("8K", vec![1 << 13]),
        ("4K", vec![1 << 12]),
    ];
    for (name, sizes) in lines {
        let total: usize = sizes.iter().sum();
        let mut ws: Vec<Vec<f32>> = sizes.iter().map(|&n| random(n, &mut rng, 0.1)).collect();
        let mut gs: Vec<Vec<f32>> = sizes.iter().map(|&n| random(n, &mut rng, 0.01)).collect();
        let mut adam = Adam::new(0.9, 0.999, 1e-7, false);
        let options = UpdateOptions::default();
        let mut step = 0;
        kiln_core::threads::run(|| {
            bench(&format!("adam over {name} parameters"), Work::Bytes(4.0 * 7.0 * total as f64), || {
                step += 1;
                let mut updates: Vec<VariableUpdate> = ws.iter_mut().zip(gs.iter_mut()).enumerate().map(|(slot, (param, grad))| VariableUpdate { slot, param, grad }).collect();
                adam.update_all(&mut updates, &options, None, 1e-3, step)
            })
        });
    }
}
