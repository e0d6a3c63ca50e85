import { KiokuError } from '../util/errors.js';
import { type Backend } from './backend.js';
import { setBackend } from './current-backend.js';
import { ReferenceBackend } from './reference.js';
import { createWasmBackend, type WasmBackendOptions } from './wasm-backend.js';
import { compileAsync, pickVariant } from './wasm-module.js';

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
  if (n === 'wasm') {
    throw new KiokuError(
      pickVariant() === null
        ? 'WASM backend: this runtime has no WebAssembly SIMD; use the js backend'
        : 'WASM backend: kernels not loaded (in a browser, await preloadWasm() first; in Node, run `npm run build:wasm`)',
    );
  }
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
 * Browsers only need this: compile the WASM kernels asynchronously (main threads may not
 * compile large modules synchronously), so that `createDefaultBackend`/`useBackend('wasm')`
 * find them. `source` overrides where the binary is fetched from. Resolves to whether WASM
 * is usable here. In Node it is optional (the binary is read synchronously on first use).
 */
export async function preloadWasm(source?: URL | string | ArrayBuffer | Uint8Array): Promise<boolean> {
  const v = pickVariant();
  if (v === null) return false;
  await compileAsync(v, source);
  return true;
}
