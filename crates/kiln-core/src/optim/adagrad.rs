use super::{Optimizer, SlotLayout, SlotState};

/// Keras 3's Adagrad: a += g²; w -= lr g / sqrt(a + eps), with `a` starting at
/// `initial_accumulator_value`.
pub struct Adagrad {
    initial_accumulator_value: f32,
    epsilon: f32,
    state: SlotState,
}

impl Adagrad {
    pub fn new(initial_accumulator_value: f32, epsilon: f32) -> Self {
        Adagrad { initial_accumulator_value, epsilon, state: SlotState::default() }
    }
}

impl Optimizer for Adagrad {
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, _step: u64) {
        let eps = self.epsilon;
        let accumulator = &mut self.state.get(slot, param.len(), 1, self.initial_accumulator_value)[0];
        for ((w, &g), a) in param.iter_mut().zip(grad).zip(accumulator.iter_mut()) {
            *a += g * g;
            *w -= lr * g / (*a + eps).sqrt();
        }
    }

    fn slot_state(&mut self) -> Option<(&mut SlotState, SlotLayout)> {
        Some((&mut self.state, SlotLayout { per_variable: 1, initial: self.initial_accumulator_value }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_keras_formula() {
        let mut opt = Adagrad::new(0.1, 1e-7);
        let mut w = vec![1.0];
        opt.update(0, &mut w, &[1.0], 0.5, 1); // a = 1.1
        opt.update(0, &mut w, &[1.0], 0.5, 2); // a = 2.1
        let expected = 1.0 - 0.5 / (1.1f64 + 1e-7).sqrt() - 0.5 / (2.1f64 + 1e-7).sqrt();
        assert!((w[0] as f64 - expected).abs() < 1e-6);
    }
}
