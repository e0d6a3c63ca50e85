/**
 * SGEMM GFLOP/s of the active backend at a square size and at the shapes recurrent training
 * runs: the per-step h·W_hhᵀ (M = B) and a whole sequence's input projection (M = T·B).
 * Best of several timed repetitions (GEMM time is what it is when the core is free).
 */
import { getBackend } from '../src/tensor/current-backend.js';

export interface SgemmShape {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
}

export const SGEMM_SHAPES: SgemmShape[] = [
  { M: 256, N: 256, K: 256, transA: false, transB: false },
  { M: 32, N: 512, K: 128, transA: false, transB: true },
  { M: 2048, N: 512, K: 128, transA: false, transB: true },
  { M: 512, N: 128, K: 2048, transA: true, transB: false },
];

export function shapeName(s: SgemmShape): string {
  return `${s.M}x${s.N}x${s.K} ${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;
}

/** GFLOP/s for each shape, keyed by `shapeName`. */
export function benchSgemm(seconds = 0.5, shapes = SGEMM_SHAPES): Record<string, number> {
  const be = getBackend();
  const out: Record<string, number> = {};
  for (const s of shapes) {
    const { M, N, K, transA, transB } = s;
    const A = be.alloc('float32', M * K);
    const B = be.alloc('float32', K * N);
    const C = be.alloc('float32', M * N);
    for (let i = 0; i < A.length; i++) A[i] = Math.sin(i);
    for (let i = 0; i < B.length; i++) B[i] = Math.cos(i);
    const lda = transA ? M : K;
    const ldb = transB ? K : N;
    const flops = 2 * M * N * K;
    const reps = Math.max(1, Math.round(2e8 / flops));
    const run = (): void => {
      for (let r = 0; r < reps; r++) be.gemm(transA, transB, M, N, K, 1, A, 0, lda, B, 0, ldb, 0, C, 0, N);
    };
    run();
    let best = Infinity;
    const tEnd = performance.now() + seconds * 1000;
    do {
      const t0 = performance.now();
      run();
      best = Math.min(best, (performance.now() - t0) / reps);
    } while (performance.now() < tEnd);
    out[shapeName(s)] = flops / (best / 1000) / 1e9;
  }
  return out;
}
