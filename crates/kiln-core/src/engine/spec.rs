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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LossSpec {
    pub output: usize,
    #[serde(flatten)]
    pub loss: Loss,
    #[serde(default = "one")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub weight: f32,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub reduction: Reduction,
    /// Only carries targets for the output's metrics (its loss is a custom function): not logged.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub targets_only: bool,
}

pub(super) fn one() -> f32 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MetricSpec {
    pub output: usize,
    #[serde(flatten)]
    pub metric: MetricKind,
}

/// Everything `compile` decides, as the TypeScript side sends it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EngineSpec {
    #[cfg_attr(feature = "ts", ts(as = "crate::graph::GraphDescription"))]
    pub graph: Graph,
    pub trainable: Vec<bool>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub losses: Vec<LossSpec>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub metrics: Vec<MetricSpec>,
    pub optimizer: Option<OptimizerConfig>,
    /// Report each output's loss (unweighted) after the total, as Keras logs a multi-output model.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub output_losses: bool,
    /// Regularization penalties and custom losses computed by graph nodes.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub loss_terms: Vec<LossTerm>,
    /// Built-in L1/L2 weight regularizers, computed fused on the variables.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub weight_penalties: Vec<WeightPenalty>,
    /// Applied to their variables after each optimizer step.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub constraints: Vec<ConstraintSpec>,
}
