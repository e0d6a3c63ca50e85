/**
 * Scoring a sentiment classifier: reviews → token ids with the model's own vocabulary and
 * length limit, then accuracy and mean BCE in eval mode. Training uses it for its held-out
 * curve and final test number; `kioku sentiment eval` and scripts/ship-sentiment-model.ts
 * use `testSentiment` to measure a saved model on the IMDB test reviews.
 *
 * ```ts
 * const r = testSentiment(loadSentiment('models/sentiment/model.safetensors'));
 * r.accuracy; // on all 25,000 test reviews of the fixed split
 * ```
 */
import { bucketBatches, padBatch } from '../../data/batching.js';
import { tokenize } from '../../data/text.js';
import type { Vocab } from '../../data/vocab.js';
import { bceWithLogits } from '../../nn/losses.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber } from '../../util/errors.js';
import { imdbSplit, loadImdb, type Review } from './imdb.js';
import type { SentimentModel } from './model.js';
import type { LoadedSentiment } from './predict.js';

/** Reviews as token ids (the first `maxLen` tokens each) with their labels. */
export interface EncodedReviews {
  ids: Int32Array[];
  labels: Uint8Array;
  /** Tokens read as <unk>, and all tokens kept (after the cut to `maxLen`). */
  oov: number;
  tokens: number;
}

/**
 * Tokenize and encode reviews with `vocab`, keeping each review's first `maxLen` tokens
 * (what the model reads). A review without any word becomes one `<unk>`.
 */
export function encodeReviews(reviews: readonly Review[], vocab: Vocab, maxLen: number): EncodedReviews {
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

/**
 * Accuracy and mean BCE of `model` on encoded reviews (eval mode, batches sorted by length,
 * so little padding). `progress` hears the number of reviews scored after every batch.
 */
export function evaluateSentiment(
  model: SentimentModel,
  ids: Int32Array[],
  labels: ArrayLike<number>,
  batchSize = 64,
  progress?: (reviewsDone: number) => void,
): { accuracy: number; loss: number } {
  const was = model.training;
  model.eval();
  let correct = 0;
  let lossSum = 0;
  let done = 0;
  for (const idx of bucketBatches(
    ids.map((s) => s.length),
    batchSize,
  )) {
    const b = padBatch(
      idx.map((i) => ids[i]),
      0,
      idx,
    );
    const logits = model.forward(b.ids, b.T, b.B, b.lengths); // [B] logits of P(positive)
    const y = idx.map((i) => labels[i]);
    const { loss } = bceWithLogits(new Tensor(logits, [b.B]), y);
    lossSum += loss * b.B;
    for (let j = 0; j < b.B; j++) if ((logits[j] > 0 ? 1 : 0) === y[j]) correct++;
    done += b.B;
    progress?.(done);
  }
  model.train(was);
  return { accuracy: correct / ids.length, loss: lossSum / ids.length };
}

export interface SentimentTestOptions {
  /** A balanced prefix of the 25,000 test reviews of the fixed split (default: all). */
  testSize?: number;
  /** Test reviews to use instead of the IMDB test half (tests). */
  reviews?: readonly Review[];
  batchSize?: number;
  /** Reviews scored so far, of `total`, after every batch. */
  progress?: (done: number, total: number) => void;
}

export interface SentimentTestResult {
  /** Share of test reviews classified right (P(positive) > 0.5 ⇔ positive). */
  accuracy: number;
  /** Mean binary cross-entropy, nats per review. */
  loss: number;
  /** Test reviews scored. */
  count: number;
  /** Share of the kept test tokens that are unknown to the model's vocabulary. */
  oovRate: number;
  /** The accuracy recorded in the model file when it was made, if any (for comparison). */
  storedAccuracy?: number;
}

/**
 * Measure a trained classifier on the IMDB test reviews of the fixed split (`imdbSplit`;
 * the training reviews are never read), with the model's own vocabulary and `maxLen`: what
 * `kioku sentiment train` reports at the end, for any saved model — e.g. a shipped one
 * whose weights were rounded to float16.
 */
export function testSentiment(loaded: LoadedSentiment, opts: SentimentTestOptions = {}): SentimentTestResult {
  const testSize = checkNumber('sentiment eval', 'testSize', opts.testSize ?? 25000, {
    min: 2,
    max: 25000,
    integer: true,
  });
  const reviews = opts.reviews ?? imdbSplit(loadImdb(), { trainSize: 2, testSize }).test;
  const { model, vocab } = loaded;
  const enc = encodeReviews(reviews, vocab, model.config.maxLen);
  const total = enc.ids.length;
  const ev = evaluateSentiment(model, enc.ids, enc.labels, opts.batchSize ?? 64, (done) =>
    opts.progress?.(done, total),
  );
  return {
    accuracy: ev.accuracy,
    loss: ev.loss,
    count: total,
    oovRate: enc.oov / enc.tokens,
    ...(loaded.testAccuracy !== undefined ? { storedAccuracy: loaded.testAccuracy } : {}),
  };
}
