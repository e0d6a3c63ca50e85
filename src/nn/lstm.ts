import type { CellSpec } from './cell-spec.js';
import type { Backend } from '../tensor/backend.js';
import type { DecoderCell } from '../tensor/decoder-kernels.js';
import type { FloatArray } from '../tensor/tensor.js';
import { checkNumber } from '../util/errors.js';
import {
  type DirectionCache,
  type DirectionWeights,
  gatherStepGrad,
  inputProjection,
  outSlot,
  type PreactGrads,
  prevSlot,
  RecurrentBase,
  type RecurrentOptions,
  type StepGeometry,
  type StepGrads,
} from './recurrent.js';

export interface LSTMOptions extends RecurrentOptions {
  /**
   * Peephole connections from the cell to the gates (Gers & Schmidhuber 2000, used by
   * Graves 2013 eqs. 7-11), stored as `weight_peephole_l{k}` [3H] = (p_i, p_f, p_o).
   * Not in PyTorch; off by default so weights stay PyTorch-compatible.
   */
  peephole?: boolean;
  /**
   * Initial forget-gate bias (Gers et al. 2000; Jozefowicz et al. 2015 recommend 1):
   * written to the f slice of `bias_ih` with `bias_hh`'s f slice set to 0, so the
   * total bias b_if + b_hf equals this value. Leave undefined for PyTorch's default init.
   */
  forgetBias?: number;
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997) with PyTorch's layout and gate
 * order (i, f, g, o):
 *
 *   i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)
 *   f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)
 *   g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)
 *   o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)
 *   c_t = f_t ∘ c_{t−1} + i_t ∘ g_t          (the constant error carousel)
 *   h_t = o_t ∘ tanh(c_t)
 *
 * | parameter | shape |
 * |---|---|
 * | weight_ih_l{k}[_reverse] | [4H, I] (k = 0) or [4H, D·H] |
 * | weight_hh_l{k}[_reverse] | [4H, H] |
 * | bias_ih_l{k}, bias_hh_l{k} | [4H] |
 *
 * ```ts
 * const lstm = new LSTM({ inputSize: 16, hiddenSize: 32, numLayers: 2 });
 * const { output, hN, cN } = lstm.forward(x);          // x [T, B, 16]
 * const { dx } = lstm.backward(dOutput);               // grads in lstm.gradDict()
 * ```
 */
export class LSTM extends RecurrentBase {
  readonly peephole: boolean;

  constructor(opts: LSTMOptions) {
    super('LSTM', opts, 4, opts?.peephole ?? false);
    this.peephole = opts.peephole ?? false;
    if (opts.forgetBias !== undefined) this.setForgetBias(opts.forgetBias);
  }

  protected override get hasCellState(): boolean {
    return true;
  }

  /** Set b_if = value and b_hf = 0 in every layer and direction (the f slice: rows H..2H). */
  setForgetBias(value: number): void {
    checkNumber('LSTM', 'forgetBias', value);
    const H = this.hiddenSize;
    for (const layer of this.weights) {
      for (const w of layer) {
        w.bih.value.data.fill(value, H, 2 * H);
        w.bhh.value.data.fill(0, H, 2 * H);
      }
    }
  }

  override get decoderCell(): DecoderCell | null {
    return 'lstm';
  }

  protected forwardDirection(w: DirectionWeights, c: DirectionCache, g: StepGeometry): void {
    const { T, B, H, be, masks } = g;
    const GH = 4 * H;
    const cs = c.cs as FloatArray;
    // All T·B input projections in one GEMM, biases folded in: gates = X·W_ihᵀ + b_ih + b_hh.
    inputProjection(be, c, w, T, B, c.gates); // [T, B, 4H]
    be.addRowVector(c.gates, 0, T * B, GH, w.bih.value.data, 0);
    be.addRowVector(c.gates, 0, T * B, GH, w.bhh.value.data, 0);
    const whh = w.whh.value.data;
    const peep = w.peep ? w.peep.value.data : null;
    for (let s = 0; s < T; s++) {
      const t = c.reverse ? T - 1 - s : s;
      const p = prevSlot(t, c.reverse) * B * H;
      const o = outSlot(t, c.reverse) * B * H;
      // Only the recurrent product is serial: gates[t] += h_{t−1}·W_hhᵀ   [B, 4H]
      be.gemm(false, true, B, GH, H, 1, c.hs, p, H, whh, 0, H, 1, c.gates, t * B * GH, GH);
      be.lstmStepForward({
        B,
        H,
        gates: c.gates,
        gOff: t * B * GH,
        cPrev: cs,
        cPrevOff: p,
        hPrev: c.hs,
        hPrevOff: p,
        c: cs,
        cOff: o,
        h: c.hs,
        hOff: o,
        peep,
        peepOff: 0,
        mask: masks[t],
      });
    }
  }

  protected preactGrads(be: Backend, T: number, B: number): PreactGrads {
    const dgates = be.alloc(this.dtype, T * B * 4 * this.hiddenSize); // [T, B, 4H]
    return { dIn: dgates, dRec: dgates }; // the gates sum both sides: one gradient
  }

  protected backwardSteps(w: DirectionWeights, c: DirectionCache, g: StepGrads, d: PreactGrads): void {
    const { T, B, H, be, masks, dOut, dOutOff, dOutStride, dh, dc } = g;
    const GH = 4 * H;
    const cs = c.cs as FloatArray;
    const dgates = d.dIn; // [T, B, 4H] ∂L/∂(pre-activations)
    const dhT = be.alloc(this.dtype, B * H); // ∂L/∂h_t, total
    const whh = w.whh.value.data;
    const peep = w.peep ? w.peep.value.data : null;
    const dpeep = w.peep ? w.peep.grad.data : null;
    for (let s = T - 1; s >= 0; s--) {
      const t = c.reverse ? T - 1 - s : s;
      const p = prevSlot(t, c.reverse) * B * H;
      gatherStepGrad(dhT, dh, dOut, t, B, H, dOutOff, dOutStride, masks[t]);
      be.lstmStepBackward({
        B,
        H,
        gates: c.gates,
        gOff: t * B * GH,
        cPrev: cs,
        cPrevOff: p,
        c: cs,
        cOff: outSlot(t, c.reverse) * B * H,
        peep,
        peepOff: 0,
        mask: masks[t],
        dh: dhT,
        dhOff: 0,
        dc: dc as FloatArray,
        dcOff: 0,
        dgates,
        dgOff: t * B * GH,
        dhPrev: dh,
        dhPrevOff: 0,
        dpeep,
        dpeepOff: 0,
      });
      // ∂L/∂h_{t−1} += ∂A_t · W_hh   [B, 4H]·[4H, H]
      be.gemm(false, false, B, H, GH, 1, dgates, t * B * GH, GH, whh, 0, H, 1, dh, 0, H);
    }
  }
}

/** The LSTM in the cell registry (`cells.ts`). */
export const LSTM_CELL: CellSpec = {
  name: 'lstm',
  title: 'LSTM',
  gates: 4,
  gateNames: ['i', 'f', 'g', 'o'],
  stateSlots: ['h', 'c'],
  description: 'long short-term memory (i, f, g, o gates and a cell state; Hochreiter & Schmidhuber 1997)',
  extras: ['forgetBias', 'peephole'],
  defaults: { forgetBias: 1 },
  create: (o) => new LSTM(o),
};
