use super::{Optimizer, SlotLayout, SlotState};

/// Keras' SGD: v = momentum * v - lr * g; w += v (Nesterov: w += momentum * v - lr * g).
pub struct Sgd {
    momentum: f32,
    nesterov: bool,
    state: SlotState,
}

impl Sgd {
    pub fn new(momentum: f32, nesterov: bool) -> Self {
        Sgd { momentum, nesterov, state: SlotState::default() }
    }
}

impl Optimizer for Sgd {
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, _step: u64) {
        if self.momentum == 0.0 {
            for (w, g) in param.iter_mut().zip(grad) {
                *w -= lr * g;
            }
            return;
        }
        let velocity = &mut self.state.get(slot, param.len(), 1, 0.0)[0];
        for i in 0..param.len() {
            velocity[i] = self.momentum * velocity[i] - lr * grad[i];
            param[i] += if self.nesterov { self.momentum * velocity[i] - lr * grad[i] } else { velocity[i] };
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
    fn matches_keras_hand_trajectory() {
        // Keras: SGD(0.1, momentum=0.9) on w=1, g=1 twice: v1=-0.1 w=0.9; v2=-0.19 w=0.71.
        let mut opt = Sgd::new(0.9, false);
        let mut w = vec![1.0];
        opt.update(0, &mut w, &[1.0], 0.1, 1);
        opt.update(0, &mut w, &[1.0], 0.1, 2);
        assert!((w[0] - 0.71).abs() < 1e-6);
        // Nesterov: w1 = 1 + 0.9*(-0.1) - 0.1 = 0.81; v2=-0.19, w2 = 0.81 - 0.171 - 0.1 = 0.539
        let mut opt = Sgd::new(0.9, true);
        let mut w = vec![1.0];
        opt.update(0, &mut w, &[1.0], 0.1, 1);
        opt.update(0, &mut w, &[1.0], 0.1, 2);
        assert!((w[0] - 0.539).abs() < 1e-6, "{}", w[0]);
    }
}
