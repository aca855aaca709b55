use super::{Optimizer, SlotLayout, SlotState};

/// Keras 3's Adamax (Adam with the infinity norm): m += (g - m)(1 - b1); u = max(b2 u, |g|);
/// w -= lr m / ((1 - b1^t)(u + eps)).
pub struct Adamax {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    state: SlotState,
}

impl Adamax {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Self {
        Adamax { beta_1, beta_2, epsilon, state: SlotState::default() }
    }
}

impl Optimizer for Adamax {
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, step: u64) {
        let (b1, b2, eps) = (self.beta_1, self.beta_2, self.epsilon);
        let correction = 1.0 - b1.powi(step as i32);
        let [m, u] = self.state.get(slot, param.len(), 2, 0.0) else { unreachable!() };
        for (((w, &g), m), u) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(u.iter_mut()) {
            *m += (g - *m) * (1.0 - b1);
            *u = (b2 * *u).max(g.abs());
            *w -= lr * *m / (correction * (*u + eps));
        }
    }

    fn slot_state(&mut self) -> Option<(&mut SlotState, SlotLayout)> {
        Some((&mut self.state, SlotLayout { per_variable: 2, initial: 0.0 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_keras_formula() {
        let mut opt = Adamax::new(0.9, 0.999, 1e-7);
        let mut w = vec![1.0];
        // Step 1: m = 0.2, u = 2, w -= 0.01 * 0.2 / (0.1 * 2) = 0.01.
        opt.update(0, &mut w, &[2.0], 0.01, 1);
        assert!((w[0] - 0.99).abs() < 1e-6, "{}", w[0]);
        // Step 2 with g = -1: m = 0.18 - 0.1 = 0.08, u = max(1.998, 1) = 1.998.
        opt.update(0, &mut w, &[-1.0], 0.01, 2);
        let expected = 0.99 - 0.01 * 0.08 / ((1.0 - 0.81) * (1.998 + 1e-7));
        assert!((w[0] as f64 - expected).abs() < 1e-6, "{} vs {expected}", w[0]);
    }
}
