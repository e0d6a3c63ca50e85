/**
 * The page of the browser benchmark (bench/browser.ts bundles it with esbuild and opens it in
 * Chromium): the same measurements as a Node child (`bench/kioku.ts`), and TensorFlow.js's
 * cpu and wasm backends on the same model (`peers/tfjs_model.mjs`) where it was installed.
 */
import { preloadWasm, useBackend, wasmUnavailableReason } from '../src/tensor/select.js';
import { getBackend } from '../src/tensor/current-backend.js';
import type { BenchConfig } from './configs.js';
import { runKioku } from './kioku.js';
import { type TfModule, trainTfjs } from './peers/tfjs_model.mjs';

type Json = Record<string, unknown>;

/** kioku in this page on the WASM backend (`threads` > 1 needs cross-origin isolation). */
async function kioku(cfg: BenchConfig, seconds: number, threads: number): Promise<Json> {
  if (!(await preloadWasm('/wasm/', { threads })))
    return { error: `WASM unavailable: ${wasmUnavailableReason() ?? '?'}` };
  useBackend('wasm', { threads });
  const be = getBackend() as { description?: string; name: string };
  return { backend: be.description ?? be.name, ...(await runKioku(cfg, seconds)) };
}

/** TF.js (bundled as tfjs.js beside this page when installed) on `backend`: 'cpu' or 'wasm'. */
async function tfjs(cfg: BenchConfig, seconds: number, backend: 'cpu' | 'wasm'): Promise<Json> {
  let tf: TfModule;
  try {
    tf = (await import(/* @vite-ignore */ `${location.origin}/tfjs.js`)) as TfModule;
  } catch (e) {
    return { skipped: `@tensorflow/tfjs is not installed (${String(e).slice(0, 80)})` };
  }
  if (!(await tf.setBackend(backend))) return { skipped: `the TF.js ${backend} backend did not start` };
  try {
    return { tfjs: tf.version.tfjs, backend: tf.getBackend(), ...(await trainTfjs(tf, cfg, seconds)) };
  } catch (e) {
    return { error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
}

const w = window as unknown as { kiokuBench: unknown };
w.kiokuBench = { kioku, tfjs };
