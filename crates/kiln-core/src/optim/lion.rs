use super::{Optimizer, SlotLayout, SlotState};
use crate::kernels::unary::sign;

/// Keras 3's Lion: w -= lr sign(b1 m + (1 - b1) g); then m = b2 m + (1 - b2) g.
pub struct Lion {
    beta_1: f32,
    beta_2: f32,
    state: SlotState,
}

impl Lion {
    pub fn new(beta_1: f32, beta_2: f32) -> Self {
        Lion { beta_1, beta_2, state: SlotState::default() }
    }
}

impl Optimizer for Lion {
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, _step: u64) {
        let (b1, b2) = (self.beta_1, self.beta_2);
        let momentum = &mut self.state.get(slot, param.len(), 1, 0.0)[0];
        for ((w, &g), m) in param.iter_mut().zip(grad).zip(momentum.iter_mut()) {
            *w -= lr * sign(*m * b1 + g * (1.0 - b1));
            *m = *m * b2 + g * (1.0 - b2);
        }
    }

    fn slot_state(&mut self) -> Option<(&mut SlotState, SlotLayout)> {
        Some((&mut self.state, SlotLayout { per_variable: 1, initial: 0.0 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_by_the_learning_rate_in_the_interpolated_direction() {
        let mut opt = Lion::new(0.9, 0.99);
        let mut w = vec![1.0, 1.0, 1.0];
        opt.update(0, &mut w, &[3.0, -0.5, 0.0], 0.1, 1);
        assert_eq!(w, vec![0.9, 1.1, 1.0]);
        // m = 0.01 g = [0.03, -0.005, 0]; with g = [-0.1, ...]: 0.9 * 0.03 - 0.01 > 0, so w still falls.
        opt.update(0, &mut w, &[-0.1, 0.0, 1.0], 0.1, 2);
        assert!((w[0] - 0.8).abs() < 1e-6 && (w[1] - 1.2).abs() < 1e-6 && (w[2] - 0.9).abs() < 1e-6, "{w:?}");
    }
}
