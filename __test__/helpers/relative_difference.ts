// How the model-zoo specs compare kiln with Keras: a difference relative to the output's scale,
// so a large logit and a small one are held to the same standard (issue 11's 1e-4 rule).

/** max |actual − expected| over the largest |expected| (1 when every expected value is 0). */
export function relativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return difference / (scale || 1);
}
