/**
 * The character language model: Embedding → stacked RNN / LSTM / GRU (dropout between
 * layers) → dropout → Linear → softmax over the vocabulary. Trained with truncated BPTT,
 * the hidden state carried across chunks (see `train/charlm-task.ts`).
 *
 * | tensor | shape |
 * |---|---|
 * | ids | [T, B] (Int32Array of T·B) |
 * | embedded | [T, B, E] |
 * | rnn output | [T, B, H] |
 * | logits | [T, B, V] |
 *
 * ```ts
 * const lm = new CharLM({ vocabSize: vocab.size, cell: 'lstm', hidden: 128, layers: 2 });
 * const { logits, state } = lm.forward(ids, T, B);       // state carries to the next chunk
 * lm.backward(softmaxCrossEntropy(logits, targets).grad);
 * ```
 */
import { cellDefaults, cellSpec, createCell } from '../../nn/cells.js';
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import {
  countRecurrentParameters,
  finalState,
  fromState,
  type RecurrentBase,
  type RecurrentState,
} from '../../nn/recurrent.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng, type RngState } from '../../util/rng.js';

export interface CharLMConfig {
  vocabSize: number;
  /** A registered cell (`cellNames()` in nn/cells.ts): 'lstm', 'gru', 'rnn', … */
  cell: string;
  hidden: number;
  layers: number;
  /** Embedding width. */
  embed: number;
  /** Dropout between layers and before the output layer (Zaremba et al. 2014). */
  dropout: number;
  seed: number;
}

export type { RecurrentState };

/**
 * The number of trainable scalars a config describes, without building the model:
 * embedding V·E, the recurrent stack (`countRecurrentParameters`), head H·V + V. Loaders
 * compare it with the file.
 */
export function countCharLMParameters(c: CharLMConfig): number {
  const gates = cellSpec(c.cell).gates;
  const rnn = countRecurrentParameters({
    gates,
    inputSize: c.embed,
    hiddenSize: c.hidden,
    numLayers: c.layers,
  });
  return c.vocabSize * c.embed + rnn + c.hidden * c.vocabSize + c.vocabSize;
}

export class CharLM extends Module {
  readonly config: CharLMConfig;
  readonly embedding: Embedding;
  readonly rnn: RecurrentBase;
  readonly head: Linear;
  private readonly drop: Dropout;
  private readonly dropRng: Rng;
  private cache: { T: number; B: number } | null = null;

  constructor(config: CharLMConfig) {
    super();
    const where = 'CharLM';
    checkNumber(where, 'vocabSize', config.vocabSize, { min: 1, integer: true });
    checkNumber(where, 'hidden', config.hidden, { min: 1, integer: true });
    checkNumber(where, 'layers', config.layers, { min: 1, integer: true });
    checkNumber(where, 'embed', config.embed, { min: 1, integer: true });
    checkNumber(where, 'dropout', config.dropout, { min: 0, max: 0.95 });
    this.config = { ...config };
    const seed = config.seed ?? 0;
    this.embedding = new Embedding({
      numEmbeddings: config.vocabSize,
      embeddingDim: config.embed,
      seed: seed + 1,
    });
    cellSpec(config.cell, `${where}: cell`);
    // The cell's defaults: the LSTM's forget-gate bias 1 (char-rnn; Jozefowicz et al. 2015).
    this.rnn = createCell(config.cell, {
      ...cellDefaults(config.cell),
      inputSize: config.embed,
      hiddenSize: config.hidden,
      numLayers: config.layers,
      dropout: config.dropout,
      seed: seed + 2,
    });
    this.head = new Linear({ inFeatures: config.hidden, outFeatures: config.vocabSize, seed: seed + 3 });
    this.dropRng = new Rng(seed + 4);
    this.drop = new Dropout(config.dropout, this.dropRng);
  }

  protected override children(): [string, Module][] {
    return [
      ['embedding', this.embedding],
      ['rnn', this.rnn],
      ['head', this.head],
    ];
  }

  /** Zero state for a batch of B. */
  initialState(B: number): RecurrentState {
    return this.rnn.zeroState(B); // every slot [layers, B, H]
  }

  /** ids [T, B] → logits [T, B, V] and the final state (pass it as `state` for the next chunk). */
  forward(
    ids: Int32Array,
    T: number,
    B: number,
    state?: RecurrentState,
  ): { logits: Tensor; state: RecurrentState } {
    const x = this.embedding.forward(ids, [T, B]); // [T, B, E]
    const r = this.rnn.forward(x, fromState(state));
    const y = this.drop.forward(r.output, this.training); // [T, B, H]
    const logits = this.head.forward(y); // [T, B, V]
    this.cache = { T, B };
    return { logits, state: finalState(r) };
  }

  /** Backward from ∂L/∂logits; parameter gradients accumulate. The carried state is detached. */
  backward(dlogits: Tensor): void {
    if (!this.cache) throw new KiokuError('CharLM.backward: call forward first');
    const dy = this.head.backward(dlogits);
    const dOut = this.drop.backward(dy);
    const { dx } = this.rnn.backward(dOut);
    this.embedding.backward(dx);
  }

  /** States of every RNG the model draws from in training (dropout), for exact resume. */
  rngStates(): RngState[] {
    return [this.rnn.rng.getState(), this.dropRng.getState()];
  }

  setRngStates(states: RngState[]): void {
    if (!Array.isArray(states) || states.length !== 2)
      throw new KiokuError('CharLM: expected 2 RNG states in the checkpoint');
    this.rnn.rng.setState(states[0]);
    this.dropRng.setState(states[1]);
  }
}
