//! Reading and restoring an optimizer's per-variable state, so a saved model continues
//! training exactly where it stopped.
use super::{Optimizer, SlotState};
use crate::error::{KilnError, Result};

/// How an optimizer keeps its state: vectors per variable, and the value they start at.
#[derive(Debug, Clone, Copy)]
pub struct SlotLayout {
    pub per_variable: usize,
    pub initial: f32,
}

/// The state vectors of variable `slot` (of `len` values), created as the first update
/// would create them when it has none yet, so an untrained model saves Keras' zeros.
pub fn read_slots(optimizer: &mut dyn Optimizer, slot: usize, len: usize) -> Result<Vec<Vec<f32>>> {
    let (state, layout) = optimizer.slot_state().ok_or_else(no_state)?;
    Ok(state.get(slot, len, layout.per_variable, layout.initial).to_vec())
}

/// Replaces the state vectors of variable `slot` after checking their count and lengths.
pub fn write_slots(optimizer: &mut dyn Optimizer, slot: usize, len: usize, vectors: Vec<Vec<f32>>) -> Result<()> {
    let (state, layout) = optimizer.slot_state().ok_or_else(no_state)?;
    if vectors.len() != layout.per_variable {
        return Err(KilnError::value(format!("The optimizer keeps {} state vectors per variable, got {}", layout.per_variable, vectors.len())));
    }
    if let Some(bad) = vectors.iter().find(|v| v.len() != len) {
        return Err(KilnError::value(format!("Optimizer state for variable {slot} must have {len} values per vector, got {}", bad.len())));
    }
    state.set(slot, vectors);
    Ok(())
}

/// How many state vectors the optimizer keeps per variable.
pub fn slots_per_variable(optimizer: &mut dyn Optimizer) -> Result<usize> {
    Ok(optimizer.slot_state().ok_or_else(no_state)?.1.per_variable)
}

fn no_state() -> KilnError {
    KilnError::runtime("This optimizer does not expose its state, so it cannot be saved or restored")
}

impl SlotState {
    fn set(&mut self, slot: usize, vectors: Vec<Vec<f32>>) {
        if self.slots.len() <= slot {
            self.slots.resize_with(slot + 1, Vec::new);
        }
        self.slots[slot] = vectors;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Adagrad, Adam};

    #[test]
    fn restored_state_continues_like_the_original() {
        // Two Adam steps; a fresh Adam given the first step's state takes the same second step.
        let mut original = Adam::new(0.9, 0.999, 1e-7, false);
        let mut w = vec![0.5, -0.25, 1.0];
        original.update(0, &mut w, &[0.1, -0.3, 0.2], 0.01, 1);
        let saved = read_slots(&mut original, 0, 3).unwrap();
        let mut restored = Adam::new(0.9, 0.999, 1e-7, false);
        write_slots(&mut restored, 0, 3, saved).unwrap();
        let mut w2 = w.clone();
        original.update(0, &mut w, &[0.4, 0.1, -0.2], 0.01, 2);
        restored.update(0, &mut w2, &[0.4, 0.1, -0.2], 0.01, 2);
        assert_eq!(w, w2);
    }

    #[test]
    fn unused_slots_read_as_their_initial_value_and_bad_state_is_refused() {
        let mut adagrad = Adagrad::new(0.1, 1e-7);
        assert_eq!(read_slots(&mut adagrad, 2, 2).unwrap(), vec![vec![0.1, 0.1]]);
        let mut adam = Adam::new(0.9, 0.999, 1e-7, true);
        assert_eq!(slots_per_variable(&mut adam).unwrap(), 3);
        assert!(write_slots(&mut adam, 0, 2, vec![vec![0.0; 2]; 2]).is_err(), "amsgrad keeps three vectors");
        assert!(write_slots(&mut adam, 0, 2, vec![vec![0.0; 3]; 3]).is_err(), "vectors must match the variable");
    }
}
