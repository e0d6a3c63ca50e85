import { Linear } from '../../nn/linear.js';
import { cellSpec, createCell } from '../../nn/cells.js';
import { Module } from '../../nn/module.js';
import { countRecurrentParameters, type RecurrentBase } from '../../nn/recurrent.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';

/**
 * How a forecaster predicts `horizon` steps:
 * - `direct`: the head outputs all `horizon` future values at once (one model, H outputs);
 * - `recursive`: the head outputs one step; further steps feed predictions back as inputs.
 */
export type ForecastMode = 'direct' | 'recursive';

export interface ForecastConfig {
  /** A registered cell (`cellNames()` in nn/cells.ts): 'lstm', 'gru', 'rnn', … */
  cell: string;
  hiddenSize: number;
  numLayers: number;
  lookback: number;
  horizon: number;
  mode: ForecastMode;
}

/** Trainable scalars of a forecaster config, without building it (recurrent stack + head). */
export function countForecastParameters(c: ForecastConfig): number {
  const gates = cellSpec(c.cell).gates;
  const outputs = c.mode === 'direct' ? c.horizon : 1;
  const rnn = countRecurrentParameters({
    gates,
    inputSize: 1,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
  });
  return rnn + c.hiddenSize * outputs + outputs;
}

export function validateForecastConfig(c: ForecastConfig): ForecastConfig {
  const w = 'forecast config';
  cellSpec(c.cell, `${w}: cell`);
  if (c.mode !== 'direct' && c.mode !== 'recursive')
    throw new KiokuError(`${w}: mode must be 'direct' or 'recursive', got ${JSON.stringify(c.mode)}`);
  checkNumber(w, 'hiddenSize', c.hiddenSize, { min: 1, integer: true });
  checkNumber(w, 'numLayers', c.numLayers, { min: 1, max: 4, integer: true });
  checkNumber(w, 'lookback', c.lookback, { min: 1, integer: true });
  checkNumber(w, 'horizon', c.horizon, { min: 1, integer: true });
  return c;
}

/**
 * Many-to-one (direct: many-to-many in one shot) forecaster:
 *   window x [L, N, 1] → LSTM/GRU → h_L [N, H] → Linear → ŷ [N, outputs]
 * with outputs = horizon (direct) or 1 (recursive). Inputs and outputs are normalised.
 *
 * ```ts
 * const f = new Forecaster({ cell: 'lstm', hiddenSize: 32, numLayers: 1, lookback: 32, horizon: 16, mode: 'direct' });
 * const y = f.forward(X, N);   // X: N windows of 32 values -> [N, 16]
 * f.backward(dy);
 * ```
 */
export class Forecaster extends Module {
  readonly config: ForecastConfig;
  readonly rnn: RecurrentBase;
  readonly head: Linear;
  private cache: { N: number; L: number } | null = null;

  constructor(config: ForecastConfig, seed = 0) {
    super();
    this.config = validateForecastConfig({ ...config });
    const c = this.config;
    const ro = { inputSize: 1, hiddenSize: c.hiddenSize, numLayers: c.numLayers, seed };
    this.rnn = createCell(c.cell, ro);
    this.head = new Linear({ inFeatures: c.hiddenSize, outFeatures: this.outputs, seed: seed + 1 });
  }

  get outputs(): number {
    return this.config.mode === 'direct' ? this.config.horizon : 1;
  }

  protected override children(): [string, Module][] {
    return [
      ['rnn', this.rnn],
      ['head', this.head],
    ];
  }

  /** X: N windows of length L (row-major [N, L]) → [N, outputs]. */
  forward(X: ArrayLike<number>, N: number): Float32Array {
    const L = X.length / N;
    if (!Number.isInteger(L) || L < 1)
      throw new KiokuError(`Forecaster.forward: ${X.length} values do not split into ${N} windows`);
    const x = Tensor.zeros([L, N, 1]); // time-major
    for (let i = 0; i < N; i++) for (let t = 0; t < L; t++) x.data[t * N + i] = X[i * L + t];
    const { output } = this.rnn.forward(x);
    const H = this.config.hiddenSize;
    const last = new Tensor(output.data.slice((L - 1) * N * H, L * N * H), [N, H]);
    const y = this.head.forward(last);
    this.cache = { N, L };
    return Float32Array.from(y.data);
  }

  /** dY [N, outputs] → gradients (accumulate). */
  backward(dY: ArrayLike<number>): void {
    const c = this.cache;
    if (!c) throw new KiokuError('Forecaster.backward: call forward first');
    const H = this.config.hiddenSize;
    const dLast = this.head.backward(Tensor.fromArray(Array.from(dY), [c.N, this.outputs]));
    const dOut = Tensor.zeros([c.L, c.N, H]);
    dOut.data.set(dLast.data, (c.L - 1) * c.N * H);
    this.rnn.backward(dOut);
  }

  /**
   * Forecast `steps` values after each window (normalised units): direct mode reads them
   * off the head (steps ≤ horizon); recursive mode appends each prediction to the window
   * and predicts again.
   */
  predict(X: ArrayLike<number>, N: number, steps = this.config.horizon): Float64Array {
    const L = X.length / N;
    const out = new Float64Array(N * steps);
    const wasTraining = this.training;
    this.eval();
    if (this.config.mode === 'direct') {
      if (steps > this.config.horizon)
        throw new KiokuError(
          `predict: a direct model forecasts at most its horizon (${this.config.horizon}) steps, asked for ${steps}`,
        );
      const y = this.forward(X, N);
      for (let i = 0; i < N; i++)
        for (let h = 0; h < steps; h++) out[i * steps + h] = y[i * this.config.horizon + h];
    } else {
      const win = Float64Array.from(X as ArrayLike<number>);
      for (let h = 0; h < steps; h++) {
        const y = this.forward(win, N);
        for (let i = 0; i < N; i++) {
          out[i * steps + h] = y[i];
          win.copyWithin(i * L, i * L + 1, (i + 1) * L);
          win[(i + 1) * L - 1] = y[i];
        }
      }
    }
    this.train(wasTraining);
    return out;
  }
}

/**
 * Linear autoregressive baseline, direct multi-step: for each horizon h a separate
 * least-squares fit ŷ_{t+h} = w_h · x[t−L+1..t] + b_h (ridge λ for stability), solved from
 * the normal equations.
 */
export class LinearAR {
  constructor(
    readonly weights: Float64Array[], // [horizon][L + 1] (bias last)
    readonly lookback: number,
  ) {}

  static fit(X: Float64Array, Y: Float64Array, N: number, L: number, H: number, lambda = 1e-6): LinearAR {
    const P = L + 1;
    const A = new Float64Array(P * P);
    for (let i = 0; i < N; i++) {
      for (let a = 0; a < P; a++) {
        const xa = a < L ? X[i * L + a] : 1;
        for (let b = a; b < P; b++) A[a * P + b] += xa * (b < L ? X[i * L + b] : 1);
      }
    }
    for (let a = 0; a < P; a++) {
      for (let b = 0; b < a; b++) A[a * P + b] = A[b * P + a];
      A[a * P + a] += lambda * N;
    }
    const weights: Float64Array[] = [];
    for (let h = 0; h < H; h++) {
      const rhs = new Float64Array(P);
      for (let i = 0; i < N; i++)
        for (let a = 0; a < P; a++) rhs[a] += (a < L ? X[i * L + a] : 1) * Y[i * H + h];
      weights.push(solve(A, rhs, P));
    }
    return new LinearAR(weights, L);
  }

  predict(X: ArrayLike<number>, N: number, steps: number): Float64Array {
    const L = this.lookback;
    const out = new Float64Array(N * steps);
    for (let i = 0; i < N; i++) {
      for (let h = 0; h < steps; h++) {
        const w = this.weights[h];
        let s = w[L];
        for (let j = 0; j < L; j++) s += w[j] * X[i * L + j];
        out[i * steps + h] = s;
      }
    }
    return out;
  }
}

/** Solve A x = b (A symmetric positive definite, P×P) by Gaussian elimination with pivoting. */
function solve(A0: Float64Array, b0: Float64Array, P: number): Float64Array {
  const A = Float64Array.from(A0);
  const b = Float64Array.from(b0);
  for (let c = 0; c < P; c++) {
    let piv = c;
    for (let r = c + 1; r < P; r++) if (Math.abs(A[r * P + c]) > Math.abs(A[piv * P + c])) piv = r;
    if (piv !== c) {
      for (let k = 0; k < P; k++) [A[c * P + k], A[piv * P + k]] = [A[piv * P + k], A[c * P + k]];
      [b[c], b[piv]] = [b[piv], b[c]];
    }
    const d = A[c * P + c];
    if (Math.abs(d) < 1e-300) throw new KiokuError('LinearAR: singular normal equations');
    for (let r = c + 1; r < P; r++) {
      const f = A[r * P + c] / d;
      if (f === 0) continue;
      for (let k = c; k < P; k++) A[r * P + k] -= f * A[c * P + k];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(P);
  for (let r = P - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < P; k++) s -= A[r * P + k] * x[k];
    x[r] = s / A[r * P + r];
  }
  return x;
}

/** RMSE and MAE of predictions against targets (same layout). */
export function errors(pred: ArrayLike<number>, target: ArrayLike<number>): { rmse: number; mae: number } {
  let se = 0;
  let ae = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i] - target[i];
    se += d * d;
    ae += Math.abs(d);
  }
  return { rmse: Math.sqrt(se / pred.length), mae: ae / pred.length };
}
