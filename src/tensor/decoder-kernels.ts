/**
 * A fused decoding step a backend may offer beyond `Backend` (the WASM backend does:
 * `asm/sample.ts`): batch-1 generation with one kernel call per token — embedding row →
 * stacked cells → output layer → softmax → the next token — instead of the ~10 calls per
 * layer of the layers' `forward`. The description is plain arrays (no layer classes), so
 * this stays in the tensor layer; `src/nn/step-decoder.ts` builds it from the layers and
 * falls back to their `forward` where no backend kernel takes it:
 *
 * ```ts
 * const fd = fusedDecoderKernels()?.fusedDecoder(spec) ?? null; // null: use the layers
 * fd?.start(h, c, logits);
 * const id = fd?.sample(rng.uniform(), 1, 0, false, true);
 * fd?.dispose();
 * ```
 */
import { type Backend } from './backend.js';
import { getBackend } from './current-backend.js';
import type { FloatArray } from './tensor.js';

/** The cells a fused decoder runs (the step kernels of `Backend`: LSTM, GRU, Elman tanh/ReLU). */
export type DecoderCell = 'rnn-tanh' | 'rnn-relu' | 'lstm' | 'gru';

/** One layer's weights in PyTorch's layout (G gate blocks: LSTM 4, GRU 3, Elman 1). */
export interface DecoderLayerWeights {
  wih: FloatArray; // [G·H, I]
  whh: FloatArray; // [G·H, H]
  bih: FloatArray; // [G·H]
  bhh: FloatArray; // [G·H]
  /** LSTM peepholes (p_i, p_f, p_o) [3H], or null. */
  peep: FloatArray | null;
}

/** Embedding [V, E] → layers (one direction) → Linear [V, H] + bias. */
export interface DecoderSpec {
  cell: DecoderCell;
  hiddenSize: number;
  vocabSize: number;
  embeddingDim: number;
  embedding: FloatArray; // [V, E]
  layers: DecoderLayerWeights[];
  headWeight: FloatArray; // [V, H]
  headBias: FloatArray | null; // [V]
  /**
   * How many tokens the caller expects to feed. From V on, the first layer's x·W_ihᵀ is
   * computed for every token up front (V matrix-vector products, then a row copy per step).
   */
  tokens: number;
}

/** A running batch-1 decoder: its state and the logits of the next token live in the backend. */
export interface FusedDecoder {
  /** Start from a state — h and (LSTM) c, each [L, H] — and the logits [V] of the next token. */
  start(h: FloatArray, c: FloatArray | null, logits: ArrayLike<number>): void;
  /** The logits [V] the next token is drawn from (a live view; read it before the next call). */
  readonly logits: Float32Array;
  /** Advance every layer by `token` (its logits replace the current ones). */
  feed(token: number): void;
  /**
   * Draw the next token from the current logits with the uniform `u` (as `pickToken` in
   * src/nn/step-decoder.ts does), and feed it when `advance`. Returns the token;
   * `lastLogProb` is then its log-probability (temperature 1).
   */
  sample(u: number, temperature: number, topK: number, greedy: boolean, advance: boolean): number;
  readonly lastLogProb: number;
  /** A copy of the state: h and (LSTM) c, each [L, H]. */
  state(): { h: Float32Array; c: Float32Array | null };
  /** Give the backend memory back (a disposed decoder must not be used again). */
  dispose(): void;
}

export interface FusedDecoderKernels {
  /** A decoder for `spec`, or null when this backend cannot run it (e.g. float64 weights). */
  fusedDecoder(spec: DecoderSpec): FusedDecoder | null;
}

function hasFusedDecoder(be: Backend): be is Backend & FusedDecoderKernels {
  return 'fusedDecoder' in be && typeof Reflect.get(be, 'fusedDecoder') === 'function';
}

/** The active backend's fused decoder kernel, or null when it has none (the reference backend). */
export function fusedDecoderKernels(): FusedDecoderKernels | null {
  const be = getBackend();
  return hasFusedDecoder(be) ? be : null;
}
