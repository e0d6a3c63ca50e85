// The WASM backend's fused optimizer kernels against src/optim's flat loops (the reference
// for the update rules, themselves checked against PyTorch in test/optim.test.ts): several
// steps on odd lengths, every option that changes the arithmetic, max abs diff printed. The
// kernels compute in float64 in the loops' order, so the results must be bit-identical.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adamUpdate } from '../src/optim/adam.js';
import { globalNorm } from '../src/optim/clip.js';
import { rmspropUpdate } from '../src/optim/rmsprop.js';
import { sgdUpdate } from '../src/optim/sgd.js';
import { createWasmBackend } from '../src/tensor/wasm-backend.js';
import { Rng } from '../src/util/rng.js';

const be = createWasmBackend();
assert.ok(be);
const rng = new Rng(99);

function pair(n: number, scale = 1, positive = false): [Float32Array, Float32Array] {
  const a = be!.alloc('float32', n) as Float32Array;
  for (let i = 0; i < n; i++) a[i] = positive ? rng.uniform() * scale : rng.uniformRange(-scale, scale);
  return [a, Float32Array.from(a)];
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

const LENGTHS = [1, 7, 130, 1001];

describe('fused optimizer kernels vs src/optim', () => {
  for (const opts of [
    { decoupled: false, weightDecay: 0, amsgrad: false },
    { decoupled: false, weightDecay: 0.01, amsgrad: true },
    { decoupled: true, weightDecay: 0.01, amsgrad: false },
  ]) {
    test(`Adam ${JSON.stringify(opts)}`, () => {
      let worst = 0;
      for (const n of LENGTHS) {
        const [w, wr] = pair(n),
          [m, mr] = pair(n, 0),
          [v, vr] = pair(n, 0, true);
        const [x, xr] = pair(n, 0, true);
        for (let step = 1; step <= 5; step++) {
          const [g] = pair(n, 2);
          const p = {
            lr: 1e-2,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weightDecay: opts.weightDecay,
            decoupled: opts.decoupled,
            step,
          };
          assert.equal(be!.adamUpdate(w, g, m, v, opts.amsgrad ? x : null, p), true);
          adamUpdate(wr, g, mr, vr, opts.amsgrad ? xr : null, p);
        }
        worst = Math.max(worst, maxDiff(w, wr), maxDiff(m, mr), maxDiff(v, vr), maxDiff(x, xr));
      }
      console.log(`adam ${JSON.stringify(opts)}: max abs diff ${worst.toExponential(2)}`);
      assert.equal(worst, 0, `diff ${worst}`);
    });
  }

  for (const opts of [
    { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
    { momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 1e-3 },
    { momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 },
  ]) {
    test(`SGD ${JSON.stringify(opts)}`, () => {
      let worst = 0;
      for (const n of LENGTHS) {
        const [w, wr] = pair(n),
          [b, br] = pair(n, 0);
        for (let step = 1; step <= 4; step++) {
          const [g] = pair(n);
          const p = { lr: 0.1, ...opts, firstStep: step === 1 };
          assert.equal(be!.sgdUpdate(w, g, b, p), true);
          sgdUpdate(wr, g, br, p);
        }
        worst = Math.max(worst, maxDiff(w, wr), maxDiff(b, br));
      }
      console.log(`sgd ${JSON.stringify(opts)}: max abs diff ${worst.toExponential(2)}`);
      assert.equal(worst, 0, `diff ${worst}`);
    });
  }

  for (const opts of [
    { centered: false, momentum: 0, weightDecay: 0 },
    { centered: true, momentum: 0.9, weightDecay: 1e-3 },
  ]) {
    test(`RMSprop ${JSON.stringify(opts)}`, () => {
      let worst = 0;
      for (const n of LENGTHS) {
        const [w, wr] = pair(n),
          [s, sr] = pair(n, 0),
          [a, ar] = pair(n, 0),
          [mb, mbr] = pair(n, 0);
        for (let step = 1; step <= 4; step++) {
          const [g] = pair(n);
          const p = { lr: 1e-3, alpha: 0.99, eps: 1e-8, ...opts };
          assert.equal(be!.rmspropUpdate(w, g, s, a, mb, p), true);
          rmspropUpdate(wr, g, sr, ar, mbr, p);
        }
        worst = Math.max(worst, maxDiff(w, wr), maxDiff(s, sr), maxDiff(a, ar), maxDiff(mb, mbr));
      }
      console.log(`rmsprop ${JSON.stringify(opts)}: max abs diff ${worst.toExponential(2)}`);
      assert.equal(worst, 0, `diff ${worst}`);
    });
  }

  test('sum of squares (global norm) and in-place scaling', () => {
    const arrays = LENGTHS.map((n) => pair(n, 3)[0]);
    const coef = 5 / 7.3; // not a power of two: the float64 product must be rounded once
    arrays.push(new Float32Array([1.5, -2])); // outside WASM memory: copied in
    const s = be!.sumSquares(arrays);
    assert.ok(s !== null);
    const ref = globalNorm(arrays) ** 2;
    console.log(
      `sumSquares: ${s} (JS loop ${ref}), relative diff ${(Math.abs(s - ref) / ref).toExponential(2)}`,
    );
    assert.equal(Math.sqrt(s), globalNorm(arrays)); // the same float64 sum, element after element
    const copy = arrays.map((a) => Float32Array.from(a));
    assert.equal(be!.scaleInPlace(arrays, coef), true);
    for (let i = 0; i < arrays.length; i++)
      for (let j = 0; j < arrays[i].length; j++) assert.equal(arrays[i][j], Math.fround(copy[i][j] * coef));
  });

  test('float64 buffers are declined (the caller runs the JS loop)', () => {
    const w = new Float64Array(3);
    assert.equal(
      be!.sgdUpdate(w, new Float64Array(3), null, {
        lr: 1,
        momentum: 0,
        dampening: 0,
        nesterov: false,
        weightDecay: 0,
        firstStep: true,
      }),
      false,
    );
    assert.equal(be!.sumSquares([w]), null);
  });
});
