// Keras' auto-tracking: a layer owns every layer or model assigned to one of its properties,
// directly or inside arrays and plain objects (keras.io's TransformerBlock keeps
// `self.ffn = keras.Sequential([...])`), so their weights are its weights too: counted,
// trained, summarised, saved and loaded with it.
import type { Variable } from '../variable.js';

/** What a layer needs of a held layer or model. */
export interface HeldLayer {
  readonly weights: Variable[];
  readonly trainableWeights: Variable[];
  readonly nonTrainableWeights: Variable[];
  trainable: boolean;
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

/** The layers held by one property: the property's value itself, or the members of an array or object there. */
export interface HeldProperty {
  property: string;
  held: HeldLayer[];
  /** Whether they sit in an array or plain object (Keras saves those by class name, in order). */
  container: boolean;
}

/**
 * The layers and models `owner` holds, property by property in assignment order (Keras' `_layers`
 * order), each once. Arrays and plain objects are searched, nested ones too; a held layer's own
 * holdings are its business.
 */
export function heldLayersByProperty(owner: object): HeldProperty[] {
  const seen = new Set<object>([owner]);
  const visit = (value: unknown, found: HeldLayer[]): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (isTracked(value)) found.push(value);
    else if (Array.isArray(value)) value.forEach((v) => visit(v, found));
    else if (isPlainObject(value)) Object.values(value).forEach((v) => visit(v, found));
  };
  const properties: HeldProperty[] = [];
  for (const [property, value] of Object.entries(owner)) {
    if (BOOKKEEPING.has(property)) continue;
    const held: HeldLayer[] = [];
    visit(value, held);
    if (held.length > 0) properties.push({ property, held, container: !isTracked(value) });
  }
  return properties;
}

/** The layers and models `owner` holds, in the order its properties were assigned, each once. */
export function heldLayers(owner: object): HeldLayer[] {
  return heldLayersByProperty(owner).flatMap((p) => p.held);
}
