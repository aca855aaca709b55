// MT19937, seeded the ways numpy's legacy RandomState and Python's random module seed it, so the
// shuffles Keras draws (dataset loaders, split_dataset) come out in the same order here.
import { ValueError } from '../errors.js';

const N = 624;
const M = 397;

/** The 32-bit Mersenne Twister (Matsumoto and Nishimura's mt19937ar). */
export class MersenneTwister {
  private readonly state = new Uint32Array(N);
  private position = N;

  /** init_genrand: what `numpy.random.RandomState(seed)` does with an integer seed. */
  static fromInteger(seed: number): MersenneTwister {
    const twister = new MersenneTwister();
    twister.initGenrand(seed >>> 0);
    return twister;
  }

  /** init_by_array: what Python's `random.seed(n)` does with n's 32-bit words, low first. */
  static fromKey(key: number[]): MersenneTwister {
    const twister = new MersenneTwister();
    twister.initByArray(key.length > 0 ? key : [0]);
    return twister;
  }

  private initGenrand(seed: number): void {
    const mt = this.state;
    mt[0] = seed;
    for (let i = 1; i < N; i++) {
      const previous = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, previous) + i) >>> 0;
    }
    this.position = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.state;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const previous = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(previous, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const previous = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(previous, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.position = N;
  }

  private twist(): void {
    const mt = this.state;
    for (let k = 0; k < N; k++) {
      const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
      mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.position = 0;
  }

  /** The next 32-bit output. */
  nextUint32(): number {
    if (this.position >= N) this.twist();
    let y = this.state[this.position++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ValueError(`${what}: seed must be a non-negative integer, got ${seed}`);
}

/** `numpy.random.RandomState(seed)`'s generator. */
export function numpyRandomState(seed: number): MersenneTwister {
  checkSeed(seed, 'RandomState');
  if (seed > 0xffffffff) throw new ValueError(`RandomState: seed must be between 0 and 2**32 - 1, got ${seed}`);
  return MersenneTwister.fromInteger(seed);
}

/**
 * `numpy.random.RandomState(seed).shuffle(array)` for a 1-D array (numpy's legacy algorithm:
 * masked rejection sampling of each swap index). Shuffles `items` in place. Pass a generator
 * from `numpyRandomState` to continue its stream, as Keras' loaders shuffle twice with one.
 */
export function numpyShuffle<T>(items: T[] | Uint32Array | Int32Array, seed: number | MersenneTwister): void {
  const twister = typeof seed === 'number' ? numpyRandomState(seed) : seed;
  for (let i = items.length - 1; i > 0; i--) {
    let mask = i;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    let j: number;
    do j = (twister.nextUint32() & mask) >>> 0;
    while (j > i);
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/** `random.seed(seed); random.shuffle(items)` as Python 3 does it. Shuffles `items` in place. */
export function pythonShuffle<T>(items: T[], seed: number): void {
  checkSeed(seed, 'pythonShuffle');
  const key: number[] = [];
  for (let rest = seed; rest > 0; rest = Math.floor(rest / 2 ** 32)) key.push(rest % 2 ** 32);
  const twister = MersenneTwister.fromKey(key);
  for (let i = items.length - 1; i > 0; i--) {
    // _randbelow(i + 1): draw bit_length(i + 1) bits until the value is below i + 1.
    const bound = i + 1;
    const bits = 32 - Math.clz32(bound);
    let j: number;
    do j = twister.nextUint32() >>> (32 - bits);
    while (j >= bound);
    [items[i], items[j]] = [items[j], items[i]];
  }
}
