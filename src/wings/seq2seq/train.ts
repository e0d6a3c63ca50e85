import {
  bucketBatches,
  EpochBatches,
  type EpochBatchesState,
  type PaddedBatch,
  padBatch,
} from '../../data/batching.js';
import { cmudictSplit, editDistance, type G2PEntry, loadCmudict } from './cmudict.js';
import { BOS, EOS, PAD, UNK, Vocab } from '../../data/vocab.js';
import { secondHalfDecay } from '../../optim/schedule.js';
import { averageFromFraction, type TrainTask } from '../../train/trainer.js';
import { fileFingerprint, type FinishedRun, type RunFlags, runTraining } from '../../node/run-dir.js';
import { checkNumber, inContext, KiokuError } from '../../util/errors.js';
import { Rng, type RngState } from '../../util/rng.js';
import {
  countSeq2SeqParameters,
  DEFAULT_SEQ2SEQ_CONFIG,
  Seq2Seq,
  type Seq2SeqConfig,
  validateSeq2SeqConfig,
} from './model.js';
import { checkDeclaredSize } from '../../io/safetensors.js';
import { beamSearch, greedyDecodeBatch, type Hypothesis } from './decode.js';
import { loadTaskModel, resolveRunModel, yieldToEventLoop } from '../taskfile.js';

const SPECIALS = [PAD, UNK, BOS, EOS];
/** Words longer than this are cut (with a notice from `translate`). */
export const G2P_MAX_WORD = 32;

export interface G2PTrainOptions extends Partial<Omit<Seq2SeqConfig, 'srcVocab' | 'tgtVocab'>>, RunFlags {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  clip?: number;
  /** Average the weights over this last fraction of the steps (SWA, see `TrainerOptions.averageFrom`; default 0: off). */
  averageLast?: number;
  /** Use only the first n training words (0: all). */
  trainSize?: number;
  /** Evaluate on the first n test words (0: all). */
  testSize?: number;
  /** Beam width for the final test evaluation (1: greedy). */
  beam?: number;
  seed?: number;
  /** The run directory (model.safetensors is the model); trains in memory when absent. */
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
  finished: false;
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

/** Outputs (phone lists) for `entries`: greedy in one batch (beam 1), else beam search word by word. */
function decodeG2P(g: LoadedG2P, entries: readonly G2PEntry[], beam: number): string[][] {
  const bos = g.tgt.id(BOS);
  const eos = g.tgt.id(EOS);
  const srcs = entries.map((e) => encodeWord(g.src, e.word.slice(0, G2P_MAX_WORD)).ids);
  if (beam <= 1)
    return greedyDecodeBatch(g.model, srcs, { bos, eos, maxLen: 40 }).map((o) => g.tgt.decode(o));
  return srcs.map((s) => g.tgt.decode(beamSearch(g.model, s, beam, { bos, eos, maxLen: 40 })[0].tokens));
}

/** Words decoded per call of `decodeG2P`: greedy batches of 128, beam search 20 at a time. */
const decodeChunk = (beam: number): number => (beam <= 1 ? 128 : 20);

/** Decode entries (greedy in batches of 128, or beam search) and score them, letting the event loop turn between chunks. */
export async function evaluateG2P(g: LoadedG2P, entries: readonly G2PEntry[], beam = 1): Promise<G2PScores> {
  const outs: string[][] = [];
  for (let i = 0; i < entries.length; i += decodeChunk(beam)) {
    outs.push(...decodeG2P(g, entries.slice(i, i + decodeChunk(beam)), beam));
    await yieldToEventLoop();
  }
  return scoreG2P(outs, entries);
}

/** Teacher-forcing batches of (source, target) pairs: source ids, decoder input (<s> + target), decoder output (target + </s>). */
function pairBatch(
  pairs: readonly { s: Int32Array; t: Int32Array }[],
  idx: readonly number[],
  bos: number,
  eos: number,
): { sb: PaddedBatch; tin: PaddedBatch; tout: Int32Array } {
  const sb = padBatch(
    idx.map((i) => pairs[i].s),
    0,
  );
  const tin = padBatch(
    idx.map((i) => Int32Array.of(bos, ...pairs[i].t)),
    0,
  );
  const tout = new Int32Array(tin.T * tin.B).fill(-100); // [Tt, B]; −100 on padding
  idx.forEach((i, b) => {
    const t = pairs[i].t;
    for (let k = 0; k < t.length; k++) tout[k * tin.B + b] = t[k];
    tout[t.length * tin.B + b] = eos;
  });
  return { sb, tin, tout };
}

/** What the G2P task keeps for an exact resume (besides weights and optimizer). */
interface G2PTaskState {
  batches: EpochBatchesState;
  rng: RngState[];
  dev: G2PScores[];
}

/**
 * Grapheme-to-phoneme as a `TrainTask`: (word, pronunciation) pairs in length-bucketed
 * batches reshuffled every epoch, teacher forcing. Validation (once per epoch) is the
 * teacher-forced loss on the dev words; it also decodes them greedily and records the dev
 * WER/PER in `dev`.
 */
export class G2PTask implements TrainTask {
  readonly stepsPerEpoch: number;
  readonly model: Seq2Seq;
  dev: G2PScores[] = [];
  private readonly batches: EpochBatches;
  private readonly devPairs: { s: Int32Array; t: Int32Array }[];

  constructor(
    private readonly g: LoadedG2P,
    private readonly pairs: { s: Int32Array; t: Int32Array }[],
    private readonly devEntries: readonly G2PEntry[],
    private readonly o: { batchSize: number; seed: number; log: (m: string) => void },
  ) {
    this.model = g.model;
    this.devPairs = toPairs(g, devEntries);
    this.batches = new EpochBatches(new Rng(o.seed), (rng) =>
      bucketBatches(
        pairs.map((p) => p.s.length + p.t.length / 4),
        o.batchSize,
        rng,
      ),
    );
    this.stepsPerEpoch = this.batches.perEpoch;
  }

  get epoch(): number {
    return this.batches.epoch;
  }

  trainBatch(): { loss: number; tokens: number } {
    const { sb, tin, tout } = pairBatch(this.pairs, this.batches.next(), this.bos, this.eos);
    this.model.train();
    return this.model.trainStep(sb, tin, tout);
  }

  private get bos(): number {
    return this.g.tgt.id(BOS);
  }

  private get eos(): number {
    return this.g.tgt.id(EOS);
  }

  /** Dev loss (teacher forcing, eval mode) and dev WER/PER (greedy decoding). */
  validate(): number {
    const { model, devPairs } = this;
    model.eval();
    let sum = 0;
    let tokens = 0;
    for (const idx of bucketBatches(
      devPairs.map((p) => p.s.length),
      this.o.batchSize,
    )) {
      const { sb, tin, tout } = pairBatch(devPairs, idx, this.bos, this.eos);
      // trainStep also accumulates gradients; the Trainer zeroes them before the next batch.
      const r = model.trainStep(sb, tin, tout);
      sum += r.loss * r.tokens;
      tokens += r.tokens;
    }
    const outs: string[][] = [];
    for (let i = 0; i < this.devEntries.length; i += decodeChunk(1))
      outs.push(...decodeG2P(this.g, this.devEntries.slice(i, i + decodeChunk(1)), 1));
    const d = scoreG2P(outs, this.devEntries);
    this.dev.push(d);
    this.o.log(
      `epoch ${this.epoch + 1}: dev WER ${(100 * d.wer).toFixed(2)}% PER ${(100 * d.per).toFixed(2)}% (${d.words} words)`,
    );
    return sum / tokens;
  }

  getState(): G2PTaskState {
    return { batches: this.batches.getState(), rng: this.model.rngStates(), dev: this.dev };
  }

  setState(state: unknown): void {
    const s = state as G2PTaskState;
    this.batches.setState(s.batches);
    this.model.setRngStates(s.rng);
    this.dev = [...s.dev];
  }
}

/** Every (word, pronunciation) pair of `entries`, encoded. */
function toPairs(g: LoadedG2P, entries: readonly G2PEntry[]): { s: Int32Array; t: Int32Array }[] {
  const pairs: { s: Int32Array; t: Int32Array }[] = [];
  for (const e of entries) {
    const s = encodeWord(g.src, e.word.slice(0, G2P_MAX_WORD)).ids;
    for (const p of e.prons) pairs.push({ s, t: g.tgt.encode(p).ids });
  }
  return pairs;
}

/**
 * Train grapheme-to-phoneme conversion on the CMU dictionary (fixed hash split, see
 * `cmudictSplit`): every (word, pronunciation) pair of a training word is an example;
 * teacher forcing, Adam, global-norm clipping, the learning rate decayed linearly to 5%
 * over the second half, through the `Trainer`; WER/PER on held-out words. With `out`, a run
 * directory (see `runTraining`); its model.safetensors is the model with its vocabularies.
 */
export async function trainG2P(opts: G2PTrainOptions = {}): Promise<G2PTrainResult | FinishedRun> {
  const log = opts.log ?? (() => {});
  const w = 'seq2seq train';
  const epochs = checkNumber(w, 'epochs', opts.epochs ?? 1, { min: 1, integer: true });
  const batchSize = checkNumber(w, 'batchSize', opts.batchSize ?? 64, { min: 1, integer: true });
  const lr = checkNumber(w, 'lr', opts.lr ?? 3e-3, { min: 0 });
  const clip = checkNumber(w, 'clip', opts.clip ?? 5, { min: 0 });
  const seed = checkNumber(w, 'seed', opts.seed ?? 1, { integer: true });
  const beam = checkNumber(w, 'beam', opts.beam ?? 1, { min: 1, integer: true });
  const t0 = performance.now();
  const base = { ...DEFAULT_SEQ2SEQ_CONFIG };
  for (const k of Object.keys(base) as (keyof typeof base)[])
    if (opts[k] !== undefined) (base as Record<string, unknown>)[k] = opts[k];
  /** Data, vocabularies, model and task: built after the run directory is checked (a refusal is immediate). */
  const prepare = () => {
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
      g = { model: new Seq2Seq({ ...base, srcVocab: src.size, tgtVocab: tgt.size }, seed), src, tgt };
    }
    const pairs = toPairs(g, trainEntries);
    log(
      `data: ${trainEntries.length} training words (${pairs.length} pronunciations), ${testEntries.length} test words; ${g.src.size - 4} letters, ${g.tgt.size - 4} phones`,
    );
    const task = new G2PTask(g, pairs, devEntries, { batchSize, seed, log });
    return { g, task, testEntries, total: epochs * task.stepsPerEpoch };
  };
  const ctx: { p?: ReturnType<typeof prepare> } = {};
  const extra: Record<string, unknown> = {};
  let lossSum = 0;
  let n = 0;
  const run = await runTraining({
    out: opts.out,
    resume: opts.resume,
    overwrite: opts.overwrite,
    allowChange: opts.allowChange,
    settings: {
      // With --init-model the architecture is the saved model's (identified by its fingerprint).
      ...(opts.initModel ? {} : base),
      epochs,
      batchSize,
      lr,
      clip,
      averageLast: opts.averageLast ?? 0,
      trainSize: opts.trainSize ?? 0,
      testSize: opts.testSize ?? 0,
      beam,
      seed,
      data: opts.data ? 'given' : 'cmudict',
      initModel: opts.initModel ? fileFingerprint(resolveRunModel(opts.initModel)) : null,
    },
    log,
    onEvent: (e) => {
      if (e.type !== 'step') return;
      lossSum += e.loss;
      n++;
      if (e.step % 100 === 0) {
        const p = ctx.p!;
        log(
          `epoch ${p.task.epoch + 1} step ${e.step}/${p.total} loss ${(lossSum / n).toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
        );
        lossSum = 0;
        n = 0;
      }
    },
    build: () => {
      const p = (ctx.p = prepare());
      Object.assign(extra, { src: p.g.src.toJSON(), tgt: p.g.tgt.toJSON() });
      return {
        task: p.task,
        options: {
          optimizer: 'adam',
          lr,
          clip,
          clipMode: 'norm',
          epochs,
          schedule: secondHalfDecay(p.total, 0.05),
          averageFrom: averageFromFraction(p.total, opts.averageLast ?? 0),
          validateEvery: p.task.stepsPerEpoch,
          checkpointEvery: p.task.stepsPerEpoch,
        },
        meta: () => ({ config: { ...p.g.model.config, problem: 'g2p', task: 'seq2seq' }, extra }),
      };
    },
  });
  if (run.finished) return run;
  const { g, task, testEntries } = ctx.p!;
  const config = g.model.config;
  const testGreedy = await evaluateG2P(g, testEntries, 1);
  log(
    `test (greedy): WER ${(100 * testGreedy.wer).toFixed(2)}% PER ${(100 * testGreedy.per).toFixed(2)}% on ${testGreedy.words} words`,
  );
  const test = beam > 1 ? await evaluateG2P(g, testEntries, beam) : testGreedy;
  if (beam > 1)
    log(`test (beam ${beam}): WER ${(100 * test.wer).toFixed(2)}% PER ${(100 * test.per).toFixed(2)}%`);
  if (run.dir) {
    extra.scores = { test, testGreedy };
    run.dir.saveLatest(run.trainer.snapshot());
  }
  return {
    finished: false,
    test,
    testGreedy,
    dev: task.dev,
    steps: run.result.steps,
    seconds: (performance.now() - t0) / 1000,
    config,
  };
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
