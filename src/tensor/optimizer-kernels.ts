/**
 * Fused optimizer kernels a backend may offer beyond `Backend` (the WASM backend does): one
 * pass over a packed parameter buffer per step instead of the JS loops of `src/optim`. The
 * scalars of each update live here, in the tensor layer, so that `src/optim` depends on
 * `src/tensor` and never the other way round.
 *
 * Each kernel takes the arguments of its flat-loop counterpart in `src/optim`
 * (`adamUpdate`, `sgdUpdate`, `rmspropUpdate`, the sums behind `globalNorm` and
 * `clipGradNorm`), writes bit-identical results, and returns false (null for
 * `sumSquares`), doing nothing, when it cannot take the call (float64 arrays) — the caller
 * then runs the JS loop:
 *
 * ```ts
 * const fused = fusedOptimizerKernels();
 * if (!fused?.adamUpdate(w, g, m, v, vMax, p)) adamUpdate(w, g, m, v, vMax, p);
 * ```
 */
import { type Backend } from './backend.js';
import { getBackend } from './current-backend.js';
import type { FloatArray } from './tensor.js';

/** Scalars of one Adam / AdamW / AMSGrad update (`adamUpdate` in src/optim/adam.ts). */
export interface AdamStepParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** True for AdamW: shrink w by (1 − lr·λ) instead of adding λ·w to the gradient. */
  decoupled: boolean;
  /** 1-based step number t (for the bias corrections). */
  step: number;
}

/** Scalars of one SGD update (`sgdUpdate` in src/optim/sgd.ts). */
export interface SGDStepParams {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  /** True on the first step: the momentum buffer is set to the gradient, not blended. */
  firstStep: boolean;
}

/** Scalars of one RMSprop update (`rmspropUpdate` in src/optim/rmsprop.ts). */
export interface RMSpropStepParams {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

export interface FusedOptimizerKernels {
  adamUpdate(
    w: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    vMax: FloatArray | null,
    p: AdamStepParams,
  ): boolean;
  sgdUpdate(w: FloatArray, g: FloatArray, buf: FloatArray | null, p: SGDStepParams): boolean;
  rmspropUpdate(
    w: FloatArray,
    g: FloatArray,
    squareAvg: FloatArray,
    gradAvg: FloatArray | null,
    momentumBuffer: FloatArray | null,
    p: RMSpropStepParams,
  ): boolean;
  /** Σ x² over all arrays, in float64, element after element; null when it cannot take the call. */
  sumSquares(arrays: readonly FloatArray[]): number | null;
  /** x ← x·s (product in float64, rounded) for every array; false when it cannot take the call. */
  scaleInPlace(arrays: readonly FloatArray[], s: number): boolean;
}

function hasFusedKernels(be: Backend): be is Backend & FusedOptimizerKernels {
  const names: (keyof FusedOptimizerKernels)[] = [
    'adamUpdate',
    'sgdUpdate',
    'rmspropUpdate',
    'sumSquares',
    'scaleInPlace',
  ];
  return names.every((name) => name in be && typeof Reflect.get(be, name) === 'function');
}

/** The active backend's fused optimizer kernels, or null when it has none (the reference backend). */
export function fusedOptimizerKernels(): FusedOptimizerKernels | null {
  const be = getBackend();
  return hasFusedKernels(be) ? be : null;
}
