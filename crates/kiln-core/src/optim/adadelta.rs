use super::{Optimizer, SlotLayout, SlotState};

/// Keras 3's Adadelta: a = rho a + (1 - rho) g²; d = -sqrt(s + eps) g / sqrt(a + eps);
/// s = rho s + (1 - rho) d²; w += lr d.
pub struct Adadelta {
    rho: f32,
    epsilon: f32,
    state: SlotState,
}

impl Adadelta {
    pub fn new(rho: f32, epsilon: f32) -> Self {
        Adadelta { rho, epsilon, state: SlotState::default() }
    }
}

impl Optimizer for Adadelta {
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, _step: u64) {
        let (rho, eps) = (self.rho, self.epsilon);
        // Slots: the squared-gradient average and the squared-update average.
        let [grad_sq, delta_sq] = self.state.get(slot, param.len(), 2, 0.0) else { unreachable!() };
        for (((w, &g), a), s) in param.iter_mut().zip(grad).zip(grad_sq.iter_mut()).zip(delta_sq.iter_mut()) {
            *a = rho * *a + (1.0 - rho) * g * g;
            let delta = -((*s + eps).sqrt() * g) / (*a + eps).sqrt();
            *s = rho * *s + (1.0 - rho) * delta * delta;
            *w += lr * delta;
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
        let mut opt = Adadelta::new(0.95, 1e-7);
        let mut w = vec![1.0];
        opt.update(0, &mut w, &[2.0], 1.0, 1);
        // a = 0.05 * 4 = 0.2; d = -sqrt(1e-7) * 2 / sqrt(0.2 + 1e-7).
        let d1 = -(1e-7f64).sqrt() * 2.0 / (0.2f64 + 1e-7).sqrt();
        assert!((w[0] as f64 - (1.0 + d1)).abs() < 1e-7, "{}", w[0]);
        opt.update(0, &mut w, &[2.0], 1.0, 2);
        let (a, s) = (0.95 * 0.2 + 0.05 * 4.0, 0.05 * d1 * d1);
        let d2 = -(s + 1e-7f64).sqrt() * 2.0 / (a + 1e-7f64).sqrt();
        assert!((w[0] as f64 - (1.0 + d1 + d2)).abs() < 1e-7, "{}", w[0]);
    }
}
