use super::{Optimizer, SlotLayout, SlotState};

/// Keras 3's Nadam: Adam with Nesterov momentum and the momentum schedule
/// u_t = b1 (1 - 0.5 * 0.96^t). With P_t the product u_1...u_t:
/// m_hat = u_{t+1} m / (1 - P_t u_{t+1}) + (1 - u_t) g / (1 - P_t); v_hat = v / (1 - b2^t);
/// w -= lr m_hat / (sqrt(v_hat) + eps).
pub struct Nadam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    /// P_t for `product_step` (Keras keeps it as one float32 variable, updated once per step).
    product: f32,
    product_step: u64,
    state: SlotState,
}

impl Nadam {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Self {
        Nadam { beta_1, beta_2, epsilon, product: 1.0, product_step: 0, state: SlotState::default() }
    }

    fn momentum_at(&self, step: u64) -> f32 {
        self.beta_1 * (1.0 - 0.5 * 0.96f32.powi(step as i32))
    }

    /// The momentum-schedule product up to `step`, advanced the first time each step is seen.
    fn product_at(&mut self, step: u64) -> f32 {
        if step < self.product_step {
            (self.product, self.product_step) = (1.0, 0);
        }
        while self.product_step < step {
            self.product_step += 1;
            self.product *= self.momentum_at(self.product_step);
        }
        self.product
    }
}

impl Optimizer for Nadam {
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, step: u64) {
        let (b1, b2, eps) = (self.beta_1, self.beta_2, self.epsilon);
        let (u_t, u_next) = (self.momentum_at(step), self.momentum_at(step + 1));
        let product = self.product_at(step);
        let product_next = product * u_next;
        let v_correction = 1.0 - b2.powi(step as i32);
        let [m, v] = self.state.get(slot, param.len(), 2, 0.0) else { unreachable!() };
        for (((w, &g), m), v) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m += (g - *m) * (1.0 - b1);
            *v += (g * g - *v) * (1.0 - b2);
            let m_hat = u_next * *m / (1.0 - product_next) + (1.0 - u_t) * g / (1.0 - product);
            let v_hat = *v / v_correction;
            *w -= m_hat * lr / (v_hat.sqrt() + eps);
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
    fn matches_the_keras_formula_over_two_steps() {
        let mut opt = Nadam::new(0.9, 0.999, 1e-7);
        let mut w = vec![0.0f32];
        let mut expected = 0.0f64;
        let (mut m, mut v, mut product) = (0.0f64, 0.0f64, 1.0f64);
        let u = |t: i32| 0.9 * (1.0 - 0.5 * 0.96f64.powi(t));
        for (step, g) in [(1, 0.5f64), (2, -0.25)] {
            opt.update(0, &mut w, &[g as f32], 0.01, step as u64);
            product *= u(step);
            m += (g - m) * 0.1;
            v += (g * g - v) * 0.001;
            let m_hat = u(step + 1) * m / (1.0 - product * u(step + 1)) + (1.0 - u(step)) * g / (1.0 - product);
            expected -= 0.01 * m_hat / ((v / (1.0 - 0.999f64.powi(step))).sqrt() + 1e-7);
            assert!((w[0] as f64 - expected).abs() < 1e-6, "step {step}: {} vs {expected}", w[0]);
        }
    }

    #[test]
    fn several_variables_share_one_schedule_product() {
        // Two slots updated at the same step see the same product (advanced once, not twice).
        let mut opt = Nadam::new(0.9, 0.999, 1e-7);
        let (mut a, mut b) = (vec![1.0], vec![1.0]);
        opt.update(0, &mut a, &[1.0], 0.01, 1);
        opt.update(1, &mut b, &[1.0], 0.01, 1);
        assert_eq!(a, b);
    }
}
