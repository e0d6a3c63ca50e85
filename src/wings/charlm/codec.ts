/**
 * A trained character language model from the bytes of its `model.safetensors`, with no
 * file system: the page (the lab) and `loadCharLM` (Node, which reads the file first) share
 * this. Foreign files are refused with the reason and the file's name.
 *
 * ```ts
 * const { model, vocab } = charLMFromBytes(new Uint8Array(await file.arrayBuffer()), file.name);
 * ```
 */
import { type Checkpoint, decodeCheckpoint } from '../../io/checkpoint-codec.js';
import { checkDeclaredSize } from '../../io/safetensors.js';
import { checkNumber, inContext, KiokuError } from '../../util/errors.js';
import { cellNames, isCell } from '../../nn/cells.js';
import { CharLM, type CharLMConfig, countCharLMParameters } from './model.js';
import { CharVocab } from './vocab.js';
import { isRecord } from '../../util/json.js';

export const CHARLM_KIND = 'charlm';

/** What a char-LM checkpoint's `config` holds. */
export interface CharLMCheckpointConfig {
  kind: typeof CHARLM_KIND;
  model: CharLMConfig;
  train: Record<string, unknown>;
}

export interface LoadedCharLM {
  model: CharLM;
  vocab: CharVocab;
  config: CharLMCheckpointConfig;
  step: number;
}

/** Decode a char-LM checkpoint's bytes; `name` (a path or file name) is quoted in every error. */
export function charLMFromBytes(bytes: Uint8Array, name: string): LoadedCharLM {
  return charLMFromCheckpoint(decodeCheckpoint(bytes, { context: name }), name);
}

/**
 * Build the model a decoded checkpoint describes, refusing foreign and damaged ones with the
 * reason: another task's model, a malformed `config.model`, weights that do not match the
 * config (checked before anything is allocated), a missing or inconsistent vocabulary.
 */
export function charLMFromCheckpoint(ckpt: Checkpoint, name: string): LoadedCharLM {
  const config = ckpt.config;
  if (!isRecord(config) || config.kind !== CHARLM_KIND) {
    const kind = isRecord(config) && 'kind' in config ? String(config.kind) : 'unknown';
    throw new KiokuError(`${name} is a ${kind} model, not a character language model`);
  }
  const mc = config.model;
  if (!isRecord(mc)) {
    throw new KiokuError(
      `${name}: the checkpoint's config.model must be an object, got ${JSON.stringify(mc)}`,
    );
  }
  const cfg = config as unknown as CharLMCheckpointConfig;
  const m = cfg.model;
  const where = `${name}: config.model`;
  for (const f of ['vocabSize', 'hidden', 'layers', 'embed'] as const)
    checkNumber(where, f, m[f], { min: 1, integer: true });
  if (!isCell(m.cell)) {
    throw new KiokuError(
      `${where}: cell must be one of ${cellNames().join(', ')}, got ${JSON.stringify(m.cell)}`,
    );
  }
  // Before allocating anything: the config must describe exactly the stored weights.
  checkDeclaredSize(name, ckpt.model, () => countCharLMParameters(m), { layers: m.layers });
  const extra = isRecord(ckpt.extra) ? ckpt.extra : {};
  if (!Array.isArray(extra.vocab)) throw new KiokuError(`${name}: the checkpoint has no vocabulary`);
  if (!extra.vocab.every((c) => typeof c === 'string'))
    throw new KiokuError(`${name}: the vocabulary must be a list of strings`);
  const vocab = new CharVocab(extra.vocab);
  if (vocab.size !== m.vocabSize) {
    throw new KiokuError(
      `${name}: vocabulary has ${vocab.size} characters but the model expects ${m.vocabSize}`,
    );
  }
  const model = inContext(name, () => {
    const lm = new CharLM(m);
    lm.loadStateDict(ckpt.model);
    return lm;
  });
  model.eval();
  return { model, vocab, config: cfg, step: ckpt.step };
}
