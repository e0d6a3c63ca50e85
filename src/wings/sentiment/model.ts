import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { cellSpec, createCell } from '../../nn/cells.js';
import { Module } from '../../nn/module.js';
import { MaskedPooling, POOL_MODES, type PoolMode } from '../../nn/pooling.js';
import { countRecurrentParameters, type RecurrentBase } from '../../nn/recurrent.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng, type RngState } from '../../util/rng.js';

/** Architecture of a sentiment classifier (saved with the model). */
export interface SentimentConfig {
  /** A registered cell (`cellNames()` in nn/cells.ts): 'lstm', 'gru', 'rnn', … */
  cell: string;
  bidirectional: boolean;
  vocabSize: number;
  embedDim: number;
  hiddenSize: number;
  numLayers: number;
  pool: PoolMode;
  /** Dropout on the embeddings and on the pooled vector (training only). */
  dropout: number;
  /** Reviews are cut to this many tokens (the first ones). */
  maxLen: number;
}

export const DEFAULT_SENTIMENT_CONFIG: Omit<SentimentConfig, 'vocabSize'> = {
  cell: 'lstm',
  bidirectional: true,
  embedDim: 64,
  hiddenSize: 48,
  numLayers: 1,
  pool: 'meanmax',
  dropout: 0.3,
  maxLen: 500,
};

/** Trainable scalars of a sentiment config, without building it (embedding, RNN, pooled head). */
export function countSentimentParameters(c: SentimentConfig): number {
  const D = c.bidirectional ? 2 : 1;
  const rnn = countRecurrentParameters({
    gates: c.cell === 'lstm' ? 4 : 3,
    inputSize: c.embedDim,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    bidirectional: c.bidirectional,
  });
  const pooled = new MaskedPooling(c.pool, D).outFeatures(D * c.hiddenSize);
  return c.vocabSize * c.embedDim + rnn + pooled + 1;
}

export function validateSentimentConfig(c: SentimentConfig): SentimentConfig {
  const w = 'sentiment config';
  cellSpec(c.cell, `${w}: cell`);
  if (typeof c.bidirectional !== 'boolean') throw new KiokuError(`${w}: bidirectional must be a boolean`);
  if (!POOL_MODES.includes(c.pool))
    throw new KiokuError(`${w}: pool must be one of ${POOL_MODES.join(', ')}, got ${JSON.stringify(c.pool)}`);
  checkNumber(w, 'vocabSize', c.vocabSize, { min: 3, integer: true });
  checkNumber(w, 'embedDim', c.embedDim, { min: 1, integer: true });
  checkNumber(w, 'hiddenSize', c.hiddenSize, { min: 1, integer: true });
  checkNumber(w, 'numLayers', c.numLayers, { min: 1, max: 4, integer: true });
  checkNumber(w, 'dropout', c.dropout, { min: 0, max: 0.9 });
  checkNumber(w, 'maxLen', c.maxLen, { min: 1, integer: true });
  return c;
}

/**
 * Many-to-one sentiment classifier (the lecture's sentiment-analysis shape):
 *
 *   ids [T, B] → Embedding [T, B, E] → (Bi)LSTM/GRU [T, B, D·H] → masked pooling [B, P]
 *   → Dropout → Linear [B, 1] = logit of P(positive)
 *
 * For a bidirectional layer the recurrent output at time t is [h_f(t) ; h_b(t)] where the
 * reverse direction's state has already been put back in time order — the lecture's
 * exercise reverses `h_b` before joining it to `h_f`; `RecurrentBase` does that for us —
 * and `last` pooling joins h_f at each review's end with h_b at its start.
 *
 * ```ts
 * const m = new SentimentModel({ ...DEFAULT_SENTIMENT_CONFIG, vocabSize: vocab.size });
 * const logits = m.forward(batch);           // Float32Array [B]
 * const { loss, grad } = bceWithLogits(...); m.backward(grad);
 * ```
 */
export class SentimentModel extends Module {
  readonly config: SentimentConfig;
  readonly embedding: Embedding;
  readonly rnn: RecurrentBase;
  readonly pool: MaskedPooling;
  readonly fc: Linear;
  private readonly dropRng: Rng;
  private readonly embDrop: Dropout;
  private readonly outDrop: Dropout;
  private cache: { T: number; B: number } | null = null;

  constructor(config: SentimentConfig, seed = 0) {
    super();
    this.config = validateSentimentConfig({ ...config });
    const c = this.config;
    const D = c.bidirectional ? 2 : 1;
    this.embedding = new Embedding({
      numEmbeddings: c.vocabSize,
      embeddingDim: c.embedDim,
      paddingIdx: 0,
      seed,
    });
    const ro = {
      inputSize: c.embedDim,
      hiddenSize: c.hiddenSize,
      numLayers: c.numLayers,
      bidirectional: c.bidirectional,
      dropout: c.numLayers > 1 ? c.dropout : 0,
      seed: seed + 1,
    };
    this.rnn = createCell(c.cell, ro);
    this.pool = new MaskedPooling(c.pool, D);
    this.fc = new Linear({
      inFeatures: this.pool.outFeatures(D * c.hiddenSize),
      outFeatures: 1,
      seed: seed + 2,
    });
    const rng = (this.dropRng = new Rng(seed + 3));
    this.embDrop = new Dropout(c.dropout, rng);
    this.outDrop = new Dropout(c.dropout, rng);
  }

  /** States of every RNG the model draws from in training (dropout), for exact resume. */
  rngStates(): RngState[] {
    return [this.rnn.rng.getState(), this.dropRng.getState()];
  }

  setRngStates(states: RngState[]): void {
    if (!Array.isArray(states) || states.length !== 2)
      throw new KiokuError('SentimentModel: expected 2 RNG states in the checkpoint');
    this.rnn.rng.setState(states[0]);
    this.dropRng.setState(states[1]);
  }

  protected override children(): [string, Module][] {
    return [
      ['embedding', this.embedding],
      ['rnn', this.rnn],
      ['fc', this.fc],
    ];
  }

  /** Logits (log-odds of "positive") for a padded batch: ids [T, B] time-major, lengths [B]. */
  forward(ids: Int32Array, T: number, B: number, lengths: ArrayLike<number>): Float32Array {
    const on = this.training && this.config.dropout > 0;
    const x = this.embDrop.forward(this.embedding.forward(ids, [T, B]), on);
    const { output } = this.rnn.forward(x, { lengths });
    const pooled = this.outDrop.forward(this.pool.forward(output, lengths), on);
    const logits = this.fc.forward(pooled); // [B, 1]
    this.cache = { T, B };
    return Float32Array.from(logits.data);
  }

  /** Backpropagate ∂L/∂logits [B] through the whole model (gradients accumulate). */
  backward(dLogits: ArrayLike<number>): void {
    const c = this.cache;
    if (!c) throw new KiokuError('SentimentModel.backward: call forward first');
    const dl = Tensor.fromArray(Array.from(dLogits), [c.B, 1]);
    const dPooled = this.outDrop.backward(this.fc.backward(dl));
    const dOut = this.pool.backward(dPooled);
    const { dx } = this.rnn.backward(dOut);
    this.embedding.backward(this.embDrop.backward(dx));
  }
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
