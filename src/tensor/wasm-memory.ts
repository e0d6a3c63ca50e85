/**
 * The WASM backend's batched memory kernels (`asm/memory.ts`) behind the `MemoryKernels`
 * interface. Arrays in the backend's memory are used in place; others are staged (copied in
 * and, for outputs, out) by the backend, as for every kernel. Float32 only: the memory wing
 * runs float64 models (gradient checks, PyTorch parity) on its TypeScript reference.
 */
import { KiokuError } from '../util/errors.js';
import type {
  ContentArgs,
  ContentGradArgs,
  InterpolateArgs,
  LinkArgs,
  LinkGradArgs,
  LinkReadArgs,
  LinkReadGradArgs,
  InterpolateGradArgs,
  MemoryKernels,
  ReadArgs,
  ReadGradArgs,
  SharpenArgs,
  SharpenGradArgs,
  ShiftArgs,
  ShiftGradArgs,
  WriteArgs,
  WriteGradArgs,
} from './memory-kernels.js';
import type { FloatArray } from './tensor.js';

/** The raw exports of `asm/memory.ts` (byte addresses into the backend's memory). */
export interface MemoryKernelExports {
  memContentForward(
    B: number,
    N: number,
    M: number,
    mem: number,
    key: number,
    beta: number,
    w: number,
    dots: number,
    rowNorm: number,
    sim: number,
    keyNorm: number,
  ): void;
  memContentBackward(
    B: number,
    N: number,
    M: number,
    mem: number,
    key: number,
    beta: number,
    w: number,
    dots: number,
    rowNorm: number,
    sim: number,
    keyNorm: number,
    dw: number,
    dMem: number,
    dKey: number,
    dBeta: number,
  ): void;
  memInterpolateForward(B: number, N: number, wc: number, wPrev: number, g: number, out: number): void;
  memInterpolateBackward(
    B: number,
    N: number,
    wc: number,
    wPrev: number,
    g: number,
    dOut: number,
    dWc: number,
    dWPrev: number,
    dG: number,
  ): void;
  memShiftForward(B: number, N: number, S: number, wg: number, s: number, out: number): void;
  memShiftBackward(
    B: number,
    N: number,
    S: number,
    wg: number,
    s: number,
    dOut: number,
    dWg: number,
    dS: number,
  ): void;
  memSharpenForward(B: number, N: number, wt: number, gamma: number, w: number): void;
  memSharpenBackward(
    B: number,
    N: number,
    wt: number,
    gamma: number,
    w: number,
    dw: number,
    dWt: number,
    dGamma: number,
  ): void;
  memReadForward(B: number, N: number, M: number, mem: number, w: number, r: number): void;
  memReadBackward(
    B: number,
    N: number,
    M: number,
    mem: number,
    w: number,
    dr: number,
    dMem: number,
    dW: number,
  ): void;
  memWriteForward(
    B: number,
    N: number,
    M: number,
    memPrev: number,
    w: number,
    erase: number,
    add: number,
    mem: number,
  ): void;
  memWriteBackward(
    B: number,
    N: number,
    M: number,
    memPrev: number,
    w: number,
    erase: number,
    add: number,
    dMem: number,
    dW: number,
    dErase: number,
    dAdd: number,
  ): void;
  memLinkForward(B: number, N: number, LPrev: number, pPrev: number, ww: number, L: number, p: number): void;
  memLinkBackward(
    B: number,
    N: number,
    LPrev: number,
    pPrev: number,
    ww: number,
    dL: number,
    dp: number,
    dLPrev: number,
    dPPrev: number,
    dWw: number,
  ): void;
  memLinkReadForward(B: number, N: number, L: number, w: number, transpose: number, out: number): void;
  memLinkReadBackward(
    B: number,
    N: number,
    L: number,
    w: number,
    transpose: number,
    dOut: number,
    dL: number,
    dW: number,
  ): void;
}

/** Run `body` with staging (the backend's `staging`); `ptr` gives an array's byte address for the call. */
export type StagedCall = (body: (ptr: (a: FloatArray, len: number, out: boolean) => number) => void) => void;

export class WasmMemoryKernels implements MemoryKernels {
  constructor(
    private readonly k: MemoryKernelExports,
    private readonly call: StagedCall,
  ) {}

  /** Every array float32 and at least as long as its shape says. */
  private check(where: string, arrays: Record<string, [FloatArray, number]>): void {
    for (const [name, [a, n]] of Object.entries(arrays)) {
      if (!(a instanceof Float32Array))
        throw new KiokuError(
          `memory kernel ${where}: ${name} must be a Float32Array (float64 runs on the reference)`,
        );
      if (a.length < n)
        throw new KiokuError(`memory kernel ${where}: ${name} has ${a.length} elements, expected ${n}`);
    }
  }

  contentForward(a: ContentArgs): void {
    const { B, N, M } = a;
    const sizes: Record<string, [FloatArray, number]> = {
      mem: [a.mem, B * N * M],
      key: [a.key, B * M],
      beta: [a.beta, B],
      w: [a.w, B * N],
      dots: [a.dots, B * N],
      rowNorm: [a.rowNorm, B * N],
      sim: [a.sim, B * N],
      keyNorm: [a.keyNorm, B],
    };
    this.check('contentForward', sizes);
    this.call((p) =>
      this.k.memContentForward(
        B,
        N,
        M,
        p(a.mem, B * N * M, false),
        p(a.key, B * M, false),
        p(a.beta, B, false),
        p(a.w, B * N, true),
        p(a.dots, B * N, true),
        p(a.rowNorm, B * N, true),
        p(a.sim, B * N, true),
        p(a.keyNorm, B, true),
      ),
    );
  }

  contentBackward(a: ContentGradArgs): void {
    const { B, N, M } = a;
    this.check('contentBackward', {
      mem: [a.mem, B * N * M],
      key: [a.key, B * M],
      beta: [a.beta, B],
      w: [a.w, B * N],
      dots: [a.dots, B * N],
      rowNorm: [a.rowNorm, B * N],
      sim: [a.sim, B * N],
      keyNorm: [a.keyNorm, B],
      dw: [a.dw, B * N],
      dMem: [a.dMem, B * N * M],
      dKey: [a.dKey, B * M],
      dBeta: [a.dBeta, B],
    });
    this.call((p) =>
      this.k.memContentBackward(
        B,
        N,
        M,
        p(a.mem, B * N * M, false),
        p(a.key, B * M, false),
        p(a.beta, B, false),
        p(a.w, B * N, false),
        p(a.dots, B * N, false),
        p(a.rowNorm, B * N, false),
        p(a.sim, B * N, false),
        p(a.keyNorm, B, false),
        p(a.dw, B * N, false),
        p(a.dMem, B * N * M, true),
        p(a.dKey, B * M, true),
        p(a.dBeta, B, true),
      ),
    );
  }

  interpolateForward(a: InterpolateArgs): void {
    const { B, N } = a;
    this.check('interpolateForward', {
      wc: [a.wc, B * N],
      wPrev: [a.wPrev, B * N],
      g: [a.g, B],
      out: [a.out, B * N],
    });
    this.call((p) =>
      this.k.memInterpolateForward(
        B,
        N,
        p(a.wc, B * N, false),
        p(a.wPrev, B * N, false),
        p(a.g, B, false),
        p(a.out, B * N, true),
      ),
    );
  }

  interpolateBackward(a: InterpolateGradArgs): void {
    const { B, N } = a;
    this.check('interpolateBackward', {
      wc: [a.wc, B * N],
      wPrev: [a.wPrev, B * N],
      g: [a.g, B],
      dOut: [a.dOut, B * N],
      dWc: [a.dWc, B * N],
      dWPrev: [a.dWPrev, B * N],
      dG: [a.dG, B],
    });
    this.call((p) =>
      this.k.memInterpolateBackward(
        B,
        N,
        p(a.wc, B * N, false),
        p(a.wPrev, B * N, false),
        p(a.g, B, false),
        p(a.dOut, B * N, false),
        p(a.dWc, B * N, true),
        p(a.dWPrev, B * N, true),
        p(a.dG, B, true),
      ),
    );
  }

  private checkShift(where: string, N: number, S: number): void {
    if (!(S % 2 === 1 && S < N))
      throw new KiokuError(`memory kernel ${where}: S must be odd and below N = ${N}, got ${S}`);
  }

  shiftForward(a: ShiftArgs): void {
    const { B, N, S } = a;
    this.checkShift('shiftForward', N, S);
    this.check('shiftForward', { wg: [a.wg, B * N], s: [a.s, B * S], out: [a.out, B * N] });
    this.call((p) =>
      this.k.memShiftForward(B, N, S, p(a.wg, B * N, false), p(a.s, B * S, false), p(a.out, B * N, true)),
    );
  }

  shiftBackward(a: ShiftGradArgs): void {
    const { B, N, S } = a;
    this.checkShift('shiftBackward', N, S);
    this.check('shiftBackward', {
      wg: [a.wg, B * N],
      s: [a.s, B * S],
      dOut: [a.dOut, B * N],
      dWg: [a.dWg, B * N],
      dS: [a.dS, B * S],
    });
    this.call((p) =>
      this.k.memShiftBackward(
        B,
        N,
        S,
        p(a.wg, B * N, false),
        p(a.s, B * S, false),
        p(a.dOut, B * N, false),
        p(a.dWg, B * N, true),
        p(a.dS, B * S, true),
      ),
    );
  }

  sharpenForward(a: SharpenArgs): void {
    const { B, N } = a;
    this.check('sharpenForward', { wt: [a.wt, B * N], gamma: [a.gamma, B], w: [a.w, B * N] });
    this.call((p) =>
      this.k.memSharpenForward(B, N, p(a.wt, B * N, false), p(a.gamma, B, false), p(a.w, B * N, true)),
    );
  }

  sharpenBackward(a: SharpenGradArgs): void {
    const { B, N } = a;
    this.check('sharpenBackward', {
      wt: [a.wt, B * N],
      gamma: [a.gamma, B],
      w: [a.w, B * N],
      dw: [a.dw, B * N],
      dWt: [a.dWt, B * N],
      dGamma: [a.dGamma, B],
    });
    this.call((p) =>
      this.k.memSharpenBackward(
        B,
        N,
        p(a.wt, B * N, false),
        p(a.gamma, B, false),
        p(a.w, B * N, false),
        p(a.dw, B * N, false),
        p(a.dWt, B * N, true),
        p(a.dGamma, B, true),
      ),
    );
  }

  readForward(a: ReadArgs): void {
    const { B, N, M } = a;
    this.check('readForward', { mem: [a.mem, B * N * M], w: [a.w, B * N], r: [a.r, B * M] });
    this.call((p) =>
      this.k.memReadForward(B, N, M, p(a.mem, B * N * M, false), p(a.w, B * N, false), p(a.r, B * M, true)),
    );
  }

  readBackward(a: ReadGradArgs): void {
    const { B, N, M } = a;
    this.check('readBackward', {
      mem: [a.mem, B * N * M],
      w: [a.w, B * N],
      dr: [a.dr, B * M],
      dMem: [a.dMem, B * N * M],
      dW: [a.dW, B * N],
    });
    this.call((p) =>
      this.k.memReadBackward(
        B,
        N,
        M,
        p(a.mem, B * N * M, false),
        p(a.w, B * N, false),
        p(a.dr, B * M, false),
        p(a.dMem, B * N * M, true),
        p(a.dW, B * N, true),
      ),
    );
  }

  writeForward(a: WriteArgs): void {
    const { B, N, M } = a;
    this.check('writeForward', {
      memPrev: [a.memPrev, B * N * M],
      w: [a.w, B * N],
      erase: [a.erase, B * M],
      add: [a.add, B * M],
      mem: [a.mem, B * N * M],
    });
    this.call((p) =>
      this.k.memWriteForward(
        B,
        N,
        M,
        p(a.memPrev, B * N * M, false),
        p(a.w, B * N, false),
        p(a.erase, B * M, false),
        p(a.add, B * M, false),
        p(a.mem, B * N * M, true),
      ),
    );
  }

  writeBackward(a: WriteGradArgs): void {
    const { B, N, M } = a;
    this.check('writeBackward', {
      memPrev: [a.memPrev, B * N * M],
      w: [a.w, B * N],
      erase: [a.erase, B * M],
      add: [a.add, B * M],
      dMem: [a.dMem, B * N * M],
      dW: [a.dW, B * N],
      dErase: [a.dErase, B * M],
      dAdd: [a.dAdd, B * M],
    });
    this.call((p) =>
      this.k.memWriteBackward(
        B,
        N,
        M,
        p(a.memPrev, B * N * M, false),
        p(a.w, B * N, false),
        p(a.erase, B * M, false),
        p(a.add, B * M, false),
        p(a.dMem, B * N * M, true),
        p(a.dW, B * N, true),
        p(a.dErase, B * M, true),
        p(a.dAdd, B * M, true),
      ),
    );
  }

  linkForward(a: LinkArgs): void {
    const { B, N } = a;
    this.check('linkForward', {
      LPrev: [a.LPrev, B * N * N],
      pPrev: [a.pPrev, B * N],
      ww: [a.ww, B * N],
      L: [a.L, B * N * N],
      p: [a.p, B * N],
    });
    this.call((p) =>
      this.k.memLinkForward(
        B,
        N,
        p(a.LPrev, B * N * N, false),
        p(a.pPrev, B * N, false),
        p(a.ww, B * N, false),
        p(a.L, B * N * N, true),
        p(a.p, B * N, true),
      ),
    );
  }

  linkBackward(a: LinkGradArgs): void {
    const { B, N } = a;
    this.check('linkBackward', {
      LPrev: [a.LPrev, B * N * N],
      pPrev: [a.pPrev, B * N],
      ww: [a.ww, B * N],
      dL: [a.dL, B * N * N],
      dp: [a.dp, B * N],
      dLPrev: [a.dLPrev, B * N * N],
      dPPrev: [a.dPPrev, B * N],
      dWw: [a.dWw, B * N],
    });
    this.call((p) =>
      this.k.memLinkBackward(
        B,
        N,
        p(a.LPrev, B * N * N, false),
        p(a.pPrev, B * N, false),
        p(a.ww, B * N, false),
        p(a.dL, B * N * N, false),
        p(a.dp, B * N, false),
        p(a.dLPrev, B * N * N, true),
        p(a.dPPrev, B * N, true),
        p(a.dWw, B * N, true),
      ),
    );
  }

  linkReadForward(a: LinkReadArgs): void {
    const { B, N } = a;
    this.check('linkReadForward', { L: [a.L, B * N * N], w: [a.w, B * N], out: [a.out, B * N] });
    this.call((p) =>
      this.k.memLinkReadForward(
        B,
        N,
        p(a.L, B * N * N, false),
        p(a.w, B * N, false),
        +a.transpose,
        p(a.out, B * N, true),
      ),
    );
  }

  linkReadBackward(a: LinkReadGradArgs): void {
    const { B, N } = a;
    this.check('linkReadBackward', {
      L: [a.L, B * N * N],
      w: [a.w, B * N],
      dOut: [a.dOut, B * N],
      dL: [a.dL, B * N * N],
      dW: [a.dW, B * N],
    });
    this.call((p) =>
      this.k.memLinkReadBackward(
        B,
        N,
        p(a.L, B * N * N, false),
        p(a.w, B * N, false),
        +a.transpose,
        p(a.dOut, B * N, false),
        p(a.dL, B * N * N, true),
        p(a.dW, B * N, true),
      ),
    );
  }
}
