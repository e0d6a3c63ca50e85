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
import type { Backend } from '../../tensor/backend.js';
import { getBackend } from '../../tensor/current-backend.js';
import type { MemoryKernels } from '../../tensor/memory-kernels.js';
import { keep } from '../../tensor/scope.js';
import { allocFloat, type DType, expectShape, type FloatArray, Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import {
  sigmoid,
  sigmoidGrad,
  softmaxGradInto,
  softmaxInto,
  softplus,
  softplusGrad,
  tanhGrad,
} from './addressing.js';
import { memoryOps } from './batched-ops.js';
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

/**
 * What one head computed at one step for all B rows (the typed cache of its backward). The
 * eqs. 5–9 chain: content `wc` → interpolated `wg` → shifted `wShift` → sharpened `w`.
 */
interface HeadStep {
  key: FloatArray; // [B, M] tanh(k̂)
  beta: FloatArray; // [B] softplus
  g: FloatArray; // [B] σ
  s: FloatArray; // [B, S] softmax
  gamma: FloatArray; // [B] 1 + softplus
  betaRaw: FloatArray; // [B] the raw β̂ (softplus' needs its input)
  gammaRaw: FloatArray; // [B] the raw γ̂
  wc: FloatArray; // [B, N] eqs. 5–6, and its cache:
  dots: FloatArray; // [B, N]
  rowNorm: FloatArray; // [B, N]
  sim: FloatArray; // [B, N]
  keyNorm: FloatArray; // [B]
  wPrev: FloatArray; // [B, N]
  wg: FloatArray; // [B, N] eq. 7
  wShift: FloatArray; // [B, N] eq. 8
  w: FloatArray; // [B, N] eq. 9
  memBefore: FloatArray; // [B, N, M] the memory it addressed (and, for write heads, wrote into)
  erase: FloatArray | null; // [B, M] write heads only
  add: FloatArray | null; // [B, M]
}

interface NTMCache {
  T: number;
  B: number;
  steps: HeadStep[][]; // [t][head]  write heads first, then read heads
  reads: FloatArray[]; // [t + 1] → [B, R·M]; index 0 is r_0
  outIn: Tensor; // [T, B, H + R·M]
  memAfter: FloatArray[]; // [t] → [B, N, M] the memory after step t
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
  private history: FloatArray | null = null;

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
    const ops = memoryOps(c.dtype);
    const P = this.headParamCount();
    const nHeads = Wh + R;
    this.controller.begin(T, B);
    const xi = be.alloc(c.dtype, T * B * P);
    const outIn = new Tensor(be.alloc(c.dtype, T * B * (H + R * M)), [T, B, H + R * M]);
    // The memory after every write is kept for backward, in one workspace that every forward
    // reuses ([T·Wh + 1, B, N, M]): allocating and collecting it anew each training step cost
    // as much time as the memory operations themselves.
    const slab = B * N * M;
    const history = this.memoryHistory(be, (T * Wh + 1) * slab);
    let written = 0;
    // The initial state (Collier & Beel 2018): M_0 constant, r_0 = tanh(b_r), w_0 = softmax(b_w).
    let mem = history.subarray(0, slab).fill(MEMORY_INIT); // [B, N, M]
    const r0 = be.alloc(c.dtype, B * R * M); // [B, R·M]
    const w0: FloatArray[] = [];
    for (let hd = 0; hd < nHeads; hd++) w0.push(be.alloc(c.dtype, B * N));
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < R * M; i++) r0[b * R * M + i] = Math.tanh(this.initRead.value.data[i]);
      for (let hd = 0; hd < nHeads; hd++)
        softmaxInto(this.initWeighting.value.data, hd * N, N, w0[hd], b * N);
    }
    const reads: FloatArray[] = [r0];
    const steps: HeadStep[][] = [];
    const memAfter: FloatArray[] = [];
    let wPrev = w0;
    const ctrlIn = be.alloc(c.dtype, B * (X + R * M));
    const r1 = be.alloc(c.dtype, B * M); // one read head's r [B, M]
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const row = b * (X + R * M);
        for (let i = 0; i < X; i++) ctrlIn[row + i] = x.data[(t * B + b) * X + i];
        ctrlIn.set(reads[t].subarray(b * R * M, (b + 1) * R * M), row + X);
      }
      const h = this.controller.step(t, ctrlIn); // [B, H]
      // ξ_t = h_t W_ξᵀ + b_ξ   [B, P]
      be.gemm(false, true, B, P, H, 1, h, 0, H, this.headWeight.value.data, 0, H, 0, xi, t * B * P, P);
      be.addRowVector(xi, t * B * P, B, P, this.headBias.value.data, 0);
      const heads: HeadStep[] = [];
      let off = 0;
      for (let hd = 0; hd < Wh; hd++) {
        const hs = this.address(be, ops, B, xi, t * B * P + off, mem, wPrev[hd], true);
        off += this.headSize(true);
        heads.push(hs);
        written++;
        const next = history.subarray(written * slab, (written + 1) * slab);
        // eqs. 3–4
        ops.writeForward({
          B,
          N,
          M,
          memPrev: mem,
          w: hs.w,
          erase: nonNull(hs.erase),
          add: nonNull(hs.add),
          mem: next,
        });
        mem = next;
      }
      const r = be.alloc(c.dtype, B * R * M); // [B, R·M]
      for (let hd = 0; hd < R; hd++) {
        const hs = this.address(be, ops, B, xi, t * B * P + off, mem, wPrev[Wh + hd], false);
        off += this.headSize(false);
        heads.push(hs);
        ops.readForward({ B, N, M, mem, w: hs.w, r: r1 }); // eq. 2
        for (let b = 0; b < B; b++) r.set(r1.subarray(b * M, (b + 1) * M), b * R * M + hd * M);
      }
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * (H + R * M);
        outIn.data.set(h.subarray(b * H, (b + 1) * H), o);
        outIn.data.set(r.subarray(b * R * M, (b + 1) * R * M), o + H);
      }
      steps.push(heads);
      reads.push(r);
      memAfter.push(mem);
      wPrev = heads.map((hs) => hs.w);
    }
    this.cache = { T, B, steps, reads, outIn, memAfter };
    return this.output.forward(outIn);
  }

  /**
   * The memory-history workspace of at least n elements, kept across forwards (and out of
   * the Trainer's per-step memory scopes); it grows with the longest sequence seen. Views of
   * it in the cache stay valid until the next forward, which is all backward and `trace` need.
   */
  private memoryHistory(be: Backend, n: number): FloatArray {
    if (this.history === null || this.history.length < n) {
      this.history = be.alloc(this.config.dtype, n);
      keep(this.history);
    }
    return this.history;
  }

  /**
   * Eqs. 5–9 for one head on all B rows, from its raw parameters ξ[xiOff + b·P, …): the
   * activations here (per row, a few numbers each), the N × M work in the memory ops.
   */
  private address(
    be: Backend,
    ops: MemoryKernels,
    B: number,
    xi: FloatArray,
    xiOff: number,
    mem: FloatArray,
    wPrev: FloatArray,
    write: boolean,
  ): HeadStep {
    const { memoryWidth: M, memorySlots: N, dtype } = this.config;
    const S = this.shiftCount;
    const P = this.headParamCount();
    const a = (n: number): FloatArray => be.alloc(dtype, n);
    const hs: HeadStep = {
      key: a(B * M),
      beta: a(B),
      g: a(B),
      s: a(B * S),
      gamma: a(B),
      betaRaw: a(B),
      gammaRaw: a(B),
      wc: a(B * N),
      dots: a(B * N),
      rowNorm: a(B * N),
      sim: a(B * N),
      keyNorm: a(B),
      wPrev,
      wg: a(B * N),
      wShift: a(B * N),
      w: a(B * N),
      memBefore: mem,
      erase: write ? a(B * M) : null,
      add: write ? a(B * M) : null,
    };
    for (let b = 0; b < B; b++) {
      const raw = xiOff + b * P;
      for (let j = 0; j < M; j++) hs.key[b * M + j] = Math.tanh(xi[raw + j]);
      hs.betaRaw[b] = xi[raw + M];
      hs.beta[b] = softplus(xi[raw + M]);
      hs.g[b] = sigmoid(xi[raw + M + 1]);
      softmaxInto(xi, raw + M + 2, S, hs.s, b * S);
      hs.gammaRaw[b] = xi[raw + M + 2 + S];
      hs.gamma[b] = 1 + softplus(xi[raw + M + 2 + S]);
      if (hs.erase && hs.add) {
        const e0 = raw + M + 3 + S;
        for (let j = 0; j < M; j++) {
          hs.erase[b * M + j] = sigmoid(xi[e0 + j]);
          hs.add[b * M + j] = Math.tanh(xi[e0 + M + j]);
        }
      }
    }
    const { key, beta, wc: w, dots, rowNorm, sim, keyNorm } = hs;
    ops.contentForward({ B, N, M, mem, key, beta, w, dots, rowNorm, sim, keyNorm }); // eqs. 5–6
    ops.interpolateForward({ B, N, wc: hs.wc, wPrev, g: hs.g, out: hs.wg }); // eq. 7
    ops.shiftForward({ B, N, S, wg: hs.wg, s: hs.s, out: hs.wShift }); // eq. 8
    ops.sharpenForward({ B, N, wt: hs.wShift, gamma: hs.gamma, w: hs.w }); // eq. 9
    return hs;
  }

  /**
   * Backward of eqs. 5–9 for one head on all rows: dw [B, N] is ∂L/∂w_t. Adds ∂L/∂M into
   * dMem, ∂L/∂w_{t−1} into dWPrev, and writes ∂L/∂(raw k, β, g, s, γ) into dXi's rows at
   * xiOff (the caller fills the erase/add slots).
   */
  private addressBackward(
    ops: MemoryKernels,
    g: NTMGradScratch,
    hs: HeadStep,
    dw: FloatArray,
    dMem: FloatArray,
    dWPrev: FloatArray,
    dXi: FloatArray,
    xiOff: number,
  ): void {
    const { memoryWidth: M, memorySlots: N } = this.config;
    const { B } = g;
    const S = this.shiftCount;
    const P = this.headParamCount();
    g.dWShift.fill(0);
    g.dWg.fill(0);
    g.dS.fill(0);
    g.dWc.fill(0);
    g.dKey.fill(0);
    ops.sharpenBackward({
      B,
      N,
      wt: hs.wShift,
      gamma: hs.gamma,
      w: hs.w,
      dw,
      dWt: g.dWShift,
      dGamma: g.dGamma,
    });
    ops.shiftBackward({ B, N, S, wg: hs.wg, s: hs.s, dOut: g.dWShift, dWg: g.dWg, dS: g.dS });
    ops.interpolateBackward({
      B,
      N,
      wc: hs.wc,
      wPrev: hs.wPrev,
      g: hs.g,
      dOut: g.dWg,
      dWc: g.dWc,
      dWPrev,
      dG: g.dG,
    });
    const { key, beta, wc: w, dots, rowNorm, sim, keyNorm } = hs;
    ops.contentBackward({
      ...{ B, N, M, mem: hs.memBefore, key, beta, w, dots, rowNorm, sim, keyNorm },
      ...{ dw: g.dWc, dMem, dKey: g.dKey, dBeta: g.dBeta },
    });
    for (let b = 0; b < B; b++) {
      const o = xiOff + b * P;
      for (let j = 0; j < M; j++) dXi[o + j] = tanhGrad(hs.key[b * M + j], g.dKey[b * M + j]);
      dXi[o + M] = softplusGrad(hs.betaRaw[b], g.dBeta[b]);
      dXi[o + M + 1] = sigmoidGrad(hs.g[b], g.dG[b]);
      softmaxGradInto(hs.s, b * S, g.dS, b * S, S, dXi, o + M + 2);
      dXi[o + M + 2 + S] = softplusGrad(hs.gammaRaw[b], g.dGamma[b]);
    }
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
    const ops = memoryOps(dtype);
    const P = this.headParamCount();
    const S = this.shiftCount;
    const nHeads = Wh + R;
    const a = (n: number): FloatArray => be.alloc(dtype, n);
    const dOutIn = this.output.backward(dLogits); // [T, B, H + R·M]
    const dXi = a(B * P);
    const dh = a(B * H);
    const dIn = a(B * (X + R * M));
    const g: NTMGradScratch = {
      B,
      dWShift: a(B * N),
      dWg: a(B * N),
      dWc: a(B * N),
      dS: a(B * S),
      dKey: a(B * M),
      dBeta: a(B),
      dG: a(B),
      dGamma: a(B),
    };
    const dE = a(B * M);
    const dA = a(B * M);
    const dr1 = a(B * M); // one read head's ∂L/∂r [B, M]
    // Carried from step t + 1: ∂L/∂M_t, ∂L/∂w_t per head, ∂L/∂r_t (through the controller input).
    const dMem = a(B * N * M);
    let dW: FloatArray[] = Array.from({ length: nHeads }, () => a(B * N));
    const dR = a(B * R * M);
    this.controller.beginBackward();
    for (let t = T - 1; t >= 0; t--) {
      const heads = steps[t];
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * (H + R * M);
        for (let i = 0; i < H; i++) dh[b * H + i] = dOutIn.data[o + i];
        for (let i = 0; i < R * M; i++) dR[b * R * M + i] += dOutIn.data[o + H + i];
      }
      const dWPrev = Array.from({ length: nHeads }, () => a(B * N));
      let off = P;
      // Read heads, last first: eq. 2 then eqs. 9 → 5.
      for (let hd = R - 1; hd >= 0; hd--) {
        const hs = heads[Wh + hd];
        off -= this.headSize(false);
        for (let b = 0; b < B; b++) dr1.set(dR.subarray(b * R * M + hd * M, b * R * M + (hd + 1) * M), b * M);
        ops.readBackward({ B, N, M, mem: hs.memBefore, w: hs.w, dr: dr1, dMem, dW: dW[Wh + hd] });
        this.addressBackward(ops, g, hs, dW[Wh + hd], dMem, dWPrev[Wh + hd], dXi, off);
      }
      // Write heads, last first: eqs. 3–4 turn ∂L/∂M_after into ∂L/∂M_before, then eqs. 9 → 5.
      for (let hd = Wh - 1; hd >= 0; hd--) {
        const hs = heads[hd];
        off -= this.headSize(true);
        const erase = nonNull(hs.erase);
        const add = nonNull(hs.add);
        dE.fill(0);
        dA.fill(0);
        ops.writeBackward({
          B,
          N,
          M,
          memPrev: hs.memBefore,
          w: hs.w,
          erase,
          add,
          dMem,
          dW: dW[hd],
          dErase: dE,
          dAdd: dA,
        });
        this.addressBackward(ops, g, hs, dW[hd], dMem, dWPrev[hd], dXi, off);
        const e0 = off + M + 3 + S;
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < M; j++) {
            dXi[b * P + e0 + j] = sigmoidGrad(erase[b * M + j], dE[b * M + j]);
            dXi[b * P + e0 + M + j] = tanhGrad(add[b * M + j], dA[b * M + j]);
          }
        }
      }
      // ξ_t = h_t W_ξᵀ + b_ξ:  ∂h_t += ∂ξ W_ξ,  ∂W_ξ += ∂ξᵀ h_t,  ∂b_ξ += Σ ∂ξ
      const h = this.controller.hidden(t);
      be.gemm(false, false, B, H, P, 1, dXi, 0, P, this.headWeight.value.data, 0, H, 1, dh, 0, H);
      be.gemm(true, false, P, H, B, 1, dXi, 0, P, h, 0, H, 1, this.headWeight.grad.data, 0, H);
      be.sumRowsAccumulate(dXi, 0, B, P, this.headBias.grad.data, 0);
      this.controller.backStep(t, dh, dIn);
      for (let b = 0; b < B; b++) {
        dR.set(dIn.subarray(b * (X + R * M) + X, (b + 1) * (X + R * M)), b * R * M);
      }
      dW = dWPrev;
    }
    // r_0 = tanh(b_r), w_0 = softmax(b_w): the learned initial state (Collier & Beel 2018).
    const dInitW = allocFloat(dtype, N);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < R * M; i++)
        this.initRead.grad.data[i] += tanhGrad(reads[0][b * R * M + i], dR[b * R * M + i]);
      for (let hd = 0; hd < nHeads; hd++) {
        softmaxGradInto(steps[0][hd].wPrev, b * N, dW[hd], b * N, N, dInitW, 0);
        for (let i = 0; i < N; i++) this.initWeighting.grad.data[hd * N + i] += dInitW[i];
      }
    }
  }

  /** Weightings, reads and memory of batch row `b` from the last forward. */
  trace(b = 0): NTMTrace {
    const cache = this.cache;
    if (!cache) throw new KiokuError('NTM.trace: call forward first');
    const { T, B, steps, reads } = cache;
    if (!Number.isInteger(b) || b < 0 || b >= B)
      throw new KiokuError(`NTM.trace: row must be an integer in [0, ${B}), got ${b}`);
    const { memorySlots: N, memoryWidth: M, readHeads: R } = this.config;
    const nHeads = this.config.writeHeads + R;
    const weightings: number[][][] = Array.from({ length: nHeads }, (_, hd) =>
      Array.from({ length: T }, (_, t) => Array.from(steps[t][hd].w.subarray(b * N, (b + 1) * N))),
    );
    const memory = cache.memAfter.map((m) => Float64Array.from(m.subarray(b * N * M, (b + 1) * N * M)));
    return {
      weightings,
      memory,
      reads: reads.slice(1).map((r) => Array.from(r.subarray(b * R * M, (b + 1) * R * M))),
    };
  }
}

/** Scratch gradients of one head's eqs. 5–9, reused across heads and steps (zeroed before each use). */
interface NTMGradScratch {
  B: number;
  dWShift: FloatArray; // [B, N]
  dWg: FloatArray; // [B, N]
  dWc: FloatArray; // [B, N]
  dS: FloatArray; // [B, S]
  dKey: FloatArray; // [B, M]
  dBeta: FloatArray; // [B]
  dG: FloatArray; // [B]
  dGamma: FloatArray; // [B]
}

function nonNull<T>(v: T | null): T {
  if (v === null) throw new KiokuError('NTM: a write head lost its erase/add vectors');
  return v;
}
