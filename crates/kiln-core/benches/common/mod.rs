//! What the kernel benches share: a timer that reports the median of repeated runs (medians
//! resist the noise of a shared machine better than means), and random inputs.
// Each bench uses a part of this module.
#![allow(dead_code)]
use kiln_core::rng::Rng;
use std::time::Instant;

/// Median seconds of one call of `f`, after one warm-up call, over at least `MIN_RUNS` runs
/// and about `BUDGET_S` seconds.
pub fn median_seconds(mut f: impl FnMut()) -> f64 {
    const MIN_RUNS: usize = 5;
    const BUDGET_S: f64 = 0.4;
    f();
    let started = Instant::now();
    let mut times = Vec::new();
    while times.len() < MIN_RUNS || (started.elapsed().as_secs_f64() < BUDGET_S && times.len() < 10_000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Prints one line: the median time and the rate, in GFLOP/s for `flops`, GB/s for `bytes`.
pub enum Work {
    Flops(f64),
    Bytes(f64),
}

pub fn report(name: &str, work: Work, seconds: f64) {
    let rate = match work {
        Work::Flops(f) => format!("{:8.1} GFLOP/s", f / seconds / 1e9),
        Work::Bytes(b) => format!("{:8.1} GB/s   ", b / seconds / 1e9),
    };
    println!("{name:52} {rate} {:10.1} us", seconds * 1e6);
}

/// Times `f` and prints its line; returns the median seconds.
pub fn bench(name: &str, work: Work, f: impl FnMut()) -> f64 {
    let seconds = median_seconds(f);
    report(name, work, seconds);
    seconds
}

pub fn random(n: usize, rng: &mut Rng, scale: f32) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(-scale, scale)).collect()
}

/// Whether the command line (`cargo bench --bench x -- words`) asks for section `name`: yes
/// when it names none of `sections`.
pub fn wanted(name: &str, sections: &[&str]) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    !args.iter().any(|a| sections.contains(&a.as_str())) || args.iter().any(|a| a == name)
}
