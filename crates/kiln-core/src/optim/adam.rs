use super::flat_sweep::{self, Piece};
use super::update_options::{decayed, GradClip};
use super::{Optimizer, SlotLayout, SlotState, UpdateOptions, VariableUpdate};

/// Keras 3's Adam: m += (g - m)(1 - b1); v += (g² - v)(1 - b2);
/// w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps).
/// With `amsgrad`, the denominator uses the largest v seen so far (v_hat = max(v_hat, v)).
/// AdamW is this rule plus the engine's decoupled weight decay.
///
/// One step is one vectorised sweep over all the variables as a flat range (split over the
/// pool's threads above `flat_sweep::PARALLEL_MIN_ELEMENTS`), clipping the gradient, decaying
/// the weight and updating m, v (and v_hat) and the weight per element, with the same float32
/// operations in the same order as the rule's separate passes.
pub struct Adam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    amsgrad: bool,
    state: SlotState,
}

impl Adam {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32, amsgrad: bool) -> Self {
        Adam { beta_1, beta_2, epsilon, amsgrad, state: SlotState::default() }
    }

    fn slots(&self) -> usize {
        if self.amsgrad {
            3
        } else {
            2
        }
    }

    /// The step's constants: the bias corrections folded into the step size, once per step.
    fn constants(&self, lr: f32, step: u64, decay: Option<f32>) -> StepConstants {
        let t = step as i32;
        StepConstants {
            alpha: lr * (1.0 - self.beta_2.powi(t)).sqrt() / (1.0 - self.beta_1.powi(t)),
            one_minus_b1: 1.0 - self.beta_1,
            one_minus_b2: 1.0 - self.beta_2,
            epsilon: self.epsilon,
            decay: decay.map(|wd| (wd, lr)),
        }
    }

    /// One step over `variables` (slot, weights, gradient), the gradients clipped as read.
    fn sweep(&mut self, variables: Vec<(usize, &mut [f32], &[f32])>, options: &UpdateOptions, global: Option<f32>, lr: f32, step: u64) {
        let constants = self.constants(lr, step, options.weight_decay);
        let count = self.slots();
        let states = self.state.get_many(variables.iter().map(|(slot, w, _)| (*slot, w.len())), count, 0.0);
        let pieces: Vec<AdamPiece> = variables
            .into_iter()
            .zip(states)
            .filter(|((_, w, _), _)| !w.is_empty())
            .map(|((_, w, g), state)| {
                let clip = options.clip_rule(g, global);
                let (m, rest) = state.split_first_mut().expect("Adam keeps momenta");
                let (v, v_hat) = rest.split_first_mut().expect("Adam keeps velocities");
                AdamPiece { w, g, m, v, v_hat: v_hat.first_mut().map(|x| &mut x[..]), clip }
            })
            .collect();
        flat_sweep::for_each_part(pieces, &|piece| piece.run(&constants));
    }
}

impl Optimizer for Adam {
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, step: u64) {
        // The rule alone: the fused sweep with no clipping and no decay.
        self.sweep(vec![(slot, param, grad)], &UpdateOptions::default(), None, lr, step);
    }

    fn update_all(&mut self, updates: &mut [VariableUpdate<'_>], options: &UpdateOptions, global: Option<f32>, lr: f32, step: u64) {
        let variables = updates.iter_mut().map(|u| (u.slot, &mut *u.param, &*u.grad)).collect();
        self.sweep(variables, options, global, lr, step)
    }

    fn slot_state(&mut self) -> Option<(&mut SlotState, SlotLayout)> {
        let per_variable = self.slots();
        Some((&mut self.state, SlotLayout { per_variable, initial: 0.0 }))
    }
}

#[derive(Clone, Copy)]
struct StepConstants {
    /// lr * sqrt(1 - b2^t) / (1 - b1^t).
    alpha: f32,
    one_minus_b1: f32,
    one_minus_b2: f32,
    epsilon: f32,
    /// Weight decay and learning rate, when decoupled weight decay is on.
    decay: Option<(f32, f32)>,
}

/// One variable's slices (or a part of them) and its gradient's clipping this step.
struct AdamPiece<'a> {
    w: &'a mut [f32],
    g: &'a [f32],
    m: &'a mut [f32],
    v: &'a mut [f32],
    v_hat: Option<&'a mut [f32]>,
    clip: GradClip,
}

impl Piece for AdamPiece<'_> {
    fn len(&self) -> usize {
        self.w.len()
    }

    fn split_at(self, at: usize) -> (Self, Self) {
        let (w0, w1) = self.w.split_at_mut(at);
        let (g0, g1) = self.g.split_at(at);
        let (m0, m1) = self.m.split_at_mut(at);
        let (v0, v1) = self.v.split_at_mut(at);
        let (h0, h1) = match self.v_hat {
            Some(h) => {
                let (h0, h1) = h.split_at_mut(at);
                (Some(h0), Some(h1))
            }
            None => (None, None),
        };
        (AdamPiece { w: w0, g: g0, m: m0, v: v0, v_hat: h0, clip: self.clip }, AdamPiece { w: w1, g: g1, m: m1, v: v1, v_hat: h1, clip: self.clip })
    }
}

impl AdamPiece<'_> {
    /// The sweep, compiled for AVX2 where the CPU has it (no fused multiply-adds: each value
    /// is the one the scalar rule gives). Not AVX-512: on this AMD EPYC (Zen 4) its sweep was
    /// as fast at 225K parameters and 1.6-2x slower at 1M (`cargo bench --bench optimizer`).
    fn run(self, k: &StepConstants) {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: each is called only where the CPU has the features it is compiled for.
            if is_x86_feature_detected!("avx2") {
                return unsafe { self.run_avx2(k) };
            }
        }
        self.run_any(k)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(self, k: &StepConstants) {
        self.run_any(k)
    }

    /// Picks the loop for this piece's clipping and decay, so none branches per element.
    #[inline(always)]
    fn run_any(self, k: &StepConstants) {
        match self.clip {
            GradClip::None => self.with_decay(k, |g| g),
            GradClip::Rescale { limit, denominator } => self.with_decay(k, move |g| GradClip::Rescale { limit, denominator }.apply(g)),
            GradClip::Scale(scale) => self.with_decay(k, move |g| GradClip::Scale(scale).apply(g)),
            GradClip::Clamp(limit) => self.with_decay(k, move |g| GradClip::Clamp(limit).apply(g)),
        }
    }

    #[inline(always)]
    fn with_decay(self, k: &StepConstants, clip: impl Fn(f32) -> f32) {
        match k.decay {
            None => self.elements(k, clip, |w| w),
            Some((wd, lr)) => self.elements(k, clip, move |w| decayed(w, wd, lr)),
        }
    }

    #[inline(always)]
    fn elements(self, k: &StepConstants, clip: impl Fn(f32) -> f32, decay: impl Fn(f32) -> f32) {
        let (alpha, c1, c2, eps) = (k.alpha, k.one_minus_b1, k.one_minus_b2, k.epsilon);
        let n = self.w.len();
        let (w, g, m, v) = (self.w, &self.g[..n], &mut self.m[..n], &mut self.v[..n]);
        match self.v_hat {
            None => {
                for i in 0..n {
                    let g = clip(g[i]);
                    m[i] += (g - m[i]) * c1;
                    v[i] += (g * g - v[i]) * c2;
                    w[i] = decay(w[i]) - alpha * m[i] / (v[i].sqrt() + eps);
                }
            }
            Some(v_hat) => {
                let v_hat = &mut v_hat[..n];
                for i in 0..n {
                    let g = clip(g[i]);
                    m[i] += (g - m[i]) * c1;
                    v[i] += (g * g - v[i]) * c2;
                    v_hat[i] = v_hat[i].max(v[i]);
                    w[i] = decay(w[i]) - alpha * m[i] / (v_hat[i].sqrt() + eps);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The rule as separate passes per variable, as the engine ran it before the fused sweep:
    /// clip the gradient in place, decay the weights, then one scalar loop over m, v (v_hat), w.
    fn reference_step(state: &mut [Vec<Vec<f32>>], ws: &mut [Vec<f32>], gs: &[Vec<f32>], options: &UpdateOptions, amsgrad: bool, lr: f32, step: u64) {
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-7f32);
        let mut gs = gs.to_vec();
        let global = options.global_scale(gs.iter().map(|g| &g[..]));
        for ((w, g), s) in ws.iter_mut().zip(gs.iter_mut()).zip(state.iter_mut()) {
            if let Some(limit) = options.clipnorm.filter(|&l| l > 0.0) {
                let norm = g.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt() as f32;
                let denominator = norm.max(limit);
                g.iter_mut().for_each(|g| *g = *g * limit / denominator);
            } else if let Some(scale) = global {
                g.iter_mut().for_each(|g| *g *= scale);
            } else if let Some(limit) = options.clipvalue.filter(|&l| l > 0.0) {
                g.iter_mut().for_each(|g| *g = g.clamp(-limit, limit));
            }
            if let Some(wd) = options.weight_decay {
                w.iter_mut().for_each(|w| *w -= *w * wd * lr);
            }
            let t = step as i32;
            let alpha = lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
            for i in 0..w.len() {
                s[0][i] += (g[i] - s[0][i]) * (1.0 - b1);
                s[1][i] += (g[i] * g[i] - s[1][i]) * (1.0 - b2);
                let denominator = if amsgrad {
                    s[2][i] = s[2][i].max(s[1][i]);
                    s[2][i]
                } else {
                    s[1][i]
                };
                w[i] -= alpha * s[0][i] / (denominator.sqrt() + eps);
            }
        }
    }

    #[test]
    fn the_fused_sweep_gives_the_separate_passes_bits_for_every_option() {
        // The seed MLP's variables (one flat range past the parallel threshold, cut inside the
        // first) and a small model's (one thread); gradients large enough that every clip acts.
        let cases = [
            r#"{}"#,
            r#"{"clipnorm": 1.0}"#,
            r#"{"clipnorm": 1e6}"#,
            r#"{"global_clipnorm": 2.0}"#,
            r#"{"clipvalue": 0.05}"#,
            r#"{"weight_decay": 0.004}"#,
            r#"{"weight_decay": 0.1, "clipnorm": 0.5}"#,
            r#"{"weight_decay": 0.01, "global_clipnorm": 1.0}"#,
            r#"{"weight_decay": 0.01, "clipvalue": 0.02}"#,
        ];
        for sizes in [vec![784 * 128, 128, 1280, 10], vec![12, 3, 0, 5]] {
            for json in cases {
                for amsgrad in [false, true] {
                    let options: UpdateOptions = serde_json::from_str(json).unwrap();
                    let mut rng = Rng::new(7);
                    let mut ws: Vec<Vec<f32>> = sizes.iter().map(|&n| (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()).collect();
                    let mut expected = ws.clone();
                    let mut state: Vec<Vec<Vec<f32>>> = sizes.iter().map(|&n| vec![vec![0.0; n]; 3]).collect();
                    let mut adam = Adam::new(0.9, 0.999, 1e-7, amsgrad);
                    for step in 1..=3 {
                        // Shrinking gradients, so amsgrad's running maximum differs from v.
                        let scale = 0.1 / step as f32;
                        let gs: Vec<Vec<f32>> = sizes.iter().map(|&n| (0..n).map(|_| rng.uniform(-scale, scale)).collect()).collect();
                        let lr = 0.01 * step as f32;
                        reference_step(&mut state, &mut expected, &gs, &options, amsgrad, lr, step);
                        let global = options.global_scale(gs.iter().map(|g| &g[..]));
                        let mut gs_fused = gs.clone();
                        let mut updates: Vec<VariableUpdate> = ws.iter_mut().zip(gs_fused.iter_mut()).enumerate().map(|(slot, (param, grad))| VariableUpdate { slot, param, grad }).collect();
                        crate::threads::run(|| adam.update_all(&mut updates, &options, global, lr, step));
                        for (k, (w, e)) in ws.iter().zip(&expected).enumerate() {
                            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                            assert!(bits(w) == bits(e), "{json} amsgrad={amsgrad} step {step} variable {k} differs");
                        }
                    }
                    for (k, s) in state.iter().enumerate() {
                        let kept = &adam.state.slots[k];
                        assert_eq!(kept.len(), if amsgrad { 3 } else { 2 });
                        for (a, b) in kept.iter().zip(s) {
                            assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()), "{json} amsgrad={amsgrad}: state of variable {k}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn update_and_update_all_take_the_same_step() {
        // The per-variable entry (GradientApplier's) and the engine's give one result.
        let (mut one, mut all) = (Adam::new(0.9, 0.999, 1e-7, false), Adam::new(0.9, 0.999, 1e-7, false));
        let (mut w1, mut w2) = (vec![0.5f32, -0.25, 1.0], vec![0.5f32, -0.25, 1.0]);
        for step in 1..=2 {
            let g = [0.1f32, -0.3, 0.2];
            one.update(0, &mut w1, &g, 0.01, step);
            let mut g2 = g.to_vec();
            all.update_all(&mut [VariableUpdate { slot: 0, param: &mut w2, grad: &mut g2 }], &UpdateOptions::default(), None, 0.01, step);
        }
        assert_eq!(w1, w2);
    }

    #[test]
    fn first_steps_match_the_formula() {
        // Step 1 moves each weight by about lr against the gradient's sign.
        let mut opt = Adam::new(0.9, 0.999, 1e-7, false);
        let mut w = vec![1.0, -1.0];
        opt.update(0, &mut w, &[0.5, -2.0], 0.001, 1);
        assert!((w[0] - 0.999).abs() < 1e-6 && (w[1] + 0.999).abs() < 1e-6, "{w:?}");
        // Step 2 with the same gradient, computed by hand in f64.
        opt.update(0, &mut w, &[0.5, -2.0], 0.001, 2);
        let (m, v): (f64, f64) = (0.5 * 0.1 * 0.9 + 0.5 * 0.1, 0.25 * 0.001 * 0.999 + 0.25 * 0.001);
        let alpha = 0.001 * (1.0f64 - 0.999f64.powi(2)).sqrt() / (1.0 - 0.9f64.powi(2));
        let expected = 0.999 - alpha * m / (v.sqrt() + 1e-7);
        assert!((w[0] as f64 - expected).abs() < 1e-6, "{} vs {expected}", w[0]);
    }

    #[test]
    fn amsgrad_keeps_the_largest_velocity() {
        // A large gradient then a small one: plain Adam's velocity shrinks, amsgrad's does not.
        let (mut plain, mut ams) = (Adam::new(0.9, 0.999, 1e-7, false), Adam::new(0.9, 0.999, 1e-7, true));
        let (mut wp, mut wa) = (vec![0.0], vec![0.0]);
        for (step, g) in [(1, 10.0), (2, 0.1)] {
            plain.update(0, &mut wp, &[g], 0.01, step);
            ams.update(0, &mut wa, &[g], 0.01, step);
        }
        // By hand: step 1 m = 1, v = 0.1; step 2 m = 0.91, v = 0.09991, v_hat = 0.1.
        let step1 = 0.01 * 0.001f64.sqrt() / 0.1 * 1.0 / (0.1f64.sqrt() + 1e-7);
        let (m, v_hat): (f64, f64) = (0.91, 0.1);
        let alpha = 0.01 * (1.0f64 - 0.999f64.powi(2)).sqrt() / (1.0 - 0.9f64.powi(2));
        let expected = -step1 - alpha * m / (v_hat.sqrt() + 1e-7);
        assert!((wa[0] as f64 - expected).abs() < 1e-5, "{} vs {expected}", wa[0]);
        assert!(wp[0] < wa[0], "plain Adam takes the larger step: {} vs {}", wp[0], wa[0]);
    }
}
