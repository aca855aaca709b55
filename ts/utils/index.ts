export { Progbar, type ProgbarOptions } from './progbar.js';
export { toCategorical } from './to_categorical.js';
export { registerSerializable, type RegisterOptions } from '../saving/registry.js';
