// Elementwise comparison of kiln's numbers with a reference (Keras, numpy) for ava tests.
import type { ExecutionContext } from 'ava';

/** A flat array with its shape, as the fixture scripts write them. */
export interface FixtureArray {
  shape: number[];
  data: number[];
}

/** Checks |actual - expected| <= atol + rtol |expected| everywhere; reports the worst element. */
export function allClose(t: ExecutionContext, actual: ArrayLike<number>, expected: FixtureArray, atol: number, rtol: number, what: string) {
  t.is(actual.length, expected.data.length, `${what}: size`);
  let worst = -1;
  let worstExcess = 0;
  let maxErr = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const err = Math.abs(actual[i] - expected.data[i]);
    maxErr = Math.max(maxErr, err);
    const excess = err - (atol + rtol * Math.abs(expected.data[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    t.fail(`${what}: element ${worst} of shape [${expected.shape}] is ${actual[worst]}, Keras gives ${expected.data[worst]} (max abs error ${maxErr})`);
  } else {
    t.pass();
  }
}
