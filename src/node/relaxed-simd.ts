/**
 * The relaxed-SIMD switch for Node 20, in its own module so that the package's Node entry
 * (`src/index.node.ts`, which loads `wasm-host.ts`) imports no `node:v8`; the `kioku` command
 * and `kioku/node` load it.
 */
import { setFlagsFromString } from 'node:v8';
import { hasRelaxedSimd, hasSimd } from '../tensor/wasm-module.js';

/**
 * Turn on relaxed SIMD (`f32x4.relaxed_madd`, a fused multiply-add) for this process where
 * Node keeps it behind a flag — Node 20, whose V8 has it as `--experimental-wasm-relaxed-simd`
 * (Node ≥ 21 has it on; other Node lines are left alone) — so that the backend picks the
 * FMA build of the kernels (`pickVariant`), ~25% faster on the GEMM-bound configurations.
 * V8 reads the flag when it validates and compiles a module, so this must run before the
 * first kernel compiles (the `kioku` command calls it first thing); the flag is process-wide,
 * worker threads included. The FMA build rounds each multiply-add once, so its results differ
 * from the SIMD128 build's in the last bits (both are checked against the reference kernels:
 * `test/wasm-relaxed.test.ts`). `KIOKU_RELAXED_SIMD=0` leaves the flag off.
 *
 * Returns whether relaxed SIMD is available now. A library that embeds kioku decides for
 * itself (`node --experimental-wasm-relaxed-simd`, or this call).
 *
 * ```ts
 * enableRelaxedSimd(); // before the first layer is built
 * ```
 */
export function enableRelaxedSimd(env: Record<string, string | undefined> = process.env): boolean {
  if (hasRelaxedSimd()) return true;
  const node20 = process.versions.node.split('.')[0] === '20';
  if (env.KIOKU_RELAXED_SIMD === '0' || !node20 || !hasSimd()) return false;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return hasRelaxedSimd();
}
