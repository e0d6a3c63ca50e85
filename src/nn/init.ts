import { KiokuError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Weight initialisation schemes. Each fills a tensor in place from a seeded `Rng`.
 * For a weight [fanOut, fanIn] (PyTorch's layout), fanIn = shape[1], fanOut = shape[0].
 */
export const INIT_SCHEMES = [
  'pytorch',
  'xavier-uniform',
  'xavier-normal',
  'he-uniform',
  'he-normal',
  'orthogonal',
] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.rank < 2) return { fanIn: t.shape[0] ?? 1, fanOut: t.shape[0] ?? 1 };
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/** U(lo, hi) elementwise. */
export function uniform_(t: Tensor, lo: number, hi: number, rng: Rng): Tensor {
  const a = t.data;
  for (let i = 0; i < a.length; i++) a[i] = rng.uniformRange(lo, hi);
  return t;
}

/** N(0, std²) elementwise. */
export function normal_(t: Tensor, std: number, rng: Rng): Tensor {
  const a = t.data;
  for (let i = 0; i < a.length; i++) a[i] = std * rng.normal();
  return t;
}

/** PyTorch's default for RNN layers: every weight and bias ~ U(−1/√H, 1/√H). */
export function pytorchRnnDefault_(t: Tensor, hiddenSize: number, rng: Rng): Tensor {
  const k = 1 / Math.sqrt(hiddenSize);
  return uniform_(t, -k, k, rng);
}

/** Glorot & Bengio (2010): U(±√(6/(fanIn+fanOut))) — keeps activation variance for tanh. */
export function xavierUniform_(t: Tensor, rng: Rng, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, rng);
}

/** Glorot & Bengio (2010), normal: N(0, 2/(fanIn+fanOut)). */
export function xavierNormal_(t: Tensor, rng: Rng, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  return normal_(t, gain * Math.sqrt(2 / (fanIn + fanOut)), rng);
}

/** He et al. (2015): variance 2/fanIn, for ReLU units (uniform bound √(6/fanIn)). */
export function heUniform_(t: Tensor, rng: Rng): Tensor {
  const a = Math.sqrt(6 / fans(t).fanIn);
  return uniform_(t, -a, a, rng);
}

export function heNormal_(t: Tensor, rng: Rng): Tensor {
  return normal_(t, Math.sqrt(2 / fans(t).fanIn), rng);
}

/**
 * Orthogonal initialisation (Saxe et al. 2014), scaled by `gain`: a random Gaussian matrix
 * orthonormalised by modified Gram–Schmidt. For a square recurrent matrix every singular
 * value — and so the spectral radius — equals `gain`, which is what the gradient-flow
 * experiments vary. Works on each [H, H] block when `blocks` > 1 (stacked gate matrices).
 */
export function orthogonal_(t: Tensor, rng: Rng, gain = 1, blocks = 1): Tensor {
  if (t.rank !== 2) throw new KiokuError(`orthogonal_: expects a matrix, got rank ${t.rank}`);
  const rows = t.shape[0] / blocks;
  const cols = t.shape[1];
  if (!Number.isInteger(rows))
    throw new KiokuError(`orthogonal_: ${t.shape[0]} rows do not split into ${blocks} blocks`);
  for (let blk = 0; blk < blocks; blk++) {
    const q = orthonormalMatrix(rows, cols, rng);
    const off = blk * rows * cols;
    for (let i = 0; i < rows * cols; i++) t.data[off + i] = gain * q[i];
  }
  return t;
}

/** A rows×cols matrix with orthonormal rows (rows ≤ cols) or columns (rows > cols). */
function orthonormalMatrix(rows: number, cols: number, rng: Rng): Float64Array {
  const transpose = rows < cols;
  const n = transpose ? cols : rows; // vectors' length
  const m = transpose ? rows : cols; // number of vectors to orthonormalise
  const v: Float64Array[] = [];
  for (let k = 0; k < m; k++) {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = rng.normal();
    for (const u of v) {
      let d = 0;
      for (let i = 0; i < n; i++) d += x[i] * u[i];
      for (let i = 0; i < n; i++) x[i] -= d * u[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += x[i] * x[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) x[i] /= norm;
    v.push(x);
  }
  const out = new Float64Array(rows * cols);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < n; i++) {
      if (transpose) out[k * cols + i] = v[k][i];
      else out[i * cols + k] = v[k][i];
    }
  }
  return out;
}

/** Apply a named scheme to a weight matrix (biases are left to the caller). */
export function initWeight_(
  t: Tensor,
  scheme: InitScheme,
  rng: Rng,
  opts: { hiddenSize: number; gain?: number; blocks?: number },
): Tensor {
  switch (scheme) {
    case 'pytorch':
      return pytorchRnnDefault_(t, opts.hiddenSize, rng);
    case 'xavier-uniform':
      return xavierUniform_(t, rng, opts.gain ?? 1);
    case 'xavier-normal':
      return xavierNormal_(t, rng, opts.gain ?? 1);
    case 'he-uniform':
      return heUniform_(t, rng);
    case 'he-normal':
      return heNormal_(t, rng);
    case 'orthogonal':
      return orthogonal_(t, rng, opts.gain ?? 1, opts.blocks ?? 1);
    default:
      throw new KiokuError(
        `init: unknown scheme ${JSON.stringify(scheme)}; expected one of pytorch, xavier-uniform, xavier-normal, he-uniform, he-normal, orthogonal`,
      );
  }
}

/**
 * Power iteration estimate of the spectral radius (largest |eigenvalue|) of a square
 * matrix given row-major, via the largest singular value of Mᵏ^(1/k) — good enough for
 * the gradient-flow reports.
 */
export function spectralNorm(a: ArrayLike<number>, n: number, iters = 100): number {
  let v = new Float64Array(n).fill(1 / Math.sqrt(n));
  let sigma = 0;
  for (let it = 0; it < iters; it++) {
    const w = new Float64Array(n); // A v
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j] * v[j];
      w[i] = s;
    }
    const u = new Float64Array(n); // Aᵀ A v
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += a[i * n + j] * w[i];
      u[j] = s;
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm += u[j] * u[j];
    norm = Math.sqrt(norm);
    if (norm === 0) return 0;
    sigma = Math.sqrt(norm);
    for (let j = 0; j < n; j++) u[j] /= norm;
    v = u;
  }
  return sigma;
}
