/**
 * Start the engine's backend inside a worker: kioku's WASM SIMD kernels (several threads
 * when the page is cross-origin isolated), the reference backend where they cannot run.
 * Shared by the lab's workers (worker.ts: explorer and bench; views-worker.ts: pad and
 * generation explorer).
 */
import { preloadWasm, useBackend, wasmUnavailableReason, getBackend } from '../../src/index.js';
import type { EngineInfo } from './protocol.js';

export async function init(): Promise<EngineInfo> {
  const isolated = globalThis.crossOriginIsolated === true;
  const threads = isolated ? Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1)) : 1;
  let used = threads;
  // Plain SIMD128, not relaxed SIMD's fused multiply-add: the same kernels as Node 20's
  // default, so the bench gives `kioku experiment compare`'s numbers (a simple RNN's
  // training amplifies even last-bit differences).
  let ok = await preloadWasm(undefined, { threads, relaxed: false });
  if (!ok && threads > 1) {
    used = 1;
    ok = await preloadWasm(undefined, { threads: 1, relaxed: false });
  }
  if (ok) {
    try {
      useBackend('wasm', { threads: used, relaxed: false });
    } catch {
      ok = false;
    }
  }
  if (!ok) useBackend('js');
  return {
    backend: getBackend().name,
    threads: ok ? used : 1,
    isolated,
    wasmReason: ok ? null : (wasmUnavailableReason() ?? 'unknown'),
  };
}
