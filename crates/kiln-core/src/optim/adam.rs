use super::{Optimizer, SlotLayout, SlotState};

/// Keras 3's Adam: m += (g - m)(1 - b1); v += (g² - v)(1 - b2);
/// w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps).
/// With `amsgrad`, the denominator uses the largest v seen so far (v_hat = max(v_hat, v)).
/// AdamW is this rule plus the engine's decoupled weight decay.
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
}

impl Optimizer for Adam {
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, step: u64) {
        let t = step as i32;
        let alpha = lr * (1.0 - self.beta_2.powi(t)).sqrt() / (1.0 - self.beta_1.powi(t));
        let (b1, b2, eps) = (self.beta_1, self.beta_2, self.epsilon);
        // Slots: momentum, velocity, and the running maximum of the velocity (amsgrad).
        let state = self.state.get(slot, param.len(), if self.amsgrad { 3 } else { 2 }, 0.0);
        if let [m, v, v_hat] = state {
            for i in 0..param.len() {
                let g = grad[i];
                m[i] += (g - m[i]) * (1.0 - b1);
                v[i] += (g * g - v[i]) * (1.0 - b2);
                v_hat[i] = v_hat[i].max(v[i]);
                param[i] -= alpha * m[i] / (v_hat[i].sqrt() + eps);
            }
            return;
        }
        let [m, v] = state else { unreachable!() };
        // Zipped iterators carry no bounds checks, so the loop vectorises.
        for (((w, &g), m), v) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m += (g - *m) * (1.0 - b1);
            *v += (g * g - *v) * (1.0 - b2);
            *w -= alpha * *m / (v.sqrt() + eps);
        }
    }

    fn slot_state(&mut self) -> Option<(&mut SlotState, SlotLayout)> {
        Some((&mut self.state, SlotLayout { per_variable: if self.amsgrad { 3 } else { 2 }, initial: 0.0 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
