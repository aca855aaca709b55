//! The compiled losses: the built-in losses (fused with the softmax/sigmoid before them where
//! they can be), the loss terms computed by graph nodes and the fused weight penalties. One
//! batch's loss is computed here for training and evaluation alike; training also seeds the
//! gradients.
use super::loss_terms::{self, LossTerm, WeightPenalty};
use super::reduction::divide_no_nan;
use super::spec::LossSpec;
use super::workspace::Workspace;
use crate::error::{KilnError, Result};
use crate::graph::{Graph, Op, Plan};
use crate::kernels::loss::{self, per_sample, LossKind};
use crate::kernels::unary::UnaryOp;
use std::ops::Deref;

/// How a loss reaches its gradient: through the graph, or fused with the softmax/sigmoid
/// before it (then the gradient is written straight into the logits).
#[derive(Clone, Copy)]
struct LossPlan {
    spec_index: usize,
    logits: Option<usize>,
}

pub struct CompiledLosses {
    specs: Vec<LossSpec>,
    plans: Vec<LossPlan>,
    terms: Vec<LossTerm>,
    penalties: Vec<WeightPenalty>,
    /// Report each output's loss (unweighted) after the total.
    output_losses: bool,
    outputs: usize,
}

/// One batch's loss, times its size: the weighted total, and each output's loss before its
/// weight when the logs carry them.
pub struct BatchLoss {
    pub sum: f64,
    pub per_output: Option<Vec<f64>>,
}

impl CompiledLosses {
    /// Plans the losses on `graph`; marks in `skip_backward` the outputs whose loss is fused
    /// with their softmax/sigmoid (their gradient goes straight to the logits).
    pub fn new(specs: Vec<LossSpec>, terms: Vec<LossTerm>, penalties: Vec<WeightPenalty>, output_losses: bool, graph: &Graph, variables: usize, skip_backward: &mut [bool]) -> Result<CompiledLosses> {
        let consumers = graph.consumer_counts();
        let mut plans = Vec::new();
        let mut seen = vec![false; graph.outputs.len()];
        for (spec_index, l) in specs.iter().enumerate() {
            let out = *graph.outputs.get(l.output).ok_or_else(|| KilnError::value(format!("Loss for output {} but the model has {} outputs", l.output, graph.outputs.len())))?;
            if std::mem::replace(&mut seen[l.output], true) {
                return Err(KilnError::value(format!("Two losses for output {}: each output takes one loss", l.output)));
            }
            let node = &graph.nodes[out];
            // A loss told its input is logits reads the output as it is; no fusing then.
            let fusable = !l.loss.from_logits
                && matches!(
                    (&node.op, l.loss.kind),
                    (Op::Softmax, LossKind::CategoricalCrossentropy | LossKind::SparseCategoricalCrossentropy) | (Op::Unary { function: UnaryOp::Sigmoid }, LossKind::BinaryCrossentropy)
                );
            let logits = if fusable && consumers[out] == 1 { Some(node.inputs[0]) } else { None };
            if logits.is_some() {
                skip_backward[out] = true;
            }
            plans.push(LossPlan { spec_index, logits });
        }
        if let Some(t) = terms.iter().find(|t| t.node >= graph.nodes.len()) {
            return Err(KilnError::value(format!("Loss term reads node {}, but the graph has {} nodes", t.node, graph.nodes.len())));
        }
        if let Some(t) = terms.iter().find(|t| t.output.is_some_and(|o| o >= graph.outputs.len())) {
            return Err(KilnError::value(format!("Loss term for output {}, but the model has {} outputs", t.output.unwrap_or(0), graph.outputs.len())));
        }
        if let Some(p) = penalties.iter().find(|p| p.variable >= variables) {
            return Err(KilnError::value(format!("Weight penalty on variable {}, but only {variables} were given", p.variable)));
        }
        Ok(CompiledLosses { specs, plans, terms, penalties, output_losses, outputs: graph.outputs.len() })
    }

    /// The nodes other than the outputs whose values the losses read and whose gradients
    /// they seed: the logits of a fused loss, the loss terms' nodes.
    pub fn nodes_read(&self) -> Vec<usize> {
        self.plans.iter().filter_map(|p| p.logits).chain(self.terms.iter().map(|t| t.node)).collect()
    }

    /// The built-in losses, in the spec's order (one target array each).
    pub fn specs(&self) -> &[LossSpec] {
        &self.specs
    }

    /// Whether there is nothing to minimize.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty() && self.terms.is_empty() && self.penalties.is_empty()
    }

    /// Whether the output has a built-in loss (and so targets in the workspace).
    pub fn has_targets(&self, output: usize) -> bool {
        self.specs.iter().any(|l| l.output == output)
    }

    /// The batch's loss after the forward pass (weighting each sample when `sample_weights`
    /// is given). With `grad`, seeds the output gradients, runs the backward pass (`needs_grad`,
    /// `skip_backward`) and adds the penalties' gradients, which the backward pass may
    /// overwrite rather than accumulate.
    #[allow(clippy::too_many_arguments)]
    pub fn compute<V: Deref<Target = Vec<f32>>>(
        &self,
        ws: &mut Workspace,
        graph: &Graph,
        vars: &[V],
        variable_nodes: &[Option<usize>],
        sample_weights: Option<&[f32]>,
        grad: Option<(&[bool], &[bool])>,
    ) -> BatchLoss {
        let rows = ws.plan.batch;
        if grad.is_some() {
            ws.plan.zero_grads();
        }
        let loss_values = self.seed_losses(ws, graph, vars, sample_weights, grad.is_some());
        let term_values = loss_terms::seed_terms(&mut ws.plan, graph, vars, &self.terms, sample_weights, grad.is_some());
        let mut sum = self.weighted_total(&loss_values, &term_values);
        let per_output = self.output_losses.then(|| self.per_output_losses(&loss_values, &term_values));
        let plan: Option<&mut Plan> = match grad {
            Some((needs_grad, skip_backward)) => {
                ws.plan.backward(graph, vars, needs_grad, skip_backward);
                Some(&mut ws.plan)
            }
            None => None,
        };
        sum += loss_terms::weight_penalties(plan, variable_nodes, vars, &self.penalties, rows);
        BatchLoss { sum, per_output }
    }

    /// Computes every built-in loss on the batch; with `with_grad`, seeds the output
    /// gradients. Returns each loss times the batch size, before its loss weight (Keras logs
    /// each output's loss unweighted).
    fn seed_losses<V: Deref<Target = Vec<f32>>>(&self, ws: &mut Workspace, graph: &Graph, vars: &[V], sample_weights: Option<&[f32]>, with_grad: bool) -> Vec<f64> {
        let rows = ws.plan.batch;
        let weight_sum = sample_weights.map(|w| w.iter().map(|&v| v as f64).sum());
        let mut values = vec![0.0; self.specs.len()];
        for lp in &self.plans {
            let spec = &self.specs[lp.spec_index];
            let out = graph.outputs[spec.output];
            let divisor = spec.reduction.divisor(rows, weight_sum);
            let scale = if divisor == 0.0 { 0.0 } else { (spec.weight as f64 / divisor) as f32 };
            let target = &ws.targets[spec.output];
            // The logits when the loss is fused with the output's softmax/sigmoid.
            let node = lp.logits.unwrap_or(out);
            let mut grad = std::mem::take(&mut ws.plan.grads[node]);
            let g = if with_grad && !grad.is_empty() { Some(grad.as_mut_slice()) } else { None };
            let probs = lp.logits.map(|_| ws.plan.value_of(graph, vars, out));
            let input = ws.plan.value_of(graph, vars, node);
            let value = match (sample_weights, probs) {
                (Some(w), _) => per_sample::weighted(&spec.loss, input, probs, lp.logits.is_some(), target, rows, w, g, scale),
                (None, Some(p)) => loss::from_logits(&spec.loss, input, Some(p), target, rows, g, scale),
                (None, None) => loss::loss_and_grad(&spec.loss, input, target, rows, g, scale),
            };
            ws.plan.grads[node] = grad;
            values[lp.spec_index] = divide_no_nan(value * rows as f64, divisor);
        }
        values
    }

    /// The batch's loss (times its size): the losses and loss terms weighted by their weights.
    fn weighted_total(&self, loss_values: &[f64], term_values: &[f64]) -> f64 {
        let built_in: f64 = loss_values.iter().zip(&self.specs).map(|(v, l)| v * l.weight as f64).sum();
        built_in + term_values.iter().zip(&self.terms).map(|(v, t)| v * t.weight as f64).sum::<f64>()
    }

    /// Each output's loss before its loss weight, as Keras logs `<output>_loss`: its built-in
    /// loss, or the custom loss term that names it.
    fn per_output_losses(&self, loss_values: &[f64], term_values: &[f64]) -> Vec<f64> {
        let mut per_output = vec![0.0; self.outputs];
        for (spec, v) in self.specs.iter().zip(loss_values).filter(|(spec, _)| !spec.targets_only) {
            per_output[spec.output] += v;
        }
        for (term, v) in self.terms.iter().zip(term_values) {
            if let Some(output) = term.output {
                per_output[output] += v;
            }
        }
        per_output
    }
}
