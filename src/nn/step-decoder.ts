/**
 * Batch-1 decoding one token at a time — Embedding → recurrent stack → Linear → softmax →
 * the next token — the inner loop of text generation (char-rnn's sampler; Graves 2013 §2:
 * "iteratively sampling from the network's output distribution and feeding it back in").
 *
 * Where the backend has a fused decoding kernel (the WASM backend: `asm/sample.ts`), each
 * token is one kernel call that reads the weights in place and keeps the state in the
 * backend's memory; elsewhere (the reference backend, float64 layers, cells without a
 * kernel, bidirectional or dropout-in-training stacks) the layers' own `forward` runs, one
 * step at a time — the unfused path. Both draw the same tokens for the same random numbers:
 * the kernel repeats the layers' arithmetic and `pickToken`'s float64 sampling rule.
 *
 * ```ts
 * const dec = new StepDecoder({ embedding, rnn, head }, { tokens: 200 });
 * dec.start(state, lastLogits);            // e.g. after running a prime through the layers
 * const rng = new Rng(1);
 * for (let t = 0; t < 200; t++) ids[t] = dec.next(rng, { temperature: 0.8, topK: 0, greedy: false });
 * dec.dispose();                           // the kernel's memory goes back now
 * ```
 */
import { type DecoderSpec, type FusedDecoder, fusedDecoderKernels } from '../tensor/decoder-kernels.js';
import { type FloatArray, Tensor } from '../tensor/tensor.js';
import { KiokuError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { Embedding } from './embedding.js';
import type { Linear } from './linear.js';
import { finalState, fromState, type RecurrentBase, type RecurrentState } from './recurrent.js';

/** The layers a decoder runs: token → embedding [E] → rnn → head [V] (V = the embedding's rows). */
export interface StepDecoderParts {
  embedding: Embedding;
  rnn: RecurrentBase;
  head: Linear;
}

export interface StepDecoderOptions {
  /**
   * How many tokens the caller expects to feed (a hint). From V on, the fused kernel first
   * computes the first layer's input products for every token. Default 0.
   */
  tokens?: number;
  /** Use the backend's fused kernel where it has one (default true; false: the layers' forward). */
  fused?: boolean;
}

/** How `pickToken` draws: softmax temperature (0: greedy), top-k (0: all tokens). */
export interface SamplingRule {
  temperature: number;
  topK: number;
  greedy: boolean;
}

/** log-softmax of row `row` of [N, V] logits, in float64: l − (m + log Σ e^{l−m}), m = max l. */
export function logSoftmaxRow(logits: ArrayLike<number>, row: number, V: number): Float64Array {
  const o = row * V;
  let m = -Infinity;
  for (let v = 0; v < V; v++) m = Math.max(m, logits[o + v]);
  let z = 0;
  for (let v = 0; v < V; v++) z += Math.exp(logits[o + v] - m);
  const lz = m + Math.log(z);
  const out = new Float64Array(V);
  for (let v = 0; v < V; v++) out[v] = logits[o + v] - lz;
  return out;
}

/**
 * The next token from log-probabilities `logp` and a uniform `u` in [0, 1): greedy takes the
 * first arg max; otherwise p_v ∝ exp(log p_v / τ − max) over all tokens, or over the k most
 * probable (descending, ties by index), and the token where u·Σp, less p_v in that order,
 * first drops to ≤ 0. `asm/sample.ts` (`sampleStep`) computes the same in the kernel.
 */
export function pickToken(logp: Float64Array, u: number, rule: SamplingRule): number {
  const V = logp.length;
  let next = 0;
  if (rule.greedy) {
    for (let v = 1; v < V; v++) if (logp[v] > logp[next]) next = v;
    return next;
  }
  const { temperature, topK } = rule;
  let allowed = Array.from({ length: V }, (_, i) => i);
  if (topK > 0 && topK < V) allowed = allowed.sort((a, b) => logp[b] - logp[a]).slice(0, topK);
  let m = -Infinity;
  for (const v of allowed) m = Math.max(m, logp[v] / temperature);
  const probs = new Float64Array(V);
  let z = 0;
  for (const v of allowed) z += probs[v] = Math.exp(logp[v] / temperature - m);
  let r = u * z;
  next = allowed[allowed.length - 1];
  for (const v of allowed) {
    r -= probs[v];
    if (r <= 0) return v;
  }
  return next;
}

/** The fused kernel's description of `parts`, or null when the kernel cannot run them. */
function decoderSpec(parts: StepDecoderParts, tokens: number): DecoderSpec | null {
  const { embedding, rnn, head } = parts;
  const cell = rnn.decoderCell;
  if (cell === null || rnn.bidirectional || rnn.dtype !== 'float32') return null;
  if (rnn.training && rnn.dropout > 0) return null; // dropout between layers: the layers' path
  const V = embedding.numEmbeddings;
  if (head.outFeatures !== V || head.inFeatures !== rnn.hiddenSize) return null;
  if (embedding.embeddingDim !== rnn.inputSize) return null;
  const layers = Array.from({ length: rnn.numLayers }, (_, l) => {
    const w = rnn.directionWeights(l, 0);
    return {
      wih: w.wih.value.data,
      whh: w.whh.value.data,
      bih: w.bih.value.data,
      bhh: w.bhh.value.data,
      peep: w.peep ? w.peep.value.data : null,
    };
  });
  return {
    cell,
    hiddenSize: rnn.hiddenSize,
    vocabSize: V,
    embeddingDim: embedding.embeddingDim,
    embedding: embedding.weight.value.data,
    layers,
    headWeight: head.weight.value.data,
    headBias: head.bias ? head.bias.value.data : null,
    tokens,
  };
}

/**
 * A running batch-1 decoder over `parts` (see the module comment). Use it in evaluation
 * mode: the fused kernel applies no dropout.
 */
export class StepDecoder {
  /** Whether the backend's fused kernel runs this decoder (false: the layers' forward). */
  readonly fused: boolean;
  /** log p (temperature 1) of the token the last `next` drew. */
  lastLogProb = 0;
  private readonly V: number;
  private readonly kernel: FusedDecoder | null;
  /** Unfused path: the state and the log-probabilities of the next token. */
  private st: RecurrentState | undefined;
  private logp: Float64Array;

  constructor(
    private readonly parts: StepDecoderParts,
    opts: StepDecoderOptions = {},
  ) {
    this.V = parts.embedding.numEmbeddings;
    if (parts.head.outFeatures !== this.V)
      throw new KiokuError(
        `StepDecoder: the head must predict the ${this.V} embedded tokens, got ${parts.head.outFeatures} outputs`,
      );
    const spec = opts.fused === false ? null : decoderSpec(parts, opts.tokens ?? 0);
    this.kernel = spec === null ? null : (fusedDecoderKernels()?.fusedDecoder(spec) ?? null);
    this.fused = this.kernel !== null;
    this.logp = logSoftmaxRow(new Float64Array(this.V), 0, this.V);
  }

  /**
   * Start from `state` (zeros when absent; every slot [L, 1, H]) and the logits [V] of the
   * next token (all equal when absent).
   */
  start(state?: RecurrentState, logits?: ArrayLike<number>): this {
    const V = this.V;
    const row = logits ?? new Float32Array(V);
    if (row.length !== V) throw new KiokuError(`StepDecoder.start: expected ${V} logits, got ${row.length}`);
    const st = state ?? this.parts.rnn.zeroState(1);
    const n = this.parts.rnn.numLayers * this.parts.rnn.hiddenSize;
    if (st.h.size !== n)
      throw new KiokuError(`StepDecoder.start: the state must be [L, 1, H] (${n} values), got ${st.h.size}`);
    if (this.kernel) this.kernel.start(st.h.data, st.c ? st.c.data : null, row);
    else {
      this.st = st;
      this.logp = logSoftmaxRow(row, 0, V);
    }
    return this;
  }

  /** log p of every token as the next one (float64, a fresh array). */
  logProbs(): Float64Array {
    return this.kernel ? logSoftmaxRow(this.kernel.logits, 0, this.V) : this.logp.slice();
  }

  /** Feed `token`: the state advances one step and its logits give the next distribution. */
  feed(token: number): void {
    if (this.kernel) {
      this.kernel.feed(token);
      return;
    }
    const { embedding, rnn, head } = this.parts;
    const r = rnn.forward(embedding.forward(Int32Array.of(token), [1, 1]), fromState(this.st));
    this.st = finalState(r);
    this.logp = logSoftmaxRow(head.forward(r.output).data, 0, this.V);
  }

  /**
   * Draw the next token by `rule` (one `rng.uniform()` unless greedy) and, unless `advance`
   * is false, feed it. Its log-probability is then in `lastLogProb`.
   */
  next(rng: Rng, rule: SamplingRule, advance = true): number {
    const u = rule.greedy ? 0 : rng.uniform();
    let id: number;
    if (this.kernel) {
      id = this.kernel.sample(u, rule.temperature, rule.topK, rule.greedy, advance);
      this.lastLogProb = this.kernel.lastLogProb;
      return id;
    }
    id = pickToken(this.logp, u, rule);
    this.lastLogProb = this.logp[id];
    if (advance) this.feed(id);
    return id;
  }

  /** A copy of the state (every slot [L, 1, H]), e.g. to continue with the layers' forward. */
  state(): RecurrentState {
    const { numLayers: L, hiddenSize: H } = this.parts.rnn;
    if (!this.kernel) return this.st ?? this.parts.rnn.zeroState(1);
    const s = this.kernel.state();
    const t = (a: FloatArray): Tensor => new Tensor(a, [L, 1, H]);
    return s.c ? { h: t(s.h), c: t(s.c) } : { h: t(s.h) };
  }

  /** Give the kernel's memory back now (otherwise when the decoder is garbage-collected). */
  dispose(): void {
    this.kernel?.dispose();
  }
}
