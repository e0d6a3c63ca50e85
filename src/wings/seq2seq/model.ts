import { Attention, ATTENTION_KINDS, type AttentionKind } from '../../nn/attention.js';
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { softmaxCrossEntropy } from '../../nn/losses.js';
import { cellSpec, createCell } from '../../nn/cells.js';
import { Module } from '../../nn/module.js';
import {
  countRecurrentParameters,
  finalState,
  fromState,
  type RecurrentBase,
  type RecurrentState,
} from '../../nn/recurrent.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng, type RngState } from '../../util/rng.js';

/** Architecture of an encoder–decoder with attention (saved with the model). */
export interface Seq2SeqConfig {
  /** A registered cell (`cellNames()` in nn/cells.ts): 'lstm', 'gru', 'rnn', … */
  cell: string;
  srcVocab: number;
  tgtVocab: number;
  embedDim: number;
  /** Encoder hidden size per direction; the decoder's is D·encoderHidden. */
  encoderHidden: number;
  bidirectional: boolean;
  encoderLayers: number;
  attention: AttentionKind;
  /** Dropout on embeddings and on the attentional vector h̃ (training only). */
  dropout: number;
}

export const DEFAULT_SEQ2SEQ_CONFIG: Omit<Seq2SeqConfig, 'srcVocab' | 'tgtVocab'> = {
  cell: 'lstm',
  embedDim: 64,
  encoderHidden: 128,
  bidirectional: true,
  encoderLayers: 1,
  attention: 'dot',
  dropout: 0.1,
};

/**
 * Trainable scalars of a seq2seq config, without building it: two embeddings, the
 * encoder, a one-layer decoder of width K = D·encoderHidden, the attention score
 * (dot 0, general K², additive 2K² + 2K), combine 2K·K + K and the output K·V_tgt + V_tgt.
 */
export function countSeq2SeqParameters(c: Seq2SeqConfig): number {
  const D = c.bidirectional ? 2 : 1;
  const K = D * c.encoderHidden;
  const gates = cellSpec(c.cell).gates;
  const encoder = countRecurrentParameters({
    gates,
    inputSize: c.embedDim,
    hiddenSize: c.encoderHidden,
    numLayers: c.encoderLayers,
    bidirectional: c.bidirectional,
  });
  const decoder = countRecurrentParameters({ gates, inputSize: c.embedDim, hiddenSize: K, numLayers: 1 });
  const attention = c.attention === 'dot' ? 0 : c.attention === 'general' ? K * K : 2 * K * K + 2 * K;
  return (
    (c.srcVocab + c.tgtVocab) * c.embedDim +
    encoder +
    decoder +
    attention +
    (2 * K * K + K) +
    (K * c.tgtVocab + c.tgtVocab)
  );
}

export function validateSeq2SeqConfig(c: Seq2SeqConfig): Seq2SeqConfig {
  const w = 'seq2seq config';
  cellSpec(c.cell, `${w}: cell`);
  if (!ATTENTION_KINDS.includes(c.attention))
    throw new KiokuError(
      `${w}: attention must be one of ${ATTENTION_KINDS.join(', ')}, got ${JSON.stringify(c.attention)}`,
    );
  if (typeof c.bidirectional !== 'boolean') throw new KiokuError(`${w}: bidirectional must be a boolean`);
  for (const k of ['srcVocab', 'tgtVocab', 'embedDim', 'encoderHidden', 'encoderLayers'] as const)
    checkNumber(w, k, c[k], { min: 1, integer: true });
  checkNumber(w, 'dropout', c.dropout, { min: 0, max: 0.9 });
  return c;
}

/** Decoder state between steps: [1, B, Hd] per slot (c only for cells with a cell state). */
export type DecoderState = RecurrentState;

/** What the encoder gives the decoder. */
export interface Encoded {
  /** [Ts, B, K] encoder outputs (K = D·encoderHidden): the attention memory. */
  memory: Tensor;
  lengths: Int32Array;
  state: DecoderState;
}

export interface StepResult {
  /** [B, V] log-probabilities of the next token. */
  logProbs: Float64Array;
  state: DecoderState;
  /** [B, Ts] attention weights used for this step. */
  weights: Float32Array | Float64Array;
}

/**
 * Encoder–decoder with global attention (Luong et al. 2015, §3.1 without input feeding;
 * the additive score is Bahdanau et al. 2015's):
 *
 *   encoder:  x [Ts, B] → Embedding → (Bi)LSTM/GRU → memory m [Ts, B, K]
 *   init:     s_0 = [h_f(end) ; h_b(start)]  (both directions' final states joined, so the
 *             decoder's hidden size is K = D·H; the reverse half is already time-aligned —
 *             the lecture's "reverse h_b, then concatenate")
 *   decoder:  y_{t−1} → Embedding → LSTM/GRU → s_t [Tt, B, K]
 *   attention: α_t = softmax(score(s_t, m)), c_t = Σ α_ts m_s
 *   output:   h̃_t = tanh(W_c [c_t ; s_t] + b_c),  p(y_t) = softmax(W_o h̃_t + b_o)
 *
 * Training uses teacher forcing: the decoder reads the reference y_{t−1}, so the whole
 * target runs as one sequence and one backward pass (BPTT through decoder and encoder).
 */
export class Seq2Seq extends Module {
  readonly config: Seq2SeqConfig;
  readonly srcEmb: Embedding;
  readonly encoder: RecurrentBase;
  readonly tgtEmb: Embedding;
  readonly decoder: RecurrentBase;
  readonly attention: Attention;
  readonly combine: Linear;
  readonly out: Linear;
  private readonly dropRng: Rng;
  private readonly drops: Dropout[];

  constructor(config: Seq2SeqConfig, seed = 0) {
    super();
    this.config = validateSeq2SeqConfig({ ...config });
    const c = this.config;
    const D = c.bidirectional ? 2 : 1;
    const K = D * c.encoderHidden;
    this.srcEmb = new Embedding({ numEmbeddings: c.srcVocab, embeddingDim: c.embedDim, paddingIdx: 0, seed });
    this.encoder = createCell(c.cell, {
      inputSize: c.embedDim,
      hiddenSize: c.encoderHidden,
      numLayers: c.encoderLayers,
      bidirectional: c.bidirectional,
      dropout: c.encoderLayers > 1 ? c.dropout : 0,
      seed: seed + 1,
    });
    this.tgtEmb = new Embedding({
      numEmbeddings: c.tgtVocab,
      embeddingDim: c.embedDim,
      paddingIdx: 0,
      seed: seed + 2,
    });
    this.decoder = createCell(c.cell, { inputSize: c.embedDim, hiddenSize: K, seed: seed + 3 });
    this.attention = new Attention({ kind: c.attention, queryDim: K, keyDim: K, seed: seed + 4 });
    this.combine = new Linear({ inFeatures: 2 * K, outFeatures: K, seed: seed + 5 });
    this.out = new Linear({ inFeatures: K, outFeatures: c.tgtVocab, seed: seed + 6 });
    const rng = (this.dropRng = new Rng(seed + 7));
    this.drops = [new Dropout(c.dropout, rng), new Dropout(c.dropout, rng), new Dropout(c.dropout, rng)];
  }

  /** States of every RNG the model draws from in training (dropout), for exact resume. */
  rngStates(): RngState[] {
    return [this.encoder.rng.getState(), this.dropRng.getState()];
  }

  setRngStates(states: RngState[]): void {
    if (!Array.isArray(states) || states.length !== 2)
      throw new KiokuError('Seq2Seq: expected 2 RNG states in the checkpoint');
    this.encoder.rng.setState(states[0]);
    this.dropRng.setState(states[1]);
  }

  protected override children(): [string, Module][] {
    return [
      ['src_embedding', this.srcEmb],
      ['encoder', this.encoder],
      ['tgt_embedding', this.tgtEmb],
      ['decoder', this.decoder],
      ['attention', this.attention],
      ['combine', this.combine],
      ['out', this.out],
    ];
  }

  get memoryDim(): number {
    return (this.config.bidirectional ? 2 : 1) * this.config.encoderHidden;
  }

  private get dropOn(): boolean {
    return this.training && this.config.dropout > 0;
  }

  /** Join the last layer's final states of both directions: [L·D, B, H] → [1, B, D·H]. */
  private joinFinal(s: Tensor): Tensor {
    const c = this.config;
    const D = c.bidirectional ? 2 : 1;
    const H = c.encoderHidden;
    const B = s.shape[1];
    const out = new Tensor(
      s.data.constructor === Float64Array ? new Float64Array(B * D * H) : new Float32Array(B * D * H),
      [1, B, D * H],
    );
    for (let d = 0; d < D; d++) {
      const blk = ((c.encoderLayers - 1) * D + d) * B * H;
      for (let b = 0; b < B; b++)
        for (let j = 0; j < H; j++) out.data[b * D * H + d * H + j] = s.data[blk + b * H + j];
    }
    return out;
  }

  /** Inverse of `joinFinal` for gradients: [1, B, D·H] → [L·D, B, H] (zeros for lower layers). */
  private splitFinal(g: Tensor): Tensor {
    const c = this.config;
    const D = c.bidirectional ? 2 : 1;
    const H = c.encoderHidden;
    const B = g.shape[1];
    const out = Tensor.zeros([c.encoderLayers * D, B, H], g.dtype);
    for (let d = 0; d < D; d++) {
      const blk = ((c.encoderLayers - 1) * D + d) * B * H;
      for (let b = 0; b < B; b++)
        for (let j = 0; j < H; j++) out.data[blk + b * H + j] = g.data[b * D * H + d * H + j];
    }
    return out;
  }

  /** Run the encoder over source ids [Ts, B] (time-major, padded). */
  encode(srcIds: Int32Array, Ts: number, B: number, lengths: ArrayLike<number>): Encoded {
    const x = this.drops[0].forward(this.srcEmb.forward(srcIds, [Ts, B]), this.dropOn);
    const r = this.encoder.forward(x, { lengths });
    const state: DecoderState = { h: this.joinFinal(r.hN) };
    if (r.cN) state.c = this.joinFinal(r.cN);
    return { memory: r.output, lengths: Int32Array.from(lengths), state };
  }

  /** h̃ = tanh(W_c [c ; s] + b) for rows of context and decoder output. */
  private attentional(ctx: Tensor, s: Tensor): Tensor {
    const [T, B, K] = s.shape;
    const cat = Tensor.zeros([T, B, 2 * K], s.dtype);
    for (let r = 0; r < T * B; r++) {
      cat.data.set(ctx.data.subarray(r * K, (r + 1) * K), r * 2 * K);
      cat.data.set(s.data.subarray(r * K, (r + 1) * K), r * 2 * K + K);
    }
    const z = this.combine.forward(cat);
    for (let i = 0; i < z.size; i++) z.data[i] = Math.tanh(z.data[i]);
    return z;
  }

  /**
   * Teacher-forced loss on a batch and its full backward pass (gradients accumulate).
   * `tgtIn` [Tt, B] starts with <s>; `tgtOut` [Tt·B] is the same shifted left with </s>
   * at the end and `ignoreIndex` (−100) on padding. Returns the mean token loss.
   */
  trainStep(
    src: { ids: Int32Array; T: number; B: number; lengths: Int32Array },
    tgtIn: { ids: Int32Array; T: number; lengths: Int32Array },
    tgtOut: Int32Array,
  ): { loss: number; tokens: number } {
    const { T: Ts, B } = src;
    const Tt = tgtIn.T;
    const K = this.memoryDim;
    const enc = this.encode(src.ids, Ts, B, src.lengths);
    const y = this.drops[1].forward(this.tgtEmb.forward(tgtIn.ids, [Tt, B]), this.dropOn);
    const dec = this.decoder.forward(y, { ...fromState(enc.state), lengths: tgtIn.lengths });
    const att = this.attention.forward(dec.output, enc.memory, enc.lengths);
    const ht = this.attentional(att.context, dec.output);
    const htD = this.drops[2].forward(ht, this.dropOn);
    const logits = this.out.forward(htD);
    const { loss, grad, count } = softmaxCrossEntropy(
      logits.reshape([Tt * B, this.config.tgtVocab]),
      tgtOut,
      { ignoreIndex: -100 },
    );
    // Backward, in reverse order.
    const dHt = this.drops[2].backward(this.out.backward(grad.reshape([Tt, B, this.config.tgtVocab])));
    for (let i = 0; i < dHt.size; i++) dHt.data[i] *= 1 - ht.data[i] * ht.data[i]; // tanh' = 1 − h̃²
    const dCat = this.combine.backward(dHt);
    const dCtx = Tensor.zeros([Tt, B, K], dCat.dtype);
    const dS = Tensor.zeros([Tt, B, K], dCat.dtype);
    for (let r = 0; r < Tt * B; r++) {
      dCtx.data.set(dCat.data.subarray(r * 2 * K, r * 2 * K + K), r * K);
      dS.data.set(dCat.data.subarray(r * 2 * K + K, (r + 1) * 2 * K), r * K);
    }
    const { dQuery, dKeys } = this.attention.backward(dCtx);
    for (let i = 0; i < dS.size; i++) dS.data[i] += dQuery.data[i];
    const dDec = this.decoder.backward(dS);
    this.tgtEmb.backward(this.drops[1].backward(dDec.dx));
    const dEnc = this.encoder.backward(dKeys, {
      dhN: this.splitFinal(dDec.dh0),
      ...(dDec.dc0 ? { dcN: this.splitFinal(dDec.dc0) } : {}),
    });
    this.srcEmb.backward(this.drops[0].backward(dEnc.dx));
    return { loss, tokens: count };
  }

  /**
   * One decoding step for B rows: previous tokens [B], state, memory [Ts, B, K].
   * Returns log p(next token) [B, V], the new state and the attention weights [B, Ts].
   */
  step(prev: Int32Array, state: DecoderState, memory: Tensor, lengths: Int32Array): StepResult {
    const B = prev.length;
    const V = this.config.tgtVocab;
    const y = this.tgtEmb.forward(prev, [1, B]);
    const dec = this.decoder.forward(y, fromState(state));
    const att = this.attention.forward(dec.output, memory, lengths);
    const logits = this.out.forward(this.attentional(att.context, dec.output)).data;
    const logProbs = new Float64Array(B * V);
    for (let b = 0; b < B; b++) {
      let m = -Infinity;
      for (let v = 0; v < V; v++) m = Math.max(m, logits[b * V + v]);
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(logits[b * V + v] - m);
      const lz = m + Math.log(z);
      for (let v = 0; v < V; v++) logProbs[b * V + v] = logits[b * V + v] - lz;
    }
    return { logProbs, state: finalState(dec), weights: att.weights.data };
  }
}
