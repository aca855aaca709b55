// model.exportOnnx(path): the model's inference graph as an ONNX file.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { ValueError } from '../../errors.js';
import type { Model } from '../../models/model.js';
import { writeAtomically } from '../../saving/atomic_write.js';

const packageVersion: string = createRequire(import.meta.url)('../../../package.json').version;

/** The model as ONNX bytes (opset 17, float32, any batch size). The converters and protobufjs
 * load on first use, so importing kiln-nn stays fast. */
export async function onnxBytes(model: Model): Promise<Uint8Array> {
  const [{ modelToOnnx }, { encodeModel }] = await Promise.all([import('./convert_model.js'), import('./onnx_proto.js')]);
  return encodeModel(modelToOnnx(model, packageVersion));
}

/** Writes the ONNX file atomically (a failed export leaves an existing file intact). */
export async function exportOnnx(model: Model, path: string): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new ValueError(`exportOnnx: the path must be a non-empty string, got ${JSON.stringify(path)}`);
  const bytes = await onnxBytes(model);
  await writeAtomically(path, (temporary) => fs.writeFile(temporary, bytes));
}
