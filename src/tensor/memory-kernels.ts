/**
 * Batched memory kernels a backend may offer beyond `Backend` (the WASM backend does): the
 * N × M operations of the Neural Turing Machine (Graves, Wayne & Danihelka 2014, eqs. 2–9),
 * which the DNC shares (content lookup, read, erase/add write), and the DNC's N × N temporal
 * link operations, each run for all B rows of a batch in one call. The readable reference,
 * one row at a time, is the memory wing's `addressing.ts` and `dnc-ops.ts`; `src/wings/memory/batched-ops.ts` runs it over a batch behind this same
 * interface, and the tests hold every kernel to it. Like the fused optimizer kernels, the
 * interface lives here in the tensor layer so that the backend can implement it without
 * importing a wing.
 *
 * Layout (row-major, float32 for the kernels; the reference takes float64 too):
 * a memory is [B, N, M] (N slots of width M per row), a weighting [B, N], a key, erase or
 * add vector [B, M], a per-row scalar (β, g, γ) [B], shift weights [B, S]. Outputs named
 * `out`/`w`/`r`/`mem` and the caches are overwritten; gradients marked (+=) accumulate,
 * per-row scalar gradients (dBeta, dG, dGamma) are overwritten.
 *
 * ```ts
 * const k = memoryKernels();   // null on the reference backend
 * k?.contentForward({ B, N, M, mem, key, beta, w, dots, rowNorm, sim, keyNorm });
 * ```
 */
import type { Backend } from './backend.js';
import { getBackend } from './current-backend.js';
import type { FloatArray } from './tensor.js';

/** Eqs. 5–6: w_c = softmax_i(β K[k, M(i)]), K the cosine similarity (ε = 10⁻⁶ in its denominator). */
export interface ContentArgs {
  B: number;
  N: number;
  M: number;
  mem: FloatArray; // [B, N, M]
  key: FloatArray; // [B, M]
  beta: FloatArray; // [B]
  w: FloatArray; // [B, N] out
  /** Cache for backward: k·M(i), ‖M(i)‖, K [B, N] and ‖k‖ [B]. */
  dots: FloatArray;
  rowNorm: FloatArray;
  sim: FloatArray;
  keyNorm: FloatArray;
}

export interface ContentGradArgs extends ContentArgs {
  dw: FloatArray; // [B, N] ∂L/∂w_c
  dMem: FloatArray; // [B, N, M] (+=)
  dKey: FloatArray; // [B, M] (+=)
  dBeta: FloatArray; // [B] out
}

/** Eq. 7: out = g w_c + (1 − g) w_{t−1}. */
export interface InterpolateArgs {
  B: number;
  N: number;
  wc: FloatArray; // [B, N]
  wPrev: FloatArray; // [B, N]
  g: FloatArray; // [B]
  out: FloatArray; // [B, N]
}

export interface InterpolateGradArgs extends Omit<InterpolateArgs, 'out'> {
  dOut: FloatArray; // [B, N]
  dWc: FloatArray; // (+=)
  dWPrev: FloatArray; // (+=)
  dG: FloatArray; // [B] out
}

/** Eq. 8: out(i) = Σ_k w_g(i − k + h) s(k), indices mod N, shifts −h … +h (S = 2h + 1 < N). */
export interface ShiftArgs {
  B: number;
  N: number;
  S: number;
  wg: FloatArray; // [B, N]
  s: FloatArray; // [B, S]
  out: FloatArray; // [B, N]
}

export interface ShiftGradArgs extends Omit<ShiftArgs, 'out'> {
  dOut: FloatArray; // [B, N]
  dWg: FloatArray; // (+=)
  dS: FloatArray; // [B, S] (+=)
}

/** Eq. 9: w(i) = (w̃(i) + ε)^γ / Σ_j (w̃(j) + ε)^γ, ε = 10⁻¹². */
export interface SharpenArgs {
  B: number;
  N: number;
  wt: FloatArray; // [B, N] w̃
  gamma: FloatArray; // [B]
  w: FloatArray; // [B, N] out
}

export interface SharpenGradArgs extends SharpenArgs {
  dw: FloatArray; // [B, N]
  dWt: FloatArray; // (+=)
  dGamma: FloatArray; // [B] out
}

/** Eq. 2: r = Σ_i w(i) M(i). */
export interface ReadArgs {
  B: number;
  N: number;
  M: number;
  mem: FloatArray; // [B, N, M]
  w: FloatArray; // [B, N]
  r: FloatArray; // [B, M] out
}

export interface ReadGradArgs extends Omit<ReadArgs, 'r'> {
  dr: FloatArray; // [B, M]
  dMem: FloatArray; // (+=)
  dW: FloatArray; // (+=)
}

/** Eqs. 3–4: M(i) = M_{t−1}(i) ∘ [1 − w(i) e] + w(i) a. */
export interface WriteArgs {
  B: number;
  N: number;
  M: number;
  memPrev: FloatArray; // [B, N, M]
  w: FloatArray; // [B, N]
  erase: FloatArray; // [B, M]
  add: FloatArray; // [B, M]
  mem: FloatArray; // [B, N, M] out
}

export interface WriteGradArgs extends Omit<WriteArgs, 'mem'> {
  /** In: ∂L/∂M_t; out: ∂L/∂M_{t−1}. */
  dMem: FloatArray;
  dW: FloatArray; // (+=)
  dErase: FloatArray; // [B, M] (+=)
  dAdd: FloatArray; // [B, M] (+=)
}

/**
 * DNC temporal links (Graves et al. 2016, Methods), N slots:
 *   L[i, j] = (1 − w^w[i] − w^w[j]) L_{t−1}[i, j] + w^w[i] p_{t−1}[j],  L[i, i] = 0
 *   p = (1 − Σ_i w^w[i]) p_{t−1} + w^w
 */
export interface LinkArgs {
  B: number;
  N: number;
  LPrev: FloatArray; // [B, N, N]
  pPrev: FloatArray; // [B, N]
  ww: FloatArray; // [B, N] write weighting w^w_t
  L: FloatArray; // [B, N, N] out
  p: FloatArray; // [B, N] out
}

export interface LinkGradArgs extends Omit<LinkArgs, 'L' | 'p'> {
  dL: FloatArray; // [B, N, N] ∂L/∂L_t
  dp: FloatArray; // [B, N] ∂L/∂p_t
  dLPrev: FloatArray; // [B, N, N] out (0 on the diagonal)
  dPPrev: FloatArray; // (+=)
  dWw: FloatArray; // (+=)
}

/** Forward weighting f = L w (`transpose` false) or backward weighting b = Lᵀ w (true). */
export interface LinkReadArgs {
  B: number;
  N: number;
  L: FloatArray; // [B, N, N]
  w: FloatArray; // [B, N] w^{r,i}_{t−1}
  transpose: boolean;
  out: FloatArray; // [B, N]
}

export interface LinkReadGradArgs extends Omit<LinkReadArgs, 'out'> {
  dOut: FloatArray; // [B, N]
  dL: FloatArray; // (+=)
  dW: FloatArray; // (+=)
}

export interface MemoryKernels {
  contentForward(a: ContentArgs): void;
  contentBackward(a: ContentGradArgs): void;
  interpolateForward(a: InterpolateArgs): void;
  interpolateBackward(a: InterpolateGradArgs): void;
  shiftForward(a: ShiftArgs): void;
  shiftBackward(a: ShiftGradArgs): void;
  sharpenForward(a: SharpenArgs): void;
  sharpenBackward(a: SharpenGradArgs): void;
  readForward(a: ReadArgs): void;
  readBackward(a: ReadGradArgs): void;
  writeForward(a: WriteArgs): void;
  writeBackward(a: WriteGradArgs): void;
  linkForward(a: LinkArgs): void;
  linkBackward(a: LinkGradArgs): void;
  linkReadForward(a: LinkReadArgs): void;
  linkReadBackward(a: LinkReadGradArgs): void;
}

/** What a backend implements to offer the kernels (the WASM backend does). */
export interface HasMemoryKernels {
  memoryKernels(): MemoryKernels;
}

function hasMemoryKernels(be: Backend): be is Backend & HasMemoryKernels {
  return typeof Reflect.get(be, 'memoryKernels') === 'function';
}

/** The active backend's float32 memory kernels, or null when it has none (the reference backend). */
export function memoryKernels(): MemoryKernels | null {
  const be = getBackend();
  return hasMemoryKernels(be) ? be.memoryKernels() : null;
}
