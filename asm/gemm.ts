// SGEMM for row-major float32 matrices in linear memory:
//   C[M, N] = alpha · op(A)[M, K] · op(B)[K, N] + beta · C
// Pointers are byte addresses; leading dimensions are in elements.
//
// Three paths; the caller picks one for the whole problem (`choosePath` on the JS side),
// so that splitting the problem across threads never changes a result bit:
// - PACKED: Goto/BLIS blocking. op(B) is packed into KC×NR column panels (in L1 while
//   used), op(A) into MR×KC row panels (alpha folded in), and a 4×8 register-blocked
//   micro-kernel runs over them. Packing absorbs every transpose, so NN, NT, TN and TT
//   share one micro-kernel.
// - DIRECT (op(B) = B, small M): the same micro-kernel reads A and B where they lie
//   (strided), skipping the O(K·N) packing of B that a small M could not amortise —
//   the per-step dh·W_hh of backpropagation through time.
// - DOT (op(B) = Bᵀ, op(A) = A, small M): C[i, j] = dot(A row i, B row j), both rows
//   contiguous in k, so W_hh in PyTorch's [G·H, H] layout is used as it lies — the per-step
//   h·W_hhᵀ of the forward pass and the batch-1 matrix-vector product of sampling.
import { fma, hsum, hsum4 } from './simd';

const MR = 4;
const NR = 8;
/** Depth of one packed block: an MR×KC A panel (4 KiB) and a KC×NR B panel (8 KiB) sit in L1. */
const KC = 256;
/** Rows of A packed at once (MC×KC = 128 KiB, in L2). */
const MC = 128;
/** Columns of B packed at once (KC×NC = 2 MiB). */
const NC = 2048;

export const PATH_PACKED = 0;
export const PATH_DIRECT = 1;
export const PATH_DOT = 2;

/** Bytes of scratch one `sgemm` call needs (packed A, packed B, an edge tile). */
export function gemmWorkBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

/** Largest K the DIRECT path accepts: its edge panels are packed whole into the scratch. */
export function directMaxK(): i32 {
  return (MC * KC) / MR;
}

/**
 * The 4×8 micro-kernel: C[4, 8] (+)= Σ_k a_k ⊗ b_k over `kc` steps, 8 f32x4 accumulators
 * (12 or more spill in V8's register allocator, measured). Row r of A at step k is at
 * a + r·aRS + k·aKS; B's 8 values of step k at b + k·bKS. `first` stores instead of adding
 * (beta = 0, or the first K block): C is then never read, so NaNs in C do not propagate.
 */
// @ts-ignore: decorator
@inline function micro(
  kc: i32, a: usize, aRS: usize, aKS: usize, b: usize, bKS: usize, c: usize, ldc: usize, first: bool,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const a1 = a + aRS, a2 = a + 2 * aRS, a3 = a + 3 * aRS;
  let o: usize = 0;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a + o);
    c00 = fma(x, b0, c00);
    c01 = fma(x, b1, c01);
    x = v128.load32_splat(a1 + o);
    c10 = fma(x, b0, c10);
    c11 = fma(x, b1, c11);
    x = v128.load32_splat(a2 + o);
    c20 = fma(x, b0, c20);
    c21 = fma(x, b1, c21);
    x = v128.load32_splat(a3 + o);
    c30 = fma(x, b0, c30);
    c31 = fma(x, b1, c31);
    o += aKS;
    b += bKS;
  }
  if (first) {
    v128.store(c, c00); v128.store(c, c01, 16); c += ldc;
    v128.store(c, c10); v128.store(c, c11, 16); c += ldc;
    v128.store(c, c20); v128.store(c, c21, 16); c += ldc;
    v128.store(c, c30); v128.store(c, c31, 16);
  } else {
    v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16); c += ldc;
    v128.store(c, f32x4.add(v128.load(c), c10)); v128.store(c, f32x4.add(v128.load(c, 16), c11), 16); c += ldc;
    v128.store(c, f32x4.add(v128.load(c), c20)); v128.store(c, f32x4.add(v128.load(c, 16), c21), 16); c += ldc;
    v128.store(c, f32x4.add(v128.load(c), c30)); v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
  }
}

/** Add (or store, when `first`) the top-left mr×nr of an MR×NR tile into C. */
function addTile(tile: usize, c: usize, ldc: i32, mr: i32, nr: i32, first: bool): void {
  for (let i = 0; i < mr; i++) {
    const t = tile + <usize>(i * NR * 4);
    const d = c + <usize>(i * ldc * 4);
    for (let j = 0; j < nr; j++) {
      const p = d + <usize>(j * 4);
      const v = load<f32>(t + <usize>(j * 4));
      store<f32>(p, first ? v : load<f32>(p) + v);
    }
  }
}

/** In-register 4×4 transpose, used by both packers. */
// @ts-ignore: decorator
@inline function tr0(r0: v128, r1: v128): v128 { return v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); }
// @ts-ignore: decorator
@inline function tr1(r0: v128, r1: v128): v128 { return v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); }
// @ts-ignore: decorator
@inline function lo(t0: v128, t2: v128): v128 { return v128.shuffle<f32>(t0, t2, 0, 1, 4, 5); }
// @ts-ignore: decorator
@inline function hi(t0: v128, t2: v128): v128 { return v128.shuffle<f32>(t0, t2, 2, 3, 6, 7); }

/**
 * Pack alpha·op(A)[i0 : i0+mc, p0 : p0+kc] into MR-row panels: panel p holds, for each k,
 * its MR values contiguously (rows past mc are zero).
 */
function packA(transA: bool, A: usize, lda: i32, i0: i32, mc: i32, p0: i32, kc: i32, alpha: f32, dst: usize): void {
  const va = f32x4.splat(alpha);
  for (let ip = 0; ip < mc; ip += MR) {
    const rows = min(MR, mc - ip);
    const d = dst + <usize>(ip * kc * 4);
    if (!transA) {
      if (rows == MR) {
        const s0 = A + <usize>(((i0 + ip) * lda + p0) * 4);
        const s1 = s0 + <usize>(lda * 4), s2 = s1 + <usize>(lda * 4), s3 = s2 + <usize>(lda * 4);
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>(k * 4);
          const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
          const t0 = tr0(r0, r1), t1 = tr1(r0, r1), t2 = tr0(r2, r3), t3 = tr1(r2, r3);
          const q = d + <usize>(k * 16);
          v128.store(q, f32x4.mul(lo(t0, t2), va));
          v128.store(q, f32x4.mul(hi(t0, t2), va), 16);
          v128.store(q, f32x4.mul(lo(t1, t3), va), 32);
          v128.store(q, f32x4.mul(hi(t1, t3), va), 48);
        }
        for (; k < kc; k++) {
          const o = <usize>(k * 4);
          const q = d + <usize>(k * 16);
          store<f32>(q, alpha * load<f32>(s0 + o));
          store<f32>(q, alpha * load<f32>(s1 + o), 4);
          store<f32>(q, alpha * load<f32>(s2 + o), 8);
          store<f32>(q, alpha * load<f32>(s3 + o), 12);
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) {
            const v: f32 = r < rows ? alpha * load<f32>(A + <usize>(((i0 + ip + r) * lda + p0 + k) * 4)) : 0;
            store<f32>(d + <usize>((k * MR + r) * 4), v);
          }
        }
      }
    } else {
      // op(A) = Aᵀ: for fixed k the MR values are contiguous in A's row p0 + k.
      const s = A + <usize>((p0 * lda + i0 + ip) * 4);
      if (rows == MR) {
        for (let k = 0; k < kc; k++) {
          v128.store(d + <usize>(k * 16), f32x4.mul(v128.load(s + <usize>(k * lda * 4)), va));
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) {
            const v: f32 = r < rows ? alpha * load<f32>(s + <usize>((k * lda + r) * 4)) : 0;
            store<f32>(d + <usize>((k * MR + r) * 4), v);
          }
        }
      }
    }
  }
}

/**
 * Pack op(B)[p0 : p0+kc, j0 : j0+nc] into NR-column panels: panel p holds, for each k, its
 * NR values contiguously (columns past nc are zero).
 */
function packB(transB: bool, B: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const cols = min(NR, nc - jp);
    const d = dst + <usize>(jp * kc * 4);
    if (!transB) {
      const s = B + <usize>((p0 * ldb + j0 + jp) * 4);
      if (cols == NR) {
        for (let k = 0; k < kc; k++) {
          const src = s + <usize>(k * ldb * 4);
          const q = d + <usize>(k * NR * 4);
          v128.store(q, v128.load(src));
          v128.store(q, v128.load(src, 16), 16);
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let j = 0; j < NR; j++) {
            const v: f32 = j < cols ? load<f32>(s + <usize>((k * ldb + j) * 4)) : 0;
            store<f32>(d + <usize>((k * NR + j) * 4), v);
          }
        }
      }
    } else {
      // op(B) = Bᵀ: column j of op(B) is row j of B; transpose 4×4 blocks of 8 rows.
      const s0 = B + <usize>(((j0 + jp) * ldb + p0) * 4);
      if (cols == NR) {
        const rs = <usize>(ldb * 4);
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = s0 + <usize>(k * 4);
          const q = d + <usize>(k * NR * 4);
          let r0 = v128.load(o), r1 = v128.load(o + rs), r2 = v128.load(o + 2 * rs), r3 = v128.load(o + 3 * rs);
          let t0 = tr0(r0, r1), t1 = tr1(r0, r1), t2 = tr0(r2, r3), t3 = tr1(r2, r3);
          v128.store(q, lo(t0, t2));
          v128.store(q, hi(t0, t2), 32);
          v128.store(q, lo(t1, t3), 64);
          v128.store(q, hi(t1, t3), 96);
          r0 = v128.load(o + 4 * rs); r1 = v128.load(o + 5 * rs); r2 = v128.load(o + 6 * rs); r3 = v128.load(o + 7 * rs);
          t0 = tr0(r0, r1); t1 = tr1(r0, r1); t2 = tr0(r2, r3); t3 = tr1(r2, r3);
          v128.store(q, lo(t0, t2), 16);
          v128.store(q, hi(t0, t2), 48);
          v128.store(q, lo(t1, t3), 80);
          v128.store(q, hi(t1, t3), 112);
        }
        for (; k < kc; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(d + <usize>((k * NR + j) * 4), load<f32>(s0 + <usize>((j * ldb + k) * 4)));
          }
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let j = 0; j < NR; j++) {
            const v: f32 = j < cols ? load<f32>(s0 + <usize>((j * ldb + k) * 4)) : 0;
            store<f32>(d + <usize>((k * NR + j) * 4), v);
          }
        }
      }
    }
  }
}

/** C[M, N] ·= beta over a strided block (beta ≠ 0, 1). */
function scaleC(M: i32, N: i32, beta: f32, C: usize, ldc: i32): void {
  const vb = f32x4.splat(beta);
  for (let i = 0; i < M; i++) {
    const row = C + <usize>(i * ldc * 4);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const p = row + <usize>(j * 4);
      v128.store(p, f32x4.mul(v128.load(p), vb));
    }
    for (; j < N; j++) {
      const p = row + <usize>(j * 4);
      store<f32>(p, load<f32>(p) * beta);
    }
  }
}

function zeroC(M: i32, N: i32, C: usize, ldc: i32): void {
  for (let i = 0; i < M; i++) memory.fill(C + <usize>(i * ldc * 4), 0, <usize>(N * 4));
}

function gemmPacked(
  transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, first: bool, C: usize, ldc: i32, work: usize,
): void {
  const Ap = work;
  const Bp = work + <usize>(MC * KC * 4);
  const tile = Bp + <usize>(KC * NC * 4);
  const ldcb = <usize>(ldc * 4);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const firstK = first && pc == 0;
      packB(transB, B, ldb, pc, kc, jc, nc, Bp);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(transA, A, lda, ic, mc, pc, kc, alpha, Ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = Bp + <usize>(jr * kc * 4);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = Ap + <usize>(ir * kc * 4);
            const c = C + <usize>(((ic + ir) * ldc + jc + jr) * 4);
            if (mr == MR && nr == NR) {
              micro(kc, ap, 4, MR * 4, bp, NR * 4, c, ldcb, firstK);
            } else {
              micro(kc, ap, 4, MR * 4, bp, NR * 4, tile, NR * 4, true);
              addTile(tile, c, ldc, mr, nr, firstK);
            }
          }
        }
      }
    }
  }
}

/**
 * op(B) = B and alpha = 1, no packing of full panels: A values are splat straight from A (row-major or
 * transposed), B rows read in place. Edge panels are packed (K whole) into the scratch so
 * the micro-kernel never reads past a matrix's end.
 */
function gemmDirect(
  transA: bool, M: i32, N: i32, K: i32,
  A: usize, lda: i32, B: usize, ldb: i32, first: bool, C: usize, ldc: i32, work: usize,
): void {
  const Ap = work;
  const Bp = work + <usize>(MC * KC * 4);
  const tile = Bp + <usize>(KC * NC * 4);
  const ldcb = <usize>(ldc * 4);
  // op(A)[i, k] at A + i·aRS + k·aKS.
  const aRS = transA ? <usize>4 : <usize>(lda * 4);
  const aKS = transA ? <usize>(lda * 4) : <usize>4;
  const Mfull = M - (M % MR);
  const Nfull = N - (N % NR);
  if (Mfull < M) packA(transA, A, lda, Mfull, M - Mfull, 0, K, 1, Ap);
  if (Nfull < N) packB(false, B, ldb, 0, K, Nfull, N - Nfull, Bp);
  for (let j = 0; j < N; j += NR) {
    const nr = min(NR, N - j);
    const edgeN = nr < NR;
    const bp = edgeN ? Bp : B + <usize>(j * 4);
    const bKS = edgeN ? <usize>(NR * 4) : <usize>(ldb * 4);
    for (let i = 0; i < M; i += MR) {
      const mr = min(MR, M - i);
      const edgeM = mr < MR;
      const ap = edgeM ? Ap : A + <usize>(i) * aRS;
      const rs = edgeM ? <usize>4 : aRS;
      const ks = edgeM ? <usize>(MR * 4) : aKS;
      const c = C + <usize>((i * ldc + j) * 4);
      if (mr == MR && !edgeN) {
        micro(K, ap, rs, ks, bp, bKS, c, ldcb, first);
      } else {
        micro(K, ap, rs, ks, bp, bKS, tile, NR * 4, true);
        addTile(tile, c, ldc, mr, nr, first);
      }
    }
  }
}

/** Σ_k A[i, k]·B[j, k] for one pair of rows, in the lane order every DOT kernel uses. */
// @ts-ignore: decorator
@inline function dotTail(a: usize, b: usize, K: i32, K4: i32, acc: f32): f32 {
  for (let k = K4; k < K; k++) acc += load<f32>(a + <usize>(k * 4)) * load<f32>(b + <usize>(k * 4));
  return acc;
}

// @ts-ignore: decorator
@inline function storeC(p: usize, v: f32, alpha: f32, first: bool): void {
  store<f32>(p, first ? alpha * v : load<f32>(p) + alpha * v);
}

/**
 * C = alpha·A·Bᵀ (+ C) as dot products of contiguous rows: a 2×4 block (2 rows of A, 4 of
 * B) keeps 8 accumulators. Every element, whichever block shape computed it, is summed
 * lane-wise over k in steps of 4, reduced (l0 + l2) + (l1 + l3), then the k tail added in
 * order — so results do not depend on how the problem was split.
 */
export function gemmDot(
  M: i32, N: i32, K: i32, alpha: f32, A: usize, lda: i32, B: usize, ldb: i32, first: bool, C: usize, ldc: i32,
): void {
  const K4 = K & ~3;
  const lda4 = <usize>(lda * 4), ldb4 = <usize>(ldb * 4);
  let j = 0;
  if (M == 1) {
    // Matrix-vector (batch-1 sampling): 8 rows of B at once, 8 independent accumulators,
    // so the FMA latency is hidden (each element still sums exactly as below).
    for (; j + 8 <= N; j += 8) {
      const b0 = B + <usize>(j) * ldb4;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>(k * 4);
        const x = v128.load(A + o);
        let p = b0 + o;
        s0 = fma(x, v128.load(p), s0); p += ldb4;
        s1 = fma(x, v128.load(p), s1); p += ldb4;
        s2 = fma(x, v128.load(p), s2); p += ldb4;
        s3 = fma(x, v128.load(p), s3); p += ldb4;
        s4 = fma(x, v128.load(p), s4); p += ldb4;
        s5 = fma(x, v128.load(p), s5); p += ldb4;
        s6 = fma(x, v128.load(p), s6); p += ldb4;
        s7 = fma(x, v128.load(p), s7);
      }
      const r0 = hsum4(s0, s1, s2, s3);
      const r1 = hsum4(s4, s5, s6, s7);
      const c0 = C + <usize>(j * 4);
      storeC(c0, dotTail(A, b0, K, K4, f32x4.extract_lane(r0, 0)), alpha, first);
      storeC(c0 + 4, dotTail(A, b0 + ldb4, K, K4, f32x4.extract_lane(r0, 1)), alpha, first);
      storeC(c0 + 8, dotTail(A, b0 + 2 * ldb4, K, K4, f32x4.extract_lane(r0, 2)), alpha, first);
      storeC(c0 + 12, dotTail(A, b0 + 3 * ldb4, K, K4, f32x4.extract_lane(r0, 3)), alpha, first);
      storeC(c0 + 16, dotTail(A, b0 + 4 * ldb4, K, K4, f32x4.extract_lane(r1, 0)), alpha, first);
      storeC(c0 + 20, dotTail(A, b0 + 5 * ldb4, K, K4, f32x4.extract_lane(r1, 1)), alpha, first);
      storeC(c0 + 24, dotTail(A, b0 + 6 * ldb4, K, K4, f32x4.extract_lane(r1, 2)), alpha, first);
      storeC(c0 + 28, dotTail(A, b0 + 7 * ldb4, K, K4, f32x4.extract_lane(r1, 3)), alpha, first);
    }
  }
  for (; j + 4 <= N; j += 4) {
    const b0 = B + <usize>(j) * ldb4, b1 = b0 + ldb4, b2 = b1 + ldb4, b3 = b2 + ldb4;
    let i = 0;
    for (; i + 2 <= M; i += 2) {
      const a0 = A + <usize>(i) * lda4, a1 = a0 + lda4;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>(k * 4);
        const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
        let y = v128.load(b0 + o);
        s00 = fma(x0, y, s00); s10 = fma(x1, y, s10);
        y = v128.load(b1 + o);
        s01 = fma(x0, y, s01); s11 = fma(x1, y, s11);
        y = v128.load(b2 + o);
        s02 = fma(x0, y, s02); s12 = fma(x1, y, s12);
        y = v128.load(b3 + o);
        s03 = fma(x0, y, s03); s13 = fma(x1, y, s13);
      }
      const r0 = hsum4(s00, s01, s02, s03);
      const r1 = hsum4(s10, s11, s12, s13);
      const c0 = C + <usize>((i * ldc + j) * 4), c1 = c0 + <usize>(ldc * 4);
      if (K4 == K) {
        const va = f32x4.splat(alpha);
        v128.store(c0, first ? f32x4.mul(va, r0) : f32x4.add(v128.load(c0), f32x4.mul(va, r0)));
        v128.store(c1, first ? f32x4.mul(va, r1) : f32x4.add(v128.load(c1), f32x4.mul(va, r1)));
      } else {
        storeC(c0, dotTail(a0, b0, K, K4, f32x4.extract_lane(r0, 0)), alpha, first);
        storeC(c0 + 4, dotTail(a0, b1, K, K4, f32x4.extract_lane(r0, 1)), alpha, first);
        storeC(c0 + 8, dotTail(a0, b2, K, K4, f32x4.extract_lane(r0, 2)), alpha, first);
        storeC(c0 + 12, dotTail(a0, b3, K, K4, f32x4.extract_lane(r0, 3)), alpha, first);
        storeC(c1, dotTail(a1, b0, K, K4, f32x4.extract_lane(r1, 0)), alpha, first);
        storeC(c1 + 4, dotTail(a1, b1, K, K4, f32x4.extract_lane(r1, 1)), alpha, first);
        storeC(c1 + 8, dotTail(a1, b2, K, K4, f32x4.extract_lane(r1, 2)), alpha, first);
        storeC(c1 + 12, dotTail(a1, b3, K, K4, f32x4.extract_lane(r1, 3)), alpha, first);
      }
    }
    if (i < M) {
      // Last odd row against these 4 B rows (also the batch-1 matrix-vector product).
      const a0 = A + <usize>(i) * lda4;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>(k * 4);
        const x0 = v128.load(a0 + o);
        s0 = fma(x0, v128.load(b0 + o), s0);
        s1 = fma(x0, v128.load(b1 + o), s1);
        s2 = fma(x0, v128.load(b2 + o), s2);
        s3 = fma(x0, v128.load(b3 + o), s3);
      }
      const r0 = hsum4(s0, s1, s2, s3);
      const c0 = C + <usize>((i * ldc + j) * 4);
      storeC(c0, dotTail(a0, b0, K, K4, f32x4.extract_lane(r0, 0)), alpha, first);
      storeC(c0 + 4, dotTail(a0, b1, K, K4, f32x4.extract_lane(r0, 1)), alpha, first);
      storeC(c0 + 8, dotTail(a0, b2, K, K4, f32x4.extract_lane(r0, 2)), alpha, first);
      storeC(c0 + 12, dotTail(a0, b3, K, K4, f32x4.extract_lane(r0, 3)), alpha, first);
    }
  }
  // Remaining B rows one at a time.
  for (; j < N; j++) {
    const b0 = B + <usize>(j) * ldb4;
    for (let i = 0; i < M; i++) {
      const a0 = A + <usize>(i) * lda4;
      let s = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>(k * 4);
        s = fma(v128.load(a0 + o), v128.load(b0 + o), s);
      }
      storeC(C + <usize>((i * ldc + j) * 4), dotTail(a0, b0, K, K4, hsum(s)), alpha, first);
    }
  }
}

/**
 * The entry point. `path` must be valid for the problem: DIRECT needs op(B) = B, alpha = 1
 * and K ≤ directMaxK(); DOT needs op(A) = A and op(B) = Bᵀ. `work` points at gemmWorkBytes()
 * bytes of scratch private to this call.
 */
export function sgemm(
  path: i32, transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, work: usize,
): void {
  if (M <= 0 || N <= 0) return;
  if (beta != 0 && beta != 1) scaleC(M, N, beta, C, ldc);
  if (K <= 0 || alpha == 0) {
    if (beta == 0) zeroC(M, N, C, ldc);
    return;
  }
  const first = beta == 0;
  if (path == PATH_DOT) gemmDot(M, N, K, alpha, A, lda, B, ldb, first, C, ldc);
  else if (path == PATH_DIRECT) gemmDirect(transA, M, N, K, A, lda, B, ldb, first, C, ldc, work);
  else gemmPacked(transA, transB, M, N, K, alpha, A, lda, B, ldb, first, C, ldc, work);
}
