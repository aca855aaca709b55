//! A compiled model: the graph, its weights, the losses, metrics and optimizer. Runs training,
//! evaluation and prediction over in-memory data, one planned workspace per batch size.
mod loss_terms;
mod reduction;

use crate::constraints::ConstraintSpec;
use crate::error::{shape_str, KilnError, Result};
use crate::graph::{Graph, Op, Plan};
use crate::kernels::loss::{self, per_sample, Loss, LossKind};
use crate::kernels::metrics::{self, MetricKind, Weights};
use crate::kernels::unary::UnaryOp;
use crate::optim::{self, Optimizer, OptimizerConfig, UpdateOptions};
use crate::rng::{self, Rng};
use crate::tensor::{Storage, Tensor};
use crate::variable::Variable;
use serde::Deserialize;
use std::ops::Deref;
use std::sync::RwLockWriteGuard;

pub use loss_terms::{LossTerm, TermKind, WeightPenalty};
use reduction::divide_no_nan;
pub use reduction::Reduction;

#[derive(Debug, Clone, Deserialize)]
pub struct LossSpec {
    pub output: usize,
    #[serde(flatten)]
    pub loss: Loss,
    #[serde(default = "one")]
    pub weight: f32,
    #[serde(default)]
    pub reduction: Reduction,
    /// Only carries targets for the output's metrics (its loss is a custom function): not logged.
    #[serde(default)]
    pub targets_only: bool,
}

fn one() -> f32 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricSpec {
    pub output: usize,
    #[serde(flatten)]
    pub metric: MetricKind,
}

/// Everything `compile` decides, as the TypeScript side sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct EngineSpec {
    pub graph: Graph,
    pub trainable: Vec<bool>,
    #[serde(default)]
    pub losses: Vec<LossSpec>,
    #[serde(default)]
    pub metrics: Vec<MetricSpec>,
    pub optimizer: Option<OptimizerConfig>,
    /// Report each output's loss (unweighted) after the total, as Keras logs a multi-output model.
    #[serde(default)]
    pub output_losses: bool,
    /// Regularization penalties and custom losses computed by graph nodes.
    #[serde(default)]
    pub loss_terms: Vec<LossTerm>,
    /// Built-in L1/L2 weight regularizers, computed fused on the variables.
    #[serde(default)]
    pub weight_penalties: Vec<WeightPenalty>,
    /// Applied to their variables after each optimizer step.
    #[serde(default)]
    pub constraints: Vec<ConstraintSpec>,
}

/// How a loss reaches its gradient: through the graph, or fused with the softmax/sigmoid
/// before it (then the gradient is written straight into the logits).
#[derive(Clone, Copy)]
struct LossPlan {
    spec_index: usize,
    logits: Option<usize>,
}

/// One batch size's buffers: the graph plan and the gathered targets.
struct Workspace {
    plan: Plan,
    targets: Vec<Vec<f32>>,
    /// The batch's sample weights, when the run has them.
    sample_weights: Vec<f32>,
}

pub struct Engine {
    graph: Graph,
    variables: Vec<Variable>,
    variable_shapes: Vec<Vec<usize>>,
    /// Node of each variable, if the graph reads it.
    variable_nodes: Vec<Option<usize>>,
    trainable: Vec<bool>,
    input_nodes: Vec<usize>,
    needs_grad: Vec<bool>,
    skip_backward: Vec<bool>,
    losses: Vec<LossSpec>,
    loss_plans: Vec<LossPlan>,
    metrics: Vec<MetricSpec>,
    output_losses: bool,
    loss_terms: Vec<LossTerm>,
    weight_penalties: Vec<WeightPenalty>,
    constraints: Vec<ConstraintSpec>,
    optimizer: Option<Box<dyn Optimizer>>,
    /// Clipping and weight decay, applied around the optimizer's rule.
    update_options: UpdateOptions,
    /// Optimizer steps taken so far (Keras' `iterations`).
    pub step: u64,
    rng: Rng,
    /// The seed generation (`rng::seed_generation`) `rng` belongs to: `reseed_if_stale`
    /// restarts it after a later `setSeed`.
    rng_generation: u64,
    /// Planned workspaces by batch size and per-sample input shapes (which vary where the
    /// model's inputs have unknown axes, as variable-length sequences do).
    workspaces: Vec<(usize, Vec<Vec<usize>>, Workspace)>,
}

/// Planned shapes kept at once (a training run needs two: full and last batch).
const MAX_WORKSPACES: usize = 8;

/// The numbers one batch reports: samples, summed loss, each output's summed loss when asked
/// for, then each metric's state (metrics::MetricKind::state_len numbers each).
pub type BatchLogs = Vec<f64>;

impl Engine {
    pub fn new(spec_json: &str, variables: Vec<Variable>) -> Result<Engine> {
        let spec: EngineSpec = serde_json::from_str(spec_json).map_err(|e| KilnError::value(format!("Invalid model description: {e}")))?;
        let EngineSpec { graph, trainable, losses, metrics, optimizer, output_losses, loss_terms, weight_penalties, constraints } = spec;
        graph.check()?;
        if trainable.len() != variables.len() {
            return Err(KilnError::value(format!("{} variables but {} trainable flags", variables.len(), trainable.len())));
        }
        let n = graph.nodes.len();
        let mut variable_nodes = vec![None; variables.len()];
        let mut input_nodes = vec![usize::MAX; graph.input_count()];
        let mut needs_grad = vec![false; n];
        for (id, node) in graph.nodes.iter().enumerate() {
            match node.op {
                Op::Variable { index } => {
                    if index >= variables.len() {
                        return Err(KilnError::value(format!("Graph reads variable {index}, but only {} were given", variables.len())));
                    }
                    variable_nodes[index] = Some(id);
                    needs_grad[id] = trainable[index];
                }
                Op::Input { index, .. } => {
                    if index >= input_nodes.len() {
                        return Err(KilnError::value(format!("Graph input index {index} is out of range")));
                    }
                    input_nodes[index] = id;
                }
                _ => needs_grad[id] = node.inputs.iter().any(|&i| needs_grad[i]),
            }
        }
        // Found by cargo fuzz (engine_spec): an input index with no node left usize::MAX here.
        if let Some(missing) = input_nodes.iter().position(|&node| node == usize::MAX) {
            return Err(KilnError::value(format!("Graph inputs must be numbered 0..{}: input {missing} has no node", input_nodes.len())));
        }
        let consumers = graph.consumer_counts();
        let mut skip_backward = vec![false; n];
        let mut loss_plans = Vec::new();
        for (spec_index, l) in losses.iter().enumerate() {
            let out = *graph.outputs.get(l.output).ok_or_else(|| KilnError::value(format!("Loss for output {} but the model has {} outputs", l.output, graph.outputs.len())))?;
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
            loss_plans.push(LossPlan { spec_index, logits });
        }
        for m in &metrics {
            if m.output >= graph.outputs.len() {
                return Err(KilnError::value(format!("Metric for output {} but the model has {} outputs", m.output, graph.outputs.len())));
            }
        }
        let metric_losses: Vec<Option<bool>> = metrics.iter().map(|m| losses.iter().find(|l| l.output == m.output).map(|l| l.loss.kind.sparse_targets())).collect();
        let variable_shapes: Vec<Vec<usize>> = variables.iter().map(|v| v.shape.clone()).collect();
        if let Some(t) = loss_terms.iter().find(|t| t.node >= n) {
            return Err(KilnError::value(format!("Loss term reads node {}, but the graph has {n} nodes", t.node)));
        }
        if let Some(p) = weight_penalties.iter().find(|p| p.variable >= variables.len()) {
            return Err(KilnError::value(format!("Weight penalty on variable {}, but only {} were given", p.variable, variables.len())));
        }
        for c in &constraints {
            let shape = variable_shapes.get(c.variable).ok_or_else(|| KilnError::value(format!("Constraint on variable {}, but only {} were given", c.variable, variable_shapes.len())))?;
            c.constraint.check(shape, &format!("variable {}", c.variable))?;
        }
        let update_options = optimizer.as_ref().map(|c| c.options.clone()).unwrap_or_default();
        update_options.check()?;
        let optimizer = optimizer.as_ref().map(|c| optim::build(&c.rule)).transpose()?;
        let mut engine = Engine {
            graph,
            variables,
            variable_shapes,
            variable_nodes,
            trainable,
            input_nodes,
            needs_grad,
            skip_backward,
            losses,
            loss_plans,
            metrics,
            output_losses,
            loss_terms,
            weight_penalties,
            constraints,
            optimizer,
            update_options,
            step: 0,
            rng: Rng::new(rng::with_global(|r| r.next_u64())),
            rng_generation: rng::seed_generation(),
            workspaces: Vec::new(),
        };
        // Plan a batch of one now so shape errors surface at compile time. Unknown axes are
        // planned at length 1 here; where that is too short for the model (a convolution over
        // a variable length), the data's shapes decide at the first batch instead.
        let output_shapes = match engine.output_shapes(1) {
            Ok(shapes) => Some(shapes),
            Err(_) if engine.has_unknown_axes() => None,
            Err(e) => return Err(e),
        };
        for (m, sparse) in engine.metrics.iter().zip(metric_losses) {
            if let (Some(sparse), Some(shapes)) = (sparse, &output_shapes) {
                m.metric.check_shapes(&shapes[m.output], sparse)?;
            }
        }
        Ok(engine)
    }

    /// The optimizer's state vectors for variable `index` (saving; see optim::slot_io).
    pub fn optimizer_slots(&mut self, index: usize) -> Result<Vec<Vec<f32>>> {
        let len = self.variable_len(index)?;
        optim::slot_io::read_slots(self.optimizer_mut()?, index, len)
    }

    /// Restores the optimizer's state vectors for variable `index`.
    pub fn set_optimizer_slots(&mut self, index: usize, vectors: Vec<Vec<f32>>) -> Result<()> {
        let len = self.variable_len(index)?;
        optim::slot_io::write_slots(self.optimizer_mut()?, index, len, vectors)
    }

    pub fn optimizer_slots_per_variable(&mut self) -> Result<usize> {
        optim::slot_io::slots_per_variable(self.optimizer_mut()?)
    }

    fn optimizer_mut(&mut self) -> Result<&mut dyn Optimizer> {
        match self.optimizer.as_deref_mut() {
            Some(optimizer) => Ok(optimizer),
            None => Err(KilnError::runtime("The model has no optimizer: compile it first")),
        }
    }

    fn variable_len(&self, index: usize) -> Result<usize> {
        let shape = self.variable_shapes.get(index).ok_or_else(|| KilnError::value(format!("Variable {index} is out of range: the model has {}", self.variable_shapes.len())))?;
        Ok(shape.iter().product())
    }

    /// The outputs' shapes for `batch` samples, unknown input axes taken as 1.
    pub fn output_shapes(&mut self, batch: usize) -> Result<Vec<Vec<usize>>> {
        let dims = self.declared_dims();
        self.output_shapes_for(batch, &dims)
    }

    /// The outputs' shapes for `batch` samples whose inputs have the per-sample shapes `dims`.
    pub fn output_shapes_for(&mut self, batch: usize, dims: &[Vec<usize>]) -> Result<Vec<Vec<usize>>> {
        let outputs = self.graph.outputs.clone();
        let w = self.workspace(batch, dims)?;
        let ws = &self.workspaces[w].2;
        Ok(outputs.iter().map(|&o| ws.plan.shapes[o].clone()).collect())
    }

    /// Whether an input has an unknown axis besides the batch axis.
    fn has_unknown_axes(&self) -> bool {
        self.input_nodes.iter().any(|&i| matches!(&self.graph.nodes[i].op, Op::Input { shape, .. } if shape[1..].iter().any(|d| d.is_none())))
    }

    /// Each input's per-sample shape as declared, unknown axes taken as 1.
    fn declared_dims(&self) -> Vec<Vec<usize>> {
        self.input_nodes
            .iter()
            .map(|&i| match &self.graph.nodes[i].op {
                Op::Input { shape, .. } => shape[1..].iter().map(|d| d.unwrap_or(1)).collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// The index in `workspaces` of the plan for this batch size and these input shapes,
    /// planned on first use.
    fn workspace(&mut self, batch: usize, dims: &[Vec<usize>]) -> Result<usize> {
        if let Some(w) = self.workspaces.iter().position(|(b, d, _)| *b == batch && d == dims) {
            return Ok(w);
        }
        // Batch sizes vary in serving (one per request size): keep memory bounded.
        if self.workspaces.len() >= MAX_WORKSPACES {
            self.workspaces.clear();
        }
        let plan = Plan::new(&self.graph, batch, dims, &self.variable_shapes, &self.needs_grad)?;
        let targets = self
            .losses
            .iter()
            .map(|l| {
                let width: usize = plan.shapes[self.graph.outputs[l.output]].get(1..).unwrap_or(&[]).iter().product();
                vec![0.0; batch * if l.loss.kind.sparse_targets() { 1 } else { width }]
            })
            .collect();
        self.workspaces.push((batch, dims.to_vec(), Workspace { plan, targets, sample_weights: vec![0.0; batch] }));
        Ok(self.workspaces.len() - 1)
    }

    /// Checks data before a long run: input shapes, NaN/infinity, target sizes and labels.
    pub fn check_data(&mut self, inputs: &[&Tensor], targets: &[&Tensor]) -> Result<()> {
        if inputs.len() != self.input_nodes.len() {
            return Err(KilnError::value(format!("The model expects {} input(s), got {}", self.input_nodes.len(), inputs.len())));
        }
        let rows = inputs.first().map(|t| t.shape().first().copied().unwrap_or(0)).unwrap_or(0);
        for (i, t) in inputs.iter().enumerate() {
            if let Op::Input { shape, .. } = &self.graph.nodes[self.input_nodes[i]].op {
                let fits = t.rank() == shape.len() && shape[1..].iter().zip(&t.shape()[1..]).all(|(d, &got)| d.is_none_or(|d| d == got));
                if !fits {
                    return Err(KilnError::shape(format!(
                        "Input {i} of the model is incompatible: expected shape [null, {}], got {}",
                        shape[1..].iter().map(|d| d.map_or("null".to_string(), |d| d.to_string())).collect::<Vec<_>>().join(", "),
                        shape_str(t.shape())
                    )));
                }
            }
            if t.shape()[0] != rows {
                return Err(KilnError::value(format!("All inputs must have the same number of samples: input 0 has {rows}, input {i} has {}", t.shape()[0])));
            }
            if let Storage::F32(values) = t.storage() {
                if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
                    return Err(KilnError::value(format!(
                        "Input {i} contains a non-finite value ({}) at sample {}; clean or impute the data before training",
                        values[pos],
                        pos / (values.len() / rows.max(1)).max(1)
                    )));
                }
            }
        }
        if targets.len() != self.losses.len() {
            return Err(KilnError::value(format!("The model has {} loss(es), so it needs {} target array(s) (y), but {} were given", self.losses.len(), self.losses.len(), targets.len())));
        }
        let out_shapes = self.output_shapes_for(1, &sample_dims(inputs))?;
        for (l, t) in self.losses.iter().zip(targets) {
            if t.rank() == 0 || t.shape()[0] != rows {
                return Err(KilnError::value(format!("x and y must have the same number of samples: x has {rows}, y has {}", t.shape().first().copied().unwrap_or(0))));
            }
            let width: usize = out_shapes[l.output].get(1..).unwrap_or(&[]).iter().product();
            let t_width: usize = t.shape()[1..].iter().product();
            if l.loss.kind.sparse_targets() {
                if t_width != 1 {
                    return Err(KilnError::shape(format!("sparse_categorical_crossentropy expects integer labels of shape [{rows}] or [{rows}, 1], got {}", shape_str(t.shape()))));
                }
                let labels = t.to_f32();
                if let Some(pos) = labels.iter().position(|&v| !(v >= 0.0 && (v as usize) < width && v.fract() == 0.0)) {
                    return Err(KilnError::value(format!(
                        "Received a label value of {} at sample {pos}, which is outside the valid range of [0, {}) for sparse_categorical_crossentropy",
                        labels[pos], width
                    )));
                }
            } else if t_width != width {
                return Err(KilnError::shape(format!(
                    "Target (y) of shape {} is incompatible with the model output of shape [null, {}]: expected {} values per sample, got {}",
                    shape_str(t.shape()),
                    out_shapes[l.output].get(1..).unwrap_or(&[]).iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
                    width,
                    t_width
                )));
            }
            if let Some(pos) = t.to_f32().iter().position(|v| !v.is_finite()) {
                return Err(KilnError::value(format!("Target (y) contains a non-finite value at sample {}", pos / t_width.max(1))));
            }
        }
        Ok(())
    }

    /// Trains on batches `first..first + count` of `order` (sample indices, one epoch's
    /// shuffle), one learning rate per batch. Returns each batch's logs.
    #[allow(clippy::too_many_arguments)]
    pub fn train_batches(&mut self, inputs: &[&Tensor], targets: &[&Tensor], order: &[u32], batch_size: usize, first: usize, count: usize, learning_rates: &[f32]) -> Result<Vec<BatchLogs>> {
        self.train_weighted_batches(inputs, targets, None, order, batch_size, first, count, learning_rates)
    }

    /// The dropout stream's state, saved with the model so a loaded one continues the stream.
    pub fn dropout_state(&self) -> [u64; 4] {
        self.rng.state()
    }

    /// Continues the dropout stream from a saved state (a later `setSeed` restarts it, as usual).
    pub fn set_dropout_state(&mut self, state: [u64; 4]) -> Result<()> {
        self.rng = Rng::from_state(state).ok_or_else(|| KilnError::value("The saved dropout stream state is all zeros, which no generator can be in"))?;
        self.rng_generation = rng::seed_generation();
        Ok(())
    }

    /// Restarts the dropout stream from the last `setSeed` if it was called after this engine's
    /// stream began (fit calls this first, synchronously after the user's code): equal models
    /// then train with equal masks whether their engines existed before the `setSeed` or not.
    pub fn reseed_if_stale(&mut self) {
        let generation = rng::seed_generation();
        if self.rng_generation != generation {
            self.rng = Rng::new(rng::dropout_seed());
            self.rng_generation = generation;
        }
    }

    /// `train_batches` with one weight per sample ([samples] or [samples, 1]) multiplying
    /// each sample's loss (Keras' `sample_weight`).
    #[allow(clippy::too_many_arguments)]
    pub fn train_weighted_batches(
        &mut self,
        inputs: &[&Tensor],
        targets: &[&Tensor],
        sample_weights: Option<&Tensor>,
        order: &[u32],
        batch_size: usize,
        first: usize,
        count: usize,
        learning_rates: &[f32],
    ) -> Result<Vec<BatchLogs>> {
        check_sample_weights(sample_weights, inputs)?;
        if self.optimizer.is_none() || (self.losses.is_empty() && self.loss_terms.is_empty() && self.weight_penalties.is_empty()) {
            return Err(KilnError::runtime("You must call `compile()` with an optimizer and a loss before training"));
        }
        // Locks are taken here, on the caller's thread, never on a pool thread: a pool thread
        // waiting inside a parallel kernel may run another engine's job, which must never
        // wait for a lock held by the thread it runs on.
        let variables = self.variables.clone();
        let mut guards = lock_all_for_write(&variables);
        let mut buffers: Vec<&mut Vec<f32>> = guards.iter_mut().map(|g| &mut **g).collect();
        crate::threads::run(|| self.train_batches_on_pool(inputs, targets, sample_weights, order, batch_size, first, count, learning_rates, &mut buffers))
    }

    #[allow(clippy::too_many_arguments)]
    fn train_batches_on_pool(
        &mut self,
        inputs: &[&Tensor],
        targets: &[&Tensor],
        sample_weights: Option<&Tensor>,
        order: &[u32],
        batch_size: usize,
        first: usize,
        count: usize,
        learning_rates: &[f32],
        buffers: &mut [&mut Vec<f32>],
    ) -> Result<Vec<BatchLogs>> {
        let mut logs = Vec::with_capacity(count);
        let dims = sample_dims(inputs);
        for b in first..first + count {
            let idx = batch_indices(order, batch_size, b);
            let lr = learning_rates.get(b - first).copied().unwrap_or(0.0);
            logs.push(self.train_step(inputs, targets, sample_weights, &dims, idx, lr, buffers)?);
        }
        Ok(logs)
    }

    #[allow(clippy::too_many_arguments)]
    fn train_step(&mut self, inputs: &[&Tensor], targets: &[&Tensor], sample_weights: Option<&Tensor>, dims: &[Vec<usize>], idx: &[u32], lr: f32, guards: &mut [&mut Vec<f32>]) -> Result<BatchLogs> {
        let rows = idx.len();
        let w = self.workspace(rows, dims)?;
        let Engine {
            graph,
            workspaces,
            needs_grad,
            skip_backward,
            rng,
            losses,
            loss_plans,
            metrics,
            output_losses,
            optimizer,
            update_options,
            variable_nodes,
            trainable,
            input_nodes,
            loss_terms,
            weight_penalties,
            constraints,
            variable_shapes,
            ..
        } = self;
        let ws = &mut workspaces[w].2;
        gather(ws, input_nodes, inputs, targets, idx);
        let weights = gather_sample_weights(ws, sample_weights, idx);
        ws.plan.forward(graph, guards, true, rng);
        ws.plan.take_failure()?;
        ws.plan.zero_grads();
        let loss_values = seed_losses(ws, graph, guards, losses, loss_plans, weights.as_deref(), true);
        let term_values = loss_terms::seed_terms(&mut ws.plan, graph, guards, loss_terms, weights.as_deref(), true);
        let mut loss_sum = weighted_total(losses, &loss_values, loss_terms, &term_values);
        let per_output = output_losses.then(|| per_output_losses(graph.outputs.len(), losses, &loss_values, loss_terms, &term_values));
        ws.plan.backward(graph, guards, needs_grad, skip_backward);
        loss_sum += loss_terms::weight_penalties(Some(&mut ws.plan), variable_nodes, guards, weight_penalties, rows);
        self.step += 1;
        // Keras' order: clip every gradient, decay every weight, then the update rule.
        let updated = variable_nodes.iter().enumerate().filter_map(|(i, node)| node.filter(|_| trainable[i]).map(|node| (i, node)));
        let global_scale = update_options.global_scale(updated.clone().map(|(_, node)| &ws.plan.grads[node][..]));
        let optimizer = optimizer.as_mut().unwrap();
        for (i, node) in updated {
            let grad = &mut ws.plan.grads[node];
            update_options.clip(grad, global_scale);
            update_options.decay(guards[i], lr);
            optimizer.update(i, guards[i], grad, lr, self.step);
        }
        for c in constraints.iter().filter(|c| trainable[c.variable]) {
            c.constraint.apply(guards[c.variable], &variable_shapes[c.variable]);
        }
        ws.plan.update_moving_statistics(graph, guards);
        Ok(batch_logs(ws, graph, guards, rows, loss_sum, per_output, losses, metrics))
    }

    /// Loss and metrics without training, batch by batch in order.
    pub fn evaluate_batches(&mut self, inputs: &[&Tensor], targets: &[&Tensor], batch_size: usize, first: usize, count: usize) -> Result<Vec<BatchLogs>> {
        self.evaluate_weighted_batches(inputs, targets, None, batch_size, first, count)
    }

    /// `evaluate_batches` with one weight per sample multiplying each sample's loss.
    pub fn evaluate_weighted_batches(&mut self, inputs: &[&Tensor], targets: &[&Tensor], sample_weights: Option<&Tensor>, batch_size: usize, first: usize, count: usize) -> Result<Vec<BatchLogs>> {
        check_sample_weights(sample_weights, inputs)?;
        if self.losses.is_empty() && self.loss_terms.is_empty() && self.weight_penalties.is_empty() {
            return Err(KilnError::runtime("You must call `compile()` with a loss before evaluating"));
        }
        // Locked on the caller's thread, as for training.
        let variables = self.variables.clone();
        let guards = lock_all_for_read(&variables);
        let buffers: Vec<&Vec<f32>> = guards.iter().map(|g| &**g).collect();
        crate::threads::run(|| self.evaluate_batches_on_pool(inputs, targets, sample_weights, batch_size, first, count, &buffers))
    }

    #[allow(clippy::too_many_arguments)]
    fn evaluate_batches_on_pool(
        &mut self,
        inputs: &[&Tensor],
        targets: &[&Tensor],
        sample_weights: Option<&Tensor>,
        batch_size: usize,
        first: usize,
        count: usize,
        guards: &[&Vec<f32>],
    ) -> Result<Vec<BatchLogs>> {
        let rows_total = inputs[0].shape()[0];
        let order: Vec<u32> = (0..rows_total as u32).collect();
        let mut logs = Vec::with_capacity(count);
        let dims = sample_dims(inputs);
        for b in first..first + count {
            let idx = batch_indices(&order, batch_size, b);
            let rows = idx.len();
            let w = self.workspace(rows, &dims)?;
            let Engine { graph, workspaces, rng, losses, loss_plans, metrics, output_losses, input_nodes, loss_terms, weight_penalties, variable_nodes, .. } = self;
            let ws = &mut workspaces[w].2;
            gather(ws, input_nodes, inputs, targets, idx);
            let weights = gather_sample_weights(ws, sample_weights, idx);
            ws.plan.forward(graph, guards, false, rng);
            ws.plan.take_failure()?;
            let loss_values = seed_losses(ws, graph, guards, losses, loss_plans, weights.as_deref(), false);
            let term_values = loss_terms::seed_terms(&mut ws.plan, graph, guards, loss_terms, weights.as_deref(), false);
            let mut loss_sum = weighted_total(losses, &loss_values, loss_terms, &term_values);
            let per_output = output_losses.then(|| per_output_losses(graph.outputs.len(), losses, &loss_values, loss_terms, &term_values));
            loss_sum += loss_terms::weight_penalties(None, variable_nodes, guards, weight_penalties, rows);
            logs.push(batch_logs(ws, graph, guards, rows, loss_sum, per_output, losses, metrics));
        }
        Ok(logs)
    }

    /// Runs the model forward on every sample; returns each output's values, all rows.
    pub fn predict(&mut self, inputs: &[&Tensor], batch_size: usize) -> Result<Vec<Tensor>> {
        // Locked on the caller's thread, as for training.
        let variables = self.variables.clone();
        let guards = lock_all_for_read(&variables);
        let buffers: Vec<&Vec<f32>> = guards.iter().map(|g| &**g).collect();
        crate::threads::run(|| self.predict_on_pool(inputs, batch_size, &buffers))
    }

    fn predict_on_pool(&mut self, inputs: &[&Tensor], batch_size: usize, guards: &[&Vec<f32>]) -> Result<Vec<Tensor>> {
        let rows_total = inputs.first().and_then(|t| t.shape().first().copied()).unwrap_or(0);
        let order: Vec<u32> = (0..rows_total as u32).collect();
        let dims = sample_dims(inputs);
        let out_shapes = self.output_shapes_for(1, &dims)?;
        let mut results = Vec::with_capacity(out_shapes.len());
        for s in &out_shapes {
            let mut shape = s.clone();
            shape[0] = rows_total;
            results.push(crate::alloc::with_capacity::<f32>(crate::alloc::checked_element_count(&shape)?, "predict")?);
        }
        for b in 0..rows_total.div_ceil(batch_size.max(1)) {
            let idx = batch_indices(&order, batch_size, b);
            let rows = idx.len();
            let w = self.workspace(rows, &dims)?;
            let Engine { graph, workspaces, rng, input_nodes, .. } = self;
            let ws = &mut workspaces[w].2;
            gather(ws, input_nodes, inputs, &[], idx);
            ws.plan.forward(graph, guards, false, rng);
            ws.plan.take_failure()?;
            for (k, &o) in graph.outputs.iter().enumerate() {
                results[k].extend_from_slice(ws.plan.value_of(graph, guards, o));
            }
        }
        out_shapes
            .into_iter()
            .zip(results)
            .map(|(mut shape, data)| {
                shape[0] = rows_total;
                Tensor::from_f32(shape, data)
            })
            .collect()
    }
}

/// Each input's per-sample shape (its shape after the batch axis).
fn sample_dims(inputs: &[&Tensor]) -> Vec<Vec<usize>> {
    inputs.iter().map(|t| t.shape().get(1..).unwrap_or(&[]).to_vec()).collect()
}

fn batch_indices(order: &[u32], batch_size: usize, b: usize) -> &[u32] {
    let start = (b * batch_size).min(order.len());
    &order[start..(start + batch_size).min(order.len())]
}

/// Locks every variable in id order (so concurrent engines cannot deadlock), returned in
/// the engine's order.
fn lock_all_for_write(vars: &[Variable]) -> Vec<RwLockWriteGuard<'_, Vec<f32>>> {
    let mut order: Vec<usize> = (0..vars.len()).collect();
    order.sort_by_key(|&i| vars[i].id);
    let mut slots: Vec<Option<RwLockWriteGuard<Vec<f32>>>> = (0..vars.len()).map(|_| None).collect();
    for i in order {
        slots[i] = Some(vars[i].data.write().unwrap_or_else(|e| e.into_inner()));
    }
    slots.into_iter().map(|g| g.unwrap()).collect()
}

fn lock_all_for_read(vars: &[Variable]) -> Vec<std::sync::RwLockReadGuard<'_, Vec<f32>>> {
    let mut order: Vec<usize> = (0..vars.len()).collect();
    order.sort_by_key(|&i| vars[i].id);
    let mut slots: Vec<Option<std::sync::RwLockReadGuard<Vec<f32>>>> = (0..vars.len()).map(|_| None).collect();
    for i in order {
        slots[i] = Some(vars[i].data.read().unwrap_or_else(|e| e.into_inner()));
    }
    slots.into_iter().map(|g| g.unwrap()).collect()
}

/// Copies the rows `idx` of each input and target into the workspace, as float32.
fn gather(ws: &mut Workspace, input_nodes: &[usize], inputs: &[&Tensor], targets: &[&Tensor], idx: &[u32]) {
    for (k, t) in inputs.iter().enumerate() {
        gather_rows(t, idx, &mut ws.plan.values[input_nodes[k]]);
    }
    for (k, t) in targets.iter().enumerate() {
        gather_rows(t, idx, &mut ws.targets[k]);
    }
}

fn gather_rows(t: &Tensor, idx: &[u32], out: &mut [f32]) {
    let width = out.len() / idx.len().max(1);
    fn copy<T: Copy>(src: &[T], idx: &[u32], width: usize, out: &mut [f32], cast: impl Fn(T) -> f32) {
        for (r, &i) in idx.iter().enumerate() {
            let row = &src[i as usize * width..(i as usize + 1) * width];
            for (o, &v) in out[r * width..(r + 1) * width].iter_mut().zip(row) {
                *o = cast(v);
            }
        }
    }
    match t.storage() {
        Storage::F32(v) => copy(v, idx, width, out, |x| x),
        Storage::I32(v) => copy(v, idx, width, out, |x| x as f32),
        Storage::U8(v) => copy(v, idx, width, out, |x| x as f32),
    }
}

/// Copies the batch's sample weights into the workspace; None when the run has none.
fn gather_sample_weights(ws: &mut Workspace, sample_weights: Option<&Tensor>, idx: &[u32]) -> Option<Vec<f32>> {
    let w = sample_weights?;
    gather_rows(w, idx, &mut ws.sample_weights);
    Some(ws.sample_weights.clone())
}

fn check_sample_weights(sample_weights: Option<&Tensor>, inputs: &[&Tensor]) -> Result<()> {
    let Some(w) = sample_weights else { return Ok(()) };
    let rows = inputs.first().map(|t| t.shape().first().copied().unwrap_or(0)).unwrap_or(0);
    if w.rank() == 0 || w.shape()[0] != rows || w.shape()[1..].iter().product::<usize>() != 1 {
        return Err(KilnError::value(format!("sample_weight must have one value per sample, shape [{rows}] or [{rows}, 1]; got shape {}", shape_str(w.shape()))));
    }
    if let Some(pos) = w.to_f32().iter().position(|v| !v.is_finite()) {
        return Err(KilnError::value(format!("sample_weight contains a non-finite value at sample {pos}")));
    }
    Ok(())
}

/// Computes every loss on the batch (weighting each sample when `sample_weights` is given);
/// with `with_grad`, seeds the output gradients. Returns each loss times the batch size,
/// before its loss weight (Keras logs each output's loss unweighted).
fn seed_losses<V: Deref<Target = Vec<f32>>>(ws: &mut Workspace, graph: &Graph, vars: &[V], losses: &[LossSpec], loss_plans: &[LossPlan], sample_weights: Option<&[f32]>, with_grad: bool) -> Vec<f64> {
    let rows = ws.plan.batch;
    let weight_sum = sample_weights.map(|w| w.iter().map(|&v| v as f64).sum());
    let mut values = vec![0.0; losses.len()];
    for lp in loss_plans {
        let spec = &losses[lp.spec_index];
        let out = graph.outputs[spec.output];
        let divisor = spec.reduction.divisor(rows, weight_sum);
        let scale = if divisor == 0.0 { 0.0 } else { (spec.weight as f64 / divisor) as f32 };
        let target = &ws.targets[lp.spec_index];
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
fn weighted_total(losses: &[LossSpec], loss_values: &[f64], terms: &[LossTerm], term_values: &[f64]) -> f64 {
    let built_in: f64 = loss_values.iter().zip(losses).map(|(v, l)| v * l.weight as f64).sum();
    built_in + term_values.iter().zip(terms).map(|(v, t)| v * t.weight as f64).sum::<f64>()
}

/// Each output's loss before its loss weight, as Keras logs `<output>_loss`: its built-in loss,
/// or the custom loss term that names it.
fn per_output_losses(outputs: usize, losses: &[LossSpec], loss_values: &[f64], terms: &[LossTerm], term_values: &[f64]) -> Vec<f64> {
    let mut per_output = vec![0.0; outputs];
    for (spec, v) in losses.iter().zip(loss_values).filter(|(spec, _)| !spec.targets_only) {
        per_output[spec.output] += v;
    }
    for (term, v) in terms.iter().zip(term_values) {
        if let Some(output) = term.output {
            per_output[output] += v;
        }
    }
    per_output
}

#[allow(clippy::too_many_arguments)]
fn batch_logs<V: Deref<Target = Vec<f32>>>(
    ws: &Workspace,
    graph: &Graph,
    vars: &[V],
    rows: usize,
    loss_sum: f64,
    per_output: Option<Vec<f64>>,
    losses: &[LossSpec],
    metrics: &[MetricSpec],
) -> BatchLogs {
    let mut logs = vec![rows as f64, loss_sum];
    logs.extend(per_output.unwrap_or_default());
    for m in metrics {
        // A metric reads the targets of the loss on the same output.
        let Some(k) = losses.iter().position(|l| l.output == m.output) else { continue };
        let out = graph.outputs[m.output];
        logs.extend(metrics::batch_state(&m.metric, ws.plan.value_of(graph, vars, out), &ws.plan.shapes[out], &ws.targets[k], Weights::None));
    }
    logs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x[4] -> Dense(3, tanh) -> Dense(2) -> softmax, with a loss of `kind` (a name, or the
    /// loss object's fields).
    fn spec(kind: &str) -> String {
        let loss = if kind.contains('"') { kind.to_string() } else { format!(r#""kind":"{kind}""#) };
        let metric = if kind.starts_with("sparse") { "sparse_categorical_accuracy" } else { "categorical_accuracy" };
        format!(
            r#"{{"graph":{{"nodes":[
                {{"op":"input","index":0,"shape":[null,4],"inputs":[]}},
                {{"op":"variable","index":0}},
                {{"op":"matmul","transpose_b":false,"inputs":[0,1]}},
                {{"op":"variable","index":1}},
                {{"op":"binary","function":"add","inputs":[2,3]}},
                {{"op":"unary","function":"tanh","inputs":[4]}},
                {{"op":"variable","index":2}},
                {{"op":"matmul","transpose_b":false,"inputs":[5,6]}},
                {{"op":"softmax","inputs":[7]}}],
              "outputs":[8]}},
             "trainable":[true,true,true],
             "losses":[{{"output":0,{loss}}}],
             "metrics":[{{"output":0,"kind":"{metric}"}}],
             "optimizer":{{"kind":"sgd","momentum":0.0,"nesterov":false}}}}"#
        )
    }

    fn tensor(shape: Vec<usize>, seed: u64) -> Tensor {
        let mut rng = Rng::new(seed);
        let n = shape.iter().product();
        Tensor::from_f32(shape, (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()).unwrap()
    }

    fn variables() -> Vec<Variable> {
        vec![Variable::new(&tensor(vec![4, 3], 1)), Variable::new(&tensor(vec![3], 2)), Variable::new(&tensor(vec![3, 2], 3))]
    }

    #[test]
    fn one_sgd_step_moves_weights_by_the_finite_difference_gradient() {
        for (kind, targets) in [
            ("sparse_categorical_crossentropy", Tensor::from_f32(vec![5], vec![0.0, 1.0, 1.0, 0.0, 1.0]).unwrap()),
            ("categorical_crossentropy", Tensor::from_f32(vec![5, 2], vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]).unwrap()),
            ("mean_squared_error", tensor(vec![5, 2], 9)),
            // Not fused with the softmax: the loss reads its output as logits, or smooths labels.
            (r#""kind":"categorical_crossentropy","from_logits":true,"label_smoothing":0.1"#, Tensor::from_f32(vec![5, 2], vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]).unwrap()),
            (r#""kind":"binary_crossentropy","from_logits":true"#, Tensor::from_f32(vec![5, 2], vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]).unwrap()),
            ("kl_divergence", Tensor::from_f32(vec![5, 2], vec![0.3, 0.7, 0.5, 0.5, 0.9, 0.1, 0.2, 0.8, 0.6, 0.4]).unwrap()),
            ("cosine_similarity", tensor(vec![5, 2], 9)),
            (r#""kind":"huber","delta":0.2"#, tensor(vec![5, 2], 9)),
        ] {
            let x = tensor(vec![5, 4], 4);
            let vars = variables();
            let mut engine = Engine::new(&spec(kind), vars.clone()).unwrap();
            let loss_of = |engine: &mut Engine| {
                let logs = engine.evaluate_batches(&[&x], &[&targets], 5, 0, 1).unwrap();
                logs[0][1] / 5.0
            };
            let before: Vec<Vec<f32>> = vars.iter().map(|v| v.read().to_f32().into_owned()).collect();
            // Numeric gradient of the mean loss for every weight.
            let mut numeric = Vec::new();
            for v in &vars {
                let mut g = Vec::new();
                for i in 0..v.shape.iter().product::<usize>() {
                    let eps = 1e-2;
                    let bump = |delta: f32| {
                        let mut data = v.data.write().unwrap();
                        data[i] += delta;
                    };
                    bump(eps);
                    let up = loss_of(&mut engine);
                    bump(-2.0 * eps);
                    let down = loss_of(&mut engine);
                    bump(eps);
                    g.push((up - down) / (2.0 * eps as f64));
                }
                numeric.push(g);
            }
            // One SGD step at learning rate 1: w_new = w - grad.
            engine.train_batches(&[&x], &[&targets], &[0, 1, 2, 3, 4], 5, 0, 1, &[1.0]).unwrap();
            for (k, v) in vars.iter().enumerate() {
                let after = v.read().to_f32().into_owned();
                for i in 0..after.len() {
                    let analytic = (before[k][i] - after[i]) as f64;
                    assert!((analytic - numeric[k][i]).abs() < 2e-3 * (1.0 + numeric[k][i].abs()), "{kind} var {k}[{i}]: {analytic} vs {}", numeric[k][i]);
                }
            }
        }
    }

    /// Each variable's change after one SGD step at `lr` with the given optimizer options.
    fn sgd_step_changes(options: &str, lr: f32) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        let spec = spec("mean_squared_error").replace(r#""nesterov":false"#, &format!(r#""nesterov":false{options}"#));
        let (x, y) = (tensor(vec![5, 4], 4), tensor(vec![5, 2], 9));
        let vars = variables();
        let before: Vec<Vec<f32>> = vars.iter().map(|v| v.read().to_f32().into_owned()).collect();
        let mut engine = Engine::new(&spec, vars.clone()).unwrap();
        engine.train_batches(&[&x], &[&y], &[0, 1, 2, 3, 4], 5, 0, 1, &[lr]).unwrap();
        let changes = vars.iter().zip(&before).map(|(v, b)| v.read().to_f32().iter().zip(b).map(|(a, b)| a - b).collect()).collect();
        (before, changes)
    }

    #[test]
    fn clipping_and_weight_decay_apply_to_every_variable_before_the_rule() {
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let (before, plain) = sgd_step_changes("", 1.0);
        // The test model's gradients are larger than these limits.
        assert!(plain.iter().all(|c| norm(c) > 0.05));
        let (_, clipped) = sgd_step_changes(r#","clipnorm":0.05"#, 1.0);
        for (c, p) in clipped.iter().zip(&plain) {
            assert!((norm(c) - 0.05).abs() < 1e-6, "each variable's step has norm 0.05: {}", norm(c));
            let (nc, np) = (norm(c), norm(p));
            assert!(c.iter().zip(p).all(|(c, p)| (c / nc - p / np).abs() < 1e-5), "the direction is kept");
        }
        let (_, global) = sgd_step_changes(r#","global_clipnorm":0.05"#, 1.0);
        let joint = global.iter().map(|c| norm(c).powi(2)).sum::<f32>().sqrt();
        assert!((joint - 0.05).abs() < 1e-6, "{joint}");
        let (_, by_value) = sgd_step_changes(r#","clipvalue":0.01"#, 1.0);
        assert!(by_value.iter().flatten().all(|c| c.abs() <= 0.01 + 1e-7));
        assert!(by_value.iter().flatten().any(|c| (c.abs() - 0.01).abs() < 1e-7));
        // Decoupled weight decay: w -= lr * wd * w on top of the plain step.
        let (_, decayed) = sgd_step_changes(r#","weight_decay":0.1"#, 0.5);
        let (_, half) = sgd_step_changes("", 0.5);
        for ((d, h), w) in decayed.iter().flatten().zip(half.iter().flatten()).zip(before.iter().flatten()) {
            assert!((d - (h - 0.05 * w)).abs() < 1e-6, "{d} vs {}", h - 0.05 * w);
        }
        assert!(Engine::new(&spec("mse").replace(r#""nesterov":false"#, r#""nesterov":false,"clipnorm":1,"clipvalue":1"#), variables()).is_err());
    }

    #[test]
    fn inputs_with_unknown_axes_are_planned_per_batch_shape() {
        // ids [batch, null] -> embedding [batch, null, 2] -> mean over the steps -> [batch, 2].
        let spec = r#"{"graph":{"nodes":[
                {"op":"input","index":0,"shape":[null,null]},
                {"op":"variable","index":0},
                {"op":"embedding","inputs":[0,1]},
                {"op":"reduce","function":"mean","axis":1,"keep_dims":false,"inputs":[2]}],
              "outputs":[3]},
             "trainable":[true],
             "losses":[{"output":0,"kind":"mean_squared_error"}],
             "optimizer":{"kind":"sgd","momentum":0.0,"nesterov":false}}"#;
        let table = Variable::new(&Tensor::from_f32(vec![3, 2], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap());
        let mut engine = Engine::new(spec, vec![table]).unwrap();
        for (length, ids, expected) in [(2, vec![0.0, 1.0, 2.0, 2.0], vec![1.0, 2.0, 4.0, 5.0]), (3, vec![0.0, 0.0, 2.0, 1.0, 1.0, 1.0], vec![4.0 / 3.0, 7.0 / 3.0, 2.0, 3.0])] {
            let x = Tensor::from_f32(vec![2, length], ids).unwrap();
            let y = engine.predict(&[&x], 2).unwrap();
            assert_eq!(y[0].shape(), &[2, 2]);
            y[0].to_f32().iter().zip(&expected).for_each(|(a, b)| assert!((a - b).abs() < 1e-6, "length {length}: {a} vs {b}"));
        }
        // Training steps on two lengths: each plans its own workspace.
        for length in [2, 3] {
            let x = Tensor::from_f32(vec![2, length], vec![1.0; 2 * length]).unwrap();
            let targets = Tensor::from_f32(vec![2, 2], vec![0.0; 4]).unwrap();
            engine.check_data(&[&x], &[&targets]).unwrap();
            engine.train_batches(&[&x], &[&targets], &[0, 1], 2, 0, 1, &[0.1]).unwrap();
        }
        // Row 1 of the table, [2, 3], moved toward 0 by two steps of 0.1 times its gradient (the row itself).
        let row = engine.variables[0].read().to_f32()[2..4].to_vec();
        assert!((row[0] - 2.0 * 0.9 * 0.9).abs() < 1e-5 && (row[1] - 3.0 * 0.9 * 0.9).abs() < 1e-5, "{row:?}");
        // A fixed axis still has to match; rank too.
        let wrong_rank = Tensor::from_f32(vec![2, 2, 1], vec![0.0; 4]).unwrap();
        assert!(engine.check_data(&[&wrong_rank], &[&Tensor::from_f32(vec![2, 2], vec![0.0; 4]).unwrap()]).unwrap_err().message.contains("expected shape [null, null]"));
    }

    #[test]
    fn bad_data_is_refused_with_a_message() {
        let mut engine = Engine::new(&spec("sparse_categorical_crossentropy"), variables()).unwrap();
        let x = tensor(vec![3, 4], 1);
        let labels = Tensor::from_f32(vec![3], vec![0.0, 2.0, 1.0]).unwrap();
        let err = engine.check_data(&[&x], &[&labels]).unwrap_err();
        assert!(err.message.contains("label value of 2") && err.message.contains("[0, 2)"), "{}", err.message);
        let wide = tensor(vec![3, 5], 1);
        assert!(engine.check_data(&[&wide], &[&labels]).unwrap_err().message.contains("expected shape [null, 4]"));
        let nan = Tensor::from_f32(vec![1, 4], vec![0.0, f32::NAN, 0.0, 0.0]).unwrap();
        assert!(engine.check_data(&[&nan], &[&Tensor::from_f32(vec![1], vec![0.0]).unwrap()]).unwrap_err().message.contains("non-finite"));
        assert!(Engine::new(&spec("no_such_loss"), variables()).is_err());
    }
}
