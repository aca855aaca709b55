// kiln.valueAndGrad: the value of a scalar function written with kiln.ops, layers and models,
// and its gradient with respect to given variables, by the engine's reverse-mode autodiff.
// The function runs once in a tracing mode: its ops on variables record a graph whose leaves
// are the variables and the concrete tensors it read; the native side runs that graph forward
// and backward (no optimizer step).
import { ValueError } from '../errors.js';
import { buildGraphSpec } from '../models/graph_spec.js';
import { callNative, native } from '../native.js';
import { SymbolicTensor, withTracing } from '../symbolic.js';
import { Tensor } from '../tensor.js';
import { checkOptionNames, describeValue } from '../utils/options.js';
import { postOrder } from '../utils/graph_order.js';
import { Variable } from '../variable.js';
import { GradientTape, recordOn } from './tape.js';

/**
 * The value and the gradients; also iterable as `[value, grads]`. A gradient is `undefined`
 * for a variable the value does not depend on (TensorFlow's `None`).
 */
export class ValueAndGrads {
  constructor(
    /** The function's value (a scalar). */
    readonly value: Tensor,
    /** The gradient of the value for each variable, in the order given (undefined where it does not depend on it). */
    readonly grads: (Tensor | undefined)[],
    /** With `hasAux`: what `fn` returned beside the value, symbolic tensors computed. */
    readonly aux?: Aux<Tensor>,
  ) {}

  /** Destructures as `const [value, grads] = kiln.valueAndGrad(fn, variables)`. */
  *[Symbol.iterator](): Iterator<Tensor | (Tensor | undefined)[]> {
    yield this.value;
    yield this.grads;
  }
}

/** Values returned beside the differentiated one (JAX's `has_aux`): a tensor, a list or an object of them. */
export type Aux<T> = T | T[] | Record<string, T>;

/** The options of `valueAndGrad` and `grad`. */
export interface ValueAndGradOptions {
  /** `fn` returns `[value, aux]`; aux is computed with the value and returned, not differentiated (JAX's `has_aux`). Default false. */
  hasAux?: boolean;
}

type Traced = Tensor | SymbolicTensor;

/** The tensors of an aux structure, in order. */
function auxTensors(aux: unknown): Traced[] | undefined {
  const isTensor = (v: unknown): v is Traced => v instanceof Tensor || v instanceof SymbolicTensor;
  if (isTensor(aux)) return [aux];
  const list = Array.isArray(aux) ? aux : typeof aux === 'object' && aux !== null && Object.getPrototypeOf(aux) === Object.prototype ? Object.values(aux) : undefined;
  return list?.every(isTensor) ? list : undefined;
}

/** `aux` rebuilt with each symbolic tensor replaced by its computed value. */
function rebuildAux(aux: unknown, computed: Map<SymbolicTensor, Tensor>): Aux<Tensor> {
  const value = (t: Traced) => (t instanceof SymbolicTensor ? computed.get(t)! : t);
  if (aux instanceof Tensor || aux instanceof SymbolicTensor) return value(aux);
  if (Array.isArray(aux)) return aux.map(value);
  return Object.fromEntries(Object.entries(aux as Record<string, Traced>).map(([k, t]) => [k, value(t)]));
}

function checkVariables(where: string, variables: unknown): Variable[] {
  if (!Array.isArray(variables) || variables.some((v) => !(v instanceof Variable))) {
    throw new ValueError(`${where}: \`variables\` must be a list of kiln.Variable (for example model.trainableWeights), got ${describeValue(variables)}`);
  }
  return variables as Variable[];
}

/**
 * Keras/JAX's `value_and_grad`: calls `fn` (synchronously) and returns its value, which must be
 * one number (a scalar tensor, such as a loss), and d(value)/d(variable) for each variable, in
 * their order. A variable the value does not depend on gets `undefined`, as TensorFlow's
 * GradientTape gives None; a value that depends on none of them is an error, since no
 * gradient exists to train with. Layers and models called inside `fn` run in inference mode
 * unless called with `{ training: true }` (dropout then drops, batch normalisation uses and
 * updates the batch's statistics), as in Keras.
 */
export function valueAndGrad(
  fn: () => Tensor | SymbolicTensor | Variable | [Tensor | SymbolicTensor, Aux<Tensor | SymbolicTensor>],
  variables: Variable[],
  options: ValueAndGradOptions = {},
): ValueAndGrads {
  if (typeof fn !== 'function') throw new ValueError(`valueAndGrad: \`fn\` must be a function returning the value to differentiate, got ${describeValue(fn)}`);
  const wanted = checkVariables('valueAndGrad', variables);
  checkOptionNames('valueAndGrad', options, ['hasAux']);
  const tape = new GradientTape();
  let value: unknown = recordOn(tape, () => withTracing(fn));
  if (value instanceof Promise) throw new ValueError('valueAndGrad: `fn` returned a Promise; it must compute its value synchronously');
  let aux: unknown;
  let auxList: Traced[] = [];
  if (options.hasAux) {
    const list = Array.isArray(value) && value.length === 2 ? auxTensors(value[1]) : undefined;
    if (!list) throw new ValueError(`valueAndGrad: with \`hasAux\`, \`fn\` must return [value, aux] with aux a tensor, a list or an object of tensors; it returned ${describeValue(value)}`);
    [value, aux] = value as [unknown, unknown];
    auxList = list;
  }
  if (value instanceof Variable) value = value.symbolic;
  if (!(value instanceof SymbolicTensor || value instanceof Tensor)) {
    throw new ValueError(`valueAndGrad: \`fn\` must return the scalar tensor to differentiate (a loss built with kiln.ops); it returned ${describeValue(value)}`);
  }
  const shape = value.shape;
  if (shape.some((d) => d !== 1)) {
    throw new ValueError(
      `valueAndGrad: \`fn\` must return a scalar (one number) to differentiate, got a tensor of shape [${shape.map((d) => d ?? 'null').join(', ')}]; reduce it first (for example with kiln.ops.mean)`,
    );
  }
  const noDependence = () =>
    new ValueError(
      `valueAndGrad: the value returned by \`fn\` does not depend on any of the ${wanted.length} variable(s) given${
        wanted.length > 0
          ? ` (${wanted
              .slice(0, 3)
              .map((v) => v.path)
              .join(', ')}${wanted.length > 3 ? ', ...' : ''})`
          : ''
      }; compute it from them with kiln.ops, layers or models`,
    );
  if (value instanceof Tensor) throw noDependence();
  const output = value;
  // The leaves the value reads, in the graph's input order.
  const leaves: SymbolicTensor[] = [];
  const tensors: Tensor[] = [];
  const byLeaf = new Map([...tape.leaves].map(([t, leaf]) => [leaf, t]));
  postOrder(
    [output],
    (t) => t.inputs,
    (t) => {
      const fed = byLeaf.get(t);
      if (fed) {
        leaves.push(t);
        tensors.push(fed);
      }
    },
  );
  const symbolicAux = [...new Set(auxList.filter((t): t is SymbolicTensor => t instanceof SymbolicTensor))];
  for (const t of symbolicAux) {
    postOrder(
      [t],
      (n) => n.inputs,
      (n) => {
        const fed = byLeaf.get(n);
        if (fed && !leaves.includes(n)) {
          leaves.push(n);
          tensors.push(fed);
        }
      },
    );
  }
  const { graph, variables: read } = buildGraphSpec(leaves, [output, ...symbolicAux]);
  const asked = new Set(wanted);
  if (!read.some((v) => asked.has(v))) throw noDependence();
  const training = tape.training();
  const results = callNative(() =>
    native.valueAndGrad(
      JSON.stringify(graph),
      read.map((v) => v.handle),
      read.map((v) => asked.has(v)),
      tensors.map((t) => t.handle),
      training,
    ),
  );
  const [valueHandle, ...rest] = results;
  const gradHandles = rest.slice(0, read.length);
  const computed = new Map(symbolicAux.map((t, i) => [t, new Tensor(rest[read.length + i]!)]));
  const grads = new Map<Variable, Tensor>();
  read.forEach((v, i) => {
    const handle = gradHandles[i];
    if (handle) grads.set(v, new Tensor(handle));
  });
  return new ValueAndGrads(
    new Tensor(valueHandle!).reshape(output.shape as number[]),
    wanted.map((v) => grads.get(v)),
    options.hasAux ? rebuildAux(aux, computed) : undefined,
  );
}

/** JAX's `grad`: the gradients alone (see valueAndGrad). */
export function grad(fn: () => Tensor | SymbolicTensor | Variable, variables: Variable[]): (Tensor | undefined)[] {
  return valueAndGrad(fn, variables).grads;
}
