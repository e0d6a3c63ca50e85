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

/** Which binary a runtime can run. */
export interface WasmVariant {
  relaxed: boolean;
  shared: boolean;
  file: string;
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
  const file = `kioku-${relaxed ? 'relaxed' : 'simd'}${shared ? '-shared' : ''}.wasm`;
  return { relaxed, shared, file };
}

/**
 * URL of a binary in the package's `wasm/` folder (bundlers resolve this pattern as an
 * asset); `KIOKU_WASM_DIR` points elsewhere (e.g. a build with a names section for profiling).
 */
export function wasmUrl(file: string): URL {
  const dir = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.KIOKU_WASM_DIR;
  if (dir) return new URL(file, `file://${dir.endsWith('/') ? dir : dir + '/'}`);
  return new URL(`../../wasm/${file}`, import.meta.url);
}

interface NodeFs {
  readFileSync(path: URL): Uint8Array<ArrayBuffer>;
}
interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

/** Node's fs, reached without a static import so the module also loads in browsers. */
function nodeFs(): NodeFs | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (!proc?.versions?.node || typeof proc.getBuiltinModule !== 'function') return null;
  return proc.getBuiltinModule('node:fs') as NodeFs;
}

const compiled = new Map<string, WebAssembly.Module>();

/**
 * The compiled module for a variant, synchronously: from the cache that `preloadWasm`
 * fills, or (Node) from the file. Returns null when neither is possible (a browser that
 * has not awaited `preloadWasm`; a missing binary).
 */
export function compileSync(v: WasmVariant): WebAssembly.Module | null {
  const hit = compiled.get(v.file);
  if (hit) return hit;
  const fs = nodeFs();
  if (!fs) return null;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = fs.readFileSync(wasmUrl(v.file));
  } catch {
    return null;
  }
  const mod = new WebAssembly.Module(bytes);
  compiled.set(v.file, mod);
  return mod;
}

/**
 * Compile a variant asynchronously (browsers refuse synchronous compilation of all but
 * tiny modules on the main thread). `source` overrides where the bytes come from.
 */
export async function compileAsync(
  v: WasmVariant,
  source?: URL | string | ArrayBuffer | Uint8Array,
): Promise<WebAssembly.Module> {
  const hit = compiled.get(v.file);
  if (hit && source === undefined) return hit;
  let bytes: ArrayBuffer | Uint8Array;
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) bytes = source;
  else {
    const fs = nodeFs();
    const url = source === undefined ? wasmUrl(v.file) : new URL(String(source), wasmUrl(v.file));
    if (fs && url.protocol === 'file:') bytes = fs.readFileSync(url);
    else bytes = await (await fetch(url)).arrayBuffer();
  }
  const mod = await WebAssembly.compile(bytes as BufferSource);
  compiled.set(v.file, mod);
  return mod;
}

/** The raw exports of `asm/index.ts` (pointers are byte addresses in the shared memory). */
export interface KernelExports {
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

export function instantiate(mod: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const inst = new WebAssembly.Instance(mod, { env: { memory } });
  return inst.exports as unknown as KernelExports;
}
