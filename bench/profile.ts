/**
 * Where a training step's time goes (`npm run bench -- --profile`): every kernel call of the
 * active backend is timed, by kernel (GEMMs by shape), and the rest of the step — JS layer
 * code, allocation, copies — is what remains of the step's wall time.
 */
import type { Backend } from '../src/tensor/backend.js';

/** One line of the breakdown: milliseconds and calls per training step. */
export interface KernelShare {
  kernel: string;
  msPerStep: number;
  callsPerStep: number;
}

/** Kernels of `Backend` and of the fused optimizer kernels that the profile times. */
const KERNELS = [
  'alloc',
  'gemm',
  'addRowVector',
  'sumRowsAccumulate',
  'lstmStepForward',
  'lstmStepBackward',
  'gruStepForward',
  'gruStepBackward',
  'rnnStepForward',
  'rnnStepBackward',
  'softmaxCrossEntropy',
  'adamUpdate',
  'sgdUpdate',
  'rmspropUpdate',
  'sumSquares',
  'scaleInPlace',
];

/** The label of one call: the kernel, and for GEMMs op(A)·op(B) and M×N×K. */
function label(name: string, args: unknown[]): string {
  if (name !== 'gemm') return name;
  const [ta, tb, M, N, K] = args;
  return `gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${String(M)}x${String(N)}x${String(K)}`;
}

export class KernelProfile {
  private readonly totals = new Map<string, { ms: number; calls: number }>();
  private active = false;

  /** Wrap `backend`'s kernel methods (on this instance only) with timers. */
  constructor(backend: Backend) {
    for (const name of KERNELS) {
      const f: unknown = Reflect.get(backend, name);
      if (typeof f !== 'function') continue;
      Reflect.set(backend, name, (...args: unknown[]): unknown => {
        if (!this.active) return Reflect.apply(f, backend, args);
        const t0 = performance.now();
        try {
          return Reflect.apply(f, backend, args);
        } finally {
          const key = label(name, args);
          const e = this.totals.get(key) ?? { ms: 0, calls: 0 };
          e.ms += performance.now() - t0;
          e.calls++;
          this.totals.set(key, e);
        }
      });
    }
  }

  /** Start counting (from zero). */
  start(): void {
    this.totals.clear();
    this.active = true;
  }

  /** Stop counting; the breakdown per step over `steps` steps: "outside kernels", then kernels largest first. */
  stop(steps: number, stepMsTotal: number): KernelShare[] {
    this.active = false;
    const rows: KernelShare[] = [];
    let inKernels = 0;
    for (const [kernel, { ms, calls }] of this.totals) {
      inKernels += ms;
      rows.push({ kernel, msPerStep: ms / steps, callsPerStep: calls / steps });
    }
    rows.sort((a, b) => b.msPerStep - a.msPerStep);
    rows.unshift({
      kernel: 'outside kernels (JS)',
      msPerStep: (stepMsTotal - inKernels) / steps,
      callsPerStep: 0,
    });
    return rows;
  }
}
