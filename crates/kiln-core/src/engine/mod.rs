//! A compiled model: the graph, its weights, the losses, metrics and updater. Runs training,
//! evaluation and prediction over in-memory data, one planned workspace per batch size.
//!
//! Its parts: `spec` (what compile sends), `compiled_losses` (one batch's loss, training and
//! evaluation alike), `updater` (optimizer, clipping, decay, constraints, step count),
//! `batch_range` (which batches a run covers), `workspace` (a planned batch size's buffers,
//! targets held per output), `data_check` and `predict`.
mod batch_range;
mod compiled_losses;
mod data_check;
mod inference;
mod locks;
mod loss_terms;
mod predict;
mod reduction;
mod spec;
mod updater;
mod workspace;

use crate::distribution::{self, Shard};
use crate::error::{KilnError, Result};
use crate::graph::{rnn_state_inputs, Graph, InferenceFolds, Op};
use crate::kernels::metrics::{self, Weights};
use crate::optim;
use crate::rng::{self, Rng};
use crate::variable::Variable;
use std::ops::Deref;

pub use batch_range::{BatchData, BatchRange};
use compiled_losses::{BatchLoss, CompiledLosses};
use data_check::check_sample_weights;
use locks::{carry_rnn_states, held, lock_all_for_write, lock_for_inference};
pub use loss_terms::{LossTerm, TermKind, WeightPenalty};
pub use reduction::Reduction;
pub use spec::{EngineSpec, LossSpec, MetricSpec};
use updater::Updater;
use workspace::Workspace;

pub struct Engine {
    graph: Graph,
    variables: Vec<Variable>,
    variable_shapes: Vec<Vec<usize>>,
    /// Node of each variable, if the graph reads it.
    variable_nodes: Vec<Option<usize>>,
    /// Variables every forward pass writes: stateful RNNs' states (locked for writing in
    /// inference too).
    written: Vec<bool>,
    /// The batch size shape checks plan at: 1, or the one a stateful model's states were made
    /// for (it runs at no other).
    probe_batch: usize,
    input_nodes: Vec<usize>,
    needs_grad: Vec<bool>,
    skip_backward: Vec<bool>,
    losses: CompiledLosses,
    metrics: Vec<MetricSpec>,
    updater: Updater,
    rng: Rng,
    /// The seed generation (`rng::seed_generation`) `rng` belongs to: `reseed_if_stale`
    /// restarts it after a later `setSeed`.
    rng_generation: u64,
    /// Planned workspaces by batch size and per-sample input shapes (which vary where the
    /// model's inputs have unknown axes, as variable-length sequences do).
    workspaces: Vec<(usize, Vec<Vec<usize>>, Workspace)>,
    /// Batch norms folded into the layers before them for prediction and evaluation, with
    /// their folded weights (one copy for all workspaces; see graph::inference_fold).
    folds: InferenceFolds,
}

/// Planned shapes kept at once (a training run needs two: full and last batch).
const MAX_WORKSPACES: usize = 8;

/// The numbers one batch reports: samples, summed loss, each output's summed loss when asked
/// for, then each metric's state (metrics::MetricKind::state_len numbers each).
pub type BatchLogs = Vec<f64>;

impl Engine {
    pub fn new(spec_json: &str, variables: Vec<Variable>) -> Result<Engine> {
        let spec: EngineSpec = serde_json::from_str(spec_json).map_err(|e| KilnError::value(format!("Invalid model description: {e}")))?;
        Engine::from_spec(spec, variables)
    }

    pub fn from_spec(spec: EngineSpec, variables: Vec<Variable>) -> Result<Engine> {
        let EngineSpec { mut graph, trainable, losses, metrics, optimizer, output_losses, loss_terms, weight_penalties, constraints } = spec;
        if trainable.len() != variables.len() {
            return Err(KilnError::value(format!("{} variables but {} trainable flags", variables.len(), trainable.len())));
        }
        let n = graph.nodes.len();
        let mut variable_nodes = vec![None; variables.len()];
        let mut input_nodes = vec![usize::MAX; graph.input_count()];
        let mut needs_grad = vec![false; n];
        let mut written = vec![false; variables.len()];
        for node in graph.nodes.iter_mut() {
            // The engine cuts batches along the first axis: a batch size the model declares
            // (Keras' batch_shape) is for its stateful layers, which check it themselves.
            if let Op::Input { shape, .. } = &mut node.op {
                if let Some(batch) = shape.first_mut() {
                    *batch = None;
                }
            }
        }
        for (id, node) in graph.nodes.iter().enumerate() {
            if let Op::Rnn { stateful: true, .. } = node.op {
                for &target in rnn_state_inputs(node).1 {
                    if let Op::Variable { index } = graph.nodes[target].op {
                        *written.get_mut(index).ok_or_else(|| KilnError::value(format!("Graph reads variable {index}, but only {} were given", variables.len())))? = true;
                    }
                }
            }
            match node.op {
                Op::Variable { index } => {
                    if index >= variables.len() {
                        return Err(KilnError::value(format!("Graph reads variable {index}, but only {} were given", variables.len())));
                    }
                    variable_nodes[index] = Some(id);
                    needs_grad[id] = trainable[index];
                }
                Op::Input { index, ref shape } => {
                    // The engine cuts batches along the first axis (valueAndGrad takes whole tensors).
                    if shape.is_empty() {
                        return Err(KilnError::shape(format!("Graph node {id} ({}): a model input needs a batch axis, got shape []", node.name)));
                    }
                    input_nodes[index] = id;
                }
                _ => needs_grad[id] = node.inputs.iter().any(|&i| needs_grad[i]),
            }
        }
        let mut skip_backward = vec![false; n];
        let losses = CompiledLosses::new(losses, loss_terms, weight_penalties, output_losses, &graph, variables.len(), &mut skip_backward)?;
        for m in &metrics {
            if m.output >= graph.outputs.len() {
                return Err(KilnError::value(format!("Metric for output {} but the model has {} outputs", m.output, graph.outputs.len())));
            }
        }
        let metric_losses: Vec<Option<bool>> = metrics.iter().map(|m| losses.specs().iter().find(|l| l.output == m.output).map(|l| l.loss.kind.sparse_targets())).collect();
        let variable_shapes: Vec<Vec<usize>> = variables.iter().map(|v| v.shape.clone()).collect();
        let updater = Updater::new(optimizer.as_ref(), constraints, &variable_nodes, &trainable, &variable_shapes)?;
        let probe_batch = written.iter().position(|&w| w).and_then(|i| variable_shapes[i].first().copied()).unwrap_or(1);
        let folds = InferenceFolds::plan(&graph, &variable_shapes, &losses.nodes_read());
        let mut engine = Engine {
            graph,
            variables,
            variable_shapes,
            variable_nodes,
            written,
            probe_batch,
            input_nodes,
            needs_grad,
            skip_backward,
            losses,
            metrics,
            updater,
            rng: Rng::new(rng::with_global(|r| r.next_u64())),
            rng_generation: rng::seed_generation(),
            workspaces: Vec::new(),
            folds,
        };
        // Plan a batch now so shape errors surface at compile time. Unknown axes are
        // planned at length 1 here; where that is too short for the model (a convolution over
        // a variable length), the data's shapes decide at the first batch instead.
        let output_shapes = match engine.output_shapes(engine.probe_batch) {
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

    /// Optimizer steps taken so far (Keras' `iterations`).
    pub fn step(&self) -> u64 {
        self.updater.step
    }

    /// Sets the step count, as restored from a saved model.
    pub fn set_step(&mut self, step: u64) {
        self.updater.step = step;
    }

    /// The optimizer's state vectors for variable `index` (saving; see optim::slot_io).
    pub fn optimizer_slots(&mut self, index: usize) -> Result<Vec<Vec<f32>>> {
        let len = self.variable_len(index)?;
        optim::slot_io::read_slots(self.updater.optimizer_mut()?, index, len)
    }

    /// Restores the optimizer's state vectors for variable `index`.
    pub fn set_optimizer_slots(&mut self, index: usize, vectors: Vec<Vec<f32>>) -> Result<()> {
        let len = self.variable_len(index)?;
        optim::slot_io::write_slots(self.updater.optimizer_mut()?, index, len, vectors)
    }

    pub fn optimizer_slots_per_variable(&mut self) -> Result<usize> {
        optim::slot_io::slots_per_variable(self.updater.optimizer_mut()?)
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
        let w = self.workspace(batch, dims)?;
        let ws = &self.workspaces[w].2;
        Ok(self.graph.outputs.iter().map(|&o| ws.plan.shapes[o].clone()).collect())
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
        let ws = Workspace::new(&self.graph, self.losses.specs(), batch, dims, &self.variable_shapes, &self.needs_grad, &self.losses.nodes_read())?;
        self.workspaces.push((batch, dims.to_vec(), ws));
        Ok(self.workspaces.len() - 1)
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

    /// Trains on the batches `range` of `order` (sample indices, one epoch's shuffle), one
    /// learning rate per batch. Returns each batch's logs.
    pub fn train_batches(&mut self, data: &BatchData, order: &[u32], range: BatchRange, learning_rates: &[f32]) -> Result<Vec<BatchLogs>> {
        check_sample_weights(data)?;
        if !self.updater.has_optimizer() || self.losses.is_empty() {
            return Err(KilnError::runtime("You must call `compile()` with an optimizer and a loss before training"));
        }
        // Locked on the caller's thread (see locks).
        let variables = self.variables.clone();
        let mut guards = lock_all_for_write(&variables);
        let mut buffers: Vec<&mut Vec<f32>> = guards.iter_mut().map(|g| &mut **g).collect();
        crate::threads::run(|| {
            let dims = data.sample_dims();
            range
                .batches()
                .map(|b| {
                    // Data parallelism: this rank's part of the global batch (all of it in one process).
                    let part = distribution::shard(range.indices(order, b));
                    self.train_step(data, &dims, &part, learning_rates.get(b - range.first).copied().unwrap_or(0.0), &mut buffers)
                })
                .collect()
        })
    }

    fn train_step(&mut self, data: &BatchData, dims: &[Vec<usize>], part: &Shard, lr: f32, vars: &mut [&mut Vec<f32>]) -> Result<BatchLogs> {
        let w = self.workspace(part.idx.len(), dims)?;
        let loss = self.loss_pass(w, data, part.idx, vars, true)?;
        // The logs come from the forward pass, so they are taken before the update: under data
        // parallelism they travel in the gradients' allreduce (one collective per step).
        let mut logs = part.counted(self.batch_logs(w, vars, loss));
        let ws = &mut self.workspaces[w].2;
        distribution::average_gradients(part, &mut ws.plan.grads, self.updater.updated_nodes(), &mut logs)?;
        self.updater.apply(&mut ws.plan.grads, vars, lr);
        ws.plan.update_moving_statistics(&self.graph, vars);
        ws.plan.final_rnn_states(&self.graph, |index, values| vars[index].copy_from_slice(values));
        Ok(logs)
    }

    /// The variables the engine reads and trains, in its order.
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    /// Loss and metrics without training, batch by batch in order.
    pub fn evaluate_batches(&mut self, data: &BatchData, range: BatchRange) -> Result<Vec<BatchLogs>> {
        check_sample_weights(data)?;
        if self.losses.is_empty() {
            return Err(KilnError::runtime("You must call `compile()` with a loss before evaluating"));
        }
        // Locked on the caller's thread, as for training.
        let variables = self.variables.clone();
        let mut locks = lock_for_inference(&variables, &self.written);
        let mut vars = held(&mut locks);
        crate::threads::run(|| {
            let order: Vec<u32> = (0..data.samples() as u32).collect();
            let dims = data.sample_dims();
            range
                .batches()
                .map(|b| {
                    let part = distribution::shard(range.indices(&order, b));
                    let w = self.workspace(part.idx.len(), &dims)?;
                    let loss = self.loss_pass(w, data, part.idx, &vars, false)?;
                    let mut logs = part.counted(self.batch_logs(w, &vars, loss));
                    carry_rnn_states(&self.workspaces[w].2.plan, &self.graph, &mut vars);
                    // Data parallelism: the global batch's logs (one collective per batch, as in training).
                    distribution::sum_batch_logs(std::slice::from_mut(&mut logs))?;
                    Ok(logs)
                })
                .collect()
        })
    }

    /// One batch through workspace `w`, the path training and evaluation share: gathers the
    /// rows `idx`, runs the model forward and computes the loss; in `training`, with dropout
    /// and the like on, and the gradients computed into the plan.
    fn loss_pass<V: Deref<Target = Vec<f32>>>(&mut self, w: usize, data: &BatchData, idx: &[u32], vars: &[V], training: bool) -> Result<BatchLoss> {
        let Engine { graph, workspaces, rng, losses, input_nodes, variable_nodes, needs_grad, skip_backward, variables, folds, .. } = self;
        let ws = &mut workspaces[w].2;
        let weights = ws.gather(input_nodes, losses.specs(), data, idx);
        if training {
            ws.plan.forward(graph, vars, true, rng);
        } else {
            // Evaluation takes no gradient: batch norms fold.
            folds.refresh(graph, variables, vars);
            ws.plan.forward_folded(graph, vars, &[], folds, rng);
        }
        ws.plan.take_failure()?;
        let grad = training.then_some((&needs_grad[..], &skip_backward[..]));
        Ok(losses.compute(ws, graph, vars, variable_nodes, weights.as_deref(), grad))
    }

    /// The batch's logs: its size, loss, each output's loss when asked for, then each
    /// metric's state on the batch in workspace `w`.
    fn batch_logs<V: Deref<Target = Vec<f32>>>(&self, w: usize, vars: &[V], loss: BatchLoss) -> BatchLogs {
        let ws = &self.workspaces[w].2;
        let mut logs = vec![ws.plan.batch as f64, loss.sum];
        logs.extend(loss.per_output.unwrap_or_default());
        // A metric reads the targets of the loss on the same output.
        for m in self.metrics.iter().filter(|m| self.losses.has_targets(m.output)) {
            let out = self.graph.outputs[m.output];
            logs.extend(metrics::batch_state(&m.metric, ws.plan.value_of(&self.graph, vars, out), &ws.plan.shapes[out], &ws.targets[m.output], Weights::None));
        }
        logs
    }
}

#[cfg(test)]
mod tests;
