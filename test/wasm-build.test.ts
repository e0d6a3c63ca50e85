// The committed binaries in wasm/ must be exactly what asm/build.mjs makes from asm/*.ts
// with the AssemblyScript compiler npm installs — so a fresh clone runs the kernels its
// sources describe, and a change to asm/ without `npm run build:wasm` is caught here.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

test('wasm/*.wasm are up to date with asm/*.ts', () => {
  const out = mkdtempSync(join(tmpdir(), 'kioku-wasm-'));
  try {
    execFileSync(process.execPath, [join(root, 'asm/build.mjs'), '--out', out], { stdio: 'pipe' });
    const built = readdirSync(out)
      .filter((f) => f.endsWith('.wasm'))
      .sort();
    assert.deepEqual(built, [
      'kioku-relaxed-shared.wasm',
      'kioku-relaxed.wasm',
      'kioku-simd-shared.wasm',
      'kioku-simd.wasm',
    ]);
    for (const f of built) {
      const fresh = readFileSync(join(out, f));
      const committed = readFileSync(join(root, 'wasm', f));
      console.log(`${f}: ${fresh.length} bytes, committed ${committed.length} bytes`);
      assert.ok(fresh.equals(committed), `wasm/${f} is stale: run npm run build:wasm`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
