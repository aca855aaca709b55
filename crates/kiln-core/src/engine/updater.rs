//! The updater: what one training step does to the weights once the gradients are known, in
//! Keras' order: clip every gradient, decay every weight, apply the optimizer's rule, then the
//! variables' constraints. Holds the optimizer, its state and the step count.
use crate::constraints::ConstraintSpec;
use crate::error::{KilnError, Result};
use crate::optim::{self, Optimizer, OptimizerConfig, UpdateOptions, VariableUpdate};

pub struct Updater {
    optimizer: Option<Box<dyn Optimizer>>,
    /// Clipping and weight decay, applied around the optimizer's rule.
    options: UpdateOptions,
    /// Each variable the optimizer updates (trainable, read by the graph) and its graph node.
    updated: Vec<(usize, usize)>,
    /// The constraints of trainable variables, with their variable's shape.
    constraints: Vec<(ConstraintSpec, Vec<usize>)>,
    /// Optimizer steps taken so far (Keras' `iterations`).
    pub step: u64,
}

impl Updater {
    /// `variable_nodes[i]` is the graph node of variable i, if the graph reads it.
    pub fn new(config: Option<&OptimizerConfig>, constraints: Vec<ConstraintSpec>, variable_nodes: &[Option<usize>], trainable: &[bool], variable_shapes: &[Vec<usize>]) -> Result<Updater> {
        let mut kept = Vec::new();
        for c in constraints {
            let shape = variable_shapes.get(c.variable).ok_or_else(|| KilnError::value(format!("Constraint on variable {}, but only {} were given", c.variable, variable_shapes.len())))?;
            c.constraint.check(shape, &format!("variable {}", c.variable))?;
            if trainable[c.variable] {
                let shape = shape.clone();
                kept.push((c, shape));
            }
        }
        let options = config.map(|c| c.options.clone()).unwrap_or_default();
        options.check()?;
        let optimizer = config.map(|c| optim::build(&c.rule)).transpose()?;
        let updated = variable_nodes.iter().enumerate().filter_map(|(i, node)| node.filter(|_| trainable[i]).map(|node| (i, node))).collect();
        Ok(Updater { optimizer, options, updated, constraints: kept, step: 0 })
    }

    /// The graph nodes of the variables the optimizer updates (whose gradients it reads).
    pub fn updated_nodes(&self) -> impl Iterator<Item = usize> + '_ {
        self.updated.iter().map(|&(_, node)| node)
    }

    pub fn has_optimizer(&self) -> bool {
        self.optimizer.is_some()
    }

    /// One step at learning rate `lr`: `grads` are the graph's gradients by node (an optimizer
    /// may clip them in place), `vars` the locked weights by variable.
    pub fn apply(&mut self, grads: &mut [Vec<f32>], vars: &mut [&mut Vec<f32>], lr: f32) {
        let Some(optimizer) = self.optimizer.as_mut() else { return };
        self.step += 1;
        let global_scale = self.options.global_scale(self.updated.iter().map(|&(_, node)| &grads[node][..]));
        // Every updated variable at once, so the optimizer can sweep them all in one pass.
        let mut grads_by_node: Vec<Option<&mut Vec<f32>>> = grads.iter_mut().map(Some).collect();
        let mut vars_by_index: Vec<Option<&mut Vec<f32>>> = vars.iter_mut().map(|v| Some(&mut **v)).collect();
        let mut updates: Vec<VariableUpdate> = self
            .updated
            .iter()
            .map(|&(i, node)| VariableUpdate {
                slot: i,
                param: vars_by_index[i].take().expect("each variable is updated once"),
                grad: grads_by_node[node].take().expect("each variable has its own node"),
            })
            .collect();
        optimizer.update_all(&mut updates, &self.options, global_scale, lr, self.step);
        drop(updates);
        for (c, shape) in &self.constraints {
            c.constraint.apply(vars[c.variable], shape);
        }
    }

    pub fn optimizer_mut(&mut self) -> Result<&mut dyn Optimizer> {
        match self.optimizer.as_deref_mut() {
            Some(optimizer) => Ok(optimizer),
            None => Err(KilnError::runtime("The model has no optimizer: compile it first")),
        }
    }
}
