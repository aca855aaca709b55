// Tensors, eager ops, random numbers, toCategorical, disposal, memory, and tensor errors.
import test, { type ExecutionContext } from 'ava';
import * as kiln from 'kiln-nn';

function close(t: ExecutionContext, actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, tol = 1e-5, what = ''): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  t.is(a.length, e.length, `${what} length`);
  const bad = a.map((v, i) => [v, e[i], i]).filter(([v, w]) => !(Math.abs(v - w) <= tol * (1 + Math.abs(w))));
  t.deepEqual(bad, [], `${what} values differ: ${JSON.stringify(a)} vs ${JSON.stringify(e)}`);
}

function values(x: kiln.Tensor): number[] {
  return Array.from(x.dataSync());
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------
// Memory (serial: they run first, alone, so RSS means something)

test.serial('memory: 200 x 10 MB float32 tensors made and dropped in an async loop stay bounded', async (t) => {
  await tick();
  const start = rssMiB();
  let peak = start;
  for (let i = 0; i < 200; i++) {
    let x: kiln.Tensor | undefined = kiln.random.uniform([2_500_000]); // 10 MB
    if (i % 2 === 0) x = x.add(1); // ops allocate too
    t.is(x.size, 2_500_000);
    x = undefined;
    await tick();
    peak = Math.max(peak, rssMiB());
  }
  await tick();
  const end = rssMiB();
  t.log(`RSS start ${start.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, end ${end.toFixed(0)} MiB (3 GB allocated)`);
  t.true(peak < 1536, `peak RSS ${peak.toFixed(0)} MiB`);
  t.true(end - start < 512, `RSS grew by ${(end - start).toFixed(0)} MiB`);
});

test.serial('memory: dispose() frees at once, in a synchronous loop', async (t) => {
  await tick();
  const start = rssMiB();
  for (let i = 0; i < 200; i++) {
    const x = kiln.tensor(new Float32Array(2_500_000));
    const y = x.mul(2);
    x.dispose();
    y.dispose();
  }
  const grown = rssMiB() - start;
  t.true(grown < 512, `RSS grew by ${grown.toFixed(0)} MiB after disposing 4 GB of tensors`);
});

// The API says dispose() is never required: the garbage collector frees native memory. In a
// synchronous loop that does not hold: the tensors' Node-API finalizers only run on a later
// turn of the event loop, so nothing is freed until the loop ends (about 2 GB here; a longer
// loop runs out of memory). Library bug; remove `.failing` when fixed.
test.serial('memory: 200 x 10 MB tensors dropped in a synchronous loop stay bounded', async (t) => {
  await tick();
  const start = rssMiB();
  let peak = start;
  for (let i = 0; i < 200; i++) {
    kiln.random.uniform([2_500_000]); // 10 MB, dropped at once
    peak = Math.max(peak, rssMiB());
  }
  await tick(); // let the deferred finalizers free it before the next test
  t.log(`RSS start ${start.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB (2 GB allocated)`);
  t.true(peak < 1536, `peak RSS ${peak.toFixed(0)} MiB`);
});

// ---------------------------------------------------------------------------------------------
// Construction

test('tensor from nested arrays: shape, dtype, size, rank, data', async (t) => {
  const x = kiln.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  t.deepEqual(x.shape, [2, 3]);
  t.is(x.dtype, 'float32');
  t.is(x.size, 6);
  t.is(x.rank, 2);
  t.true(x.dataSync() instanceof Float32Array);
  t.deepEqual(values(x), [1, 2, 3, 4, 5, 6]);
  const d = await x.data();
  t.true(d instanceof Float32Array);
  t.deepEqual(Array.from(d), [1, 2, 3, 4, 5, 6]);
  t.deepEqual(x.toArray(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const cube = kiln.tensor([
    [[1], [2]],
    [[3], [4]],
    [[5], [6]],
  ]);
  t.deepEqual(cube.shape, [3, 2, 1]);
  t.is(cube.rank, 3);
  t.deepEqual(cube.toArray(), [
    [[1], [2]],
    [[3], [4]],
    [[5], [6]],
  ]);
});

test('tensor from a flat array, with and without a shape and dtype', (t) => {
  const v = kiln.tensor([1, 2, 3, 4, 5, 6]);
  t.deepEqual(v.shape, [6]);
  t.is(v.rank, 1);
  const m = kiln.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
  t.deepEqual(m.shape, [3, 2]);
  t.deepEqual(m.toArray(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  const inferred = kiln.tensor([1, 2, 3, 4, 5, 6], [-1, 3]);
  t.deepEqual(inferred.shape, [2, 3]);
  const ints = kiln.tensor([1, 2, 3, 4], [2, 2], 'int32');
  t.is(ints.dtype, 'int32');
  t.true(ints.dataSync() instanceof Int32Array);
  const bytes = kiln.tensor([0, 128, 255], undefined, 'uint8');
  t.is(bytes.dtype, 'uint8');
  t.deepEqual(values(bytes), [0, 128, 255]);
});

test('tensor from typed arrays keeps their dtype', (t) => {
  const f = kiln.tensor(new Float32Array([0.5, 1.5, -2.25, 3]), [2, 2]);
  t.is(f.dtype, 'float32');
  t.deepEqual(f.shape, [2, 2]);
  t.deepEqual(values(f), [0.5, 1.5, -2.25, 3]);
  const i = kiln.tensor(new Int32Array([-7, 0, 2147483647]));
  t.is(i.dtype, 'int32');
  t.deepEqual(i.shape, [3]);
  t.deepEqual(values(i), [-7, 0, 2147483647]);
  const u = kiln.tensor(new Uint8Array([1, 2, 255, 0, 9, 8]), [2, 3]);
  t.is(u.dtype, 'uint8');
  t.true(u.dataSync() instanceof Uint8Array);
  t.deepEqual(u.toArray(), [
    [1, 2, 255],
    [0, 9, 8],
  ]);
  // An explicit dtype converts.
  const asFloat = kiln.tensor(new Uint8Array([1, 200]), [2], 'float32');
  t.is(asFloat.dtype, 'float32');
  t.deepEqual(values(asFloat), [1, 200]);
  // dataSync is a copy: changing it does not change the tensor.
  const copy = f.dataSync();
  copy[0] = 99;
  t.is(f.dataSync()[0], 0.5);
});

test('scalars and empty tensors', (t) => {
  const s = kiln.tensor(3.5 as any);
  t.deepEqual(s.shape, []);
  t.is(s.rank, 0);
  t.is(s.size, 1);
  t.is(s.toArray(), 3.5);
  const s2 = kiln.tensor([7], []);
  t.is(s2.toArray(), 7);
  const e = kiln.tensor(new Float32Array(0), [0, 3]);
  t.is(e.size, 0);
  t.deepEqual(e.shape, [0, 3]);
  t.deepEqual(e.toArray(), []);
});

test('tensor(tensor, shape, dtype) reshapes and converts', (t) => {
  const x = kiln.tensor([1.5, 2.5, 3.5, 4.5]);
  const y = kiln.tensor(x, [2, 2], 'int32');
  t.deepEqual(y.shape, [2, 2]);
  t.is(y.dtype, 'int32');
  t.deepEqual(values(y), [1, 2, 3, 4]);
});

// ---------------------------------------------------------------------------------------------
// Methods

test('reshape, with one -1', (t) => {
  const x = kiln.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 6]);
  t.deepEqual(x.reshape([3, 4]).shape, [3, 4]);
  t.deepEqual(x.reshape([-1]).shape, [12]);
  t.deepEqual(x.reshape([2, -1, 3]).shape, [2, 2, 3]);
  t.deepEqual(x.reshape([-1, 4]).toArray(), [
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [9, 10, 11, 12],
  ]);
  t.deepEqual(values(x.reshape([4, 3])), values(x));
  t.deepEqual(x.shape, [2, 6], 'reshape returns a new tensor');
  t.deepEqual(x.reshape([1, 12, 1]).shape, [1, 12, 1]);
});

test('astype: float to int truncates toward zero; int and uint8 to float', (t) => {
  const f = kiln.tensor([1.7, -1.7, 2.5, -2.5, 0.2, -0.9, 3]);
  const i = f.astype('int32');
  t.is(i.dtype, 'int32');
  t.true(i.dataSync() instanceof Int32Array);
  t.deepEqual(values(i), [1, -1, 2, -2, 0, 0, 3]);
  const back = i.astype('float32');
  t.is(back.dtype, 'float32');
  t.deepEqual(values(back), [1, -1, 2, -2, 0, 0, 3]);
  const u = kiln.tensor([0, 1.9, 254.5, 255]).astype('uint8');
  t.is(u.dtype, 'uint8');
  t.deepEqual(values(u), [0, 1, 254, 255]);
  t.deepEqual(values(u.astype('float32')), [0, 1, 254, 255]);
  t.deepEqual(i.shape, f.shape);
});

test('add/sub/mul/div with numbers', (t) => {
  const x = kiln.tensor([
    [1, 2],
    [3, 4],
  ]);
  t.deepEqual(x.add(1).toArray(), [
    [2, 3],
    [4, 5],
  ]);
  t.deepEqual(x.sub(0.5).toArray(), [
    [0.5, 1.5],
    [2.5, 3.5],
  ]);
  t.deepEqual(x.mul(-2).toArray(), [
    [-2, -4],
    [-6, -8],
  ]);
  t.deepEqual(x.div(4).toArray(), [
    [0.25, 0.5],
    [0.75, 1],
  ]);
  t.deepEqual(x.add(1).shape, [2, 2]);
});

test('add/sub/mul/div with tensors and arrays, broadcasting', (t) => {
  const x = kiln.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  // Same shape.
  t.deepEqual(x.add(x).toArray(), [
    [2, 4, 6],
    [8, 10, 12],
  ]);
  t.deepEqual(x.sub(x).toArray(), [
    [0, 0, 0],
    [0, 0, 0],
  ]);
  // A row.
  t.deepEqual(x.add(kiln.tensor([10, 20, 30])).toArray(), [
    [11, 22, 33],
    [14, 25, 36],
  ]);
  t.deepEqual(x.mul([1, 0, -1]).toArray(), [
    [1, 0, -3],
    [4, 0, -6],
  ]);
  // A column.
  t.deepEqual(x.div(kiln.tensor([[1], [2]])).toArray(), [
    [1, 2, 3],
    [2, 2.5, 3],
  ]);
  t.deepEqual(x.sub(new Float32Array([1, 1, 1])).toArray(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  // Both sides broadcast: [2, 1] x [1, 3] is an outer product.
  const outer = kiln.tensor([[1], [2]]).mul(kiln.tensor([[1, 10, 100]]));
  t.deepEqual(outer.shape, [2, 3]);
  t.deepEqual(outer.toArray(), [
    [1, 10, 100],
    [2, 20, 200],
  ]);
  // Rank 3 with rank 1.
  const cube = kiln.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
  t.deepEqual(cube.add([100, 200]).toArray(), [
    [
      [101, 202],
      [103, 204],
    ],
    [
      [105, 206],
      [107, 208],
    ],
  ]);
  // A scalar tensor.
  t.deepEqual(x.mul(kiln.tensor(2 as any)).toArray(), [
    [2, 4, 6],
    [8, 10, 12],
  ]);
  // Division by zero follows IEEE.
  t.deepEqual(values(kiln.tensor([1, -1, 0]).div(0)).map(String), ['Infinity', '-Infinity', 'NaN']);
});

test('argMax: last axis by default, other axes, int32 result, first of ties', (t) => {
  const x = kiln.tensor([
    [1, 9, 3],
    [7, 2, 7],
    [0, 0, 5],
  ]);
  const a = x.argMax();
  t.is(a.dtype, 'int32');
  t.deepEqual(a.shape, [3]);
  t.deepEqual(values(a), [1, 0, 2]);
  t.deepEqual(values(x.argMax(-1)), [1, 0, 2]);
  t.deepEqual(values(x.argMax(1)), [1, 0, 2]);
  t.deepEqual(values(x.argMax(0)), [1, 0, 1]);
  t.deepEqual(values(kiln.ops.argMax(x, 0)), [1, 0, 1]);
  const cube = kiln.tensor([1, 5, 3, 2, 8, 0, 4, 4], [2, 2, 2]);
  // cube = [[[1, 5], [3, 2]], [[8, 0], [4, 4]]]
  t.deepEqual(cube.argMax(1).toArray(), [
    [1, 0],
    [0, 1],
  ]);
  t.deepEqual(cube.argMax(0).toArray(), [
    [1, 0],
    [1, 1],
  ]);
  t.deepEqual(values(kiln.tensor([2, 7, 7, 1]).argMax()), [1], 'first of ties');
  t.deepEqual(values(kiln.tensor([-3, -1, -2]).argMax()), [1]);
});

test('slice, with -1 sizes', (t) => {
  const x = kiln.tensor([
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [9, 10, 11, 12],
  ]);
  t.deepEqual(x.slice([0, 0], [2, 2]).toArray(), [
    [1, 2],
    [5, 6],
  ]);
  t.deepEqual(x.slice([1, 1], [-1, -1]).toArray(), [
    [6, 7, 8],
    [10, 11, 12],
  ]);
  t.deepEqual(x.slice([1, 0], [1, -1]).toArray(), [[5, 6, 7, 8]]);
  t.deepEqual(x.slice([0, 3], [-1, 1]).toArray(), [[4], [8], [12]]);
  t.deepEqual(x.slice([2, 0], [1, 4]).shape, [1, 4]);
  t.deepEqual(kiln.ops.slice(x, [0, 2], [3, 2]).toArray(), [
    [3, 4],
    [7, 8],
    [11, 12],
  ]);
  t.deepEqual(values(kiln.tensor([1, 2, 3, 4, 5]).slice([3], [-1])), [4, 5]);
  // Slicing keeps the dtype.
  t.is(kiln.tensor(new Int32Array([1, 2, 3])).slice([1], [2]).dtype, 'int32');
});

test('gather: rows at the indices, repeats allowed, from arrays, typed arrays or tensors', (t) => {
  const x = kiln.tensor([
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  t.deepEqual(x.gather([2, 0, 2]).toArray(), [
    [5, 6],
    [1, 2],
    [5, 6],
  ]);
  t.deepEqual(x.gather(new Int32Array([1])).toArray(), [[3, 4]]);
  t.deepEqual(x.gather(kiln.tensor([1, 0], undefined, 'int32')).toArray(), [
    [3, 4],
    [1, 2],
  ]);
  t.deepEqual(values(kiln.tensor([10, 20, 30, 40]).gather([3, 1])), [40, 20]);
  t.deepEqual(kiln.ops.gather(x, [0]).toArray(), [[1, 2]]);
  t.is(kiln.tensor(new Uint8Array([7, 8, 9])).gather([2]).dtype, 'uint8');
});

test('transpose: reverses the axes by default, or follows perm', (t) => {
  const x = kiln.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const xt = x.transpose();
  t.deepEqual(xt.shape, [3, 2]);
  t.deepEqual(xt.toArray(), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  t.deepEqual(x.transpose([1, 0]).toArray(), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  t.deepEqual(x.transpose([0, 1]).toArray(), x.toArray());
  const cube = kiln.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23], [2, 3, 4]);
  const p = cube.transpose([2, 0, 1]);
  t.deepEqual(p.shape, [4, 2, 3]);
  // p[k][i][j] = cube[i][j][k] = 12 i + 4 j + k
  const arr = p.toArray() as number[][][];
  for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) t.is(arr[k][i][j], 12 * i + 4 * j + k);
  t.deepEqual(cube.transpose().shape, [4, 3, 2]);
  t.deepEqual(values(kiln.ops.transpose(x)), [1, 4, 2, 5, 3, 6]);
});

test('transpose: a matrix transpose is read in place by matmul, and every other use sees the transposed values', (t) => {
  // The seed MLP's backward products on small sizes: dW = xᵀ·dY with x [8, 5], dX = dY·Wᵀ with
  // W [5, 3]; numbers from a fixed formula, products computed here.
  const fill = (rows: number, cols: number, seed: number) => Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => Math.sin(seed + 1.7 * i + 0.9 * j)));
  const tr = (m: number[][]) => m[0].map((_, j) => m.map((row) => row[j]));
  const mul = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((s, v, p) => s + v * b[p][j], 0)));
  const [xv, dyv, wv] = [fill(8, 5, 1), fill(8, 3, 2), fill(5, 3, 3)];
  const [x, dy, w] = [kiln.tensor(xv), kiln.tensor(dyv), kiln.tensor(wv)];
  const xt = x.transpose();
  t.deepEqual(xt.shape, [5, 8]);
  t.is(xt.dtype, 'float32');
  close(t, kiln.ops.matmul(xt, dy).dataSync(), mul(tr(xv), dyv).flat(), 1e-5, 'xᵀ·dY');
  close(t, kiln.ops.matmul(dy, w.transpose()).dataSync(), mul(dyv, tr(wv)).flat(), 1e-5, 'dY·Wᵀ');
  close(t, kiln.ops.matmul(w.transpose([1, 0]), x.transpose()).dataSync(), mul(tr(wv), tr(xv)).flat(), 1e-5, 'Wᵀ·xᵀ');
  // Other ops on the view see the transposed values, before and after a matmul read it.
  close(
    t,
    xt.add(1).dataSync(),
    tr(xv)
      .flat()
      .map((v) => v + 1),
    1e-6,
    'xᵀ + 1',
  );
  close(t, xt.dataSync(), tr(xv).flat(), 1e-6, 'xᵀ values');
  t.deepEqual(xt.slice([1, 0], [1, 8]).shape, [1, 8]);
  close(t, xt.slice([1, 0], [1, 8]).dataSync(), tr(xv)[1], 1e-6, 'a row of xᵀ');
  close(t, xt.reshape([40]).dataSync(), tr(xv).flat(), 1e-6, 'xᵀ reshaped');
  close(t, kiln.ops.matmul(xt, dy).dataSync(), mul(tr(xv), dyv).flat(), 1e-5, 'xᵀ·dY after xᵀ was made');
  close(t, xt.transpose().dataSync(), xv.flat(), 1e-6, '(xᵀ)ᵀ');
  const labels = kiln.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3]).transpose();
  t.is(labels.dtype, 'int32');
  t.deepEqual(labels.toArray(), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  // The inner dimensions of the view, not of its source, must agree.
  t.throws(() => kiln.ops.matmul(xt, xt), { instanceOf: kiln.ShapeError, message: /\[5,8\]|\[5, 8\]/ });

  // Disposing either side leaves the other whole.
  const w2 = kiln.tensor(wv);
  const view = w2.transpose();
  w2.dispose();
  t.true(w2.isDisposed);
  t.false(view.isDisposed);
  close(t, kiln.ops.matmul(dy, view).dataSync(), mul(dyv, tr(wv)).flat(), 1e-5, 'dY·Wᵀ after W was disposed');
  close(t, view.dataSync(), tr(wv).flat(), 1e-6, 'Wᵀ after W was disposed');
  const x2 = kiln.tensor(xv);
  const unread = x2.transpose();
  unread.dispose();
  unread.dispose(); // twice is harmless
  t.throws(() => kiln.ops.matmul(unread, dy), { instanceOf: kiln.KilnError, message: /dispos/i });
  t.throws(() => unread.dataSync(), { instanceOf: kiln.KilnError, message: /dispos/i });
  close(t, x2.dataSync(), xv.flat(), 1e-6, 'x after its transpose was disposed');
  x2.dispose();
  view.dispose();
});

// ---------------------------------------------------------------------------------------------
// kiln.ops, checked against values computed here

test('ops.matmul: [m, k] x [k, n] and a batch of rows', (t) => {
  const a = kiln.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = kiln.tensor([
    [7, 8],
    [9, 10],
    [11, 12],
  ]);
  const c = kiln.ops.matmul(a, b);
  t.deepEqual(c.shape, [2, 2]);
  t.deepEqual(c.toArray(), [
    [58, 64],
    [139, 154],
  ]);
  // Arrays are accepted for tensor arguments.
  t.deepEqual(
    kiln.ops
      .matmul(
        [
          [1, 0],
          [0, 1],
        ],
        [
          [2, 3],
          [4, 5],
        ],
      )
      .toArray(),
    [
      [2, 3],
      [4, 5],
    ],
  );
  // Rank 3 times a matrix applies to the last axis.
  const batch = kiln.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3]);
  const out = kiln.ops.matmul(batch, b);
  t.deepEqual(out.shape, [2, 2, 2]);
  t.deepEqual(out.toArray(), [
    [
      [58, 64],
      [139, 154],
    ],
    [
      [220, 244],
      [301, 334],
    ],
  ]);
  // A larger product against a plain loop.
  const m = 17,
    k = 33,
    n = 9;
  const x = kiln.random.uniform([m, k], -1, 1);
  const w = kiln.random.uniform([k, n], -1, 1);
  const [xv, wv] = [values(x), values(w)];
  const expected: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += xv[i * k + q] * wv[q * n + j];
      expected.push(s);
    }
  close(t, kiln.ops.matmul(x, w).dataSync(), expected, 1e-5, 'matmul');
});

test('ops: relu, sigmoid, tanh, exp, log, square, sqrt, negative, abs', (t) => {
  const xs = [-2, -0.5, 0, 0.5, 3];
  const x = kiln.tensor(xs);
  close(t, kiln.ops.relu(x).dataSync(), [0, 0, 0, 0.5, 3], 0, 'relu');
  close(
    t,
    kiln.ops.sigmoid(x).dataSync(),
    xs.map((v) => 1 / (1 + Math.exp(-v))),
    1e-6,
    'sigmoid',
  );
  close(t, kiln.ops.tanh(x).dataSync(), xs.map(Math.tanh), 1e-6, 'tanh');
  close(t, kiln.ops.exp(x).dataSync(), xs.map(Math.exp), 1e-6, 'exp');
  close(
    t,
    kiln.ops.square(x).dataSync(),
    xs.map((v) => v * v),
    0,
    'square',
  );
  close(
    t,
    kiln.ops.negative(x).dataSync(),
    xs.map((v) => -v),
    0,
    'negative',
  );
  close(t, kiln.ops.abs(x).dataSync(), xs.map(Math.abs), 0, 'abs');
  const pos = [0.25, 1, 2, 9, 100];
  close(t, kiln.ops.log(pos).dataSync(), pos.map(Math.log), 1e-6, 'log');
  close(t, kiln.ops.sqrt(pos).dataSync(), pos.map(Math.sqrt), 1e-6, 'sqrt');
  t.is(kiln.ops.log([0]).dataSync()[0], -Infinity);
  t.true(Number.isNaN(kiln.ops.sqrt([-1]).dataSync()[0]));
  // Extreme inputs stay finite where the math is.
  close(t, kiln.ops.sigmoid([-100, 100]).dataSync(), [0, 1], 1e-6, 'sigmoid saturates');
  t.deepEqual(
    kiln.ops
      .relu(
        kiln.tensor([
          [1, -1],
          [-2, 2],
        ]),
      )
      .toArray(),
    [
      [1, 0],
      [0, 2],
    ],
  );
});

test('ops.softmax: rows sum to 1 and match exp(x) / sum exp(x), even for large values', (t) => {
  const rows = [
    [1, 2, 3],
    [0, 0, 0],
    [-1, 5, 2],
    [1000, 1001, 1002],
  ];
  const s = kiln.ops.softmax(kiln.tensor(rows));
  t.deepEqual(s.shape, [4, 3]);
  const out = s.toArray() as number[][];
  rows.forEach((row, r) => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    close(
      t,
      out[r],
      e.map((v) => v / z),
      1e-6,
      `softmax row ${r}`,
    );
    close(
      t,
      out[r].reduce((a, b) => a + b, 0),
      1,
      1e-6,
      `row ${r} sums to 1`,
    );
  });
  const big = kiln.ops.softmax(kiln.random.normal([50, 10], 0, 5));
  const sums = kiln.ops.sum(big, -1);
  close(t, sums.dataSync(), new Array(50).fill(1), 1e-5, 'random rows sum to 1');
});

test('ops.sum/mean/max: whole tensor, each axis, keepDims', (t) => {
  const x = kiln.tensor([
    [1, 5, 3],
    [4, 2, 6],
  ]);
  // Whole tensor.
  const total = kiln.ops.sum(x);
  t.deepEqual(total.shape, []);
  t.is(total.toArray(), 21);
  t.is(kiln.ops.mean(x).toArray(), 3.5);
  t.is(kiln.ops.max(x).toArray(), 6);
  t.deepEqual(kiln.ops.sum(x, undefined, true).shape, [1, 1]);
  // Axis 0.
  t.deepEqual(kiln.ops.sum(x, 0).toArray(), [5, 7, 9]);
  t.deepEqual(kiln.ops.mean(x, 0).toArray(), [2.5, 3.5, 4.5]);
  t.deepEqual(kiln.ops.max(x, 0).toArray(), [4, 5, 6]);
  t.deepEqual(kiln.ops.sum(x, 0, true).toArray(), [[5, 7, 9]]);
  // Axis 1 and -1.
  t.deepEqual(kiln.ops.sum(x, 1).toArray(), [9, 12]);
  t.deepEqual(kiln.ops.mean(x, -1).toArray(), [3, 4]);
  t.deepEqual(kiln.ops.max(x, -1).toArray(), [5, 6]);
  const kept = kiln.ops.max(x, 1, true);
  t.deepEqual(kept.shape, [2, 1]);
  t.deepEqual(kept.toArray(), [[5], [6]]);
  t.deepEqual(kiln.ops.mean(x, 1, true).toArray(), [[3], [4]]);
  // The middle axis of a rank-3 tensor.
  const cube = kiln.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
  t.deepEqual(kiln.ops.sum(cube, 1).toArray(), [
    [9, 12],
    [27, 30],
  ]);
  t.deepEqual(kiln.ops.max(cube, 1, true).shape, [2, 1, 2]);
  t.deepEqual(kiln.ops.mean(cube, 1, true).toArray(), [[[3, 4]], [[9, 10]]]);
  // Negative values: max is not clipped at 0.
  t.deepEqual(
    kiln.ops
      .max(
        kiln.tensor([
          [-3, -1],
          [-2, -5],
        ]),
        1,
      )
      .toArray(),
    [-1, -2],
  );
});

test('ops.concat along each axis', (t) => {
  const a = kiln.tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = kiln.tensor([[5, 6]]);
  const c = kiln.tensor([[7], [8]]);
  t.deepEqual(kiln.ops.concat([a, b], 0).toArray(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  t.deepEqual(kiln.ops.concat([a, c], 1).toArray(), [
    [1, 2, 7],
    [3, 4, 8],
  ]);
  t.deepEqual(
    kiln.ops.concat([a, c]).toArray(),
    [
      [1, 2, 7],
      [3, 4, 8],
    ],
    'default axis is -1',
  );
  t.deepEqual(kiln.ops.concat([a, a, a], 0).shape, [6, 2]);
  t.deepEqual(values(kiln.ops.concat([kiln.tensor([1]), kiln.tensor([2, 3])], 0)), [1, 2, 3]);
});

test('ops: add/sub/mul/div/maximum/minimum functions with broadcasting', (t) => {
  const x = kiln.tensor([
    [1, -2, 3],
    [-4, 5, -6],
  ]);
  t.deepEqual(kiln.ops.add(x, [1, 1, 1]).toArray(), [
    [2, -1, 4],
    [-3, 6, -5],
  ]);
  t.deepEqual(kiln.ops.sub(10, x).toArray(), [
    [9, 12, 7],
    [14, 5, 16],
  ]);
  t.deepEqual(kiln.ops.mul(x, [[2], [-1]]).toArray(), [
    [2, -4, 6],
    [4, -5, 6],
  ]);
  t.deepEqual(kiln.ops.div(x, 2).toArray(), [
    [0.5, -1, 1.5],
    [-2, 2.5, -3],
  ]);
  t.deepEqual(kiln.ops.maximum(x, 0).toArray(), [
    [1, 0, 3],
    [0, 5, 0],
  ]);
  t.deepEqual(kiln.ops.minimum(x, [0, 0, 10]).toArray(), [
    [0, -2, 3],
    [-4, 0, -6],
  ]);
  t.deepEqual(kiln.ops.reshape(x, [3, -1]).shape, [3, 2]);
});

// ---------------------------------------------------------------------------------------------
// Random numbers and seeds

function stats(xs: number[]): { mean: number; std: number; min: number; max: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...xs), max: Math.max(...xs) };
}

test('random.uniform: range [min, max), mean and spread', (t) => {
  const u = kiln.random.uniform([200, 500]);
  t.deepEqual(u.shape, [200, 500]);
  t.is(u.dtype, 'float32');
  const s = stats(values(u));
  t.true(s.min >= 0 && s.max < 1, `[${s.min}, ${s.max}]`);
  t.true(Math.abs(s.mean - 0.5) < 0.01, `mean ${s.mean}`);
  t.true(Math.abs(s.std - Math.sqrt(1 / 12)) < 0.01, `std ${s.std}`);
  const r = stats(values(kiln.random.uniform([100_000], -3, 5)));
  t.true(r.min >= -3 && r.max < 5, `[${r.min}, ${r.max}]`);
  t.true(r.min < -2.9 && r.max > 4.9, 'covers the range');
  t.true(Math.abs(r.mean - 1) < 0.05, `mean ${r.mean}`);
});

test('random.normal: mean and standard deviation', (t) => {
  const s = stats(values(kiln.random.normal([100_000])));
  t.true(Math.abs(s.mean) < 0.02, `mean ${s.mean}`);
  t.true(Math.abs(s.std - 1) < 0.02, `std ${s.std}`);
  const n = kiln.random.normal([50, 2000], 10, 3);
  t.deepEqual(n.shape, [50, 2000]);
  const s2 = stats(values(n));
  t.true(Math.abs(s2.mean - 10) < 0.05, `mean ${s2.mean}`);
  t.true(Math.abs(s2.std - 3) < 0.05, `std ${s2.std}`);
  // Gaussian tails: about 4.6% beyond 2 std.
  const tail = values(n).filter((v) => Math.abs(v - 10) > 6).length / n.size;
  t.true(tail > 0.035 && tail < 0.057, `tail fraction ${tail}`);
});

test('random.randint: int32 values in [low, high), every value drawn', (t) => {
  const r = kiln.random.randint(-3, 4, [10_000]);
  t.is(r.dtype, 'int32');
  t.deepEqual(r.shape, [10_000]);
  const xs = values(r);
  t.true(xs.every((v) => Number.isInteger(v) && v >= -3 && v < 4));
  const counts = new Map<number, number>();
  for (const v of xs) counts.set(v, (counts.get(v) ?? 0) + 1);
  t.deepEqual(
    [...counts.keys()].sort((a, b) => a - b),
    [-3, -2, -1, 0, 1, 2, 3],
  );
  for (const c of counts.values()) t.true(Math.abs(c - 10_000 / 7) < 200, `count ${c}`);
  t.deepEqual(kiln.random.randint(0, 10, [2, 3]).shape, [2, 3]);
});

test('setSeed: the same seed repeats, another seed differs', (t) => {
  const draw = () => [values(kiln.random.uniform([20])), values(kiln.random.normal([20])), values(kiln.random.randint(0, 1000, [20]))];
  kiln.setSeed(42);
  const a = draw();
  kiln.setSeed(42);
  const b = draw();
  t.deepEqual(a, b);
  kiln.setSeed(43);
  const c = draw();
  t.notDeepEqual(a[0], c[0]);
  t.notDeepEqual(a[1], c[1]);
  t.notDeepEqual(a[2], c[2]);
  // Draws after a seed differ from each other.
  kiln.setSeed(42);
  t.notDeepEqual(values(kiln.random.uniform([20])), values(kiln.random.uniform([20])));
  // Weight initialisation follows the seed too.
  const init = () => {
    kiln.setSeed(5);
    const layer = new kiln.layers.Dense(4);
    layer.apply(kiln.tensor([[1, 2, 3]]));
    return values(layer.getWeights()[0]);
  };
  t.deepEqual(init(), init());
});

// ---------------------------------------------------------------------------------------------
// utils, disposal

test('utils.toCategorical', (t) => {
  const y = kiln.utils.toCategorical([0, 2, 1, 2]);
  t.is(y.dtype, 'float32');
  t.deepEqual(y.shape, [4, 3]);
  t.deepEqual(y.toArray(), [
    [1, 0, 0],
    [0, 0, 1],
    [0, 1, 0],
    [0, 0, 1],
  ]);
  const wide = kiln.utils.toCategorical(kiln.tensor([1, 0], undefined, 'int32'), 4);
  t.deepEqual(wide.toArray(), [
    [0, 1, 0, 0],
    [1, 0, 0, 0],
  ]);
  const bytes = kiln.utils.toCategorical(new Uint8Array([9, 0]), 10);
  t.deepEqual(bytes.shape, [2, 10]);
  t.deepEqual(values(bytes.argMax()), [9, 0]);
  // Keras: a trailing axis of 1 is squeezed ([N, 1] labels give [N, classes]).
  t.deepEqual(kiln.utils.toCategorical(kiln.tensor([[1], [0]]), 2).shape, [2, 2]);
});

test('dispose: later use throws a KilnError, not a crash', (t) => {
  const x = kiln.tensor([
    [1, 2],
    [3, 4],
  ]);
  t.false(x.isDisposed);
  x.dispose();
  t.true(x.isDisposed);
  x.dispose(); // twice is harmless
  const uses: [string, () => unknown][] = [
    ['dataSync', () => x.dataSync()],
    ['toArray', () => x.toArray()],
    ['reshape', () => x.reshape([4])],
    ['astype', () => x.astype('int32')],
    ['add', () => x.add(1)],
    ['as the other operand', () => kiln.tensor([1, 2]).add(x)],
    ['argMax', () => x.argMax()],
    ['slice', () => x.slice([0, 0], [1, 1])],
    ['gather', () => x.gather([0])],
    ['transpose', () => x.transpose()],
    ['ops.matmul', () => kiln.ops.matmul(x, [[1], [1]])],
    ['ops.exp', () => kiln.ops.exp(x)],
    ['ops.sum', () => kiln.ops.sum(x)],
    ['ops.softmax', () => kiln.ops.softmax(x)],
    ['ops.concat', () => kiln.ops.concat([x, x])],
    ['toCategorical', () => kiln.utils.toCategorical(x)],
  ];
  for (const [name, use] of uses) {
    const error = t.throws(use, { instanceOf: kiln.KilnError }, name);
    t.regex(error?.message ?? '', /dispos/i, name);
  }
  // Everything else still works.
  t.deepEqual(kiln.tensor([1, 2]).add(1).toArray(), [2, 3]);
});

test('dispose: data() of a disposed tensor rejects with a KilnError', async (t) => {
  const x = kiln.tensor([1, 2]);
  x.dispose();
  await t.throwsAsync(x.data(), { instanceOf: kiln.KilnError, message: /dispos/i });
});

// Library bug: predict() hands the handles to the native engine outside the error translation,
// so the native ValueError escapes as a plain Error (untranslated) instead of a
// kiln.ValueError.
test('dispose: a disposed tensor passed to predict is refused with a KilnError', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(1, { inputShape: [2] })]);
  const x = kiln.tensor([[1, 2]]);
  x.dispose();
  await t.throwsAsync(model.predict(x), { instanceOf: kiln.KilnError, message: /dispos/i });
});

test('dispose: a disposed tensor passed to fit is refused with a KilnError', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(1, { inputShape: [2] })]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const x = kiln.tensor([
    [1, 2],
    [3, 4],
  ]);
  const y = kiln.tensor([[1], [2]]);
  x.dispose();
  await t.throwsAsync(model.fit(x, y, { verbose: 0 }), { instanceOf: kiln.KilnError });
  await t.throwsAsync(model.evaluate(x, y, { verbose: 0 }), { instanceOf: kiln.KilnError });
  const h = await model.fit(
    kiln.tensor([
      [1, 2],
      [3, 4],
    ]),
    y,
    { verbose: 0 },
  );
  t.is(h.history.loss.length, 1);
});

// ---------------------------------------------------------------------------------------------
// Errors

function expectError(t: ExecutionContext, f: () => unknown, type: typeof kiln.KilnError, patterns: RegExp[]): void {
  const error = t.throws(f, { instanceOf: type });
  t.true(error instanceof kiln.KilnError);
  t.true(error instanceof Error);
  for (const p of patterns) t.regex(error?.message ?? '', p);
}

test('errors: ragged nested arrays -> ShapeError', (t) => {
  expectError(t, () => kiln.tensor([[1, 2], [3]]), kiln.ShapeError, [/ragged/i, /2/, /1/]);
  expectError(
    t,
    () =>
      kiln.tensor([
        [1, 2],
        [3, 4, 5],
      ]),
    kiln.ShapeError,
    [/expected 2/, /got 3/],
  );
  expectError(t, () => kiln.tensor([[1, 2], 3] as any), kiln.ShapeError, [/ragged/i]);
  // Refused, though the message ("shape [2, 2] needs 4 values, got 3") does not say ragged.
  expectError(t, () => kiln.tensor([1, [2, 3]] as any), kiln.ShapeError, []);
  expectError(
    t,
    () =>
      kiln.tensor([
        [[1], [2]],
        [[3], [4, 5]],
      ]),
    kiln.ShapeError,
    [/ragged/i],
  );
});

// Library bug: a number before an array at the same depth is taken as a whole row, so these
// ragged arrays are accepted with a made-up shape ([1, [2]] becomes [[1], [2]]).
test('errors: ragged arrays that start with a number -> ShapeError', (t) => {
  t.throws(() => kiln.tensor([1, [2]] as any), { instanceOf: kiln.ShapeError, message: /ragged/i });
  t.throws(
    () =>
      kiln.tensor([
        [1, 2],
        [3, [4]],
      ] as any),
    { instanceOf: kiln.ShapeError, message: /ragged/i },
  );
});

test('errors: impossible shapes -> ShapeError naming both', (t) => {
  const x = kiln.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  expectError(t, () => x.reshape([4, 2]), kiln.ShapeError, [/\[2, 3\]/, /\[4, 2\]/]);
  expectError(t, () => x.reshape([4, -1]), kiln.ShapeError, [/\[4, -1\]/, /6/]);
  expectError(t, () => kiln.tensor([1, 2, 3], [2, 2]), kiln.ShapeError, [/3 values/, /\[2, 2\]/]);
  expectError(t, () => kiln.tensor(new Float32Array(6), [4, -1]), kiln.ShapeError, [/6/, /\[4, -1\]/]);
});

test('errors: two -1 in a shape are refused', (t) => {
  const x = kiln.tensor([1, 2, 3, 4]);
  const error = t.throws(() => x.reshape([-1, -1]), { instanceOf: kiln.KilnError });
  t.regex(error?.message ?? '', /-1/);
});

test('errors: unknown dtype -> ValueError listing the valid ones', (t) => {
  expectError(t, () => kiln.tensor([1, 2], undefined, 'float64' as any), kiln.ValueError, [/float64/, /float32/, /int32/, /uint8/]);
  expectError(t, () => kiln.tensor([1, 2]).astype('bool' as any), kiln.ValueError, [/bool/, /float32/]);
  expectError(t, () => kiln.tensor(new Float64Array(2) as any), kiln.ValueError, [/Float32Array/]);
  expectError(t, () => kiln.tensor(['a', 'b'] as any), kiln.ValueError, [/number/, /string/]);
});

test('errors: matmul of mismatched shapes -> ShapeError naming both shapes', (t) => {
  expectError(
    t,
    () =>
      kiln.ops.matmul(
        kiln.tensor([[1, 2, 3]]),
        kiln.tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    kiln.ShapeError,
    [/\[1, 3\]/, /\[2, 2\]/],
  );
  expectError(
    t,
    () =>
      kiln.ops.matmul(
        kiln.tensor([
          [1, 2],
          [3, 4],
        ]),
        kiln.tensor([[1, 2, 3]]),
      ),
    kiln.ShapeError,
    [/\[2, 2\]/, /\[1, 3\]/],
  );
});

test('errors: broadcasting, concat, slice, gather, transpose, argMax, reductions', (t) => {
  const x = kiln.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  expectError(t, () => x.add(kiln.tensor([1, 2])), kiln.ShapeError, [/\[2, 3\]/, /\[2\]/]);
  expectError(t, () => kiln.ops.concat([x, kiln.tensor([[1, 2]])], 0), kiln.ShapeError, [/\[1, 2\]/, /\[2, 3\]/]);
  expectError(t, () => x.slice([1, 0], [5, 1]), kiln.KilnError, [/slice/, /5/]);
  expectError(t, () => x.gather([2]), kiln.KilnError, [/gather/, /2/]);
  expectError(t, () => x.transpose([0, 0]), kiln.KilnError, [/\[0, 0\]/]);
  expectError(t, () => x.argMax(2), kiln.KilnError, [/axis 2/, /rank 2/]);
  expectError(t, () => kiln.ops.sum(x, 5), kiln.KilnError, [/axis 5/, /rank 2/]);
  expectError(t, () => kiln.random.uniform([2, -1]), kiln.ValueError, [/-1/]);
  expectError(t, () => kiln.utils.toCategorical([0, 3], 3), kiln.ValueError, [/3/]);
  expectError(t, () => kiln.utils.toCategorical([0, -1], 3), kiln.ValueError, [/-1/]);
});

test('errors: every error class is a KilnError and an Error, with its own name', (t) => {
  for (const [cls, name] of [
    [kiln.ShapeError, 'ShapeError'],
    [kiln.ValueError, 'ValueError'],
    [kiln.RuntimeError, 'RuntimeError'],
    [kiln.FileFormatError, 'FileFormatError'],
  ] as const) {
    const e = new cls('message');
    t.true(e instanceof kiln.KilnError);
    t.true(e instanceof Error);
    t.is(e.name, name);
  }
  const caught = t.throws(() => kiln.tensor([[1], [2, 3]]));
  t.is(caught?.name, 'ShapeError');
});
