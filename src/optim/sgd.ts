/**
 * Stochastic gradient descent with (Nesterov) momentum and L2 weight decay, with exactly
 * PyTorch 1.13's `torch.optim.SGD` semantics (Sutskever et al. 2013 formulation):
 *
 *   d_t = g_t + λ w_{t-1}
 *   b_t = d_t                              (t = 1: the buffer starts as the first gradient)
 *   b_t = μ b_{t-1} + (1 − τ) d_t          (t > 1; τ = dampening)
 *   d_t = d_t + μ b_t  (nesterov)  or  b_t (plain momentum)
 *   w_t = w_{t-1} − γ d_t
 */
import type { Parameter } from '../nn/module.js';
import { fusedOptimizerKernels, type SGDStepParams } from '../tensor/optimizer-kernels.js';
import type { FloatArray } from '../tensor/tensor.js';
import { KiokuError } from '../util/errors.js';
import { booleanOption, numberOption, readOptionBag } from './options.js';
import { Optimizer } from './optimizer.js';

export interface SGDOptions {
  /** Learning rate γ (required, ≥ 0). */
  lr: number;
  /** Momentum factor μ ≥ 0 (default 0: plain SGD, no buffer). */
  momentum?: number;
  /** Dampening τ of the gradient added to the momentum buffer (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
}

export type SGDConfig = Required<SGDOptions>;

/** Hyper-parameters of one `sgdUpdate` call (declared beside the backend's fused kernel). */
export type { SGDStepParams };

/**
 * One SGD step over flat arrays, in place: `w` [n], `g` [n] (read only), `buf` [n] momentum
 * buffer (ignored when momentum is 0).
 */
export function sgdUpdate(w: FloatArray, g: FloatArray, buf: FloatArray | null, p: SGDStepParams): void {
  const { lr, momentum, dampening, nesterov, weightDecay, firstStep } = p;
  const n = w.length;
  if (momentum !== 0 && (buf === null || buf.length !== n)) {
    throw new KiokuError(
      `sgdUpdate: momentum buffer must have ${n} elements, got ${buf === null ? 'null' : buf.length}`,
    );
  }
  for (let i = 0; i < n; i++) {
    let d = g[i];
    if (weightDecay !== 0) d += weightDecay * w[i];
    if (momentum !== 0) {
      const b = firstStep ? d : momentum * buf![i] + (1 - dampening) * d;
      buf![i] = b;
      d = nesterov ? d + momentum * b : b;
    }
    w[i] -= lr * d;
  }
}

/** Validate SGD options, filling in defaults. */
export function normalizeSGDOptions(where: string, raw: unknown): SGDConfig {
  const o = readOptionBag(where, raw, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
  const cfg: SGDConfig = {
    lr: numberOption(where, 'lr', o.lr, undefined, { min: 0 }),
    momentum: numberOption(where, 'momentum', o.momentum, 0, { min: 0 }),
    dampening: numberOption(where, 'dampening', o.dampening, 0),
    nesterov: booleanOption(where, 'nesterov', o.nesterov, false),
    weightDecay: numberOption(where, 'weightDecay', o.weightDecay, 0, { min: 0 }),
  };
  if (cfg.nesterov && (cfg.momentum <= 0 || cfg.dampening !== 0)) {
    throw new KiokuError(
      `${where}: nesterov requires momentum > 0 and dampening 0, got momentum ${cfg.momentum} and dampening ${cfg.dampening}`,
    );
  }
  return cfg;
}

/**
 * SGD with optional momentum, Nesterov momentum and weight decay (PyTorch's `SGD`).
 *
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * opt.step();
 * ```
 */
export class SGD extends Optimizer<SGDConfig> {
  constructor(params: readonly Parameter[], options: SGDOptions) {
    super('sgd', 'SGD', params, normalizeSGDOptions, options);
  }

  protected override slotNames(hp: SGDConfig): string[] {
    return hp.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  protected override apply(
    w: FloatArray,
    g: FloatArray,
    slots: FloatArray[],
    t: number,
    hp: SGDConfig,
  ): void {
    const buf = slots[0] ?? null;
    const p: SGDStepParams = { ...hp, firstStep: t === 1 };
    // The backend's fused kernel where it has one (bit-identical), else the JS loop.
    if (!fusedOptimizerKernels()?.sgdUpdate(w, g, buf, p)) sgdUpdate(w, g, buf, p);
  }
}
