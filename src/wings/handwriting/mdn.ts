/**
 * The mixture density output layer of Graves (2013) §4 (after Bishop 1994, "Mixture Density
 * Networks"): the network's output vector ŷ_t parameterises a distribution over the next pen
 * offset x_{t+1} = (Δx, Δy, end-of-stroke):
 *
 *   M bivariate Gaussians for (Δx, Δy) and one Bernoulli for the end-of-stroke bit,
 *   1 + 6M numbers per step (121 for M = 20).
 *
 * Layout of ŷ (kioku's order; Graves eq. 17 lists the same quantities):
 *
 * | slice | size | meaning | transform (Graves 2013) |
 * |---|---|---|---|
 * | [0] | 1 | ê | e = 1 / (1 + exp(ê)) = σ(−ê)  (eq. 18) |
 * | [1, 1+M) | M | π̂ | π = softmax(π̂)  (eq. 19) |
 * | [1+M, 1+2M) | M | μ̂₁ | μ₁ = μ̂₁  (eq. 20) |
 * | [1+2M, 1+3M) | M | μ̂₂ | μ₂ = μ̂₂  (eq. 20) |
 * | [1+3M, 1+4M) | M | σ̂₁ | σ₁ = exp(σ̂₁)  (eq. 21) |
 * | [1+4M, 1+5M) | M | σ̂₂ | σ₂ = exp(σ̂₂)  (eq. 21) |
 * | [1+5M, 1+6M) | M | ρ̂ | ρ = tanh(ρ̂)  (eq. 22) |
 *
 * Density (eqs. 23-25), with u₁ = (x₁ − μ₁)/σ₁, u₂ = (x₂ − μ₂)/σ₂:
 *
 *   N(x | μ, σ, ρ) = 1 / (2π σ₁ σ₂ √(1−ρ²)) · exp(−Z / (2(1−ρ²))),  Z = u₁² + u₂² − 2ρ u₁ u₂
 *
 * Loss of one step (eq. 26):
 *
 *   L = −log Σ_j π_j N(x₁, x₂ | μ_j, σ_j, ρ_j) − { log e if x₃ = 1, log(1 − e) otherwise }
 *
 * Output derivatives (eqs. 27-37), with the responsibilities
 * γ_j = π_j N_j / Σ_k π_k N_k (eq. 28) and C = 1/(1 − ρ²) (eq. 29):
 *
 *   ∂L/∂ê   = x₃ − e                                        (eq. 27)
 *   ∂L/∂π̂_j = π_j − γ_j                                     (eq. 30)
 *   ∂L/∂μ̂₁  = −γ_j C/σ₁ · (u₁ − ρ u₂)                       (eq. 31)
 *   ∂L/∂μ̂₂  = −γ_j C/σ₂ · (u₂ − ρ u₁)                       (eq. 32)
 *   ∂L/∂σ̂₁  = −γ_j (C u₁ (u₁ − ρ u₂) − 1)                   (eq. 33)
 *   ∂L/∂σ̂₂  = −γ_j (C u₂ (u₂ − ρ u₁) − 1)                   (eq. 34)
 *   ∂L/∂ρ̂   = −γ_j (u₁ u₂ + ρ (1 − C Z))                    (eq. 35)
 *
 * (eqs. 36-37 of the paper are the same expressions written out for the second
 * coordinate.) Everything is computed in float64 whatever the storage: log π by a stable
 * log-softmax, log Σ_j π_j N_j by log-sum-exp, log e and log(1 − e) by softplus. σ̂ is
 * clamped to [SIGMA_HAT_MIN, SIGMA_HAT_MAX] and ρ̂ to [−RHO_HAT_MAX, RHO_HAT_MAX] (so
 * σ > 0 and 1 − ρ² ≥ 1.8e-4 stay representable in float32); where a clamp is active the
 * derivative with respect to that output is 0, as for `torch.clamp`.
 *
 * ```ts
 * const M = 20;
 * const yhat = fc.forward(h);                         // [T, B, 121]
 * const r = mdnLoss(yhat, targets, { M, mask, clip: 100, scale: 1 / nPoints });
 * r.nll / r.count;                                    // nats per point
 * fc.backward(r.grad!);
 * ```
 */
import { allocFloat, type FloatArray, Tensor } from '../../tensor/tensor.js';
import { check, checkNumber, KiokuError, shapeToString } from '../../util/errors.js';

/** Lower clamp of σ̂ = log σ (σ ≥ e⁻¹⁰ ≈ 4.5e-5 in normalised units). */
export const SIGMA_HAT_MIN = -10;
/** Upper clamp of σ̂ = log σ. */
export const SIGMA_HAT_MAX = 10;
/** Clamp of |ρ̂|: |ρ| = tanh(5) ≤ 0.99991, so 1 − ρ² ≥ 1.8e-4. */
export const RHO_HAT_MAX = 5;

const LOG_2PI = Math.log(2 * Math.PI);

/** Number of outputs for M mixture components: 1 + 6M (121 for M = 20). */
export function mdnOutputSize(M: number): number {
  checkNumber('mdnOutputSize', 'M', M, { min: 1, integer: true });
  return 1 + 6 * M;
}

/** M from an output width 1 + 6M; refuses widths of any other form. */
export function mdnComponents(outputSize: number): number {
  const M = (outputSize - 1) / 6;
  if (!Number.isInteger(M) || M < 1) {
    throw new KiokuError(`mdnComponents: output size must be 1 + 6M for an integer M ≥ 1, got ${outputSize}`);
  }
  return M;
}

/** log(1 + exp(x)) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * log N(x₁, x₂ | μ, σ, ρ) of a bivariate Gaussian (Graves eqs. 24-25), from log σ.
 */
export function logBivariateNormal(
  x1: number,
  x2: number,
  mu1: number,
  mu2: number,
  logS1: number,
  logS2: number,
  rho: number,
): number {
  const u1 = (x1 - mu1) / Math.exp(logS1);
  const u2 = (x2 - mu2) / Math.exp(logS2);
  const omr = 1 - rho * rho;
  const Z = u1 * u1 + u2 * u2 - 2 * rho * u1 * u2;
  return -LOG_2PI - logS1 - logS2 - 0.5 * Math.log(omr) - Z / (2 * omr);
}

/**
 * The predicted distribution of one step, in the data's (normalised) units:
 * end-of-stroke probability e and M components (π, μ₁, μ₂, σ₁, σ₂, ρ).
 */
export interface Mixture {
  M: number;
  e: number;
  pi: Float64Array; // [M]
  mu1: Float64Array; // [M]
  mu2: Float64Array; // [M]
  sigma1: Float64Array; // [M]
  sigma2: Float64Array; // [M]
  rho: Float64Array; // [M]
}

/** Options that sharpen or flatten the distribution at sampling time. */
export interface MixtureOptions {
  /**
   * Sampling bias b ≥ 0 (Graves eqs. 61-62): σ = exp(σ̂ − b), π = softmax(π̂ (1 + b)).
   * 0 = the trained distribution; larger b gives neater, more probable strokes.
   */
  bias?: number;
  /**
   * Temperature τ > 0: π = softmax(π̂ / τ), σ ← σ √τ, e = σ(−ê / τ). 1 = unchanged,
   * < 1 sharper, > 1 wilder. Applied after the bias.
   */
  temperature?: number;
}

/**
 * Turn one output vector ŷ (at `off` in `yhat`, width 1 + 6M) into mixture parameters
 * (Graves eqs. 18-22, with the sampling bias of eqs. 61-62 and an optional temperature).
 *
 * ```ts
 * const mix = mixtureAt(yhat.data, (t * B + b) * 121, 20, { bias: 1 });
 * mix.pi; mix.e;
 * ```
 */
export function mixtureAt(
  yhat: ArrayLike<number>,
  off: number,
  M: number,
  opts: MixtureOptions = {},
): Mixture {
  const b = checkNumber('mixtureAt', 'bias', opts.bias ?? 0, { min: 0 });
  const tau = checkNumber('mixtureAt', 'temperature', opts.temperature ?? 1, { min: 1e-6 });
  const mix: Mixture = {
    M,
    e: 0,
    pi: new Float64Array(M),
    mu1: new Float64Array(M),
    mu2: new Float64Array(M),
    sigma1: new Float64Array(M),
    sigma2: new Float64Array(M),
    rho: new Float64Array(M),
  };
  mix.e = 1 / (1 + Math.exp(clamp(yhat[off] / tau, -700, 700))); // eq. 18
  let max = -Infinity;
  for (let j = 0; j < M; j++) {
    const z = (yhat[off + 1 + j] * (1 + b)) / tau; // eq. 62 (bias), then temperature
    mix.pi[j] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let j = 0; j < M; j++) {
    mix.pi[j] = Math.exp(mix.pi[j] - max);
    sum += mix.pi[j];
  }
  const sTau = Math.sqrt(tau);
  for (let j = 0; j < M; j++) {
    mix.pi[j] /= sum; // eq. 19
    mix.mu1[j] = yhat[off + 1 + M + j]; // eq. 20
    mix.mu2[j] = yhat[off + 1 + 2 * M + j];
    // eq. 61: σ = exp(σ̂ − b)
    mix.sigma1[j] = Math.exp(clamp(yhat[off + 1 + 3 * M + j], SIGMA_HAT_MIN, SIGMA_HAT_MAX) - b) * sTau;
    mix.sigma2[j] = Math.exp(clamp(yhat[off + 1 + 4 * M + j], SIGMA_HAT_MIN, SIGMA_HAT_MAX) - b) * sTau;
    mix.rho[j] = Math.tanh(clamp(yhat[off + 1 + 5 * M + j], -RHO_HAT_MAX, RHO_HAT_MAX)); // eq. 22
  }
  return mix;
}

/** The mixture's density of the offset (x₁, x₂) (the pen part only, eq. 23 without e). */
export function mixtureDensity(mix: Mixture, x1: number, x2: number): number {
  let p = 0;
  for (let j = 0; j < mix.M; j++) {
    p +=
      mix.pi[j] *
      Math.exp(
        logBivariateNormal(
          x1,
          x2,
          mix.mu1[j],
          mix.mu2[j],
          Math.log(mix.sigma1[j]),
          Math.log(mix.sigma2[j]),
          mix.rho[j],
        ),
      );
  }
  return p;
}

/** The mixture's mean offset E[(x₁, x₂)] = Σ_j π_j μ_j (used for the SSE of Table 3). */
export function mixtureMean(mix: Mixture): [number, number] {
  let m1 = 0;
  let m2 = 0;
  for (let j = 0; j < mix.M; j++) {
    m1 += mix.pi[j] * mix.mu1[j];
    m2 += mix.pi[j] * mix.mu2[j];
  }
  return [m1, m2];
}

export interface MdnLossOptions {
  /** Number of mixture components (the output width must be 1 + 6M). */
  M: number;
  /** Per-row weight (a padding mask of 0/1), [N] for N = rows of `yhat`. Default all ones. */
  mask?: ArrayLike<number>;
  /** Write ∂L/∂ŷ into `grad` (default true). */
  grad?: boolean;
  /**
   * Clip every element of the per-step derivative ∂L_t/∂ŷ_t to [−clip, clip] before it is
   * scaled (Graves 2013 §4 clips the output derivatives to [−100, 100]). Default: no clip.
   */
  clip?: number;
  /** Multiply the (clipped) gradient by this, e.g. 1 / number of points for a mean. Default 1. */
  scale?: number;
}

export interface MdnLossResult {
  /** Σ_rows mask · L_t (eq. 26), in nats: the summed negative log-likelihood. */
  nll: number;
  /** Σ_rows mask: the number of points counted. */
  count: number;
  /** Per-row loss L_t [N] (0 where masked). */
  rowLoss: Float64Array;
  /** Σ_rows mask · ‖E[x₁,x₂] − (x₁,x₂)‖² + (e − x₃)²: squared error of the mixture mean. */
  sse: number;
  /** scale · clip(∂L/∂ŷ), same shape as `yhat`; null when `grad: false`. */
  grad: Tensor | null;
  /** How many derivative elements the clip changed. */
  clipped: number;
}

/** The shape of `mdnLoss`, so training can run another MDN head (e.g. a learner's, `kioku exercise check mdn`). */
export type MdnLossFn = (yhat: Tensor, target: Tensor, opts: MdnLossOptions) => MdnLossResult;

/** The shape of `mixtureAt`, so the density figures can draw another MDN head's predictions. */
export type MixtureFn = (yhat: ArrayLike<number>, off: number, M: number, opts?: MixtureOptions) => Mixture;

/**
 * Negative log-likelihood of the targets under the mixture (Graves eq. 26), fused with its
 * analytic gradient (eqs. 27-37). `yhat` is [..., 1 + 6M], `target` [..., 3] with rows
 * (Δx, Δy, end-of-stroke) aligned with the rows of `yhat` (the caller shifts by one step:
 * ŷ_t predicts x_{t+1}).
 *
 * ```ts
 * const { nll, count, grad } = mdnLoss(yhat, next, { M: 20, mask, clip: 100, scale: 1 / n });
 * ```
 */
export function mdnLoss(yhat: Tensor, target: Tensor, opts: MdnLossOptions): MdnLossResult {
  const where = 'mdnLoss';
  const M = checkNumber(where, 'M', opts.M, { min: 1, integer: true });
  const K = 1 + 6 * M;
  check(
    yhat.rank >= 1 && yhat.shape[yhat.rank - 1] === K,
    () => `${where}: yhat must be [..., ${K}] for M = ${M}, got ${shapeToString(yhat.shape)}`,
  );
  const N = yhat.size / K;
  check(
    target.rank >= 1 && target.shape[target.rank - 1] === 3 && target.size === N * 3,
    () =>
      `${where}: target must be [..., 3] with ${N} rows to match yhat ${shapeToString(yhat.shape)}, got ${shapeToString(target.shape)}`,
  );
  const mask = opts.mask;
  if (mask !== undefined && mask.length !== N) {
    throw new KiokuError(`${where}: mask must have ${N} entries (one per row), got ${mask.length}`);
  }
  const wantGrad = opts.grad ?? true;
  const clipV = opts.clip === undefined ? Infinity : checkNumber(where, 'clip', opts.clip, { min: 0 });
  const scale = checkNumber(where, 'scale', opts.scale ?? 1);
  const y = yhat.data;
  const x = target.data;
  const g: FloatArray | null = wantGrad ? allocFloat(yhat.dtype, yhat.size) : null;
  const rowLoss = new Float64Array(N);
  const logPi = new Float64Array(M);
  const logN = new Float64Array(M);
  const d = new Float64Array(K); // ∂L_t/∂ŷ_t of one row, before clipping and scaling
  let nll = 0;
  let count = 0;
  let sse = 0;
  let clipped = 0;
  for (let n = 0; n < N; n++) {
    const w = mask === undefined ? 1 : mask[n];
    if (w === 0) continue;
    const o = n * K;
    const x1 = x[n * 3];
    const x2 = x[n * 3 + 1];
    const x3 = x[n * 3 + 2];
    if (!Number.isFinite(x1) || !Number.isFinite(x2) || !Number.isFinite(x3)) {
      throw new KiokuError(`${where}: target row ${n} is not finite: (${x1}, ${x2}, ${x3})`);
    }
    // End of stroke, eq. 18: e = σ(−ê); log e = −softplus(ê), log(1 − e) = −softplus(−ê).
    const eh = y[o];
    const e = 1 / (1 + Math.exp(clamp(eh, -700, 700)));
    const lossE = x3 * softplus(eh) + (1 - x3) * softplus(-eh);
    // Mixture weights, eq. 19, as a stable log-softmax.
    let maxPi = -Infinity;
    for (let j = 0; j < M; j++) maxPi = Math.max(maxPi, y[o + 1 + j]);
    let sumPi = 0;
    for (let j = 0; j < M; j++) sumPi += Math.exp(y[o + 1 + j] - maxPi);
    const lse = maxPi + Math.log(sumPi);
    for (let j = 0; j < M; j++) logPi[j] = y[o + 1 + j] - lse;
    // log π_j + log N_j for every component, then log-sum-exp (eqs. 23-26).
    let maxL = -Infinity;
    for (let j = 0; j < M; j++) {
      const ls1 = clamp(y[o + 1 + 3 * M + j], SIGMA_HAT_MIN, SIGMA_HAT_MAX);
      const ls2 = clamp(y[o + 1 + 4 * M + j], SIGMA_HAT_MIN, SIGMA_HAT_MAX);
      const rho = Math.tanh(clamp(y[o + 1 + 5 * M + j], -RHO_HAT_MAX, RHO_HAT_MAX));
      logN[j] = logBivariateNormal(x1, x2, y[o + 1 + M + j], y[o + 1 + 2 * M + j], ls1, ls2, rho);
      maxL = Math.max(maxL, logPi[j] + logN[j]);
    }
    let sumL = 0;
    for (let j = 0; j < M; j++) sumL += Math.exp(logPi[j] + logN[j] - maxL);
    const logLik = maxL + Math.log(sumL);
    const L = -logLik + lossE; // eq. 26
    rowLoss[n] = w * L;
    nll += w * L;
    count += w;
    // SSE of the mixture mean and of e against x₃ (Table 3 reports an SSE beside the NLL).
    let m1 = 0;
    let m2 = 0;
    for (let j = 0; j < M; j++) {
      const pj = Math.exp(logPi[j]);
      m1 += pj * y[o + 1 + M + j];
      m2 += pj * y[o + 1 + 2 * M + j];
    }
    sse += w * ((m1 - x1) ** 2 + (m2 - x2) ** 2 + (e - x3) ** 2);
    if (!g) continue;
    d[0] = x3 - e; // eq. 27
    for (let j = 0; j < M; j++) {
      const gamma = Math.exp(logPi[j] + logN[j] - logLik); // eq. 28
      const sh1 = y[o + 1 + 3 * M + j];
      const sh2 = y[o + 1 + 4 * M + j];
      const rh = y[o + 1 + 5 * M + j];
      const s1 = Math.exp(clamp(sh1, SIGMA_HAT_MIN, SIGMA_HAT_MAX));
      const s2 = Math.exp(clamp(sh2, SIGMA_HAT_MIN, SIGMA_HAT_MAX));
      const rho = Math.tanh(clamp(rh, -RHO_HAT_MAX, RHO_HAT_MAX));
      const u1 = (x1 - y[o + 1 + M + j]) / s1;
      const u2 = (x2 - y[o + 1 + 2 * M + j]) / s2;
      const C = 1 / (1 - rho * rho); // eq. 29
      const Z = u1 * u1 + u2 * u2 - 2 * rho * u1 * u2; // eq. 25
      d[1 + j] = Math.exp(logPi[j]) - gamma; // eq. 30
      d[1 + M + j] = (-gamma * C * (u1 - rho * u2)) / s1; // eq. 31
      d[1 + 2 * M + j] = (-gamma * C * (u2 - rho * u1)) / s2; // eq. 32
      d[1 + 3 * M + j] =
        sh1 < SIGMA_HAT_MIN || sh1 > SIGMA_HAT_MAX ? 0 : -gamma * (C * u1 * (u1 - rho * u2) - 1); // eq. 33
      d[1 + 4 * M + j] =
        sh2 < SIGMA_HAT_MIN || sh2 > SIGMA_HAT_MAX ? 0 : -gamma * (C * u2 * (u2 - rho * u1) - 1); // eq. 34
      d[1 + 5 * M + j] = rh < -RHO_HAT_MAX || rh > RHO_HAT_MAX ? 0 : -gamma * (u1 * u2 + rho * (1 - C * Z)); // eq. 35
    }
    for (let k = 0; k < K; k++) {
      let v = d[k];
      if (v > clipV) {
        v = clipV;
        clipped++;
      } else if (v < -clipV) {
        v = -clipV;
        clipped++;
      }
      g[o + k] = w * scale * v;
    }
  }
  return { nll, count, rowLoss, sse, grad: g ? new Tensor(g, yhat.shape) : null, clipped };
}

/**
 * Draw one offset (Δx, Δy, end-of-stroke) from a mixture: pick a component j with
 * probability π_j, draw from its correlated Gaussian (x₁ = μ₁ + σ₁ n₁,
 * x₂ = μ₂ + σ₂ (ρ n₁ + √(1−ρ²) n₂)), and the end-of-stroke bit with probability e.
 */
export function sampleMixture(
  mix: Mixture,
  rng: { uniform(): number; normal(): number },
): [number, number, number] {
  let u = rng.uniform();
  let j = 0;
  for (; j < mix.M - 1; j++) {
    u -= mix.pi[j];
    if (u < 0) break;
  }
  const n1 = rng.normal();
  const n2 = rng.normal();
  const rho = mix.rho[j];
  const x1 = mix.mu1[j] + mix.sigma1[j] * n1;
  const x2 = mix.mu2[j] + mix.sigma2[j] * (rho * n1 + Math.sqrt(1 - rho * rho) * n2);
  const eos = rng.uniform() < mix.e ? 1 : 0;
  return [x1, x2, eos];
}
