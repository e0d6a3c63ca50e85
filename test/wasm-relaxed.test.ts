// The relaxed-SIMD (FMA) build of the WASM kernels, as the `kioku` command runs it on Node 20:
// `enableRelaxedSimd` (src/node/relaxed-simd.ts) turns the V8 flag on in this process, and then
// every kernel check of test/wasm.test.ts runs again, against the reference backend, on the
// build the backend now picks. (Where relaxed SIMD is on by default, test/wasm.test.ts
// already runs on that build and this file only checks the switch.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enableRelaxedSimd } from '../src/node/relaxed-simd.js';
import { createWasmBackend } from '../src/tensor/wasm-backend.js';
import { hasRelaxedSimd, pickVariant } from '../src/tensor/wasm-module.js';

// Tests run after this module's top level, so the switch is thrown here, in order.
const before = hasRelaxedSimd();
const offAnswer = enableRelaxedSimd({ KIOKU_RELAXED_SIMD: '0' });
const offAfter = hasRelaxedSimd();
const on = enableRelaxedSimd({});

test('KIOKU_RELAXED_SIMD=0 leaves the flag off', () => {
  assert.equal(offAnswer, before);
  assert.equal(offAfter, before);
});

test('enableRelaxedSimd turns relaxed SIMD on, and the backend picks the FMA build', () => {
  console.log(`relaxed SIMD before: ${before}, after enableRelaxedSimd: ${on} (Node ${process.version})`);
  assert.equal(on, hasRelaxedSimd());
  if (process.versions.node.startsWith('20.')) assert.equal(on, true, 'Node 20 has the flag');
  if (on) {
    assert.equal(pickVariant({ shared: false })?.file, 'kioku-relaxed.wasm');
    assert.match(createWasmBackend()?.description ?? '', /relaxed-simd \(fma\)/);
  }
});

// Every kernel of the FMA build against the reference backend (the same checks and tolerances).
if (on && !before) await import('./wasm.test.js');
