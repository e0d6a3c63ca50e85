// Builds the WASM kernels from asm/*.ts with the AssemblyScript compiler that `npm install`
// brings (no download). Four binaries: SIMD128 and relaxed-SIMD (fused multiply-add), each
// with a shared memory (Node, cross-origin-isolated pages, worker threads) and with a
// plain one (pages that are not cross-origin isolated, where SharedArrayBuffer is missing).
//
//   node asm/build.mjs            # writes wasm/*.wasm
//   node asm/build.mjs --out DIR  # somewhere else (the up-to-date test compares)
//   node asm/build.mjs --out DIR --debug  # with a names section, for profiles
//                                 # (run with KIOKU_WASM_DIR=DIR)
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const outDir = outArg > 0 ? process.argv[outArg + 1] : join(root, 'wasm');
mkdirSync(outDir, { recursive: true });

/** 65536 pages = 4 GiB, the wasm32 limit: a shared memory reserves its maximum up front (address space only). */
const MAX_PAGES = 65536;

const variants = [
  { name: 'kioku-simd-shared', relaxed: false, shared: true },
  { name: 'kioku-relaxed-shared', relaxed: true, shared: true },
  { name: 'kioku-simd', relaxed: false, shared: false },
  { name: 'kioku-relaxed', relaxed: true, shared: false },
];

for (const v of variants) {
  const file = join(outDir, `${v.name}.wasm`);
  const args = [
    join(root, 'asm/index.ts'),
    '--outFile', file,
    // -O3 for speed; shrink level 1 picks the table-free Math.log, so the module has no data
    // segment that every worker's instantiation would rewrite into the shared memory.
    '--optimizeLevel', '3', '--shrinkLevel', '1', '--noAssert',
    '--runtime', 'stub',
    '--importMemory', '--initialMemory', '1', '--maximumMemory', String(MAX_PAGES),
    '--enable', 'simd',
  ];
  if (v.relaxed) args.push('--enable', 'relaxed-simd');
  if (v.shared) args.push('--sharedMemory', '--enable', 'threads');
  if (process.argv.includes('--debug')) args.push('--debug');
  const { error, stderr } = await asc.main(args);
  if (error) {
    console.error(stderr.toString());
    throw error;
  }
  console.log(`built ${relative(process.cwd(), file)}`);
}
