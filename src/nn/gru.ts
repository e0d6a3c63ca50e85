import type { CellSpec } from './cell-spec.js';
import type { Backend } from '../tensor/backend.js';
import type { DecoderCell } from '../tensor/decoder-kernels.js';
import type { FloatArray } from '../tensor/tensor.js';
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

export type GRUOptions = RecurrentOptions;

/**
 * Gated recurrent unit (Cho et al. 2014) in PyTorch's formulation, gate order (r, z, n):
 *
 *   r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
 *   z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
 *   n_t = tanh(W_in x_t + b_in + r_t ∘ (W_hn h_{t−1} + b_hn))
 *   h_t = (1 − z_t) ∘ n_t + z_t ∘ h_{t−1}
 *
 * Note r multiplies (W_hn h + b_hn), so the h-side pre-activations are kept apart from the
 * x-side ones, and b_hn cannot be folded into b_in.
 *
 * ```ts
 * const gru = new GRU({ inputSize: 16, hiddenSize: 32, bidirectional: true });
 * const { output, hN } = gru.forward(x, { lengths: [5, 3] }); // output [T, B, 64]
 * ```
 */
export class GRU extends RecurrentBase {
  constructor(opts: GRUOptions) {
    super('GRU', opts, 3, false);
  }

  override get decoderCell(): DecoderCell | null {
    return 'gru';
  }

  protected forwardDirection(w: DirectionWeights, c: DirectionCache, g: StepGeometry): void {
    const { T, B, H, be, masks } = g;
    const GH = 3 * H;
    const xg = be.alloc(this.dtype, T * B * GH); // [T, B, 3H] x-side: X·W_ihᵀ + b_ih
    inputProjection(be, c, w, T, B, xg);
    be.addRowVector(xg, 0, T * B, GH, w.bih.value.data, 0);
    const hg = be.alloc(this.dtype, T * B * GH); // [T, B, 3H] h-side: h·W_hhᵀ + b_hh
    c.hg = hg;
    const whh = w.whh.value.data;
    for (let s = 0; s < T; s++) {
      const t = c.reverse ? T - 1 - s : s;
      const p = prevSlot(t, c.reverse) * B * H;
      const off = t * B * GH;
      be.addRowVector(hg, off, B, GH, w.bhh.value.data, 0);
      be.gemm(false, true, B, GH, H, 1, c.hs, p, H, whh, 0, H, 1, hg, off, GH);
      be.gruStepForward({
        B,
        H,
        xg,
        xgOff: off,
        hg,
        hgOff: off,
        gates: c.gates,
        gOff: off,
        hPrev: c.hs,
        hPrevOff: p,
        h: c.hs,
        hOff: outSlot(t, c.reverse) * B * H,
        mask: masks[t],
      });
    }
  }

  protected preactGrads(be: Backend, T: number, B: number): PreactGrads {
    const n = T * B * 3 * this.hiddenSize;
    return {
      dIn: be.alloc(this.dtype, n), // [T, B, 3H] ∂L/∂(x-side pre-activations)
      dRec: be.alloc(this.dtype, n), // [T, B, 3H] ∂L/∂(h-side pre-activations)
    };
  }

  protected backwardSteps(w: DirectionWeights, c: DirectionCache, g: StepGrads, d: PreactGrads): void {
    const { T, B, H, be, masks, dOut, dOutOff, dOutStride, dh } = g;
    const GH = 3 * H;
    const hg = c.hg as FloatArray;
    const dxg = d.dIn;
    const dhg = d.dRec;
    const dhT = be.alloc(this.dtype, B * H);
    const whh = w.whh.value.data;
    for (let s = T - 1; s >= 0; s--) {
      const t = c.reverse ? T - 1 - s : s;
      const off = t * B * GH;
      gatherStepGrad(dhT, dh, dOut, t, B, H, dOutOff, dOutStride, masks[t]);
      be.gruStepBackward({
        B,
        H,
        gates: c.gates,
        gOff: off,
        hg,
        hgOff: off,
        hPrev: c.hs,
        hPrevOff: prevSlot(t, c.reverse) * B * H,
        dh: dhT,
        dhOff: 0,
        dxg,
        dxgOff: off,
        dhg,
        dhgOff: off,
        dhPrev: dh,
        dhPrevOff: 0,
        mask: masks[t],
      });
      be.gemm(false, false, B, H, GH, 1, dhg, off, GH, whh, 0, H, 1, dh, 0, H);
    }
  }
}

/** The GRU in the cell registry (`cells.ts`). */
export const GRU_CELL: CellSpec = {
  name: 'gru',
  title: 'GRU',
  gates: 3,
  gateNames: ['r', 'z', 'n'],
  stateSlots: ['h'],
  description: 'gated recurrent unit (r, z, n gates; Cho et al. 2014)',
  extras: [],
  defaults: {},
  create: (o) => new GRU(o),
};
