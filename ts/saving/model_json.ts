// `kiln.models.modelFromJSON` (Keras' model_from_json) and `kiln.models.cloneModel`.
import { FileFormatError } from '../errors.js';
import type { Model } from '../models/model.js';
import { modelConfig } from './model_config.js';
import { modelFromKeras } from './model_from_config.js';

/** The model (fresh weights) that `model.toJSON()` or Keras' `to_json()` describes. */
export function modelFromJSON(json: string | object): Model {
  let config: unknown = json;
  if (typeof json === 'string') {
    try {
      config = JSON.parse(json);
    } catch (error) {
      throw new FileFormatError(`modelFromJSON: the text is not valid JSON: ${(error as Error).message}`);
    }
  }
  return modelFromKeras(config, 'modelFromJSON');
}

/** A new model with the same architecture and new layers (fresh weights), as Keras' clone_model. */
export function cloneModel(model: Model): Model {
  return modelFromKeras(modelConfig(model, false), `cloneModel(${model.name})`);
}
