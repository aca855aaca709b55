use super::{Optimizer, SlotLayout, SlotState};

/// Keras 3's RMSprop: v = rho v + (1 - rho) g²; step = lr g / sqrt(v (- mean_g²) + eps);
/// with momentum, m = momentum m + step and w -= m, else w -= step.
pub struct RmsProp {
    rho: f32,
    momentum: f32,
    epsilon: f32,
    centered: bool,
    state: SlotState,
}

impl RmsProp {
    pub fn new(rho: f32, momentum: f32, epsilon: f32, centered: bool) -> Self {
        RmsProp { rho, momentum, epsilon, centered, state: SlotState::default() }
    }
}

impl Optimizer for RmsProp {
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, _step: u64) {
        let (rho, momentum, eps, centered) = (self.rho, self.momentum, self.epsilon, self.centered);
        // Slots: velocity, mean gradient (centered), momentum.
        let state = self.state.get(slot, param.len(), 3, 0.0);
        let [velocity, mean_grad, moment] = state else { unreachable!() };
        for i in 0..param.len() {
            let g = grad[i];
            velocity[i] = rho * velocity[i] + (1.0 - rho) * g * g;
            let mut denominator = velocity[i];
            if centered {
                mean_grad[i] = rho * mean_grad[i] + (1.0 - rho) * g;
                denominator -= mean_grad[i] * mean_grad[i];
            }
            let step = lr * g / (denominator + eps).sqrt();
            if momentum > 0.0 {
                moment[i] = momentum * moment[i] + step;
                param[i] -= moment[i];
            } else {
                param[i] -= step;
            }
        }
    }

    fn slot_state(&mut self) -> Option<(&mut SlotState, SlotLayout)> {
        Some((&mut self.state, SlotLayout { per_variable: 3, initial: 0.0 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_keras_formula() {
        // v1 = 0.1 * 4 = 0.4; w1 = 1 - 0.01 * 2 / sqrt(0.4 + 1e-7)
        let mut opt = RmsProp::new(0.9, 0.0, 1e-7, false);
        let mut w = vec![1.0];
        opt.update(0, &mut w, &[2.0], 0.01, 1);
        let expected = 1.0 - 0.01 * 2.0 / (0.4f64 + 1e-7).sqrt();
        assert!((w[0] as f64 - expected).abs() < 1e-6, "{} vs {expected}", w[0]);
        // Centered: mean_g = 0.2, denominator = 0.4 - 0.04.
        let mut opt = RmsProp::new(0.9, 0.0, 1e-7, true);
        let mut w = vec![1.0];
        opt.update(0, &mut w, &[2.0], 0.01, 1);
        let expected = 1.0 - 0.01 * 2.0 / (0.36f64 + 1e-7).sqrt();
        assert!((w[0] as f64 - expected).abs() < 1e-6);
    }
}
