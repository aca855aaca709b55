export { Callback, type Logs, type TrainingParams } from './callback.js';
export { History } from './history.js';
export { ProgbarLogger } from './progbar_logger.js';
