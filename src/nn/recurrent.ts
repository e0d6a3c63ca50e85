import { type Backend, type RowMask } from '../tensor/backend.js';
import { getBackend } from '../tensor/current-backend.js';
import { withScope } from '../tensor/scope.js';
import type { DecoderCell } from '../tensor/decoder-kernels.js';
import { type DType, expectDType, expectShape, type FloatArray, Tensor } from '../tensor/tensor.js';
import { check, checkNumber, KiokuError, shapeToString } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { Dropout } from './dropout.js';
import { type InitScheme, initWeight_, pytorchRnnDefault_ } from './init.js';
import { Module, Parameter } from './module.js';

/** Options shared by `RNN`, `LSTM` and `GRU` (PyTorch's names where PyTorch has them). */
export interface RecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers; layer k > 0 reads layer k−1's output. Default 1. */
  numLayers?: number;
  /** Run a second direction from each sequence's end and concatenate. Default false. */
  bidirectional?: boolean;
  /** Inverted dropout on the outputs of every layer but the last (training only). Default 0. */
  dropout?: number;
  /** float32 (default) or float64 (gradient checks). */
  dtype?: DType;
  /** Seed of the initialisation and dropout RNG. Default 0. */
  seed?: number;
  /** Weight init: PyTorch's U(±1/√H) (default), Xavier, He or orthogonal; biases stay U(±1/√H). */
  init?: InitScheme;
  /** Gain for xavier/orthogonal init (orthogonal: the spectral radius of W_hh per gate). */
  initGain?: number;
  /**
   * Gradient checkpointing over time, in steps per segment (0, the default: off). Forward
   * keeps the cell state only at every k-th step and no gate activations; backward
   * recomputes one segment's activations from its boundary state, then runs BPTT through
   * it (Chen et al. 2016, "Training deep nets with sublinear memory cost"; Gruslys et al.
   * 2016, "Memory-efficient backpropagation through time"). A direction's cache shrinks from
   * T·(G + 2)·H to about T·H + k·(G + 1)·H + (T/k)·H floats per batch row, for one extra
   * forward pass of compute; √T is the classic k. The recomputation repeats the forward
   * pass's kernels, so gradients equal those without checkpointing (see `gradCheckpoint`).
   */
  gradCheckpoint?: number;
}

/**
 * The state a recurrent layer carries from one call to the next (truncated BPTT, sampling,
 * encoder → decoder), by slot: `h` for every cell, `c` for cells with a separate memory
 * (the LSTM's constant error carousel). Each slot is [numLayers·D, B, H].
 */
export interface RecurrentState {
  h: Tensor;
  c?: Tensor;
}

/** The names of the state slots a cell carries: ['h'] or ['h', 'c']. */
export type StateSlot = keyof RecurrentState;

/** The `forward` options that start from `state` (zeros when absent). */
export function fromState(state: RecurrentState | undefined): RecurrentForwardOptions {
  if (!state) return {};
  return state.c ? { h0: state.h, c0: state.c } : { h0: state.h };
}

/** The final state of a forward pass, to pass on to the next call. */
export function finalState(r: RecurrentForwardResult): RecurrentState {
  return r.cN ? { h: r.hN, c: r.cN } : { h: r.hN };
}

/** `forward` options: initial states and per-sequence lengths of a padded batch. */
export interface RecurrentForwardOptions {
  /** [numLayers·D, B, H]; zeros when absent. */
  h0?: Tensor;
  /** LSTM only: [numLayers·D, B, H]; zeros when absent. */
  c0?: Tensor;
  /** B lengths in [1, T]; steps t ≥ lengths[b] are padding: state frozen, output 0. */
  lengths?: ArrayLike<number>;
}

export interface RecurrentForwardResult {
  /** [T, B, D·H]: the last layer's h_t, directions concatenated (forward first). */
  output: Tensor;
  /** [numLayers·D, B, H]: each layer/direction's state at its sequence's end. */
  hN: Tensor;
  /** LSTM only: final cell states, like hN. */
  cN?: Tensor;
}

/**
 * What one layer and direction computed at every step of the last `forward`, copied out of
 * the pass's cache (see `RecurrentBase.recordedSteps`). Rows are time-major like `x`.
 */
export interface RecordedSteps {
  T: number;
  B: number;
  H: number;
  /**
   * [T, B, G·H] per-step activations as the cell's step kernel keeps them: LSTM σ(i), σ(f),
   * tanh(g), σ(o) in blocks of H; GRU σ(r), σ(z), tanh(n); RNN the pre-activation a_t.
   */
  gates: Float32Array;
  /** [T, B, H] the hidden state h_t after each step. */
  h: Float32Array;
  /** LSTM only: [T, B, H] the cell state c_t after each step. */
  c: Float32Array | null;
}

export interface RecurrentBackwardOptions {
  /** ∂L/∂hN [numLayers·D, B, H] (e.g. from the next truncated-BPTT chunk). */
  dhN?: Tensor;
  /** LSTM only: ∂L/∂cN. */
  dcN?: Tensor;
}

export interface RecurrentBackwardResult {
  dx: Tensor; // [T, B, inputSize]
  dh0: Tensor; // [numLayers·D, B, H]
  dc0?: Tensor; // LSTM only
}

/** The weights of one layer in one direction (PyTorch names and layouts). */
export interface DirectionWeights {
  wih: Parameter; // weight_ih_l{k}[_reverse]  [G·H, I]
  whh: Parameter; // weight_hh_l{k}[_reverse]  [G·H, H]
  bih: Parameter; // bias_ih_l{k}[_reverse]    [G·H]
  bhh: Parameter; // bias_hh_l{k}[_reverse]    [G·H]
  peep: Parameter | null; // LSTM peepholes (p_i, p_f, p_o) [3H], kioku extension
}

/**
 * What one direction of one layer keeps from forward for backward. States are stored in
 * "slots": for the forward direction h_{t−1} is slot t and h_t slot t+1; for the reverse
 * direction h_{t+1} is slot t+1 and h_t slot t. Either way the T previous states form one
 * contiguous [T, B, H] block, so ∂W_hh is one GEMM over all steps.
 */
export interface DirectionCache {
  reverse: boolean;
  x: FloatArray; // [T, B, I] the layer's input
  inputSize: number;
  gates: FloatArray; // [T, B, G·H] activations saved by the step kernel
  hs: FloatArray; // [T+1, B, H] hidden-state slots
  cs: FloatArray | null; // [T+1, B, H] LSTM cell-state slots
  hg: FloatArray | null; // [T, B, 3H] GRU h-side pre-activations (hn kept for backward)
  /**
   * Gradient checkpointing: `gates` and `cs` are then one segment's workspaces
   * ([k, B, G·H] and [k+1, B, H]) and the cell state lives only at segment boundaries.
   * null when every step's activations are kept.
   */
  ckpt: SegmentedCache | null;
}

/**
 * What a checkpointed direction keeps besides x and the h slots: the segment length and the
 * cell state at every segment boundary (slots 0, k, 2k, …, T).
 */
export interface SegmentedCache {
  k: number;
  /** Number of segments, ⌈T / k⌉; segment j covers steps [j·k, min((j+1)·k, T)). */
  count: number;
  /** LSTM only: [count + 1, B, H] c at slot min(j·k, T) for boundary j. */
  cBounds: FloatArray | null;
}

/** The steps [a, b) of segment j of a checkpointed direction. */
function segmentSpan(s: SegmentedCache, j: number, T: number): { a: number; b: number } {
  const a = j * s.k;
  return { a, b: Math.min(T, a + s.k) };
}

/**
 * Steps [a, b) of direction cache `c` as a cache of a sequence of its own (T = b − a): views
 * of x and of h slots a..b (so a segment's forward writes h_t in place), and the segment
 * workspaces for gates and c. The cell's forwardDirection / backwardSteps run on it as on
 * any sequence.
 */
function segmentView(
  c: DirectionCache,
  a: number,
  b: number,
  B: number,
  H: number,
  GH: number,
): DirectionCache {
  const n = b - a;
  return {
    reverse: c.reverse,
    x: c.x.subarray(a * B * c.inputSize, b * B * c.inputSize),
    inputSize: c.inputSize,
    gates: c.gates.subarray(0, n * B * GH),
    hs: c.hs.subarray(a * B * H, (b + 1) * B * H),
    cs: c.cs ? c.cs.subarray(0, (n + 1) * B * H) : null,
    hg: null,
    ckpt: null,
  };
}

/** Per-step geometry handed to the cell-specific hooks. */
export interface StepGeometry {
  T: number;
  B: number;
  H: number;
  be: Backend;
  masks: RowMask[]; // per time step
}

/**
 * A [B, H] view of direction cache `c`'s cell state at slot 0 or T (its initial or final
 * state): from the c slots, or with checkpointing from the first or last boundary. null for
 * cells without a cell state.
 */
function cellStateAt(c: DirectionCache, slot: number, B: number, H: number): FloatArray | null {
  if (c.ckpt) {
    const cb = c.ckpt.cBounds;
    const j = slot === 0 ? 0 : c.ckpt.count;
    return cb ? cb.subarray(j * B * H, (j + 1) * B * H) : null;
  }
  return c.cs ? c.cs.subarray(slot * B * H, (slot + 1) * B * H) : null;
}

/** The gradients one direction's BPTT loop reads and writes, besides the step geometry. */
export interface StepGrads extends StepGeometry {
  /** ∂L/∂output of this layer [T, B, D·H]; this direction's columns start at `dOutOff`. */
  dOut: FloatArray;
  dOutOff: number;
  dOutStride: number;
  /** [B, H] in: ∂L/∂h_N, out: ∂L/∂h_0. */
  dh: FloatArray;
  /** LSTM only: [B, H] in: ∂L/∂c_N, out: ∂L/∂c_0. */
  dc: FloatArray | null;
}

/** `StepGrads` plus ∂L/∂x, which the weight-gradient GEMMs after the loop fill. */
export interface DirectionGrads extends StepGrads {
  /** [T, B, I] ∂L/∂x, accumulated (+=) over directions. */
  dx: FloatArray;
}

/**
 * ∂L/∂(pre-activations) of every step, [T, B, G·H]: the x-side sums (`dIn`, for ∂W_ih,
 * ∂b_ih, ∂x) and the h-side sums (`dRec`, for ∂W_hh, ∂b_hh). One array for cells whose
 * pre-activation is x-side + h-side; two for the GRU, whose r gates the h-side n term.
 */
export interface PreactGrads {
  dIn: FloatArray;
  dRec: FloatArray;
}

/** Steps [a, b) of `d` (each array viewed over rows a·B … b·B of width GH). */
function preactRows(d: PreactGrads, a: number, b: number, B: number, GH: number): PreactGrads {
  const dIn = d.dIn.subarray(a * B * GH, b * B * GH);
  return { dIn, dRec: d.dRec === d.dIn ? dIn : d.dRec.subarray(a * B * GH, b * B * GH) };
}

export function prevSlot(t: number, reverse: boolean): number {
  return reverse ? t + 1 : t;
}
export function outSlot(t: number, reverse: boolean): number {
  return reverse ? t : t + 1;
}

interface ForwardCache {
  be: Backend;
  T: number;
  B: number;
  masks: RowMask[];
  dirs: DirectionCache[][]; // [layer][direction]
  drops: Dropout[]; // dropout applied to each layer's output before the next layer
}

/**
 * The machinery common to RNN, LSTM and GRU: parameters under PyTorch names, stacking,
 * bidirectionality, padded batches with lengths, initial/final states, and the
 * layer-by-layer backward pass. Subclasses supply the cell: how many gate blocks it has
 * (`gateCount`), and how one direction runs forward and backward over a sequence.
 */
/**
 * The number of trainable scalars of a (stacked, optionally bidirectional) RNN/GRU/LSTM,
 * without building it — what `RecurrentBase` allocates: per layer k and direction,
 * W_ih [G·H, I_k], W_hh [G·H, H], b_ih and b_hh [G·H] (+ 3H peepholes), with G gate blocks
 * (RNN 1, GRU 3, LSTM 4), I_0 = inputSize and I_k = D·H above. Model loaders compare such
 * counts with the stored weights before allocating anything.
 *
 * ```ts
 * countRecurrentParameters({ gates: 4, inputSize: 2, hiddenSize: 5, numLayers: 1 }); // 4·5·(2+5) + 2·4·5 = 180
 * ```
 */
export function countRecurrentParameters(o: {
  gates: number;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional?: boolean;
  peephole?: boolean;
}): number {
  const D = o.bidirectional ? 2 : 1;
  const H = o.hiddenSize;
  const G = o.gates;
  let n = 0;
  for (let k = 0; k < o.numLayers; k++) {
    const I = k === 0 ? o.inputSize : D * H;
    n += D * (G * H * (I + H) + 2 * G * H + (o.peephole ? 3 * H : 0));
  }
  return n;
}

export abstract class RecurrentBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly dropout: number;
  readonly dtype: DType;
  /** Gate blocks stacked in the weight matrices: 4 LSTM (i,f,g,o), 3 GRU (r,z,n), 1 RNN. */
  readonly gateCount: number;
  protected readonly weights: DirectionWeights[][] = []; // [layer][direction]
  /** Draws the initial weights and the inter-layer dropout masks; its state belongs in a resumable checkpoint. */
  readonly rng: Rng;
  private cache: ForwardCache | null = null;
  private _gradCheckpoint = 0;

  protected constructor(
    protected readonly kindName: string,
    opts: RecurrentOptions,
    gateCount: number,
    withPeepholes: boolean,
  ) {
    super();
    this.gateCount = gateCount;
    const where = kindName;
    if (opts === null || typeof opts !== 'object') throw new KiokuError(`${where}: options object required`);
    this.inputSize = checkNumber(where, 'inputSize', opts.inputSize, { min: 1, integer: true });
    this.hiddenSize = checkNumber(where, 'hiddenSize', opts.hiddenSize, { min: 1, integer: true });
    this.numLayers = checkNumber(where, 'numLayers', opts.numLayers ?? 1, { min: 1, integer: true });
    this.dropout = checkNumber(where, 'dropout', opts.dropout ?? 0, { min: 0, max: 0.999999 });
    this.bidirectional = opts.bidirectional ?? false;
    if (typeof this.bidirectional !== 'boolean')
      throw new KiokuError(`${where}: bidirectional must be a boolean`);
    this.dtype = opts.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new KiokuError(
        `${where}: dtype must be 'float32' or 'float64', got ${JSON.stringify(opts.dtype)}`,
      );
    }
    this.rng = new Rng(opts.seed ?? 0);
    this.gradCheckpoint = opts.gradCheckpoint ?? 0;
    const H = this.hiddenSize;
    const G = gateCount;
    const D = this.numDirections;
    for (let k = 0; k < this.numLayers; k++) {
      const layer: DirectionWeights[] = [];
      const I = k === 0 ? this.inputSize : D * H;
      for (let d = 0; d < D; d++) {
        const sfx = `_l${k}${d === 1 ? '_reverse' : ''}`;
        layer.push({
          wih: Parameter.zeros(`weight_ih${sfx}`, [G * H, I], this.dtype),
          whh: Parameter.zeros(`weight_hh${sfx}`, [G * H, H], this.dtype),
          bih: Parameter.zeros(`bias_ih${sfx}`, [G * H], this.dtype),
          bhh: Parameter.zeros(`bias_hh${sfx}`, [G * H], this.dtype),
          peep: withPeepholes ? Parameter.zeros(`weight_peephole${sfx}`, [3 * H], this.dtype) : null,
        });
      }
      this.weights.push(layer);
    }
    this.initialize(opts.init ?? 'pytorch', opts.initGain);
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /**
   * Gradient checkpointing: steps per recomputed segment, 0 = off (see
   * `RecurrentOptions.gradCheckpoint`). Takes effect at the next `forward`.
   *
   * Gradients equal those without checkpointing: bit for bit on the reference backend, and
   * on the WASM backend whenever a segment's input projection (k·B rows) takes the same
   * GEMM path as the whole sequence's (T·B rows); where a short segment switches the GEMM
   * to its small-M path they differ by float32 rounding only.
   *
   * ```ts
   * const lstm = new LSTM({ inputSize: 3, hiddenSize: 400, numLayers: 3, gradCheckpoint: 20 });
   * lstm.gradCheckpoint = 0; // keep every step again
   * ```
   */
  get gradCheckpoint(): number {
    return this._gradCheckpoint;
  }

  set gradCheckpoint(k: number) {
    this._gradCheckpoint = checkNumber(this.kindName, 'gradCheckpoint', k, { min: 0, integer: true });
  }

  /**
   * (Re)initialise every parameter: weights by `scheme`, biases (and peepholes) by
   * PyTorch's U(±1/√H). Orthogonal init treats each gate block of W_hh separately.
   */
  initialize(scheme: InitScheme = 'pytorch', gain?: number): void {
    const H = this.hiddenSize;
    for (const layer of this.weights) {
      for (const w of layer) {
        // Same draw order as PyTorch's reset_parameters for the default scheme.
        initWeight_(w.wih.value, scheme, this.rng, { hiddenSize: H, gain });
        initWeight_(w.whh.value, scheme, this.rng, { hiddenSize: H, gain, blocks: this.gateCount });
        pytorchRnnDefault_(w.bih.value, H, this.rng);
        pytorchRnnDefault_(w.bhh.value, H, this.rng);
        if (w.peep) pytorchRnnDefault_(w.peep.value, H, this.rng);
      }
    }
  }

  protected override ownParameters(): Parameter[] {
    const out: Parameter[] = [];
    for (const layer of this.weights) {
      for (const w of layer) {
        out.push(w.wih, w.whh, w.bih, w.bhh);
        if (w.peep) out.push(w.peep);
      }
    }
    return out;
  }

  /** The parameters of layer `layer`, direction `direction` (0 forward, 1 reverse). */
  directionWeights(layer: number, direction = 0): DirectionWeights {
    const w = this.weights[layer]?.[direction];
    if (!w) throw new KiokuError(`${this.kindName}: no layer ${layer} direction ${direction}`);
    return w;
  }

  /** Whether this cell keeps a cell state (LSTM). */
  protected get hasCellState(): boolean {
    return false;
  }

  /**
   * Which fused decoding kernel runs this cell one token at a time (`StepDecoder` in
   * step-decoder.ts), or null for cells that have none (the layers' `forward` runs then).
   */
  get decoderCell(): DecoderCell | null {
    return null;
  }

  /** The state slots this cell carries: ['h'], or ['h', 'c'] with a cell state. */
  get stateSlots(): readonly StateSlot[] {
    return this.hasCellState ? ['h', 'c'] : ['h'];
  }

  /** A zero state for a batch of B: every slot [numLayers·D, B, H]. */
  zeroState(B: number): RecurrentState {
    const shape = [this.numLayers * this.numDirections, B, this.hiddenSize];
    const h = Tensor.zeros(shape, this.dtype);
    return this.hasCellState ? { h, c: Tensor.zeros(shape, this.dtype) } : { h };
  }

  /**
   * Run one direction forward over the whole sequence (all of `g.T` steps of `c`); fills
   * c.gates, the h slots (and c slots) after the initial one, and whatever else the cell's
   * backward reads. Must be deterministic: checkpointing reruns it on segments.
   */
  protected abstract forwardDirection(w: DirectionWeights, c: DirectionCache, g: StepGeometry): void;

  /** Fresh ∂L/∂(pre-activation) buffers for `T` steps of a batch of `B` (see `PreactGrads`). */
  protected abstract preactGrads(be: Backend, T: number, B: number): PreactGrads;

  /**
   * The serial part of BPTT for one direction over `g.T` steps of `c`: `g.dOut` holds
   * ∂L/∂h_t from above for every t; `g.dh`/`g.dc` hold ∂L/∂h_N (and c_N) on entry and
   * ∂L/∂h_0 on exit. Writes every step's pre-activation gradients into `d` and accumulates
   * gradients of per-step parameters (peepholes); the weight-gradient GEMMs over all steps
   * follow in `weightGradients`.
   */
  protected abstract backwardSteps(
    w: DirectionWeights,
    c: DirectionCache,
    g: StepGrads,
    d: PreactGrads,
  ): void;

  /**
   * Run the stacked (bi)directional network over a padded, time-major batch.
   *
   * | tensor | shape |
   * |---|---|
   * | x | [T, B, inputSize] |
   * | h0, c0, hN, cN | [numLayers · D, B, H], D = 2 if bidirectional else 1 |
   * | output | [T, B, D · H] |
   */
  forward(x: Tensor, opts: RecurrentForwardOptions = {}): RecurrentForwardResult {
    const where = `${this.kindName}.forward`;
    expectShape(where, 'x', x, [null, null, this.inputSize], ['T', 'B']);
    expectDType(where, 'x', x, this.dtype);
    const [T, B] = x.shape;
    check(T > 0 && B > 0, `${where}: x must have T ≥ 1 and B ≥ 1, got ${shapeToString(x.shape)}`);
    const H = this.hiddenSize;
    const D = this.numDirections;
    const L = this.numLayers;
    const stateShape = [L * D, B, H];
    for (let i = 0; i < x.size; i++) {
      if (!Number.isFinite(x.data[i]))
        throw new KiokuError(`${where}: x contains ${x.data[i]} at flat index ${i}`);
    }
    if (opts.h0) {
      expectShape(where, 'h0', opts.h0, stateShape);
      expectDType(where, 'h0', opts.h0, this.dtype);
    }
    if (opts.c0) {
      if (!this.hasCellState) throw new KiokuError(`${where}: c0 is only for LSTM`);
      expectShape(where, 'c0', opts.c0, stateShape);
      expectDType(where, 'c0', opts.c0, this.dtype);
    }
    const masks = this.buildMasks(where, opts.lengths, T, B);
    const be = getBackend();
    const geom: StepGeometry = { T, B, H, be, masks };
    const hN = be.alloc(this.dtype, L * D * B * H);
    const cN = this.hasCellState ? be.alloc(this.dtype, L * D * B * H) : null;
    const dirs: DirectionCache[][] = [];
    const drops: Dropout[] = [];
    let input = x.data;
    let inputSize = this.inputSize;
    let out: FloatArray = input;
    for (let k = 0; k < L; k++) {
      out = be.alloc(this.dtype, T * B * D * H); // [T, B, D·H]
      const layerCaches: DirectionCache[] = [];
      for (let d = 0; d < D; d++) {
        const reverse = d === 1;
        const c = this.directionCache(reverse, input, inputSize, T, B);
        const s0 = (k * D + d) * B * H; // this layer/direction's block in h0/hN
        const first = reverse ? T : 0; // slot of the initial state
        if (opts.h0) c.hs.set(opts.h0.data.subarray(s0, s0 + B * H), first * B * H);
        const cFirst = cellStateAt(c, first, B, H);
        if (opts.c0 && cFirst) cFirst.set(opts.c0.data.subarray(s0, s0 + B * H));
        this.forwardAll(this.weights[k][d], c, geom);
        // Output: h_t for live rows, 0 past each sequence's end.
        for (let t = 0; t < T; t++) {
          const m = masks[t];
          const src = outSlot(t, reverse) * B * H;
          for (let b = 0; b < B; b++) {
            const o = (t * B + b) * D * H + d * H;
            if (m !== null && m[b] === 0) out.fill(0, o, o + H);
            else out.set(c.hs.subarray(src + b * H, src + (b + 1) * H), o);
          }
        }
        const last = reverse ? 0 : T; // slot of the final state
        hN.set(c.hs.subarray(last * B * H, (last + 1) * B * H), s0);
        const cLast = cellStateAt(c, last, B, H);
        if (cN && cLast) cN.set(cLast, s0);
        layerCaches.push(c);
      }
      dirs.push(layerCaches);
      if (k < L - 1) {
        // Dropout only between layers (non-recurrent connections; Zaremba et al. 2014).
        const drop = new Dropout(this.dropout, this.rng);
        const dropped = drop.forward(new Tensor(out, [T, B, D * H]), this.training && this.dropout > 0);
        drops.push(drop);
        input = dropped.data;
      }
      inputSize = D * H;
    }
    this.cache = { be, T, B, masks, dirs, drops };
    return {
      output: new Tensor(out, [T, B, D * H]),
      hN: new Tensor(hN, stateShape),
      ...(cN ? { cN: new Tensor(cN, stateShape) } : {}),
    };
  }

  /**
   * Backpropagation through time for the last `forward`. Parameter gradients are added
   * to each parameter's `grad` (call `zeroGrad()` between updates).
   */
  backward(dOutput: Tensor, opts: RecurrentBackwardOptions = {}): RecurrentBackwardResult {
    const where = `${this.kindName}.backward`;
    const cache = this.cache;
    if (!cache) throw new KiokuError(`${where}: call forward first`);
    const { be, T, B, masks } = cache;
    const H = this.hiddenSize;
    const D = this.numDirections;
    const L = this.numLayers;
    const stateShape = [L * D, B, H];
    expectShape(where, 'dOutput', dOutput, [T, B, D * H]);
    expectDType(where, 'dOutput', dOutput, this.dtype);
    if (opts.dhN) expectShape(where, 'dhN', opts.dhN, stateShape);
    if (opts.dcN) {
      if (!this.hasCellState) throw new KiokuError(`${where}: dcN is only for LSTM`);
      expectShape(where, 'dcN', opts.dcN, stateShape);
    }
    const geom: StepGeometry = { T, B, H, be, masks };
    const dh0 = be.alloc(this.dtype, L * D * B * H);
    const dc0 = this.hasCellState ? be.alloc(this.dtype, L * D * B * H) : null;
    let dOut: FloatArray = dOutput.data;
    let dx: FloatArray = dOut;
    for (let k = L - 1; k >= 0; k--) {
      const inputSize = cache.dirs[k][0].inputSize;
      dx = be.alloc(this.dtype, T * B * inputSize);
      for (let d = 0; d < D; d++) {
        const s0 = (k * D + d) * B * H;
        const dh = be.alloc(this.dtype, B * H);
        if (opts.dhN) dh.set(opts.dhN.data.subarray(s0, s0 + B * H));
        const dc = this.hasCellState ? be.alloc(this.dtype, B * H) : null;
        if (dc && opts.dcN) dc.set(opts.dcN.data.subarray(s0, s0 + B * H));
        const grads: DirectionGrads = { ...geom, dOut, dOutOff: d * H, dOutStride: D * H, dh, dc, dx };
        // The per-step gradient buffers of one direction are released as soon as its
        // weight gradients are taken: only one direction's are live at a time.
        withScope(() => this.backwardDirection(this.weights[k][d], cache.dirs[k][d], grads));
        dh0.set(dh, s0);
        if (dc0 && dc) dc0.set(dc, s0);
      }
      if (k > 0) {
        const dropped = cache.drops[k - 1].backward(new Tensor(dx, [T, B, inputSize]));
        dOut = dropped.data;
      }
    }
    return {
      dx: new Tensor(dx, [T, B, this.inputSize]),
      dh0: new Tensor(dh0, stateShape),
      ...(dc0 ? { dc0: new Tensor(dc0, stateShape) } : {}),
    };
  }

  /**
   * The internals of the last `forward` at every step — gate activations, h_t and (LSTM)
   * c_t — for layer `layer` and direction `direction` (0 forward, 1 reverse), copied so
   * they outlive the next pass. This is how visualisations read a cell (LSTMVis; Karpathy,
   * Johnson & Fei-Fei 2015) without re-implementing it: the step kernels already keep
   * these activations for backward.
   *
   * ```ts
   * lstm.forward(x);                          // x [T, B, I]
   * const { gates, c } = lstm.recordedSteps(); // gates [T, B, 4H]: i | f | g | o
   * const f = gates[(t * B + b) * 4 * H + H + j]; // forget gate of unit j at step t
   * ```
   */
  recordedSteps(layer = 0, direction = 0): RecordedSteps {
    const where = `${this.kindName}.recordedSteps`;
    const cache = this.cache;
    if (!cache) throw new KiokuError(`${where}: call forward first`);
    const c = cache.dirs[layer]?.[direction];
    if (!c) {
      throw new KiokuError(
        `${where}: no layer ${layer} direction ${direction} (have ${this.numLayers} layer(s), ${this.numDirections} direction(s))`,
      );
    }
    const { T, B } = cache;
    const H = this.hiddenSize;
    const GH = this.gateCount * H;
    // Slots: forward h_t is slot t+1, reverse h_t is slot t (see DirectionCache).
    const after = (reverse: boolean): number => (reverse ? 0 : B * H);
    const states = (slots: FloatArray, n: number, reverse: boolean): Float32Array =>
      Float32Array.from(slots.subarray(after(reverse), after(reverse) + n * B * H));
    const h = states(c.hs, T, c.reverse);
    const s = c.ckpt;
    if (s === null) {
      return {
        T,
        B,
        H,
        gates: Float32Array.from(c.gates.subarray(0, T * B * GH)),
        h,
        c: c.cs ? states(c.cs, T, c.reverse) : null,
      };
    }
    // Checkpointed: recompute each segment from its boundary, as backward does.
    const gates = new Float32Array(T * B * GH);
    const cells = c.cs ? new Float32Array(T * B * H) : null;
    const geom: StepGeometry = { T, B, H, be: cache.be, masks: cache.masks };
    for (let j = 0; j < s.count; j++) {
      withScope(() => {
        const { seg, a, b } = this.forwardSegment(this.weights[layer][direction], c, geom, j);
        gates.set(seg.gates.subarray(0, (b - a) * B * GH), a * B * GH);
        if (cells && seg.cs) cells.set(states(seg.cs, b - a, c.reverse), a * B * H);
      });
    }
    return { T, B, H, gates, h, c: cells };
  }

  /**
   * A direction's cache for a sequence of T steps: every step's activations, or with
   * gradient checkpointing one segment's workspaces and the boundary cell states.
   */
  private directionCache(
    reverse: boolean,
    x: FloatArray,
    inputSize: number,
    T: number,
    B: number,
  ): DirectionCache {
    const be = getBackend();
    const H = this.hiddenSize;
    const GH = this.gateCount * H;
    const k = Math.min(this._gradCheckpoint, T);
    const ckpt: SegmentedCache | null =
      k > 0
        ? {
            k,
            count: Math.ceil(T / k),
            cBounds: this.hasCellState ? be.alloc(this.dtype, (Math.ceil(T / k) + 1) * B * H) : null,
          }
        : null;
    const steps = ckpt ? k : T; // steps whose gates and cell states are held at once
    return {
      reverse,
      x,
      inputSize,
      gates: be.alloc(this.dtype, steps * B * GH), // [steps, B, G·H]
      hs: be.alloc(this.dtype, (T + 1) * B * H), // [T+1, B, H]
      cs: this.hasCellState ? be.alloc(this.dtype, (steps + 1) * B * H) : null, // [steps+1, B, H]
      hg: null,
      ckpt,
    };
  }

  /** Forward of one direction: in one pass, or segment by segment with checkpointing. */
  private forwardAll(w: DirectionWeights, c: DirectionCache, g: StepGeometry): void {
    const s = c.ckpt;
    if (s === null) {
      this.forwardDirection(w, c, g);
      return;
    }
    const { B, H } = g;
    for (let i = 0; i < s.count; i++) {
      const j = c.reverse ? s.count - 1 - i : i; // segments in the direction's time order
      withScope(() => {
        const { seg, a, b } = this.forwardSegment(w, c, g, j);
        if (s.cBounds && seg.cs) {
          // The segment's final cell state is the next segment's initial one.
          const end = c.reverse ? 0 : b - a; // local slot
          const bound = c.reverse ? j : j + 1;
          s.cBounds.set(seg.cs.subarray(end * B * H, (end + 1) * B * H), bound * B * H);
        }
      });
    }
  }

  /**
   * Run segment j of a checkpointed direction forward from its boundary state: writes its h
   * slots (the same values every time: the pass is deterministic) and fills the workspaces.
   */
  private forwardSegment(
    w: DirectionWeights,
    c: DirectionCache,
    g: StepGeometry,
    j: number,
  ): { seg: DirectionCache; a: number; b: number } {
    const s = c.ckpt as SegmentedCache;
    const { T, B, H } = g;
    const { a, b } = segmentSpan(s, j, T);
    const seg = segmentView(c, a, b, B, H, this.gateCount * H);
    if (s.cBounds && seg.cs) {
      const start = c.reverse ? b - a : 0; // local slot of the initial state
      const bound = c.reverse ? j + 1 : j;
      seg.cs.set(s.cBounds.subarray(bound * B * H, (bound + 1) * B * H), start * B * H);
    }
    this.forwardDirection(w, seg, { ...g, T: b - a, masks: g.masks.slice(a, b) });
    return { seg, a, b };
  }

  /**
   * Backward of one direction: the serial BPTT loop (with checkpointing, segment by segment
   * from the last, each recomputed first), then ∂W_ih, ∂W_hh, ∂b and ∂x as single GEMMs over
   * all steps. Adds ∂L/∂x into `g.dx`; leaves ∂L/∂h_0 (and c_0) in `g.dh` (`g.dc`).
   */
  private backwardDirection(w: DirectionWeights, c: DirectionCache, g: DirectionGrads): void {
    const { T, B, H } = g;
    const d = this.preactGrads(g.be, T, B);
    const s = c.ckpt;
    if (s === null) {
      this.backwardSteps(w, c, g, d);
    } else {
      const GH = this.gateCount * H;
      for (let i = 0; i < s.count; i++) {
        const j = c.reverse ? i : s.count - 1 - i; // segments in reverse time order of the direction
        withScope(() => {
          const { seg, a, b } = this.forwardSegment(w, c, g, j);
          const stepGrads: StepGrads = {
            ...g,
            T: b - a,
            masks: g.masks.slice(a, b),
            dOut: g.dOut.subarray(a * B * g.dOutStride, b * B * g.dOutStride),
          };
          this.backwardSteps(w, seg, stepGrads, preactRows(d, a, b, B, GH));
        });
      }
    }
    weightGradients(g.be, c, w, g, d.dIn, d.dRec, g.dx);
  }

  private buildMasks(where: string, lengths: ArrayLike<number> | undefined, T: number, B: number): RowMask[] {
    const masks: RowMask[] = new Array(T).fill(null);
    if (lengths === undefined) return masks;
    if (lengths.length !== B)
      throw new KiokuError(`${where}: lengths must have B = ${B} entries, got ${lengths.length}`);
    let full = true;
    for (let b = 0; b < B; b++) {
      const n = lengths[b];
      if (!Number.isInteger(n) || n < 1 || n > T) {
        throw new KiokuError(`${where}: lengths[${b}] must be an integer in [1, ${T}], got ${n}`);
      }
      if (n < T) full = false;
    }
    if (full) return masks;
    for (let t = 0; t < T; t++) {
      const m = new Uint8Array(B);
      let all = true;
      for (let b = 0; b < B; b++) {
        m[b] = t < lengths[b] ? 1 : 0;
        if (m[b] === 0) all = false;
      }
      masks[t] = all ? null : m;
    }
    return masks;
  }
}

/**
 * ∂L/∂h_t for one step: the carry from step t+1 plus, for live rows, the gradient from
 * above (dOut). Padding rows' outputs were forced to 0, so nothing flows into them.
 */
export function gatherStepGrad(
  dst: FloatArray,
  carry: FloatArray,
  dOut: FloatArray,
  t: number,
  B: number,
  H: number,
  dOutOff: number,
  dOutStride: number,
  mask: RowMask,
): void {
  for (let b = 0; b < B; b++) {
    const r = b * H;
    if (mask !== null && mask[b] === 0) {
      for (let j = 0; j < H; j++) dst[r + j] = carry[r + j];
    } else {
      const o = (t * B + b) * dOutStride + dOutOff;
      for (let j = 0; j < H; j++) dst[r + j] = carry[r + j] + dOut[o + j];
    }
  }
}

/**
 * The input-side products shared by every cell, as single GEMMs over all T·B rows:
 * forward xproj = X·W_ihᵀ; backward ∂W_ih += ∂Aᵀ·X, ∂W_hh += ∂Aᵀ·H_prev, ∂X += ∂A·W_ih.
 */
export function inputProjection(
  be: Backend,
  c: DirectionCache,
  w: DirectionWeights,
  T: number,
  B: number,
  out: FloatArray,
): void {
  const GH = w.wih.shape[0];
  be.gemm(
    false,
    true,
    T * B,
    GH,
    c.inputSize,
    1,
    c.x,
    0,
    c.inputSize,
    w.wih.value.data,
    0,
    c.inputSize,
    0,
    out,
    0,
    GH,
  );
}

export function weightGradients(
  be: Backend,
  c: DirectionCache,
  w: DirectionWeights,
  g: StepGeometry,
  dIn: FloatArray, // [T, B, GH] gradient of the x-side pre-activations
  dRec: FloatArray, // [T, B, GH] gradient of the h-side pre-activations (same as dIn except GRU)
  dx: FloatArray,
): void {
  const { T, B, H } = g;
  const GH = w.wih.shape[0];
  const I = c.inputSize;
  const rows = T * B;
  const hPrev0 = (c.reverse ? 1 : 0) * B * H; // first slot of the contiguous h_{t-1} block
  be.gemm(true, false, GH, I, rows, 1, dIn, 0, GH, c.x, 0, I, 1, w.wih.grad.data, 0, I);
  be.gemm(true, false, GH, H, rows, 1, dRec, 0, GH, c.hs, hPrev0, H, 1, w.whh.grad.data, 0, H);
  be.sumRowsAccumulate(dIn, 0, rows, GH, w.bih.grad.data, 0);
  be.sumRowsAccumulate(dRec, 0, rows, GH, w.bhh.grad.data, 0);
  be.gemm(false, false, rows, I, GH, 1, dIn, 0, GH, w.wih.value.data, 0, I, 1, dx, 0, I);
}
