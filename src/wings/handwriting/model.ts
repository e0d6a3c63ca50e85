/**
 * The handwriting prediction network of Graves (2013) §4, Fig. 1: stacked recurrent layers
 * with skip connections — the input reaches every layer, every layer reaches the output —
 * and a mixture density output (`mdn.ts`):
 *
 *   h¹_t = H(x_t, h¹_{t−1})
 *   hⁿ_t = H([x_t, hⁿ⁻¹_t], hⁿ_{t−1})               n = 2..N   (eq. 2, the skip from x)
 *   ŷ_t  = b_y + Σ_n W_{hⁿy} hⁿ_t                    (eq. 3, the skips to the output)
 *
 * H is an RNN, LSTM (optionally with peepholes, eqs. 7-11, as in the paper) or GRU cell.
 * Each level is its own single-layer module, because the fused multi-layer modules feed
 * layer n only with layer n−1. The output sum of eq. 3 is one `Linear` over the
 * concatenation [h¹, ..., hᴺ].
 *
 * | tensor | shape |
 * |---|---|
 * | x (offsets, normalised) | [T, B, 3] |
 * | layer n input | [T, B, 3 + H] (n > 1, skip) |
 * | concatenated hidden | [T, B, N·H] |
 * | ŷ | [T, B, 1 + 6M] (121 for M = 20) |
 *
 * Parameter names follow PyTorch: `layers.0.weight_ih_l0`, ..., `output.weight`.
 *
 * ```ts
 * const model = new HandwritingModel({ cell: 'lstm', hiddenSize: 64, numLayers: 2 });
 * const { yhat, state } = model.forward(x, { lengths });      // x [T, B, 3]
 * model.backward(dYhat, { clipLayer: 10 });                   // grads in model.parameters()
 * ```
 */
import { cellDefaults, cellSpec, createCell, recurrentParameterCount } from '../../nn/cells.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { finalState, fromState, type RecurrentBase, type RecurrentState } from '../../nn/recurrent.js';
import { allocFloat, type DType, expectShape, Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { mdnOutputSize } from './mdn.js';

/** The architecture; stored with every saved model. */
export interface HandwritingModelConfig {
  /** A registered cell (`cellNames()` in nn/cells.ts): 'rnn', 'lstm', 'gru', … */
  cell: string;
  hiddenSize: number;
  numLayers: number;
  /** Mixture components M (default 20: 121 outputs). */
  mixtures?: number;
  /** Skip connections input→every layer and every layer→output (default true, as in the paper). */
  skip?: boolean;
  /** LSTM only: peephole connections (default false). */
  peephole?: boolean;
  /** Input width (default 3: Δx, Δy, eos). */
  inputSize?: number;
  /** Seed of the initialisation (default 0). */
  seed?: number;
  dtype?: DType;
}

/** The recurrent state between calls (truncated BPTT, sampling): one per level, [1, B, H] per slot. */
export type HandwritingState = RecurrentState[];

export interface HandwritingForwardResult {
  yhat: Tensor; // [T, B, 1 + 6M]
  state: HandwritingState;
  /** Each layer's outputs [T, B, H] (for hidden-state inspection). */
  hidden: Tensor[];
}

/** Validate a config and fill in the defaults. */
export function normalizeModelConfig(c: HandwritingModelConfig): Required<HandwritingModelConfig> {
  const where = 'HandwritingModel';
  if (c === null || typeof c !== 'object') throw new KiokuError(`${where}: config object required`);
  const spec = cellSpec(c.cell, `${where}: cell`);
  const peephole = c.peephole ?? false;
  if (peephole && !spec.extras.includes('peephole'))
    throw new KiokuError(`${where}: peephole is only for the lstm cell, got cell ${c.cell}`);
  return {
    cell: c.cell,
    hiddenSize: checkNumber(where, 'hiddenSize', c.hiddenSize, { min: 1, integer: true }),
    numLayers: checkNumber(where, 'numLayers', c.numLayers, { min: 1, integer: true }),
    mixtures: checkNumber(where, 'mixtures', c.mixtures ?? 20, { min: 1, integer: true }),
    skip: c.skip ?? true,
    peephole,
    inputSize: checkNumber(where, 'inputSize', c.inputSize ?? 3, { min: 1, integer: true }),
    seed: checkNumber(where, 'seed', c.seed ?? 0, { integer: true }),
    dtype: c.dtype ?? 'float32',
  };
}

/** Trainable scalars of a configuration (without building it). */
export function countParameters(config: HandwritingModelConfig): number {
  const c = normalizeModelConfig(config);
  const H = c.hiddenSize;
  let n = 0;
  for (let k = 0; k < c.numLayers; k++) {
    const inputSize = k === 0 ? c.inputSize : c.skip ? c.inputSize + H : H;
    n += recurrentParameterCount(c.cell, { inputSize, hiddenSize: H, peephole: c.peephole });
  }
  const K = mdnOutputSize(c.mixtures);
  n += K * (c.skip ? c.numLayers * H : H) + K;
  return n;
}

/**
 * The hidden size that brings a cell's parameter count closest to `budget` (for comparing
 * RNN, LSTM and GRU at equal size).
 *
 * ```ts
 * hiddenSizeForBudget({ cell: 'gru', numLayers: 2 }, countParameters({ cell: 'lstm', hiddenSize: 64, numLayers: 2 }));
 * ```
 */
export function hiddenSizeForBudget(
  config: Omit<HandwritingModelConfig, 'hiddenSize'>,
  budget: number,
): number {
  let best = 1;
  let bestDiff = Infinity;
  for (let H = 1; H <= 4096; H++) {
    const d = Math.abs(countParameters({ ...config, hiddenSize: H }) - budget);
    if (d < bestDiff) {
      best = H;
      bestDiff = d;
    }
  }
  return best;
}

/**
 * One level, with the cell's defaults: LSTM forget gates start with bias 1 (Gers et al.
 * 2000), so the cells remember from the start.
 */
function makeLevel(c: Required<HandwritingModelConfig>, inputSize: number, seed: number): RecurrentBase {
  const base = { ...cellDefaults(c.cell), inputSize, hiddenSize: c.hiddenSize, dtype: c.dtype, seed };
  return createCell(c.cell, c.peephole ? { ...base, peephole: true } : base);
}

/** Concatenate [T, B, a], [T, B, b], ... along the last axis. */
export function concatLast(ts: readonly Tensor[]): Tensor {
  const [T, B] = ts[0].shape;
  const widths = ts.map((t) => t.shape[2]);
  const W = widths.reduce((a, b) => a + b, 0);
  const out = allocFloat(ts[0].dtype, T * B * W);
  for (let r = 0; r < T * B; r++) {
    let o = r * W;
    ts.forEach((t, i) => {
      const w = widths[i];
      out.set(t.data.subarray(r * w, (r + 1) * w), o);
      o += w;
    });
  }
  return new Tensor(out, [T, B, W]);
}

/** Split [T, B, Σ widths] along the last axis. */
export function splitLast(t: Tensor, widths: readonly number[]): Tensor[] {
  const [T, B, W] = t.shape;
  const outs = widths.map((w) => allocFloat(t.dtype, T * B * w));
  for (let r = 0; r < T * B; r++) {
    let o = r * W;
    widths.forEach((w, i) => {
      outs[i].set(t.data.subarray(o, o + w), r * w);
      o += w;
    });
  }
  return outs.map((a, i) => new Tensor(a, [T, B, widths[i]]));
}

/** Clamp every element to [−c, c] in place; returns how many elements changed. */
export function clipInPlace(a: Float32Array | Float64Array, c: number): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > c) {
      a[i] = c;
      n++;
    } else if (a[i] < -c) {
      a[i] = -c;
      n++;
    }
  }
  return n;
}

export interface HandwritingBackwardOptions {
  /**
   * Clip, per element, the derivative flowing into each recurrent layer's outputs h_t
   * (from the output layer and from the layer above) to [−clipLayer, clipLayer] before
   * that layer's BPTT. This is kioku's stand-in for Graves's "LSTM derivatives clipped to
   * [−10, 10]": the fused cell kernels do not expose the per-step gate derivatives, so the
   * clip acts on ∂L/∂hⁿ_t from outside the layer, at every step and layer.
   */
  clipLayer?: number;
}

/**
 * Graves's prediction network: stacked recurrent levels with skip connections and a
 * 1 + 6M mixture density output. See the module comment for equations and shapes.
 */
export class HandwritingModel extends Module {
  readonly config: Required<HandwritingModelConfig>;
  readonly layers: RecurrentBase[];
  readonly output: Linear;
  private lastInputWidths: number[] | null = null;
  /** Elements changed by `clipLayer` in the last backward. */
  lastLayerClipped = 0;

  constructor(config: HandwritingModelConfig) {
    super();
    const c = normalizeModelConfig(config);
    this.config = c;
    const H = c.hiddenSize;
    this.layers = [];
    for (let k = 0; k < c.numLayers; k++) {
      const I = k === 0 ? c.inputSize : c.skip ? c.inputSize + H : H;
      this.layers.push(makeLevel(c, I, c.seed * 101 + k + 1));
    }
    const K = mdnOutputSize(c.mixtures);
    this.output = new Linear({
      inFeatures: c.skip ? c.numLayers * H : H,
      outFeatures: K,
      dtype: c.dtype,
      seed: c.seed * 101 + 99,
    });
  }

  protected override children(): [string, Module][] {
    return [...this.layers.map((l, i) => [`layers.${i}`, l] as [string, Module]), ['output', this.output]];
  }

  /**
   * Gradient checkpointing in every level: steps per recomputed segment, 0 = off (see
   * `RecurrentBase.gradCheckpoint`). A runtime setting, not part of the architecture: it
   * changes memory and time, not the gradients, and is not saved with the model.
   *
   * ```ts
   * model.gradCheckpoint = 20; // 3 × 400 LSTM on T = 300 windows: about ⅓ of the activations
   * ```
   */
  get gradCheckpoint(): number {
    return this.layers[0].gradCheckpoint;
  }

  set gradCheckpoint(k: number) {
    for (const layer of this.layers) layer.gradCheckpoint = k;
  }

  /** Zero state for a batch of B sequences. */
  initialState(B: number): HandwritingState {
    return this.layers.map((l) => l.zeroState(B));
  }

  /**
   * Run the network over x [T, B, 3] from `state` (zeros when absent). `lengths` marks a
   * padded batch (steps past a sequence's end keep its state, outputs there are not used).
   */
  forward(
    x: Tensor,
    opts: { state?: HandwritingState; lengths?: ArrayLike<number> } = {},
  ): HandwritingForwardResult {
    const c = this.config;
    expectShape('HandwritingModel.forward', 'x', x, [null, null, c.inputSize], ['T', 'B']);
    const hidden: Tensor[] = [];
    const state: HandwritingState = [];
    const widths: number[] = [];
    let prev: Tensor | null = null;
    this.layers.forEach((layer, k) => {
      const input = k === 0 ? x : c.skip ? concatLast([x, prev!]) : prev!;
      widths.push(input.shape[2]);
      const r = layer.forward(input, { ...fromState(opts.state?.[k]), lengths: opts.lengths });
      hidden.push(r.output);
      state.push(finalState(r));
      prev = r.output;
    });
    this.lastInputWidths = widths;
    const top = c.skip ? concatLast(hidden) : hidden[hidden.length - 1];
    const yhat = this.output.forward(top); // [T, B, 1 + 6M], eq. 3
    return { yhat, state, hidden };
  }

  /**
   * Backpropagate ∂L/∂ŷ [T, B, 1 + 6M] of the last `forward` (BPTT through every level),
   * accumulating parameter gradients. Returns ∂L/∂x.
   */
  backward(dYhat: Tensor, opts: HandwritingBackwardOptions = {}): Tensor {
    const c = this.config;
    if (!this.lastInputWidths) throw new KiokuError('HandwritingModel.backward: call forward first');
    const L = c.numLayers;
    const H = c.hiddenSize;
    const dTop = this.output.backward(dYhat);
    const dH = c.skip ? splitLast(dTop, new Array(L).fill(H)) : [...new Array(L - 1).fill(null), dTop];
    let carry: Tensor | null = null; // ∂L/∂hⁿ_t coming down from layer n+1's input
    let dxTotal: Tensor | null = null;
    this.lastLayerClipped = 0;
    for (let k = L - 1; k >= 0; k--) {
      // ∂L/∂hⁿ_t = (from the output layer, eq. 3) + (from layer n+1's input, eq. 2)
      const fromOutput: Tensor | null = dH[k];
      let dOut: Tensor;
      if (fromOutput && carry) {
        dOut = fromOutput; // a fresh array from splitLast: safe to add into
        for (let i = 0; i < dOut.size; i++) dOut.data[i] += carry.data[i];
      } else {
        dOut = (fromOutput ?? carry)!;
      }
      if (opts.clipLayer !== undefined) this.lastLayerClipped += clipInPlace(dOut.data, opts.clipLayer);
      const { dx } = this.layers[k].backward(dOut);
      if (k > 0) {
        if (c.skip) {
          const [dxIn, dPrev] = splitLast(dx, [c.inputSize, H]);
          carry = dPrev;
          dxTotal = addInto(dxTotal, dxIn);
        } else {
          carry = dx;
        }
      } else {
        dxTotal = addInto(dxTotal, dx);
      }
    }
    return dxTotal!;
  }
}

function addInto(acc: Tensor | null, t: Tensor): Tensor {
  if (!acc) return t.clone();
  for (let i = 0; i < acc.size; i++) acc.data[i] += t.data[i];
  return acc;
}
