// One process of the public-API fuzzer (__test__/fuzz_api.spec.ts): runs the cases of seeds
// FIRST.. until DEADLINE (ms since the epoch), each a call of kiln.tensor, a kiln.ops op,
// kiln.random, kiln.utils, or a layer's constructor (then its build and call) with arbitrary
// arguments. Prints `try <seed>` before a case (synchronously, so the parent knows which case
// killed the process), `ok` or `no` (a KilnError) after it, `bad <seed> <json>` for an error that is not a KilnError, and
// `done <tried> <worked> <refused>` at the end.
import { writeSync } from 'node:fs';
import * as kiln from 'kiln-nn';

/** mulberry32, as the loader fuzzer uses. */
export function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Extreme numbers stay either invalid or far beyond any machine's memory (2**40 and up), so a
// case never makes the fuzzer fill gigabytes that kiln rightly accepted.
const EXTREME_NUMBERS = [-1, -0, 0.5, 2.5, -2.5, NaN, Infinity, -Infinity, 2 ** 40, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300, -(2 ** 31), -(2 ** 63)];
const STRINGS = ['', 'same', 'valid', 'causal', 'relu', 'softmax', 'float32', 'int32', 'channels_first', 'max', 'x', '3', 'constant'];
const OPTION_NAMES = [
  'units', 'filters', 'kernelSize', 'strides', 'padding', 'activation', 'useBias', 'inputShape', 'batchInputShape', 'rate', 'axis', 'poolSize', 'dilationRate',
  'groups', 'returnSequences', 'returnState', 'size', 'dims', 'targetShape', 'cropping', 'epsilon', 'momentum', 'inputDim', 'outputDim', 'name', 'dtype',
  'trainable', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'numHeads', 'keyDim', 'depthMultiplier', 'n', 'height', 'width', 'scale', 'offset',
  'factor', 'interpolation', 'seed', 'maxTokens', 'numTokens', 'outputMode', 'numBins', 'binBoundaries', 'maskValue', 'alpha', 'negativeSlope', 'maxValue',
  'threshold', 'mean', 'variance', 'center', 'goBackwards', 'stateful', 'unroll', 'dropout', 'recurrentDropout', 'mergeMode', 'sharedAxes', 'dataFormat',
  'keepdims', 'stddev', 'l1', 'l2', 'useScale', 'scoreMode', 'numQueryHeads', 'numKeyValueHeads', 'headDim', 'value', 'mode', 'fillMode', 'fillValue', 'cropToAspectRatio',
];

/** Arbitrary values: numbers, strings, arrays (nested, ragged, typed), objects, functions. */
class Values {
  constructor(random) {
    this.random = random;
  }
  int(n) {
    return Math.floor(this.random() * n);
  }
  pick(list) {
    return list[this.int(list.length)];
  }
  chance(p) {
    return this.random() < p;
  }
  /** Mostly 0..4; sometimes an extreme or a value of another type. */
  size() {
    const r = this.random();
    if (r < 0.8) return this.int(5);
    if (r < 0.95) return this.pick(EXTREME_NUMBERS);
    return this.any(1);
  }
  /** Mostly -3..3. */
  axis() {
    return this.chance(0.85) ? this.int(7) - 3 : this.any(1);
  }
  shape(maxRank = 4) {
    if (this.chance(0.05)) return this.any(2);
    return Array.from({ length: this.int(maxRank + 1) }, () => (this.chance(0.9) ? 1 + this.int(3) : this.size()));
  }
  number() {
    return this.chance(0.7) ? (this.random() - 0.5) * 10 : this.pick(EXTREME_NUMBERS);
  }
  nested(depth) {
    if (depth === 0 || this.chance(0.3)) return this.chance(0.9) ? this.number() : this.any(0);
    const length = this.int(4);
    const first = this.nested(depth - 1);
    // Mostly rectangular (copies of the first row's structure), sometimes ragged.
    const copy = (value) => (Array.isArray(value) ? value.map(copy) : value);
    return Array.from({ length }, (_, i) => (i === 0 ? first : this.chance(0.1) ? this.nested(depth - 1) : copy(first)));
  }
  typedArray() {
    const kinds = [Float32Array, Float64Array, Int32Array, Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Uint8ClampedArray];
    const Kind = this.pick(kinds);
    return Kind.from({ length: this.int(7) }, () => this.number());
  }
  any(depth = 2) {
    const kind = this.int(depth > 0 ? 12 : 8);
    if (kind === 0) return this.number();
    if (kind === 1) return this.pick(STRINGS);
    if (kind === 2) return this.pick([null, undefined, true, false]);
    if (kind === 3) return this.int(5);
    if (kind === 4) return this.pick(EXTREME_NUMBERS);
    if (kind === 5) return this.typedArray();
    if (kind === 6) return this.pick([{}, [], () => 1, Symbol('s'), 10n, new Date(0)]);
    if (kind === 7) return this.chance(0.5) ? [] : [this.int(4)];
    if (kind === 8) return this.nested(depth);
    if (kind === 9) return this.options(depth - 1);
    if (kind === 10) return this.tensor();
    return Array.from({ length: this.int(4) }, () => this.any(depth - 1));
  }
  options(depth = 1) {
    const out = {};
    for (let n = this.int(4); n > 0; n--) out[this.pick(OPTION_NAMES)] = this.chance(0.5) ? this.size() : this.any(depth);
    return out;
  }
  /** A small concrete tensor of random shape (scalars and empty axes included). */
  tensor(maxRank = 4) {
    const shape = Array.from({ length: this.int(maxRank + 1) }, () => (this.chance(0.1) ? 0 : 1 + this.int(3)));
    const size = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: size }, () => (this.chance(0.97) ? Math.round((this.random() - 0.5) * 8) : this.pick([NaN, Infinity, -Infinity])));
    return kiln.ops.reshape(kiln.tensor(data), shape);
  }
  /** An argument for an op: mostly a tensor, sometimes an array, a number or anything. */
  operand() {
    const r = this.random();
    if (r < 0.75) return this.tensor();
    if (r < 0.85) return this.nested(3);
    return this.any(2);
  }
}

// The abstract bases (Base*) are exported for subclassing, not for use as layers.
const LAYERS = Object.keys(kiln.layers).filter((name) => typeof kiln.layers[name] === 'function' && kiln.layers[name].prototype instanceof kiln.layers.Layer && !name.startsWith('Base'));

/** The ops, each with how to draw its arguments. */
const OPS = {
  reshape: (v) => [v.operand(), v.shape()],
  sum: (v) => [v.operand(), v.chance(0.8) ? v.axis() : v.any(1), v.chance(0.5) ? v.any(0) : v.chance(0.5)],
  mean: (v) => [v.operand(), v.axis(), v.chance(0.5)],
  max: (v) => [v.operand(), v.axis(), v.chance(0.5)],
  min: (v) => [v.operand(), v.chance(0.5) ? [v.axis(), v.axis()] : v.axis()],
  prod: (v) => [v.operand(), v.axis()],
  argMax: (v) => [v.operand(), v.axis()],
  argMin: (v) => [v.operand(), v.axis()],
  logSumExp: (v) => [v.operand(), v.axis()],
  take: (v) => [v.operand(), v.chance(0.7) ? Array.from({ length: v.int(4) }, () => v.size()) : v.operand(), v.axis()],
  gather: (v) => [v.operand(), v.chance(0.7) ? Array.from({ length: v.int(4) }, () => v.size()) : v.operand(), v.axis()],
  repeat: (v) => [v.operand(), v.size(), v.axis()],
  tile: (v) => [v.operand(), v.chance(0.5) ? v.size() : Array.from({ length: v.int(5) }, () => v.size())],
  pad: (v) => [v.operand(), Array.from({ length: v.int(5) }, () => (v.chance(0.9) ? [v.size(), v.size()] : v.any(1)))],
  transpose: (v) => [v.operand(), v.chance(0.3) ? undefined : Array.from({ length: v.int(5) }, () => ((a) => (typeof a === "number" ? a + 3 : a))(v.axis()))],
  concat: (v) => [Array.from({ length: v.int(4) }, () => v.operand()), v.axis()],
  stack: (v) => [Array.from({ length: v.int(4) }, () => v.operand()), v.axis()],
  sliceAxis: (v) => [v.operand(), v.axis(), v.size(), v.size()],
  slice: (v) => [v.operand(), Array.from({ length: v.int(4) }, () => v.size()), Array.from({ length: v.int(4) }, () => ((s) => (typeof s === 'number' ? s - 1 : s))(v.size()))],
  flip: (v) => [v.operand(), v.axis()],
  cumsum: (v) => [v.operand(), v.axis()],
  topK: (v) => [v.operand(), v.size()],
  expandDims: (v) => [v.operand(), v.axis()],
  squeeze: (v) => [v.operand(), v.chance(0.5) ? undefined : v.axis()],
  matmul: (v) => [v.operand(), v.operand()],
  add: (v) => [v.operand(), v.operand()],
  div: (v) => [v.operand(), v.operand()],
  maximum: (v) => [v.operand(), v.operand()],
  where: (v) => [v.operand(), v.operand(), v.operand()],
  clip: (v) => [v.operand(), v.number(), v.number()],
  softmax: (v) => [v.operand(), v.chance(0.5) ? undefined : v.axis()],
  logSoftmax: (v) => [v.operand(), v.axis()],
  relu: (v) => [v.operand()],
  oneHot: (v) => [v.operand(), v.size()],
  // Bounds within ±100 or far past any machine: a valid range of a billion values is not a bug.
  arange: (v) => Array.from({ length: 1 + v.int(3) }, () => (v.chance(0.85) ? (v.random() - 0.5) * 200 : v.pick([NaN, Infinity, -Infinity, 2 ** 40, -(2 ** 53), 1e300, undefined, null]))),
  conv: (v) => [v.tensor(5), v.tensor(5), v.chance(0.5) ? {} : { strides: v.size(), padding: v.pick(['same', 'valid', v.any(0)]), dilationRate: v.size(), ...(v.chance(0.2) ? v.options() : {}) }],
  convTranspose: (v) => [v.tensor(5), v.tensor(5), v.chance(0.5) ? {} : { strides: v.size(), padding: v.pick(['same', 'valid']), ...(v.chance(0.2) ? v.options() : {}) }],
  depthwiseConv: (v) => [v.tensor(4), v.tensor(4), v.chance(0.5) ? undefined : v.options()],
  maxPool: (v) => [v.tensor(5), v.chance(0.8) ? v.size() : [v.size(), v.size()], v.chance(0.5) ? undefined : v.size(), v.pick(['same', 'valid', v.any(0)])],
  averagePool: (v) => [v.tensor(5), v.size(), v.chance(0.5) ? undefined : v.size(), v.pick(['same', 'valid'])],
  einsum: (v) => [v.pick(['ij,jk->ik', 'ii->i', 'ij->ji', 'bij,bjk->bik', '...', 'i,i->', v.pick(STRINGS)]), v.operand(), v.operand()],
};

const CASES = {
  tensor: (v) => {
    const value = v.chance(0.15) ? v.typedArray() : v.chance(0.9) ? v.nested(1 + v.int(5)) : v.any(2);
    const args = v.chance(0.3) ? [value, v.pick(['float32', 'int32', 'bool', 'uint8', 'string', 'float64', v.any(0)])] : [value];
    if (v.chance(0.2)) args.splice(1, 0, v.shape());
    return { what: 'kiln.tensor', args, run: () => kiln.tensor(...args) };
  },
  op: (v) => {
    const name = v.pick(Object.keys(OPS));
    const args = OPS[name](v);
    return { what: `kiln.ops.${name}`, args, run: () => kiln.ops[name](...args) };
  },
  random: (v) => {
    const name = v.pick(['uniform', 'normal', 'truncatedNormal', 'randint']);
    const args = name === 'randint' ? [v.number(), v.number(), v.shape()] : [v.shape(), v.number(), v.number()];
    return { what: `kiln.random.${name}`, args, run: () => kiln.random[name](...args) };
  },
  utils: (v) => {
    const name = v.pick(['toCategorical', 'padSequences', 'normalize']);
    const args = name === 'toCategorical' ? [v.operand(), v.chance(0.5) ? undefined : v.size()] : name === 'padSequences' ? [v.nested(2), v.chance(0.5) ? undefined : v.options()] : [v.operand(), v.axis()];
    return { what: `kiln.utils.${name}`, args, run: () => kiln.utils[name](...args) };
  },
  layer: (v) => {
    const name = v.pick(LAYERS);
    const args = [];
    for (let n = v.int(3); n > 0; n--) args.push(v.chance(0.5) ? v.size() : v.any(2));
    if (v.chance(0.7)) args.push(v.options());
    const input = v.shape(4);
    const data = v.tensor(5);
    return {
      what: `new kiln.layers.${name} (then built on Input ${describeArgs(input)} and called on a tensor)`,
      args,
      run: () => {
        const layer = new kiln.layers[name](...args);
        layer.apply(kiln.Input({ shape: input }));
        return layer.apply(data);
      },
    };
  },
};

const KINDS = Object.keys(CASES);
const WEIGHTS = { tensor: 2, op: 5, random: 1, utils: 1, layer: 4 };
const WEIGHTED = KINDS.flatMap((k) => Array(WEIGHTS[k]).fill(k));

/** The case of `seed` (`kind` limits it to one kind of call). */
export function caseOf(seed, kind) {
  const v = new Values(generator(seed));
  const chosen = kind ?? v.pick(WEIGHTED);
  return CASES[chosen](v);
}

/** Arguments as text for a report (tensors by shape, long values cut). */
export function describeArgs(args) {
  const seen = new WeakSet();
  const text = JSON.stringify(args, (_, value) => {
    if (value instanceof kiln.Tensor) return `Tensor${JSON.stringify(value.shape)}`;
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    if (typeof value === 'function') return 'function';
    if (typeof value === 'symbol') return 'Symbol';
    if (value === undefined) return 'undefined';
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}[${Array.from(value).join(',')}]`;
    if (value && typeof value === 'object') {
      if (seen.has(value)) return '[circular]';
      seen.add(value);
    }
    return value;
  });
  return text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

async function main() {
  const first = Number(process.argv[2]);
  const deadline = Number(process.argv[3]);
  const kind = process.argv[4] || undefined;
  const counts = { tried: 0, worked: 0, refused: 0 };
  const say = (line) => writeSync(1, `${line}\n`);
  for (let seed = first; Date.now() < deadline; seed++) {
    say(`try ${seed}`);
    let c;
    try {
      c = caseOf(seed, kind);
    } catch (error) {
      // A fault of the generator, not of kiln: reported apart so it cannot pass for a crash.
      say(`bad ${seed} ${JSON.stringify({ what: 'the fuzzer could not make this case', error: String(error) })}`);
      continue;
    }
    counts.tried++;
    try {
      const result = c.run();
      // Reading the result reaches lazily computed values too.
      if (result instanceof kiln.Tensor) result.dataSync();
      else if (Array.isArray(result)) for (const r of result) if (r instanceof kiln.Tensor) r.dataSync();
      counts.worked++;
      say('ok');
    } catch (error) {
      if (error instanceof kiln.KilnError) {
        counts.refused++;
        say('no');
      } else say(`bad ${seed} ${JSON.stringify({ what: c.what, args: describeArgs(c.args), error: `${error?.constructor?.name}: ${String(error?.message ?? error).slice(0, 400)}`, stack: String(error?.stack ?? '').split('\n').slice(1, 4).join(' | ') })}`);
    }
  }
  say(`done ${counts.tried} ${counts.worked} ${counts.refused}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) await main();
