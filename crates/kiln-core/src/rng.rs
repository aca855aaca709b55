//! A small, fast, seedable generator (xoshiro256++): the same seed gives the same
//! initial weights, shuffles and dropout masks on every machine.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Debug, Clone)]
pub struct Rng {
    state: [u64; 4],
}

fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut s = seed;
        Rng { state: [splitmix64(&mut s), splitmix64(&mut s), splitmix64(&mut s), splitmix64(&mut s)] }
    }

    /// The generator's whole state, to save it with a model and continue the stream later.
    pub fn state(&self) -> [u64; 4] {
        self.state
    }

    /// A generator continuing from a saved `state`; None for the all-zero state, which
    /// xoshiro cannot leave (it would draw zeros for ever).
    pub fn from_state(state: [u64; 4]) -> Option<Rng> {
        (state != [0; 4]).then_some(Rng { state })
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 24 bits of precision, as float32 can hold.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// Uniform in [0, 1) as f64, for the Box-Muller transform.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn uniform(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.next_f32()
    }

    pub fn normal(&mut self, mean: f32, std: f32) -> f32 {
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        mean + std * z as f32
    }

    /// Uniform integer in [low, high).
    pub fn int_below(&mut self, bound: u64) -> u64 {
        // Multiply-shift: unbiased enough for shuffles and sampling at these sizes.
        ((self.next_u64() >> 32) * bound) >> 32
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.int_below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

static GLOBAL: Mutex<Option<Rng>> = Mutex::new(None);
/// How many times `set_global_seed` ran: engines made before a reseed draw their dropout
/// stream again, so `setSeed(n)` before `fit` repeats the masks whenever the engine was made.
static SEED_GENERATION: AtomicU64 = AtomicU64::new(0);
/// The seed of the last `set_global_seed`.
static LAST_SEED: AtomicU64 = AtomicU64::new(0);

/// Reseeds the process-wide generator (kiln.setSeed).
pub fn set_global_seed(seed: u64) {
    *GLOBAL.lock().unwrap_or_else(|e| e.into_inner()) = Some(Rng::new(seed));
    LAST_SEED.store(seed, Ordering::SeqCst);
    SEED_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// The seed an engine's dropout stream restarts from after `set_global_seed`: derived from
/// the seed alone (not drawn from the global stream), so every engine reseeded after
/// `setSeed(n)` draws the same masks whatever else used the global generator meanwhile.
pub fn dropout_seed() -> u64 {
    let mut s = LAST_SEED.load(Ordering::SeqCst) ^ 0xD5A6_1266_F0C9_392C;
    splitmix64(&mut s)
}

/// Counts the calls of `set_global_seed` so far.
pub fn seed_generation() -> u64 {
    SEED_GENERATION.load(Ordering::SeqCst)
}

/// Runs `f` with the process-wide generator. On first use it is seeded from `KILN_SEED` when
/// set (repeatable runs of unchanged programs), else from the clock.
pub fn with_global<T>(f: impl FnOnce(&mut Rng) -> T) -> T {
    let mut guard = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let rng = guard.get_or_insert_with(|| {
        if let Some(seed) = std::env::var("KILN_SEED").ok().and_then(|s| s.parse::<u64>().ok()) {
            return Rng::new(seed);
        }
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        Rng::new(nanos)
    });
    f(rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_state_continues_the_stream() {
        let mut a = Rng::new(7);
        a.next_u64();
        let mut b = Rng::from_state(a.state()).unwrap();
        assert_eq!((0..5).map(|_| a.next_u64()).collect::<Vec<_>>(), (0..5).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert!(Rng::from_state([0; 4]).is_none());
    }

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn moments_are_right() {
        let mut r = Rng::new(1);
        let n = 200_000;
        let u: Vec<f32> = (0..n).map(|_| r.uniform(-1.0, 3.0)).collect();
        let mean = u.iter().sum::<f32>() / n as f32;
        assert!((mean - 1.0).abs() < 0.02, "uniform mean {mean}");
        let g: Vec<f32> = (0..n).map(|_| r.normal(2.0, 0.5)).collect();
        let gm = g.iter().sum::<f32>() / n as f32;
        let gv = g.iter().map(|x| (x - gm) * (x - gm)).sum::<f32>() / n as f32;
        assert!((gm - 2.0).abs() < 0.01 && (gv.sqrt() - 0.5).abs() < 0.01, "normal {gm} {gv}");
    }
}
