import { KiokuError } from '../util/errors.js';
import { type Backend } from './backend.js';
import { setBackend } from './current-backend.js';
import { ReferenceBackend } from './reference.js';
import { createWasmBackend, engineVariant, type WasmBackendOptions } from './wasm-backend.js';
import { compileAsync, recordWasmFailure, wasmFailure, type WasmSource } from './wasm-module.js';

/** Names a user can ask for: `KIOKU_BACKEND=js|wasm`, `useBackend('wasm')`. */
export type BackendName = 'js' | 'wasm' | 'auto';

function envBackend(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.KIOKU_BACKEND;
  return v === undefined || v === '' ? undefined : v;
}

function parseName(where: string, name: unknown): BackendName {
  if (name === 'js' || name === 'wasm' || name === 'auto') return name;
  // 'reference' is accepted as a synonym of 'js' (the reference backend's name is 'js').
  if (name === 'reference') return 'js';
  throw new KiokuError(`${where}: backend must be 'js', 'wasm' or 'auto', got ${JSON.stringify(name)}`);
}

/**
 * Build a backend by name:
 * - `'js'`: the reference backend (plain TypeScript, float32 and float64);
 * - `'wasm'`: the WASM SIMD backend; throws when this runtime cannot run it;
 * - `'auto'`: the fastest available — WASM where it runs, the reference backend otherwise.
 */
export function createBackend(name: BackendName = 'auto', opts: WasmBackendOptions = {}): Backend {
  const n = parseName('createBackend', name);
  if (n === 'js') return new ReferenceBackend();
  const wasm = createWasmBackend(opts);
  if (wasm !== null) return wasm;
  if (n === 'wasm') throw new KiokuError(`WASM backend unavailable: ${wasmFailure() ?? 'unknown reason'}`);
  return new ReferenceBackend();
}

/**
 * The default backend, for `registerDefaultBackend`: `KIOKU_BACKEND` (js | wasm | auto) when
 * set, otherwise the fastest available.
 */
export function createDefaultBackend(): Backend {
  const env = envBackend();
  return createBackend(env === undefined ? 'auto' : parseName('KIOKU_BACKEND', env));
}

/**
 * Switch the backend every layer uses from now on, by name, and return it.
 *
 * ```ts
 * useBackend('js');   // reference kernels (e.g. to compare)
 * useBackend('wasm'); // WASM SIMD kernels (throws where unavailable)
 * ```
 */
export function useBackend(name: BackendName, opts: WasmBackendOptions = {}): Backend {
  const b = createBackend(name, opts);
  setBackend(b);
  return b;
}

/**
 * Options of `preloadWasm`: the same as the backend's (`useBackend('wasm', opts)`), so that
 * the build it compiles is the one the backend runs. `threads` > 1 needs the shared-memory
 * build, which only runs where `SharedArrayBuffer` exists (Node; cross-origin isolated pages).
 */
export type PreloadWasmOptions = WasmBackendOptions;

/**
 * Load the WASM kernels ahead of use. Browsers need this (a page may not compile a large
 * module synchronously), so that the default backend and `useBackend('wasm')` find them; in
 * Node it is optional (the binary is read on first use).
 *
 * Resolves to whether WASM is usable here and never rejects: when it is not (no SIMD, the
 * file cannot be fetched, …) it resolves to `false` and `wasmUnavailableReason()` says why;
 * the layers then run on the reference backend.
 *
 * `source` says where the binary is when the default — `new URL('../../wasm/<file>',
 * import.meta.url)` next to the package's JavaScript — is not served: a URL of the file, of
 * the folder holding all four builds (ending in `/`), a function from file name to URL, or
 * the bytes. The build is picked to match `opts.threads` (a plain memory for one thread, a
 * shared one for more).
 *
 * ```ts
 * if (!(await preloadWasm())) console.warn('reference backend:', wasmUnavailableReason());
 * const threads = globalThis.crossOriginIsolated ? 4 : 1;
 * if (await preloadWasm('/assets/kioku/', { threads })) useBackend('wasm', { threads });
 * ```
 */
export async function preloadWasm(source?: WasmSource, opts: PreloadWasmOptions = {}): Promise<boolean> {
  try {
    const v = engineVariant(opts).variant;
    if (v === null) {
      recordWasmFailure('this runtime has no WebAssembly SIMD128');
      return false;
    }
    await compileAsync(v, source);
    return true;
  } catch (e) {
    recordWasmFailure(e instanceof Error ? e.message : String(e));
    return false;
  }
}

/**
 * Why the WASM backend could not be had the last time it was asked for (by `preloadWasm`,
 * `useBackend('wasm')` or the default backend), or null when it loaded.
 */
export function wasmUnavailableReason(): string | null {
  return wasmFailure();
}
