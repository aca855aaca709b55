// Every exported layer, optimizer and callback constructor, found from the exports so a new
// class is covered without touching this file: an unknown option name is refused, naming it and
// the valid ones (Keras refuses an unexpected keyword argument), and a wrong-typed main argument
// gets a message naming the argument and what it was given, never "[object Object]".
import test from 'ava';
import * as kiln from 'kiln-nn';

type Constructor = new (...args: unknown[]) => unknown;
/** Any class, abstract ones and those with a protected constructor (Loss, Metric) included. */
// biome-ignore lint/complexity/noBannedTypes: no constructor type admits a protected constructor
type AnyClass = Function;

function classesOf(exports: object, base: AnyClass): [string, Constructor][] {
  return Object.entries(exports).filter(([, value]) => typeof value === 'function' && value.prototype instanceof base) as [string, Constructor][];
}

/** Abstract bases (BaseConv, BaseRNN, ...): subclassed, never constructed by users. */
const isAbstractBase = (name: string) => /^Base[A-Z]/.test(name);

const layers = classesOf(kiln.layers, kiln.layers.Layer).filter(([name]) => !isAbstractBase(name));
const optimizers = classesOf(kiln.optimizers, kiln.optimizers.Optimizer);
// Constructors that genuinely take no options, as in Keras: History (made by fit),
// ProgbarLogger (made by fit from its `verbose`), MonitorCallback (the base of EarlyStopping and
// friends, constructed by them).
const NO_OPTIONS = new Set(['History', 'ProgbarLogger', 'MonitorCallback']);
const callbacks = classesOf(kiln.callbacks, kiln.callbacks.Callback).filter(([name]) => !NO_OPTIONS.has(name));

/** The first parameter of the nearest constructor written in `cls` or its ancestors. */
function firstParameter(cls: AnyClass): string {
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const match = /\bconstructor\s*\(\s*([A-Za-z_$][\w$]*)/.exec(Function.prototype.toString.call(c));
    if (match) return match[1];
  }
  return 'args';
}

/** Names that mean "the options object" rather than a main argument. */
const OPTIONS_PARAMETERS = new Set(['args', 'options', 'config', 'hooks']);

function refusal(make: () => unknown): string {
  try {
    make();
  } catch (error) {
    if (!(error instanceof kiln.KilnError)) return `not a KilnError: ${String(error)}`;
    return error.message;
  }
  return '(accepted)';
}

test('the sweep finds the constructors from the exports', (t) => {
  t.true(layers.length >= 50, `${layers.length} layers`);
  t.true(layers.some(([name]) => name === 'Dense') && layers.some(([name]) => name === 'InputLayer'));
  t.true(optimizers.length >= 9, `${optimizers.length} optimizers`);
  t.true(callbacks.length >= 9, `${callbacks.length} callbacks`);
});

for (const [family, classes] of [
  ['layer', layers],
  ['optimizer', optimizers],
  ['callback', callbacks],
] as const) {
  test(`every ${family} constructor refuses an unknown option, naming it and the valid ones`, (t) => {
    const failures: string[] = [];
    for (const [name, cls] of classes) {
      const message = refusal(() => new cls({ notAnOption: 1 }));
      if (!/'notAnOption'/.test(message) || !/Valid options: '/.test(message) || !message.includes(name)) failures.push(`${name}: ${message}`);
    }
    t.deepEqual(failures, []);
  });
}

for (const [family, classes] of [
  ['layer', layers],
  ['optimizer', optimizers],
] as const) {
  test(`every ${family} constructor refuses a wrong-typed main argument, naming it`, (t) => {
    const failures: string[] = [];
    for (const [name, cls] of classes) {
      const parameter = firstParameter(cls);
      const named = OPTIONS_PARAMETERS.has(parameter) ? /options object/ : new RegExp(`\\b${parameter}\\b`);
      // A class instance where a number, list, string, layer or options object belongs.
      const positional = refusal(() => new cls(new Date(0)));
      if (!named.test(positional) || !/an instance of Date/.test(positional)) failures.push(`${name}(new Date()): ${positional}`);
      if (!OPTIONS_PARAMETERS.has(parameter)) {
        // A plain object where the main argument belongs, in the options form.
        const inOptions = refusal(() => new cls({ [parameter]: { wrong: true } }));
        if (!named.test(inOptions) || /\[object Object\]/.test(inOptions) || inOptions === '(accepted)') failures.push(`${name}({ ${parameter}: {...} }): ${inOptions}`);
      }
    }
    t.deepEqual(failures, []);
  });
}

// Losses, metrics, regularizers, constraints and schedules take one options object (LossFunctionWrapper its
// function first); those that genuinely take no options: FunctionRegularizer (a function only)
// and NonNeg (Keras' takes nothing).
const lossFunction = () => kiln.ops.mean(kiln.ops.square(kiln.tensor([1])));
const optionObjects: [string, [string, Constructor][]][] = [
  ['loss', classesOf(kiln.losses, kiln.losses.Loss)],
  ['metric', classesOf(kiln.metrics, kiln.metrics.Metric)],
  ['regularizer', classesOf(kiln.regularizers, kiln.regularizers.Regularizer).filter(([name]) => name !== 'FunctionRegularizer')],
  ['constraint', classesOf(kiln.constraints, kiln.constraints.Constraint).filter(([name]) => name !== 'NonNeg')],
  ['learning-rate schedule', classesOf(kiln.optimizers.schedules, kiln.optimizers.schedules.LearningRateSchedule)],
];

for (const [family, classes] of optionObjects) {
  test(`every ${family} constructor refuses an unknown option, naming it and the valid ones`, (t) => {
    t.true(classes.length >= 3, `${classes.length} ${family} classes`);
    const failures: string[] = [];
    for (const [name, cls] of classes) {
      const message = refusal(() => (name === 'LossFunctionWrapper' ? new cls(lossFunction, { notAnOption: 1 }) : new cls({ notAnOption: 1 })));
      if (!/'notAnOption'/.test(message) || !/Valid options: '/.test(message) || !message.includes(name)) failures.push(`${name}: ${message}`);
    }
    t.deepEqual(failures, []);
  });
}

test('no refusal of the sweep says "[object Object]"', (t) => {
  const messages: string[] = [];
  for (const [, cls] of [...layers, ...optimizers, ...callbacks]) {
    messages.push(
      refusal(() => new cls({ notAnOption: {} })),
      refusal(() => new cls(new Date(0))),
      refusal(() => new cls({}, {})),
    );
  }
  t.deepEqual(
    messages.filter((m) => m.includes('[object Object]')),
    [],
  );
});
