/**
 * Gradient clipping, the remedy for exploding gradients in RNNs (Pascanu, Mikolov & Bengio
 * 2013, "On the difficulty of training recurrent neural networks", Algorithm 1), and the
 * norms a trainer logs. Two precisely named clippers, as Chainer keeps
 * `GradientClipping` apart from `GradientHardClipping`:
 *
 * - `clipGradNorm`: rescale *all* gradients together when their global norm exceeds a
 *   threshold (direction preserved) — PyTorch's `clip_grad_norm_`;
 * - `clipGradValue`: clamp every gradient element to [−c, c] (direction not preserved) —
 *   PyTorch's `clip_grad_value_`.
 */
import type { Parameter } from '../nn/module.js';
import { fusedOptimizerKernels } from '../tensor/optimizer-kernels.js';
import type { FloatArray } from '../tensor/tensor.js';
import { KiokuError } from '../util/errors.js';
import { describe, numberOption } from './options.js';

function checkParams(where: string, params: readonly Parameter[]): void {
  if (!Array.isArray(params))
    throw new KiokuError(`${where}: expected an array of Parameters, got ${describe(params)}`);
}

function checkNormType(where: string, normType: number): void {
  if (!(
    normType === Infinity ||
    (typeof normType === 'number' && Number.isFinite(normType) && normType > 0)
  )) {
    throw new KiokuError(`${where}: normType must be a number > 0 or Infinity, got ${describe(normType)}`);
  }
}

/**
 * The p-norm of several arrays taken together, as if concatenated into one vector
 * (`normType` Infinity: the largest |x|). Accumulates in float64 whatever the storage.
 */
export function globalNorm(arrays: readonly FloatArray[], normType = 2): number {
  checkNormType('globalNorm', normType);
  if (normType === Infinity) {
    let max = 0;
    for (const a of arrays) {
      for (let i = 0; i < a.length; i++) {
        const x = Math.abs(a[i]);
        if (!(x <= max)) {
          if (Number.isNaN(x)) return NaN; // NaN propagates, as in torch
          max = x;
        }
      }
    }
    return max;
  }
  let sum = 0;
  if (normType === 2) {
    // The backend's fused sum where it has one (same order, same float64 sum), else the JS loop.
    const fused = fusedOptimizerKernels()?.sumSquares(arrays) ?? null;
    if (fused !== null) return Math.sqrt(fused);
    for (const a of arrays) for (let i = 0; i < a.length; i++) sum += a[i] * a[i];
    return Math.sqrt(sum);
  }
  if (normType === 1) {
    for (const a of arrays) for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]);
    return sum;
  }
  for (const a of arrays) for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]) ** normType;
  return sum ** (1 / normType);
}

/**
 * Global norm of all gradients (default L2), without changing them.
 *
 * ```ts
 * const g = gradNorm(model.parameters());
 * const ratio = g / paramNorm(model.parameters()); // the update-scale signal char-rnn logs
 * ```
 */
export function gradNorm(params: readonly Parameter[], normType = 2): number {
  checkParams('gradNorm', params);
  checkNormType('gradNorm', normType);
  return globalNorm(
    params.map((p) => p.grad.data),
    normType,
  );
}

/** Global norm of all parameter values (default L2). */
export function paramNorm(params: readonly Parameter[], normType = 2): number {
  checkParams('paramNorm', params);
  checkNormType('paramNorm', normType);
  return globalNorm(
    params.map((p) => p.value.data),
    normType,
  );
}

/**
 * Clip by global norm (Pascanu et al. 2013; PyTorch `clip_grad_norm_`): with
 * N = ‖concat(all grads)‖_p, when c = maxNorm / (N + 1e-6) < 1 every gradient is multiplied
 * by c, so the clipped norm is just under `maxNorm` and the update direction is kept.
 * Returns N, the norm *before* clipping (log it; a sudden jump signals an explosion).
 *
 * A non-finite N (NaN or ±Infinity in some gradient) leaves the gradients untouched and is
 * returned as is, so the caller can skip the step; PyTorch would instead multiply all
 * gradients by NaN or 0.
 *
 * ```ts
 * const norm = clipGradNorm(model.parameters(), 5); // char-rnn / Graves-style global clip
 * clipGradNorm(model.parameters(), 1, Infinity);    // by the largest |g|
 * ```
 */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number, normType = 2): number {
  checkParams('clipGradNorm', params);
  numberOption('clipGradNorm', 'maxNorm', maxNorm, undefined, { min: 0, minExclusive: true });
  checkNormType('clipGradNorm', normType);
  const total = gradNorm(params, normType);
  if (!Number.isFinite(total)) return total;
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    const grads = params.map((p) => p.grad.data);
    if (fusedOptimizerKernels()?.scaleInPlace(grads, coef)) return total;
    for (const p of params) {
      const g = p.grad.data;
      for (let i = 0; i < g.length; i++) g[i] *= coef;
    }
  }
  return total;
}

/**
 * Clip element-wise ("hard" clipping; PyTorch `clip_grad_value_`, Chainer
 * `GradientHardClipping`): every gradient element is clamped to [−clipValue, clipValue].
 * NaN elements stay NaN. Graves 2013 §4 clips LSTM derivatives this way (to [−10, 10]).
 *
 * ```ts
 * clipGradValue(model.parameters(), 10);
 * ```
 */
export function clipGradValue(params: readonly Parameter[], clipValue: number): void {
  checkParams('clipGradValue', params);
  const c = numberOption('clipGradValue', 'clipValue', clipValue, undefined, { min: 0 });
  for (const p of params) {
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) {
      const x = g[i];
      if (x > c) g[i] = c;
      else if (x < -c) g[i] = -c;
    }
  }
}
