// Small seeded generators for the places that need their own repeatable stream apart from
// kiln.setSeed's native one (shuffles, splits, randomSearch), the same on every platform.
import { randint } from '../random.js';

/** mulberry32: a well-known 32-bit generator; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates in place. */
export function shuffleInPlace<T>(items: T[] | Uint32Array, random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/** A seed for when the user gave none: drawn from kiln's generator, so `kiln.setSeed` repeats it. */
export function drawSeed(): number {
  return randint(0, 2 ** 31 - 1, [1]).dataSync()[0];
}
