/**
 * A handwriting model from the bytes of its safetensors file, with no file system: the lab's
 * pad (in a Web Worker) and `loadHandwritingModel` (Node, which reads the file first) share
 * this. A foreign file is refused with the reason and the file's name.
 *
 * ```ts
 * const { model, stats } = handwritingModelFromBytes(new Uint8Array(await res.arrayBuffer()), 'lstm.safetensors');
 * ```
 */
import { checkDeclaredSize, decodeSafetensors } from '../../io/safetensors.js';
import { inContext, KiokuError } from '../../util/errors.js';
import { parseJson } from '../../util/json.js';
import {
  countParameters,
  type HandwritingModelConfig,
  HandwritingModel,
  normalizeModelConfig,
} from './model.js';
import { checkOffsetStats, type OffsetStats } from './strokes.js';

export const HANDWRITING_FORMAT = 'kioku-handwriting';

export interface LoadedHandwritingModel {
  model: HandwritingModel;
  stats: OffsetStats;
  info: Record<string, unknown>;
  path: string;
}

function metadataJson(path: string, key: string, text: string | undefined): unknown {
  if (text === undefined) throw new KiokuError(`loadHandwritingModel: ${path}: metadata has no "${key}"`);
  return parseJson(text, `loadHandwritingModel: ${path}: metadata "${key}"`);
}

/** Decode a model saved by `saveHandwritingModel` (float32); `path` names it in every error. */
export function handwritingModelFromBytes(bytes: Uint8Array, path: string): LoadedHandwritingModel {
  const { tensors, metadata } = decodeSafetensors(bytes, { context: `loadSafetensors: ${path}` });
  if (metadata?.format !== HANDWRITING_FORMAT) {
    throw new KiokuError(
      `loadHandwritingModel: ${path}: not a kioku handwriting model (metadata format is ${JSON.stringify(metadata?.format)}, expected "${HANDWRITING_FORMAT}")`,
    );
  }
  const where = `loadHandwritingModel: ${path}`;
  const rawConfig = metadataJson(path, 'config', metadata.config);
  const config = inContext(where, () => normalizeModelConfig(rawConfig as HandwritingModelConfig));
  // Before allocating anything: the config must describe exactly the stored weights.
  checkDeclaredSize(where, tensors, () => countParameters(config), { numLayers: config.numLayers });
  const stats = checkOffsetStats(where, metadataJson(path, 'stats', metadata.stats));
  const infoRaw = metadata.info ? metadataJson(path, 'info', metadata.info) : {};
  if (infoRaw === null || typeof infoRaw !== 'object' || Array.isArray(infoRaw))
    throw new KiokuError(`${where}: metadata "info" must be a JSON object`);
  const info = infoRaw as Record<string, unknown>;
  const model = new HandwritingModel({ ...config, dtype: 'float32' });
  inContext(path, () => model.loadStateDict(tensors));
  model.eval();
  return { model, stats, info, path };
}
