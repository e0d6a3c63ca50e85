/**
 * The LSTM controller of the NTM and the DNC, run one step at a time: a memory model's
 * input at step t holds the read vectors of step t − 1, so the whole-sequence input GEMM of
 * `nn/lstm.ts` cannot be used. The weights are an ordinary `LSTM` layer's (PyTorch names
 * `weight_ih_l0` …, its initialisation and forget bias), and every step runs the same backend
 * kernels that layer uses (`lstmStepForward` / `lstmStepBackward`), so the LSTM equations
 * live in one place.
 *
 * ```ts
 * const ctrl = new StepController({ inputSize: 12, hiddenSize: 64 });
 * ctrl.begin(T, B);
 * for (let t = 0; t < T; t++) ctrl.step(t, input_t);   // input_t [B, 12] → ctrl.hidden(t) [B, 64]
 * ctrl.beginBackward();
 * for (let t = T - 1; t >= 0; t--) ctrl.backStep(t, dh_t, dInput_t);
 * ```
 */
import { LSTM } from '../../nn/lstm.js';
import { Module, type Parameter } from '../../nn/module.js';
import type { Backend } from '../../tensor/backend.js';
import { getBackend } from '../../tensor/current-backend.js';
import { allocFloat, type DType, type FloatArray } from '../../tensor/tensor.js';
import { KiokuError } from '../../util/errors.js';

export interface StepControllerOptions {
  inputSize: number;
  hiddenSize: number;
  dtype?: DType;
  seed?: number;
  /** Initial forget-gate bias (default 1, Jozefowicz et al. 2015). */
  forgetBias?: number;
}

function param(lstm: LSTM, name: string): Parameter {
  const p = lstm.namedParameters().find((np) => np.name === name);
  if (!p) throw new KiokuError(`StepController: the LSTM has no parameter ${name}`);
  return p.param;
}

export class StepController extends Module {
  readonly lstm: LSTM;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;
  private T = 0;
  private B = 0;
  private be: Backend = getBackend();
  private inputs: FloatArray = new Float64Array(0); // [T, B, I]
  private gates: FloatArray = new Float64Array(0); // [T, B, 4H] activations
  private hs: FloatArray = new Float64Array(0); // [T+1, B, H]; slot t is h_{t−1}
  private cs: FloatArray = new Float64Array(0); // [T+1, B, H]
  private dh: FloatArray = new Float64Array(0); // [B, H] ∂L/∂h_t carried back
  private dc: FloatArray = new Float64Array(0); // [B, H] ∂L/∂c_t carried back
  private dgates: FloatArray = new Float64Array(0); // [B, 4H]

  constructor(opts: StepControllerOptions) {
    super();
    this.inputSize = opts.inputSize;
    this.hiddenSize = opts.hiddenSize;
    this.dtype = opts.dtype ?? 'float32';
    this.lstm = new LSTM({
      inputSize: opts.inputSize,
      hiddenSize: opts.hiddenSize,
      dtype: this.dtype,
      seed: opts.seed ?? 0,
      forgetBias: opts.forgetBias ?? 1,
    });
  }

  protected override children(): [string, Module][] {
    return [['lstm', this.lstm]];
  }

  /** Start a sequence of T steps for B rows from zero state. */
  begin(T: number, B: number): void {
    const H = this.hiddenSize;
    this.T = T;
    this.B = B;
    this.be = getBackend();
    this.inputs = allocFloat(this.dtype, T * B * this.inputSize);
    this.gates = allocFloat(this.dtype, T * B * 4 * H);
    this.hs = allocFloat(this.dtype, (T + 1) * B * H);
    this.cs = allocFloat(this.dtype, (T + 1) * B * H);
  }

  /** h_t [B, H] (a view into the cache). */
  hidden(t: number): FloatArray {
    const n = this.B * this.hiddenSize;
    return this.hs.subarray((t + 1) * n, (t + 2) * n);
  }

  /** One LSTM step: gates = x_t W_ihᵀ + h_{t−1} W_hhᵀ + b_ih + b_hh, then the fused kernel. */
  step(t: number, input: ArrayLike<number>): FloatArray {
    const { B, be } = this;
    const H = this.hiddenSize;
    const I = this.inputSize;
    const G = 4 * H;
    const xOff = t * B * I;
    for (let i = 0; i < B * I; i++) this.inputs[xOff + i] = input[i];
    const wih = param(this.lstm, 'weight_ih_l0').value.data; // [4H, I]
    const whh = param(this.lstm, 'weight_hh_l0').value.data; // [4H, H]
    const gOff = t * B * G;
    be.gemm(false, true, B, G, I, 1, this.inputs, xOff, I, wih, 0, I, 0, this.gates, gOff, G);
    be.gemm(false, true, B, G, H, 1, this.hs, t * B * H, H, whh, 0, H, 1, this.gates, gOff, G);
    be.addRowVector(this.gates, gOff, B, G, param(this.lstm, 'bias_ih_l0').value.data, 0);
    be.addRowVector(this.gates, gOff, B, G, param(this.lstm, 'bias_hh_l0').value.data, 0);
    be.lstmStepForward({
      B,
      H,
      gates: this.gates,
      gOff,
      cPrev: this.cs,
      cPrevOff: t * B * H,
      hPrev: this.hs,
      hPrevOff: t * B * H,
      c: this.cs,
      cOff: (t + 1) * B * H,
      h: this.hs,
      hOff: (t + 1) * B * H,
      peep: null,
      peepOff: 0,
      mask: null,
    });
    return this.hidden(t);
  }

  /** Reset the carried ∂L/∂h, ∂L/∂c before `backStep(T − 1)`. */
  beginBackward(): void {
    const H = this.hiddenSize;
    this.dh = allocFloat(this.dtype, this.B * H);
    this.dc = allocFloat(this.dtype, this.B * H);
    this.dgates = allocFloat(this.dtype, this.B * 4 * H);
  }

  /**
   * Backward of step t. `dhOut` [B, H] is ∂L/∂h_t from outside the recurrence (heads,
   * output layer); ∂L/∂input_t is written to `dInput` [B, I]. Parameter gradients accumulate.
   */
  backStep(t: number, dhOut: ArrayLike<number>, dInput: FloatArray): void {
    const { B, be } = this;
    const H = this.hiddenSize;
    const I = this.inputSize;
    const G = 4 * H;
    for (let i = 0; i < B * H; i++) this.dh[i] += dhOut[i];
    const dhTotal = this.dh.slice();
    be.lstmStepBackward({
      B,
      H,
      gates: this.gates,
      gOff: t * B * G,
      cPrev: this.cs,
      cPrevOff: t * B * H,
      c: this.cs,
      cOff: (t + 1) * B * H,
      peep: null,
      peepOff: 0,
      mask: null,
      dh: dhTotal,
      dhOff: 0,
      dc: this.dc,
      dcOff: 0,
      dgates: this.dgates,
      dgOff: 0,
      dhPrev: this.dh,
      dhPrevOff: 0,
      dpeep: null,
      dpeepOff: 0,
    });
    const wih = param(this.lstm, 'weight_ih_l0');
    const whh = param(this.lstm, 'weight_hh_l0');
    // ∂L/∂h_{t−1} += ∂a W_hh;  ∂L/∂x_t = ∂a W_ih   [B, 4H]·[4H, ·]
    be.gemm(false, false, B, H, G, 1, this.dgates, 0, G, whh.value.data, 0, H, 1, this.dh, 0, H);
    be.gemm(false, false, B, I, G, 1, this.dgates, 0, G, wih.value.data, 0, I, 0, dInput, 0, I);
    // ∂W_ih += ∂aᵀ x_t,  ∂W_hh += ∂aᵀ h_{t−1},  ∂b += Σ_b ∂a
    be.gemm(true, false, G, I, B, 1, this.dgates, 0, G, this.inputs, t * B * I, I, 1, wih.grad.data, 0, I);
    be.gemm(true, false, G, H, B, 1, this.dgates, 0, G, this.hs, t * B * H, H, 1, whh.grad.data, 0, H);
    be.sumRowsAccumulate(this.dgates, 0, B, G, param(this.lstm, 'bias_ih_l0').grad.data, 0);
    be.sumRowsAccumulate(this.dgates, 0, B, G, param(this.lstm, 'bias_hh_l0').grad.data, 0);
  }
}
