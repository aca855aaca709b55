//! GEMM throughput at the benchmark sizes: `cargo bench -p kiln-core --bench gemm`
//! (KILN_NUM_THREADS=1 for one thread).
use kiln_core::kernels::gemm::{gemm, MatRef};
use std::time::Instant;

fn main() {
    let shapes: &[(&str, usize, usize, usize, bool, bool)] = &[
        ("128", 128, 128, 128, false, false),
        ("256", 256, 256, 256, false, false),
        ("512", 512, 512, 512, false, false),
        ("1024", 1024, 1024, 1024, false, false),
        ("seed fwd [32,784]x[784,128]", 32, 784, 128, false, false),
        ("seed dW  [784,32]x[32,128]", 784, 32, 128, true, false),
        ("seed dX  [32,128]x[128,784]", 32, 128, 784, false, true),
    ];
    for &(name, m, k, n, ta, tb) in shapes {
        let a = vec![0.5f32; m * k];
        let b = vec![0.25f32; k * n];
        let mut c = vec![0f32; m * n];
        let ar = if ta { MatRef::new(&a, k, m).t() } else { MatRef::new(&a, m, k) };
        let br = if tb { MatRef::new(&b, n, k).t() } else { MatRef::new(&b, k, n) };
        let flops = 2.0 * (m * k * n) as f64;
        let reps = ((2e9 / flops) as usize).clamp(3, 20_000);
        gemm(1.0, ar, br, 0.0, &mut c);
        let started = Instant::now();
        for _ in 0..reps {
            gemm(1.0, ar, br, 0.0, &mut c);
        }
        let seconds = started.elapsed().as_secs_f64() / reps as f64;
        println!("{name:32} {:8.1} GFLOP/s  ({:.1} us)", flops / seconds / 1e9, seconds * 1e6);
    }
}
