// Generated from kiln-core's serde types (crates/kiln-core/src/schema.rs) by `npm run schema`:
// do not edit. What TypeScript sends to the native module as JSON; a test fails when this file
// is stale.

/**
 * An augmentation and its ranges, as the TypeScript layer describes it.
 */
export type Augmentation = { "kind": "flip", horizontal: boolean, vertical: boolean, } | { "kind": "rotation", factor: [number, number], fill_mode: FillMode, interpolation: Interpolation, fill_value: number, } | { "kind": "zoom", height: [number, number], width: [number, number] | null, fill_mode: FillMode, interpolation: Interpolation, fill_value: number, } | { "kind": "translation", height: [number, number], width: [number, number], fill_mode: FillMode, interpolation: Interpolation, fill_value: number, } | { "kind": "contrast", factor: [number, number], value_range: [number, number], } | { "kind": "brightness", factor: [number, number], value_range: [number, number], } | { "kind": "crop", height: number, width: number, };

export type BinaryOp = "add" | "sub" | "mul" | "div" | "maximum" | "minimum" | "not_equal" | "equal" | "greater" | "greater_equal" | "less" | "less_equal" | "power";

export type Cell = "simple" | "lstm" | "gru";

export type ConfusionSpec = { thresholds: Array<number>, 
/**
 * Thresholds i/(n-1) (AUC's default): Keras then buckets the clipped predictions, which
 * gives the same counts in one pass (and decides exact ties the same way Keras does).
 */
evenly_distributed?: boolean, 
/**
 * Keep only each row's k highest predictions (the others become -1e10).
 */
top_k?: number | null, 
/**
 * Count only this column of the predictions and targets.
 */
class_id?: number | null, 
/**
 * Count each class separately (AUC's `multi_label`).
 */
multi_label?: boolean, 
/**
 * Apply a sigmoid to the predictions first (AUC's `from_logits`).
 */
from_logits?: boolean, 
/**
 * Without `multi_label`: a weight per class, multiplied into the sample weights.
 */
label_weights?: Array<number> | null, };

export type Constraint = { "kind": "max_norm", max_value: number, axis: Array<number>, } | { "kind": "non_neg" } | { "kind": "unit_norm", axis: Array<number>, } | { "kind": "min_max_norm", min_value: number, max_value: number, rate: number, axis: Array<number>, };

/**
 * A constraint on the variable `variable` of the engine's list.
 */
export type ConstraintSpec = { variable: number, } & ({ "kind": "max_norm", max_value: number, axis: Array<number>, } | { "kind": "non_neg" } | { "kind": "unit_norm", axis: Array<number>, } | { "kind": "min_max_norm", min_value: number, max_value: number, rate: number, axis: Array<number>, });

/**
 * Everything `compile` decides, as the TypeScript side sends it.
 */
export type EngineSpec = { graph: Graph, trainable: Array<boolean>, losses?: Array<LossSpec>, metrics?: Array<MetricSpec>, optimizer: OptimizerConfig | null, 
/**
 * Report each output's loss (unweighted) after the total, as Keras logs a multi-output model.
 */
output_losses?: boolean, 
/**
 * Regularization penalties and custom losses computed by graph nodes.
 */
loss_terms?: Array<LossTerm>, 
/**
 * Built-in L1/L2 weight regularizers, computed fused on the variables.
 */
weight_penalties?: Array<WeightPenalty>, 
/**
 * Applied to their variables after each optimizer step.
 */
constraints?: Array<ConstraintSpec>, };

export type FillMode = "reflect" | "wrap" | "constant" | "nearest";

/**
 * A model's ops in topological order (a node's inputs come before it) and which nodes are
 * its outputs, as described: a `Graph` once validated.
 */
export type Graph = { nodes: Array<Node>, outputs: Array<number>, };

export type Interpolation = "nearest" | "bilinear";

/**
 * A loss and its settings, with Keras' defaults.
 */
export type Loss = { kind: LossKind, 
/**
 * The output holds logits (cross-entropies): no softmax or sigmoid before the loss.
 */
from_logits?: boolean, 
/**
 * Categorical: t (1 - s) + s / classes; binary: t (1 - s) + s / 2.
 */
label_smoothing?: number, 
/**
 * Huber's switch from quadratic to linear.
 */
delta?: number, };

/**
 * The engine's losses, named as Keras' loss functions (snake_case).
 */
export type LossKind = "categorical_crossentropy" | "sparse_categorical_crossentropy" | "binary_crossentropy" | "mean_squared_error" | "mean_absolute_error" | "mean_absolute_percentage_error" | "mean_squared_logarithmic_error" | "huber" | "log_cosh" | "hinge" | "squared_hinge" | "categorical_hinge" | "kl_divergence" | "poisson" | "cosine_similarity";

export type LossSpec = { output: number, weight?: number, reduction?: Reduction, 
/**
 * Only carries targets for the output's metrics (its loss is a custom function): not logged.
 */
targets_only?: boolean, kind: LossKind, 
/**
 * The output holds logits (cross-entropies): no softmax or sigmoid before the loss.
 */
from_logits?: boolean, 
/**
 * Categorical: t (1 - s) + s / classes; binary: t (1 - s) + s / 2.
 */
label_smoothing?: number, 
/**
 * Huber's switch from quadratic to linear.
 */
delta?: number, };

export type LossTerm = { node: number, kind?: TermKind, weight?: number, reduction?: Reduction, 
/**
 * The output whose loss this is (a custom loss function), for its `<output>_loss` log.
 */
output?: number | null, };

/**
 * What a metric accumulates, as the TypeScript side describes it.
 */
export type MetricKind = { "kind": "accuracy" } | { "kind": "categorical_accuracy" } | { "kind": "sparse_categorical_accuracy" } | { "kind": "binary_accuracy", threshold?: number, } | { "kind": "top_k_categorical_accuracy", k: number, } | { "kind": "sparse_top_k_categorical_accuracy", k: number, } | { "kind": "mean_squared_error" } | { "kind": "mean_absolute_error" } | { "kind": "mean_absolute_percentage_error" } | { "kind": "mean_squared_logarithmic_error" } | { "kind": "log_cosh_error" } | { "kind": "cosine_similarity" } | { "kind": "hinge" } | { "kind": "squared_hinge" } | { "kind": "categorical_hinge" } | { "kind": "kl_divergence" } | { "kind": "poisson" } | { "kind": "binary_crossentropy", from_logits?: boolean, label_smoothing?: number, } | { "kind": "categorical_crossentropy", from_logits?: boolean, label_smoothing?: number, } | { "kind": "sparse_categorical_crossentropy", from_logits?: boolean, } | { "kind": "mean" } | { "kind": "sum" } | { "kind": "confusion" } & ConfusionSpec | { "kind": "f_score", threshold: number | null, } | { "kind": "r2_score" };

export type MetricSpec = { output: number, } & ({ "kind": "accuracy" } | { "kind": "categorical_accuracy" } | { "kind": "sparse_categorical_accuracy" } | { "kind": "binary_accuracy", threshold?: number, } | { "kind": "top_k_categorical_accuracy", k: number, } | { "kind": "sparse_top_k_categorical_accuracy", k: number, } | { "kind": "mean_squared_error" } | { "kind": "mean_absolute_error" } | { "kind": "mean_absolute_percentage_error" } | { "kind": "mean_squared_logarithmic_error" } | { "kind": "log_cosh_error" } | { "kind": "cosine_similarity" } | { "kind": "hinge" } | { "kind": "squared_hinge" } | { "kind": "categorical_hinge" } | { "kind": "kl_divergence" } | { "kind": "poisson" } | { "kind": "binary_crossentropy", from_logits?: boolean, label_smoothing?: number, } | { "kind": "categorical_crossentropy", from_logits?: boolean, label_smoothing?: number, } | { "kind": "sparse_categorical_crossentropy", from_logits?: boolean, } | { "kind": "mean" } | { "kind": "sum" } | { "kind": "confusion" } & ConfusionSpec | { "kind": "f_score", threshold: number | null, } | { "kind": "r2_score" });

export type Node = { inputs?: Array<number>, 
/**
 * The layer or op that made the node, for messages.
 */
name?: string, } & ({ "op": "input", index: number, shape: Array<number | null>, } | { "op": "variable", index: number, } | { "op": "constant", shape: Array<number>, values: Array<number>, } | { "op": "matmul", transpose_b: boolean, } | { "op": "unary", function: UnaryOp, } | { "op": "binary", function: BinaryOp, } | { "op": "softmax" } | { "op": "dropout", rate: number, shared_axes?: Array<number>, } | { "op": "reshape", shape: Array<number>, keep_batch: boolean, copy_axes?: Array<[number, number]>, } | { "op": "reduce", function: ReduceOp, axis: number | null, keep_dims: boolean, } | { "op": "conv2d", strides: [number, number], padding: Padding, dilation: [number, number], groups?: number, } | { "op": "conv2d_transpose", strides: [number, number], padding: Padding, output_padding: [number, number] | null, dilation: [number, number], } | { "op": "conv3d", strides: [number, number, number], padding: Padding, dilation: [number, number, number], groups?: number, } | { "op": "conv3d_transpose", strides: [number, number, number], padding: Padding, output_padding: [number, number, number] | null, dilation: [number, number, number], } | { "op": "transpose", perm: Array<number>, } | { "op": "pad", paddings: Array<[number, number]>, } | { "op": "repeat", repeats: Array<number>, } | { "op": "resize_linear", factors: Array<number>, } | { "op": "gaussian_noise", stddev: number, } | { "op": "gaussian_dropout", rate: number, } | { "op": "batch_matmul" } | { "op": "pool2d", function: PoolOp, pool: [number, number], strides: [number, number], padding: Padding, } | { "op": "rnn", cell: Cell, units: number, activation: UnaryOp, recurrent_activation: UnaryOp, return_sequences: boolean, go_backwards: boolean, masked?: boolean, return_state?: boolean, zero_output_for_mask?: boolean, initial_state?: boolean, 
/**
 * Keras' `recurrent_dropout`: while training, per-gate masks on h_{t-1}, and on the
 * inputs when `dropout` > 0 too (see kernels::rnn). Without it the layer applies its
 * `dropout` before this op.
 */
dropout?: number, recurrent_dropout?: number, stateful?: boolean, } | { "op": "slice", axis: number, begin: number, size: number, } | { "op": "flip", axis: number, } | { "op": "concat", axis: number, } | { "op": "embedding" } | { "op": "batch_norm", epsilon: number, momentum: number, inference?: boolean, } | { "op": "where" } | { "op": "tile", repeats: Array<number>, } | { "op": "cumsum", axis: number, } | { "op": "arg_reduce", function: ReduceOp, axis: number, } | { "op": "top_k", k: number, indices: boolean, } | { "op": "random_normal", shape: Array<number | null>, mean: number, stddev: number, } | { "op": "random_uniform", shape: Array<number | null>, minval: number, maxval: number, } | { "op": "augment", augmentation: Augmentation, });

export type Op = { "op": "input", index: number, shape: Array<number | null>, } | { "op": "variable", index: number, } | { "op": "constant", shape: Array<number>, values: Array<number>, } | { "op": "matmul", transpose_b: boolean, } | { "op": "unary", function: UnaryOp, } | { "op": "binary", function: BinaryOp, } | { "op": "softmax" } | { "op": "dropout", rate: number, shared_axes?: Array<number>, } | { "op": "reshape", shape: Array<number>, keep_batch: boolean, copy_axes?: Array<[number, number]>, } | { "op": "reduce", function: ReduceOp, axis: number | null, keep_dims: boolean, } | { "op": "conv2d", strides: [number, number], padding: Padding, dilation: [number, number], groups?: number, } | { "op": "conv2d_transpose", strides: [number, number], padding: Padding, output_padding: [number, number] | null, dilation: [number, number], } | { "op": "conv3d", strides: [number, number, number], padding: Padding, dilation: [number, number, number], groups?: number, } | { "op": "conv3d_transpose", strides: [number, number, number], padding: Padding, output_padding: [number, number, number] | null, dilation: [number, number, number], } | { "op": "transpose", perm: Array<number>, } | { "op": "pad", paddings: Array<[number, number]>, } | { "op": "repeat", repeats: Array<number>, } | { "op": "resize_linear", factors: Array<number>, } | { "op": "gaussian_noise", stddev: number, } | { "op": "gaussian_dropout", rate: number, } | { "op": "batch_matmul" } | { "op": "pool2d", function: PoolOp, pool: [number, number], strides: [number, number], padding: Padding, } | { "op": "rnn", cell: Cell, units: number, activation: UnaryOp, recurrent_activation: UnaryOp, return_sequences: boolean, go_backwards: boolean, masked?: boolean, return_state?: boolean, zero_output_for_mask?: boolean, initial_state?: boolean, 
/**
 * Keras' `recurrent_dropout`: while training, per-gate masks on h_{t-1}, and on the
 * inputs when `dropout` > 0 too (see kernels::rnn). Without it the layer applies its
 * `dropout` before this op.
 */
dropout?: number, recurrent_dropout?: number, stateful?: boolean, } | { "op": "slice", axis: number, begin: number, size: number, } | { "op": "flip", axis: number, } | { "op": "concat", axis: number, } | { "op": "embedding" } | { "op": "batch_norm", epsilon: number, momentum: number, inference?: boolean, } | { "op": "where" } | { "op": "tile", repeats: Array<number>, } | { "op": "cumsum", axis: number, } | { "op": "arg_reduce", function: ReduceOp, axis: number, } | { "op": "top_k", k: number, indices: boolean, } | { "op": "random_normal", shape: Array<number | null>, mean: number, stddev: number, } | { "op": "random_uniform", shape: Array<number | null>, minval: number, maxval: number, } | { "op": "augment", augmentation: Augmentation, };

/**
 * An update rule and the options applied around it, as one JSON object.
 */
export type OptimizerConfig = ({ "kind": "sgd", momentum: number, nesterov: boolean, } | { "kind": "adam", beta_1: number, beta_2: number, epsilon: number, amsgrad?: boolean, } | { "kind": "adamax", beta_1: number, beta_2: number, epsilon: number, } | { "kind": "nadam", beta_1: number, beta_2: number, epsilon: number, } | { "kind": "rmsprop", rho: number, momentum: number, epsilon: number, centered: boolean, } | { "kind": "adagrad", initial_accumulator_value: number, epsilon: number, } | { "kind": "adadelta", rho: number, epsilon: number, } | { "kind": "lion", beta_1: number, beta_2: number, }) & { 
/**
 * Each variable's gradient is rescaled so its L2 norm is at most this.
 */
clipnorm?: number | null, 
/**
 * Gradient entries are clipped to [-clipvalue, clipvalue].
 */
clipvalue?: number | null, 
/**
 * All gradients are rescaled together so their joint L2 norm is at most this.
 */
global_clipnorm?: number | null, 
/**
 * Before the update, w -= lr * weight_decay * w.
 */
weight_decay?: number | null, };

/**
 * The update rule the TypeScript side sends (Keras' names and defaults live there).
 */
export type OptimizerSpec = { "kind": "sgd", momentum: number, nesterov: boolean, } | { "kind": "adam", beta_1: number, beta_2: number, epsilon: number, amsgrad?: boolean, } | { "kind": "adamax", beta_1: number, beta_2: number, epsilon: number, } | { "kind": "nadam", beta_1: number, beta_2: number, epsilon: number, } | { "kind": "rmsprop", rho: number, momentum: number, epsilon: number, centered: boolean, } | { "kind": "adagrad", initial_accumulator_value: number, epsilon: number, } | { "kind": "adadelta", rho: number, epsilon: number, } | { "kind": "lion", beta_1: number, beta_2: number, };

export type Padding = "valid" | "same";

export type PoolOp = "max" | "average";

export type ReduceOp = "sum" | "mean" | "max" | "min" | "prod";

export type Reduction = "sum_over_batch_size" | "mean" | "sum" | "mean_with_sample_weight";

export type TermKind = "penalty" | "batch_penalty" | "sample_loss";

export type UnaryOp = "linear" | "relu" | "sigmoid" | "tanh" | "exp" | "log" | "square" | "sqrt" | "neg" | "abs" | "elu" | "selu" | "gelu" | "swish" | "softplus" | "softsign" | "hard_sigmoid" | "leaky_relu" | "relu6" | "erf";

/**
 * Keras' L1/L2 penalty `l1 * sum(|w|) + l2 * sum(w²)` on a variable, fused: one pass for the
 * value, one for the gradient (the graph-node form of the same penalty takes several).
 */
export type WeightPenalty = { variable: number, l1?: number, l2?: number, };
