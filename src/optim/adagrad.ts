/**
 * Adagrad (Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods"), with exactly
 * PyTorch 1.13's `torch.optim.Adagrad` semantics:
 *
 *   γ̃_t = γ / (1 + (t − 1) η)              (η = lrDecay)
 *   d_t = g_t + λ w_{t-1}
 *   s_t = s_{t-1} + d_t²                   (s_0 = initialAccumulatorValue)
 *   w_t = w_{t-1} − γ̃_t d_t / (√s_t + ε)
 */
import type { Parameter } from '../nn/module.js';
import type { FloatArray } from '../tensor/tensor.js';
import { numberOption, readOptionBag } from './options.js';
import { Optimizer } from './optimizer.js';

export interface AdagradOptions {
  /** Learning rate γ (default 0.01). */
  lr?: number;
  /** Learning-rate decay η: step t uses γ / (1 + (t − 1) η) (default 0). */
  lrDecay?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Starting value of the squared-gradient sum (default 0). */
  initialAccumulatorValue?: number;
  /** Added to √s for numerical stability (default 1e-10). */
  eps?: number;
}

export type AdagradConfig = Required<AdagradOptions>;

/** Scalars of one `adagradUpdate` call. */
export interface AdagradStepParams {
  /** The decayed learning rate γ̃_t of this step. */
  clr: number;
  weightDecay: number;
  eps: number;
}

/** One Adagrad step over flat arrays, in place: `w` [n], `g` [n], `sum` [n]. */
export function adagradUpdate(w: FloatArray, g: FloatArray, sum: FloatArray, p: AdagradStepParams): void {
  const { clr, weightDecay, eps } = p;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    let d = g[i];
    if (weightDecay !== 0) d += weightDecay * w[i];
    const s = sum[i] + d * d;
    sum[i] = s;
    w[i] -= clr * (d / (Math.sqrt(s) + eps));
  }
}

/** Validate Adagrad options, filling in defaults. */
export function normalizeAdagradOptions(where: string, raw: unknown): AdagradConfig {
  const o = readOptionBag(where, raw, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps']);
  return {
    lr: numberOption(where, 'lr', o.lr, 0.01, { min: 0 }),
    lrDecay: numberOption(where, 'lrDecay', o.lrDecay, 0, { min: 0 }),
    weightDecay: numberOption(where, 'weightDecay', o.weightDecay, 0, { min: 0 }),
    initialAccumulatorValue: numberOption(where, 'initialAccumulatorValue', o.initialAccumulatorValue, 0, {
      min: 0,
    }),
    eps: numberOption(where, 'eps', o.eps, 1e-10, { min: 0 }),
  };
}

/**
 * Adagrad: per-coordinate steps shrinking with the accumulated squared gradient.
 *
 * ```ts
 * const opt = new Adagrad(model.parameters(), { lr: 0.1 });
 * ```
 */
export class Adagrad extends Optimizer<AdagradConfig> {
  constructor(params: readonly Parameter[], options: AdagradOptions = {}) {
    super('adagrad', 'Adagrad', params, normalizeAdagradOptions, options);
  }

  protected override slotNames(): string[] {
    return ['sum'];
  }

  protected override slotInit(_slot: string, hp: AdagradConfig): number {
    return hp.initialAccumulatorValue;
  }

  protected override apply(
    w: FloatArray,
    g: FloatArray,
    slots: FloatArray[],
    t: number,
    hp: AdagradConfig,
  ): void {
    const clr = hp.lr / (1 + (t - 1) * hp.lrDecay);
    adagradUpdate(w, g, slots[0], { clr, weightDecay: hp.weightDecay, eps: hp.eps });
  }
}
