//! What `compile` decides, as the TypeScript side sends it: the graph, trainable flags,
//! losses, metrics, optimizer, loss terms, weight penalties and constraints.
use super::loss_terms::{LossTerm, WeightPenalty};
use super::reduction::Reduction;
use crate::constraints::ConstraintSpec;
use crate::graph::Graph;
use crate::kernels::loss::Loss;
use crate::kernels::metrics::MetricKind;
use crate::optim::OptimizerConfig;
use serde::Deserialize;

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

pub(super) fn one() -> f32 {
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
