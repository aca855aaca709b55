//! An optimizer applied to gradients the caller computed (Keras' `optimizer.apply_gradients`),
//! with the engine's rules and order: clip every gradient, decay every weight, update, then
//! apply the variables' constraints. Its state (momenta, step count) lives here, keyed by
//! variable, so the same variables may come in any order and any subset per call.
use super::{build, Optimizer, OptimizerConfig, UpdateOptions};
use crate::constraints::Constraint;
use crate::error::{shape_str, KilnError, Result};
use crate::variable::Variable;
use std::collections::HashMap;

pub struct GradientApplier {
    rule: Box<dyn Optimizer>,
    options: UpdateOptions,
    /// The rule's state slot of each variable seen, by variable id.
    slots: HashMap<u64, usize>,
    /// Updates applied so far (Keras' `iterations`).
    pub step: u64,
}

impl GradientApplier {
    pub fn new(config: &OptimizerConfig) -> Result<GradientApplier> {
        config.options.check()?;
        Ok(GradientApplier { rule: build(&config.rule)?, options: config.options.clone(), slots: HashMap::new(), step: 0 })
    }

    /// One step: each variable moves by its gradient at learning rate `lr`; `constraints[i]`
    /// is applied to variable i afterwards.
    pub fn apply(&mut self, variables: &[Variable], grads: &[Vec<f32>], constraints: &[Option<Constraint>], lr: f32) -> Result<()> {
        if grads.len() != variables.len() || constraints.len() != variables.len() {
            return Err(KilnError::value(format!("applyGradients: {} gradients for {} variables", grads.len(), variables.len())));
        }
        let mut ids: Vec<u64> = variables.iter().map(|v| v.id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(KilnError::value("applyGradients: a variable appears twice in one call; add its gradients first"));
        }
        for (k, (v, g)) in variables.iter().zip(grads).enumerate() {
            let len: usize = v.shape.iter().product();
            if g.len() != len {
                return Err(KilnError::shape(format!("applyGradients: gradient {k} has {} values, but its variable has shape {} ({len} values)", g.len(), shape_str(&v.shape))));
            }
            if let Some(c) = &constraints[k] {
                c.check(&v.shape, &format!("variable {k}"))?;
            }
        }
        let mut grads = grads.to_vec();
        self.step += 1;
        let global = self.options.global_scale(grads.iter().map(|g| &g[..]));
        // Locked in id order, one at a time: concurrent engines lock in the same order.
        let mut order: Vec<usize> = (0..variables.len()).collect();
        order.sort_by_key(|&i| variables[i].id);
        for i in order {
            let v = &variables[i];
            let fresh = self.slots.len();
            let slot = *self.slots.entry(v.id).or_insert(fresh);
            let mut w = v.data.write().unwrap_or_else(|e| e.into_inner());
            self.options.clip(&mut grads[i], global);
            self.options.decay(&mut w, lr);
            self.rule.update(slot, &mut w, &grads[i], lr, self.step);
            if let Some(c) = &constraints[i] {
                c.apply(&mut w, &v.shape);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Tensor;

    fn variable(values: Vec<f32>) -> Variable {
        Variable::new(&Tensor::from_f32(vec![values.len()], values).unwrap())
    }

    fn config(json: &str) -> OptimizerConfig {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn sgd_with_momentum_keeps_each_variables_velocity() {
        let mut applier = GradientApplier::new(&config(r#"{"kind":"sgd","momentum":0.9,"nesterov":false}"#)).unwrap();
        let (a, b) = (variable(vec![1.0, 2.0]), variable(vec![-1.0]));
        applier.apply(&[a.clone(), b.clone()], &[vec![1.0, -1.0], vec![2.0]], &[None, None], 0.1).unwrap();
        // The other order: each variable keeps its own velocity.
        applier.apply(&[b.clone(), a.clone()], &[vec![2.0], vec![1.0, -1.0]], &[None, None], 0.1).unwrap();
        // v1 = -lr g; v2 = 0.9 v1 - lr g: w = w0 - 0.1 g - 0.19 g.
        let close = |x: f32, y: f32| (x - y).abs() < 1e-6;
        let a_now = a.read().to_f32().into_owned();
        assert!(close(a_now[0], 1.0 - 0.29) && close(a_now[1], 2.0 + 0.29), "{a_now:?}");
        assert!(close(b.read().to_f32()[0], -1.0 - 0.58));
        assert_eq!(applier.step, 2);
    }

    #[test]
    fn clipping_and_constraints_and_bad_gradients() {
        let mut applier = GradientApplier::new(&config(r#"{"kind":"sgd","momentum":0.0,"nesterov":false,"clipnorm":1.0}"#)).unwrap();
        let a = variable(vec![0.0, 0.0]);
        applier.apply(std::slice::from_ref(&a), &[vec![3.0, 4.0]], &[Some(Constraint::NonNeg)], 1.0).unwrap();
        // Clipped to norm 1 (0.6, 0.8), stepped to (-0.6, -0.8), then made non-negative.
        assert_eq!(a.read().to_f32().into_owned(), vec![0.0, 0.0]);
        let err = applier.apply(std::slice::from_ref(&a), &[vec![1.0]], &[None], 1.0).unwrap_err();
        assert!(err.message.contains("gradient 0 has 1 values"), "{}", err.message);
        assert!(applier.apply(&[a.clone(), a], &[vec![1.0, 1.0], vec![1.0, 1.0]], &[None, None], 1.0).is_err());
    }
}
