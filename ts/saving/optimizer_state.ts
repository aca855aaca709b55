// The optimizer's state in the order of Keras' optimizer variables: the step count, then each
// trainable weight's state vectors, laid out as Keras' optimizer builds them (Adam: momentum
// and velocity interleaved weight by weight; RMSprop: all velocities, then all momentums, ...).
import { FileFormatError } from '../errors.js';
import { buildGraphSpec } from '../models/graph_spec.js';
import type { Model } from '../models/model.js';
import { Adam } from '../optimizers/adam.js';
import { Nadam } from '../optimizers/nadam.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { RMSprop } from '../optimizers/rmsprop.js';
import { SGD } from '../optimizers/sgd.js';
import type { Variable } from '../variable.js';
import { nextTurn } from './load_worker_client.js';

/**
 * Keras' layout as groups of the engine's per-weight slots: each group is written for every
 * weight in turn (its slots interleaved), groups one after another. Slots in no group are
 * ones Keras does not keep because the settings never read them (they restore as zeros).
 */
function kerasLayout(optimizer: Optimizer, perVariable: number): number[][] {
  if (optimizer instanceof Adam) return optimizer.amsgrad ? [[0, 1], [2]] : [[0, 1]];
  // The engine's RMSprop slots: velocity, mean gradient (centered), momentum.
  if (optimizer instanceof RMSprop) return [[0], ...(optimizer.momentum > 0 ? [[2]] : []), ...(optimizer.centered ? [[1]] : [])];
  if (optimizer instanceof SGD) return optimizer.momentum > 0 ? [[0]] : [];
  return [Array.from({ length: perVariable }, (_, i) => i)];
}

/**
 * Scalars Keras keeps after the per-weight state: Nadam's product of its momentum schedule,
 * which the engine derives from the step count (so it is written, and not read back).
 */
function trailingScalars(optimizer: Optimizer, iterations: number): number[] {
  if (!(optimizer instanceof Nadam)) return [];
  let product = 1;
  for (let t = 1; t <= iterations; t++) product *= optimizer.beta1 * (1 - 0.5 * 0.96 ** t);
  return [product];
}

export interface OptimizerState {
  iterations: number;
  learningRate: number;
  /** Every state vector, trainable weight by trainable weight. */
  vectors: { values: Float32Array; shape: number[] }[];
}

/** The compiled engine and where each trainable weight sits in it; undefined before compile/build. */
function engineSlots(model: Model) {
  const compiled = model.compiledState();
  if (!compiled || !model.built) return undefined;
  const engine = compiled.engine();
  const { variables } = buildGraphSpec(model.engineInputs, model.outputs);
  const slots = model.trainableWeights.map((w: Variable) => ({ weight: w, index: variables.indexOf(w) }));
  return { engine, optimizer: compiled.optimizer, slots };
}

export function readOptimizerState(model: Model): OptimizerState | undefined {
  const found = engineSlots(model);
  if (!found) return undefined;
  const { engine, optimizer, slots } = found;
  const perVariable = engine.optimizerSlotsPerVariable();
  // A weight the graph never reads has no state in the engine: Keras' zeros.
  const current = slots.map(({ weight, index }) => (index >= 0 ? engine.optimizerSlots(index) : Array.from({ length: perVariable }, () => new Float32Array(size(weight)))));
  const vectors = kerasLayout(optimizer, perVariable).flatMap((group) => slots.flatMap(({ weight }, i) => group.map((slot) => ({ values: current[i][slot], shape: weight.shape }))));
  for (const value of trailingScalars(optimizer, optimizer.iterations)) vectors.push({ values: Float32Array.of(value), shape: [] });
  return { iterations: optimizer.iterations, learningRate: optimizer.learningRateAt(optimizer.iterations), vectors };
}

/**
 * Restores state read from a file. Returns false (and changes nothing) when the file's layout
 * does not fit this optimizer (a different optimizer or one Keras lays out differently),
 * as Keras skips such state with a warning.
 */
export async function restoreOptimizerState(model: Model, state: OptimizerState, what: string): Promise<boolean> {
  const found = engineSlots(model);
  if (!found) return false;
  const { engine, optimizer, slots } = found;
  const perVariable = engine.optimizerSlotsPerVariable();
  const layout = kerasLayout(optimizer, perVariable);
  if (state.vectors.length !== slots.length * layout.flat().length + trailingScalars(optimizer, 0).length) return false;
  if (!Number.isInteger(state.iterations) || state.iterations < 0) throw new FileFormatError(`${what}: the optimizer's iteration count must be a non-negative integer, got ${state.iterations}`);
  const restored: Float32Array[][] = slots.map(({ weight }) => Array.from({ length: perVariable }, () => new Float32Array(size(weight))));
  let next = 0;
  for (const group of layout) {
    slots.forEach(({ weight }, i) => {
      for (const slot of group) {
        const stored = state.vectors[next++];
        if (stored.values.length !== size(weight)) {
          throw new FileFormatError(`${what}: optimizer state for weight '${weight.path}' has shape [${stored.shape.join(', ')}], expected [${weight.shape.join(', ')}]`);
        }
        restored[i][slot] = stored.values;
      }
    });
  }
  // One weight's state at a time, letting the event loop run between (a large model's state is large).
  for (const [i, { index }] of slots.entries()) {
    if (index < 0) continue;
    engine.setOptimizerSlots(index, restored[i]);
    await nextTurn();
  }
  engine.setStep(state.iterations);
  optimizer.iterations = state.iterations;
  return true;
}

function size(weight: Variable): number {
  return weight.shape.reduce((a, b) => a * b, 1);
}
