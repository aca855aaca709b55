export { Progbar, type ProgbarOptions } from './progbar.js';
export { toCategorical } from './to_categorical.js';
