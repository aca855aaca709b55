// Sums the way numpy's add.reduce does, so areas and averages agree with scikit-learn's to the bit.

/** Below this length numpy adds in 8 interleaved partial sums; above it, it splits in halves. */
const BLOCK = 128;

/** The sum of `values`, added in numpy's pairwise order (not left to right). */
export function pairwiseSum(values: ArrayLike<number>): number {
  // numpy starts from the identity 0, which also turns an empty or all -0 sum into +0.
  return 0 + sumRange(values, 0, values.length);
}

function sumRange(values: ArrayLike<number>, start: number, count: number): number {
  if (count < 8) {
    let total = 0;
    for (let i = 0; i < count; i++) total += values[start + i];
    return total;
  }
  if (count <= BLOCK) {
    const partial = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => values[start + j]);
    let i = 8;
    for (; i < count - (count % 8); i += 8) {
      for (let j = 0; j < 8; j++) partial[j] += values[start + i + j];
    }
    let total = partial[0] + partial[1] + (partial[2] + partial[3]) + (partial[4] + partial[5] + (partial[6] + partial[7]));
    for (; i < count; i++) total += values[start + i];
    return total;
  }
  let half = Math.floor(count / 2);
  half -= half % 8;
  return sumRange(values, start, half) + sumRange(values, start + half, count - half);
}
