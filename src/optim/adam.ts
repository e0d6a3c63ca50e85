/**
 * Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1) and
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2),
 * with exactly PyTorch 1.13's `torch.optim.Adam` / `AdamW` semantics, AMSGrad (Reddi et al.
 * 2018) included:
 *
 *   Adam:  d_t = g_t + λ w_{t-1}                 AdamW:  d_t = g_t,  w_{t-1} ← w_{t-1} (1 − γ λ)
 *   m_t = β₁ m_{t-1} + (1 − β₁) d_t
 *   v_t = β₂ v_{t-1} + (1 − β₂) d_t²
 *   v̂_t = max(v̂_{t-1}, v_t)   (amsgrad; the denominator uses v̂_t instead of v_t)
 *   w_t = w_{t-1} − γ / (1 − β₁ᵗ) · m_t / (√v_t / √(1 − β₂ᵗ) + ε)
 */
import type { Parameter } from '../nn/module.js';
import { type AdamStepParams, fusedOptimizerKernels } from '../tensor/optimizer-kernels.js';
import type { FloatArray } from '../tensor/tensor.js';
import { KiokuError } from '../util/errors.js';
import { booleanOption, describe, numberOption, readOptionBag } from './options.js';
import { Optimizer } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr?: number;
  /** Decay rates (β₁, β₂) of the first and second moment estimates, each in [0, 1) (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps?: number;
  /** Weight decay λ: an L2 term in the gradient for Adam (default 0), decoupled for AdamW (default 1e-2). */
  weightDecay?: number;
  /** Use AMSGrad's running maximum of v in the denominator (default false). */
  amsgrad?: boolean;
}

export interface AdamConfig {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

/** Scalars of one `adamUpdate` call (declared beside the backend's fused kernel that takes them too). */
export type { AdamStepParams };

/**
 * One Adam/AdamW step over flat arrays, in place: `w`, `g`, `m` (exp_avg), `v` (exp_avg_sq)
 * [n]; `vMax` [n] (max_exp_avg_sq) enables AMSGrad, null disables it.
 */
export function adamUpdate(
  w: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  vMax: FloatArray | null,
  p: AdamStepParams,
): void {
  const { lr, beta1, beta2, eps, weightDecay, decoupled, step } = p;
  if (!Number.isInteger(step) || step < 1)
    throw new KiokuError(`adamUpdate: step must be an integer >= 1, got ${step}`);
  // Bias corrections (Kingma & Ba Algorithm 1), folded into a step size and a root divisor as PyTorch does.
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  const shrink = 1 - lr * weightDecay; // AdamW's decoupled decay factor
  const l2 = decoupled ? 0 : weightDecay;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    let wi = w[i];
    if (decoupled) wi *= shrink;
    const d = l2 !== 0 ? g[i] + l2 * wi : g[i];
    const mi = beta1 * m[i] + (1 - beta1) * d;
    let vi = beta2 * v[i] + (1 - beta2) * d * d;
    m[i] = mi;
    v[i] = vi;
    if (vMax !== null) {
      vi = Math.max(vMax[i], vi);
      vMax[i] = vi;
    }
    w[i] = wi - stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}

function makeNormalizer(defaultWeightDecay: number) {
  return (where: string, raw: unknown): AdamConfig => {
    const o = readOptionBag(where, raw, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad']);
    let betas: [number, number] = [0.9, 0.999];
    if (o.betas !== undefined) {
      if (!Array.isArray(o.betas) || o.betas.length !== 2) {
        throw new KiokuError(`${where}: betas must be an array [beta1, beta2], got ${describe(o.betas)}`);
      }
      const range = { min: 0, max: 1, maxExclusive: true };
      betas = [
        numberOption(where, 'betas[0]', o.betas[0], undefined, range),
        numberOption(where, 'betas[1]', o.betas[1], undefined, range),
      ];
    }
    return {
      lr: numberOption(where, 'lr', o.lr, 1e-3, { min: 0 }),
      betas,
      eps: numberOption(where, 'eps', o.eps, 1e-8, { min: 0 }),
      weightDecay: numberOption(where, 'weightDecay', o.weightDecay, defaultWeightDecay, { min: 0 }),
      amsgrad: booleanOption(where, 'amsgrad', o.amsgrad, false),
    };
  };
}

/** Validate Adam options, filling in defaults (weightDecay 0). */
export const normalizeAdamOptions = makeNormalizer(0);
/** Validate AdamW options, filling in defaults (weightDecay 1e-2). */
export const normalizeAdamWOptions = makeNormalizer(1e-2);

abstract class AdamBase extends Optimizer<AdamConfig> {
  protected abstract readonly decoupled: boolean;

  protected override slotNames(hp: AdamConfig): string[] {
    return hp.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'];
  }

  protected override apply(
    w: FloatArray,
    g: FloatArray,
    slots: FloatArray[],
    t: number,
    hp: AdamConfig,
  ): void {
    const vMax = hp.amsgrad ? slots[2] : null;
    const p: AdamStepParams = {
      lr: hp.lr,
      beta1: hp.betas[0],
      beta2: hp.betas[1],
      eps: hp.eps,
      weightDecay: hp.weightDecay,
      decoupled: this.decoupled,
      step: t,
    };
    // The backend's fused kernel where it has one (bit-identical), else the JS loop.
    if (!fusedOptimizerKernels()?.adamUpdate(w, g, slots[0], slots[1], vMax, p))
      adamUpdate(w, g, slots[0], slots[1], vMax, p);
  }
}

/**
 * Adam with optional L2 weight decay (added to the gradient) and AMSGrad.
 *
 * ```ts
 * const opt = new Adam(model.parameters(), { lr: 2e-3, betas: [0.9, 0.999] });
 * ```
 */
export class Adam extends AdamBase {
  protected override readonly decoupled = false;

  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super('adam', 'Adam', params, normalizeAdamOptions, options);
  }
}

/**
 * AdamW: Adam with decoupled weight decay, w ← w (1 − γλ) before the Adam step
 * (Loshchilov & Hutter 2019). Default weightDecay is 1e-2, as in PyTorch.
 *
 * ```ts
 * const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.1 });
 * ```
 */
export class AdamW extends AdamBase {
  protected override readonly decoupled = true;

  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super('adamw', 'AdamW', params, normalizeAdamWOptions, options);
  }
}
