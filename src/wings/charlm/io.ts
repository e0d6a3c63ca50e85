/**
 * Saving and loading trained character language models. A model directory holds
 * `model.safetensors` — a kioku checkpoint whose config says `kind: "charlm"` and whose
 * extra data carries the vocabulary — plus the training log and figures.
 */
import { existsSync } from 'node:fs';
import { loadCheckpoint } from '../../node/checkpoint-file.js';
import { RUN_MODEL_FILE, resolveRunModel } from '../taskfile.js';
import type { CharVocab } from './vocab.js';
import { charLMFromCheckpoint, type CharLMCheckpointConfig } from './codec.js';
import { KiokuError } from '../../util/errors.js';
import type { CharLM } from './model.js';

export { CHARLM_KIND, type CharLMCheckpointConfig } from './codec.js';

/** Resolve `--model`: a directory (its model.safetensors) or a checkpoint file. */
export function resolveModelPath(pathOrDir: string): string {
  if (!existsSync(pathOrDir)) throw new KiokuError(`model ${pathOrDir} not found`);
  const f = resolveRunModel(pathOrDir);
  if (f !== pathOrDir && !existsSync(f))
    throw new KiokuError(
      `model directory ${pathOrDir} has no ${RUN_MODEL_FILE} (train one with \`kioku train char --out ${pathOrDir}\`)`,
    );
  return f;
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
  const { model, vocab, config, step } = charLMFromCheckpoint(loadCheckpoint(path), path);
  return { model, vocab, config, step, path };
}
