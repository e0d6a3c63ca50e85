/**
 * Finding, checking and compiling the WASM kernels built from `asm/` (see `asm/build.mjs`).
 *
 * Four binaries ship in `wasm/`: SIMD128 and relaxed-SIMD (fused multiply-add), each for a
 * shared memory (threads) and a plain one. Which one runs is decided by what the runtime
 * validates, never by guessing from version numbers:
 * - relaxed SIMD where `WebAssembly.validate` accepts it (Node 20 needs
 *   `--experimental-wasm-relaxed-simd`; Node ≥ 22 and current browsers have it on);
 * - a shared memory where `SharedArrayBuffer` exists (Node; pages that are cross-origin
 *   isolated), a plain one otherwise;
 * - no backend at all where SIMD128 does not validate (the caller falls back to the
 *   reference backend).
 */

import { nodeHost, runsInNode } from './host.js';
import type { MemoryKernelExports } from './wasm-memory.js';

/** Which binary a runtime can run. */
export interface WasmVariant {
  relaxed: boolean;
  shared: boolean;
  file: WasmFile;
}

// Tiny probe modules: (func (result v128) v128.const 0 ...) with the instruction under test.
// prettier-ignore
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);
// The same with three v128.const operands fed to f32x4.relaxed_madd (0xfd 0x85 0x02).
// prettier-ignore
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 133, 2, 11,
]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** Whether this runtime has WebAssembly with SIMD128. */
export function hasSimd(): boolean {
  return validates(SIMD_PROBE);
}

/** Whether this runtime accepts relaxed SIMD (f32x4.relaxed_madd). */
export function hasRelaxedSimd(): boolean {
  return validates(RELAXED_PROBE);
}

/** Whether a shared WebAssembly.Memory can be made (and so worker threads can share it). */
export function hasSharedMemory(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** The best binary for this runtime, or null when WASM SIMD is unavailable. */
export function pickVariant(opts: { relaxed?: boolean; shared?: boolean } = {}): WasmVariant | null {
  if (!hasSimd()) return null;
  const relaxed = (opts.relaxed ?? true) && hasRelaxedSimd();
  const shared = (opts.shared ?? true) && hasSharedMemory();
  const file: WasmFile = relaxed
    ? shared
      ? 'kioku-relaxed-shared.wasm'
      : 'kioku-relaxed.wasm'
    : shared
      ? 'kioku-simd-shared.wasm'
      : 'kioku-simd.wasm';
  return { relaxed, shared, file };
}

/** The four binaries that `asm/build.mjs` writes to the package's `wasm/` folder. */
export type WasmFile =
  'kioku-simd.wasm' | 'kioku-simd-shared.wasm' | 'kioku-relaxed.wasm' | 'kioku-relaxed-shared.wasm';

/**
 * URL of a binary in the package's `wasm/` folder. Each is spelled out as a literal
 * `new URL('…', import.meta.url)`, the pattern bundlers (Vite, webpack, Rollup plugins)
 * recognise and copy as an asset; `KIOKU_WASM_DIR` points elsewhere (e.g. a build with a
 * names section for profiling).
 */
export function wasmUrl(file: WasmFile): URL {
  const dir = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.KIOKU_WASM_DIR;
  if (dir) return new URL(file, `file://${dir.endsWith('/') ? dir : dir + '/'}`);
  switch (file) {
    case 'kioku-simd.wasm':
      return new URL('../../wasm/kioku-simd.wasm', import.meta.url);
    case 'kioku-simd-shared.wasm':
      return new URL('../../wasm/kioku-simd-shared.wasm', import.meta.url);
    case 'kioku-relaxed.wasm':
      return new URL('../../wasm/kioku-relaxed.wasm', import.meta.url);
    case 'kioku-relaxed-shared.wasm':
      return new URL('../../wasm/kioku-relaxed-shared.wasm', import.meta.url);
  }
}

/**
 * Where `preloadWasm` gets a binary: its URL (absolute, or relative to the page), the URL
 * of a folder holding all four builds (ending in `/`), a function from the build's file
 * name to its URL, or the bytes themselves (of the build `pickVariant` chose).
 */
export type WasmSource = URL | string | ((file: WasmFile) => URL | string) | ArrayBuffer | Uint8Array;

const compiled = new Map<string, WebAssembly.Module>();

/** Why the last attempt to load the kernels failed (null after a success). */
let failure: string | null = null;

/** Why the WASM kernels could not be had the last time they were asked for; null if they were. */
export function wasmFailure(): string | null {
  return failure;
}

/** Record why the kernels are unavailable (read back by `wasmFailure`). */
export function recordWasmFailure(why: string): null {
  failure = why;
  return null;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The compiled module for a variant, synchronously: from the cache that `preloadWasm`
 * fills, or (Node) from the file. Returns null when neither is possible (a browser that
 * has not awaited `preloadWasm`; a missing binary); `wasmFailure()` then says why.
 */
export function compileSync(v: WasmVariant): WebAssembly.Module | null {
  const hit = compiled.get(v.file);
  if (hit) return hit;
  const host = nodeHost();
  if (!host) {
    return recordWasmFailure(
      runsInNode()
        ? `${v.file} not loaded: this Node has no process.getBuiltinModule (< 20.16); import 'kioku' by its package name (its Node entry reads the file) or await preloadWasm()`
        : `${v.file} not loaded: in a browser, await preloadWasm() before building the first layer`,
    );
  }
  const url = wasmUrl(v.file);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = host.readFile(url);
  } catch (e) {
    return recordWasmFailure(`cannot read ${url.pathname} (run \`npm run build:wasm\`): ${errorText(e)}`);
  }
  const mod = new WebAssembly.Module(bytes);
  compiled.set(v.file, mod);
  failure = null;
  return mod;
}

function resolveSource(
  file: WasmFile,
  source: URL | string | ((file: WasmFile) => URL | string) | undefined,
): URL {
  if (source === undefined) return wasmUrl(file);
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  const raw = typeof source === 'function' ? source(file) : source;
  const url = raw instanceof URL ? raw : new URL(raw, page);
  // A folder: the build's file inside it.
  return url.pathname.endsWith('/') ? new URL(file, url) : url;
}

/**
 * Compile a variant asynchronously (browsers refuse synchronous compilation of all but
 * tiny modules on the main thread). `source` overrides where the bytes come from.
 * Rejects with a message naming the URL when they cannot be had.
 */
export async function compileAsync(v: WasmVariant, source?: WasmSource): Promise<WebAssembly.Module> {
  const hit = compiled.get(v.file);
  if (hit && source === undefined) return hit;
  let bytes: ArrayBuffer | Uint8Array<ArrayBuffer>;
  if (source instanceof ArrayBuffer) bytes = source;
  else if (source instanceof Uint8Array) bytes = new Uint8Array(source);
  else {
    const url = resolveSource(v.file, source);
    const host = nodeHost();
    if (url.protocol === 'file:') {
      if (!host)
        throw new Error(`cannot read ${url.href}: no file system here (pass the .wasm URL or bytes)`);
      bytes = host.readFile(url);
    } else {
      let res: Response;
      try {
        res = await fetch(url);
      } catch (e) {
        throw new Error(`fetch ${url.href} failed: ${errorText(e)}`, { cause: e });
      }
      if (!res.ok) throw new Error(`fetch ${url.href}: HTTP ${res.status} ${res.statusText}`.trim());
      bytes = await res.arrayBuffer();
    }
  }
  const mod = await WebAssembly.compile(bytes);
  compiled.set(v.file, mod);
  failure = null;
  return mod;
}

/** The raw exports of `asm/index.ts` (pointers are byte addresses in the shared memory). */
export interface KernelExports extends MemoryKernelExports, DecoderKernelExports {
  heapBase(): number;
  zero(ptr: number, bytes: number): void;
  gemmWorkBytes(): number;
  directMaxK(): number;
  sgemm(
    path: number,
    transA: number,
    transB: number,
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
    work: number,
  ): void;
  lstmForward(
    B: number,
    H: number,
    gates: number,
    cPrev: number,
    hPrev: number,
    c: number,
    h: number,
    peep: number,
    mask: number,
  ): void;
  lstmBackward(
    B: number,
    H: number,
    gates: number,
    cPrev: number,
    c: number,
    dh: number,
    dc: number,
    dgates: number,
    dhPrev: number,
    peep: number,
    dpeep: number,
    mask: number,
  ): void;
  gruForward(
    B: number,
    H: number,
    xg: number,
    hg: number,
    gates: number,
    hPrev: number,
    h: number,
    mask: number,
  ): void;
  gruBackward(
    B: number,
    H: number,
    gates: number,
    hg: number,
    hPrev: number,
    dh: number,
    dxg: number,
    dhg: number,
    dhPrev: number,
    mask: number,
  ): void;
  rnnForward(B: number, H: number, relu: number, pre: number, hPrev: number, h: number, mask: number): void;
  rnnBackward(
    B: number,
    H: number,
    relu: number,
    h: number,
    dh: number,
    dpre: number,
    dhPrev: number,
    mask: number,
  ): void;
  adam(
    w: number,
    g: number,
    m: number,
    v: number,
    vmax: number,
    n: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    decoupled: number,
    lr: number,
    stepSize: number,
    bc2Sqrt: number,
  ): void;
  sgd(
    w: number,
    g: number,
    buf: number,
    n: number,
    lr: number,
    momentum: number,
    dampening: number,
    nesterov: number,
    weightDecay: number,
    firstStep: number,
  ): void;
  rmsprop(
    w: number,
    g: number,
    squareAvg: number,
    gradAvg: number,
    momentumBuffer: number,
    n: number,
    lr: number,
    alpha: number,
    eps: number,
    weightDecay: number,
    momentum: number,
    centered: number,
  ): void;
  sumSquares(x: number, n: number, acc: number): number;
  scale(x: number, n: number, s: number): void;
  addRowVector(y: number, rows: number, cols: number, v: number): void;
  sumRowsAccumulate(x: number, rows: number, cols: number, out: number): void;
  softmaxXent(
    N: number,
    V: number,
    logits: number,
    targets: number,
    ignoreIndex: number,
    weights: number,
    dlogits: number,
    scale: number,
    result: number,
  ): void;
}

/** The fused decoding kernels of `asm/sample.ts` (the descriptor: src/tensor/wasm-decoder.ts). */
export interface DecoderKernelExports {
  decodeStep(desc: number, token: number): void;
  sampleStep(
    desc: number,
    u: number,
    temperature: number,
    topK: number,
    greedy: number,
    advance: number,
    result: number,
  ): number;
}

export function instantiate(mod: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const inst = new WebAssembly.Instance(mod, { env: { memory } });
  return inst.exports as unknown as KernelExports;
}
