/**
 * One measurement in a fresh process (so peak RSS and the GC state belong to it alone):
 *   node --import tsx bench/child.ts '{"config": {...}, "seconds": 2, "backend": "wasm", "threads": 1}'
 * Prints one JSON line. bench/run.ts spawns it; KIOKU_THREADS is set by the parent.
 */
import { getBackend } from '../src/tensor/current-backend.js';
import { useBackend } from '../src/tensor/select.js';
import type { WasmBackend } from '../src/tensor/wasm-backend.js';
import type { BenchConfig } from './configs.js';
import { runKioku } from './kioku.js';
import { KernelProfile } from './profile.js';
import { benchSgemm } from './sgemm.js';

interface ChildArgs {
  config?: BenchConfig;
  seconds: number;
  backend: 'js' | 'wasm' | 'auto';
  threads: number;
  sgemm?: boolean;
  /** Keep parameters in ordinary JS arrays (the library default today) instead of packing them into the backend's memory. */
  noPack?: boolean;
  /** Time every kernel call of the training steps (`bench/profile.ts`). */
  profile?: boolean;
  /** Sample through the layers' forward instead of the fused decoding kernel. */
  noFused?: boolean;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
useBackend(args.backend, { threads: args.threads });
const be = getBackend();
const pool = (be as Partial<WasmBackend>).engine?.pool ?? null;
if (pool) await pool.whenReady();
const out: Record<string, unknown> = {
  backend: (be as Partial<WasmBackend>).description ?? be.name,
};
if (args.sgemm) out.sgemm = benchSgemm(Math.min(args.seconds, 1));
const profile = args.profile ? new KernelProfile(be) : null;
if (args.config)
  Object.assign(
    out,
    await runKioku(
      args.config,
      args.seconds,
      undefined,
      !args.noPack,
      profile,
      () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      },
      !args.noFused,
    ),
  );
out.peakRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
