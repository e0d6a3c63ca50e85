/**
 * A trained sentiment classifier from its model file's bytes, and its predictions: no file
 * system, so the page (the lab's sentiment view) and `kioku sentiment predict` (Node, via
 * `loadSentiment`, which reads the file first) run exactly the same code.
 *
 * ```ts
 * const loaded = sentimentFromBytes(new Uint8Array(await res.arrayBuffer()), 'models/sentiment/model.safetensors');
 * predictSentiment(loaded, 'Not bad at all!', { trace: true }).trace; // P(positive) after each token
 * ```
 */
import { checkDeclaredSize } from '../../io/safetensors.js';
import { tokenize } from '../../data/text.js';
import { Vocab } from '../../data/vocab.js';
import type { Tensor } from '../../tensor/tensor.js';
import { inContext, KiokuError } from '../../util/errors.js';
import { decodeTaskModel } from '../task-codec.js';
import {
  countSentimentParameters,
  type SentimentConfig,
  SentimentModel,
  sigmoid,
  validateSentimentConfig,
} from './model.js';

/** A trained classifier with its vocabulary. */
export interface LoadedSentiment {
  model: SentimentModel;
  vocab: Vocab;
  /** Accuracy on the test reviews, as `kioku sentiment train` stored it in the file. */
  testAccuracy?: number;
}

/**
 * Build the classifier a task model file describes (its config without `task`, weights and
 * vocabulary), refusing weights that do not match the config (checked before allocating) and
 * a vocabulary of the wrong size; `name` is quoted in every error.
 */
export function sentimentFromTaskModel(
  fileConfig: Record<string, unknown>,
  weights: Record<string, Tensor>,
  extra: Record<string, unknown>,
  name: string,
): LoadedSentiment {
  const { task: _task, ...rest } = fileConfig;
  const config = inContext(name, () => validateSentimentConfig(rest as unknown as SentimentConfig));
  // Before allocating anything: the config must describe exactly the stored weights.
  checkDeclaredSize(name, weights, () => countSentimentParameters(config), { numLayers: config.numLayers });
  const model = new SentimentModel(config);
  inContext(name, () => model.loadStateDict(weights));
  model.eval();
  const vocab = inContext(name, () => Vocab.fromJSON(extra.vocab));
  if (vocab.size !== model.config.vocabSize)
    throw new KiokuError(
      `${name}: vocabulary has ${vocab.size} entries but the model expects ${model.config.vocabSize}`,
    );
  const acc = extra.testAccuracy;
  return { model, vocab, ...(typeof acc === 'number' ? { testAccuracy: acc } : {}) };
}

/** Decode a sentiment model file's bytes (F32 or F16 weights); `name` is quoted in every error. */
export function sentimentFromBytes(bytes: Uint8Array, name: string): LoadedSentiment {
  const f = decodeTaskModel<Record<string, unknown>>(bytes, name, 'sentiment');
  return sentimentFromTaskModel(f.config, f.model, f.extra, name);
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
