/**
 * A trained character language model from the bytes of its `model.safetensors`, with no
 * file system: the page (the lab) and `loadCharLM` (Node, which reads the file first) share
 * this. Foreign files are refused with the reason and the file's name.
 *
 * ```ts
 * const { model, vocab } = charLMFromBytes(new Uint8Array(await file.arrayBuffer()), file.name);
 * ```
 */
import { decodeCheckpoint } from '../../io/checkpoint-codec.js';
import { KiokuError } from '../../util/errors.js';
import { CharLM, type CharLMConfig } from './model.js';
import { CharVocab } from './vocab.js';

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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Decode a char-LM checkpoint; `name` (a path or file name) is quoted in every error
 * (`context` overrides the prefix of the decoder's own errors).
 */
export function charLMFromBytes(
  bytes: Uint8Array,
  name: string,
  opts: { context?: string } = {},
): LoadedCharLM {
  const ckpt = decodeCheckpoint(bytes, { context: opts.context ?? name });
  const config = ckpt.config;
  if (!isRecord(config) || config.kind !== CHARLM_KIND) {
    const kind = isRecord(config) && 'kind' in config ? String(config.kind) : 'unknown';
    throw new KiokuError(`${name} is a ${kind} model, not a character language model`);
  }
  const extra = isRecord(ckpt.extra) ? ckpt.extra : {};
  if (!Array.isArray(extra.vocab) || !extra.vocab.every((t) => typeof t === 'string'))
    throw new KiokuError(`${name}: the checkpoint has no vocabulary`);
  const vocab = new CharVocab(extra.vocab);
  const cfg = config as unknown as CharLMCheckpointConfig;
  if (vocab.size !== cfg.model.vocabSize) {
    throw new KiokuError(
      `${name}: vocabulary has ${vocab.size} characters but the model expects ${cfg.model.vocabSize}`,
    );
  }
  const model = new CharLM(cfg.model);
  model.loadStateDict(ckpt.model);
  model.eval();
  return { model, vocab, config: cfg, step: ckpt.step };
}
