import { KiokuError } from '../util/errors.js';
import type {
  Backend,
  GruStepArgs,
  GruStepGradArgs,
  LstmStepArgs,
  LstmStepGradArgs,
  RnnStepArgs,
  RnnStepGradArgs,
  SoftmaxXentArgs,
} from './backend.js';
import type { DecoderSpec, FusedDecoder, FusedDecoderKernels } from './decoder-kernels.js';
import type {
  AdamStepParams,
  FusedOptimizerKernels,
  RMSpropStepParams,
  SGDStepParams,
} from './optimizer-kernels.js';
import type { HasMemoryKernels, MemoryKernels } from './memory-kernels.js';
import { ReferenceBackend } from './reference.js';
import type { DType, FloatArray } from './tensor.js';
import { WasmHeap } from './wasm-heap.js';
import { WasmMemoryKernels } from './wasm-memory.js';
import {
  compileSync,
  instantiate,
  type KernelExports,
  pickVariant,
  recordWasmFailure,
  type WasmVariant,
} from './wasm-module.js';
import { createWasmDecoder } from './wasm-decoder.js';
import { ThreadPool } from './wasm-threads.js';

/** GEMM paths of `asm/gemm.ts` (its PATH_* constants). */
export const GEMM_PACKED = 0;
export const GEMM_DIRECT = 1;
export const GEMM_DOT = 2;

/**
 * Pick the GEMM path for a whole problem (once, so that splitting it across threads never
 * changes which arithmetic computes an element):
 * - DOT for A·Bᵀ while A stays cache-resident (≤ 512 KiB): rows of A and B are both
 *   contiguous in k, so nothing is packed — the per-step h·W_hhᵀ and batch-1 sampling;
 * - DIRECT for op(B) = B with a small M: packing B (O(K·N)) would cost as much as the
 *   product itself — the per-step dgates·W_hh of backpropagation through time;
 * - PACKED otherwise (the large input projections and weight gradients).
 */
export function chooseGemmPath(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  directMaxK: number,
  ldb = N,
): number {
  if (!transA && transB && M * K * 4 <= 512 * 1024) return GEMM_DOT;
  // DIRECT re-reads B's 8-column panels for every 4 rows of A: fine while B stays in cache,
  // or while its rows are not a multiple of 1 KiB apart (such strides map a panel's rows to
  // a few cache sets; measured: 64×512×2048 NN runs at 37 GFLOP/s direct, 46 packed).
  const bFits = K * N * 4 <= 1024 * 1024 || ldb % 256 !== 0;
  if (!transB && alpha === 1 && M <= 64 && K <= directMaxK && bFits) return GEMM_DIRECT;
  return GEMM_PACKED;
}

/** Options of `createWasmBackend`. */
export interface WasmBackendOptions {
  /** Use the relaxed-SIMD (FMA) build where the runtime validates it. Default true. */
  relaxed?: boolean;
  /** Worker threads in total, this one included (KIOKU_THREADS; default 1). */
  threads?: number;
}

/** What one process shares between all WasmBackend objects: a memory, its heap, the kernels, threads. */
export interface WasmEngine {
  variant: WasmVariant;
  module: WebAssembly.Module;
  heap: WasmHeap;
  k: KernelExports;
  /** Scratch of the main thread's GEMM calls (packing buffers). */
  work: number;
  pool: ThreadPool | null;
}

const engines = new Map<string, WasmEngine>();

function envNumber(name: string): number | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const raw = env?.[name];
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new KiokuError(`${name} must be a positive integer, got '${raw}'`);
  return v;
}

/**
 * The threads and the build an engine runs for these options (`preloadWasm` compiles the
 * same build). One thread: a plain memory (TypedArray fill/set on it run at memcpy speed; on
 * a SharedArrayBuffer they are element-wise and ~20x slower). Threads need a shared one.
 */
export function engineVariant(opts: WasmBackendOptions = {}): {
  threads: number;
  variant: WasmVariant | null;
} {
  const threads = Math.max(1, opts.threads ?? envNumber('KIOKU_THREADS') ?? 1);
  return { threads, variant: pickVariant({ relaxed: opts.relaxed, shared: threads > 1 }) };
}

/**
 * The process-wide engine for a variant, made on first use; null when this runtime cannot
 * run the WASM kernels (no SIMD; no binary; a browser that has not awaited `preloadWasm`).
 */
export function getWasmEngine(opts: WasmBackendOptions = {}): WasmEngine | null {
  const { threads, variant } = engineVariant(opts);
  if (variant === null) return recordWasmFailure('this runtime has no WebAssembly SIMD128');
  const key = `${variant.file}:${variant.shared ? threads : 1}`;
  const hit = engines.get(key);
  if (hit) return hit;
  const module = compileSync(variant);
  if (module === null) return null;
  const heap = new WasmHeap({
    shared: variant.shared,
    base: 1 << 16, // the kernels keep no static data; the first page stays unused
    fixedBytes: (envNumber('KIOKU_WASM_MEMORY_MB') ?? 0) * 1024 * 1024 || undefined,
  });
  const k = instantiate(module, heap.memory);
  heap.zeroFill = (ptr, bytes) => k.zero(ptr, bytes);
  const work = heap.allocRaw(k.gemmWorkBytes());
  const pool = variant.shared && threads > 1 ? ThreadPool.create(module, heap, k, threads) : null;
  const engine: WasmEngine = { variant, module, heap, k, work, pool };
  engines.set(key, engine);
  return engine;
}

/** An output argument that was copied into the scratch arena, to copy back after the call. */
interface Staged {
  tmp: number;
  src: FloatArray;
  off: number;
  len: number;
}

/**
 * The fast backend: WebAssembly SIMD kernels from `asm/`.
 *
 * - `alloc('float32', n)` returns views into the WASM memory (`WasmFloat32Array`), so the
 *   kernels run on them in place; the layers allocate their buffers this way.
 * - Float32 arrays that are not in that memory are copied in and out around each call
 *   (correct, slower); float64 calls go to the reference backend (gradient checks).
 * - Optional worker threads (KIOKU_THREADS) split GEMMs and per-step kernels into pieces
 *   whose arithmetic does not depend on the split, so results are bit-identical for any
 *   thread count.
 */
export class WasmBackend implements Backend, FusedOptimizerKernels, HasMemoryKernels, FusedDecoderKernels {
  readonly name = 'wasm';
  readonly engine: WasmEngine;
  private readonly ref = new ReferenceBackend();
  private readonly heap: WasmHeap;
  private readonly k: KernelExports;
  private readonly directMaxK: number;
  private staged: Staged[] = [];
  /** Tests only: force one GEMM path (GEMM_PACKED/DIRECT/DOT) where it is valid. */
  forceGemmPath: number | null = null;
  /** Scratch for softmaxCrossEntropy's two f64 results. */
  private readonly result: number;
  private memory: WasmMemoryKernels | null = null;

  constructor(engine: WasmEngine) {
    this.engine = engine;
    this.heap = engine.heap;
    this.k = engine.k;
    this.directMaxK = this.k.directMaxK();
    this.result = this.heap.allocRaw(16);
  }

  /** A description for logs and the bench: variant and threads. */
  get description(): string {
    const v = this.engine.variant;
    const threads = this.engine.pool?.size ?? 1;
    return `wasm ${v.relaxed ? 'relaxed-simd (fma)' : 'simd128'}, ${v.shared ? 'shared' : 'plain'} memory, ${threads} thread${threads > 1 ? 's' : ''}`;
  }

  alloc(dtype: DType, n: number): FloatArray {
    if (dtype === 'float64') return new Float64Array(n);
    return this.heap.allocF32(n);
  }

  /** Give a `alloc`ed array's memory back now (see `WasmHeap.release`). */
  release(a: FloatArray): void {
    if (a instanceof Float32Array) this.heap.release(a);
  }

  /** Start a memory scope (the policy: `tensor/scope.ts`; the mechanism: `WasmHeap.openScope`). */
  openScope(): void {
    this.heap.openScope();
  }

  /** End the innermost memory scope, releasing what it allocated and did not keep. */
  closeScope(): void {
    this.heap.closeScope();
  }

  /** Take `a`'s memory out of every open scope (see `tensor/scope.ts`). */
  keep(a: FloatArray): void {
    if (a instanceof Float32Array) this.heap.keep(a);
  }

  // ---- argument staging ----
  //
  // Arrays outside the WASM memory are copied into a per-backend scratch arena for the
  // duration of one kernel call (bump allocation, reset when the call ends).

  private arena = 0;
  private arenaBytes = 0;
  private arenaUsed = 0;
  /** Arenas outgrown during the current call (still holding its staged data). */
  private retired: [number, number][] = [];

  private stageAlloc(bytes: number): number {
    const size = Math.ceil(Math.max(bytes, 1) / 64) * 64;
    if (this.arenaUsed + size > this.arenaBytes) {
      if (this.arenaBytes > 0) this.retired.push([this.arena, this.arenaBytes]);
      this.arenaBytes = Math.max(2 * this.arenaBytes, size, 1 << 20);
      this.arena = this.heap.allocRaw(this.arenaBytes);
      this.arenaUsed = 0;
    }
    const p = this.arena + this.arenaUsed;
    this.arenaUsed += size;
    return p;
  }

  /** Byte address of a[off ..] for a call, copying it in (and, for outputs, out) when needed. */
  private arg(a: FloatArray, off: number, len: number, out: boolean): number {
    if (off < 0 || len < 0 || off + len > a.length) {
      throw new KiokuError(
        `WASM backend: access [${off}, ${off + len}) outside an array of ${a.length} elements`,
      );
    }
    if (a instanceof Float32Array && this.heap.contains(a)) return a.byteOffset + off * 4;
    const tmp = this.stageAlloc(len * 4);
    this.heap.f32.set(a.subarray(off, off + len), tmp >>> 2);
    if (out) this.staged.push({ tmp, src: a, off, len });
    return tmp;
  }

  /** A non-float side input (mask, targets) copied into scratch; 0 for null. */
  private bytesArg(a: Uint8Array | Int32Array | null): number {
    if (a === null) return 0;
    const tmp = this.stageAlloc(a.byteLength);
    this.heap.u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), tmp);
    return tmp;
  }

  /** End of a call: copy staged outputs back (unless the kernel threw) and reset the arena. */
  /**
   * Run a kernel call whose arguments `arg()` stages: staged outputs are copied back only
   * when `body` completes, and the staging arena is reset either way.
   */
  private staging(body: () => void): void {
    let ok = false;
    try {
      body();
      ok = true;
    } finally {
      this.finish(ok);
    }
  }

  private finish(ok: boolean): void {
    const st = this.staged;
    if (ok && st.length > 0) {
      const f32 = this.heap.f32;
      for (const s of st) s.src.set(f32.subarray(s.tmp >>> 2, (s.tmp >>> 2) + s.len), s.off);
    }
    if (st.length > 0) this.staged = [];
    this.arenaUsed = 0;
    if (this.retired.length > 0) {
      for (const [p, n] of this.retired) this.heap.freeRaw(p, n);
      this.retired = [];
    }
  }

  // ---- kernels ----

  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: FloatArray,
    aOff: number,
    lda: number,
    B: FloatArray,
    bOff: number,
    ldb: number,
    beta: number,
    C: FloatArray,
    cOff: number,
    ldc: number,
  ): void {
    if (A instanceof Float64Array || B instanceof Float64Array || C instanceof Float64Array) {
      this.ref.gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
      return;
    }
    if (M <= 0 || N <= 0) return;
    if (ldc < N) throw new KiokuError(`gemm: ldc must be >= N = ${N}, got ${ldc}`);
    // Spans in elements that each operand touches.
    const aRows = transA ? K : M;
    const aCols = transA ? M : K;
    const bRows = transB ? N : K;
    const bCols = transB ? K : N;
    if (K > 0 && (lda < aCols || ldb < bCols)) {
      throw new KiokuError(
        `gemm: leading dimensions too small (lda ${lda} < ${aCols} or ldb ${ldb} < ${bCols})`,
      );
    }
    const useAB = K > 0 && alpha !== 0;
    this.staging(() => {
      const pa = useAB ? this.arg(A, aOff, (aRows - 1) * lda + aCols, false) : 0;
      const pb = useAB ? this.arg(B, bOff, (bRows - 1) * ldb + bCols, false) : 0;
      const pc = this.arg(C, cOff, (M - 1) * ldc + N, true);
      const path = this.pathFor(transA, transB, M, N, K, alpha, ldb);
      const pool = this.engine.pool;
      if (pool !== null && useAB && pool.worthSplitting(M, N, K)) {
        pool.gemm(path, transA, transB, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, ldc);
      } else {
        this.k.sgemm(
          path,
          +transA,
          +transB,
          M,
          N,
          K,
          alpha,
          pa,
          lda,
          pb,
          ldb,
          beta,
          pc,
          ldc,
          this.engine.work,
        );
      }
    });
  }

  private pathFor(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    ldb: number,
  ): number {
    const f = this.forceGemmPath;
    if (f === GEMM_PACKED) return f;
    if (f === GEMM_DOT && !transA && transB) return f;
    if (f === GEMM_DIRECT && !transB && alpha === 1 && K <= this.directMaxK) return f;
    return chooseGemmPath(transA, transB, M, N, K, alpha, this.directMaxK, ldb);
  }

  addRowVector(y: FloatArray, yOff: number, rows: number, cols: number, v: FloatArray, vOff: number): void {
    if (y instanceof Float64Array || v instanceof Float64Array) {
      this.ref.addRowVector(y, yOff, rows, cols, v, vOff);
      return;
    }
    if (rows <= 0 || cols <= 0) return;
    this.staging(() => {
      const py = this.arg(y, yOff, rows * cols, true);
      const pv = this.arg(v, vOff, cols, false);
      this.k.addRowVector(py, rows, cols, pv);
    });
  }

  sumRowsAccumulate(
    x: FloatArray,
    xOff: number,
    rows: number,
    cols: number,
    out: FloatArray,
    outOff: number,
  ): void {
    if (x instanceof Float64Array || out instanceof Float64Array) {
      this.ref.sumRowsAccumulate(x, xOff, rows, cols, out, outOff);
      return;
    }
    if (rows <= 0 || cols <= 0) return;
    this.staging(() => {
      const px = this.arg(x, xOff, rows * cols, false);
      const po = this.arg(out, outOff, cols, true);
      this.k.sumRowsAccumulate(px, rows, cols, po);
    });
  }

  lstmStepForward(a: LstmStepArgs): void {
    const { B, H } = a;
    if (
      a.gates instanceof Float64Array ||
      a.c instanceof Float64Array ||
      a.h instanceof Float64Array ||
      a.cPrev instanceof Float64Array ||
      a.hPrev instanceof Float64Array ||
      a.peep instanceof Float64Array
    ) {
      this.ref.lstmStepForward(a);
      return;
    }
    if (B <= 0 || H <= 0) return;
    const n = B * H;
    this.staging(() => {
      const g = this.arg(a.gates, a.gOff, 4 * n, true);
      const cp = this.arg(a.cPrev, a.cPrevOff, n, false);
      const hp = this.arg(a.hPrev, a.hPrevOff, n, false);
      const c = this.arg(a.c, a.cOff, n, true);
      const h = this.arg(a.h, a.hOff, n, true);
      const peep = a.peep ? this.arg(a.peep, a.peepOff, 3 * H, false) : 0;
      const mask = this.maskArg(a.mask, B);
      this.k.lstmForward(B, H, g, cp, hp, c, h, peep, mask);
    });
  }

  lstmStepBackward(a: LstmStepGradArgs): void {
    const { B, H } = a;
    if (
      a.gates instanceof Float64Array ||
      a.c instanceof Float64Array ||
      a.cPrev instanceof Float64Array ||
      a.dh instanceof Float64Array ||
      a.dc instanceof Float64Array ||
      a.dgates instanceof Float64Array ||
      a.dhPrev instanceof Float64Array ||
      a.peep instanceof Float64Array ||
      a.dpeep instanceof Float64Array
    ) {
      this.ref.lstmStepBackward(a);
      return;
    }
    if (B <= 0 || H <= 0) return;
    const n = B * H;
    this.staging(() => {
      const g = this.arg(a.gates, a.gOff, 4 * n, false);
      const cp = this.arg(a.cPrev, a.cPrevOff, n, false);
      const c = this.arg(a.c, a.cOff, n, false);
      const dh = this.arg(a.dh, a.dhOff, n, false);
      const dc = this.arg(a.dc, a.dcOff, n, true);
      const dg = this.arg(a.dgates, a.dgOff, 4 * n, true);
      const dhp = this.arg(a.dhPrev, a.dhPrevOff, n, true);
      const peep = a.peep ? this.arg(a.peep, a.peepOff, 3 * H, false) : 0;
      const dpeep = a.peep && a.dpeep ? this.arg(a.dpeep, a.dpeepOff, 3 * H, true) : 0;
      const mask = this.maskArg(a.mask, B);
      this.k.lstmBackward(B, H, g, cp, c, dh, dc, dg, dhp, peep, dpeep, mask);
    });
  }

  gruStepForward(a: GruStepArgs): void {
    const { B, H } = a;
    if (
      a.xg instanceof Float64Array ||
      a.hg instanceof Float64Array ||
      a.gates instanceof Float64Array ||
      a.hPrev instanceof Float64Array ||
      a.h instanceof Float64Array
    ) {
      this.ref.gruStepForward(a);
      return;
    }
    if (B <= 0 || H <= 0) return;
    const n = B * H;
    this.staging(() => {
      const xg = this.arg(a.xg, a.xgOff, 3 * n, false);
      const hg = this.arg(a.hg, a.hgOff, 3 * n, false);
      const g = this.arg(a.gates, a.gOff, 3 * n, true);
      const hp = this.arg(a.hPrev, a.hPrevOff, n, false);
      const h = this.arg(a.h, a.hOff, n, true);
      const mask = this.maskArg(a.mask, B);
      this.k.gruForward(B, H, xg, hg, g, hp, h, mask);
    });
  }

  gruStepBackward(a: GruStepGradArgs): void {
    const { B, H } = a;
    if (
      a.gates instanceof Float64Array ||
      a.hg instanceof Float64Array ||
      a.hPrev instanceof Float64Array ||
      a.dh instanceof Float64Array ||
      a.dxg instanceof Float64Array ||
      a.dhg instanceof Float64Array ||
      a.dhPrev instanceof Float64Array
    ) {
      this.ref.gruStepBackward(a);
      return;
    }
    if (B <= 0 || H <= 0) return;
    const n = B * H;
    this.staging(() => {
      const g = this.arg(a.gates, a.gOff, 3 * n, false);
      const hg = this.arg(a.hg, a.hgOff, 3 * n, false);
      const hp = this.arg(a.hPrev, a.hPrevOff, n, false);
      const dh = this.arg(a.dh, a.dhOff, n, false);
      const dxg = this.arg(a.dxg, a.dxgOff, 3 * n, true);
      const dhg = this.arg(a.dhg, a.dhgOff, 3 * n, true);
      const dhp = this.arg(a.dhPrev, a.dhPrevOff, n, true);
      const mask = this.maskArg(a.mask, B);
      this.k.gruBackward(B, H, g, hg, hp, dh, dxg, dhg, dhp, mask);
    });
  }

  rnnStepForward(a: RnnStepArgs): void {
    const { B, H } = a;
    if (a.pre instanceof Float64Array || a.hPrev instanceof Float64Array || a.h instanceof Float64Array) {
      this.ref.rnnStepForward(a);
      return;
    }
    if (B <= 0 || H <= 0) return;
    const n = B * H;
    this.staging(() => {
      const pre = this.arg(a.pre, a.preOff, n, false);
      const hp = this.arg(a.hPrev, a.hPrevOff, n, false);
      const h = this.arg(a.h, a.hOff, n, true);
      const mask = this.maskArg(a.mask, B);
      this.k.rnnForward(B, H, +a.relu, pre, hp, h, mask);
    });
  }

  rnnStepBackward(a: RnnStepGradArgs): void {
    const { B, H } = a;
    if (
      a.h instanceof Float64Array ||
      a.dh instanceof Float64Array ||
      a.dpre instanceof Float64Array ||
      a.dhPrev instanceof Float64Array
    ) {
      this.ref.rnnStepBackward(a);
      return;
    }
    if (B <= 0 || H <= 0) return;
    const n = B * H;
    this.staging(() => {
      const h = this.arg(a.h, a.hOff, n, false);
      const dh = this.arg(a.dh, a.dhOff, n, false);
      const dpre = this.arg(a.dpre, a.dpreOff, n, true);
      const dhp = this.arg(a.dhPrev, a.dhPrevOff, n, true);
      const mask = this.maskArg(a.mask, B);
      this.k.rnnBackward(B, H, +a.relu, h, dh, dpre, dhp, mask);
    });
  }

  private maskArg(mask: Uint8Array | null, B: number): number {
    if (mask === null) return 0;
    if (mask.length < B) throw new KiokuError(`WASM backend: mask has ${mask.length} entries, expected ${B}`);
    return this.bytesArg(mask);
  }

  softmaxCrossEntropy(a: SoftmaxXentArgs): { lossSum: number; weightSum: number } {
    const { N, V } = a;
    if (a.logits instanceof Float64Array || a.dlogits instanceof Float64Array)
      return this.ref.softmaxCrossEntropy(a);
    if (N <= 0) return { lossSum: 0, weightSum: 0 };
    if (a.targets.length < N)
      throw new KiokuError(`softmaxCrossEntropy: targets has ${a.targets.length} entries, expected ${N}`);
    for (let n = 0; n < N; n++) {
      const t = a.targets[n];
      if (t !== a.ignoreIndex && (t < 0 || t >= V || !Number.isInteger(t))) {
        throw new KiokuError(`softmaxCrossEntropy: target ${t} at row ${n} is outside [0, ${V})`);
      }
    }
    let lossSum = 0;
    let weightSum = 0;
    this.staging(() => {
      const logits = this.arg(a.logits, a.logitsOff, N * V, false);
      const targets = this.bytesArg(a.targets.length === N ? a.targets : a.targets.subarray(0, N));
      const weights = a.weights ? this.arg(a.weights, 0, N, false) : 0;
      const dl = a.dlogits ? this.arg(a.dlogits, a.dOff, N * V, true) : 0;
      this.k.softmaxXent(N, V, logits, targets, a.ignoreIndex | 0, weights, dl, a.scale, this.result);
      const f64 = this.heap.f64;
      lossSum = f64[this.result >> 3];
      weightSum = f64[(this.result >> 3) + 1];
    });
    return { lossSum, weightSum };
  }

  /** The batched NTM/DNC memory kernels on this backend's memory (`src/tensor/wasm-memory.ts`). */
  memoryKernels(): MemoryKernels {
    this.memory ??= new WasmMemoryKernels(this.k, (body) =>
      this.staging(() => body((a, len, out) => this.arg(a, 0, len, out))),
    );
    return this.memory;
  }

  /** Batch-1 decoding in one kernel call per token (`asm/sample.ts`, via wasm-decoder.ts). */
  fusedDecoder(spec: DecoderSpec): FusedDecoder | null {
    return createWasmDecoder(this.heap, this.k, this.engine.work, spec);
  }

  // ---- fused optimizer kernels (FusedOptimizerKernels) ----

  private allF32(arrays: readonly (FloatArray | null)[]): boolean {
    for (const a of arrays) if (a !== null && !(a instanceof Float32Array)) return false;
    return true;
  }

  private sameLength(where: string, n: number, arrays: readonly (FloatArray | null)[]): void {
    for (const a of arrays) {
      if (a !== null && a.length !== n)
        throw new KiokuError(`${where}: buffers must all have ${n} elements, got ${a.length}`);
    }
  }

  adamUpdate(
    w: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    vMax: FloatArray | null,
    p: AdamStepParams,
  ): boolean {
    if (!this.allF32([w, g, m, v, vMax])) return false;
    const n = w.length;
    this.sameLength('adamUpdate', n, [g, m, v, vMax]);
    if (!Number.isInteger(p.step) || p.step < 1)
      throw new KiokuError(`adamUpdate: step must be an integer >= 1, got ${p.step}`);
    const stepSize = p.lr / (1 - p.beta1 ** p.step);
    const bc2Sqrt = Math.sqrt(1 - p.beta2 ** p.step);
    this.staging(() => {
      const pw = this.arg(w, 0, n, true),
        pg = this.arg(g, 0, n, false);
      const pm = this.arg(m, 0, n, true),
        pv = this.arg(v, 0, n, true);
      const px = vMax ? this.arg(vMax, 0, n, true) : 0;
      this.k.adam(
        pw,
        pg,
        pm,
        pv,
        px,
        n,
        p.beta1,
        p.beta2,
        p.eps,
        p.weightDecay,
        +p.decoupled,
        p.lr,
        stepSize,
        bc2Sqrt,
      );
    });
    return true;
  }

  sgdUpdate(w: FloatArray, g: FloatArray, buf: FloatArray | null, p: SGDStepParams): boolean {
    if (!this.allF32([w, g, buf])) return false;
    const n = w.length;
    if (p.momentum !== 0 && buf === null)
      throw new KiokuError('sgdUpdate: momentum needs a buffer, got null');
    this.sameLength('sgdUpdate', n, [g, p.momentum !== 0 ? buf : null]);
    this.staging(() => {
      const pw = this.arg(w, 0, n, true),
        pg = this.arg(g, 0, n, false);
      const pb = p.momentum !== 0 && buf ? this.arg(buf, 0, n, true) : 0;
      this.k.sgd(pw, pg, pb, n, p.lr, p.momentum, p.dampening, +p.nesterov, p.weightDecay, +p.firstStep);
    });
    return true;
  }

  rmspropUpdate(
    w: FloatArray,
    g: FloatArray,
    squareAvg: FloatArray,
    gradAvg: FloatArray | null,
    momentumBuffer: FloatArray | null,
    p: RMSpropStepParams,
  ): boolean {
    if (!this.allF32([w, g, squareAvg, gradAvg, momentumBuffer])) return false;
    const n = w.length;
    if (p.centered && gradAvg === null)
      throw new KiokuError('rmspropUpdate: centered needs a gradAvg buffer, got null');
    if (p.momentum > 0 && momentumBuffer === null)
      throw new KiokuError('rmspropUpdate: momentum needs a momentumBuffer, got null');
    this.sameLength('rmspropUpdate', n, [
      g,
      squareAvg,
      p.centered ? gradAvg : null,
      p.momentum > 0 ? momentumBuffer : null,
    ]);
    this.staging(() => {
      const pw = this.arg(w, 0, n, true),
        pg = this.arg(g, 0, n, false),
        ps = this.arg(squareAvg, 0, n, true);
      const pa = p.centered && gradAvg ? this.arg(gradAvg, 0, n, true) : 0;
      const pm = p.momentum > 0 && momentumBuffer ? this.arg(momentumBuffer, 0, n, true) : 0;
      this.k.rmsprop(pw, pg, ps, pa, pm, n, p.lr, p.alpha, p.eps, p.weightDecay, p.momentum, +p.centered);
    });
    return true;
  }

  sumSquares(arrays: readonly FloatArray[]): number | null {
    if (!this.allF32(arrays)) return null;
    let sum = 0;
    for (const a of arrays) {
      if (a.length === 0) continue;
      this.staging(() => {
        sum = this.k.sumSquares(this.arg(a, 0, a.length, false), a.length, sum);
      });
    }
    return sum;
  }

  scaleInPlace(arrays: readonly FloatArray[], s: number): boolean {
    if (!this.allF32(arrays)) return false;
    for (const a of arrays) {
      if (a.length === 0) continue;
      this.staging(() => this.k.scale(this.arg(a, 0, a.length, true), a.length, s));
    }
    return true;
  }
}

/**
 * A WASM backend for this runtime, or null where the kernels cannot run here (the caller
 * then uses the reference backend).
 */
export function createWasmBackend(opts: WasmBackendOptions = {}): WasmBackend | null {
  const engine = getWasmEngine(opts);
  return engine === null ? null : new WasmBackend(engine);
}
