// Finite-difference gradient checking in float64 (tier 1 of the test plan).
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';

/** A random float64 tensor with entries ~ U(−scale, scale). */
export function randTensor(shape: number[], rng: Rng, scale = 1): Tensor {
  const t = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniformRange(-scale, scale);
  return t;
}

/**
 * Max abs difference between an analytic gradient and central differences of `loss`
 * with respect to every element of `wrt` (perturbed in place and restored).
 */
export function fdMaxDiff(
  loss: () => number,
  wrt: Float64Array | Float32Array,
  analytic: ArrayLike<number>,
  eps = 1e-6,
): number {
  let maxDiff = 0;
  for (let i = 0; i < wrt.length; i++) {
    const orig = wrt[i];
    wrt[i] = orig + eps;
    const lp = loss();
    wrt[i] = orig - eps;
    const lm = loss();
    wrt[i] = orig;
    const num = (lp - lm) / (2 * eps);
    maxDiff = Math.max(maxDiff, Math.abs(num - analytic[i]));
  }
  return maxDiff;
}

/** Σ a ∘ b (a random projection turns any output into a scalar loss). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
