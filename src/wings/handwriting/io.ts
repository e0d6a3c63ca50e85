/**
 * Saved handwriting models: one `.safetensors` file with the weights under PyTorch names
 * and, in its metadata, everything needed to use the model — the architecture, the offset
 * normalisation statistics (Graves §4: they belong to the model), and a training summary.
 *
 * | `__metadata__` key | content |
 * |---|---|
 * | `format` | `"kioku-handwriting"` |
 * | `version` | `"1"` |
 * | `config` | JSON `HandwritingModelConfig` |
 * | `stats` | JSON `OffsetStats` (mean/std of Δx, Δy over the training set) |
 * | `info` | JSON: data description, training config, validation NLLs, acknowledgements |
 *
 * ```ts
 * saveHandwritingModel('models/handwriting/lstm.safetensors', model, stats, { validNll: 123 });
 * const { model, stats, info } = loadHandwritingModel('models/handwriting/lstm.safetensors');
 * ```
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkOffsetStats, type OffsetStats } from './strokes.js';
import { loadSafetensors, saveSafetensors } from '../../node/safetensors-file.js';
import { inContext, KiokuError } from '../../util/errors.js';
import {
  countParameters,
  type HandwritingModelConfig,
  HandwritingModel,
  normalizeModelConfig,
} from './model.js';
import { checkDeclaredSize } from '../../io/safetensors.js';
import { parseJson } from '../../util/json.js';

export const HANDWRITING_FORMAT = 'kioku-handwriting';
/** The model file `kioku handwriting train` writes in its run directory. */
export const HANDWRITING_MODEL_FILE = 'handwriting.safetensors';

/** Save weights + config + statistics + a JSON-serialisable `info` (atomic write). */
export function saveHandwritingModel(
  path: string,
  model: HandwritingModel,
  stats: OffsetStats,
  info: unknown = {},
): void {
  const { dtype: _dtype, ...config } = model.config;
  saveSafetensors(
    path,
    model.stateDict(),
    {
      format: HANDWRITING_FORMAT,
      version: '1',
      config: JSON.stringify(config),
      stats: JSON.stringify(stats),
      info: JSON.stringify(info),
    },
    { checksum: true },
  );
}

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

/** Load a model saved by `saveHandwritingModel` (float32). Errors name the file. */
export function loadHandwritingModel(path: string): LoadedHandwritingModel {
  const { tensors, metadata } = loadSafetensors(path);
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

/** The folder of the pretrained models shipped with kioku (`models/handwriting/`). */
export function pretrainedDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'handwriting');
}

/**
 * Resolve `--model`: a path to a file, or the name of a pretrained model (`lstm`, `gru`,
 * `rnn` → `models/handwriting/<name>.safetensors`).
 */
export function resolveModelPath(nameOrPath: string): string {
  const inRun = join(nameOrPath, HANDWRITING_MODEL_FILE);
  if (existsSync(inRun)) return inRun;
  if (existsSync(nameOrPath)) return nameOrPath;
  const p = join(pretrainedDir(), `${nameOrPath}.safetensors`);
  if (existsSync(p)) return p;
  throw new KiokuError(
    `no handwriting model at ${JSON.stringify(nameOrPath)} (not a file, and not a pretrained name: rnn, lstm or gru in ${pretrainedDir()})`,
  );
}
