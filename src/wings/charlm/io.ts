/**
 * Saving and loading trained character language models. A model directory holds
 * `model.safetensors` — a kioku checkpoint whose config says `kind: "charlm"` and whose
 * extra data carries the vocabulary — plus the training log and figures.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../node/checkpoint-file.js';
import { CharVocab } from './vocab.js';
import { checkNumber, inContext, KiokuError } from '../../util/errors.js';
import { checkDeclaredSize } from '../../io/safetensors.js';
import { cellNames, isCell } from '../../nn/cells.js';
import { CharLM, type CharLMConfig, countCharLMParameters } from './model.js';

export const CHARLM_KIND = 'charlm';

/** What a char-LM checkpoint's `config` holds. */
export interface CharLMCheckpointConfig {
  kind: typeof CHARLM_KIND;
  model: CharLMConfig;
  train: Record<string, unknown>;
}

/** Resolve `--model`: a directory (its model.safetensors) or a checkpoint file. */
export function resolveModelPath(pathOrDir: string): string {
  if (!existsSync(pathOrDir)) throw new KiokuError(`model ${pathOrDir} not found`);
  if (statSync(pathOrDir).isDirectory()) {
    const f = join(pathOrDir, 'model.safetensors');
    if (!existsSync(f))
      throw new KiokuError(
        `model directory ${pathOrDir} has no model.safetensors (train one with \`kioku train char --out ${pathOrDir}\`)`,
      );
    return f;
  }
  return pathOrDir;
}

/** Load a trained char LM; refuses files of other tasks and damaged files with the reason. */
export function loadCharLM(pathOrDir: string): {
  model: CharLM;
  vocab: CharVocab;
  config: CharLMCheckpointConfig;
  step: number;
  path: string;
} {
  const path = resolveModelPath(pathOrDir);
  const ckpt = loadCheckpoint(path);
  const config = ckpt.config as CharLMCheckpointConfig;
  if (!config || typeof config !== 'object' || config.kind !== CHARLM_KIND) {
    const kind =
      config && typeof config === 'object' && 'kind' in config
        ? String((config as { kind: unknown }).kind)
        : 'unknown';
    throw new KiokuError(`${path} is a ${kind} model, not a character language model`);
  }
  const mc = config.model as unknown;
  if (mc === null || typeof mc !== 'object' || Array.isArray(mc)) {
    throw new KiokuError(
      `${path}: the checkpoint's config.model must be an object, got ${JSON.stringify(mc)}`,
    );
  }
  const m = config.model;
  const where = `${path}: config.model`;
  for (const f of ['vocabSize', 'hidden', 'layers', 'embed'] as const)
    checkNumber(where, f, m[f], { min: 1, integer: true });
  if (!isCell(m.cell)) {
    throw new KiokuError(
      `${where}: cell must be one of ${cellNames().join(', ')}, got ${JSON.stringify(m.cell)}`,
    );
  }
  // Before allocating anything: the config must describe exactly the stored weights.
  checkDeclaredSize(path, ckpt.model, () => countCharLMParameters(m), { layers: m.layers });
  const extra = (ckpt.extra ?? {}) as { vocab?: string[] };
  if (!Array.isArray(extra.vocab)) throw new KiokuError(`${path}: the checkpoint has no vocabulary`);
  if (!extra.vocab.every((c) => typeof c === 'string'))
    throw new KiokuError(`${path}: the vocabulary must be a list of strings`);
  const vocab = new CharVocab(extra.vocab);
  if (vocab.size !== m.vocabSize) {
    throw new KiokuError(
      `${path}: vocabulary has ${vocab.size} characters but the model expects ${m.vocabSize}`,
    );
  }
  const model = inContext(path, () => {
    const lm = new CharLM(m);
    lm.loadStateDict(ckpt.model);
    return lm;
  });
  model.eval();
  return { model, vocab, config, step: ckpt.step, path };
}
