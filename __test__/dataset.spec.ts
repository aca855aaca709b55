import test from 'ava';
import * as kiln from 'kiln-nn';

const { Dataset } = kiln.data;

/** The values of a dataset's elements, as nested arrays. */
async function values(ds: kiln.data.Dataset): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const element of ds) {
    out.push(element instanceof kiln.Tensor ? element.toArray() : (element as kiln.Tensor[]).map((t) => t.toArray()));
  }
  return out;
}

const range = (n: number) =>
  Dataset.fromTensors(
    kiln.tensor(
      Array.from({ length: n }, (_, i) => i),
      [n],
      'int32',
    ),
  );

test('fromTensors slices a tensor and a tuple along the first axis', async (t) => {
  const x = kiln.tensor([
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  const y = kiln.tensor([7, 8, 9], [3], 'int32');
  t.deepEqual(await values(Dataset.fromTensors(x)), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  const pairs = Dataset.fromTensors([x, y]);
  t.is(pairs.cardinality(), 3);
  const elements = await pairs.toArray();
  t.deepEqual(elements[2][0].shape, [2]);
  t.deepEqual(elements[2][1].shape, []);
  t.is(elements[2][1].dtype, 'int32');
  t.deepEqual(await values(pairs), [
    [[1, 2], 7],
    [[3, 4], 8],
    [[5, 6], 9],
  ]);
  const error = t.throws(() => Dataset.fromTensors([x, kiln.tensor([1, 2])]), { instanceOf: kiln.ShapeError });
  t.regex(error!.message, /same first dimension.*\[3, 2\].*\[2\]/);
});

test('batch stacks elements, keeps or drops the remainder, and knows its cardinality', async (t) => {
  const ds = range(7);
  t.deepEqual(await values(ds.batch(3)), [[0, 1, 2], [3, 4, 5], [6]]);
  t.is(ds.batch(3).cardinality(), 3);
  t.deepEqual(await values(ds.batch(3, { dropRemainder: true })), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  t.is(ds.batch(3, { dropRemainder: true }).cardinality(), 2);
  const pairs = Dataset.fromTensors([
    kiln.tensor([
      [1, 1],
      [2, 2],
      [3, 3],
    ]),
    kiln.tensor([0, 1, 0]),
  ]).batch(2);
  const [first] = await pairs.toArray();
  t.deepEqual(first[0].shape, [2, 2]);
  t.deepEqual(first[1].toArray(), [0, 1]);
  t.throws(() => ds.batch(0), { instanceOf: kiln.ValueError, message: /batchSize must be a positive integer, got 0/ });
});

test('map passes tuple components as arguments; filter keeps what the predicate accepts', async (t) => {
  const pairs = Dataset.fromTensors([kiln.tensor([1, 2, 3, 4]), kiln.tensor([10, 20, 30, 40])]);
  const summed = pairs.map((x, y) => x.add(y));
  t.deepEqual(await values(summed), [11, 22, 33, 44]);
  const swapped = pairs.map(async (x, y) => [y, x.mul(2)]);
  t.deepEqual(await values(swapped), [
    [10, 2],
    [20, 4],
    [30, 6],
    [40, 8],
  ]);
  const even = range(10).filter((x) => x.dataSync()[0] % 2 === 0);
  t.deepEqual(await values(even), [0, 2, 4, 6, 8]);
  t.is(even.cardinality(), kiln.data.UNKNOWN_CARDINALITY);
  // A scalar tensor works as the predicate's answer too.
  t.deepEqual(await values(range(5).filter((x) => x.sub(2))), [0, 1, 3, 4]);
  await t.throwsAsync(
    range(3)
      .filter(() => kiln.tensor([1, 1]))
      .toArray(),
    { instanceOf: kiln.ValueError, message: /boolean or a scalar tensor.*element 0/ },
  );
});

test('take, skip and repeat cut and loop the stream', async (t) => {
  const ds = range(5);
  t.deepEqual(await values(ds.take(2)), [0, 1]);
  t.deepEqual(await values(ds.skip(3)), [3, 4]);
  t.deepEqual(await values(ds.skip(1).take(2)), [1, 2]);
  t.deepEqual(await values(ds.take(2).repeat(3)), [0, 1, 0, 1, 0, 1]);
  t.is(ds.take(2).repeat(3).cardinality(), 6);
  const forever = ds.repeat();
  t.is(forever.cardinality(), kiln.data.INFINITE_CARDINALITY);
  t.deepEqual(await values(forever.take(12)), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]);
  t.is(forever.take(12).cardinality(), 12);
  await t.throwsAsync(forever.toArray(), { instanceOf: kiln.ValueError, message: /infinite/ });
});

test('shuffle draws from a buffer: a permutation, repeatable with a seed, new each epoch', async (t) => {
  const ds = range(50).shuffle(50, 7);
  const epoch1 = (await values(ds)) as number[];
  const epoch2 = (await values(ds)) as number[];
  t.deepEqual(
    [...epoch1].sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, i) => i),
  );
  t.notDeepEqual(
    epoch1,
    Array.from({ length: 50 }, (_, i) => i),
  );
  t.notDeepEqual(epoch1, epoch2, 'reshuffled each iteration');
  t.deepEqual(await values(range(50).shuffle(50, 7)), epoch1, 'the same seed gives the same order');
  const fixed = range(50).shuffle(50, 7, { reshuffleEachIteration: false });
  t.deepEqual(await values(fixed), await values(fixed));
  // A buffer of 1 cannot move anything; a small buffer only moves elements a little ahead.
  t.deepEqual(await values(range(10).shuffle(1, 3)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const local = (await values(range(100).shuffle(4, 3))) as number[];
  local.forEach((value, position) => t.true(value <= position + 3, `${value} at ${position}`));
  // Without a seed, kiln.setSeed makes the order repeatable.
  kiln.setSeed(5);
  const a = await values(range(20).shuffle(20));
  kiln.setSeed(5);
  t.deepEqual(await values(range(20).shuffle(20)), a);
});

test('fromGenerator takes sync and async generators and restarts them each iteration', async (t) => {
  let calls = 0;
  const sync = Dataset.fromGenerator(function* () {
    calls++;
    for (let i = 0; i < 3; i++) yield [kiln.tensor([i, i * i]), i % 2];
  });
  t.deepEqual(await values(sync), [
    [[0, 0], 0],
    [[1, 1], 1],
    [[2, 4], 0],
  ]);
  t.deepEqual(await values(sync.batch(2)), [
    [
      [
        [0, 0],
        [1, 1],
      ],
      [0, 1],
    ],
    [[[2, 4]], [0]],
  ]);
  t.is(calls, 2);
  const asyncDs = Dataset.fromGenerator(async function* () {
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      yield new Float32Array([i, -i]);
    }
  });
  t.deepEqual(await values(asyncDs.map((x) => x.mul(10))), [
    [0, -0],
    [10, -10],
    [20, -20],
    [30, -30],
  ]);
  t.is(asyncDs.cardinality(), kiln.data.UNKNOWN_CARDINALITY);
  t.is(
    Dataset.fromGenerator(
      function* () {
        yield 1;
      },
      { cardinality: 1 },
    ).cardinality(),
    1,
  );
});

test('a dataset whose elements change shape mid-stream fails with the element index', async (t) => {
  const changing = Dataset.fromGenerator(function* () {
    for (let i = 0; i < 5; i++) yield [kiln.tensor(new Float32Array(i < 3 ? 6 : 8), [i < 3 ? 2 : 2, i < 3 ? 3 : 4]), 0];
  });
  const error = await t.throwsAsync(changing.toArray(), { instanceOf: kiln.ShapeError });
  t.regex(error!.message, /element 3 \(component 0\) has shape \[2, 4\], but earlier elements had \[2, 3\]/);
  // Batching unbatched elements of different lengths names the element too.
  const ragged = Dataset.fromGenerator(function* () {
    for (let i = 0; i < 6; i++) yield new Float32Array(i === 4 ? 3 : 2);
  });
  const batchError = await t.throwsAsync(ragged.batch(4).toArray(), { instanceOf: kiln.ShapeError });
  t.regex(batchError!.message, /element 4 has shape \[3\], but earlier elements had \[2\]/);
  const restructured = Dataset.fromGenerator(function* () {
    yield [1, 2];
    yield [[1, 2], 3];
  });
  await t.throwsAsync(restructured.toArray(), { instanceOf: kiln.ValueError, message: /element 1 has structure \(\(T\), T\)|element 1 has structure \(T, T\)/ });
});

test('prefetch runs ahead of the consumer and keeps order; cache replays the first pass', async (t) => {
  let produced = 0;
  const source = Dataset.fromGenerator(function* () {
    for (let i = 0; i < 6; i++) {
      produced++;
      yield i;
    }
  });
  const iterator = source.prefetch(3)[Symbol.asyncIterator]();
  const first = await iterator.next();
  t.deepEqual((first.value as kiln.Tensor).toArray(), 0);
  await new Promise((resolve) => setTimeout(resolve, 5));
  t.true(produced >= 4, `prefetch(3) prepared ${produced} elements after the first was taken`);
  await iterator.return!();
  t.deepEqual(await values(source.prefetch(2)), [0, 1, 2, 3, 4, 5]);

  produced = 0;
  const cached = source.map((x) => x.mul(2)).cache();
  t.deepEqual(await values(cached), [0, 2, 4, 6, 8, 10]);
  t.deepEqual(await values(cached), [0, 2, 4, 6, 8, 10]);
  t.is(produced, 6, 'the generator ran once');
});

test('map results and generator values that are not tensors fail clearly', async (t) => {
  const bad = Dataset.fromGenerator(function* () {
    yield 'text' as unknown as number;
  });
  await t.throwsAsync(bad.toArray(), { instanceOf: kiln.ValueError, message: /element 0 is a string; a Dataset holds tensors only/ });
  await t.throwsAsync(
    range(2)
      .map(() => [] as unknown as kiln.Tensor)
      .toArray(),
    { instanceOf: kiln.ValueError, message: /the result for element 0 is an empty array/ },
  );
  t.throws(() => Dataset.fromGenerator(42 as unknown as () => Iterable<number>), { instanceOf: kiln.ValueError });
});

test('batches gathered straight from tensors equal batches stacked element by element', async (t) => {
  const x = kiln.random.uniform([37, 3, 2]);
  const y = kiln.random.randint(0, 5, [37]);
  const pipeline = (ds: kiln.data.Dataset<kiln.Tensor[]>) => ds.skip(2).shuffle(10, 4).take(30).repeat(2).batch(8, { dropRemainder: true });
  const gathered = pipeline(Dataset.fromTensors([x, y]));
  // map() makes the elements plain tensors, so batch() stacks them one by one.
  const stacked = pipeline(Dataset.fromTensors([x, y]).map((a, b) => [a, b]) as kiln.data.Dataset<kiln.Tensor[]>);
  t.is(gathered.cardinality(), 7);
  const fast = await values(gathered);
  t.is(fast.length, 7);
  t.deepEqual(fast, await values(stacked));
  const [firstX, firstY] = (await gathered.toArray())[0];
  t.deepEqual(firstX.shape, [8, 3, 2]);
  t.is(firstY.dtype, 'int32');
});
