// Keras' calling conventions, so a Keras program ports line for line: `Input` first in a
// Sequential, `Input({ dtype })`, `new Model(inputs, outputs)`, every constructor's options
// object form with unknown names refused, positional optimizer learning rates, and the
// functional merge helpers (`kiln.layers.add([a, b])`).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';

const directory = mkdtempSync(join(tmpdir(), 'kiln-conventions-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

const { Dense, Embedding, Flatten, InputLayer } = kiln.layers;

test('Sequential([Input(...), ...]) and Sequential([new InputLayer(...), ...]), the Keras 3 idiom', async (t) => {
  kiln.setSeed(1);
  const withInput = new kiln.Sequential([kiln.Input({ shape: [4] }), new Dense(3, { activation: 'relu' }), new Dense(2)]);
  const withInputLayer = new kiln.Sequential([new InputLayer({ shape: [4] }), new Dense(3, { activation: 'relu' }), new Dense(2)]);
  const positional = new kiln.Sequential([new InputLayer([4]), new Dense(3, { activation: 'relu' }), new Dense(2)]);
  const declared = new kiln.Sequential([new Dense(3, { activation: 'relu', inputShape: [4] }), new Dense(2)]);
  for (const model of [withInput, withInputLayer, positional]) {
    t.true(model.built);
    t.deepEqual(model.inputShape, declared.inputShape);
    t.is(model.layers.length, 2, 'the InputLayer is not one of model.layers, as in Keras');
    t.is(model.countParams(), 4 * 3 + 3 + 3 * 2 + 2);
    model.setWeights(declared.getWeights());
    const x = kiln.random.uniform([5, 4]);
    t.deepEqual(Array.from((await model.predict(x)).dataSync()), Array.from((await declared.predict(x)).dataSync()));
  }
  const added = new kiln.Sequential();
  added.add(kiln.Input({ shape: [4] }));
  added.add(new Dense(2));
  t.deepEqual(added.outputs[0].shape, [null, 2]);
  t.throws(() => new kiln.Sequential([new Dense(2), kiln.Input({ shape: [4] })]), { instanceOf: kiln.ValueError, message: /first layer/ });
  t.throws(() => new kiln.Sequential([{ units: 3 } as never]), { instanceOf: kiln.ValueError, message: /can be added to a Sequential model\. Received: an object/ });
  t.throws(() => new kiln.Sequential([], { nmae: 'x' } as never), { instanceOf: kiln.ValueError, message: /Sequential: unknown option 'nmae'/ });
});

test('Input({ dtype: "int32" }) feeds token ids to an Embedding as integers, as Keras converts', async (t) => {
  kiln.setSeed(2);
  const ids = kiln.Input({ shape: [3], dtype: 'int32' });
  t.is(ids.dtype, 'int32');
  const outputs = new Dense(1).apply(new Flatten().apply(new Embedding(10, 2).apply(ids)));
  const model = new kiln.Model(ids, outputs);
  // Keras converts the data to the Input's dtype: 2.7 becomes 2, as numpy's astype truncates.
  const truncated = await model.predict(kiln.tensor([[1.2, 2.7, 9.9]]));
  const integers = await model.predict(kiln.tensor([[1, 2, 9]], undefined, 'int32'));
  t.deepEqual(Array.from(truncated.dataSync()), Array.from(integers.dataSync()));
  t.notDeepEqual(Array.from((await model.predict(kiln.tensor([[1, 3, 9]]))).dataSync()), Array.from(integers.dataSync()));
  // Saved as Keras writes it, and loaded back with its dtype.
  const file = join(directory, 'int_input.keras');
  await model.save(file);
  t.regex(model.toJSON(), /"class_name":"InputLayer","config":\{"batch_shape":\[null,3\],"dtype":"int32"/);
  const loaded = await kiln.models.loadModel(file);
  t.is(loaded.inputs[0].dtype, 'int32');
  t.deepEqual(Array.from((await loaded.predict(kiln.tensor([[1.2, 2.7, 9.9]]))).dataSync()), Array.from(integers.dataSync()));
  // A Sequential started by an int Input converts too.
  const sequential = new kiln.Sequential([kiln.Input({ shape: [3], dtype: 'int32' }), new Embedding(10, 2), new Flatten()]);
  t.deepEqual(Array.from((await sequential.predict(kiln.tensor([[1.5, 2, 3]]))).dataSync()), Array.from((await sequential.predict(kiln.tensor([[1, 2, 3]]))).dataSync()));
  // What kiln cannot honour is refused, never ignored.
  t.throws(() => kiln.Input({ shape: [3], dtype: 'float64' as never }), { instanceOf: kiln.ValueError, message: /Input: dtype must be one of 'float32', 'int32', 'uint8', got 'float64'/ });
  t.throws(() => kiln.Input({ shape: [3], dtyp: 'int32' } as never), { instanceOf: kiln.ValueError, message: /Input: unknown option 'dtyp'\. Valid options: .*'dtype'/ });
  t.throws(() => kiln.Input([3] as never), { instanceOf: kiln.ValueError, message: /Input: expected an options object such as \{ shape: \[784\] \}, got an array of length 1/ });
});

test('new Model(inputs, outputs) positionally, as Keras, and the options form refuses unknown keys', async (t) => {
  const inputs = kiln.Input({ shape: [3] });
  const outputs = new Dense(2).apply(inputs);
  const positional = new kiln.Model(inputs, outputs, { name: 'positional' });
  const named = new kiln.Model({ inputs, outputs });
  t.is(positional.name, 'positional');
  t.deepEqual(positional.outputs, named.outputs);
  t.deepEqual(positional.layers, named.layers);
  const twoIn = [kiln.Input({ shape: [2] }), kiln.Input({ shape: [2] })];
  const merged = new kiln.layers.Concatenate().apply(twoIn);
  t.is(new kiln.Model(twoIn, [merged, new Dense(1).apply(merged)]).outputs.length, 2);
  t.throws(() => new kiln.Model({ inputs, outputs, output: outputs } as never), { instanceOf: kiln.ValueError, message: /Model: unknown option 'output'\. Valid options: 'inputs', 'name', 'outputs'/ });
  t.throws(() => new kiln.Model(inputs, undefined as never), { instanceOf: kiln.ValueError, message: /`outputs` is required/ });
});
