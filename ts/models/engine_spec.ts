// Everything compile decides, as the native engine reads it: the graph with its loss terms
// (regularizers, custom losses traced with kiln.ops), the built-in losses, metrics, optimizer
// and constraints.
import { ValueError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import type { Loss, LossKind } from '../losses/index.js';
import { LossFunctionWrapper } from '../losses/loss_function.js';
import type * as schema from '../native_schema.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { type Shape, SymbolicTensor } from '../symbolic.js';
import type { Variable } from '../variable.js';
import { buildGraphSpec } from './graph_spec.js';
import { constraintSpecs, type PendingTerm, regularizationTerms } from './training_terms.js';

export interface EngineSpecArgs {
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  /** The layers (and a subclassed model) whose activity penalties and addLoss terms count. */
  layers: Partial<Pick<Layer, 'activityPenalties' | 'addedLosses'>>[];
  trainableWeights: Variable[];
  /** One per output. */
  losses: Loss[];
  lossWeights: number[];
  /** The engine's metric specs, each naming its output. */
  metrics: schema.MetricSpec[];
  optimizer: Optimizer;
  /** Per-sample shape of each output's targets, when the data is known (custom losses need it). */
  targetShapes?: (number[] | undefined)[];
  /** Whether batch logs carry each loss after the total (a multi-output model's `<output>_loss`). */
  outputLosses?: boolean;
}

export interface CompiledSpec {
  spec: schema.EngineSpec;
  variables: Variable[];
  /** Outputs whose targets feed a custom loss: passed to the engine after the model's inputs. */
  targetsAsInputs: number[];
  /** Outputs whose targets the engine reads as targets (built-in losses, metrics). */
  targetsAsTargets: number[];
}

const perSample = (shape: Shape) => shape.slice(1).map((d) => d ?? 1);
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The native engine's description of a compiled model. */
export function engineSpec(a: EngineSpecArgs): CompiledSpec {
  const terms: PendingTerm[] = [];
  const targetInputs: SymbolicTensor[] = [];
  const targetsAsInputs: number[] = [];
  const targetsAsTargets: number[] = [];
  const losses: schema.LossSpec[] = [];
  a.outputs.forEach((output, i) => {
    const loss = a.losses[i];
    const weight = a.lossWeights[i];
    if (!(loss instanceof LossFunctionWrapper)) {
      losses.push({ output: i, ...loss.spec(), weight, reduction: engineReduction(loss) });
      targetsAsTargets.push(i);
      return;
    }
    const targetShape = a.targetShapes?.[i] ?? perSample(output.shape);
    const yTrue = new SymbolicTensor([null, ...targetShape], { op: 'input', shape: [null, ...targetShape] }, [], `${output.name}_target`);
    const values = loss.call(yTrue, output);
    if (!(values instanceof SymbolicTensor)) throw new ValueError(`Loss function "${loss.name}" must compute its result from yTrue and yPred with kiln.ops`);
    if (values.shape.length > 0 && values.shape[0] !== null) {
      throw new ValueError(`Loss function "${loss.name}" must return one value per sample (shape [batch, ...]) or a scalar, got shape [${values.shape.join(', ')}]`);
    }
    terms.push({ tensor: values, kind: 'sample_loss', weight, reduction: engineReduction(loss), output: i });
    targetInputs.push(yTrue);
    targetsAsInputs.push(i);
    if (!a.metrics.some((m) => m.output === i)) return;
    // Metrics read targets from the engine's target buffers: a loss of weight 0 carries them.
    const width = size(perSample(output.shape));
    const carrier: LossKind | undefined = size(targetShape) === width ? 'mean_squared_error' : size(targetShape) === 1 ? 'sparse_categorical_crossentropy' : undefined;
    if (!carrier) throw new ValueError(`Metrics of output "${output.name}": its targets (per-sample shape [${targetShape.join(', ')}]) match neither its shape nor one label per sample`);
    losses.push({ output: i, kind: carrier, weight: 0, targets_only: true });
    targetsAsTargets.push(i);
  });
  const regularization = regularizationTerms(a.layers, a.trainableWeights, a.outputs);
  terms.push(...regularization.terms);
  // A regularized weight is in the graph even where no layer reads it.
  const penalized = regularization.weightPenalties.map((p) => p.weight.symbolic);
  const { graph, variables, extraIds } = buildGraphSpec([...a.inputs, ...targetInputs], a.outputs, [...terms.map((t) => t.tensor), ...penalized]);
  const trainable = new Set(a.trainableWeights);
  const spec: schema.EngineSpec = {
    graph,
    // What trains is what the model's trainableWeights lists (layers' and models' `trainable` included).
    trainable: variables.map((v) => trainable.has(v)),
    losses,
    metrics: a.metrics,
    optimizer: a.optimizer.engineSpec(),
    output_losses: a.outputLosses ?? false,
    loss_terms: terms.map((t, k) => ({ node: extraIds[k], kind: t.kind, weight: t.weight ?? 1, reduction: t.reduction ?? 'sum_over_batch_size', output: t.output })),
    weight_penalties: regularization.weightPenalties.map((p) => ({ variable: variables.indexOf(p.weight), l1: p.l1, l2: p.l2 })),
    constraints: constraintSpecs(variables),
  };
  return { spec, variables, targetsAsInputs, targetsAsTargets };
}

/** A loss's reduction as the engine reads it; 'none' cannot train (the loss must be one number). */
function engineReduction(loss: Loss): schema.Reduction {
  if (loss.reduction === 'none') {
    throw new ValueError(`Loss "${loss.name}" has reduction 'none': compile() needs a loss that reduces to one number ('sum_over_batch_size', 'sum', 'mean' or 'mean_with_sample_weight')`);
  }
  return loss.reduction;
}
