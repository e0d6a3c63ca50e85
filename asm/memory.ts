// Batched memory kernels of the Neural Turing Machine (Graves, Wayne & Danihelka 2014,
// eqs. 2–9), shared with the DNC (content lookup, read, erase/add write): each call runs one
// operation for all B rows of a batch. The readable reference, one row at a time, is
// src/wings/memory/addressing.ts; the arguments and caches are documented on the
// `MemoryKernels` interface (src/tensor/memory-kernels.ts).
//
// Layout: a memory is [B, N, M] (N slots of width M per row), a weighting [B, N], a key or
// erase/add vector [B, M], a per-row scalar (β, g, γ) [B], shift weights [B, S].
// Loops over a slot's M numbers and over a row's N slots run 4 lanes at a time with the last
// lanes one at a time (`vec` false), so no row is read past its end.
import { fma, hsum, vexp, vlog } from './simd';

/** Guards the cosine's denominator (zero keys or rows) and log(w̃) in sharpening (as the reference). */
const COSINE_EPS: f32 = 1e-6;
const SHARPEN_EPS: f32 = 1e-12;

// @ts-ignore: decorator
@inline function st(vec: bool, p: usize, v: v128): void {
  if (vec) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}
// @ts-ignore: decorator
@inline function splat(x: f32): v128 { return f32x4.splat(x); }
// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** Σ_j a[j]·b[j] over n floats. */
function dot(a: usize, b: usize, n: i32): f32 {
  let acc = splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) acc = fma(v128.load(at(a, j)), v128.load(at(b, j)), acc);
  let s = hsum(acc);
  for (; j < n; j++) s += load<f32>(at(a, j)) * load<f32>(at(b, j));
  return s;
}

/** y[j] += α·x[j] over n floats. */
function axpy(alpha: f32, x: usize, y: usize, n: i32): void {
  const va = splat(alpha);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(at(y, j), fma(va, v128.load(at(x, j)), v128.load(at(y, j))));
  for (; j < n; j++) store<f32>(at(y, j), alpha * load<f32>(at(x, j)) + load<f32>(at(y, j)));
}

/** Softmax in place over n floats: x ← e^{x − max x} / Σ e^{x − max x}. */
function softmaxInPlace(x: usize, n: i32): void {
  let mx: f32 = -Infinity;
  for (let i = 0; i < n; i++) mx = max(mx, load<f32>(at(x, i)));
  const vm = splat(mx);
  let vs = splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const e = vexp(f32x4.sub(v128.load(at(x, i)), vm));
    v128.store(at(x, i), e);
    vs = f32x4.add(vs, e);
  }
  let s = hsum(vs);
  for (; i < n; i++) {
    const e = f32x4.extract_lane(vexp(splat(load<f32>(at(x, i)) - mx)), 0);
    store<f32>(at(x, i), e);
    s += e;
  }
  const vz = splat(s);
  i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(x, i), f32x4.div(v128.load(at(x, i)), vz));
  for (; i < n; i++) store<f32>(at(x, i), load<f32>(at(x, i)) / s);
}

// ---------------------------------------------------------------------------------------
// Content addressing, eqs. 5–6:  K = k·M(i) / (‖k‖‖M(i)‖ + ε),  w_c = softmax_i(β K)

export function memContentForward(
  B: i32, N: i32, M: i32, mem: usize, key: usize, beta: usize,
  w: usize, dots: usize, rowNorm: usize, sim: usize, keyNorm: usize,
): void {
  for (let b = 0; b < B; b++) {
    const mb = at(mem, b * N * M);
    const kb = at(key, b * M);
    const o = b * N;
    const kn = sqrt<f32>(dot(kb, kb, M));
    store<f32>(at(keyNorm, b), kn);
    const be = load<f32>(at(beta, b));
    for (let i = 0; i < N; i++) {
      const row = at(mb, i * M);
      const d = dot(kb, row, M);
      const rn = sqrt<f32>(dot(row, row, M));
      const s = d / (kn * rn + COSINE_EPS); // (6)
      store<f32>(at(dots, o + i), d);
      store<f32>(at(rowNorm, o + i), rn);
      store<f32>(at(sim, o + i), s);
      store<f32>(at(w, o + i), be * s);
    }
    softmaxInPlace(at(w, o), N); // (5)
  }
}

export function memContentBackward(
  B: i32, N: i32, M: i32, mem: usize, key: usize, beta: usize,
  w: usize, dots: usize, rowNorm: usize, sim: usize, keyNorm: usize,
  dw: usize, dMem: usize, dKey: usize, dBeta: usize,
): void {
  for (let b = 0; b < B; b++) {
    const mb = at(mem, b * N * M);
    const dmb = at(dMem, b * N * M);
    const kb = at(key, b * M);
    const dkb = at(dKey, b * M);
    const o = b * N;
    const wdw = dot(at(w, o), at(dw, o), N);
    const kn = load<f32>(at(keyNorm, b));
    const be = load<f32>(at(beta, b));
    let db: f32 = 0;
    for (let i = 0; i < N; i++) {
      const dz = load<f32>(at(w, o + i)) * (load<f32>(at(dw, o + i)) - wdw); // softmax backward
      db += dz * load<f32>(at(sim, o + i));
      const dK = dz * be;
      // K = d / D, D = ‖k‖‖M_i‖ + ε:  ∂K/∂k = M_i/D − d ‖M_i‖ k / (‖k‖ D²), symmetric for M_i.
      const rn = load<f32>(at(rowNorm, o + i));
      const D = kn * rn + COSINE_EPS;
      const a = dK / D;
      const bb = (dK * load<f32>(at(dots, o + i))) / (D * D);
      const bk: f32 = kn > 0 ? (bb * rn) / kn : 0;
      const bm: f32 = rn > 0 ? (bb * kn) / rn : 0;
      const row = at(mb, i * M);
      const drow = at(dmb, i * M);
      const va = splat(a);
      const vbk = splat(-bk);
      const vbm = splat(-bm);
      let j = 0;
      for (; j + 4 <= M; j += 4) {
        const m = v128.load(at(row, j));
        const k = v128.load(at(kb, j));
        v128.store(at(dkb, j), fma(vbk, k, fma(va, m, v128.load(at(dkb, j)))));
        v128.store(at(drow, j), fma(vbm, m, fma(va, k, v128.load(at(drow, j)))));
      }
      for (; j < M; j++) {
        const m = load<f32>(at(row, j));
        const k = load<f32>(at(kb, j));
        store<f32>(at(dkb, j), load<f32>(at(dkb, j)) + a * m - bk * k);
        store<f32>(at(drow, j), load<f32>(at(drow, j)) + a * k - bm * m);
      }
    }
    store<f32>(at(dBeta, b), db);
  }
}

// ---------------------------------------------------------------------------------------
// Interpolation, eq. 7:  w_g = g w_c + (1 − g) w_{t−1}

export function memInterpolateForward(B: i32, N: i32, wc: usize, wPrev: usize, g: usize, out: usize): void {
  for (let b = 0; b < B; b++) {
    const o = b * N;
    const gb = load<f32>(at(g, b));
    const vg = splat(gb);
    const vh = splat(1 - gb);
    let i = 0;
    for (; i + 4 <= N; i += 4) {
      const p = o + i;
      v128.store(at(out, p), fma(vg, v128.load(at(wc, p)), f32x4.mul(vh, v128.load(at(wPrev, p)))));
    }
    for (; i < N; i++) {
      const p = o + i;
      store<f32>(at(out, p), gb * load<f32>(at(wc, p)) + (1 - gb) * load<f32>(at(wPrev, p)));
    }
  }
}

export function memInterpolateBackward(
  B: i32, N: i32, wc: usize, wPrev: usize, g: usize, dwg: usize, dWc: usize, dWPrev: usize, dG: usize,
): void {
  for (let b = 0; b < B; b++) {
    const o = b * N;
    const gb = load<f32>(at(g, b));
    let dg: f32 = 0;
    for (let i = 0; i < N; i++) {
      const p = o + i;
      const d = load<f32>(at(dwg, p));
      dg += d * (load<f32>(at(wc, p)) - load<f32>(at(wPrev, p)));
      store<f32>(at(dWc, p), load<f32>(at(dWc, p)) + gb * d);
      store<f32>(at(dWPrev, p), load<f32>(at(dWPrev, p)) + (1 - gb) * d);
    }
    store<f32>(at(dG, b), dg);
  }
}

// ---------------------------------------------------------------------------------------
// Circular convolutional shift, eq. 8:  w̃(i) = Σ_k w_g(i − k + h) s(k)   (indices mod N),
// s covering shifts −h … +h (S = 2h + 1 < N, so one wrap-around correction suffices).

// @ts-ignore: decorator
@inline function wrap(j: i32, N: i32): i32 { return j < 0 ? j + N : j >= N ? j - N : j; }

export function memShiftForward(B: i32, N: i32, S: i32, wg: usize, s: usize, out: usize): void {
  const h = (S - 1) >> 1;
  for (let b = 0; b < B; b++) {
    const o = b * N;
    const sb = at(s, b * S);
    for (let i = 0; i < N; i++) {
      let acc: f32 = 0;
      for (let k = 0; k < S; k++) acc += load<f32>(at(wg, o + wrap(i - k + h, N))) * load<f32>(at(sb, k));
      store<f32>(at(out, o + i), acc);
    }
  }
}

export function memShiftBackward(B: i32, N: i32, S: i32, wg: usize, s: usize, dOut: usize, dWg: usize, dS: usize): void {
  const h = (S - 1) >> 1;
  for (let b = 0; b < B; b++) {
    const o = b * N;
    const sb = at(s, b * S);
    const dsb = at(dS, b * S);
    for (let k = 0; k < S; k++) {
      const sk = load<f32>(at(sb, k));
      let ds: f32 = 0;
      for (let i = 0; i < N; i++) {
        const j = o + wrap(i - k + h, N);
        const d = load<f32>(at(dOut, o + i));
        store<f32>(at(dWg, j), load<f32>(at(dWg, j)) + d * sk);
        ds += d * load<f32>(at(wg, j));
      }
      store<f32>(at(dsb, k), load<f32>(at(dsb, k)) + ds);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Sharpening, eq. 9:  w(i) = w̃(i)^γ / Σ_j w̃(j)^γ, computed as softmax_i(γ log(w̃(i) + ε)) so
// that w̃^γ cannot underflow float32 for a large γ over a diffuse w̃.

export function memSharpenForward(B: i32, N: i32, wt: usize, gamma: usize, w: usize): void {
  const eps = splat(SHARPEN_EPS);
  for (let b = 0; b < B; b++) {
    const o = b * N;
    const vg = splat(load<f32>(at(gamma, b)));
    let i = 0;
    for (; i + 4 <= N; i += 4) {
      v128.store(at(w, o + i), f32x4.mul(vg, vlog(f32x4.add(v128.load(at(wt, o + i)), eps))));
    }
    for (; i < N; i++) {
      st(false, at(w, o + i), f32x4.mul(vg, vlog(f32x4.add(splat(load<f32>(at(wt, o + i))), eps))));
    }
    softmaxInPlace(at(w, o), N);
  }
}

/**
 * With q_i = (dw_i − Σ_j w_j dw_j) w_i:  ∂L/∂w̃_i += γ q_i / (w̃_i + ε),  ∂L/∂γ = Σ_i q_i log(w̃_i + ε)
 * (the reference's (dw − w·dw)/Σ · (w̃+ε)^γ is the same q).
 */
export function memSharpenBackward(B: i32, N: i32, wt: usize, gamma: usize, w: usize, dw: usize, dWt: usize, dGamma: usize): void {
  const eps = splat(SHARPEN_EPS);
  for (let b = 0; b < B; b++) {
    const o = b * N;
    const gb = load<f32>(at(gamma, b));
    const vg = splat(gb);
    const vwdw = splat(dot(at(w, o), at(dw, o), N));
    let vdg = splat(0);
    let i = 0;
    for (; i + 4 <= N; i += 4) {
      const p = o + i;
      const base = f32x4.add(v128.load(at(wt, p)), eps);
      const q = f32x4.mul(f32x4.sub(v128.load(at(dw, p)), vwdw), v128.load(at(w, p)));
      v128.store(at(dWt, p), fma(vg, f32x4.div(q, base), v128.load(at(dWt, p))));
      vdg = fma(q, vlog(base), vdg);
    }
    let dg = hsum(vdg);
    for (; i < N; i++) {
      const p = o + i;
      const base = load<f32>(at(wt, p)) + SHARPEN_EPS;
      const q = (load<f32>(at(dw, p)) - f32x4.extract_lane(vwdw, 0)) * load<f32>(at(w, p));
      store<f32>(at(dWt, p), load<f32>(at(dWt, p)) + (gb * q) / base);
      dg += q * f32x4.extract_lane(vlog(splat(base)), 0);
    }
    store<f32>(at(dGamma, b), dg);
  }
}

// ---------------------------------------------------------------------------------------
// Reading, eq. 2:  r = Σ_i w(i) M(i)

export function memReadForward(B: i32, N: i32, M: i32, mem: usize, w: usize, r: usize): void {
  for (let b = 0; b < B; b++) {
    const mb = at(mem, b * N * M);
    const rb = at(r, b * M);
    memory.fill(rb, 0, <usize>M << 2);
    for (let i = 0; i < N; i++) axpy(load<f32>(at(w, b * N + i)), at(mb, i * M), rb, M);
  }
}

export function memReadBackward(B: i32, N: i32, M: i32, mem: usize, w: usize, dr: usize, dMem: usize, dW: usize): void {
  for (let b = 0; b < B; b++) {
    const mb = at(mem, b * N * M);
    const dmb = at(dMem, b * N * M);
    const drb = at(dr, b * M);
    for (let i = 0; i < N; i++) {
      const p = at(dW, b * N + i);
      store<f32>(p, load<f32>(p) + dot(drb, at(mb, i * M), M));
      axpy(load<f32>(at(w, b * N + i)), drb, at(dmb, i * M), M);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Writing by erase then add, eqs. 3–4:  M(i) = M_{t−1}(i) ∘ [1 − w(i) e] + w(i) a

export function memWriteForward(B: i32, N: i32, M: i32, memPrev: usize, w: usize, erase: usize, add: usize, mem: usize): void {
  for (let b = 0; b < B; b++) {
    const eb = at(erase, b * M);
    const ab = at(add, b * M);
    for (let i = 0; i < N; i++) {
      const wi = load<f32>(at(w, b * N + i));
      const vw = splat(wi);
      const p = at(memPrev, (b * N + i) * M);
      const q = at(mem, (b * N + i) * M);
      let j = 0;
      for (; j + 4 <= M; j += 4) {
        const keep = f32x4.sub(splat(1), f32x4.mul(vw, v128.load(at(eb, j))));
        v128.store(at(q, j), fma(v128.load(at(p, j)), keep, f32x4.mul(vw, v128.load(at(ab, j)))));
      }
      for (; j < M; j++) {
        store<f32>(at(q, j), load<f32>(at(p, j)) * (1 - wi * load<f32>(at(eb, j))) + wi * load<f32>(at(ab, j)));
      }
    }
  }
}

/** dMem is ∂L/∂M_t on entry and ∂L/∂M_{t−1} on return; dW, dErase, dAdd accumulate. */
export function memWriteBackward(
  B: i32, N: i32, M: i32, memPrev: usize, w: usize, erase: usize, add: usize,
  dMem: usize, dW: usize, dErase: usize, dAdd: usize,
): void {
  for (let b = 0; b < B; b++) {
    const eb = at(erase, b * M);
    const ab = at(add, b * M);
    const deb = at(dErase, b * M);
    const dab = at(dAdd, b * M);
    for (let i = 0; i < N; i++) {
      const wi = load<f32>(at(w, b * N + i));
      const vw = splat(wi);
      const p = at(memPrev, (b * N + i) * M);
      const d = at(dMem, (b * N + i) * M);
      let vdw = splat(0);
      let j = 0;
      for (; j + 4 <= M; j += 4) {
        const dm = v128.load(at(d, j));
        const mp = v128.load(at(p, j));
        const e = v128.load(at(eb, j));
        vdw = fma(dm, f32x4.sub(v128.load(at(ab, j)), f32x4.mul(mp, e)), vdw);
        v128.store(at(deb, j), f32x4.sub(v128.load(at(deb, j)), f32x4.mul(f32x4.mul(dm, mp), vw)));
        v128.store(at(dab, j), fma(dm, vw, v128.load(at(dab, j))));
        v128.store(at(d, j), f32x4.mul(dm, f32x4.sub(splat(1), f32x4.mul(vw, e))));
      }
      let dwi = hsum(vdw);
      for (; j < M; j++) {
        const dm = load<f32>(at(d, j));
        const mp = load<f32>(at(p, j));
        const e = load<f32>(at(eb, j));
        dwi += dm * (load<f32>(at(ab, j)) - mp * e);
        store<f32>(at(deb, j), load<f32>(at(deb, j)) - dm * mp * wi);
        store<f32>(at(dab, j), load<f32>(at(dab, j)) + dm * wi);
        store<f32>(at(d, j), dm * (1 - wi * e));
      }
      const pw = at(dW, b * N + i);
      store<f32>(pw, load<f32>(pw) + dwi);
    }
  }
}

// ---------------------------------------------------------------------------------------
// DNC temporal links (Graves et al. 2016, Methods), over N slots; reference: dnc-ops.ts.
//   L_t[i, j] = (1 − w^w[i] − w^w[j]) L_{t−1}[i, j] + w^w[i] p_{t−1}[j],   L_t[i, i] = 0
//   p_t = (1 − Σ_i w^w[i]) p_{t−1} + w^w
// L is [B, N, N] row-major; the link reads are f = L w (forward) and b = Lᵀ w (backward).

export function memLinkForward(B: i32, N: i32, LPrev: usize, pPrev: usize, ww: usize, L: usize, p: usize): void {
  for (let b = 0; b < B; b++) {
    const wb = at(ww, b * N);
    const pb = at(pPrev, b * N);
    for (let i = 0; i < N; i++) {
      const wi = load<f32>(at(wb, i));
      const v1 = splat(1 - wi);
      const vw = splat(wi);
      const lp = at(LPrev, (b * N + i) * N);
      const lo = at(L, (b * N + i) * N);
      let j = 0;
      for (; j + 4 <= N; j += 4) {
        const keep = f32x4.sub(v1, v128.load(at(wb, j)));
        v128.store(at(lo, j), fma(keep, v128.load(at(lp, j)), f32x4.mul(vw, v128.load(at(pb, j)))));
      }
      for (; j < N; j++) {
        store<f32>(at(lo, j), (1 - wi - load<f32>(at(wb, j))) * load<f32>(at(lp, j)) + wi * load<f32>(at(pb, j)));
      }
      store<f32>(at(lo, i), 0);
    }
    let sw: f32 = 0;
    for (let i = 0; i < N; i++) sw += load<f32>(at(wb, i));
    for (let i = 0; i < N; i++) {
      const q = at(p, b * N + i);
      store<f32>(q, (1 - sw) * load<f32>(at(pb, i)) + load<f32>(at(wb, i)));
    }
  }
}

/** dLPrev is overwritten (0 on the diagonal); dPPrev and dWw accumulate. */
export function memLinkBackward(
  B: i32, N: i32, LPrev: usize, pPrev: usize, ww: usize, dL: usize, dp: usize,
  dLPrev: usize, dPPrev: usize, dWw: usize,
): void {
  const lanes = i32x4(0, 1, 2, 3);
  for (let b = 0; b < B; b++) {
    const wb = at(ww, b * N);
    const pb = at(pPrev, b * N);
    const dpb = at(dPPrev, b * N);
    const dwb = at(dWw, b * N);
    for (let i = 0; i < N; i++) {
      const wi = load<f32>(at(wb, i));
      const v1 = splat(1 - wi);
      const vw = splat(wi);
      const vi = i32x4.splat(i);
      const lp = at(LPrev, (b * N + i) * N);
      const dl = at(dL, (b * N + i) * N);
      const dlp = at(dLPrev, (b * N + i) * N);
      let vdwi = splat(0);
      let j = 0;
      for (; j + 4 <= N; j += 4) {
        // The diagonal is not a link: its lane of ∂L/∂L_t counts for nothing.
        const d = v128.andnot(v128.load(at(dl, j)), i32x4.eq(i32x4.add(i32x4.splat(j), lanes), vi));
        const l = v128.load(at(lp, j));
        v128.store(at(dlp, j), f32x4.mul(d, f32x4.sub(v1, v128.load(at(wb, j)))));
        vdwi = fma(d, f32x4.sub(v128.load(at(pb, j)), l), vdwi);
        v128.store(at(dwb, j), f32x4.sub(v128.load(at(dwb, j)), f32x4.mul(d, l)));
        v128.store(at(dpb, j), fma(d, vw, v128.load(at(dpb, j))));
      }
      let dwi = hsum(vdwi);
      for (; j < N; j++) {
        const d: f32 = j == i ? 0 : load<f32>(at(dl, j));
        const l = load<f32>(at(lp, j));
        store<f32>(at(dlp, j), d * (1 - wi - load<f32>(at(wb, j))));
        dwi += d * (load<f32>(at(pb, j)) - l);
        store<f32>(at(dwb, j), load<f32>(at(dwb, j)) - d * l);
        store<f32>(at(dpb, j), load<f32>(at(dpb, j)) + d * wi);
      }
      store<f32>(at(dlp, i), 0);
      store<f32>(at(dwb, i), load<f32>(at(dwb, i)) + dwi);
    }
    let sw: f32 = 0;
    let dpp: f32 = 0;
    for (let i = 0; i < N; i++) {
      sw += load<f32>(at(wb, i));
      dpp += load<f32>(at(dp, b * N + i)) * load<f32>(at(pb, i));
    }
    for (let i = 0; i < N; i++) {
      const d = load<f32>(at(dp, b * N + i));
      store<f32>(at(dpb, i), load<f32>(at(dpb, i)) + d * (1 - sw));
      store<f32>(at(dwb, i), load<f32>(at(dwb, i)) + d - dpp);
    }
  }
}

/** out = L w (transpose 0: forward weighting f) or Lᵀ w (transpose 1: backward weighting b), [B, N]. */
export function memLinkReadForward(B: i32, N: i32, L: usize, w: usize, transpose: i32, out: usize): void {
  for (let b = 0; b < B; b++) {
    const wb = at(w, b * N);
    const ob = at(out, b * N);
    if (transpose == 0) {
      for (let i = 0; i < N; i++) store<f32>(at(ob, i), dot(at(L, (b * N + i) * N), wb, N));
    } else {
      memory.fill(ob, 0, <usize>N << 2);
      for (let i = 0; i < N; i++) axpy(load<f32>(at(wb, i)), at(L, (b * N + i) * N), ob, N);
    }
  }
}

/** dL and dW accumulate. */
export function memLinkReadBackward(
  B: i32, N: i32, L: usize, w: usize, transpose: i32, dOut: usize, dL: usize, dW: usize,
): void {
  for (let b = 0; b < B; b++) {
    const wb = at(w, b * N);
    const db = at(dOut, b * N);
    const dwb = at(dW, b * N);
    for (let i = 0; i < N; i++) {
      const row = at(L, (b * N + i) * N);
      const drow = at(dL, (b * N + i) * N);
      if (transpose == 0) {
        // f_i = Σ_j L[i, j] w_j:  ∂L[i, :] += df_i w,  ∂w += df_i L[i, :]
        const d = load<f32>(at(db, i));
        axpy(d, wb, drow, N);
        axpy(d, row, dwb, N);
      } else {
        // b_j = Σ_i L[i, j] w_i:  ∂L[i, :] += w_i db,  ∂w_i += db · L[i, :]
        axpy(load<f32>(at(wb, i)), db, drow, N);
        const p = at(dwb, i);
        store<f32>(p, load<f32>(p) + dot(db, row, N));
      }
    }
  }
}
