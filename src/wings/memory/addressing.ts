/**
 * The memory operations of the Neural Turing Machine (Graves, Wayne & Danihelka 2014,
 * "Neural Turing Machines", arXiv:1410.5401, §3), each a forward/backward pair side by
 * side. They work on one batch row: a memory M is a flat [N, M] array (N slots of width M),
 * a weighting w a vector [N]. Backward functions take ∂L/∂(output) and return (or add
 * into) ∂L/∂(inputs), reading only the typed cache their forward returned.
 *
 * The DNC (Graves et al. 2016) reuses `content` (its C(M, k, β)), `read` and `write`.
 *
 * ```ts
 * const c = contentForward(mem, N, M, key, beta);          // eqs. 5–6   w_c [N]
 * const g = interpolateForward(c.w, wPrev, gate);          // eq. 7      w_g [N]
 * const s = shiftForward(g, shift);                        // eq. 8      w̃  [N]
 * const w = sharpenForward(s, gamma);                      // eq. 9      w  [N]
 * ```
 */

/** Every array the memory ops touch (float64 in checks, float32 or float64 otherwise). */
export type Vec = Float32Array | Float64Array;

/** Guards the cosine's denominator (zero keys or rows) and log(w̃) in sharpening. */
export const COSINE_EPS = 1e-6;
export const SHARPEN_EPS = 1e-12;

function like(a: Vec, n: number): Vec {
  return a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

// ---------------------------------------------------------------------------------------
// Content addressing, eqs. 5–6:
//   K[u, v] = u·v / (‖u‖‖v‖ + ε)                                        (6)
//   w_c(i) = exp(β K[k, M(i)]) / Σ_j exp(β K[k, M(j)])                   (5)

export interface ContentCache {
  mem: Vec; // [N, M] (not copied: callers keep each step's memory alive)
  N: number;
  M: number;
  key: Vec; // [M]
  beta: number;
  dots: Float64Array; // [N] k·M(i)
  rowNorms: Float64Array; // [N] ‖M(i)‖
  keyNorm: number;
  sim: Float64Array; // [N] K[k, M(i)]
  w: Vec; // [N]
}

export function contentForward(mem: Vec, N: number, M: number, key: Vec, beta: number): ContentCache {
  const dots = new Float64Array(N);
  const rowNorms = new Float64Array(N);
  const sim = new Float64Array(N);
  let kk = 0;
  for (let j = 0; j < M; j++) kk += key[j] * key[j];
  const keyNorm = Math.sqrt(kk);
  let max = -Infinity;
  for (let i = 0; i < N; i++) {
    let d = 0;
    let nn = 0;
    for (let j = 0; j < M; j++) {
      const m = mem[i * M + j];
      d += key[j] * m;
      nn += m * m;
    }
    dots[i] = d;
    rowNorms[i] = Math.sqrt(nn);
    sim[i] = d / (keyNorm * rowNorms[i] + COSINE_EPS); // (6)
    max = Math.max(max, beta * sim[i]);
  }
  const w = like(key, N);
  let z = 0;
  for (let i = 0; i < N; i++) z += Math.exp(beta * sim[i] - max);
  for (let i = 0; i < N; i++) w[i] = Math.exp(beta * sim[i] - max) / z; // (5)
  return { mem, N, M, key, beta, dots, rowNorms, keyNorm, sim, w };
}

/** Backward of eqs. 5–6: adds ∂L/∂M into `dMem` [N, M] and ∂L/∂k into `dKey` [M]; returns ∂L/∂β. */
export function contentBackward(c: ContentCache, dw: ArrayLike<number>, dMem: Vec, dKey: Vec): number {
  const { mem, N, M, key, beta, dots, rowNorms, keyNorm, sim, w } = c;
  let wdw = 0;
  for (let i = 0; i < N; i++) wdw += w[i] * dw[i];
  let dBeta = 0;
  for (let i = 0; i < N; i++) {
    const dz = w[i] * (dw[i] - wdw); // softmax backward: ∂L/∂(β K_i)
    dBeta += dz * sim[i];
    const dK = dz * beta;
    // K = d / D with D = ‖k‖‖M_i‖ + ε:  ∂K/∂k = M_i/D − d ‖M_i‖ k / (‖k‖ D²), symmetric for M_i.
    const D = keyNorm * rowNorms[i] + COSINE_EPS;
    const a = dK / D;
    const b = (dK * dots[i]) / (D * D);
    const bk = keyNorm > 0 ? (b * rowNorms[i]) / keyNorm : 0;
    const bm = rowNorms[i] > 0 ? (b * keyNorm) / rowNorms[i] : 0;
    for (let j = 0; j < M; j++) {
      const m = mem[i * M + j];
      dKey[j] += a * m - bk * key[j];
      dMem[i * M + j] += a * key[j] - bm * m;
    }
  }
  return dBeta;
}

// ---------------------------------------------------------------------------------------
// Interpolation, eq. 7:   w_g = g w_c + (1 − g) w_{t−1}

export function interpolateForward(wc: Vec, wPrev: Vec, g: number): Vec {
  const out = like(wc, wc.length);
  for (let i = 0; i < wc.length; i++) out[i] = g * wc[i] + (1 - g) * wPrev[i]; // (7)
  return out;
}

/** Backward of eq. 7: adds into dWc and dWPrev; returns ∂L/∂g. */
export function interpolateBackward(
  wc: Vec,
  wPrev: Vec,
  g: number,
  dwg: ArrayLike<number>,
  dWc: Vec,
  dWPrev: Vec,
): number {
  let dg = 0;
  for (let i = 0; i < wc.length; i++) {
    dg += dwg[i] * (wc[i] - wPrev[i]);
    dWc[i] += g * dwg[i];
    dWPrev[i] += (1 - g) * dwg[i];
  }
  return dg;
}

// ---------------------------------------------------------------------------------------
// Circular convolutional shift, eq. 8:  w̃(i) = Σ_j w_g(j) s(i − j)   (indices mod N).
// `s` [S] holds shifts −h … +h with S = 2h + 1, entry k meaning a shift by k − h.

export function shiftForward(wg: Vec, s: Vec): Vec {
  const N = wg.length;
  const h = (s.length - 1) / 2;
  const out = like(wg, N);
  for (let i = 0; i < N; i++) {
    let acc = 0;
    for (let k = 0; k < s.length; k++) acc += wg[(((i - k + h) % N) + N) % N] * s[k]; // (8)
    out[i] = acc;
  }
  return out;
}

/** Backward of eq. 8: adds into dWg [N] and dS [S]. */
export function shiftBackward(wg: Vec, s: Vec, dOut: ArrayLike<number>, dWg: Vec, dS: Vec): void {
  const N = wg.length;
  const h = (s.length - 1) / 2;
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < s.length; k++) {
      const j = (((i - k + h) % N) + N) % N;
      dWg[j] += dOut[i] * s[k];
      dS[k] += dOut[i] * wg[j];
    }
  }
}

// ---------------------------------------------------------------------------------------
// Sharpening, eq. 9:  w(i) = w̃(i)^γ / Σ_j w̃(j)^γ   (γ ≥ 1; w̃ + ε keeps log w̃ finite)

export interface SharpenCache {
  wt: Vec; // [N] w̃
  gamma: number;
  pow: Float64Array; // [N] (w̃ + ε)^γ
  sum: number;
  w: Vec; // [N]
}

export function sharpenForward(wt: Vec, gamma: number): SharpenCache {
  const N = wt.length;
  const pow = new Float64Array(N);
  let sum = 0;
  for (let i = 0; i < N; i++) {
    pow[i] = (wt[i] + SHARPEN_EPS) ** gamma;
    sum += pow[i];
  }
  const w = like(wt, N);
  for (let i = 0; i < N; i++) w[i] = pow[i] / sum; // (9)
  return { wt, gamma, pow, sum, w };
}

/** Backward of eq. 9: adds into dWt [N]; returns ∂L/∂γ. */
export function sharpenBackward(c: SharpenCache, dw: ArrayLike<number>, dWt: Vec): number {
  const { wt, gamma, pow, sum, w } = c;
  let wdw = 0;
  for (let i = 0; i < wt.length; i++) wdw += w[i] * dw[i];
  let dGamma = 0;
  for (let i = 0; i < wt.length; i++) {
    const dp = (dw[i] - wdw) / sum; // ∂L/∂(w̃_i + ε)^γ
    const base = wt[i] + SHARPEN_EPS;
    dWt[i] += (dp * gamma * pow[i]) / base;
    dGamma += dp * pow[i] * Math.log(base);
  }
  return dGamma;
}

// ---------------------------------------------------------------------------------------
// Reading, eq. 2:  r = Σ_i w(i) M(i)

export function readForward(mem: Vec, N: number, M: number, w: Vec): Vec {
  const r = like(w, M);
  for (let i = 0; i < N; i++) {
    const wi = w[i];
    for (let j = 0; j < M; j++) r[j] += wi * mem[i * M + j]; // (2)
  }
  return r;
}

/** Backward of eq. 2: adds into dMem [N, M] and dW [N]. */
export function readBackward(
  mem: Vec,
  N: number,
  M: number,
  w: Vec,
  dr: ArrayLike<number>,
  dMem: Vec,
  dW: Vec,
): void {
  for (let i = 0; i < N; i++) {
    let acc = 0;
    for (let j = 0; j < M; j++) {
      acc += dr[j] * mem[i * M + j];
      dMem[i * M + j] += w[i] * dr[j];
    }
    dW[i] += acc;
  }
}

// ---------------------------------------------------------------------------------------
// Writing by erase then add, eqs. 3–4:
//   M̃(i) = M_{t−1}(i) ∘ [1 − w(i) e]                                  (3)
//   M(i)  = M̃(i) + w(i) a                                              (4)

export function writeForward(memPrev: Vec, N: number, M: number, w: Vec, erase: Vec, add: Vec): Vec {
  const out = like(memPrev, N * M);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < M; j++) {
      out[i * M + j] = memPrev[i * M + j] * (1 - w[i] * erase[j]) + w[i] * add[j]; // (3), (4)
    }
  }
  return out;
}

/**
 * Backward of eqs. 3–4. `dMem` [N, M] is ∂L/∂M_t on entry and is overwritten with
 * ∂L/∂M_{t−1}; adds into dW [N], dErase [M], dAdd [M].
 */
export function writeBackward(
  memPrev: Vec,
  N: number,
  M: number,
  w: Vec,
  erase: Vec,
  add: Vec,
  dMem: Vec,
  dW: Vec,
  dErase: Vec,
  dAdd: Vec,
): void {
  for (let i = 0; i < N; i++) {
    let dwi = 0;
    for (let j = 0; j < M; j++) {
      const d = dMem[i * M + j];
      const mp = memPrev[i * M + j];
      dwi += d * (add[j] - mp * erase[j]);
      dErase[j] -= d * mp * w[i];
      dAdd[j] += d * w[i];
      dMem[i * M + j] = d * (1 - w[i] * erase[j]);
    }
    dW[i] += dwi;
  }
}

// ---------------------------------------------------------------------------------------
// Pointwise activations that turn the controller's raw outputs into head parameters.
// Each backward takes the activation's output y (and for softplus its input) and dy.

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const sigmoidGrad = (y: number, dy: number): number => dy * y * (1 - y);
/** softplus(x) = log(1 + eˣ), stable for large |x|. */
export const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
export const softplusGrad = (x: number, dy: number): number => dy * sigmoid(x);
export const tanhGrad = (y: number, dy: number): number => dy * (1 - y * y);

/** Softmax over a[off, off + n) written to out[outOff, …). */
export function softmaxInto(a: ArrayLike<number>, off: number, n: number, out: Vec, outOff: number): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, a[off + i]);
  let z = 0;
  for (let i = 0; i < n; i++) z += Math.exp(a[off + i] - max);
  for (let i = 0; i < n; i++) out[outOff + i] = Math.exp(a[off + i] - max) / z;
}

/** Softmax backward: da[i] = y[i] (dy[i] − Σ_j y[j] dy[j]) written to da[daOff, …). */
export function softmaxGradInto(
  y: ArrayLike<number>,
  yOff: number,
  dy: ArrayLike<number>,
  dyOff: number,
  n: number,
  da: Vec,
  daOff: number,
): void {
  let s = 0;
  for (let i = 0; i < n; i++) s += y[yOff + i] * dy[dyOff + i];
  for (let i = 0; i < n; i++) da[daOff + i] = y[yOff + i] * (dy[dyOff + i] - s);
}
