//! Optimizers: each one writes only its update rule; state is kept per variable slot.
mod adagrad;
mod adam;
mod rmsprop;
mod sgd;

pub use adagrad::Adagrad;
pub use adam::Adam;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;

use crate::error::{KilnError, Result};
use serde::Deserialize;

pub trait Optimizer: Send {
    /// Applies one step to `param` given its gradient. `slot` names the variable (its state),
    /// `step` counts updates from 1, `lr` is this step's learning rate.
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, step: u64);
}

/// Per-slot state vectors, created at a slot's first update.
#[derive(Default)]
pub struct SlotState {
    slots: Vec<Vec<Vec<f32>>>,
}

impl SlotState {
    /// The `count` state vectors of `slot`, each as long as the parameter, starting at `initial`.
    pub fn get(&mut self, slot: usize, len: usize, count: usize, initial: f32) -> &mut [Vec<f32>] {
        if self.slots.len() <= slot {
            self.slots.resize_with(slot + 1, Vec::new);
        }
        if self.slots[slot].is_empty() {
            self.slots[slot] = vec![vec![initial; len]; count];
        }
        &mut self.slots[slot]
    }
}

/// The optimizer settings the TypeScript side sends (Keras' names and defaults live there).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerSpec {
    Sgd { momentum: f32, nesterov: bool },
    Adam { beta_1: f32, beta_2: f32, epsilon: f32 },
    Rmsprop { rho: f32, momentum: f32, epsilon: f32, centered: bool },
    Adagrad { initial_accumulator_value: f32, epsilon: f32 },
}

pub fn build(spec: &OptimizerSpec) -> Result<Box<dyn Optimizer>> {
    match *spec {
        OptimizerSpec::Sgd { momentum, nesterov } => {
            if !(0.0..=1.0).contains(&momentum) {
                return Err(KilnError::value(format!("SGD: `momentum` must be between 0 and 1, got {momentum}")));
            }
            Ok(Box::new(Sgd::new(momentum, nesterov)))
        }
        OptimizerSpec::Adam { beta_1, beta_2, epsilon } => Ok(Box::new(Adam::new(beta_1, beta_2, epsilon))),
        OptimizerSpec::Rmsprop { rho, momentum, epsilon, centered } => Ok(Box::new(RmsProp::new(rho, momentum, epsilon, centered))),
        OptimizerSpec::Adagrad { initial_accumulator_value, epsilon } => Ok(Box::new(Adagrad::new(initial_accumulator_value, epsilon))),
    }
}
