import type { WasmHeap } from './wasm-heap.js';
import { type HostWorker, nodeHost } from './host.js';
import type { KernelExports } from './wasm-module.js';

/**
 * Worker threads on the shared WebAssembly.Memory. Every worker instantiates the same
 * compiled module against the same memory, so a kernel call is just "run sgemm on this
 * sub-rectangle": no data is copied between threads.
 *
 * Determinism: a GEMM is split into row or column bands at multiples of 8, the path is
 * chosen once for the whole problem, and every path computes each element of C with the
 * same sequence of operations wherever it lies (see asm/gemm.ts). So results are
 * bit-identical whatever KIOKU_THREADS is.
 *
 * Protocol (one control block of Int32 slots in the shared memory): the caller writes the
 * task, bumps SEQ and notifies; each worker runs its band, adds 1 to DONE and notifies; the
 * caller runs band 0 itself, then waits until DONE reaches the number of workers. Workers
 * spin briefly before sleeping in Atomics.wait, because the next GEMM of a recurrent step
 * usually follows within microseconds.
 */

const SEQ = 0;
const DONE = 1;
const OP = 2;
const READY = 3; // workers that have started and are waiting for tasks
// Who is asleep in Atomics.wait (notify is a system call: skip it when nobody sleeps).
const SLEEPERS = 30; // workers sleeping on SEQ
const MAIN_WAITS = 31; // 1 while the caller sleeps on DONE
const ARGS = 4; // task arguments start here (i32 and f32 slots)
const CTRL_SLOTS = 32;

const OP_STOP = 0;
const OP_GEMM = 1;

/**
 * GEMMs from this many multiply-adds are always split (input projections, weight
 * gradients, the per-step products of large layers).
 */
const SPLIT_MACS = 1 << 23;
/**
 * GEMMs from this size (the per-step products of small layers, B·4H·H = 2M for H = 128,
 * ~40 µs) are split only while the workers answer promptly: on an idle machine that gains
 * ~10% in training; on an oversubscribed one a hand-off can cost more than the product, so
 * the pool watches how late the workers finish (see `late`) and stops splitting them.
 */
const SMALL_SPLIT_MACS = 1 << 20;

// The worker's whole program. It is plain JavaScript with no imports, so it runs from a
// string (Node `eval: true`, or a Blob URL in browsers) in a source tree or a bundle alike.
const WORKER_SOURCE = String.raw`
const isNode = typeof process === 'object' && process.versions && process.versions.node;
function start(data) {
  const { module, memory, ctrl, index, work, spin } = data;
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const I = new Int32Array(memory.buffer, ctrl, ${CTRL_SLOTS});
  const F = new Float32Array(memory.buffer, ctrl, ${CTRL_SLOTS});
  let seen = Atomics.load(I, ${SEQ});
  Atomics.add(I, ${READY}, 1);
  for (;;) {
    let s = seen;
    for (let i = 0; i < spin && s === seen; i++) s = Atomics.load(I, ${SEQ});
    while (s === seen) {
      // Announce the sleep before checking SEQ once more (inside wait): the caller bumps SEQ
      // before reading SLEEPERS, so one of the two always sees the other.
      Atomics.add(I, ${SLEEPERS}, 1);
      Atomics.wait(I, ${SEQ}, seen);
      Atomics.sub(I, ${SLEEPERS}, 1);
      s = Atomics.load(I, ${SEQ});
    }
    seen = s;
    const op = I[${OP}];
    if (op === ${OP_STOP}) return;
    const a = ${ARGS};
    const parts = I[a + 15];
    if (index < parts) {
      // Band 'index' of a GEMM split along rows (I[a + 16] = 1) or columns.
      const path = I[a], tA = I[a + 1], tB = I[a + 2], M = I[a + 3], N = I[a + 4], K = I[a + 5];
      const alpha = F[a + 6], A = I[a + 7] >>> 0, lda = I[a + 8], B = I[a + 9] >>> 0, ldb = I[a + 10];
      const beta = F[a + 11], C = I[a + 12] >>> 0, ldc = I[a + 13], step = I[a + 14], byRows = I[a + 16];
      const lo = index * step, hi = Math.min(byRows ? M : N, lo + step);
      if (lo < hi) {
        if (byRows) {
          const pa = A + (tA ? lo * 4 : lo * lda * 4);
          k.sgemm(path, tA, tB, hi - lo, N, K, alpha, pa, lda, B, ldb, beta, C + lo * ldc * 4, ldc, work);
        } else {
          const pb = B + (tB ? lo * ldb * 4 : lo * 4);
          k.sgemm(path, tA, tB, M, hi - lo, K, alpha, A, lda, pb, ldb, beta, C + lo * 4, ldc, work);
        }
      }
    }
    Atomics.add(I, ${DONE}, 1);
    if (Atomics.load(I, ${MAIN_WAITS}) !== 0) Atomics.notify(I, ${DONE});
  }
}
if (isNode) start(require('node:worker_threads').workerData);
else self.onmessage = (e) => start(e.data);
`;

/** Whether `Atomics.wait` may block this thread (not on a browser's main thread). */
function canBlock(): boolean {
  const g = globalThis as { process?: unknown; document?: unknown };
  return g.process !== undefined || g.document === undefined;
}

export class ThreadPool {
  /** Threads in total, the calling one included. */
  readonly size: number;
  private readonly workers: HostWorker[];
  private readonly heap: WasmHeap;
  private readonly k: KernelExports;
  private readonly ctrl: number;
  private readonly I: Int32Array;
  private readonly F: Float32Array;
  private readonly mainWork: number;
  private readonly blocking = canBlock();
  /** GEMMs split across the threads so far (tests check that splitting happened). */
  splitCount = 0;
  /**
   * Moving average of how long the caller waits for the workers after finishing its own
   * band, relative to that band's time: ~0 on an idle machine, ≥ 1 when workers are
   * descheduled. Small GEMMs are split only while it stays below 0.5.
   */
  late = 0;
  private probe = 0;

  private constructor(
    heap: WasmHeap,
    k: KernelExports,
    workers: HostWorker[],
    ctrl: number,
    mainWork: number,
  ) {
    this.heap = heap;
    this.k = k;
    this.workers = workers;
    this.size = workers.length + 1;
    this.ctrl = ctrl;
    this.mainWork = mainWork;
    this.I = new Int32Array(heap.memory.buffer, ctrl, CTRL_SLOTS);
    this.F = new Float32Array(heap.memory.buffer, ctrl, CTRL_SLOTS);
  }

  /**
   * Start `threads − 1` workers on the heap's shared memory. Returns null where workers are
   * not available (a browser without Worker, a memory that is not shared).
   */
  static create(
    module: WebAssembly.Module,
    heap: WasmHeap,
    k: KernelExports,
    threads: number,
    spin = 20000,
  ): ThreadPool | null {
    if (!heap.shared || threads < 2) return null;
    const ctrl = heap.allocRaw(CTRL_SLOTS * 4);
    new Int32Array(heap.memory.buffer, ctrl, CTRL_SLOTS).fill(0);
    const mainWork = heap.allocRaw(k.gemmWorkBytes());
    const wt = nodeHost();
    const workers: HostWorker[] = [];
    for (let i = 1; i < threads; i++) {
      const data = {
        module,
        memory: heap.memory,
        ctrl,
        index: i,
        work: heap.allocRaw(k.gemmWorkBytes()),
        spin,
      };
      if (wt) {
        // No loader flags (--import tsx etc.): the worker is plain JS. V8 flags such as
        // --experimental-wasm-relaxed-simd are process-wide and apply to it regardless.
        const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data, execArgv: [] });
        w.unref?.(); // idle workers must not keep the process alive
        workers.push(w);
      } else if (typeof Worker === 'function' && typeof Blob === 'function') {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
        const w = new Worker(url);
        w.postMessage(data);
        workers.push(w);
      } else {
        return null;
      }
    }
    return new ThreadPool(heap, k, workers, ctrl, mainWork);
  }

  /**
   * Whether every worker is up. Node starts a worker only when the creating thread's event
   * loop turns, so until then (a fully synchronous start) work simply runs on the calling
   * thread — with the same results, since they do not depend on the split.
   */
  get ready(): boolean {
    return Atomics.load(this.I, READY) >= this.workers.length;
  }

  /** Resolves once every worker is up (yields to the event loop meanwhile). */
  async whenReady(timeoutMs = 10000): Promise<boolean> {
    const t0 = Date.now();
    while (!this.ready && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 1));
    return this.ready;
  }

  /** Whether a GEMM of this size gains from being split (and the workers are up). */
  worthSplitting(M: number, N: number, K: number): boolean {
    const macs = M * N * K;
    if (!(M >= 16 || N >= 16) || !this.ready) return false;
    if (macs >= SPLIT_MACS) return true;
    if (macs < SMALL_SPLIT_MACS) return false;
    // While the workers are late, still split one small GEMM in 64 to notice recovery.
    return this.late < 0.5 || (++this.probe & 63) === 0;
  }

  /** Run one GEMM split into bands over all threads (pointers are byte addresses). */
  gemm(
    path: number,
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: number,
    lda: number,
    B: number,
    ldb: number,
    beta: number,
    C: number,
    ldc: number,
  ): void {
    this.splitCount++;
    // Split the longer side, in bands that are multiples of 8 (whole micro-tiles).
    const byRows = M >= N;
    const len = byRows ? M : N;
    const step = Math.ceil(Math.ceil(len / this.size) / 8) * 8;
    const parts = Math.ceil(len / step);
    const I = this.I;
    const F = this.F;
    const a = ARGS;
    I[a] = path;
    I[a + 1] = +transA;
    I[a + 2] = +transB;
    I[a + 3] = M;
    I[a + 4] = N;
    I[a + 5] = K;
    F[a + 6] = alpha;
    I[a + 7] = A;
    I[a + 8] = lda;
    I[a + 9] = B;
    I[a + 10] = ldb;
    F[a + 11] = beta;
    I[a + 12] = C;
    I[a + 13] = ldc;
    I[a + 14] = step;
    I[a + 15] = parts;
    I[a + 16] = +byRows;
    I[OP] = OP_GEMM;
    Atomics.store(I, DONE, 0);
    Atomics.add(I, SEQ, 1);
    if (Atomics.load(I, SLEEPERS) !== 0) Atomics.notify(I, SEQ);
    // Band 0 here, meanwhile.
    const t0 = performance.now();
    const hi = Math.min(len, step);
    if (byRows)
      this.k.sgemm(path, +transA, +transB, hi, N, K, alpha, A, lda, B, ldb, beta, C, ldc, this.mainWork);
    else this.k.sgemm(path, +transA, +transB, M, hi, K, alpha, A, lda, B, ldb, beta, C, ldc, this.mainWork);
    const t1 = performance.now();
    this.waitDone();
    const wait = performance.now() - t1;
    this.late = 0.9 * this.late + 0.1 * Math.min(4, wait / Math.max(t1 - t0, 0.001));
  }

  private waitDone(): void {
    const I = this.I;
    const n = this.workers.length;
    // Spin briefly (the other bands finish at about the same time), then sleep until notified.
    for (let i = 0; i < 1 << 15; i++) if (Atomics.load(I, DONE) >= n) return;
    for (;;) {
      const d = Atomics.load(I, DONE);
      if (d >= n) return;
      if (this.blocking) {
        Atomics.store(I, MAIN_WAITS, 1);
        // DONE is re-checked inside wait, after MAIN_WAITS is visible to the workers.
        Atomics.wait(I, DONE, d, 100);
        Atomics.store(I, MAIN_WAITS, 0);
      }
    }
  }

  /** Stop the workers (the pool cannot be used afterwards). */
  close(): void {
    this.I[OP] = OP_STOP;
    Atomics.add(this.I, SEQ, 1);
    Atomics.notify(this.I, SEQ);
    for (const w of this.workers) w.terminate();
    this.heap.freeRaw(this.ctrl, CTRL_SLOTS * 4);
  }

  /** For error messages. */
  toString(): string {
    return `ThreadPool(${this.size})`;
  }
}
