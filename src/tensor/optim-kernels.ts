/**
 * The scalars of one optimizer step over flat arrays. They live in the tensor floor because
 * backends implement fused optimizer kernels (`FusedOptimizerKernels` in wasm-backend.ts)
 * that take them; src/optim re-exports them next to its reference loops (`adamUpdate`,
 * `sgdUpdate`, `rmspropUpdate`), so the tensor floor never imports the optimizer floor.
 */

/** Scalars of one `adamUpdate` call (Kingma & Ba 2015, Algorithm 1; AdamW: Loshchilov & Hutter 2019). */
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

/** Hyper-parameters of one `sgdUpdate` call (PyTorch 1.13 `torch.optim.SGD` semantics). */
export interface SGDStepParams {
  /** Learning rate γ. */
  lr: number;
  /** Momentum factor μ (0: no buffer). */
  momentum: number;
  /** Dampening τ of the gradient added to the momentum buffer. */
  dampening: number;
  /** Nesterov momentum. */
  nesterov: boolean;
  /** L2 penalty λ added to the gradient. */
  weightDecay: number;
  /** True on the first step: the momentum buffer is set to the gradient, not blended. */
  firstStep: boolean;
}

/** Hyper-parameters of one `rmspropUpdate` call (PyTorch 1.13 `torch.optim.RMSprop` semantics). */
export interface RMSpropConfig {
  /** Learning rate γ. */
  lr: number;
  /** Smoothing constant α of the running averages. */
  alpha: number;
  /** Added to the root-mean-square for numerical stability. */
  eps: number;
  /** L2 penalty λ added to the gradient. */
  weightDecay: number;
  /** Momentum μ of the normalised step. */
  momentum: number;
  /** Normalise by the estimated variance instead of the raw second moment. */
  centered: boolean;
}
