// What the public-API fuzzer (fuzz_api.spec.ts) found, kept as plain regression tests: each
// of these threw a raw TypeError or RangeError, or hung, before its fix.
import test from 'ava';
import * as kiln from 'kiln-nn';

const { ops } = kiln;
const valueError = { instanceOf: kiln.ValueError };
const x = () => ops.reshape(kiln.tensor([1, 2, 3, 4, 5, 6]), [1, 2, 3]);
// Values only JavaScript callers can pass (TypeScript types forbid them).
const loose = <T>(value: unknown) => value as T;

test('a layer given a second positional argument it does not take is refused with a ValueError', (t) => {
  // Merge layers inherited Layer's (args, ownOptions) constructor: "ownOptions is not iterable".
  t.throws(() => new kiln.layers.Add(loose({}), loose(1)), { instanceOf: kiln.ValueError, message: /Add: unexpected argument 1; give options as one object/ });
  t.throws(() => new (kiln.layers.Multiply as unknown as new (...a: unknown[]) => kiln.layers.Layer)(3, 4, { activation: 1.5 }), valueError);
  t.throws(() => new kiln.layers.Minimum(loose(0.5), loose({ numHeads: 1 })), valueError);
});

test('null options are no options for every layer, as Layer itself takes them', (t) => {
  for (const Layer of [
    kiln.layers.BatchNormalization,
    kiln.layers.GroupNormalization,
    kiln.layers.LayerNormalization,
    kiln.layers.UnitNormalization,
    kiln.layers.PReLU,
    kiln.layers.GlobalMaxPooling2D,
    kiln.layers.StringLookup,
  ]) {
    t.notThrows(() => new (Layer as unknown as new (a: unknown) => kiln.layers.Layer)(null), Layer.name);
  }
  // Discretization(null) gets as far as the message for missing options, as Discretization() does.
  t.throws(() => new kiln.layers.Discretization(loose(null)), { instanceOf: kiln.ValueError, message: /set `binBoundaries`, or `numBins`/ });
  const layer = new kiln.layers.GlobalAveragePooling1D(loose(null));
  t.deepEqual(
    (
      layer.apply(
        kiln.tensor([
          [
            [1, 2],
            [3, 4],
          ],
        ]),
      ) as kiln.Tensor
    ).toArray(),
    [[2, 3]],
  );
});

test('a layer name that is not a string, and Permute dims that are not integers, are ValueErrors', (t) => {
  t.throws(() => new kiln.layers.RandomBrightness(0.2, { name: loose(Symbol('s')) }), { instanceOf: kiln.ValueError, message: /`name` must be a string/ });
  t.throws(() => new kiln.layers.Dense(2, { name: loose(3) }), valueError);
  t.throws(() => new kiln.layers.Permute(loose([Symbol('a'), 1])), { instanceOf: kiln.ValueError, message: /Invalid permutation argument `dims`/ });
  t.throws(() => new kiln.layers.Permute(loose([1.5, 1])), valueError);
});

test('bigint and symbol arguments get a ValueError naming them, not a TypeError from the message', (t) => {
  t.throws(() => ops.argMin(x(), loose(10n)), { instanceOf: kiln.ValueError, message: /10n/ });
  t.throws(() => ops.tile(x(), loose([1n, 2, 1])), { instanceOf: kiln.ValueError, message: /\[1n,2,1\]/ });
  t.throws(() => kiln.Input({ shape: loose([10n, 1]) }), { instanceOf: kiln.ValueError, message: /\[10n,1\]/ });
  t.throws(() => kiln.utils.normalize(x(), loose(Symbol('axis'))), valueError);
  t.throws(() => ops.topK(x(), loose(Symbol('k'))), valueError);
  t.throws(() => ops.maxPool(ops.reshape(x(), [1, 1, 2, 3]), 1, 1, loose(Symbol('p'))), valueError);
  t.throws(() => kiln.tensor([1, 2], undefined, loose(Symbol('dtype'))), { instanceOf: kiln.ValueError, message: /Unknown dtype/ });
  for (const call of [
    () => ops.expandDims(x(), loose(Symbol('a'))),
    () => ops.flip(x(), loose(Symbol('a'))),
    () => ops.repeat(x(), 2, loose(Symbol('a'))),
    () => ops.logSoftmax(x(), loose(Symbol('a'))),
  ]) {
    t.throws(call, { instanceOf: kiln.ValueError, message: /axis/ });
  }
  // NaN in a message is NaN, not JSON's null.
  t.throws(() => ops.tile(x(), [1, NaN, 1]), { instanceOf: kiln.ValueError, message: /\[1,NaN,1\]/ });
});

test('kiln.tensor with a falsy shape checks it instead of passing it to native code', (t) => {
  // Was "Error: Failed to get Array length" from napi.
  t.throws(() => kiln.tensor(3.75, loose(false)), { instanceOf: kiln.ValueError, message: /shape must be an array/ });
  t.throws(() => kiln.tensor([1, 2], loose(0)), valueError);
  t.throws(() => kiln.tensor(kiln.tensor([1, 2]), loose('')), { instanceOf: kiln.KilnError });
});

test('arange and oneHot refuse counts no tensor holds, and int32 values that would wrap', (t) => {
  // Array.from threw a raw RangeError past 2**32 values.
  t.throws(() => ops.arange(0, 2 ** 40), { instanceOf: kiln.ResourceExhaustedError, message: /arange: cannot make 1099511627776 values/ });
  t.throws(() => ops.oneHot(kiln.tensor([1, 2]), 2 ** 40), { instanceOf: kiln.ResourceExhaustedError });
  t.throws(() => ops.arange(2 ** 31 - 2, 2 ** 31 + 2), { instanceOf: kiln.ValueError, message: /do not fit int32/ });
  t.deepEqual(Array.from(ops.arange(2 ** 31 - 3, 2 ** 31 - 1).dataSync()), [2 ** 31 - 3, 2 ** 31 - 2]);
  t.deepEqual(Array.from(ops.arange(1, -1, -0.5).dataSync()), [1, 0.5, 0, -0.5]);
  t.is(ops.arange(5).dtype, 'int32');
});

test('argMax with axis null is a ValueError (Keras flattens; kiln reduces one axis)', (t) => {
  t.throws(() => ops.argMax(x(), loose(null)), { instanceOf: kiln.ValueError, message: /argMax: axis must be one integer, got null/ });
});

test('padSequences with null options, or sequences of undefined entries, does not throw a TypeError', (t) => {
  t.deepEqual(kiln.utils.padSequences([[1], [2, 3]], loose(null)).toArray() as number[][], [
    [0, 1],
    [2, 3],
  ]);
  t.throws(() => kiln.utils.padSequences(loose([[undefined], [1]])), { instanceOf: kiln.ValueError, message: /entries of a sequence must be numbers or vectors of numbers, got undefined/ });
});

test('max pooling with a window of 2**40 cells answers at once: only the cells inside the input are visited', (t) => {
  // Hung (a loop over every cell of the window) before.
  const started = Date.now();
  // Steps of one sample each: every window holds just that step.
  const sequences = ops.reshape(kiln.tensor([1, 5, 2, 4, 3, 0, 7, 1, 2]), [3, 1, 3]);
  t.deepEqual((ops.maxPool(sequences, 2 ** 40, undefined, 'same') as kiln.Tensor).toArray(), [[[1, 5, 2]], [[4, 3, 0]], [[7, 1, 2]]]);
  // One 2x3 image: one window covering all of it.
  const image = ops.reshape(kiln.tensor([1, 6, 2, 4, 3, 5]), [1, 2, 3, 1]);
  t.deepEqual((ops.maxPool(image, [2 ** 40, 2 ** 40], [2 ** 40, 2 ** 40], 'same') as kiln.Tensor).toArray(), [[[[6]]]]);
  t.deepEqual((ops.averagePool(image, [2 ** 40, 2 ** 40], [2 ** 40, 2 ** 40], 'same') as kiln.Tensor).toArray(), [[[[3.5]]]]);
  t.true(Date.now() - started < 5000);
});

test('the ten-minute run: bigint and symbol counts in sliceAxis, repeat and padSequences, and unknown padSequences options', (t) => {
  // "Cannot mix BigInt and other types" and "Cannot convert a Symbol value to a string".
  t.throws(() => ops.sliceAxis(x(), 1, loose(10n), 1), { instanceOf: kiln.ValueError, message: /begin and size must be integers, got 10n and 1/ });
  t.throws(() => ops.sliceAxis(x(), 1, 0, loose(Symbol('s'))), valueError);
  t.throws(() => ops.repeat(x(), loose(Symbol('r')), 0), { instanceOf: kiln.ValueError, message: /repeats must be a positive integer/ });
  t.throws(() => kiln.utils.padSequences([[1]], { padding: loose([Symbol('p')]) }), { instanceOf: kiln.ValueError, message: /Padding type/ });
  t.throws(() => kiln.utils.padSequences([[1]], { maxlen: loose(Symbol('m')) }), valueError);
  // An option padSequences does not know was ignored.
  t.throws(() => kiln.utils.padSequences([[1]], loose({ fillMode: 'x' })), { instanceOf: kiln.ValueError, message: /padSequences: unknown option 'fillMode'/ });
  // A merge layer given a list with a symbol as its second argument.
  t.throws(() => new kiln.layers.Average(loose({}), loose([Symbol('s'), 2])), valueError);
});

test('a later run: a bigint padSequences value and a list holding a symbol as oneHot numClasses', (t) => {
  t.throws(() => kiln.utils.padSequences([[1], [2, 3]], { value: loose(10n) }), { instanceOf: kiln.ValueError, message: /value must be a number, got 10n/ });
  t.throws(() => ops.oneHot(kiln.tensor([1]), loose([Symbol('s'), [], 10n])), { instanceOf: kiln.ValueError, message: /numClasses must be a positive integer/ });
});

test('the ten-minute run on the merged tree: a bigint Normalization mean reached JSON.stringify in its message', (t) => {
  t.throws(() => new kiln.layers.Normalization({ mean: loose(10n) }), valueError);
  t.throws(() => new kiln.layers.Normalization({ mean: loose(10n), variance: loose(1) }), valueError);
});
