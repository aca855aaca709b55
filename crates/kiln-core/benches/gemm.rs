//! GEMM throughput at the benchmark sizes, every route interleaved:
//! `cargo bench -p kiln-core --bench gemm` (KILN_NUM_THREADS=1 for one thread).
//!
//! Each shape runs each route (`gemm_via`), on the calling thread and split over the pool, in
//! alternating rounds; the median GFLOP/s of the rounds is printed. `*` marks the route `gemm`
//! takes, `<` whether it splits that product. The split columns mean something only on a quiet
//! machine: on a loaded one the second thread waits for a core. `Prepacked` is kiln's own kernel
//! with B packed once outside the timing (constant weights at inference).
//!
//! `cargo bench -p kiln-core --bench gemm -- sweep` instead finds where splitting a product over
//! the pool starts to pay (`gemm::PARALLEL_MIN_FLOPS`): see `sweep`.
use kiln_core::kernels::gemm::{gemm_via, route_for, splits, Route, StridedRef, PARALLEL_MIN_FLOPS};
use kiln_core::kernels::gemm_packed::{gemm_prepacked, PackedB};
use std::time::Instant;

const ROUNDS: usize = 7;

fn main() {
    if std::env::args().any(|a| a == "sweep") {
        return sweep();
    }
    // (name, m, k, n, A transposed, B transposed)
    let shapes: &[(&str, usize, usize, usize, bool, bool)] = &[
        ("n128", 128, 128, 128, false, false),
        ("n256", 256, 256, 256, false, false),
        ("n512", 512, 512, 512, false, false),
        ("n1024", 1024, 1024, 1024, false, false),
        ("seed fwd [32,784]x[784,128]", 32, 784, 128, false, false),
        ("seed dW [784,32]ᵀ·[32,128]", 784, 32, 128, true, false),
        ("seed dX [32,128]·[784,128]ᵀ", 32, 128, 784, false, true),
        ("seed dW pre", 784, 32, 128, false, false),
        ("seed dX pre", 32, 128, 784, false, false),
        ("seed out [32,128]x[128,10]", 32, 128, 10, false, false),
        ("predict 1 [1,784]x[784,128]", 1, 784, 128, false, false),
        ("predict 1024 [1024,784]x[784,128]", 1024, 784, 128, false, false),
        ("short k [3000,9]x[9,32]", 3000, 9, 32, false, false),
        ("long k [9,20000]x[20000,32]", 9, 20000, 32, false, false),
        ("1x1 conv 7x7 [49,2048]x[2048,512]", 49, 2048, 512, false, false),
        ("1x1 conv 56x56 [3136,64]x[64,256]", 3136, 64, 256, false, false),
    ];
    let pool_threads = kiln_core::threads::num_threads();
    println!("{:36} {:>7}  GFLOP/s, median of {ROUNDS} alternating rounds; 1t = the calling thread, split = over the pool", "shape (m x k x n)", "route");
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    for &(name, m, k, n, ta, tb) in shapes {
        // `cargo bench --bench gemm -- n256 seed`: only the shapes whose names contain a word given.
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let a_buf: Vec<f32> = (0..m * k).map(|i| (i % 17) as f32 * 0.1 - 0.8).collect();
        let b_buf: Vec<f32> = (0..k * n).map(|i| (i % 13) as f32 * 0.1 - 0.6).collect();
        let mut c = vec![0f32; m * n];
        let a = if ta { StridedRef::new(&a_buf, k, m, m).t() } else { StridedRef::new(&a_buf, m, k, k) };
        let b = if tb { StridedRef::new(&b_buf, n, k, k).t() } else { StridedRef::new(&b_buf, k, n, n) };
        let flops = 2.0 * (m * k * n) as f64;
        let reps = ((2e7 / flops) as usize).clamp(3, 20_000);
        let chosen = route_for(m, k, n);
        // Row updates are 5-30x slower past a few rows: timed only where they could matter.
        // None: the prepacked kernel.
        let routes: Vec<Option<Route>> = Route::ALL.into_iter().filter(|&r| r != Route::RowUpdates || m * k * n <= 1 << 24).map(Some).chain([None]).collect();
        let packed = PackedB::new(b);
        let mut rates = vec![[Vec::new(), Vec::new()]; routes.len()];
        for _ in 0..ROUNDS {
            for (r, &route) in routes.iter().enumerate() {
                for (t, rate) in rates[r].iter_mut().enumerate() {
                    let mut run = || match route {
                        Some(route) => gemm_via(route, Some(t == 1), 1.0, a, b, 0.0, &mut c, n),
                        None => gemm_prepacked(1.0, a, &packed, 0.0, &mut c, n, t == 1),
                    };
                    run();
                    let started = Instant::now();
                    for _ in 0..reps {
                        run()
                    }
                    rate.push(flops * reps as f64 / started.elapsed().as_secs_f64() / 1e9);
                }
            }
        }
        for (r, route) in routes.iter().enumerate() {
            let median = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let [one, all] = &mut rates[r];
            let mark = if *route == Some(chosen) { "*" } else { " " };
            let (one_mark, all_mark) = if splits(m, k, n) { (" ", "<") } else { ("<", " ") };
            println!("{name:36} {mark}{:>14}  1t {:7.1}{one_mark} split {pool_threads}t {:7.1}{all_mark}", route.map_or("Prepacked".to_string(), |r| format!("{r:?}")), median(one), median(all));
        }
    }
}

/// The fork/join crossover: for each shape family (square, short inner dimension as the seed
/// MLP's dW, few rows as its dX, long inner dimension as its forward product), products of
/// growing size run on the calling thread and split over the pool in alternating rounds, called
/// from outside the pool (an eager op on the JavaScript thread) and from a pool thread (the
/// engine). Prints the median and the best microseconds of each and the first size from which
/// the split's best beats the calling thread's best on that size and every larger one: on a
/// loaded machine the medians mostly measure who got a core, the best what the split costs when
/// the second core is free (the case the threshold is for).
fn sweep() {
    const SWEEP_ROUNDS: usize = 41;
    // (family, m, k, n) for each size; sizes from 2^17 to 2^23 multiply-adds.
    type Mkn = (usize, usize, usize);
    let families: Vec<(&str, Vec<Mkn>)> = vec![
        ("square n^3", [48, 64, 80, 96, 112, 128, 144, 160, 192, 224, 256].iter().map(|&n| (n, n, n)).collect()),
        ("short k (m x 32 x 128)", [32, 64, 96, 128, 192, 256, 384, 512, 784, 1024, 2048].iter().map(|&m| (m, 32, 128)).collect()),
        ("few rows (32 x 128 x n)", [32, 64, 96, 128, 192, 256, 384, 512, 784, 1024, 2048].iter().map(|&n| (32, 128, n)).collect()),
        ("long k (32 x k x 128)", [32, 64, 96, 128, 192, 256, 384, 512, 784, 1024, 2048].iter().map(|&k| (32, k, 128)).collect()),
    ];
    let pool = kiln_core::threads::num_threads();
    println!("fork/join sweep, {pool} pool threads, median and best us of {SWEEP_ROUNDS} alternating rounds (threshold now {PARALLEL_MIN_FLOPS} multiply-adds)");
    for (family, sizes) in families {
        for in_pool in [false, true] {
            let caller = if in_pool { "pool thread" } else { "outside the pool" };
            println!("{family}, called from {caller}:");
            println!("  {:>16} {:>10} {:>10} {:>10} {:>8} {:>10} {:>10} {:>8}", "m x k x n", "mul-adds", "1t median", "split", "speedup", "1t best", "split", "speedup");
            let mut wins = Vec::new();
            for &(m, k, n) in &sizes {
                let a_buf: Vec<f32> = (0..m * k).map(|i| (i % 17) as f32 * 0.1 - 0.8).collect();
                let b_buf: Vec<f32> = (0..k * n).map(|i| (i % 13) as f32 * 0.1 - 0.6).collect();
                let mut c = vec![0f32; m * n];
                let (a, b) = (StridedRef::new(&a_buf, m, k, k), StridedRef::new(&b_buf, k, n, n));
                let reps = ((4e6 / (m * k * n) as f64) as usize).clamp(2, 2000);
                let mut times = [Vec::new(), Vec::new()];
                for _ in 0..SWEEP_ROUNDS {
                    for (split, t) in times.iter_mut().enumerate() {
                        let mut timed = || {
                            gemm_via(Route::Gemm, Some(split == 1), 1.0, a, b, 0.0, &mut c, n);
                            let started = Instant::now();
                            for _ in 0..reps {
                                gemm_via(Route::Gemm, Some(split == 1), 1.0, a, b, 0.0, &mut c, n);
                            }
                            started.elapsed().as_secs_f64() * 1e6 / reps as f64
                        };
                        t.push(if in_pool { kiln_core::threads::run(timed) } else { timed() });
                    }
                }
                let [(one, one_best), (two, two_best)] = times.map(|mut v| {
                    v.sort_by(f64::total_cmp);
                    (v[v.len() / 2], v[0])
                });
                wins.push((m * k * n, two_best < one_best));
                println!("  {:>16} {:>10} {:>10.1} {:>10.1} {:>8.2} {:>10.1} {:>10.1} {:>8.2}", format!("{m}x{k}x{n}"), m * k * n, one, two, one / two, one_best, two_best, one_best / two_best);
            }
            // The first size from which the split wins every larger size too.
            let from = (0..wins.len()).find(|&i| wins[i..].iter().all(|w| w.1)).map(|i| wins[i].0);
            match from {
                Some(f) => println!("  crossover: split wins from {f} multiply-adds (2^{:.1})", (f as f64).log2()),
                None => println!("  crossover: the split never wins at every larger size here"),
            }
        }
    }
}
