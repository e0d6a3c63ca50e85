/**
 * The RMSprop variant of Graves 2013, "Generating Sequences With Recurrent Neural
 * Networks" (arXiv:1308.0850), §4, eqs. 38-45, used there to train the handwriting
 * prediction network. With ε_i = ∂L/∂w_i the gradient of weight i:
 *
 *   n_i = ℵ n_i + (1 − ℵ) ε_i²
 *   g_i = ℵ g_i + (1 − ℵ) ε_i
 *   Δ_i = ℶ Δ_i − ג ε_i / √(n_i − g_i² + ℸ)
 *   w_i = w_i + Δ_i
 *
 * with ℵ = 0.95 (alpha), ℶ = 0.9 (momentum), ג = 1e-4 (lr), ℸ = 1e-4 (eps). It differs from
 * PyTorch's centered RMSprop with momentum in two ways: ℸ sits *inside* the square root,
 * and the learning rate is folded into the momentum buffer Δ (so changing the lr mid-run
 * does not rescale the velocity already accumulated). PyTorch has no equivalent; our
 * parity fixture computes it from these equations in numpy float64.
 */
import type { Parameter } from '../nn/module.js';
import type { FloatArray } from '../tensor/tensor.js';
import { numberOption, readOptionBag } from './options.js';
import { Optimizer } from './optimizer.js';

export interface GravesRMSpropOptions {
  /** Learning rate ג (default 1e-4). */
  lr?: number;
  /** Decay ℵ of the running averages n and g, in [0, 1) (default 0.95). */
  alpha?: number;
  /** Momentum ℶ of the update Δ, in [0, 1) (default 0.9). */
  momentum?: number;
  /** ℸ, added to the variance inside the square root, > 0 (default 1e-4). */
  eps?: number;
}

export type GravesRMSpropConfig = Required<GravesRMSpropOptions>;

/**
 * One Graves-RMSprop step over flat arrays, in place: `w`, `g` [n] and the running
 * averages `n` (of ε²), `gAvg` (of ε) and the update `delta` [n] (eqs. 38-45).
 */
export function gravesRmspropUpdate(
  w: FloatArray,
  g: FloatArray,
  n: FloatArray,
  gAvg: FloatArray,
  delta: FloatArray,
  p: GravesRMSpropConfig,
): void {
  const { lr, alpha, momentum, eps } = p;
  const len = w.length;
  for (let i = 0; i < len; i++) {
    const e = g[i]; // ε_i
    const ni = alpha * n[i] + (1 - alpha) * e * e; // n_i: running mean of ε²
    const gi = alpha * gAvg[i] + (1 - alpha) * e; // g_i: running mean of ε
    const di = momentum * delta[i] - (lr * e) / Math.sqrt(ni - gi * gi + eps); // Δ_i, ℸ inside the root
    n[i] = ni;
    gAvg[i] = gi;
    delta[i] = di;
    w[i] += di; // w_i = w_i + Δ_i
  }
}

/** Validate Graves-RMSprop options, filling in the paper's values as defaults. */
export function normalizeGravesRMSpropOptions(where: string, raw: unknown): GravesRMSpropConfig {
  const o = readOptionBag(where, raw, ['lr', 'alpha', 'momentum', 'eps']);
  return {
    lr: numberOption(where, 'lr', o.lr, 1e-4, { min: 0 }),
    alpha: numberOption(where, 'alpha', o.alpha, 0.95, { min: 0, max: 1, maxExclusive: true }),
    momentum: numberOption(where, 'momentum', o.momentum, 0.9, { min: 0, max: 1, maxExclusive: true }),
    // ℸ keeps the root away from zero (n − g² is 0 for a constant gradient), so it must be positive.
    eps: numberOption(where, 'eps', o.eps, 1e-4, { min: 0, minExclusive: true }),
  };
}

/**
 * Graves 2013's RMSprop (eqs. 38-45), the optimizer of the handwriting experiments.
 *
 * ```ts
 * const opt = new GravesRMSprop(model.parameters()); // ℵ 0.95, ℶ 0.9, ג 1e-4, ℸ 1e-4
 * ```
 */
export class GravesRMSprop extends Optimizer<GravesRMSpropConfig> {
  constructor(params: readonly Parameter[], options: GravesRMSpropOptions = {}) {
    super('graves-rmsprop', 'GravesRMSprop', params, normalizeGravesRMSpropOptions, options);
  }

  protected override slotNames(): string[] {
    return ['square_avg', 'grad_avg', 'delta'];
  }

  protected override apply(
    w: FloatArray,
    g: FloatArray,
    slots: FloatArray[],
    _t: number,
    hp: GravesRMSpropConfig,
  ): void {
    gravesRmspropUpdate(w, g, slots[0], slots[1], slots[2], hp);
  }
}
