/**
 * The memory operations of the Differentiable Neural Computer (Graves et al. 2016,
 * "Hybrid computing using a neural network with dynamic external memory", Nature 538,
 * Methods: "Dynamic memory allocation" and "Temporal memory linkage"), each a
 * forward/backward pair side by side over one batch row. N memory slots, R read heads.
 * Content lookup, reading and the erase/add write are shared with the NTM (`addressing.ts`).
 *
 * ```ts
 * const psi = retentionForward(freeGates, readWPrev, N);           // ψ_t
 * const u = usageForward(uPrev, wwPrev, psi);                      // u_t
 * const alloc = allocationForward(u);                              // a_t
 * const ww = writeWeightingForward(alloc.a, cw, gAlloc, gWrite);   // w^w_t
 * const link = linkForward(LPrev, pPrev, ww);                      // L_t, p_t
 * const fwd = linkReadForward(link.L, N, wrPrev, false);           // f^i_t = L_t w^{r,i}_{t−1}
 * ```
 */
import type { Vec } from './addressing.js';

function like(a: Vec, n: number): Vec {
  return a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

// ---------------------------------------------------------------------------------------
// Memory retention ψ_t = Π_{i=1..R} (1 − f^i_t w^{r,i}_{t−1})
// freeGates [R], readWPrev [R, N] → ψ [N]

export function retentionForward(freeGates: Vec, readWPrev: Vec, N: number): Vec {
  const R = freeGates.length;
  const psi = like(readWPrev, N);
  for (let n = 0; n < N; n++) {
    let p = 1;
    for (let r = 0; r < R; r++) p *= 1 - freeGates[r] * readWPrev[r * N + n];
    psi[n] = p;
  }
  return psi;
}

/** Adds into dFree [R] and dReadWPrev [R, N]. Products over the other heads avoid dividing by a zero factor. */
export function retentionBackward(
  freeGates: Vec,
  readWPrev: Vec,
  N: number,
  dPsi: ArrayLike<number>,
  dFree: Vec,
  dReadWPrev: Vec,
): void {
  const R = freeGates.length;
  for (let n = 0; n < N; n++) {
    for (let r = 0; r < R; r++) {
      let others = dPsi[n];
      for (let q = 0; q < R; q++) if (q !== r) others *= 1 - freeGates[q] * readWPrev[q * N + n];
      dFree[r] -= others * readWPrev[r * N + n];
      dReadWPrev[r * N + n] -= others * freeGates[r];
    }
  }
}

// ---------------------------------------------------------------------------------------
// Usage u_t = (u_{t−1} + w^w_{t−1} − u_{t−1} ∘ w^w_{t−1}) ∘ ψ_t

export function usageForward(uPrev: Vec, wwPrev: Vec, psi: Vec): Vec {
  const u = like(uPrev, uPrev.length);
  for (let n = 0; n < u.length; n++) u[n] = (uPrev[n] + wwPrev[n] - uPrev[n] * wwPrev[n]) * psi[n];
  return u;
}

/** Adds into dUPrev, dWwPrev, dPsi (all [N]). */
export function usageBackward(
  uPrev: Vec,
  wwPrev: Vec,
  psi: Vec,
  du: ArrayLike<number>,
  dUPrev: Vec,
  dWwPrev: Vec,
  dPsi: Vec,
): void {
  for (let n = 0; n < uPrev.length; n++) {
    dUPrev[n] += du[n] * psi[n] * (1 - wwPrev[n]);
    dWwPrev[n] += du[n] * psi[n] * (1 - uPrev[n]);
    dPsi[n] += du[n] * (uPrev[n] + wwPrev[n] - uPrev[n] * wwPrev[n]);
  }
}

// ---------------------------------------------------------------------------------------
// Allocation weighting over the free list φ_t (slot indices sorted by ascending usage):
//   a_t[φ_t[j]] = (1 − u_t[φ_t[j]]) Π_{i=1}^{j−1} u_t[φ_t[i]]
// The sort is not differentiable; as in the paper its permutation is held constant in
// backward (gradients flow through the usages, not through the order).

export interface AllocationCache {
  u: Vec; // [N]
  order: Int32Array; // [N] φ_t (stable: ties keep slot order)
  prefix: Float64Array; // [N] Π_{i<j} u[φ_i]
  a: Vec; // [N]
}

export function allocationForward(u: Vec): AllocationCache {
  const N = u.length;
  const order = Int32Array.from({ length: N }, (_, i) => i).sort((x, y) => u[x] - u[y] || x - y);
  const prefix = new Float64Array(N);
  const a = like(u, N);
  let p = 1;
  for (let j = 0; j < N; j++) {
    const s = order[j];
    prefix[j] = p;
    a[s] = (1 - u[s]) * p;
    p *= u[s];
  }
  return { u, order, prefix, a };
}

/** Adds into dU [N]: reverse mode through the running product P_{j+1} = P_j u[φ_j]. */
export function allocationBackward(c: AllocationCache, da: ArrayLike<number>, dU: Vec): void {
  const { u, order, prefix } = c;
  let dP = 0; // ∂L/∂P_{j+1}
  for (let j = order.length - 1; j >= 0; j--) {
    const s = order[j];
    // P_{j+1} = P_j u_s  and  a_s = (1 − u_s) P_j
    dU[s] += dP * prefix[j] - da[s] * prefix[j];
    dP = dP * u[s] + da[s] * (1 - u[s]);
  }
}

// ---------------------------------------------------------------------------------------
// Write weighting w^w_t = g^w_t [g^a_t a_t + (1 − g^a_t) c^w_t]

export function writeWeightingForward(a: Vec, cw: Vec, gAlloc: number, gWrite: number): Vec {
  const w = like(a, a.length);
  for (let n = 0; n < a.length; n++) w[n] = gWrite * (gAlloc * a[n] + (1 - gAlloc) * cw[n]);
  return w;
}

/** Adds into dA, dCw; returns [∂L/∂g^a, ∂L/∂g^w]. */
export function writeWeightingBackward(
  a: Vec,
  cw: Vec,
  gAlloc: number,
  gWrite: number,
  dw: ArrayLike<number>,
  dA: Vec,
  dCw: Vec,
): [number, number] {
  let dgA = 0;
  let dgW = 0;
  for (let n = 0; n < a.length; n++) {
    dgW += dw[n] * (gAlloc * a[n] + (1 - gAlloc) * cw[n]);
    dgA += dw[n] * gWrite * (a[n] - cw[n]);
    dA[n] += dw[n] * gWrite * gAlloc;
    dCw[n] += dw[n] * gWrite * (1 - gAlloc);
  }
  return [dgA, dgW];
}

// ---------------------------------------------------------------------------------------
// Temporal link matrix and precedence:
//   L_t[i, j] = (1 − w^w_t[i] − w^w_t[j]) L_{t−1}[i, j] + w^w_t[i] p_{t−1}[j],   L_t[i, i] = 0
//   p_t = (1 − Σ_i w^w_t[i]) p_{t−1} + w^w_t
// L [N, N] row-major: L[i, j] is the degree to which slot i was written after slot j.

export function linkForward(LPrev: Vec, pPrev: Vec, ww: Vec): { L: Vec; p: Vec } {
  const N = ww.length;
  const L = like(ww, N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      if (i !== j) L[i * N + j] = (1 - ww[i] - ww[j]) * LPrev[i * N + j] + ww[i] * pPrev[j];
    }
  }
  let sw = 0;
  for (let i = 0; i < N; i++) sw += ww[i];
  const p = like(ww, N);
  for (let i = 0; i < N; i++) p[i] = (1 - sw) * pPrev[i] + ww[i];
  return { L, p };
}

/**
 * Backward of the link and precedence updates. `dL` [N, N] and `dp` [N] are ∂L/∂L_t and
 * ∂L/∂p_t; writes ∂L/∂L_{t−1} into dLPrev and adds into dPPrev and dWw.
 */
export function linkBackward(
  LPrev: Vec,
  pPrev: Vec,
  ww: Vec,
  dL: ArrayLike<number>,
  dp: ArrayLike<number>,
  dLPrev: Vec,
  dPPrev: Vec,
  dWw: Vec,
): void {
  const N = ww.length;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      if (i === j) {
        dLPrev[i * N + j] = 0;
        continue;
      }
      const d = dL[i * N + j];
      const lp = LPrev[i * N + j];
      dLPrev[i * N + j] = d * (1 - ww[i] - ww[j]);
      dWw[i] += d * (pPrev[j] - lp);
      dWw[j] -= d * lp;
      dPPrev[j] += d * ww[i];
    }
  }
  let sw = 0;
  let dpp = 0;
  for (let i = 0; i < N; i++) {
    sw += ww[i];
    dpp += dp[i] * pPrev[i];
  }
  for (let i = 0; i < N; i++) {
    dPPrev[i] += dp[i] * (1 - sw);
    dWw[i] += dp[i] - dpp;
  }
}

// ---------------------------------------------------------------------------------------
// Forward and backward weightings: f^i_t = L_t w^{r,i}_{t−1},  b^i_t = L_tᵀ w^{r,i}_{t−1}

export function linkReadForward(L: Vec, N: number, w: Vec, transpose: boolean): Vec {
  const out = like(w, N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      if (transpose) out[j] += L[i * N + j] * w[i];
      else out[i] += L[i * N + j] * w[j];
    }
  }
  return out;
}

/** Adds into dL [N, N] and dW [N]. */
export function linkReadBackward(
  L: Vec,
  N: number,
  w: Vec,
  transpose: boolean,
  dOut: ArrayLike<number>,
  dL: Vec,
  dW: Vec,
): void {
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      if (transpose) {
        dL[i * N + j] += dOut[j] * w[i];
        dW[i] += dOut[j] * L[i * N + j];
      } else {
        dL[i * N + j] += dOut[i] * w[j];
        dW[j] += dOut[i] * L[i * N + j];
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Read weighting from the read mode π^i_t (softmax over 3: backward, content, forward):
//   w^{r,i}_t = π^i_t[1] b^i_t + π^i_t[2] c^{r,i}_t + π^i_t[3] f^i_t

export function readModeForward(pi: ArrayLike<number>, piOff: number, b: Vec, c: Vec, f: Vec): Vec {
  const w = like(b, b.length);
  for (let n = 0; n < b.length; n++) w[n] = pi[piOff] * b[n] + pi[piOff + 1] * c[n] + pi[piOff + 2] * f[n];
  return w;
}

/** Adds into dB, dC, dF; writes ∂L/∂π (3 values) into dPi at dPiOff. */
export function readModeBackward(
  pi: ArrayLike<number>,
  piOff: number,
  b: Vec,
  c: Vec,
  f: Vec,
  dw: ArrayLike<number>,
  dPi: Vec,
  dPiOff: number,
  dB: Vec,
  dC: Vec,
  dF: Vec,
): void {
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  for (let n = 0; n < b.length; n++) {
    d0 += dw[n] * b[n];
    d1 += dw[n] * c[n];
    d2 += dw[n] * f[n];
    dB[n] += dw[n] * pi[piOff];
    dC[n] += dw[n] * pi[piOff + 1];
    dF[n] += dw[n] * pi[piOff + 2];
  }
  dPi[dPiOff] = d0;
  dPi[dPiOff + 1] = d1;
  dPi[dPiOff + 2] = d2;
}
