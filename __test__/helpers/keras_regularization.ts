// Replays the cases of __test__/fixtures/keras_regularization.json (written by
// scripts/fixtures/keras_regularization.py with Keras 3): builds each model from its kiln
// description, sets Keras' initial weights, trains with the same options and compares.
import type { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

export interface FixtureArray {
  shape: number[];
  values: number[];
}
type LayerSpec = [string, number[], Record<string, unknown>];
type LossSpec = string | { className: string; config: Record<string, unknown> };
export interface Case {
  name: string;
  inputShape: number[];
  layers: LayerSpec[];
  loss: LossSpec;
  targets: string;
  learningRate: number;
  fit: Record<string, unknown>;
  initial: FixtureArray[];
  weights: FixtureArray[];
  history: Record<string, number[]>;
  evaluate: number;
  weightedEvaluate: number | null;
}
interface Fixture {
  epochs: number;
  data: Record<string, FixtureArray>;
  cases: Case[];
  regularizer_values: { regularizer: { className: string; config: Record<string, number> }; value: number }[];
  reductions: { reduction: kiln.losses.Reduction; weighted: boolean; value: FixtureArray }[];
}

export const fixture: Fixture = JSON.parse(readFileSync(new URL('../fixtures/keras_regularization.json', import.meta.url), 'utf8'));

export const TOLERANCE = 1e-5;
export const close = (actual: number, expected: number, tolerance = TOLERANCE) => Math.abs(actual - expected) <= tolerance + tolerance * Math.abs(expected);
export const toTensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.values), a.shape);
export const data = (key: string) => toTensor(fixture.data[key]);

const { ops } = kiln;
type Operand = kiln.Tensor | kiln.SymbolicTensor;
/** The custom losses of the fixture script, written with kiln.ops. */
export const CUSTOM_LOSSES: Record<string, (yTrue: Operand, yPred: Operand) => Operand> = {
  mse_plus_half_mae: (yTrue, yPred) => {
    const error = ops.sub(yTrue, yPred);
    return ops.add(ops.mean(ops.square(error), -1), ops.mul(ops.mean(ops.abs(error), -1), 0.5));
  },
  scalar_mse: (yTrue, yPred) => ops.mean(ops.square(ops.sub(yTrue, yPred))),
  per_value_squared: (yTrue, yPred) => ops.square(ops.sub(yTrue, yPred)),
};

function loss(spec: LossSpec): string | kiln.losses.Loss | kiln.losses.LossFunction {
  if (typeof spec === 'string') return (CUSTOM_LOSSES[spec] as kiln.losses.LossFunction) ?? spec;
  const custom = CUSTOM_LOSSES[spec.className];
  if (custom) return new kiln.losses.LossFunctionWrapper(custom as kiln.losses.LossFunction, spec.config);
  const LossClass = (kiln.losses as unknown as Record<string, new (config: Record<string, unknown>) => kiln.losses.Loss>)[spec.className];
  return new LossClass(spec.config);
}

/** The case's model at Keras' initial weights, compiled with SGD. */
export function buildModel(c: Case): kiln.Sequential {
  const Layers = kiln.layers as unknown as Record<string, new (...args: unknown[]) => kiln.layers.Layer>;
  const model = new kiln.Sequential(c.layers.map(([name, args, options], i) => new Layers[name](...args, i === 0 ? { ...options, inputShape: c.inputShape } : options)));
  model.setWeights(c.initial.map(toTensor));
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: c.learningRate }), loss: loss(c.loss) });
  return model;
}

/** fit's arguments for the case, from its kiln-spelled options. */
function fitArgs(c: Case): kiln.FitArgs {
  const { sampleWeight, validationData, ...rest } = c.fit;
  const args: kiln.FitArgs = { ...(rest as kiln.FitArgs), batchSize: (c.fit.batchSize as number) ?? 16, epochs: fixture.epochs, shuffle: false, verbose: 0 };
  if (sampleWeight) args.sampleWeight = data(sampleWeight as string);
  if (validationData === 'weighted') args.validationData = [data('x_val'), data('regression_val'), data('weights_val')];
  if (validationData === 'plain') args.validationData = [data('x_val'), data('regression_val')];
  return args;
}

/** Trains the case and checks kiln's weights, History and evaluate against Keras'. */
export async function replay(t: ExecutionContext, c: Case): Promise<void> {
  const model = buildModel(c);
  const x = c.inputShape.length === 1 ? data('x') : data('sequences');
  const y = data(c.targets);
  const history = await model.fit(x, y, fitArgs(c));
  t.deepEqual(Object.keys(history.history).sort(), Object.keys(c.history).sort(), `${c.name}: History keys`);
  for (const [key, expected] of Object.entries(c.history)) {
    const got = history.history[key];
    t.is(got.length, expected.length, `${c.name}: ${key} entries`);
    expected.forEach((e, i) => t.true(close(got[i], e), `${c.name}: ${key}[${i}] = ${got[i]}, Keras ${e}`));
  }
  model.getWeights().forEach((w, k) => {
    const got = w.dataSync();
    c.weights[k].values.forEach((e, i) => t.true(close(got[i], e), `${c.name}: weight ${k}[${i}] = ${got[i]}, Keras ${e}`));
  });
  const [evaluated] = await model.evaluate(x, y, { batchSize: 5, verbose: 0 });
  t.true(close(evaluated, c.evaluate), `${c.name}: evaluate ${evaluated}, Keras ${c.evaluate}`);
  if (c.weightedEvaluate !== null) {
    const [weighted] = await model.evaluate(x, y, { batchSize: 5, verbose: 0, sampleWeight: data('weights') });
    t.true(close(weighted, c.weightedEvaluate), `${c.name}: evaluate with sampleWeight ${weighted}, Keras ${c.weightedEvaluate}`);
  }
}

export const cases = (names: string[]) => fixture.cases.filter((c) => names.includes(c.name));
