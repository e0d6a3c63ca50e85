// The WASM memory kernels (asm/memory.ts) against the TypeScript reference of the memory wing
// (addressing.ts and dnc-ops.ts, run row by row by batched-ops.ts) on odd sizes: N and M not
// multiples of the SIMD width, several shift widths, arrays inside and outside the WASM
// memory. Then whole float32 NTM and DNC models, forward and backward, on the WASM backend
// against the reference backend.
// Each check prints its max abs difference (relative to the largest reference value when
// that exceeds 1).
//
// Tolerances: the kernels compute in float32 (SIMD, fused multiply-add in the relaxed build,
// exp/log by Cephes polynomials), the reference in float64 rounded to float32, so they agree
// to float32 rounding of each operation's sums, not bit for bit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MemoryKernels } from '../src/tensor/memory-kernels.js';
import { ReferenceBackend } from '../src/tensor/reference.js';
import { setBackend } from '../src/tensor/current-backend.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createWasmBackend, type WasmBackend } from '../src/tensor/wasm-backend.js';
import { Rng } from '../src/util/rng.js';
import { referenceMemoryOps } from '../src/wings/memory/batched-ops.js';
import { DNC } from '../src/wings/memory/dnc.js';
import { NTM } from '../src/wings/memory/ntm.js';

const maybe = createWasmBackend();
assert.ok(maybe, 'the WASM backend must be available in Node (run `npm run build:wasm`)');
const wasm: WasmBackend = maybe;
const kernels: MemoryKernels = wasm.memoryKernels();
const ref = referenceMemoryOps;
const rng = new Rng(2014);

type Where = 'wasm' | 'js';
const alloc = (n: number, where: Where): Float32Array =>
  where === 'wasm' ? (wasm.alloc('float32', n) as Float32Array) : new Float32Array(n);
const rand = (n: number, where: Where, lo = -1, hi = 1): Float32Array => {
  const a = alloc(n, where);
  for (let i = 0; i < n; i++) a[i] = rng.uniformRange(lo, hi);
  return a;
};
/** B distributions over n entries, strictly positive. */
const simplex = (B: number, n: number, where: Where): Float32Array => {
  const a = rand(B * n, where, 0.02, 1);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[b * n + i];
    for (let i = 0; i < n; i++) a[b * n + i] /= s;
  }
  return a;
};
const copy = (a: Float32Array, where: Where): Float32Array => {
  const c = alloc(a.length, where);
  c.set(a);
  return c;
};

let worst = 0;
function check(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  assert.equal(got.length, want.length, `${label}: length`);
  let d = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const x = Math.abs(got[i] - want[i]);
    if (!(x <= d)) d = Number.isNaN(x) ? Infinity : x;
  }
  const rel = d / scale;
  worst = Math.max(worst, rel);
  console.log(
    `  ${label}: max abs diff ${d.toExponential(2)}${scale > 1 ? ` (scale ${scale.toFixed(1)})` : ''}`,
  );
  assert.ok(rel <= tol, `${label}: max abs diff ${d} > ${tol} × ${scale}`);
}

const TOL = 2e-6;
const SHAPES: { B: number; N: number; M: number; S: number }[] = [
  { B: 1, N: 3, M: 1, S: 1 },
  { B: 3, N: 7, M: 5, S: 3 },
  { B: 2, N: 13, M: 9, S: 5 },
  { B: 4, N: 128, M: 20, S: 3 }, // the paper's copy NTM
];

describe('memory kernels (WASM, float32) vs the TypeScript reference', () => {
  for (const where of ['wasm', 'js'] as const) {
    for (const { B, N, M, S } of SHAPES) {
      test(`B=${B} N=${N} M=${M} S=${S}, arrays in ${where === 'wasm' ? 'WASM' : 'JS'} memory`, () => {
        // Content addressing, eqs. 5–6, forward and backward.
        const mem = rand(B * N * M, where);
        const key = rand(B * M, where);
        const beta = rand(B, where, 0.5, 8);
        const dw = rand(B * N, where);
        const outs = (k: MemoryKernels) => {
          const o = {
            w: alloc(B * N, where),
            dots: alloc(B * N, where),
            rowNorm: alloc(B * N, where),
            sim: alloc(B * N, where),
            keyNorm: alloc(B, where),
          };
          k.contentForward({ B, N, M, mem, key, beta, ...o });
          const g = { dMem: rand(B * N * M, where), dKey: rand(B * M, where), dBeta: alloc(B, where) };
          return { o, g };
        };
        const a = outs(kernels);
        const r = outs(ref);
        r.g.dMem.set(a.g.dMem);
        r.g.dKey.set(a.g.dKey);
        for (const f of ['w', 'dots', 'rowNorm', 'sim', 'keyNorm'] as const)
          check(`content ${f}`, a.o[f], r.o[f], TOL);
        kernels.contentBackward({ B, N, M, mem, key, beta, ...a.o, dw, ...a.g });
        ref.contentBackward({ B, N, M, mem, key, beta, ...r.o, dw, ...r.g });
        check('content ∂M (+=)', a.g.dMem, r.g.dMem, TOL);
        check('content ∂k (+=)', a.g.dKey, r.g.dKey, TOL);
        check('content ∂β', a.g.dBeta, r.g.dBeta, TOL);

        // Interpolation, eq. 7.
        const wc = simplex(B, N, where);
        const wPrev = simplex(B, N, where);
        const gate = rand(B, where, 0, 1);
        const [ia, ir] = [alloc(B * N, where), alloc(B * N, where)];
        kernels.interpolateForward({ B, N, wc, wPrev, g: gate, out: ia });
        ref.interpolateForward({ B, N, wc, wPrev, g: gate, out: ir });
        check('interpolate', ia, ir, TOL);
        const dOut = rand(B * N, where);
        const ig = () => ({ dWc: rand(B * N, 'js'), dWPrev: rand(B * N, 'js'), dG: alloc(B, where) });
        const iga = ig();
        const igr = { dWc: copy(iga.dWc, where), dWPrev: copy(iga.dWPrev, where), dG: alloc(B, where) };
        kernels.interpolateBackward({ B, N, wc, wPrev, g: gate, dOut, ...iga });
        ref.interpolateBackward({ B, N, wc, wPrev, g: gate, dOut, ...igr });
        check('interpolate ∂w_c (+=)', iga.dWc, igr.dWc, TOL);
        check('interpolate ∂w_{t−1} (+=)', iga.dWPrev, igr.dWPrev, TOL);
        check('interpolate ∂g', iga.dG, igr.dG, TOL);

        // Circular shift, eq. 8.
        if (S < N) {
          const wg = simplex(B, N, where);
          const s = simplex(B, S, where);
          const [sa, sr] = [alloc(B * N, where), alloc(B * N, where)];
          kernels.shiftForward({ B, N, S, wg, s, out: sa });
          ref.shiftForward({ B, N, S, wg, s, out: sr });
          check('shift', sa, sr, TOL);
          const dWg = rand(B * N, where);
          const dS = rand(B * S, where);
          const [dWgR, dSR] = [copy(dWg, where), copy(dS, where)];
          kernels.shiftBackward({ B, N, S, wg, s, dOut, dWg, dS });
          ref.shiftBackward({ B, N, S, wg, s, dOut, dWg: dWgR, dS: dSR });
          check('shift ∂w_g (+=)', dWg, dWgR, TOL);
          check('shift ∂s (+=)', dS, dSR, TOL);
        }

        // Sharpening, eq. 9 (one row with an exact zero weight: log(0 + ε) must stay finite).
        const wt = simplex(B, N, where);
        wt[0] = 0;
        const gamma = rand(B, where, 1, 6);
        const [ha, hr] = [alloc(B * N, where), alloc(B * N, where)];
        kernels.sharpenForward({ B, N, wt, gamma, w: ha });
        ref.sharpenForward({ B, N, wt, gamma, w: hr });
        check('sharpen', ha, hr, TOL);
        const dWt = rand(B * N, where);
        const dWtR = copy(dWt, where);
        const [dGa, dGr] = [alloc(B, where), alloc(B, where)];
        kernels.sharpenBackward({ B, N, wt, gamma, w: ha, dw, dWt, dGamma: dGa });
        ref.sharpenBackward({ B, N, wt, gamma, w: hr, dw, dWt: dWtR, dGamma: dGr });
        check('sharpen ∂w̃ (+=)', dWt, dWtR, TOL);
        check('sharpen ∂γ', dGa, dGr, TOL);

        // Read, eq. 2.
        const w = simplex(B, N, where);
        const [ra, rr] = [alloc(B * M, where), rand(B * M, where)]; // r is overwritten, not accumulated
        kernels.readForward({ B, N, M, mem, w, r: ra });
        ref.readForward({ B, N, M, mem, w, r: rr });
        check('read', ra, rr, TOL);
        const dr = rand(B * M, where);
        const dMem = rand(B * N * M, where);
        const dW = rand(B * N, where);
        const [dMemR, dWR] = [copy(dMem, where), copy(dW, where)];
        kernels.readBackward({ B, N, M, mem, w, dr, dMem, dW });
        ref.readBackward({ B, N, M, mem, w, dr, dMem: dMemR, dW: dWR });
        check('read ∂M (+=)', dMem, dMemR, TOL);
        check('read ∂w (+=)', dW, dWR, TOL);

        // Erase/add write, eqs. 3–4.
        const erase = rand(B * M, where, 0, 1);
        const add = rand(B * M, where);
        const [wa, wr] = [alloc(B * N * M, where), alloc(B * N * M, where)];
        kernels.writeForward({ B, N, M, memPrev: mem, w, erase, add, mem: wa });
        ref.writeForward({ B, N, M, memPrev: mem, w, erase, add, mem: wr });
        check('write', wa, wr, TOL);
        const gw = () => ({
          dMem: rand(B * N * M, where),
          dW: rand(B * N, where),
          dErase: rand(B * M, where),
          dAdd: rand(B * M, where),
        });
        const ga = gw();
        const gr = {
          dMem: copy(ga.dMem, where),
          dW: copy(ga.dW, where),
          dErase: copy(ga.dErase, where),
          dAdd: copy(ga.dAdd, where),
        };
        kernels.writeBackward({ B, N, M, memPrev: mem, w, erase, add, ...ga });
        ref.writeBackward({ B, N, M, memPrev: mem, w, erase, add, ...gr });
        check('write ∂M_{t−1}', ga.dMem, gr.dMem, TOL);
        check('write ∂w (+=)', ga.dW, gr.dW, TOL);
        check('write ∂e (+=)', ga.dErase, gr.dErase, TOL);
        check('write ∂a (+=)', ga.dAdd, gr.dAdd, TOL);
      });
    }
  }

  for (const N of [1, 6, 13, 32]) {
    test(`DNC temporal links, B=3 N=${N}: L_t and p_t, forward/backward weightings, and their backward`, () => {
      const B = 3;
      const where: Where = N === 13 ? 'js' : 'wasm';
      const LPrev = rand(B * N * N, where, 0, 0.2);
      for (let b = 0; b < B; b++) for (let i = 0; i < N; i++) LPrev[(b * N + i) * N + i] = 0;
      const pPrev = simplex(B, N, where);
      const ww = simplex(B, N, where).map((v) => 0.9 * v);
      const fw = () => ({ L: alloc(B * N * N, where), p: alloc(B * N, where) });
      const [la, lr] = [fw(), fw()];
      kernels.linkForward({ B, N, LPrev, pPrev, ww, ...la });
      ref.linkForward({ B, N, LPrev, pPrev, ww, ...lr });
      check('link L_t', la.L, lr.L, TOL);
      check('precedence p_t', la.p, lr.p, TOL);
      const dL = rand(B * N * N, where);
      const dp = rand(B * N, where);
      const gl = () => ({
        dLPrev: rand(B * N * N, where),
        dPPrev: alloc(B * N, where),
        dWw: alloc(B * N, where),
      });
      const [ga, gr] = [gl(), gl()];
      ga.dPPrev.set(rand(B * N, 'js'));
      gr.dPPrev.set(ga.dPPrev);
      kernels.linkBackward({ B, N, LPrev, pPrev, ww, dL, dp, ...ga });
      ref.linkBackward({ B, N, LPrev, pPrev, ww, dL, dp, ...gr });
      check('link ∂L_{t−1} (diagonal 0)', ga.dLPrev, gr.dLPrev, TOL);
      check('link ∂p_{t−1} (+=)', ga.dPPrev, gr.dPPrev, TOL);
      check('link ∂w^w (+=)', ga.dWw, gr.dWw, TOL);
      const w = simplex(B, N, where);
      const dOut = rand(B * N, where);
      for (const transpose of [false, true]) {
        const name = transpose ? 'backward weighting Lᵀw' : 'forward weighting Lw';
        const [oa, or] = [alloc(B * N, where), alloc(B * N, where)];
        kernels.linkReadForward({ B, N, L: la.L, w, transpose, out: oa });
        ref.linkReadForward({ B, N, L: la.L, w, transpose, out: or });
        check(name, oa, or, TOL);
        const dLa = rand(B * N * N, where);
        const dWa = rand(B * N, where);
        const [dLr, dWr] = [copy(dLa, where), copy(dWa, where)];
        kernels.linkReadBackward({ B, N, L: la.L, w, transpose, dOut, dL: dLa, dW: dWa });
        ref.linkReadBackward({ B, N, L: la.L, w, transpose, dOut, dL: dLr, dW: dWr });
        check(`${name} ∂L (+=)`, dLa, dLr, TOL);
        check(`${name} ∂w (+=)`, dWa, dWr, TOL);
      }
    });
  }

  test('float64 arrays are refused with a clear message (float64 models run on the reference)', () => {
    assert.throws(
      () =>
        kernels.readForward({
          B: 1,
          N: 3,
          M: 2,
          mem: new Float64Array(6),
          w: new Float64Array(3),
          r: new Float64Array(2),
        }),
      /readForward: mem must be a Float32Array/,
    );
  });

  test('a too-short array names the kernel, the argument and the sizes', () => {
    assert.throws(
      () =>
        kernels.sharpenForward({
          B: 2,
          N: 5,
          wt: new Float32Array(9),
          gamma: new Float32Array(2),
          w: new Float32Array(10),
        }),
      /sharpenForward: wt has 9 elements, expected 10/,
    );
  });
});

/** Forward, backward and a trace of `build()`'s model on one backend. */
function runOn(be: 'js' | 'wasm', build: () => NTM | DNC, x: Tensor, dLogits: Tensor) {
  setBackend(be === 'wasm' ? wasm : new ReferenceBackend());
  try {
    const m = build();
    const logits = Array.from(m.forward(x).data);
    m.backward(dLogits);
    const grads = Object.fromEntries(Object.entries(m.gradDict()).map(([k, v]) => [k, Array.from(v.data)]));
    const B = x.shape[1];
    if (m instanceof NTM) {
      const tr = m.trace(B - 1);
      return { logits, grads, w: tr.weightings.flat(2), memory: tr.memory.flatMap((a) => Array.from(a)) };
    }
    const tr = m.trace(B - 1);
    return {
      logits,
      grads,
      w: [...tr.write.flat(), ...tr.read.flat(2), ...tr.usage.flat()],
      memory: tr.memory.flatMap((a) => Array.from(a)),
    };
  } finally {
    setBackend(new ReferenceBackend());
  }
}

function compareBackends(build: () => NTM | DNC, T: number, B: number, X: number, Y: number): void {
  const x = Tensor.fromArray(
    Array.from({ length: T * B * X }, () => (rng.uniform() < 0.5 ? 0 : 1)),
    [T, B, X],
  );
  const dLogits = Tensor.fromArray(
    Array.from({ length: T * B * Y }, () => rng.uniformRange(-1, 1)),
    [T, B, Y],
  );
  const js = runOn('js', build, x, dLogits);
  const fast = runOn('wasm', build, x, dLogits);
  check('logits', fast.logits, js.logits, 1e-5);
  check('weightings, every step (last row)', fast.w, js.w, 1e-5);
  check('memory, every step (last row)', fast.memory, js.memory, 1e-5);
  for (const k of Object.keys(js.grads)) check(`∂L/∂${k}`, fast.grads[k], js.grads[k], 1e-5);
  console.log(`  worst relative difference over this file so far: ${worst.toExponential(2)}`);
}

describe('whole float32 models: WASM backend vs reference backend', () => {
  test('NTM: 2 write + 2 read heads, N=11, M=6, five shifts, T=6, B=3: logits, views and every gradient', () => {
    compareBackends(
      () =>
        new NTM({
          inputSize: 5,
          outputSize: 4,
          hiddenSize: 9,
          memorySlots: 11,
          memoryWidth: 6,
          readHeads: 2,
          writeHeads: 2,
          shiftRange: 2,
          initFocus: Math.log(11),
          seed: 3,
        }),
      6,
      3,
      5,
      4,
    );
  });

  test('DNC: 3 read heads, N=10, W=7, T=7, B=3: logits, views and every gradient', () => {
    compareBackends(
      () =>
        new DNC({
          inputSize: 5,
          outputSize: 4,
          hiddenSize: 9,
          memorySlots: 10,
          memoryWidth: 7,
          readHeads: 3,
          seed: 5,
        }),
      7,
      3,
      5,
      4,
    );
  });
});
