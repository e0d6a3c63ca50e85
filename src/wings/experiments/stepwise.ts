/**
 * Backpropagation through time one step at a time, with the public layer API only, so
 * that every ∂L/∂h_t is observable (a whole-sequence `backward` only returns ∂L/∂h_0).
 *
 * Forward: the layer runs over x[t] alone (T = 1) from the recorded state s_{t−1}, giving
 * s_t. Backward: for t = T … 1 the same one-step forward is replayed and `backward` is
 * called with dOutput = 0 and (dhN, dcN) = ∂L/∂s_t, which returns ∂L/∂s_{t−1} as
 * (dh0, dc0). Chaining these is exactly BPTT,
 *
 *   ∂L/∂s_{t−1} = (∂s_t/∂s_{t−1})ᵀ ∂L/∂s_t,
 *
 * the product of step Jacobians whose norm decides whether the error vanishes or explodes
 * (Bengio et al. 1994; Pascanu et al. 2013, eq. 5). For the LSTM the state is s = (h, c):
 * the cell state's own path ∂c_t/∂c_{t−1} = diag(f_t) is the constant error carousel.
 *
 * Parameter gradients accumulate in the layer as a side effect; callers `zeroGrad()`.
 *
 * ```ts
 * const trace = unroll(lstm, x);                      // states s_0 … s_T
 * const grads = backpropSteps(lstm, x, trace, dhT);    // grads.dh[t] = ∂L/∂h_t
 * ```
 */
import { LSTM } from '../../nn/lstm.js';
import type { RecurrentBase } from '../../nn/recurrent.js';
import { Tensor } from '../../tensor/tensor.js';
import { KiokuError } from '../../util/errors.js';

/** The states of a one-layer, one-direction recurrent layer at t = 0 … T, each [1, B, H]. */
export interface StepTrace {
  h: Tensor[];
  /** LSTM only. */
  c: Tensor[] | null;
}

function checkSimple(layer: RecurrentBase, where: string): void {
  if (layer.numLayers !== 1 || layer.bidirectional) {
    throw new KiokuError(
      `${where}: needs a single-layer, unidirectional layer, got ${layer.numLayers} layer(s)${layer.bidirectional ? ', bidirectional' : ''}`,
    );
  }
}

/** x[t] as a [1, B, I] tensor (a view). */
export function stepInput(x: Tensor, t: number): Tensor {
  const [, B, I] = x.shape;
  return new Tensor(x.data.subarray(t * B * I, (t + 1) * B * I), [1, B, I]);
}

/** Run `layer` over x [T, B, I] one step at a time from zero state, recording every state. */
export function unroll(layer: RecurrentBase, x: Tensor): StepTrace {
  checkSimple(layer, 'unroll');
  const [T, B] = x.shape;
  const H = layer.hiddenSize;
  const lstm = layer instanceof LSTM;
  const h: Tensor[] = [Tensor.zeros([1, B, H], layer.dtype)];
  const c: Tensor[] | null = lstm ? [Tensor.zeros([1, B, H], layer.dtype)] : null;
  for (let t = 0; t < T; t++) {
    const r = layer.forward(stepInput(x, t), { h0: h[t], ...(c ? { c0: c[t] } : {}) });
    h.push(r.hN);
    if (c) {
      if (!r.cN) throw new KiokuError('unroll: LSTM returned no cell state');
      c.push(r.cN);
    }
  }
  return { h, c };
}

/** ∂L/∂h_t (and ∂L/∂c_t) for t = 0 … T, each [1, B, H]. */
export interface StepGrads {
  dh: Tensor[];
  dc: Tensor[] | null;
}

/**
 * Backpropagate a loss that depends on the final state only (∂L/∂h_T = `dhT`, and
 * ∂L/∂c_T = `dcT` or 0) through every step, returning ∂L/∂s_t for all t.
 * `onStep(t)` is called after each step (progress).
 */
export function backpropSteps(
  layer: RecurrentBase,
  x: Tensor,
  trace: StepTrace,
  dhT: Tensor,
  dcT?: Tensor,
  onStep?: (t: number) => void,
): StepGrads {
  checkSimple(layer, 'backpropSteps');
  const [T, B] = x.shape;
  const H = layer.hiddenSize;
  const dh: Tensor[] = new Array(T + 1);
  const dc: Tensor[] | null = trace.c ? new Array(T + 1) : null;
  dh[T] = dhT;
  if (dc) dc[T] = dcT ?? Tensor.zeros([1, B, H], layer.dtype);
  const zeroOut = Tensor.zeros([1, B, H], layer.dtype);
  for (let t = T; t >= 1; t--) {
    layer.forward(stepInput(x, t - 1), { h0: trace.h[t - 1], ...(trace.c ? { c0: trace.c[t - 1] } : {}) });
    const r = layer.backward(zeroOut, { dhN: dh[t], ...(dc ? { dcN: dc[t] } : {}) });
    dh[t - 1] = r.dh0;
    if (dc) {
      if (!r.dc0) throw new KiokuError('backpropSteps: LSTM returned no dc0');
      dc[t - 1] = r.dc0;
    }
    onStep?.(t);
  }
  return { dh, dc };
}

/**
 * The Jacobian J = ∂s_t/∂s_{t−1} of one step for batch row `row`, as a dense row-major
 * [S, S] matrix with S = H (RNN, GRU) or 2H (LSTM, s = (h, c)). Computed with one
 * forward/backward over a batch of S copies of that row, seeding row k of the backward
 * pass with the k-th unit vector, so backward row k returns row k of J.
 */
export function stepJacobian(
  layer: RecurrentBase,
  x: Tensor,
  trace: StepTrace,
  t: number,
  row = 0,
): { n: number; data: Float64Array } {
  checkSimple(layer, 'stepJacobian');
  const [T, B, I] = x.shape;
  if (!(t >= 1 && t <= T)) throw new KiokuError(`stepJacobian: t must be in [1, ${T}], got ${t}`);
  if (!(row >= 0 && row < B)) throw new KiokuError(`stepJacobian: row must be in [0, ${B}), got ${row}`);
  const H = layer.hiddenSize;
  const lstm = trace.c !== null;
  const S = lstm ? 2 * H : H;
  const dt = layer.dtype;
  const xs = Tensor.zeros([1, S, I], dt);
  const h0 = Tensor.zeros([1, S, H], dt);
  const c0 = lstm ? Tensor.zeros([1, S, H], dt) : null;
  const xRow = x.data.subarray(((t - 1) * B + row) * I, ((t - 1) * B + row + 1) * I);
  const hRow = trace.h[t - 1].data.subarray(row * H, (row + 1) * H);
  const cRow = trace.c ? trace.c[t - 1].data.subarray(row * H, (row + 1) * H) : null;
  for (let k = 0; k < S; k++) {
    xs.data.set(xRow, k * I);
    h0.data.set(hRow, k * H);
    if (c0 && cRow) c0.data.set(cRow, k * H);
  }
  layer.forward(xs, { h0, ...(c0 ? { c0 } : {}) });
  const dhN = Tensor.zeros([1, S, H], dt);
  const dcN = lstm ? Tensor.zeros([1, S, H], dt) : null;
  for (let k = 0; k < S; k++) {
    if (k < H) dhN.data[k * H + k] = 1;
    else if (dcN) dcN.data[k * H + (k - H)] = 1;
  }
  const r = layer.backward(Tensor.zeros([1, S, H], dt), { dhN, ...(dcN ? { dcN } : {}) });
  const J = new Float64Array(S * S);
  for (let k = 0; k < S; k++) {
    for (let j = 0; j < H; j++) J[k * S + j] = r.dh0.data[k * H + j];
    if (lstm && r.dc0) for (let j = 0; j < H; j++) J[k * S + H + j] = r.dc0.data[k * H + j];
  }
  return { n: S, data: J };
}
