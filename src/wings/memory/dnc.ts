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
import { getBackend } from '../../tensor/current-backend.js';
import { allocFloat, type DType, expectShape, Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import {
  type ContentCache,
  contentBackward,
  contentForward,
  readBackward,
  readForward,
  sigmoid,
  sigmoidGrad,
  softmaxGradInto,
  softmaxInto,
  softplus,
  softplusGrad,
  type Vec,
  writeBackward,
  writeForward,
} from './addressing.js';
import { StepController } from './controller.js';
import {
  type AllocationCache,
  allocationBackward,
  allocationForward,
  linkBackward,
  linkForward,
  linkReadBackward,
  linkReadForward,
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

/** The memory state between steps for one row. */
interface DNCState {
  mem: Vec; // [N, W]
  usage: Vec; // [N]
  prec: Vec; // [N] p
  link: Vec; // [N, N]
  ww: Vec; // [N] w^w
  wr: Vec; // [R, N] w^r
  r: Vec; // [R, W]
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

/** What one row computed at one step (typed cache for backward). */
interface DNCStep {
  prev: DNCState;
  next: DNCState;
  xi: Vec; // raw interface [P]
  readKeys: Vec; // [R, W]
  readStrengths: Vec; // [R]
  writeKey: Vec; // [W]
  writeStrength: number;
  erase: Vec; // [W]
  writeVector: Vec; // [W]
  freeGates: Vec; // [R]
  allocGate: number;
  writeGate: number;
  modes: Vec; // [R, 3]
  psi: Vec;
  alloc: AllocationCache;
  writeContent: ContentCache;
  forward: Vec[]; // [R] f^i
  backward: Vec[]; // [R] b^i
  readContent: ContentCache[]; // [R]
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
  private cache: { T: number; B: number; steps: DNCStep[][] } | null = null;

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

  private initialState(): DNCState {
    const { memorySlots: N, memoryWidth: W, readHeads: R, dtype } = this.config;
    return {
      mem: allocFloat(dtype, N * W).fill(MEMORY_INIT),
      usage: allocFloat(dtype, N),
      prec: allocFloat(dtype, N),
      link: allocFloat(dtype, N * N),
      ww: allocFloat(dtype, N),
      wr: allocFloat(dtype, R * N),
      r: allocFloat(dtype, R * W),
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
    this.controller.begin(T, B);
    const xi = allocFloat(dtype, T * B * P);
    const outIn = Tensor.zeros([T, B, H + R * W], dtype);
    let states = Array.from({ length: B }, () => this.initialState());
    const steps: DNCStep[][] = [];
    const ctrlIn = allocFloat(dtype, B * (X + R * W));
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const row = b * (X + R * W);
        for (let i = 0; i < X; i++) ctrlIn[row + i] = x.data[(t * B + b) * X + i];
        ctrlIn.set(states[b].r, row + X);
      }
      const h = this.controller.step(t, ctrlIn);
      be.gemm(false, true, B, P, H, 1, h, 0, H, this.interfaceWeight.value.data, 0, H, 0, xi, t * B * P, P);
      be.addRowVector(xi, t * B * P, B, P, this.interfaceBias.value.data, 0);
      const row: DNCStep[] = [];
      for (let b = 0; b < B; b++) {
        const s = this.step(states[b], xi.subarray((t * B + b) * P, (t * B + b + 1) * P));
        row.push(s);
        const o = (t * B + b) * (H + R * W);
        for (let i = 0; i < H; i++) outIn.data[o + i] = h[b * H + i];
        outIn.data.set(s.next.r, o + H);
      }
      steps.push(row);
      states = row.map((s) => s.next);
    }
    this.cache = { T, B, steps };
    return this.output.forward(outIn);
  }

  /** One memory step for one row from its raw interface vector. */
  private step(prev: DNCState, xi: Vec): DNCStep {
    const { memorySlots: N, memoryWidth: W, readHeads: R, dtype } = this.config;
    const L = this.layout;
    const readKeys = xi.slice(L.readKeys, L.readKeys + R * W);
    const readStrengths = allocFloat(dtype, R);
    for (let i = 0; i < R; i++) readStrengths[i] = 1 + softplus(xi[L.readStrengths + i]); // oneplus
    const writeKey = xi.slice(L.writeKey, L.writeKey + W);
    const writeStrength = 1 + softplus(xi[L.writeStrength]);
    const erase = allocFloat(dtype, W);
    for (let j = 0; j < W; j++) erase[j] = sigmoid(xi[L.erase + j]);
    const writeVector = xi.slice(L.writeVector, L.writeVector + W);
    const freeGates = allocFloat(dtype, R);
    for (let i = 0; i < R; i++) freeGates[i] = sigmoid(xi[L.freeGates + i]);
    const allocGate = sigmoid(xi[L.allocGate]);
    const writeGate = sigmoid(xi[L.writeGate]);
    const modes = allocFloat(dtype, 3 * R);
    for (let i = 0; i < R; i++) softmaxInto(xi, L.readModes + 3 * i, 3, modes, 3 * i);

    const psi = retentionForward(freeGates, prev.wr, N);
    const usage = usageForward(prev.usage, prev.ww, psi);
    const alloc = allocationForward(usage);
    const writeContent = contentForward(prev.mem, N, W, writeKey, writeStrength);
    const ww = writeWeightingForward(alloc.a, writeContent.w, allocGate, writeGate);
    const mem = writeForward(prev.mem, N, W, ww, erase, writeVector);
    const { L: link, p: prec } = linkForward(prev.link, prev.prec, ww);
    const wr = allocFloat(dtype, R * N);
    const r = allocFloat(dtype, R * W);
    const forward: Vec[] = [];
    const backward: Vec[] = [];
    const readContent: ContentCache[] = [];
    for (let i = 0; i < R; i++) {
      const wPrev = prev.wr.subarray(i * N, (i + 1) * N);
      const f = linkReadForward(link, N, wPrev, false);
      const bw = linkReadForward(link, N, wPrev, true);
      const cr = contentForward(mem, N, W, readKeys.subarray(i * W, (i + 1) * W), readStrengths[i]);
      const w = readModeForward(modes, 3 * i, bw, cr.w, f);
      wr.set(w, i * N);
      r.set(readForward(mem, N, W, w), i * W);
      forward.push(f);
      backward.push(bw);
      readContent.push(cr);
    }
    return {
      prev,
      next: { mem, usage, prec, link, ww, wr, r },
      xi,
      readKeys,
      readStrengths,
      writeKey,
      writeStrength,
      erase,
      writeVector,
      freeGates,
      allocGate,
      writeGate,
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
    const dOutIn = this.output.backward(dLogits);
    let grads = Array.from({ length: B }, () => this.zeroGrads());
    const dXi = allocFloat(dtype, B * P);
    const dh = allocFloat(dtype, B * H);
    const dIn = allocFloat(dtype, B * (X + R * W));
    this.controller.beginBackward();
    for (let t = T - 1; t >= 0; t--) {
      const prevGrads: DNCState[] = [];
      for (let b = 0; b < B; b++) {
        const g = grads[b];
        const o = (t * B + b) * (H + R * W);
        for (let i = 0; i < H; i++) dh[b * H + i] = dOutIn.data[o + i];
        for (let i = 0; i < R * W; i++) g.r[i] += dOutIn.data[o + H + i];
        prevGrads.push(this.stepBackward(steps[t][b], g, dXi.subarray(b * P, (b + 1) * P)));
      }
      const h = this.controller.hidden(t);
      be.gemm(false, false, B, H, P, 1, dXi, 0, P, this.interfaceWeight.value.data, 0, H, 1, dh, 0, H);
      be.gemm(true, false, P, H, B, 1, dXi, 0, P, h, 0, H, 1, this.interfaceWeight.grad.data, 0, H);
      be.sumRowsAccumulate(dXi, 0, B, P, this.interfaceBias.grad.data, 0);
      this.controller.backStep(t, dh, dIn);
      for (let b = 0; b < B; b++)
        prevGrads[b].r.set(dIn.subarray(b * (X + R * W) + X, (b + 1) * (X + R * W)));
      grads = prevGrads;
    }
  }

  /** A zero state: the shape of ∂L/∂(state). */
  private zeroGrads(): DNCState {
    const s = this.initialState();
    s.mem.fill(0);
    return s;
  }

  /**
   * Backward of one step for one row: `g` holds ∂L/∂(state after the step) (r only from
   * the output so far); returns ∂L/∂(state before), r left for the caller, and writes
   * ∂L/∂ξ_raw into dXi.
   */
  private stepBackward(s: DNCStep, g: DNCState, dXi: Vec): DNCState {
    const { memorySlots: N, memoryWidth: W, readHeads: R, dtype } = this.config;
    const L = this.layout;
    const { prev } = s;
    const d = this.zeroGrads(); // ∂L/∂(previous state)
    const dMem = g.mem; // accumulates ∂L/∂M_t, then becomes ∂L/∂M_{t−1} in writeBackward
    const dLink = g.link;
    const dWw = g.ww;
    const dModes = allocFloat(dtype, 3 * R);
    const dReadKeys = allocFloat(dtype, R * W);
    const dReadStrengths = allocFloat(dtype, R);
    for (let i = 0; i < R; i++) {
      const w = s.next.wr.subarray(i * N, (i + 1) * N);
      const dw = g.wr.subarray(i * N, (i + 1) * N);
      readBackward(s.next.mem, N, W, w, g.r.subarray(i * W, (i + 1) * W), dMem, dw);
      const dB = allocFloat(dtype, N);
      const dC = allocFloat(dtype, N);
      const dF = allocFloat(dtype, N);
      readModeBackward(
        s.modes,
        3 * i,
        s.backward[i],
        s.readContent[i].w,
        s.forward[i],
        dw,
        dModes,
        3 * i,
        dB,
        dC,
        dF,
      );
      dReadStrengths[i] = contentBackward(s.readContent[i], dC, dMem, dReadKeys.subarray(i * W, (i + 1) * W));
      const wPrev = prev.wr.subarray(i * N, (i + 1) * N);
      const dWPrev = d.wr.subarray(i * N, (i + 1) * N);
      linkReadBackward(s.next.link, N, wPrev, false, dF, dLink, dWPrev);
      linkReadBackward(s.next.link, N, wPrev, true, dB, dLink, dWPrev);
    }
    linkBackward(prev.link, prev.prec, s.next.ww, dLink, g.prec, d.link, d.prec, dWw);
    const dErase = allocFloat(dtype, W);
    const dWriteVector = allocFloat(dtype, W);
    writeBackward(prev.mem, N, W, s.next.ww, s.erase, s.writeVector, dMem, dWw, dErase, dWriteVector);
    d.mem.set(dMem);
    const dA = allocFloat(dtype, N);
    const dCw = allocFloat(dtype, N);
    const [dAllocGate, dWriteGate] = writeWeightingBackward(
      s.alloc.a,
      s.writeContent.w,
      s.allocGate,
      s.writeGate,
      dWw,
      dA,
      dCw,
    );
    const dWriteKey = allocFloat(dtype, W);
    const dWriteStrength = contentBackward(s.writeContent, dCw, d.mem, dWriteKey);
    const dUsage = g.usage;
    allocationBackward(s.alloc, dA, dUsage);
    const dPsi = allocFloat(dtype, N);
    usageBackward(prev.usage, prev.ww, s.psi, dUsage, d.usage, d.ww, dPsi);
    const dFree = allocFloat(dtype, R);
    retentionBackward(s.freeGates, prev.wr, N, dPsi, dFree, d.wr);
    // Raw interface gradients through the activations.
    const xi = s.xi;
    dXi.set(dReadKeys, L.readKeys);
    for (let i = 0; i < R; i++) {
      dXi[L.readStrengths + i] = softplusGrad(xi[L.readStrengths + i], dReadStrengths[i]);
      dXi[L.freeGates + i] = sigmoidGrad(s.freeGates[i], dFree[i]);
      softmaxGradInto(s.modes, 3 * i, dModes, 3 * i, 3, dXi, L.readModes + 3 * i);
    }
    dXi.set(dWriteKey, L.writeKey);
    dXi[L.writeStrength] = softplusGrad(xi[L.writeStrength], dWriteStrength);
    for (let j = 0; j < W; j++) dXi[L.erase + j] = sigmoidGrad(s.erase[j], dErase[j]);
    dXi.set(dWriteVector, L.writeVector);
    dXi[L.allocGate] = sigmoidGrad(s.allocGate, dAllocGate);
    dXi[L.writeGate] = sigmoidGrad(s.writeGate, dWriteGate);
    return d;
  }

  /** Weightings, modes, usage and memory of batch row `b` from the last forward. */
  trace(b = 0): DNCTrace {
    const cache = this.cache;
    if (!cache) throw new KiokuError('DNC.trace: call forward first');
    const { N, R } = { N: this.config.memorySlots, R: this.config.readHeads };
    const rows = cache.steps.map((row) => row[b]);
    return {
      write: rows.map((s) => Array.from(s.next.ww)),
      read: Array.from({ length: R }, (_, i) =>
        rows.map((s) => Array.from(s.next.wr.subarray(i * N, (i + 1) * N))),
      ),
      modes: rows.map((s) => Array.from(s.modes)),
      usage: rows.map((s) => Array.from(s.next.usage)),
      memory: rows.map((s) => Float64Array.from(s.next.mem)),
    };
  }
}
