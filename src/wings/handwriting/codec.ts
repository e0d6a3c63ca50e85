/**
 * A handwriting model from the bytes of its safetensors file, with no file system: the lab's
 * pad (in a Web Worker) and `loadHandwritingModel` (Node, which reads the file first) share
 * this. A foreign file is refused with the reason and the file's name.
 *
 * ```ts
 * const { model, stats } = handwritingModelFromBytes(new Uint8Array(await res.arrayBuffer()), 'lstm.safetensors');
 * ```
 */
import { decodeSafetensors } from '../../io/safetensors.js';
import { KiokuError } from '../../util/errors.js';
import { type HandwritingModelConfig, HandwritingModel, normalizeModelConfig } from './model.js';
import { checkOffsetStats, type OffsetStats } from './strokes.js';

export const HANDWRITING_FORMAT = 'kioku-handwriting';

export interface LoadedHandwritingModel {
  model: HandwritingModel;
  stats: OffsetStats;
  info: Record<string, unknown>;
  path: string;
}

function parseJson(path: string, key: string, text: string | undefined): unknown {
  if (text === undefined) throw new KiokuError(`loadHandwritingModel: ${path}: metadata has no "${key}"`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new KiokuError(
      `loadHandwritingModel: ${path}: metadata "${key}" is not valid JSON (${(e as Error).message})`,
    );
  }
}

/** Decode a model saved by `saveHandwritingModel` (float32); `path` names it in every error. */
export function handwritingModelFromBytes(bytes: Uint8Array, path: string): LoadedHandwritingModel {
  const { tensors, metadata } = decodeSafetensors(bytes, { context: `loadHandwritingModel: ${path}` });
  if (metadata?.format !== HANDWRITING_FORMAT) {
    throw new KiokuError(
      `loadHandwritingModel: ${path}: not a kioku handwriting model (metadata format is ${JSON.stringify(metadata?.format)}, expected "${HANDWRITING_FORMAT}")`,
    );
  }
  const config = normalizeModelConfig(parseJson(path, 'config', metadata.config) as HandwritingModelConfig);
  const stats = checkOffsetStats(`loadHandwritingModel: ${path}`, parseJson(path, 'stats', metadata.stats));
  const info = (metadata.info ? parseJson(path, 'info', metadata.info) : {}) as Record<string, unknown>;
  const model = new HandwritingModel({ ...config, dtype: 'float32' });
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    throw new KiokuError(`${path}: ${(e as Error).message}`);
  }
  model.eval();
  return { model, stats, info, path };
}
