/**
 * A trained grapheme-to-phoneme model from its model file's bytes, and its translations:
 * no file system, so the page (the lab's attention explorer) and `kioku seq2seq translate`
 * (Node, via `loadG2P`, which reads the file first) run exactly the same code.
 *
 * ```ts
 * const g = g2pFromBytes(new Uint8Array(await res.arrayBuffer()), 'models/g2p/model.safetensors');
 * const t = translateWord(g, 'phoenix', 5, 5);
 * t.outputs[0].phones;  // ['F', 'IY', 'N', 'IH', 'K', 'S']
 * t.outputs[0].weights; // attention over the 7 letters for each phone and the final </s>
 * ```
 */
import { checkDeclaredSize } from '../../io/safetensors.js';
import { BOS, EOS, UNK, Vocab } from '../../data/vocab.js';
import type { Tensor } from '../../tensor/tensor.js';
import { inContext, KiokuError } from '../../util/errors.js';
import { decodeTaskModel } from '../task-codec.js';
import { beamSearch } from './decode.js';
import { countSeq2SeqParameters, Seq2Seq, type Seq2SeqConfig, validateSeq2SeqConfig } from './model.js';
import { isRecord } from '../../util/json.js';

/** Words longer than this are cut (with a notice from `translate` and the lab). */
export const G2P_MAX_WORD = 32;
/** The longest pronunciation decoding produces (phones, without </s>). */
export const G2P_MAX_PHONES = 40;

/** Word error rate and phone error rate on a list of words. */
export interface G2PScores {
  /** Share of words whose output matches none of the reference pronunciations. */
  wer: number;
  /** Σ min edit distance / Σ length of that closest reference. */
  per: number;
  words: number;
}

/** A trained G2P model with its letter (source) and phone (target) vocabularies. */
export interface LoadedG2P {
  model: Seq2Seq;
  src: Vocab;
  tgt: Vocab;
  /** Held-out scores stored in the file (by training, or measured by scripts/ship-g2p-model.ts). */
  scores?: G2PStoredScores;
}

/** What `kioku seq2seq train` (and the ship script) store under `extra.scores`. */
export interface G2PStoredScores {
  test: G2PScores;
  testGreedy?: G2PScores;
  /** Beam width of `test` (absent in files written before it was recorded). */
  beam?: number;
}

function isScores(v: unknown): v is G2PScores {
  return isRecord(v) && typeof v.wer === 'number' && typeof v.per === 'number' && typeof v.words === 'number';
}

function storedScores(v: unknown): G2PStoredScores | undefined {
  if (!isRecord(v) || !isScores(v.test)) return undefined;
  return {
    test: v.test,
    ...(isScores(v.testGreedy) ? { testGreedy: v.testGreedy } : {}),
    ...(typeof v.beam === 'number' ? { beam: v.beam } : {}),
  };
}

/**
 * Build the model a task model file describes (its config without `task`/`problem`, weights,
 * vocabularies in `extra.src` / `extra.tgt`), refusing weights that do not match the config
 * (checked before allocating) and vocabularies of the wrong size; `name` is quoted in every error.
 */
export function g2pFromTaskModel(
  fileConfig: Record<string, unknown>,
  weights: Record<string, Tensor>,
  extra: Record<string, unknown>,
  name: string,
): LoadedG2P {
  const { task: _t, problem: _p, ...rest } = fileConfig;
  const config = inContext(name, () => validateSeq2SeqConfig(rest as unknown as Seq2SeqConfig));
  // Before allocating anything: the config must describe exactly the stored weights.
  checkDeclaredSize(name, weights, () => countSeq2SeqParameters(config), {
    encoderLayers: config.encoderLayers,
  });
  const model = new Seq2Seq(config);
  inContext(name, () => model.loadStateDict(weights));
  model.eval();
  const src = inContext(name, () => Vocab.fromJSON(extra.src));
  const tgt = inContext(name, () => Vocab.fromJSON(extra.tgt));
  if (src.size !== config.srcVocab || tgt.size !== config.tgtVocab)
    throw new KiokuError(
      `${name}: vocabularies do not match the model (letters ${src.size} vs ${config.srcVocab}, phones ${tgt.size} vs ${config.tgtVocab})`,
    );
  const scores = storedScores(extra.scores);
  return { model, src, tgt, ...(scores ? { scores } : {}) };
}

/** Decode a G2P model file's bytes (F32 or F16 weights); `name` is quoted in every error. */
export function g2pFromBytes(bytes: Uint8Array, name: string): LoadedG2P {
  const f = decodeTaskModel<Record<string, unknown>>(bytes, name, 'seq2seq');
  return g2pFromTaskModel(f.config, f.model, f.extra, name);
}

/** The letters a model knows (its source vocabulary without the specials), in vocabulary order. */
export function g2pLetters(g: LoadedG2P): string[] {
  return g.src.tokens.filter((t) => !g.src.specials.includes(t));
}

/** A word as the model will read it: trimmed, lower-cased, cut to `G2P_MAX_WORD` letters. */
export interface G2PInput {
  /** Trimmed and lower-cased. */
  word: string;
  /** The first `G2P_MAX_WORD` characters of `word`: what the model reads. */
  cut: string;
  /** Characters beyond `G2P_MAX_WORD` that are ignored (0 when none). */
  truncated: number;
  /** The distinct characters of `cut` outside the model's alphabet, in order of appearance. */
  unknown: string[];
}

/** Prepare a word for `g` and list what it cannot read (nothing is replaced here). */
export function g2pInput(g: LoadedG2P, word: string): G2PInput {
  const clean = word.trim().toLowerCase();
  const chars = [...clean];
  const cut = chars.slice(0, G2P_MAX_WORD).join('');
  const unknown = [...new Set([...cut].filter((ch) => !g.src.has(ch)))];
  return { word: clean, cut, truncated: chars.length - [...cut].length, unknown };
}

export interface Translation {
  word: string;
  /**
   * Best first: the phones, their total log-probability (with </s>) and the attention of
   * that output — `weights[i][s]` is the weight on letter s when phone i was chosen (the last
   * row is the final </s>).
   */
  outputs: { phones: string[]; logProb: number; weights: number[][] }[];
  /** Source symbols as the model read them (`<unk>` for characters outside its alphabet). */
  source: string[];
  /** Attention of the best output (`outputs[0].weights`). */
  weights: number[][];
  /** How many characters were outside the alphabet (read as `<unk>`). */
  oov: number;
  /** The distinct characters outside the alphabet. */
  unknown: string[];
  truncated: number;
}

/**
 * Convert one word to phones with beam search (width 1 = greedy), keeping the `nBest` best
 * outputs, each with its attention weights. Characters outside the model's alphabet are read
 * as `<unk>` and listed in `unknown` (the lab refuses such words with `g2pInput` first).
 */
export function translateWord(g: LoadedG2P, word: string, beam = 5, nBest = 1): Translation {
  const input = g2pInput(g, word);
  if (input.word === '') throw new KiokuError('empty input: give a word to convert');
  const letters = [...input.cut];
  const { ids, oov } = g.src.encode(letters);
  const hyps = beamSearch(g.model, ids, beam, {
    bos: g.tgt.id(BOS),
    eos: g.tgt.id(EOS),
    maxLen: G2P_MAX_PHONES,
  });
  return {
    word: input.word,
    outputs: hyps
      .slice(0, nBest)
      .map((h) => ({ phones: g.tgt.decode(h.tokens), logProb: h.logProb, weights: h.weights })),
    source: letters.map((ch) => (g.src.has(ch) ? ch : UNK)),
    weights: hyps[0].weights,
    oov,
    unknown: input.unknown,
    truncated: input.truncated,
  };
}
