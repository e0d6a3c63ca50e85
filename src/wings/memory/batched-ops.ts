/**
 * The memory operations of the NTM (and the DNC's temporal links) over a whole batch, behind the backend's `MemoryKernels`
 * interface (src/tensor/memory-kernels.ts): `referenceMemoryOps` runs the readable per-row
 * functions of `addressing.ts` on each row (in float64 or float32, exactly as they compute
 * one row), and `memoryOps` picks the backend's WASM kernels instead for float32 models when
 * the backend has them. The tests hold every kernel to this reference on odd sizes.
 *
 * ```ts
 * const ops = memoryOps('float32');          // WASM kernels on the WASM backend
 * ops.contentForward({ B, N, M, mem, key, beta, w, dots, rowNorm, sim, keyNorm });
 * ```
 */
import {
  type ContentArgs,
  type ContentGradArgs,
  type InterpolateArgs,
  type InterpolateGradArgs,
  type LinkArgs,
  type LinkGradArgs,
  type LinkReadArgs,
  type LinkReadGradArgs,
  type MemoryKernels,
  memoryKernels,
  type ReadArgs,
  type ReadGradArgs,
  type SharpenArgs,
  type SharpenGradArgs,
  type ShiftArgs,
  type ShiftGradArgs,
  type WriteArgs,
  type WriteGradArgs,
} from '../../tensor/memory-kernels.js';
import type { DType } from '../../tensor/tensor.js';
import {
  type ContentCache,
  contentBackward,
  contentForward,
  interpolateBackward,
  interpolateForward,
  readBackward,
  readForward,
  SHARPEN_EPS,
  sharpenBackward,
  sharpenForward,
  shiftBackward,
  shiftForward,
  type Vec,
  writeBackward,
  writeForward,
} from './addressing.js';
import { linkBackward, linkForward, linkReadBackward, linkReadForward } from './dnc-ops.js';

/** Row b of a [B, n] array (a view, so writes land in the batch). */
function row(a: Vec, b: number, n: number): Vec {
  return a.subarray(b * n, (b + 1) * n);
}

/** The per-row reference functions of `addressing.ts`, run row after row. */
export const referenceMemoryOps: MemoryKernels = {
  contentForward(a: ContentArgs): void {
    const { B, N, M } = a;
    for (let b = 0; b < B; b++) {
      const c = contentForward(row(a.mem, b, N * M), N, M, row(a.key, b, M), a.beta[b]);
      row(a.w, b, N).set(c.w);
      row(a.dots, b, N).set(c.dots);
      row(a.rowNorm, b, N).set(c.rowNorms);
      row(a.sim, b, N).set(c.sim);
      a.keyNorm[b] = c.keyNorm;
    }
  },

  contentBackward(a: ContentGradArgs): void {
    const { B, N, M } = a;
    for (let b = 0; b < B; b++) {
      const cache: ContentCache = {
        mem: row(a.mem, b, N * M),
        N,
        M,
        key: row(a.key, b, M),
        beta: a.beta[b],
        dots: Float64Array.from(row(a.dots, b, N)),
        rowNorms: Float64Array.from(row(a.rowNorm, b, N)),
        keyNorm: a.keyNorm[b],
        sim: Float64Array.from(row(a.sim, b, N)),
        w: row(a.w, b, N),
      };
      a.dBeta[b] = contentBackward(cache, row(a.dw, b, N), row(a.dMem, b, N * M), row(a.dKey, b, M));
    }
  },

  interpolateForward(a: InterpolateArgs): void {
    const { B, N } = a;
    for (let b = 0; b < B; b++) {
      row(a.out, b, N).set(interpolateForward(row(a.wc, b, N), row(a.wPrev, b, N), a.g[b]));
    }
  },

  interpolateBackward(a: InterpolateGradArgs): void {
    const { B, N } = a;
    for (let b = 0; b < B; b++) {
      a.dG[b] = interpolateBackward(
        row(a.wc, b, N),
        row(a.wPrev, b, N),
        a.g[b],
        row(a.dOut, b, N),
        row(a.dWc, b, N),
        row(a.dWPrev, b, N),
      );
    }
  },

  shiftForward(a: ShiftArgs): void {
    const { B, N, S } = a;
    for (let b = 0; b < B; b++) row(a.out, b, N).set(shiftForward(row(a.wg, b, N), row(a.s, b, S)));
  },

  shiftBackward(a: ShiftGradArgs): void {
    const { B, N, S } = a;
    for (let b = 0; b < B; b++) {
      shiftBackward(row(a.wg, b, N), row(a.s, b, S), row(a.dOut, b, N), row(a.dWg, b, N), row(a.dS, b, S));
    }
  },

  sharpenForward(a: SharpenArgs): void {
    const { B, N } = a;
    for (let b = 0; b < B; b++) row(a.w, b, N).set(sharpenForward(row(a.wt, b, N), a.gamma[b]).w);
  },

  sharpenBackward(a: SharpenGradArgs): void {
    const { B, N } = a;
    for (let b = 0; b < B; b++) {
      // The cache of eq. 9 recomputed from its inputs (the same arithmetic as the forward).
      const wt = row(a.wt, b, N);
      const gamma = a.gamma[b];
      const pow = Float64Array.from(wt, (x) => (x + SHARPEN_EPS) ** gamma);
      const sum = pow.reduce((s, x) => s + x, 0);
      a.dGamma[b] = sharpenBackward(
        { wt, gamma, pow, sum, w: row(a.w, b, N) },
        row(a.dw, b, N),
        row(a.dWt, b, N),
      );
    }
  },

  readForward(a: ReadArgs): void {
    const { B, N, M } = a;
    for (let b = 0; b < B; b++) row(a.r, b, M).set(readForward(row(a.mem, b, N * M), N, M, row(a.w, b, N)));
  },

  readBackward(a: ReadGradArgs): void {
    const { B, N, M } = a;
    for (let b = 0; b < B; b++) {
      readBackward(
        row(a.mem, b, N * M),
        N,
        M,
        row(a.w, b, N),
        row(a.dr, b, M),
        row(a.dMem, b, N * M),
        row(a.dW, b, N),
      );
    }
  },

  writeForward(a: WriteArgs): void {
    const { B, N, M } = a;
    for (let b = 0; b < B; b++) {
      row(a.mem, b, N * M).set(
        writeForward(row(a.memPrev, b, N * M), N, M, row(a.w, b, N), row(a.erase, b, M), row(a.add, b, M)),
      );
    }
  },

  writeBackward(a: WriteGradArgs): void {
    const { B, N, M } = a;
    for (let b = 0; b < B; b++) {
      writeBackward(
        row(a.memPrev, b, N * M),
        N,
        M,
        row(a.w, b, N),
        row(a.erase, b, M),
        row(a.add, b, M),
        row(a.dMem, b, N * M),
        row(a.dW, b, N),
        row(a.dErase, b, M),
        row(a.dAdd, b, M),
      );
    }
  },

  linkForward(a: LinkArgs): void {
    const { B, N } = a;
    for (let b = 0; b < B; b++) {
      const { L, p } = linkForward(row(a.LPrev, b, N * N), row(a.pPrev, b, N), row(a.ww, b, N));
      row(a.L, b, N * N).set(L);
      row(a.p, b, N).set(p);
    }
  },

  linkBackward(a: LinkGradArgs): void {
    const { B, N } = a;
    for (let b = 0; b < B; b++) {
      linkBackward(
        row(a.LPrev, b, N * N),
        row(a.pPrev, b, N),
        row(a.ww, b, N),
        row(a.dL, b, N * N),
        row(a.dp, b, N),
        row(a.dLPrev, b, N * N),
        row(a.dPPrev, b, N),
        row(a.dWw, b, N),
      );
    }
  },

  linkReadForward(a: LinkReadArgs): void {
    const { B, N } = a;
    for (let b = 0; b < B; b++) {
      row(a.out, b, N).set(linkReadForward(row(a.L, b, N * N), N, row(a.w, b, N), a.transpose));
    }
  },

  linkReadBackward(a: LinkReadGradArgs): void {
    const { B, N } = a;
    for (let b = 0; b < B; b++) {
      linkReadBackward(
        row(a.L, b, N * N),
        N,
        row(a.w, b, N),
        a.transpose,
        row(a.dOut, b, N),
        row(a.dL, b, N * N),
        row(a.dW, b, N),
      );
    }
  },
};

/** The memory ops for a model of this dtype: the backend's float32 kernels where it has them, else the reference. */
export function memoryOps(dtype: DType): MemoryKernels {
  return (dtype === 'float32' ? memoryKernels() : null) ?? referenceMemoryOps;
}
