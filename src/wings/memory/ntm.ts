/**
 * The Neural Turing Machine (Graves, Wayne & Danihelka 2014): an LSTM controller that
 * reads from and writes to an N × M memory through heads addressed by content and location
 * (eqs. 2–9, in `addressing.ts`). Memory initialisation follows Collier & Beel (2018,
 * "Implementing Neural Turing Machines", ICANN), who traced reliable convergence to it:
 * the memory starts as a small constant (10⁻⁶), and the initial read vectors and head
 * weightings are learned biases, r_0 = tanh(b_r) and w_0 = softmax(b_w).
 *
 * One step t, for each batch row:
 *   h_t = LSTM([x_t; r_{t−1}], h_{t−1})                       controller
 *   ξ_t = W_ξ h_t + b_ξ                                       raw head parameters
 *   write heads (in order), each addressed on the memory before its write:
 *     k = tanh, β = softplus, g = σ, s = softmax, γ = 1 + softplus, e = σ, a = tanh
 *     w = sharpen(shift(interpolate(content(M, k, β), w_{t−1}, g), s), γ)   eqs. 5–9
 *     M ← M ∘ (1 − w eᵀ) + w aᵀ                               eqs. 3–4
 *   read heads, addressed the same way on M_t:  r = M_tᵀ w    eq. 2
 *   y_t = W_y [h_t; r_t] + b_y                                logits
 *
 * ```ts
 * const ntm = new NTM({ inputSize: 9, outputSize: 8, hiddenSize: 100, memorySlots: 128, memoryWidth: 20 });
 * const logits = ntm.forward(x);     // x [T, B, 9] → [T, B, 8]
 * ntm.backward(dLogits);             // gradients in ntm.gradDict()
 * ```
 */
import { Linear } from '../../nn/linear.js';
import { Module, Parameter } from '../../nn/module.js';
import { getBackend } from '../../tensor/current-backend.js';
import { allocFloat, type DType, expectShape, Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import {
  type ContentCache,
  contentBackward,
  contentForward,
  interpolateBackward,
  interpolateForward,
  readBackward,
  readForward,
  type SharpenCache,
  sharpenBackward,
  sharpenForward,
  shiftBackward,
  shiftForward,
  sigmoid,
  sigmoidGrad,
  softmaxGradInto,
  softmaxInto,
  softplus,
  softplusGrad,
  tanhGrad,
  type Vec,
  writeBackward,
  writeForward,
} from './addressing.js';
import { StepController } from './controller.js';

export interface NTMConfig {
  inputSize: number;
  outputSize: number;
  /** Controller LSTM units (paper: 100 for copy). */
  hiddenSize: number;
  /** N memory slots (paper: 128). */
  memorySlots: number;
  /** M, the width of a slot (paper: 20). */
  memoryWidth: number;
  /** Read heads (default 1). */
  readHeads?: number;
  /** Write heads (default 1); several write in order within a step. */
  writeHeads?: number;
  /** Largest shift h: s covers −h … +h (default 1, the paper's three shifts). */
  shiftRange?: number;
  /**
   * Added to slot 0 of the learned initial-weighting bias b_w (default 0: Collier & Beel's
   * Glorot-uniform bias, near-uniform w_0). ln N starts each head focused on slot 0, which
   * breaks the slots' symmetry under a constant memory at once.
   */
  initFocus?: number;
  dtype?: DType;
  seed?: number;
}

/** Constant initial memory of Collier & Beel (2018): small, so cosine similarity is defined. */
export const MEMORY_INIT = 1e-6;

/** What one head computed at one step for one row (the typed cache of its backward). */
interface HeadStep {
  raw: Vec; // the head's slice of ξ_t
  key: Vec; // [M] tanh(k̂)
  beta: number;
  g: number;
  s: Vec; // [S]
  gamma: number;
  content: ContentCache;
  wPrev: Vec; // [N]
  wg: Vec; // [N] after eq. 7
  wShift: Vec; // [N] after eq. 8
  sharp: SharpenCache; // w = sharp.w
  memBefore: Vec; // [N, M] the memory it addressed (and, for write heads, wrote into)
  erase: Vec | null; // [M] write heads only
  add: Vec | null;
}

interface NTMCache {
  T: number;
  B: number;
  steps: HeadStep[][][]; // [t][b][head]  write heads first, then read heads
  reads: Vec[][]; // [t + 1][b] concatenated read vectors [R·M]; index 0 is r_0
  xi: Vec; // [T, B, P]
  outIn: Tensor; // [T, B, H + R·M]
  memFinal: Vec[]; // [b] M_T
}

/** Memory views of one batch row: weightings per step and the memory after each step. */
export interface NTMTrace {
  /** [head][t] → [N]; write heads first. */
  weightings: number[][][];
  /** [t] → [N·M], the memory after step t. */
  memory: Float64Array[];
  /** [t] → [R·M]. */
  reads: number[][];
}

export class NTM extends Module {
  readonly config: Required<NTMConfig>;
  readonly controller: StepController;
  readonly output: Linear;
  readonly headWeight: Parameter; // [P, H]
  readonly headBias: Parameter; // [P]
  readonly initRead: Parameter; // [R, M]
  readonly initWeighting: Parameter; // [Wh + R, N]
  private cache: NTMCache | null = null;

  constructor(config: NTMConfig) {
    super();
    const w = 'NTM';
    const c: Required<NTMConfig> = {
      readHeads: 1,
      writeHeads: 1,
      shiftRange: 1,
      initFocus: 0,
      dtype: 'float32',
      seed: 0,
      ...config,
    };
    for (const k of [
      'inputSize',
      'outputSize',
      'hiddenSize',
      'memorySlots',
      'memoryWidth',
      'readHeads',
    ] as const) {
      checkNumber(w, k, c[k], { min: 1, integer: true });
    }
    checkNumber(w, 'writeHeads', c.writeHeads, { min: 0, integer: true });
    checkNumber(w, 'shiftRange', c.shiftRange, { min: 0, integer: true });
    if (2 * c.shiftRange + 1 > c.memorySlots) {
      throw new KiokuError(
        `${w}: shiftRange ${c.shiftRange} needs at least ${2 * c.shiftRange + 1} memory slots, got ${c.memorySlots}`,
      );
    }
    this.config = c;
    const { hiddenSize: H, memoryWidth: M, readHeads: R, memorySlots: N } = c;
    const rng = new Rng(c.seed);
    this.controller = new StepController({
      inputSize: c.inputSize + R * M,
      hiddenSize: H,
      dtype: c.dtype,
      seed: c.seed,
    });
    this.output = new Linear({
      inFeatures: H + R * M,
      outFeatures: c.outputSize,
      dtype: c.dtype,
      seed: c.seed + 1,
    });
    const P = this.headParamCount();
    this.headWeight = Parameter.zeros('head_weight', [P, H], c.dtype);
    this.headBias = Parameter.zeros('head_bias', [P], c.dtype);
    this.initRead = Parameter.zeros('init_read', [R, M], c.dtype);
    this.initWeighting = Parameter.zeros('init_weighting', [c.writeHeads + R, N], c.dtype);
    const bound = 1 / Math.sqrt(H);
    for (let i = 0; i < P * H; i++) this.headWeight.value.data[i] = rng.uniformRange(-bound, bound);
    for (let i = 0; i < P; i++) this.headBias.value.data[i] = rng.uniformRange(-bound, bound);
    // Collier & Beel's learned_init: a bias drawn like a Glorot-uniform 1 × n layer.
    const br = Math.sqrt(6 / (1 + M));
    for (let i = 0; i < R * M; i++) this.initRead.value.data[i] = rng.uniformRange(-br, br);
    const bw = Math.sqrt(6 / (1 + N));
    for (let i = 0; i < this.initWeighting.value.size; i++)
      this.initWeighting.value.data[i] = rng.uniformRange(-bw, bw);
    for (let h = 0; h < c.writeHeads + R; h++) this.initWeighting.value.data[h * N] += c.initFocus;
  }

  protected override ownParameters(): Parameter[] {
    return [this.headWeight, this.headBias, this.initRead, this.initWeighting];
  }

  protected override children(): [string, Module][] {
    return [
      ['controller', this.controller],
      ['output', this.output],
    ];
  }

  get shiftCount(): number {
    return 2 * this.config.shiftRange + 1;
  }

  /** Raw parameters of a read head (k, β, g, s, γ) and a write head (… , e, a). */
  headSize(write: boolean): number {
    const M = this.config.memoryWidth;
    return M + 3 + this.shiftCount + (write ? 2 * M : 0);
  }

  headParamCount(): number {
    return this.config.writeHeads * this.headSize(true) + this.config.readHeads * this.headSize(false);
  }

  /** Logits [T, B, outputSize] for inputs x [T, B, inputSize]. */
  forward(x: Tensor): Tensor {
    const c = this.config;
    expectShape('NTM.forward', 'x', x, [null, null, c.inputSize], ['T', 'B']);
    const [T, B] = x.shape;
    const { hiddenSize: H, memoryWidth: M, memorySlots: N, readHeads: R, writeHeads: Wh, inputSize: X } = c;
    const be = getBackend();
    const P = this.headParamCount();
    const dtype = c.dtype;
    const nHeads = Wh + R;
    this.controller.begin(T, B);
    const xi = allocFloat(dtype, T * B * P);
    const outIn = Tensor.zeros([T, B, H + R * M], dtype);
    const steps: HeadStep[][][] = [];
    const reads: Vec[][] = [[]];
    let mems: Vec[] = [];
    let wPrev: Vec[][] = [];
    for (let b = 0; b < B; b++) {
      const mem = allocFloat(dtype, N * M).fill(MEMORY_INIT);
      mems.push(mem);
      const r0 = allocFloat(dtype, R * M);
      for (let i = 0; i < R * M; i++) r0[i] = Math.tanh(this.initRead.value.data[i]);
      reads[0].push(r0);
      const ws: Vec[] = [];
      for (let h = 0; h < nHeads; h++) {
        const w0 = allocFloat(dtype, N);
        softmaxInto(this.initWeighting.value.data, h * N, N, w0, 0);
        ws.push(w0);
      }
      wPrev.push(ws);
    }
    const ctrlIn = allocFloat(dtype, B * (X + R * M));
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const row = b * (X + R * M);
        for (let i = 0; i < X; i++) ctrlIn[row + i] = x.data[(t * B + b) * X + i];
        ctrlIn.set(reads[t][b], row + X);
      }
      const h = this.controller.step(t, ctrlIn); // [B, H]
      // ξ_t = h_t W_ξᵀ + b_ξ   [B, P]
      be.gemm(false, true, B, P, H, 1, h, 0, H, this.headWeight.value.data, 0, H, 0, xi, t * B * P, P);
      be.addRowVector(xi, t * B * P, B, P, this.headBias.value.data, 0);
      const stepCaches: HeadStep[][] = [];
      const stepReads: Vec[] = [];
      const nextW: Vec[][] = [];
      const nextMems: Vec[] = [];
      for (let b = 0; b < B; b++) {
        const heads: HeadStep[] = [];
        let mem = mems[b];
        let off = (t * B + b) * P;
        for (let hd = 0; hd < Wh; hd++) {
          const hs = this.address(xi.subarray(off, off + this.headSize(true)), mem, wPrev[b][hd], true);
          off += this.headSize(true);
          heads.push(hs);
          mem = writeForward(mem, N, M, hs.sharp.w, hs.erase as Vec, hs.add as Vec); // eqs. 3–4
        }
        const r = allocFloat(dtype, R * M);
        for (let hd = 0; hd < R; hd++) {
          const hs = this.address(
            xi.subarray(off, off + this.headSize(false)),
            mem,
            wPrev[b][Wh + hd],
            false,
          );
          off += this.headSize(false);
          heads.push(hs);
          r.set(readForward(mem, N, M, hs.sharp.w), hd * M); // eq. 2
        }
        stepCaches.push(heads);
        stepReads.push(r);
        nextW.push(heads.map((hs) => hs.sharp.w));
        nextMems.push(mem);
        const o = (t * B + b) * (H + R * M);
        for (let i = 0; i < H; i++) outIn.data[o + i] = h[b * H + i];
        outIn.data.set(r, o + H);
      }
      steps.push(stepCaches);
      reads.push(stepReads);
      wPrev = nextW;
      mems = nextMems;
    }
    this.cache = { T, B, steps, reads, xi, outIn, memFinal: mems };
    return this.output.forward(outIn);
  }

  /** Eqs. 5–9 for one head on one row, from its raw parameters. */
  private address(raw: Vec, mem: Vec, wPrev: Vec, write: boolean): HeadStep {
    const { memoryWidth: M, memorySlots: N, dtype } = this.config;
    const S = this.shiftCount;
    const key = allocFloat(dtype, M);
    for (let j = 0; j < M; j++) key[j] = Math.tanh(raw[j]);
    const beta = softplus(raw[M]);
    const g = sigmoid(raw[M + 1]);
    const s = allocFloat(dtype, S);
    softmaxInto(raw, M + 2, S, s, 0);
    const gamma = 1 + softplus(raw[M + 2 + S]);
    const content = contentForward(mem, N, M, key, beta); // eqs. 5–6
    const wg = interpolateForward(content.w, wPrev, g); // eq. 7
    const wShift = shiftForward(wg, s); // eq. 8
    const sharp = sharpenForward(wShift, gamma); // eq. 9
    let erase: Vec | null = null;
    let add: Vec | null = null;
    if (write) {
      erase = allocFloat(dtype, M);
      add = allocFloat(dtype, M);
      const e0 = M + 3 + S;
      for (let j = 0; j < M; j++) {
        erase[j] = sigmoid(raw[e0 + j]);
        add[j] = Math.tanh(raw[e0 + M + j]);
      }
    }
    return { raw, key, beta, g, s, gamma, content, wPrev, wg, wShift, sharp, memBefore: mem, erase, add };
  }

  /**
   * Backward of eqs. 5–9 for one head: dw is ∂L/∂w_t. Adds ∂L/∂M into dMem, ∂L/∂w_{t−1}
   * into dWPrev, and writes ∂L/∂(raw parameters) into dRaw (erase/add slots are filled by the caller).
   */
  private addressBackward(hs: HeadStep, dw: Vec, dMem: Vec, dWPrev: Vec, dRaw: Vec): void {
    const { memoryWidth: M, memorySlots: N, dtype } = this.config;
    const S = this.shiftCount;
    const dWShift = allocFloat(dtype, N);
    const dGamma = sharpenBackward(hs.sharp, dw, dWShift);
    const dWg = allocFloat(dtype, N);
    const dS = allocFloat(dtype, S);
    shiftBackward(hs.wg, hs.s, dWShift, dWg, dS);
    const dWc = allocFloat(dtype, N);
    const dG = interpolateBackward(hs.content.w, hs.wPrev, hs.g, dWg, dWc, dWPrev);
    const dKey = allocFloat(dtype, M);
    const dBeta = contentBackward(hs.content, dWc, dMem, dKey);
    const raw = hs.raw;
    for (let j = 0; j < M; j++) dRaw[j] = tanhGrad(hs.key[j], dKey[j]);
    dRaw[M] = softplusGrad(raw[M], dBeta);
    dRaw[M + 1] = sigmoidGrad(hs.g, dG);
    softmaxGradInto(hs.s, 0, dS, 0, S, dRaw, M + 2);
    dRaw[M + 2 + S] = softplusGrad(raw[M + 2 + S], dGamma);
  }

  /** Backpropagate ∂L/∂logits [T, B, outputSize] through every step; gradients accumulate. */
  backward(dLogits: Tensor): void {
    const cache = this.cache;
    if (!cache) throw new KiokuError('NTM.backward: call forward first');
    const { T, B, steps, reads } = cache;
    const c = this.config;
    const {
      hiddenSize: H,
      memoryWidth: M,
      memorySlots: N,
      readHeads: R,
      writeHeads: Wh,
      inputSize: X,
      dtype,
    } = c;
    const be = getBackend();
    const P = this.headParamCount();
    const S = this.shiftCount;
    const nHeads = Wh + R;
    const dOutIn = this.output.backward(dLogits); // [T, B, H + R·M]
    const dXi = allocFloat(dtype, B * P);
    const dh = allocFloat(dtype, B * H);
    const dIn = allocFloat(dtype, B * (X + R * M));
    // Carried from step t + 1: ∂L/∂M_t, ∂L/∂w_t per head, ∂L/∂r_t (through the controller input).
    const dMem: Vec[] = Array.from({ length: B }, () => allocFloat(dtype, N * M));
    let dW: Vec[][] = Array.from({ length: B }, () =>
      Array.from({ length: nHeads }, () => allocFloat(dtype, N)),
    );
    const dR: Vec[] = Array.from({ length: B }, () => allocFloat(dtype, R * M));
    this.controller.beginBackward();
    for (let t = T - 1; t >= 0; t--) {
      const dWPrev: Vec[][] = [];
      for (let b = 0; b < B; b++) {
        const heads = steps[t][b];
        const o = (t * B + b) * (H + R * M);
        for (let i = 0; i < H; i++) dh[b * H + i] = dOutIn.data[o + i];
        const dr = dR[b];
        for (let i = 0; i < R * M; i++) dr[i] += dOutIn.data[o + H + i];
        const dwp = Array.from({ length: nHeads }, () => allocFloat(dtype, N));
        let off = P;
        // Read heads, last first: eq. 2 then eqs. 9 → 5.
        for (let hd = R - 1; hd >= 0; hd--) {
          const hs = heads[Wh + hd];
          const size = this.headSize(false);
          off -= size;
          const dw = dW[b][Wh + hd];
          readBackward(hs.memBefore, N, M, hs.sharp.w, dr.subarray(hd * M, (hd + 1) * M), dMem[b], dw);
          this.addressBackward(hs, dw, dMem[b], dwp[Wh + hd], dXi.subarray(b * P + off, b * P + off + size));
        }
        // Write heads, last first: eqs. 3–4 turn ∂L/∂M_after into ∂L/∂M_before, then eqs. 9 → 5.
        for (let hd = Wh - 1; hd >= 0; hd--) {
          const hs = heads[hd];
          const size = this.headSize(true);
          off -= size;
          const dw = dW[b][hd];
          const dE = allocFloat(dtype, M);
          const dA = allocFloat(dtype, M);
          writeBackward(hs.memBefore, N, M, hs.sharp.w, hs.erase as Vec, hs.add as Vec, dMem[b], dw, dE, dA);
          const dRaw = dXi.subarray(b * P + off, b * P + off + size);
          this.addressBackward(hs, dw, dMem[b], dwp[hd], dRaw);
          const e0 = M + 3 + S;
          for (let j = 0; j < M; j++) {
            dRaw[e0 + j] = sigmoidGrad((hs.erase as Vec)[j], dE[j]);
            dRaw[e0 + M + j] = tanhGrad((hs.add as Vec)[j], dA[j]);
          }
        }
        dWPrev.push(dwp);
      }
      // ξ_t = h_t W_ξᵀ + b_ξ:  ∂h_t += ∂ξ W_ξ,  ∂W_ξ += ∂ξᵀ h_t,  ∂b_ξ += Σ ∂ξ
      const h = this.controller.hidden(t);
      be.gemm(false, false, B, H, P, 1, dXi, 0, P, this.headWeight.value.data, 0, H, 1, dh, 0, H);
      be.gemm(true, false, P, H, B, 1, dXi, 0, P, h, 0, H, 1, this.headWeight.grad.data, 0, H);
      be.sumRowsAccumulate(dXi, 0, B, P, this.headBias.grad.data, 0);
      this.controller.backStep(t, dh, dIn);
      for (let b = 0; b < B; b++) {
        dR[b].set(dIn.subarray(b * (X + R * M) + X, (b + 1) * (X + R * M)));
      }
      dW = dWPrev;
    }
    // r_0 = tanh(b_r), w_0 = softmax(b_w): the learned initial state (Collier & Beel 2018).
    const dInitW = allocFloat(dtype, N);
    for (let b = 0; b < B; b++) {
      const r0 = reads[0][b];
      for (let i = 0; i < R * M; i++) this.initRead.grad.data[i] += tanhGrad(r0[i], dR[b][i]);
      for (let hd = 0; hd < nHeads; hd++) {
        const w0 = steps[0][b][hd].wPrev;
        softmaxGradInto(w0, 0, dW[b][hd], 0, N, dInitW, 0);
        for (let i = 0; i < N; i++) this.initWeighting.grad.data[hd * N + i] += dInitW[i];
      }
    }
  }

  /** Weightings, reads and memory of batch row `b` from the last forward. */
  trace(b = 0): NTMTrace {
    const cache = this.cache;
    if (!cache) throw new KiokuError('NTM.trace: call forward first');
    const { T, steps, reads } = cache;
    const nHeads = this.config.writeHeads + this.config.readHeads;
    const weightings: number[][][] = Array.from({ length: nHeads }, (_, hd) =>
      Array.from({ length: T }, (_, t) => Array.from(steps[t][b][hd].sharp.w)),
    );
    const memory: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      // The memory after step t is what step t + 1's first write head saw (or M_T at the end).
      const next = t + 1 < T ? steps[t + 1][b][0].memBefore : cache.memFinal[b];
      memory.push(Float64Array.from(next));
    }
    return { weightings, memory, reads: reads.slice(1).map((r) => Array.from(r[b])) };
  }
}
