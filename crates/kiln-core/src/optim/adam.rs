use super::{Optimizer, SlotState};

/// Keras 3's Adam: m += (g - m)(1 - b1); v += (g² - v)(1 - b2);
/// w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps).
pub struct Adam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    state: SlotState,
}

impl Adam {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Self {
        Adam { beta_1, beta_2, epsilon, state: SlotState::default() }
    }
}

impl Optimizer for Adam {
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, step: u64) {
        let t = step as i32;
        let alpha = lr * (1.0 - self.beta_2.powi(t)).sqrt() / (1.0 - self.beta_1.powi(t));
        let (b1, b2, eps) = (self.beta_1, self.beta_2, self.epsilon);
        let state = self.state.get(slot, param.len(), 2, 0.0);
        let (m, rest) = state.split_at_mut(1);
        let (m, v) = (&mut m[0], &mut rest[0]);
        // Zipped iterators carry no bounds checks, so the loop vectorises.
        for (((w, &g), m), v) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m += (g - *m) * (1.0 - b1);
            *v += (g * g - *v) * (1.0 - b2);
            *w -= alpha * *m / (v.sqrt() + eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_steps_match_the_formula() {
        // Step 1 moves each weight by about lr against the gradient's sign.
        let mut opt = Adam::new(0.9, 0.999, 1e-7);
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
}
