/**
 * Eigenvalues of the small dense matrices the gradient-flow experiment inspects: W_hh and
 * the step Jacobians ∂s_t/∂s_{t−1}. Backpropagation multiplies the error by the transposed
 * Jacobian once per step, so over many steps its size goes like ρ^k, where ρ is the
 * spectral radius (the largest |λ|): ρ < 1 makes the gradient vanish, ρ > 1 lets it
 * explode (Bengio et al. 1994; Pascanu et al. 2013, §2). The decomposition itself is
 * ml-matrix's (Hessenberg reduction and shifted QR, after JAMA/EISPACK `hqr2`).
 *
 * ```ts
 * const { re, im } = eigenvalues(w.whh.value.data, H); // W_hh [H, H], row-major
 * spectralRadius(w.whh.value.data, H);                 // max |λ|
 * ```
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { KiokuError } from '../../util/errors.js';

/** The n eigenvalues (real and imaginary parts) of the n×n row-major matrix `a` at `offset`. */
export function eigenvalues(a: ArrayLike<number>, n: number, offset = 0): { re: number[]; im: number[] } {
  if (!Number.isInteger(n) || n < 1)
    throw new KiokuError(`eigenvalues: n must be a positive integer, got ${n}`);
  if (a.length < offset + n * n) {
    throw new KiokuError(
      `eigenvalues: expected ${n}×${n} = ${n * n} values from offset ${offset}, got ${a.length - offset}`,
    );
  }
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      const v = a[offset + i * n + j];
      if (!Number.isFinite(v)) throw new KiokuError(`eigenvalues: matrix entry [${i}, ${j}] is ${v}`);
      row[j] = v;
    }
    rows.push(row);
  }
  const e = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: false });
  return { re: e.realEigenvalues, im: e.imaginaryEigenvalues };
}

/** Spectral radius max_i |λ_i| of the n×n row-major matrix `a` at `offset`. */
export function spectralRadius(a: ArrayLike<number>, n: number, offset = 0): number {
  const { re, im } = eigenvalues(a, n, offset);
  let r = 0;
  for (let i = 0; i < re.length; i++) r = Math.max(r, Math.hypot(re[i], im[i]));
  return r;
}
