/**
 * The Differentiable Neural Computer (Graves et al. 2016, Nature 538:471, Methods): an LSTM
 * controller emitting an interface vector ξ_t that drives one write head with dynamic
 * allocation and R read heads that read by content or follow the temporal link matrix
 * forwards or backwards. The operations are in `dnc-ops.ts` (allocation, linkage) and
 * `addressing.ts` (content lookup C(M, k, β), read, erase/add write).
 *
 * One step t, per batch row (W = slot width):
 *   h_t = LSTM([x_t; r_{t−1}], h_{t−1});   ξ_t = W_ξ h_t + b_ξ split into
 *     read keys k^{r,i} [W], read strengths β^{r,i} = oneplus, write key k^w, β^w = oneplus,
 *     erase e = σ, write vector v, free gates f^i = σ, allocation gate g^a = σ,
 *     write gate g^w = σ, read modes π^i = softmax over (backward, content, forward)
 *   ψ_t = Π_i (1 − f^i w^{r,i}_{t−1});   u_t = (u_{t−1} + w^w_{t−1} − u_{t−1} ∘ w^w_{t−1}) ∘ ψ_t
 *   a_t = allocation(u_t);   c^w = C(M_{t−1}, k^w, β^w);   w^w_t = g^w [g^a a_t + (1 − g^a) c^w]
 *   M_t = M_{t−1} ∘ (E − w^w eᵀ) + w^w vᵀ
 *   L_t, p_t from w^w_t;   f^i = L_t w^{r,i}_{t−1},  b^i = L_tᵀ w^{r,i}_{t−1},  c^{r,i} = C(M_t, k^{r,i}, β^{r,i})
 *   w^{r,i}_t = π^i_1 b^i + π^i_2 c^{r,i} + π^i_3 f^i;   r^i_t = M_tᵀ w^{r,i}_t
 *   y_t = W_y [h_t; r_t] + b_y
 *
 * The memory starts at a small constant (as for the NTM, Collier & Beel 2018) so that
 * cosine similarity is defined; usage, precedence, links, weightings and reads start at 0.
 *
 * ```ts
 * const dnc = new DNC({ inputSize: 9, outputSize: 8, hiddenSize: 64, memorySlots: 32, memoryWidth: 16, readHeads: 2 });
 * const logits = dnc.forward(x);   // [T, B, 9] → [T, B, 8]
 * dnc.backward(dLogits);
 * ```
 */
import { Linear } from '../../nn/linear.js';
import { Module, Parameter } from '../../nn/module.js';
import type { Backend } from '../../tensor/backend.js';
import { getBackend } from '../../tensor/current-backend.js';
import type { MemoryKernels } from '../../tensor/memory-kernels.js';
import { type DType, expectShape, type FloatArray, Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { sigmoid, sigmoidGrad, softmaxGradInto, softmaxInto, softplus, softplusGrad } from './addressing.js';
import { memoryOps } from './batched-ops.js';
import { StepController } from './controller.js';
import {
  type AllocationCache,
  allocationBackward,
  allocationForward,
  readModeBackward,
  readModeForward,
  retentionBackward,
  retentionForward,
  usageBackward,
  usageForward,
  writeWeightingBackward,
  writeWeightingForward,
} from './dnc-ops.js';
import { MEMORY_INIT } from './ntm.js';

export interface DNCConfig {
  inputSize: number;
  outputSize: number;
  hiddenSize: number;
  memorySlots: number;
  memoryWidth: number;
  /** R read heads (default 2). */
  readHeads?: number;
  dtype?: DType;
  seed?: number;
}

/** The memory state between steps, for all B rows. */
interface DNCState {
  mem: FloatArray; // [B, N, W]
  usage: FloatArray; // [B, N]
  prec: FloatArray; // [B, N] p
  link: FloatArray; // [B, N, N]
  ww: FloatArray; // [B, N] w^w
  wr: FloatArray[]; // [R] → [B, N] w^{r,i}
  r: FloatArray; // [B, R·W]
}

/** Content lookup C(M, k, β) [B, N] with the cache of its backward. */
interface Content {
  key: FloatArray; // [B, W]
  beta: FloatArray; // [B]
  w: FloatArray; // [B, N]
  dots: FloatArray; // [B, N]
  rowNorm: FloatArray; // [B, N]
  sim: FloatArray; // [B, N]
  keyNorm: FloatArray; // [B]
}

/** The offsets of each field inside ξ (paper's interface vector). */
interface Interface {
  readKeys: number;
  readStrengths: number;
  writeKey: number;
  writeStrength: number;
  erase: number;
  writeVector: number;
  freeGates: number;
  allocGate: number;
  writeGate: number;
  readModes: number;
  size: number;
}

/** What one step computed for all rows (typed cache for backward). */
interface DNCStep {
  prev: DNCState;
  next: DNCState;
  xi: FloatArray; // [B, P] raw interface (a view of the forward's ξ)
  freeGates: FloatArray; // [B, R]
  allocGate: FloatArray; // [B]
  writeGate: FloatArray; // [B]
  erase: FloatArray; // [B, W]
  writeVector: FloatArray; // [B, W]
  modes: FloatArray; // [B, 3R]
  psi: FloatArray; // [B, N]
  alloc: AllocationCache[]; // [B]
  writeContent: Content; // on M_{t−1}, key k^w, strength β^w
  forward: FloatArray[]; // [R] → [B, N] f^i
  backward: FloatArray[]; // [R] → [B, N] b^i
  readContent: Content[]; // [R] on M_t
}

export interface DNCTrace {
  /** [t] → [N] write weighting. */
  write: number[][];
  /** [head][t] → [N] read weightings. */
  read: number[][][];
  /** [t] → [R, 3] read modes (backward, content, forward). */
  modes: number[][];
  /** [t] → [N] usage. */
  usage: number[][];
  /** [t] → [N·W] memory after step t. */
  memory: Float64Array[];
}

export class DNC extends Module {
  readonly config: Required<DNCConfig>;
  readonly controller: StepController;
  readonly output: Linear;
  readonly interfaceWeight: Parameter; // [P, H]
  readonly interfaceBias: Parameter; // [P]
  readonly layout: Interface;
  private cache: { T: number; B: number; steps: DNCStep[] } | null = null;

  constructor(config: DNCConfig) {
    super();
    const where = 'DNC';
    const c: Required<DNCConfig> = { readHeads: 2, dtype: 'float32', seed: 0, ...config };
    for (const k of [
      'inputSize',
      'outputSize',
      'hiddenSize',
      'memorySlots',
      'memoryWidth',
      'readHeads',
    ] as const) {
      checkNumber(where, k, c[k], { min: 1, integer: true });
    }
    this.config = c;
    const { hiddenSize: H, memoryWidth: W, readHeads: R } = c;
    let o = 0;
    const take = (n: number): number => {
      const at = o;
      o += n;
      return at;
    };
    this.layout = {
      readKeys: take(R * W),
      readStrengths: take(R),
      writeKey: take(W),
      writeStrength: take(1),
      erase: take(W),
      writeVector: take(W),
      freeGates: take(R),
      allocGate: take(1),
      writeGate: take(1),
      readModes: take(3 * R),
      size: 0,
    };
    this.layout.size = o; // R·W + 3W + 5R + 3, as in the paper
    this.controller = new StepController({
      inputSize: c.inputSize + R * W,
      hiddenSize: H,
      dtype: c.dtype,
      seed: c.seed,
    });
    this.output = new Linear({
      inFeatures: H + R * W,
      outFeatures: c.outputSize,
      dtype: c.dtype,
      seed: c.seed + 1,
    });
    this.interfaceWeight = Parameter.zeros('interface_weight', [o, H], c.dtype);
    this.interfaceBias = Parameter.zeros('interface_bias', [o], c.dtype);
    const rng = new Rng(c.seed + 2);
    const bound = 1 / Math.sqrt(H);
    for (let i = 0; i < o * H; i++) this.interfaceWeight.value.data[i] = rng.uniformRange(-bound, bound);
    for (let i = 0; i < o; i++) this.interfaceBias.value.data[i] = rng.uniformRange(-bound, bound);
  }

  protected override ownParameters(): Parameter[] {
    return [this.interfaceWeight, this.interfaceBias];
  }

  protected override children(): [string, Module][] {
    return [
      ['controller', this.controller],
      ['output', this.output],
    ];
  }

  /** The state before step 0 for B rows: memory at the small constant, everything else 0. */
  private initialState(be: Backend, B: number): DNCState {
    const { memorySlots: N, memoryWidth: W, readHeads: R, dtype } = this.config;
    const a = (n: number): FloatArray => be.alloc(dtype, n);
    return {
      mem: a(B * N * W).fill(MEMORY_INIT),
      usage: a(B * N),
      prec: a(B * N),
      link: a(B * N * N),
      ww: a(B * N),
      wr: Array.from({ length: R }, () => a(B * N)),
      r: a(B * R * W),
    };
  }

  /** Logits [T, B, outputSize] for x [T, B, inputSize]. */
  forward(x: Tensor): Tensor {
    const c = this.config;
    expectShape('DNC.forward', 'x', x, [null, null, c.inputSize], ['T', 'B']);
    const [T, B] = x.shape;
    const { hiddenSize: H, memoryWidth: W, readHeads: R, inputSize: X, dtype } = c;
    const P = this.layout.size;
    const be = getBackend();
    const ops = memoryOps(dtype);
    this.controller.begin(T, B);
    const xi = be.alloc(dtype, T * B * P);
    const outIn = new Tensor(be.alloc(dtype, T * B * (H + R * W)), [T, B, H + R * W]);
    let state = this.initialState(be, B);
    const steps: DNCStep[] = [];
    const ctrlIn = be.alloc(dtype, B * (X + R * W));
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const row = b * (X + R * W);
        for (let i = 0; i < X; i++) ctrlIn[row + i] = x.data[(t * B + b) * X + i];
        ctrlIn.set(state.r.subarray(b * R * W, (b + 1) * R * W), row + X);
      }
      const h = this.controller.step(t, ctrlIn);
      be.gemm(false, true, B, P, H, 1, h, 0, H, this.interfaceWeight.value.data, 0, H, 0, xi, t * B * P, P);
      be.addRowVector(xi, t * B * P, B, P, this.interfaceBias.value.data, 0);
      const s = this.step(be, ops, B, state, xi.subarray(t * B * P, (t + 1) * B * P));
      steps.push(s);
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * (H + R * W);
        outIn.data.set(h.subarray(b * H, (b + 1) * H), o);
        outIn.data.set(s.next.r.subarray(b * R * W, (b + 1) * R * W), o + H);
      }
      state = s.next;
    }
    this.cache = { T, B, steps };
    return this.output.forward(outIn);
  }

  /** One memory step for all B rows from their raw interface vectors xi [B, P]. */
  private step(be: Backend, ops: MemoryKernels, B: number, prev: DNCState, xi: FloatArray): DNCStep {
    const { memorySlots: N, memoryWidth: W, readHeads: R, dtype } = this.config;
    const L = this.layout;
    const P = L.size;
    const a = (n: number): FloatArray => be.alloc(dtype, n);
    const content = (): Content => ({
      key: a(B * W),
      beta: a(B),
      w: a(B * N),
      dots: a(B * N),
      rowNorm: a(B * N),
      sim: a(B * N),
      keyNorm: a(B),
    });
    const writeContent = content();
    const readContent = Array.from({ length: R }, content);
    const erase = a(B * W);
    const writeVector = a(B * W);
    const freeGates = a(B * R);
    const allocGate = a(B);
    const writeGate = a(B);
    const modes = a(B * 3 * R);
    // The interface vector's activations, row by row (a few numbers each).
    for (let b = 0; b < B; b++) {
      const o = b * P;
      for (let i = 0; i < R; i++) {
        readContent[i].key.set(xi.subarray(o + L.readKeys + i * W, o + L.readKeys + (i + 1) * W), b * W);
        readContent[i].beta[b] = 1 + softplus(xi[o + L.readStrengths + i]); // oneplus
        freeGates[b * R + i] = sigmoid(xi[o + L.freeGates + i]);
        softmaxInto(xi, o + L.readModes + 3 * i, 3, modes, b * 3 * R + 3 * i);
      }
      writeContent.key.set(xi.subarray(o + L.writeKey, o + L.writeKey + W), b * W);
      writeContent.beta[b] = 1 + softplus(xi[o + L.writeStrength]);
      for (let j = 0; j < W; j++) {
        erase[b * W + j] = sigmoid(xi[o + L.erase + j]);
        writeVector[b * W + j] = xi[o + L.writeVector + j];
      }
      allocGate[b] = sigmoid(xi[o + L.allocGate]);
      writeGate[b] = sigmoid(xi[o + L.writeGate]);
    }
    // Dynamic allocation (retention ψ, usage u, the free list): O(R·N + N log N) per row.
    const psi = a(B * N);
    const usage = a(B * N);
    const allocA = a(B * N);
    const alloc: AllocationCache[] = [];
    const wrPrevRow = be.alloc(dtype, R * N); // [R, N] of one row
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < R; i++) wrPrevRow.set(prev.wr[i].subarray(b * N, (b + 1) * N), i * N);
      const p = retentionForward(freeGates.subarray(b * R, (b + 1) * R), wrPrevRow, N);
      psi.set(p, b * N);
      const u = usageForward(
        prev.usage.subarray(b * N, (b + 1) * N),
        prev.ww.subarray(b * N, (b + 1) * N),
        p,
      );
      usage.set(u, b * N);
      const ac = allocationForward(u);
      alloc.push(ac);
      allocA.set(ac.a, b * N);
    }
    // Write weighting from allocation and content lookup on M_{t−1}, then write, then link.
    const { key, beta, w: cw, dots, rowNorm, sim, keyNorm } = writeContent;
    ops.contentForward({ B, N, M: W, mem: prev.mem, key, beta, w: cw, dots, rowNorm, sim, keyNorm });
    const ww = a(B * N);
    for (let b = 0; b < B; b++) {
      const row = (v: FloatArray): FloatArray => v.subarray(b * N, (b + 1) * N);
      ww.set(writeWeightingForward(row(allocA), row(cw), allocGate[b], writeGate[b]), b * N);
    }
    const mem = a(B * N * W);
    ops.writeForward({ B, N, M: W, memPrev: prev.mem, w: ww, erase, add: writeVector, mem });
    const link = a(B * N * N);
    const prec = a(B * N);
    ops.linkForward({ B, N, LPrev: prev.link, pPrev: prev.prec, ww, L: link, p: prec });
    // Read heads: forward/backward weightings through L_t, content lookup on M_t, read modes.
    const wr: FloatArray[] = [];
    const r = a(B * R * W);
    const r1 = a(B * W);
    const forward: FloatArray[] = [];
    const backward: FloatArray[] = [];
    for (let i = 0; i < R; i++) {
      const f = a(B * N);
      const bw = a(B * N);
      ops.linkReadForward({ B, N, L: link, w: prev.wr[i], transpose: false, out: f });
      ops.linkReadForward({ B, N, L: link, w: prev.wr[i], transpose: true, out: bw });
      const rc = readContent[i];
      ops.contentForward({ B, N, M: W, mem, ...rc });
      const w = a(B * N);
      for (let b = 0; b < B; b++) {
        const row = (v: FloatArray): FloatArray => v.subarray(b * N, (b + 1) * N);
        w.set(readModeForward(modes, b * 3 * R + 3 * i, row(bw), row(rc.w), row(f)), b * N);
      }
      ops.readForward({ B, N, M: W, mem, w, r: r1 });
      for (let b = 0; b < B; b++) r.set(r1.subarray(b * W, (b + 1) * W), b * R * W + i * W);
      wr.push(w);
      forward.push(f);
      backward.push(bw);
    }
    return {
      prev,
      next: { mem, usage, prec, link, ww, wr, r },
      xi,
      freeGates,
      allocGate,
      writeGate,
      erase,
      writeVector,
      modes,
      psi,
      alloc,
      writeContent,
      forward,
      backward,
      readContent,
    };
  }

  /** Backpropagate ∂L/∂logits [T, B, outputSize]; gradients accumulate. */
  backward(dLogits: Tensor): void {
    const cache = this.cache;
    if (!cache) throw new KiokuError('DNC.backward: call forward first');
    const { T, B, steps } = cache;
    const { hiddenSize: H, memoryWidth: W, readHeads: R, inputSize: X, dtype } = this.config;
    const P = this.layout.size;
    const be = getBackend();
    const ops = memoryOps(dtype);
    const dOutIn = this.output.backward(dLogits);
    let g = this.zeroGrads(be, B);
    const dXi = be.alloc(dtype, B * P);
    const dh = be.alloc(dtype, B * H);
    const dIn = be.alloc(dtype, B * (X + R * W));
    this.controller.beginBackward();
    for (let t = T - 1; t >= 0; t--) {
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * (H + R * W);
        for (let i = 0; i < H; i++) dh[b * H + i] = dOutIn.data[o + i];
        for (let i = 0; i < R * W; i++) g.r[b * R * W + i] += dOutIn.data[o + H + i];
      }
      const d = this.stepBackward(be, ops, B, steps[t], g, dXi);
      const h = this.controller.hidden(t);
      be.gemm(false, false, B, H, P, 1, dXi, 0, P, this.interfaceWeight.value.data, 0, H, 1, dh, 0, H);
      be.gemm(true, false, P, H, B, 1, dXi, 0, P, h, 0, H, 1, this.interfaceWeight.grad.data, 0, H);
      be.sumRowsAccumulate(dXi, 0, B, P, this.interfaceBias.grad.data, 0);
      this.controller.backStep(t, dh, dIn);
      for (let b = 0; b < B; b++)
        d.r.set(dIn.subarray(b * (X + R * W) + X, (b + 1) * (X + R * W)), b * R * W);
      g = d;
    }
  }

  /** A zero state for B rows: the shape of ∂L/∂(state). */
  private zeroGrads(be: Backend, B: number): DNCState {
    const s = this.initialState(be, B);
    s.mem.fill(0);
    return s;
  }

  /**
   * Backward of one step for all rows: `g` holds ∂L/∂(state after the step) (r only from
   * the output so far); returns ∂L/∂(state before), r left for the caller, and writes
   * ∂L/∂ξ_raw into dXi [B, P]. `g`'s buffers are reused (its memory gradient becomes the
   * returned one).
   */
  private stepBackward(
    be: Backend,
    ops: MemoryKernels,
    B: number,
    s: DNCStep,
    g: DNCState,
    dXi: FloatArray,
  ): DNCState {
    const { memorySlots: N, memoryWidth: W, readHeads: R, dtype } = this.config;
    const L = this.layout;
    const P = L.size;
    const { prev } = s;
    const a = (n: number): FloatArray => be.alloc(dtype, n);
    const d: DNCState = {
      mem: g.mem, // ∂L/∂M_t, turned into ∂L/∂M_{t−1} by the write's backward below
      usage: a(B * N),
      prec: a(B * N),
      link: a(B * N * N),
      ww: a(B * N),
      wr: Array.from({ length: R }, () => a(B * N)),
      r: a(B * R * W),
    };
    const dMem = g.mem;
    const dModes = a(B * 3 * R);
    const dReadKeys = Array.from({ length: R }, () => a(B * W));
    const dReadStrengths = Array.from({ length: R }, () => a(B));
    const dr1 = a(B * W);
    const dB = a(B * N);
    const dC = a(B * N);
    const dF = a(B * N);
    for (let i = 0; i < R; i++) {
      const w = s.next.wr[i];
      const dw = g.wr[i];
      for (let b = 0; b < B; b++) dr1.set(g.r.subarray(b * R * W + i * W, b * R * W + (i + 1) * W), b * W);
      ops.readBackward({ B, N, M: W, mem: s.next.mem, w, dr: dr1, dMem, dW: dw });
      dB.fill(0);
      dC.fill(0);
      dF.fill(0);
      const rc = s.readContent[i];
      for (let b = 0; b < B; b++) {
        const row = (v: FloatArray): FloatArray => v.subarray(b * N, (b + 1) * N);
        const m = b * 3 * R + 3 * i;
        readModeBackward(
          s.modes,
          m,
          row(s.backward[i]),
          row(rc.w),
          row(s.forward[i]),
          row(dw),
          dModes,
          m,
          row(dB),
          row(dC),
          row(dF),
        );
      }
      ops.contentBackward({
        ...{ B, N, M: W, mem: s.next.mem, ...rc },
        ...{ dw: dC, dMem, dKey: dReadKeys[i], dBeta: dReadStrengths[i] },
      });
      ops.linkReadBackward({
        B,
        N,
        L: s.next.link,
        w: prev.wr[i],
        transpose: false,
        dOut: dF,
        dL: g.link,
        dW: d.wr[i],
      });
      ops.linkReadBackward({
        B,
        N,
        L: s.next.link,
        w: prev.wr[i],
        transpose: true,
        dOut: dB,
        dL: g.link,
        dW: d.wr[i],
      });
    }
    const dWw = g.ww;
    ops.linkBackward({
      B,
      N,
      LPrev: prev.link,
      pPrev: prev.prec,
      ww: s.next.ww,
      dL: g.link,
      dp: g.prec,
      dLPrev: d.link,
      dPPrev: d.prec,
      dWw,
    });
    const dErase = a(B * W);
    const dWriteVector = a(B * W);
    ops.writeBackward({
      ...{ B, N, M: W, memPrev: prev.mem, w: s.next.ww, erase: s.erase, add: s.writeVector },
      ...{ dMem, dW: dWw, dErase, dAdd: dWriteVector },
    });
    const dA = a(B * N);
    const dCw = a(B * N);
    const dAllocGate = a(B);
    const dWriteGate = a(B);
    const wc = s.writeContent;
    for (let b = 0; b < B; b++) {
      const row = (v: FloatArray): FloatArray => v.subarray(b * N, (b + 1) * N);
      [dAllocGate[b], dWriteGate[b]] = writeWeightingBackward(
        s.alloc[b].a,
        row(wc.w),
        s.allocGate[b],
        s.writeGate[b],
        row(dWw),
        row(dA),
        row(dCw),
      );
    }
    const dWriteKey = a(B * W);
    const dWriteStrength = a(B);
    ops.contentBackward({
      ...{ B, N, M: W, mem: prev.mem, ...wc },
      ...{ dw: dCw, dMem: d.mem, dKey: dWriteKey, dBeta: dWriteStrength },
    });
    const dPsi = a(B * N);
    const dFree = a(B * R);
    const wrPrevRow = be.alloc(dtype, R * N);
    const dWrPrevRow = be.alloc(dtype, R * N);
    for (let b = 0; b < B; b++) {
      const row = (v: FloatArray): FloatArray => v.subarray(b * N, (b + 1) * N);
      allocationBackward(s.alloc[b], row(dA), row(g.usage));
      usageBackward(
        row(prev.usage),
        row(prev.ww),
        row(s.psi),
        row(g.usage),
        row(d.usage),
        row(d.ww),
        row(dPsi),
      );
      for (let i = 0; i < R; i++) wrPrevRow.set(row(prev.wr[i]), i * N);
      dWrPrevRow.fill(0);
      retentionBackward(
        s.freeGates.subarray(b * R, (b + 1) * R),
        wrPrevRow,
        N,
        row(dPsi),
        dFree.subarray(b * R, (b + 1) * R),
        dWrPrevRow,
      );
      for (let i = 0; i < R; i++) {
        const dw = row(d.wr[i]);
        for (let n = 0; n < N; n++) dw[n] += dWrPrevRow[i * N + n];
      }
    }
    // Raw interface gradients through the activations.
    const xi = s.xi;
    for (let b = 0; b < B; b++) {
      const o = b * P;
      for (let i = 0; i < R; i++) {
        dXi.set(dReadKeys[i].subarray(b * W, (b + 1) * W), o + L.readKeys + i * W);
        dXi[o + L.readStrengths + i] = softplusGrad(xi[o + L.readStrengths + i], dReadStrengths[i][b]);
        dXi[o + L.freeGates + i] = sigmoidGrad(s.freeGates[b * R + i], dFree[b * R + i]);
        softmaxGradInto(
          s.modes,
          b * 3 * R + 3 * i,
          dModes,
          b * 3 * R + 3 * i,
          3,
          dXi,
          o + L.readModes + 3 * i,
        );
      }
      dXi.set(dWriteKey.subarray(b * W, (b + 1) * W), o + L.writeKey);
      dXi[o + L.writeStrength] = softplusGrad(xi[o + L.writeStrength], dWriteStrength[b]);
      for (let j = 0; j < W; j++) dXi[o + L.erase + j] = sigmoidGrad(s.erase[b * W + j], dErase[b * W + j]);
      dXi.set(dWriteVector.subarray(b * W, (b + 1) * W), o + L.writeVector);
      dXi[o + L.allocGate] = sigmoidGrad(s.allocGate[b], dAllocGate[b]);
      dXi[o + L.writeGate] = sigmoidGrad(s.writeGate[b], dWriteGate[b]);
    }
    return d;
  }

  /** Weightings, modes, usage and memory of batch row `b` from the last forward. */
  trace(b = 0): DNCTrace {
    const cache = this.cache;
    if (!cache) throw new KiokuError('DNC.trace: call forward first');
    const { B, steps } = cache;
    if (!Number.isInteger(b) || b < 0 || b >= B)
      throw new KiokuError(`DNC.trace: row must be an integer in [0, ${B}), got ${b}`);
    const { memorySlots: N, memoryWidth: W, readHeads: R } = this.config;
    const row = (v: FloatArray, n = N): number[] => Array.from(v.subarray(b * n, (b + 1) * n));
    return {
      write: steps.map((s) => row(s.next.ww)),
      read: Array.from({ length: R }, (_, i) => steps.map((s) => row(s.next.wr[i]))),
      modes: steps.map((s) => row(s.modes, 3 * R)),
      usage: steps.map((s) => row(s.next.usage)),
      memory: steps.map((s) => Float64Array.from(s.next.mem.subarray(b * N * W, (b + 1) * N * W))),
    };
  }
}
