// Keras' model.export(path, { format }) dispatch.
import { ValueError } from '../errors.js';
import type { Model } from '../models/model.js';
import { exportOnnx } from './onnx/export_onnx.js';

export interface ExportArgs {
  /** The file format; only 'onnx' (the default in kiln-nn: Keras' 'tf_saved_model' needs TensorFlow). */
  format?: 'onnx';
}

export async function exportModel(model: Model, path: string, args: ExportArgs = {}): Promise<void> {
  const format = args.format ?? 'onnx';
  if (format !== 'onnx') {
    throw new ValueError(`Unrecognized format=${JSON.stringify(format)}. Supported formats in kiln-nn: 'onnx' (Keras' 'tf_saved_model' and 'openvino' need their Python runtimes)`);
  }
  await exportOnnx(model, path);
}
