// The counts both binary curves are made of: true and false positives at each distinct score.

/** Cumulative counts at each distinct score, from the highest score down. */
export interface ThresholdCounts {
  /** The distinct scores, decreasing. */
  thresholds: number[];
  /** Positive samples scoring at or above each threshold. */
  truePositives: number[];
  /** Negative samples scoring at or above each threshold. */
  falsePositives: number[];
}

/**
 * Sorts the samples by decreasing score and counts, at every point where the score changes
 * (and at the end), how many positives and negatives score at or above it, as scikit-learn's
 * confusion_matrix_at_thresholds does.
 */
export function countsAtThresholds(positive: Uint8Array, scores: Float64Array): ThresholdCounts {
  const order = Array.from(scores, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const thresholds: number[] = [];
  const truePositives: number[] = [];
  const falsePositives: number[] = [];
  let positives = 0;
  for (let rank = 0; rank < order.length; rank++) {
    positives += positive[order[rank]];
    const last = rank === order.length - 1;
    if (last || scores[order[rank + 1]] !== scores[order[rank]]) {
      thresholds.push(scores[order[rank]]);
      truePositives.push(positives);
      falsePositives.push(rank + 1 - positives);
    }
  }
  return { thresholds, truePositives, falsePositives };
}

/** The counts at the thresholds whose index passes `keep` (how the curves drop redundant points). */
export function keepThresholds(counts: ThresholdCounts, keep: (index: number) => boolean): ThresholdCounts {
  const kept = counts.thresholds.map((_, i) => keep(i));
  return {
    thresholds: counts.thresholds.filter((_, i) => kept[i]),
    truePositives: counts.truePositives.filter((_, i) => kept[i]),
    falsePositives: counts.falsePositives.filter((_, i) => kept[i]),
  };
}
