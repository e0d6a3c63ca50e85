/**
 * RMSprop (Tieleman & Hinton 2012, Coursera lecture 6.5), with exactly PyTorch 1.13's
 * `torch.optim.RMSprop` semantics, including its centered variant (Graves 2013 eq. 38-45
 * style variance estimate, but with ε outside the square root; see `GravesRMSprop` for the
 * paper's form):
 *
 *   d_t = g_t + λ w_{t-1}
 *   v_t = α v_{t-1} + (1 − α) d_t²
 *   m_t = α m_{t-1} + (1 − α) d_t                          (centered only)
 *   a_t = √(v_t − m_t²) + ε   (centered)   or   √v_t + ε
 *   b_t = μ b_{t-1} + d_t / a_t,  w_t = w_{t-1} − γ b_t    (momentum μ > 0)
 *   w_t = w_{t-1} − γ d_t / a_t                            (μ = 0)
 */
import type { Parameter } from '../nn/module.js';
import { fusedOptimizerKernels } from '../tensor/optimizer-kernels.js';
import type { FloatArray } from '../tensor/tensor.js';
import { KiokuError } from '../util/errors.js';
import { booleanOption, numberOption, readOptionBag } from './options.js';
import { Optimizer } from './optimizer.js';

export interface RMSpropOptions {
  /** Learning rate γ (default 0.01). */
  lr?: number;
  /** Smoothing constant α of the running averages, in [0, 1] (default 0.99). */
  alpha?: number;
  /** Added to the root-mean-square for numerical stability (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum μ ≥ 0 of the normalised step (default 0). */
  momentum?: number;
  /** Normalise by the estimated variance instead of the raw second moment (default false). */
  centered?: boolean;
}

export type RMSpropConfig = Required<RMSpropOptions>;

/**
 * One RMSprop step over flat arrays, in place: `w`, `g`, `squareAvg` [n]; `gradAvg` [n]
 * when centered, `momentumBuffer` [n] when momentum > 0 (else null).
 */
export function rmspropUpdate(
  w: FloatArray,
  g: FloatArray,
  squareAvg: FloatArray,
  gradAvg: FloatArray | null,
  momentumBuffer: FloatArray | null,
  p: RMSpropConfig,
): void {
  const { lr, alpha, eps, weightDecay, momentum, centered } = p;
  const n = w.length;
  if (centered && gradAvg === null)
    throw new KiokuError('rmspropUpdate: centered needs a gradAvg buffer, got null');
  if (momentum > 0 && momentumBuffer === null)
    throw new KiokuError('rmspropUpdate: momentum needs a momentumBuffer, got null');
  for (let i = 0; i < n; i++) {
    let d = g[i];
    if (weightDecay !== 0) d += weightDecay * w[i];
    const v = alpha * squareAvg[i] + (1 - alpha) * d * d;
    squareAvg[i] = v;
    let avg: number;
    if (centered) {
      const m = alpha * gradAvg![i] + (1 - alpha) * d;
      gradAvg![i] = m;
      avg = Math.sqrt(v - m * m) + eps;
    } else {
      avg = Math.sqrt(v) + eps;
    }
    if (momentum > 0) {
      const b = momentum * momentumBuffer![i] + d / avg;
      momentumBuffer![i] = b;
      w[i] -= lr * b;
    } else {
      w[i] -= lr * (d / avg);
    }
  }
}

/** Validate RMSprop options, filling in defaults. */
export function normalizeRMSpropOptions(where: string, raw: unknown): RMSpropConfig {
  const o = readOptionBag(where, raw, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered']);
  return {
    lr: numberOption(where, 'lr', o.lr, 0.01, { min: 0 }),
    alpha: numberOption(where, 'alpha', o.alpha, 0.99, { min: 0, max: 1 }),
    eps: numberOption(where, 'eps', o.eps, 1e-8, { min: 0 }),
    weightDecay: numberOption(where, 'weightDecay', o.weightDecay, 0, { min: 0 }),
    momentum: numberOption(where, 'momentum', o.momentum, 0, { min: 0 }),
    centered: booleanOption(where, 'centered', o.centered, false),
  };
}

/**
 * RMSprop as in PyTorch (ε outside the root).
 *
 * ```ts
 * const opt = new RMSprop(model.parameters(), { lr: 1e-3, centered: true, momentum: 0.9 });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropConfig> {
  constructor(params: readonly Parameter[], options: RMSpropOptions = {}) {
    super('rmsprop', 'RMSprop', params, normalizeRMSpropOptions, options);
  }

  protected override slotNames(hp: RMSpropConfig): string[] {
    const names = ['square_avg'];
    if (hp.momentum > 0) names.push('momentum_buffer');
    if (hp.centered) names.push('grad_avg');
    return names;
  }

  protected override apply(
    w: FloatArray,
    g: FloatArray,
    slots: FloatArray[],
    _t: number,
    hp: RMSpropConfig,
  ): void {
    // Slot order is slotNames(): square_avg, [momentum_buffer], [grad_avg].
    const momentumBuffer = hp.momentum > 0 ? slots[1] : null;
    const gradAvg = hp.centered ? slots[hp.momentum > 0 ? 2 : 1] : null;
    // The backend's fused kernel where it has one (bit-identical), else the JS loop.
    if (!fusedOptimizerKernels()?.rmspropUpdate(w, g, slots[0], gradAvg, momentumBuffer, hp))
      rmspropUpdate(w, g, slots[0], gradAvg, momentumBuffer, hp);
  }
}
