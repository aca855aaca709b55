// Keras' auto-tracking: a layer owns every layer or model assigned to one of its properties,
// directly or inside arrays and plain objects (keras.io's TransformerBlock keeps
// `self.ffn = keras.Sequential([...])`), so their weights are its weights too: counted,
// trained, summarised, saved and loaded with it.
import type { Variable } from '../variable.js';

/** What a layer needs of a held layer or model. */
export interface HeldLayer {
  readonly weights: Variable[];
}

/** Layer-like classes whose instances are tracked (Layer, and Model, which is not a Layer). */
const trackedClasses: (abstract new (...args: never[]) => HeldLayer)[] = [];

/** Makes instances of `cls` tracked when a layer holds them (models register themselves). */
export function trackInstancesOf(cls: abstract new (...args: never[]) => HeldLayer): void {
  if (!trackedClasses.includes(cls)) trackedClasses.push(cls);
}

export function isTracked(value: unknown): value is HeldLayer {
  return trackedClasses.some((cls) => value instanceof cls);
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A layer's own bookkeeping that holds tensors, never layers it owns. */
const BOOKKEEPING = new Set(['inboundNodes', 'activityPenalties']);

/**
 * The layers and models `owner` holds, in the order its properties were assigned (Keras'
 * `_layers` order), each once. Arrays and plain objects are searched, nested ones too; a held
 * layer's own holdings are its business.
 */
export function heldLayers(owner: object): HeldLayer[] {
  const found: HeldLayer[] = [];
  const seen = new Set<object>([owner]);
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (isTracked(value)) found.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (isPlainObject(value)) Object.values(value).forEach(visit);
  };
  for (const [key, value] of Object.entries(owner)) if (!BOOKKEEPING.has(key)) visit(value);
  return found;
}
