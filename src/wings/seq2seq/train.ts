import { padBatch, bucketBatches } from '../../data/batching.js';
import { cmudictSplit, editDistance, type G2PEntry, loadCmudict } from './cmudict.js';
import { BOS, EOS, PAD, UNK, Vocab } from '../../data/vocab.js';
import { Adam } from '../../optim/adam.js';
import { clipGradNorm } from '../../optim/clip.js';
import { checkNumber, inContext, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import {
  countSeq2SeqParameters,
  DEFAULT_SEQ2SEQ_CONFIG,
  Seq2Seq,
  type Seq2SeqConfig,
  validateSeq2SeqConfig,
} from './model.js';
import { checkDeclaredSize } from '../../io/safetensors.js';
import { beamSearch, greedyDecodeBatch, type Hypothesis } from './decode.js';
import { loadTaskModel, saveTaskModel, yieldToEventLoop } from '../taskfile.js';

const SPECIALS = [PAD, UNK, BOS, EOS];
/** Words longer than this are cut (with a notice from `translate`). */
export const G2P_MAX_WORD = 32;

export interface G2PTrainOptions extends Partial<Omit<Seq2SeqConfig, 'srcVocab' | 'tgtVocab'>> {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  clip?: number;
  /** Use only the first n training words (0: all). */
  trainSize?: number;
  /** Evaluate on the first n test words (0: all). */
  testSize?: number;
  /** Beam width for the final test evaluation (1: greedy). */
  beam?: number;
  seed?: number;
  out?: string;
  /** Continue from the weights (and vocabularies, architecture) of a saved G2P model. */
  initModel?: string;
  /** Entries to use instead of the CMU dictionary (tests). */
  data?: { train: G2PEntry[]; dev: G2PEntry[]; test: G2PEntry[] };
  log?: (m: string) => void;
}

export interface G2PScores {
  /** Share of words whose output matches none of the reference pronunciations. */
  wer: number;
  /** Σ min edit distance / Σ length of that closest reference. */
  per: number;
  words: number;
}

export interface G2PTrainResult {
  test: G2PScores;
  testGreedy: G2PScores;
  dev: G2PScores[];
  steps: number;
  seconds: number;
  config: Seq2SeqConfig;
}

export interface LoadedG2P {
  model: Seq2Seq;
  src: Vocab;
  tgt: Vocab;
}

function encodeWord(src: Vocab, word: string): { ids: Int32Array; oov: number } {
  return src.encode([...word.toLowerCase()]);
}

/** Score outputs (phone lists) against entries (all pronunciations count as correct). */
export function scoreG2P(outputs: readonly string[][], entries: readonly G2PEntry[]): G2PScores {
  let wrong = 0;
  let dist = 0;
  let len = 0;
  outputs.forEach((o, i) => {
    let best = Infinity;
    let bestLen = 1;
    for (const p of entries[i].prons) {
      const d = editDistance(o, p);
      if (d < best) {
        best = d;
        bestLen = p.length;
      }
    }
    if (best > 0) wrong++;
    dist += best;
    len += bestLen;
  });
  return { wer: wrong / entries.length, per: dist / len, words: entries.length };
}

/** Decode entries greedily in batches of 128 and score them. */
export async function evaluateG2P(g: LoadedG2P, entries: readonly G2PEntry[], beam = 1): Promise<G2PScores> {
  const bos = g.tgt.id(BOS);
  const eos = g.tgt.id(EOS);
  const outs: string[][] = [];
  if (beam <= 1) {
    for (let i = 0; i < entries.length; i += 128) {
      const part = entries.slice(i, i + 128);
      const srcs = part.map((e) => encodeWord(g.src, e.word.slice(0, G2P_MAX_WORD)).ids);
      for (const o of greedyDecodeBatch(g.model, srcs, { bos, eos, maxLen: 40 })) outs.push(g.tgt.decode(o));
      await yieldToEventLoop();
    }
  } else {
    for (const e of entries) {
      const h = beamSearch(g.model, encodeWord(g.src, e.word.slice(0, G2P_MAX_WORD)).ids, beam, {
        bos,
        eos,
        maxLen: 40,
      });
      outs.push(g.tgt.decode(h[0].tokens));
      if (outs.length % 20 === 0) await yieldToEventLoop();
    }
  }
  return scoreG2P(outs, entries);
}

/**
 * Train grapheme-to-phoneme conversion on the CMU dictionary (fixed hash split, see
 * `cmudictSplit`): every (word, pronunciation) pair of a training word is an example;
 * teacher forcing, Adam, global-norm clipping; WER/PER on held-out words.
 */
export async function trainG2P(opts: G2PTrainOptions = {}): Promise<G2PTrainResult> {
  const log = opts.log ?? (() => {});
  const w = 'seq2seq train';
  const epochs = checkNumber(w, 'epochs', opts.epochs ?? 1, { min: 1, integer: true });
  const batchSize = checkNumber(w, 'batchSize', opts.batchSize ?? 64, { min: 1, integer: true });
  const lr = checkNumber(w, 'lr', opts.lr ?? 3e-3, { min: 0 });
  const clip = checkNumber(w, 'clip', opts.clip ?? 5, { min: 0 });
  const seed = checkNumber(w, 'seed', opts.seed ?? 1, { integer: true });
  const beam = checkNumber(w, 'beam', opts.beam ?? 1, { min: 1, integer: true });
  const t0 = performance.now();
  const split = opts.data ?? cmudictSplit(loadCmudict());
  const trainEntries = opts.trainSize ? split.train.slice(0, opts.trainSize) : split.train;
  const testEntries = opts.testSize ? split.test.slice(0, opts.testSize) : split.test;
  const devEntries = split.dev.slice(0, 1000);
  let g: LoadedG2P;
  if (opts.initModel) {
    // Warm start: architecture and vocabularies come from the saved model.
    g = loadG2P(opts.initModel);
    g.model.train();
    log(`warm start from ${opts.initModel}`);
  } else {
    const src = Vocab.build(
      trainEntries.map((e) => [...e.word]),
      { specials: SPECIALS },
    );
    const tgt = Vocab.build(
      trainEntries.flatMap((e) => e.prons),
      { specials: SPECIALS },
    );
    const base = { ...DEFAULT_SEQ2SEQ_CONFIG };
    for (const k of Object.keys(base) as (keyof typeof base)[])
      if (opts[k] !== undefined) (base as Record<string, unknown>)[k] = opts[k];
    g = { model: new Seq2Seq({ ...base, srcVocab: src.size, tgtVocab: tgt.size }, seed), src, tgt };
  }
  const { model, src, tgt } = g;
  const config = model.config;
  const pairs: { s: Int32Array; t: Int32Array }[] = [];
  for (const e of trainEntries) {
    const s = encodeWord(src, e.word.slice(0, G2P_MAX_WORD)).ids;
    for (const p of e.prons) pairs.push({ s, t: tgt.encode(p).ids });
  }
  log(
    `data: ${trainEntries.length} training words (${pairs.length} pronunciations), ${testEntries.length} test words; ${src.size - 4} letters, ${tgt.size - 4} phones`,
  );
  const bos = tgt.id(BOS);
  const eos = tgt.id(EOS);
  const opt = new Adam(model.parameters(), { lr });
  const rng = new Rng(seed);
  const dev: G2PScores[] = [];
  let step = 0;
  for (let ep = 0; ep < epochs; ep++) {
    model.train();
    const batches = bucketBatches(
      pairs.map((p) => p.s.length + p.t.length / 4),
      batchSize,
      rng,
    );
    let lossSum = 0;
    let n = 0;
    // Linear decay of the learning rate over the last half of training.
    for (const idx of batches) {
      const frac = (step + 1) / (epochs * batches.length);
      opt.lr = frac > 0.5 ? lr * (1 - frac) * 2 + lr * 0.05 : lr;
      const sb = padBatch(
        idx.map((i) => pairs[i].s),
        0,
      );
      const tin = padBatch(
        idx.map((i) => Int32Array.of(bos, ...pairs[i].t)),
        0,
      );
      const tout = new Int32Array(tin.T * tin.B).fill(-100);
      idx.forEach((i, b) => {
        const t = pairs[i].t;
        for (let k = 0; k < t.length; k++) tout[k * tin.B + b] = t[k];
        tout[t.length * tin.B + b] = eos;
      });
      model.zeroGrad();
      const r = model.trainStep(sb, tin, tout);
      if (!Number.isFinite(r.loss))
        throw new KiokuError(`${w}: loss became ${r.loss} at step ${step}; try a lower --lr`);
      if (clip > 0) clipGradNorm(model.parameters(), clip);
      opt.step();
      step++;
      lossSum += r.loss;
      n++;
      if (step % 5 === 0) await yieldToEventLoop();
      if (step % 100 === 0) {
        log(
          `epoch ${ep + 1} step ${step}/${epochs * batches.length} loss ${(lossSum / n).toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
        );
        lossSum = 0;
        n = 0;
      }
    }
    const d = await evaluateG2P(g, devEntries);
    dev.push(d);
    log(
      `epoch ${ep + 1}: dev WER ${(100 * d.wer).toFixed(2)}% PER ${(100 * d.per).toFixed(2)}% (${d.words} words)`,
    );
    if (opts.out) saveG2P(opts.out, g, step);
  }
  const testGreedy = await evaluateG2P(g, testEntries, 1);
  log(
    `test (greedy): WER ${(100 * testGreedy.wer).toFixed(2)}% PER ${(100 * testGreedy.per).toFixed(2)}% on ${testGreedy.words} words`,
  );
  const test = beam > 1 ? await evaluateG2P(g, testEntries, beam) : testGreedy;
  if (beam > 1)
    log(`test (beam ${beam}): WER ${(100 * test.wer).toFixed(2)}% PER ${(100 * test.per).toFixed(2)}%`);
  if (opts.out) saveG2P(opts.out, g, step, { test, testGreedy });
  return { test, testGreedy, dev, steps: step, seconds: (performance.now() - t0) / 1000, config };
}

export function saveG2P(path: string, g: LoadedG2P, step: number, scores?: unknown): void {
  saveTaskModel(
    path,
    'seq2seq',
    { ...g.model.config, problem: 'g2p' },
    g.model.stateDict(),
    { src: g.src.toJSON(), tgt: g.tgt.toJSON(), ...(scores ? { scores } : {}) },
    step,
  );
}

export function loadG2P(path: string): LoadedG2P {
  const f = loadTaskModel<Seq2SeqConfig>(path, 'seq2seq');
  const { task: _t, problem: _p, ...rest } = f.config as Seq2SeqConfig & { task: string; problem?: string };
  const config = inContext(path, () => validateSeq2SeqConfig(rest));
  // Before allocating anything: the config must describe exactly the stored weights.
  checkDeclaredSize(path, f.model, () => countSeq2SeqParameters(config), {
    encoderLayers: config.encoderLayers,
  });
  const model = new Seq2Seq(config);
  inContext(path, () => model.loadStateDict(f.model));
  model.eval();
  const src = Vocab.fromJSON(f.extra.src);
  const tgt = Vocab.fromJSON(f.extra.tgt);
  if (src.size !== config.srcVocab || tgt.size !== config.tgtVocab)
    throw new KiokuError(`${path}: vocabularies do not match the model`);
  return { model, src, tgt };
}

export interface Translation {
  word: string;
  /** Best first. */
  outputs: { phones: string[]; logProb: number }[];
  /** Source symbols as the model read them. */
  source: string[];
  /** Attention of the best output: weights[i][s] for output i (the last row is </s>). */
  weights: number[][];
  oov: number;
  truncated: number;
}

/** Convert one word to phones with beam search (width 1 = greedy). */
export function translateWord(g: LoadedG2P, word: string, beam = 5, nBest = 1): Translation {
  const clean = word.trim().toLowerCase();
  if (clean === '') throw new KiokuError('empty input: give a word to convert');
  const cut = clean.slice(0, G2P_MAX_WORD);
  const { ids, oov } = encodeWord(g.src, cut);
  const hyps: Hypothesis[] = beamSearch(g.model, ids, beam, {
    bos: g.tgt.id(BOS),
    eos: g.tgt.id(EOS),
    maxLen: 40,
  });
  return {
    word: clean,
    outputs: hyps.slice(0, nBest).map((h) => ({ phones: g.tgt.decode(h.tokens), logProb: h.logProb })),
    source: [...cut].map((ch) => (g.src.has(ch) ? ch : UNK)),
    weights: hyps[0].weights,
    oov,
    truncated: clean.length - cut.length,
  };
}
