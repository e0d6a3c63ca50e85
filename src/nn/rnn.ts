import type { CellSpec } from './cell-spec.js';
import type { Backend } from '../tensor/backend.js';
import type { DecoderCell } from '../tensor/decoder-kernels.js';
import { KiokuError } from '../util/errors.js';
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

export interface RNNOptions extends RecurrentOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * Elman RNN, PyTorch `nn.RNN`:  h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh).
 *
 * Backpropagated through T steps, ∂h_T/∂h_t is a product of T−t Jacobians
 * diag(act'(a)) · W_hh; with tanh' ≤ 1 the product shrinks or grows geometrically with
 * W_hh's spectral radius — the vanishing/exploding gradient problem (Bengio et al. 1994;
 * Pascanu et al. 2013) that the LSTM's carousel was designed around.
 *
 * ```ts
 * const rnn = new RNN({ inputSize: 1, hiddenSize: 64, nonlinearity: 'relu' });
 * ```
 */
export class RNN extends RecurrentBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(opts: RNNOptions) {
    super('RNN', opts, 1, false);
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') {
      throw new KiokuError(`RNN: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    }
    this.nonlinearity = nl;
  }

  override get decoderCell(): DecoderCell | null {
    return this.nonlinearity === 'relu' ? 'rnn-relu' : 'rnn-tanh';
  }

  protected forwardDirection(w: DirectionWeights, c: DirectionCache, g: StepGeometry): void {
    const { T, B, H, be, masks } = g;
    const relu = this.nonlinearity === 'relu';
    inputProjection(be, c, w, T, B, c.gates); // [T, B, H] pre-activations
    be.addRowVector(c.gates, 0, T * B, H, w.bih.value.data, 0);
    be.addRowVector(c.gates, 0, T * B, H, w.bhh.value.data, 0);
    const whh = w.whh.value.data;
    for (let s = 0; s < T; s++) {
      const t = c.reverse ? T - 1 - s : s;
      const p = prevSlot(t, c.reverse) * B * H;
      be.gemm(false, true, B, H, H, 1, c.hs, p, H, whh, 0, H, 1, c.gates, t * B * H, H);
      be.rnnStepForward({
        B,
        H,
        relu,
        pre: c.gates,
        preOff: t * B * H,
        hPrev: c.hs,
        hPrevOff: p,
        h: c.hs,
        hOff: outSlot(t, c.reverse) * B * H,
        mask: masks[t],
      });
    }
  }

  protected preactGrads(be: Backend, T: number, B: number): PreactGrads {
    const dpre = be.alloc(this.dtype, T * B * this.hiddenSize); // [T, B, H]
    return { dIn: dpre, dRec: dpre };
  }

  protected backwardSteps(w: DirectionWeights, c: DirectionCache, g: StepGrads, d: PreactGrads): void {
    const { T, B, H, be, masks, dOut, dOutOff, dOutStride, dh } = g;
    const relu = this.nonlinearity === 'relu';
    const dpre = d.dIn; // [T, B, H]
    const dhT = be.alloc(this.dtype, B * H);
    const whh = w.whh.value.data;
    for (let s = T - 1; s >= 0; s--) {
      const t = c.reverse ? T - 1 - s : s;
      gatherStepGrad(dhT, dh, dOut, t, B, H, dOutOff, dOutStride, masks[t]);
      be.rnnStepBackward({
        B,
        H,
        relu,
        h: c.hs,
        hOff: outSlot(t, c.reverse) * B * H,
        dh: dhT,
        dhOff: 0,
        dpre,
        dpreOff: t * B * H,
        dhPrev: dh,
        dhPrevOff: 0,
        mask: masks[t],
      });
      be.gemm(false, false, B, H, H, 1, dpre, t * B * H, H, whh, 0, H, 1, dh, 0, H);
    }
  }
}

/** The simple (Elman) RNN in the cell registry (`cells.ts`). */
export const RNN_CELL: CellSpec = {
  name: 'rnn',
  title: 'RNN',
  gates: 1,
  gateNames: ['W_hh'],
  stateSlots: ['h'],
  description: 'simple (Elman) RNN, h = tanh(W_ih x + W_hh h + b) (or ReLU)',
  extras: ['nonlinearity'],
  defaults: {},
  create: (o) => new RNN(o),
};
