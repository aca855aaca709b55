// What kiln.valueAndGrad records while its function runs: the concrete tensors the function's
// ops read (graph leaves fed at run time, not copied into the graph) and the training mode
// its layer calls ask for.
import { ValueError } from '../errors.js';
import { SymbolicTensor } from '../symbolic.js';
import type { Tensor } from '../tensor.js';

export class GradientTape {
  /** Each concrete tensor read, as its leaf (an input of the graph, with its full shape). */
  readonly leaves = new Map<Tensor, SymbolicTensor>();
  /** Losses added (Keras' add_loss) by the calls recorded, with the layer or model that owns each. */
  readonly addedLosses: { owner: object; loss: SymbolicTensor }[] = [];
  /** Training modes asked for by layer calls (`training: true/false`), with a caller of each. */
  readonly modes = new Map<boolean, string>();

  /** The leaf for a concrete tensor, the same each time the tensor is read. */
  leaf(value: Tensor): SymbolicTensor {
    let leaf = this.leaves.get(value);
    if (!leaf) {
      leaf = new SymbolicTensor(value.shape, { op: 'input', shape: value.shape }, [], 'constant');
      this.leaves.set(value, leaf);
    }
    return leaf;
  }

  /** The one mode the graph runs in: training when a call asked for it (inference by default, as Keras). */
  training(): boolean {
    if (this.modes.size > 1) {
      throw new ValueError(
        `valueAndGrad runs its function in one mode, but ${this.modes.get(true)} was called with \`training: true\` and ${this.modes.get(false)} with \`training: false\`; compute the two parts in separate valueAndGrad calls`,
      );
    }
    return this.modes.has(true);
  }
}

let active: GradientTape | undefined;

export function activeTape(): GradientTape | undefined {
  return active;
}

/** Runs `f` with `tape` recording. */
export function recordOn<T>(tape: GradientTape, f: () => T): T {
  if (active) throw new ValueError('valueAndGrad cannot be nested: its function may not call valueAndGrad');
  active = tape;
  try {
    return f();
  } finally {
    active = undefined;
  }
}

/** A layer or model call's explicit `training` option, noted while a tape records. */
export function noteTrainingMode(training: boolean | undefined, caller: string): void {
  if (active && training !== undefined && !active.modes.has(training)) active.modes.set(!!training, `"${caller}"`);
}

/** Runs `f` with no tape recording (a model building its own graph inside a traced function). */
export function withoutTape<T>(f: () => T): T {
  const saved = active;
  active = undefined;
  try {
    return f();
  } finally {
    active = saved;
  }
}

/** Keras' `layer.losses` / `model.losses` inside a traced function: the losses `owner`'s calls added so far. */
export function tapeLosses(owner: object): SymbolicTensor[] {
  return active ? active.addedLosses.filter((l) => l.owner === owner).map((l) => l.loss) : [];
}
