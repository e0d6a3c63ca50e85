import type { DType, FloatArray } from './tensor.js';

/**
 * Every heavy kernel kioku runs goes through one `Backend`. Kernels take flat typed arrays
 * plus element offsets (BLAS style), so a backend can work in place on views of its own
 * memory (the WASM backend allocates inside its `WebAssembly.Memory`).
 *
 * The recurrent layers are written against this interface in the shape that fast RNN
 * implementations use (cuDNN, oneDNN, PyTorch CPU):
 * - the input projection of a whole sequence is one `gemm` over all T·B rows;
 * - per step only the recurrent product h·W_hhᵀ is a (small) `gemm`;
 * - the gate nonlinearities of a step are one fused pointwise kernel (`*StepForward`)
 *   that stores what backward needs, and backward is fused likewise (`*StepBackward`);
 * - weight gradients are single large `gemm`s over all steps.
 *
 * All kernels must work for both Float32Array and Float64Array inputs (a backend that only
 * accelerates float32 delegates float64 to the reference backend).
 */
export interface Backend {
  readonly name: string;

  /** Zero-filled storage of `n` elements that this backend's kernels work on fastest. */
  alloc(dtype: DType, n: number): FloatArray;

  /**
   * General matrix multiply, row-major:
   *   C[M, N] = alpha · op(A)[M, K] · op(B)[K, N] + beta · C
   * with op(A) = A when `transA` is false (A stored [M, K], leading dim `lda`), Aᵀ when true
   * (A stored [K, M]); likewise for B ([K, N] or, transposed, [N, K]).
   * beta = 0 overwrites C (NaNs in C are not propagated).
   */
  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: FloatArray,
    aOff: number,
    lda: number,
    B: FloatArray,
    bOff: number,
    ldb: number,
    beta: number,
    C: FloatArray,
    cOff: number,
    ldc: number,
  ): void;

  /** y[r, :] += v for each of `rows` rows of width `cols` (bias broadcast). */
  addRowVector(y: FloatArray, yOff: number, rows: number, cols: number, v: FloatArray, vOff: number): void;

  /** out[:] += Σ_r x[r, :] (column sums; bias gradients). */
  sumRowsAccumulate(
    x: FloatArray,
    xOff: number,
    rows: number,
    cols: number,
    out: FloatArray,
    outOff: number,
  ): void;

  /** LSTM gate nonlinearities and state update for one step (see `LstmStepArgs`). */
  lstmStepForward(a: LstmStepArgs): void;
  /** Backward of `lstmStepForward` for one step (see `LstmStepGradArgs`). */
  lstmStepBackward(a: LstmStepGradArgs): void;
  gruStepForward(a: GruStepArgs): void;
  gruStepBackward(a: GruStepGradArgs): void;
  rnnStepForward(a: RnnStepArgs): void;
  rnnStepBackward(a: RnnStepGradArgs): void;

  /**
   * Softmax cross-entropy over `N` rows of `V` logits, fused with its gradient.
   * Rows whose target equals `ignoreIndex` or whose weight is 0 are skipped.
   * Returns the weighted sum of −log softmax(logits)[target] and the total weight;
   * when `dlogits` is given, writes ∂(scale · sum)/∂logits = scale · w · (softmax − onehot).
   */
  softmaxCrossEntropy(a: SoftmaxXentArgs): { lossSum: number; weightSum: number };
}

/** Which batch rows take part in a step (1) or are past their sequence's end (0). */
export type RowMask = Uint8Array | null;

/**
 * One LSTM step for B rows, hidden size H. PyTorch gate order (i, f, g, o):
 *   i = σ(a_i + p_i ∘ c_{t-1})     f = σ(a_f + p_f ∘ c_{t-1})     g = tanh(a_g)
 *   c_t = f ∘ c_{t-1} + i ∘ g       o = σ(a_o + p_o ∘ c_t)          h_t = o ∘ tanh(c_t)
 * where a = x·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh is already in `gates` and the peephole
 * terms p_* (Gers & Schmidhuber 2000; Graves 2013 eqs. 7-11) apply when `peep` is given.
 * `gates` [B, 4H] is overwritten with the activations (i, f, g, o) that backward needs.
 * Masked rows (mask[b] = 0) keep their state: c_t = c_{t-1}, h_t = h_{t-1}, gates = 0.
 */
export interface LstmStepArgs {
  B: number;
  H: number;
  gates: FloatArray; // [B, 4H] in: pre-activations, out: activations
  gOff: number;
  cPrev: FloatArray; // [B, H]
  cPrevOff: number;
  hPrev: FloatArray; // [B, H]
  hPrevOff: number;
  c: FloatArray; // [B, H] out
  cOff: number;
  h: FloatArray; // [B, H] out
  hOff: number;
  /** Peephole weights [3H] as (p_i, p_f, p_o), or null. */
  peep: FloatArray | null;
  peepOff: number;
  mask: RowMask;
}

/**
 * Backward of one LSTM step. With tc = tanh(c_t):
 *   ∂a_o = dh ∘ tc ∘ o(1−o)
 *   dc   = dc_in + dh ∘ o ∘ (1 − tc²) + ∂a_o ∘ p_o
 *   ∂a_i = dc ∘ g ∘ i(1−i)      ∂a_g = dc ∘ i ∘ (1−g²)      ∂a_f = dc ∘ c_{t-1} ∘ f(1−f)
 *   dc_{t-1} = dc ∘ f + ∂a_i ∘ p_i + ∂a_f ∘ p_f
 * (σ' = y(1−y) and tanh' = 1−y², written in terms of the stored outputs).
 * `dc` is in/out: in ∂L/∂c_t from later steps, out ∂L/∂c_{t-1}.
 * `dhPrev` receives the part of ∂L/∂h_{t-1} that does not go through W_hh: 0 for active
 * rows, dh for masked rows (whose state was carried unchanged); the caller then adds
 * dgates·W_hh with a gemm (beta = 1).
 */
export interface LstmStepGradArgs extends Omit<LstmStepArgs, 'h' | 'hOff' | 'hPrev' | 'hPrevOff'> {
  dh: FloatArray; // [B, H] total ∂L/∂h_t
  dhOff: number;
  dc: FloatArray; // [B, H] in/out
  dcOff: number;
  dgates: FloatArray; // [B, 4H] out: ∂L/∂a
  dgOff: number;
  dhPrev: FloatArray; // [B, H] out
  dhPrevOff: number;
  /** Peephole gradient accumulator [3H] (+=), or null. */
  dpeep: FloatArray | null;
  dpeepOff: number;
}

/**
 * One GRU step (PyTorch formulation, gate order r, z, n):
 *   r = σ(xr + hr)    z = σ(xz + hz)    n = tanh(xn + r ∘ hn)    h_t = (1 − z) ∘ n + z ∘ h_{t-1}
 * with x* = x·W_ihᵀ + b_ih (in `xg`) and h* = h_{t-1}·W_hhᵀ + b_hh (in `hg`).
 * Writes the activations (r, z, n) to `gates` and keeps hn (needed by backward) in `hg`.
 */
export interface GruStepArgs {
  B: number;
  H: number;
  xg: FloatArray; // [B, 3H]
  xgOff: number;
  hg: FloatArray; // [B, 3H]
  hgOff: number;
  gates: FloatArray; // [B, 3H] out (r, z, n)
  gOff: number;
  hPrev: FloatArray;
  hPrevOff: number;
  h: FloatArray;
  hOff: number;
  mask: RowMask;
}

/**
 * Backward of one GRU step:
 *   dn = dh ∘ (1 − z)     ∂n̂ = dn ∘ (1 − n²)
 *   dz = dh ∘ (h_{t-1} − n)     ∂ẑ = dz ∘ z(1 − z)
 *   dr = ∂n̂ ∘ hn          ∂r̂ = dr ∘ r(1 − r)
 * `dxg` gets (∂r̂, ∂ẑ, ∂n̂) — the gradient of the x-side pre-activations (W_ih, b_ih);
 * `dhg` gets (∂r̂, ∂ẑ, ∂n̂ ∘ r) — the gradient of the h-side ones (W_hh, b_hh);
 * `dhPrev` gets dh ∘ z for active rows (dh for masked rows); the caller adds dhg·W_hh.
 */
export interface GruStepGradArgs {
  B: number;
  H: number;
  gates: FloatArray;
  gOff: number;
  hg: FloatArray; // only the n-part (hn) is read
  hgOff: number;
  hPrev: FloatArray;
  hPrevOff: number;
  dh: FloatArray;
  dhOff: number;
  dxg: FloatArray;
  dxgOff: number;
  dhg: FloatArray;
  dhgOff: number;
  dhPrev: FloatArray;
  dhPrevOff: number;
  mask: RowMask;
}

/** One Elman RNN step: h_t = act(a), a = x·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh (already in `pre`). */
export interface RnnStepArgs {
  B: number;
  H: number;
  relu: boolean;
  pre: FloatArray; // [B, H] pre-activations
  preOff: number;
  hPrev: FloatArray;
  hPrevOff: number;
  h: FloatArray; // out
  hOff: number;
  mask: RowMask;
}

/** Backward: ∂a = dh ∘ (1 − h²) for tanh, dh ∘ [h > 0] for ReLU; dhPrev as for the LSTM. */
export interface RnnStepGradArgs {
  B: number;
  H: number;
  relu: boolean;
  h: FloatArray;
  hOff: number;
  dh: FloatArray;
  dhOff: number;
  dpre: FloatArray; // out
  dpreOff: number;
  dhPrev: FloatArray;
  dhPrevOff: number;
  mask: RowMask;
}

export interface SoftmaxXentArgs {
  N: number;
  V: number;
  logits: FloatArray; // [N, V]
  logitsOff: number;
  targets: Int32Array; // [N]
  ignoreIndex: number;
  /** Per-row weights (e.g. a padding mask) or null for all ones. */
  weights: FloatArray | null;
  /** Gradient output [N, V] or null when only the loss is wanted. */
  dlogits: FloatArray | null;
  dOff: number;
  scale: number;
}
