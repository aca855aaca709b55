// Calling a layer on one symbolic tensor, as Keras' builders write `layers.X(...)(x)`, typed.
import type { Layer } from '../layers/layer.js';
import type { SymbolicTensor } from '../symbolic.js';

export function call(layer: Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}
