//! Optimizers: each one writes only its update rule; state is kept per variable slot.
//! Clipping and weight decay, common to all, are `UpdateOptions`, applied by the engine.
mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod flat_sweep;
mod gradient_applier;
mod lion;
mod nadam;
mod rmsprop;
mod sgd;
pub mod slot_io;
mod update_options;

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamax::Adamax;
pub use flat_sweep::PARALLEL_MIN_ELEMENTS;
pub use gradient_applier::GradientApplier;
pub use lion::Lion;
pub use nadam::Nadam;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;
pub use slot_io::SlotLayout;
pub use update_options::{GradClip, UpdateOptions};

use crate::error::{KilnError, Result};
use serde::Deserialize;

pub trait Optimizer: Send {
    /// Applies one step to `param` given its gradient. `slot` names the variable (its state),
    /// `step` counts updates from 1, `lr` is this step's learning rate.
    fn update(&mut self, slot: usize, param: &mut [f32], grad: &[f32], lr: f32, step: u64);

    /// One step over every variable the engine trains, in Keras' order per variable: clip the
    /// gradient (`options`, with `global` from `UpdateOptions::global_scale`), decay the
    /// weight, apply the rule. A rule may do it all in one fused sweep, and need not write the
    /// clipped gradients back; this default clips in place and runs the rule per variable.
    fn update_all(&mut self, updates: &mut [VariableUpdate<'_>], options: &UpdateOptions, global: Option<f32>, lr: f32, step: u64) {
        for u in updates.iter_mut() {
            options.clip(u.grad, global);
            options.decay(u.param, lr);
            self.update(u.slot, u.param, u.grad, lr, step);
        }
    }

    /// The per-variable state and its layout, so a saved model can restore it; `None` for a
    /// rule that keeps none (or does not expose it).
    fn slot_state(&mut self) -> Option<(&mut SlotState, SlotLayout)> {
        None
    }
}

/// One variable in `Optimizer::update_all`: its state slot, weights and gradient.
pub struct VariableUpdate<'a> {
    pub slot: usize,
    pub param: &'a mut [f32],
    pub grad: &'a mut [f32],
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

    /// `get` for several distinct slots at once, each given with its parameter's length; the
    /// answers come in the order asked.
    pub fn get_many(&mut self, slots: impl Iterator<Item = (usize, usize)> + Clone, count: usize, initial: f32) -> Vec<&mut [Vec<f32>]> {
        for (slot, len) in slots.clone() {
            self.get(slot, len, count, initial);
        }
        let mut all: Vec<Option<&mut Vec<Vec<f32>>>> = self.slots.iter_mut().map(Some).collect();
        slots.map(|(slot, _)| &mut all[slot].take().expect("each slot is asked for once")[..]).collect()
    }
}

/// The update rule the TypeScript side sends (Keras' names and defaults live there).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerSpec {
    Sgd {
        momentum: f32,
        nesterov: bool,
    },
    Adam {
        beta_1: f32,
        beta_2: f32,
        epsilon: f32,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        amsgrad: bool,
    },
    Adamax {
        beta_1: f32,
        beta_2: f32,
        epsilon: f32,
    },
    Nadam {
        beta_1: f32,
        beta_2: f32,
        epsilon: f32,
    },
    Rmsprop {
        rho: f32,
        momentum: f32,
        epsilon: f32,
        centered: bool,
    },
    Adagrad {
        initial_accumulator_value: f32,
        epsilon: f32,
    },
    Adadelta {
        rho: f32,
        epsilon: f32,
    },
    Lion {
        beta_1: f32,
        beta_2: f32,
    },
}

/// An update rule and the options applied around it, as one JSON object.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OptimizerConfig {
    #[serde(flatten)]
    pub rule: OptimizerSpec,
    #[serde(flatten)]
    pub options: UpdateOptions,
}

pub fn build(spec: &OptimizerSpec) -> Result<Box<dyn Optimizer>> {
    match *spec {
        OptimizerSpec::Sgd { momentum, nesterov } => {
            if !(0.0..=1.0).contains(&momentum) {
                return Err(KilnError::value(format!("SGD: `momentum` must be between 0 and 1, got {momentum}")));
            }
            Ok(Box::new(Sgd::new(momentum, nesterov)))
        }
        OptimizerSpec::Adam { beta_1, beta_2, epsilon, amsgrad } => Ok(Box::new(Adam::new(beta_1, beta_2, epsilon, amsgrad))),
        OptimizerSpec::Adamax { beta_1, beta_2, epsilon } => Ok(Box::new(Adamax::new(beta_1, beta_2, epsilon))),
        OptimizerSpec::Nadam { beta_1, beta_2, epsilon } => Ok(Box::new(Nadam::new(beta_1, beta_2, epsilon))),
        OptimizerSpec::Rmsprop { rho, momentum, epsilon, centered } => Ok(Box::new(RmsProp::new(rho, momentum, epsilon, centered))),
        OptimizerSpec::Adagrad { initial_accumulator_value, epsilon } => Ok(Box::new(Adagrad::new(initial_accumulator_value, epsilon))),
        OptimizerSpec::Adadelta { rho, epsilon } => Ok(Box::new(Adadelta::new(rho, epsilon))),
        OptimizerSpec::Lion { beta_1, beta_2 } => {
            if !(beta_1 > 0.0 && beta_1 <= 1.0) {
                return Err(KilnError::value(format!("Lion: `beta_1` must be in the (0, 1] range, otherwise the optimizer degenerates to SignSGD. Received: beta_1={beta_1}")));
            }
            Ok(Box::new(Lion::new(beta_1, beta_2)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_is_one_object_with_the_rule_and_its_options() {
        let c: OptimizerConfig = serde_json::from_str(r#"{"kind":"adam","beta_1":0.9,"beta_2":0.999,"epsilon":1e-7,"amsgrad":true,"weight_decay":0.004,"clipnorm":null}"#).unwrap();
        assert!(matches!(c.rule, OptimizerSpec::Adam { amsgrad: true, .. }));
        assert_eq!(c.options.weight_decay, Some(0.004));
        assert_eq!(c.options.clipnorm, None);
        let plain: OptimizerConfig = serde_json::from_str(r#"{"kind":"lion","beta_1":0.9,"beta_2":0.99}"#).unwrap();
        assert!(plain.options.weight_decay.is_none() && build(&plain.rule).is_ok());
        assert!(serde_json::from_str::<OptimizerConfig>(r#"{"kind":"nope"}"#).is_err());
    }
}
