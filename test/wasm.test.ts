// Every WASM kernel against the reference backend on awkward shapes: sizes that are not
// multiples of the SIMD width or the blocking, non-zero offsets, leading dimensions wider
// than the rows, beta 0 / 1 / other, masked rows, arrays inside and outside WASM memory.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend } from '../src/tensor/backend.js';
import { ReferenceBackend } from '../src/tensor/reference.js';
import {
  createWasmBackend,
  GEMM_DIRECT,
  GEMM_DOT,
  GEMM_PACKED,
  WasmBackend,
} from '../src/tensor/wasm-backend.js';
import { WasmHeap } from '../src/tensor/wasm-heap.js';
import { Rng } from '../src/util/rng.js';

const ref = new ReferenceBackend();
const maybe = createWasmBackend();
assert.ok(maybe, 'the WASM backend must be available in Node (run `npm run build:wasm`)');
const wasm: WasmBackend = maybe;
const rng = new Rng(1234);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, off = 0, len = a.length - off): number {
  let d = 0;
  for (let i = off; i < off + len; i++) {
    const x = Math.abs(a[i] - b[i]);
    if (!(x <= d)) d = Number.isNaN(x) ? Infinity : x;
  }
  return d;
}

/** Random values in [−s, s], in WASM memory (`where` = 'wasm') or a plain Float32Array. */
function rand(n: number, where: 'wasm' | 'js' = 'wasm', s = 1): Float32Array {
  const a = where === 'wasm' ? (wasm.alloc('float32', n) as Float32Array) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniformRange(-s, s);
  return a;
}

/** A copy of `a` in the same kind of memory. */
function twin(a: Float32Array): Float32Array {
  const b = wasm.alloc('float32', a.length) as Float32Array;
  b.set(a);
  return b;
}

function report(name: string, d: number, tol: number): void {
  console.log(`${name}: max abs diff ${d.toExponential(2)}`);
  assert.ok(d <= tol, `${name}: max abs diff ${d} > ${tol}`);
}

describe('wasm gemm vs reference', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 37, 19],
    [3, 5, 7],
    [7, 9, 300], // K beyond one packed block (256)
    [17, 13, 9],
    [33, 70, 130],
    [130, 11, 5], // M beyond one packed block of rows (128)
    [4, 8, 4],
    [65, 2, 33],
    [2, 2052, 3], // N beyond one packed block of columns (2048)
  ];
  const paths: [string, number][] = [
    ['packed', GEMM_PACKED],
    ['direct', GEMM_DIRECT],
    ['dot', GEMM_DOT],
    ['auto', -1],
  ];
  for (const [pname, path] of paths) {
    test(`${pname} path: NN/NT/TN/TT, offsets, wide leading dims, alpha and beta`, () => {
      wasm.forceGemmPath = path < 0 ? null : path;
      try {
        let worst = 0;
        for (const [M, N, K] of shapes) {
          for (const transA of [false, true]) {
            for (const transB of [false, true]) {
              for (const [alpha, beta] of [
                [1, 0],
                [1, 1],
                [-0.75, 0.5],
                [1, -2],
              ] as const) {
                const aRows = transA ? K : M,
                  aCols = transA ? M : K;
                const bRows = transB ? N : K,
                  bCols = transB ? K : N;
                const lda = aCols + 3,
                  ldb = bCols + 1,
                  ldc = N + 5;
                const aOff = 5,
                  bOff = 2,
                  cOff = 7;
                const A = rand(aOff + aRows * lda);
                const B = rand(bOff + bRows * ldb);
                const C0 = rand(cOff + M * ldc);
                const Cw = twin(C0),
                  Cr = Float32Array.from(C0);
                wasm.gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, Cw, cOff, ldc);
                ref.gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, Cr, cOff, ldc);
                const d = maxAbsDiff(Cw, Cr);
                worst = Math.max(worst, d);
                assert.ok(
                  d <= 1e-4 * Math.max(1, K / 64),
                  `${M}x${N}x${K} tA=${transA} tB=${transB} a=${alpha} b=${beta}: diff ${d}`,
                );
              }
            }
          }
        }
        report(`gemm ${pname} (${shapes.length} shapes x 4 layouts x 4 alpha/beta)`, worst, 1e-3);
      } finally {
        wasm.forceGemmPath = null;
      }
    });
  }

  test('beta = 0 overwrites NaN in C; padding between rows of C is untouched', () => {
    const M = 6,
      N = 11,
      K = 9,
      ldc = 16;
    for (const path of [GEMM_PACKED, GEMM_DIRECT, GEMM_DOT]) {
      wasm.forceGemmPath = path;
      const A = rand(M * K),
        B = rand(N * K),
        C = wasm.alloc('float32', M * ldc) as Float32Array;
      C.fill(NaN);
      const Cr = new Float32Array(M * ldc).fill(NaN);
      wasm.gemm(
        false,
        path !== GEMM_DIRECT,
        M,
        N,
        K,
        1,
        A,
        0,
        K,
        B,
        0,
        path !== GEMM_DIRECT ? K : N,
        0,
        C,
        0,
        ldc,
      );
      ref.gemm(
        false,
        path !== GEMM_DIRECT,
        M,
        N,
        K,
        1,
        A,
        0,
        K,
        B,
        0,
        path !== GEMM_DIRECT ? K : N,
        0,
        Cr,
        0,
        ldc,
      );
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < ldc; j++) {
          const v = C[i * ldc + j];
          if (j < N) assert.ok(Number.isFinite(v), `path ${path}: C[${i},${j}] = ${v}`);
          else assert.ok(Number.isNaN(v), `path ${path}: padding C[${i},${j}] was written`);
        }
      }
      report(
        `gemm beta=0 over NaN, path ${path}`,
        maxAbsDiff(
          C.map((x) => (Number.isNaN(x) ? 0 : x)),
          Cr.map((x) => (Number.isNaN(x) ? 0 : x)),
        ),
        1e-5,
      );
    }
    wasm.forceGemmPath = null;
  });

  test('K = 0 and alpha = 0 scale C by beta only', () => {
    const C = rand(12),
      Cr = Float32Array.from(C);
    wasm.gemm(false, false, 3, 4, 0, 1, rand(1), 0, 1, rand(4), 0, 4, 0.5, C, 0, 4);
    ref.gemm(false, false, 3, 4, 0, 1, new Float32Array(1), 0, 1, new Float32Array(4), 0, 4, 0.5, Cr, 0, 4);
    report('gemm K=0', maxAbsDiff(C, Cr), 0);
    wasm.gemm(false, true, 3, 4, 5, 0, rand(15), 0, 5, rand(20), 0, 5, 0, C, 0, 4);
    assert.ok(C.every((x) => x === 0));
  });

  test('operands outside WASM memory are copied in and out', () => {
    const M = 19,
      N = 23,
      K = 29;
    const A = rand(M * K, 'js'),
      B = rand(K * N, 'js'),
      C = rand(M * N, 'js');
    const Cr = Float32Array.from(C);
    wasm.gemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 1, C, 0, N);
    ref.gemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 1, Cr, 0, N);
    report('gemm with plain Float32Arrays', maxAbsDiff(C, Cr), 1e-4);
    // Mixed: A in WASM memory, B and C outside.
    const Aw = twin(A),
      C2 = Float32Array.from(Cr),
      C2r = Float32Array.from(Cr);
    wasm.gemm(false, false, M, N, K, 0.5, Aw, 0, K, B, 0, N, 1, C2, 0, N);
    ref.gemm(false, false, M, N, K, 0.5, A, 0, K, B, 0, N, 1, C2r, 0, N);
    report('gemm mixed memory', maxAbsDiff(C2, C2r), 1e-4);
  });

  test('float64 goes to the reference backend (identical results)', () => {
    const A = Float64Array.from({ length: 12 }, () => rng.normal());
    const B = Float64Array.from({ length: 20 }, () => rng.normal());
    const C = new Float64Array(15),
      Cr = new Float64Array(15);
    wasm.gemm(false, false, 3, 5, 4, 1, A, 0, 4, B, 0, 5, 0, C, 0, 5);
    ref.gemm(false, false, 3, 5, 4, 1, A, 0, 4, B, 0, 5, 0, Cr, 0, 5);
    assert.deepEqual(C, Cr);
    assert.ok(wasm.alloc('float64', 3) instanceof Float64Array);
  });

  test('out-of-range spans are refused instead of reading other memory', () => {
    assert.throws(
      () => wasm.gemm(false, false, 4, 4, 4, 1, rand(15), 0, 4, rand(16), 0, 4, 0, rand(16), 0, 4),
      /outside/,
    );
  });
});

describe('wasm row kernels vs reference', () => {
  test('addRowVector and sumRowsAccumulate (odd widths, offsets)', () => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 7],
      [17, 33],
      [64, 130],
      [5, 16],
    ]) {
      const y = rand(3 + rows * cols),
        yr = Float32Array.from(y),
        v = rand(2 + cols);
      wasm.addRowVector(y, 3, rows, cols, v, 2);
      ref.addRowVector(yr, 3, rows, cols, v, 2);
      report(`addRowVector ${rows}x${cols}`, maxAbsDiff(y, yr), 1e-6);
      const out = rand(1 + cols),
        outr = Float32Array.from(out);
      wasm.sumRowsAccumulate(y, 3, rows, cols, out, 1);
      ref.sumRowsAccumulate(yr, 3, rows, cols, outr, 1);
      report(`sumRowsAccumulate ${rows}x${cols}`, maxAbsDiff(out, outr), 1e-5);
    }
  });
});

/** Mask with some rows off (or null). */
function mask(B: number, on: boolean): Uint8Array | null {
  if (!on) return null;
  const m = new Uint8Array(B).fill(1);
  for (let b = 0; b < B; b += 2) m[b] = 0;
  return m;
}

describe('wasm recurrent step kernels vs reference', () => {
  const dims: [number, number][] = [
    [1, 1],
    [3, 13],
    [4, 16],
    [5, 130],
  ];
  for (const [B, H] of dims) {
    for (const masked of [false, true]) {
      for (const peephole of [false, true]) {
        test(`LSTM step B=${B} H=${H}${masked ? ' masked' : ''}${peephole ? ' peephole' : ''}`, () => {
          const n = B * H;
          const off = 3;
          const m = mask(B, masked);
          const peep = peephole ? rand(1 + 3 * H, 'wasm', 0.5) : null;
          const gates = rand(off + 4 * n, 'wasm', 4),
            gr = Float32Array.from(gates);
          const cPrev = rand(off + n, 'wasm', 2),
            hPrev = rand(off + n);
          const c = rand(off + n),
            cr = Float32Array.from(c),
            h = rand(off + n),
            hr = Float32Array.from(h);
          const fa = {
            B,
            H,
            gOff: off,
            cPrev,
            cPrevOff: off,
            hPrev,
            hPrevOff: off,
            cOff: off,
            hOff: off,
            peep,
            peepOff: 1,
            mask: m,
          };
          wasm.lstmStepForward({ ...fa, gates, c, h });
          ref.lstmStepForward({ ...fa, gates: gr, c: cr, h: hr });
          report('  lstm fwd gates', maxAbsDiff(gates, gr), 2e-6);
          report('  lstm fwd c', maxAbsDiff(c, cr), 2e-6);
          report('  lstm fwd h', maxAbsDiff(h, hr), 2e-6);
          const dh = rand(off + n),
            dc = rand(off + n),
            dcr = Float32Array.from(dc);
          const dg = rand(off + 4 * n),
            dgr = Float32Array.from(dg),
            dhp = rand(off + n),
            dhpr = Float32Array.from(dhp);
          const dpeep = peephole ? rand(3 * H + 2) : null,
            dpeepr = dpeep ? Float32Array.from(dpeep) : null;
          const ba = {
            B,
            H,
            gates: gr,
            gOff: off,
            cPrev,
            cPrevOff: off,
            c: cr,
            cOff: off,
            peep,
            peepOff: 1,
            mask: m,
            dh,
            dhOff: off,
            dcOff: off,
            dgOff: off,
            dhPrevOff: off,
            dpeepOff: 2,
          };
          wasm.lstmStepBackward({ ...ba, dc, dgates: dg, dhPrev: dhp, dpeep });
          ref.lstmStepBackward({ ...ba, dc: dcr, dgates: dgr, dhPrev: dhpr, dpeep: dpeepr });
          report('  lstm bwd dgates', maxAbsDiff(dg, dgr), 5e-6);
          report('  lstm bwd dc', maxAbsDiff(dc, dcr), 5e-6);
          report('  lstm bwd dhPrev', maxAbsDiff(dhp, dhpr), 0);
          if (dpeep && dpeepr) report('  lstm bwd dpeep', maxAbsDiff(dpeep, dpeepr), 2e-5);
        });
      }
      test(`GRU step B=${B} H=${H}${masked ? ' masked' : ''}`, () => {
        const n = B * H,
          off = 2;
        const m = mask(B, masked);
        const xg = rand(off + 3 * n, 'wasm', 3),
          hg = rand(off + 3 * n, 'wasm', 3),
          hPrev = rand(off + n);
        const gates = rand(off + 3 * n),
          gr = Float32Array.from(gates),
          h = rand(off + n),
          hr = Float32Array.from(h);
        const fa = {
          B,
          H,
          xg,
          xgOff: off,
          hg,
          hgOff: off,
          gOff: off,
          hPrev,
          hPrevOff: off,
          hOff: off,
          mask: m,
        };
        wasm.gruStepForward({ ...fa, gates, h });
        ref.gruStepForward({ ...fa, gates: gr, h: hr });
        report('  gru fwd gates', maxAbsDiff(gates, gr), 2e-6);
        report('  gru fwd h', maxAbsDiff(h, hr), 2e-6);
        const dh = rand(off + n),
          dxg = rand(off + 3 * n),
          dxgr = Float32Array.from(dxg);
        const dhg = rand(off + 3 * n),
          dhgr = Float32Array.from(dhg),
          dhp = rand(off + n),
          dhpr = Float32Array.from(dhp);
        const ba = {
          B,
          H,
          gates: gr,
          gOff: off,
          hg,
          hgOff: off,
          hPrev,
          hPrevOff: off,
          dh,
          dhOff: off,
          dxgOff: off,
          dhgOff: off,
          dhPrevOff: off,
          mask: m,
        };
        wasm.gruStepBackward({ ...ba, dxg, dhg, dhPrev: dhp });
        ref.gruStepBackward({ ...ba, dxg: dxgr, dhg: dhgr, dhPrev: dhpr });
        report('  gru bwd dxg', maxAbsDiff(dxg, dxgr), 5e-6);
        report('  gru bwd dhg', maxAbsDiff(dhg, dhgr), 5e-6);
        report('  gru bwd dhPrev', maxAbsDiff(dhp, dhpr), 1e-6);
      });
      for (const relu of [false, true]) {
        test(`RNN step B=${B} H=${H} ${relu ? 'relu' : 'tanh'}${masked ? ' masked' : ''}`, () => {
          const n = B * H,
            off = 1;
          const m = mask(B, masked);
          const pre = rand(off + n, 'wasm', 3),
            hPrev = rand(off + n),
            h = rand(off + n),
            hr = Float32Array.from(h);
          const fa = { B, H, relu, pre, preOff: off, hPrev, hPrevOff: off, hOff: off, mask: m };
          wasm.rnnStepForward({ ...fa, h });
          ref.rnnStepForward({ ...fa, h: hr });
          report('  rnn fwd h', maxAbsDiff(h, hr), 2e-6);
          const dh = rand(off + n),
            dpre = rand(off + n),
            dprer = Float32Array.from(dpre);
          const dhp = rand(off + n),
            dhpr = Float32Array.from(dhp);
          const ba = { B, H, relu, h: hr, hOff: off, dh, dhOff: off, dpreOff: off, dhPrevOff: off, mask: m };
          wasm.rnnStepBackward({ ...ba, dpre, dhPrev: dhp });
          ref.rnnStepBackward({ ...ba, dpre: dprer, dhPrev: dhpr });
          report('  rnn bwd dpre', maxAbsDiff(dpre, dprer), 2e-6);
          report('  rnn bwd dhPrev', maxAbsDiff(dhp, dhpr), 0);
        });
      }
    }
  }

  test('step kernels on plain Float32Arrays (copied in and out) match too', () => {
    const B = 3,
      H = 9,
      n = B * H;
    const gates = rand(4 * n, 'js', 3),
      gr = Float32Array.from(gates);
    const cPrev = rand(n, 'js'),
      hPrev = rand(n, 'js');
    const c = new Float32Array(n),
      cr = new Float32Array(n),
      h = new Float32Array(n),
      hr = new Float32Array(n);
    const fa = {
      B,
      H,
      gOff: 0,
      cPrev,
      cPrevOff: 0,
      hPrev,
      hPrevOff: 0,
      cOff: 0,
      hOff: 0,
      peep: null,
      peepOff: 0,
      mask: mask(B, true),
    };
    wasm.lstmStepForward({ ...fa, gates, c, h });
    ref.lstmStepForward({ ...fa, gates: gr, c: cr, h: hr });
    report('lstm fwd (plain arrays) h', maxAbsDiff(h, hr), 2e-6);
    report('lstm fwd (plain arrays) gates', maxAbsDiff(gates, gr), 2e-6);
  });

  test('saturated inputs (|x| up to 100) stay finite and match', () => {
    const B = 2,
      H = 8,
      n = B * H;
    const gates = rand(4 * n, 'wasm', 100),
      gr = Float32Array.from(gates);
    const cPrev = rand(n, 'wasm', 50),
      hPrev = rand(n);
    const c = rand(n),
      cr = Float32Array.from(c),
      h = rand(n),
      hr = Float32Array.from(h);
    const fa = {
      B,
      H,
      gOff: 0,
      cPrev,
      cPrevOff: 0,
      hPrev,
      hPrevOff: 0,
      cOff: 0,
      hOff: 0,
      peep: null,
      peepOff: 0,
      mask: null,
    };
    wasm.lstmStepForward({ ...fa, gates, c, h });
    ref.lstmStepForward({ ...fa, gates: gr, c: cr, h: hr });
    assert.ok(h.every(Number.isFinite) && gates.every(Number.isFinite));
    report('lstm fwd saturated h', maxAbsDiff(h, hr), 2e-6);
    report('lstm fwd saturated c', maxAbsDiff(c, cr), 1e-5);
  });
});

describe('wasm transcendental accuracy', () => {
  test('sigmoid and tanh (through the RNN/GRU kernels) within 1e-6 relative over [-20, 20]', () => {
    const n = 4001;
    const pre = wasm.alloc('float32', n) as Float32Array;
    for (let i = 0; i < n; i++) pre[i] = -20 + (40 * i) / (n - 1);
    pre[2000] = 1e-7; // tiny arguments: tanh x ≈ x must keep its relative accuracy
    const h = wasm.alloc('float32', n) as Float32Array;
    wasm.rnnStepForward({
      B: 1,
      H: n,
      relu: false,
      pre,
      preOff: 0,
      hPrev: rand(n),
      hPrevOff: 0,
      h,
      hOff: 0,
      mask: null,
    });
    let rel = 0;
    for (let i = 0; i < n; i++) {
      const t = Math.tanh(pre[i]);
      rel = Math.max(rel, Math.abs(h[i] - t) / Math.max(Math.abs(t), 1e-30));
    }
    report('tanh max relative error', rel, 1e-6);
    // sigmoid via the GRU's r gate with hg = 0: r = σ(xg)
    const H = n,
      xg = wasm.alloc('float32', 3 * H) as Float32Array,
      hg = wasm.alloc('float32', 3 * H) as Float32Array;
    xg.set(pre);
    const gates = wasm.alloc('float32', 3 * H) as Float32Array;
    wasm.gruStepForward({
      B: 1,
      H,
      xg,
      xgOff: 0,
      hg,
      hgOff: 0,
      gates,
      gOff: 0,
      hPrev: rand(H),
      hPrevOff: 0,
      h: rand(H),
      hOff: 0,
      mask: null,
    });
    rel = 0;
    for (let i = 0; i < n; i++) {
      const s = 1 / (1 + Math.exp(-pre[i]));
      rel = Math.max(rel, Math.abs(gates[i] - s) / s);
    }
    report('sigmoid max relative error', rel, 1e-6);
  });
});

describe('wasm softmax cross-entropy vs reference', () => {
  for (const [N, V] of [
    [1, 1],
    [5, 7],
    [13, 83],
    [64, 80],
    [3, 1000],
  ]) {
    test(`N=${N} V=${V}, ignoreIndex, weights, offsets`, () => {
      const off = 3;
      const logits = rand(off + N * V, 'wasm', 8);
      if (N > 1) logits[off + V] = 90; // a large logit must not overflow
      const targets = Int32Array.from({ length: N }, (_, i) => (i === 2 ? -100 : rng.int(V)));
      const weights = Float32Array.from({ length: N }, (_, i) => (i === 1 ? 0 : 0.5 + rng.uniform()));
      for (const w of [null, weights]) {
        const d = rand(off + N * V),
          dr = Float32Array.from(d);
        const args = {
          N,
          V,
          logits,
          logitsOff: off,
          targets,
          ignoreIndex: -100,
          weights: w,
          dOff: off,
          scale: 0.25,
        };
        const a = wasm.softmaxCrossEntropy({ ...args, dlogits: d });
        const b = ref.softmaxCrossEntropy({ ...args, dlogits: dr });
        report(
          `  xent lossSum (weights ${w ? 'on' : 'off'})`,
          Math.abs(a.lossSum - b.lossSum) / Math.max(1, Math.abs(b.lossSum)),
          1e-6,
        );
        assert.equal(a.weightSum, b.weightSum);
        report('  xent dlogits', maxAbsDiff(d, dr), 1e-6);
        const c = wasm.softmaxCrossEntropy({ ...args, dlogits: null });
        assert.equal(c.lossSum, a.lossSum);
      }
    });
  }

  test('a target outside [0, V) is refused', () => {
    const logits = rand(6);
    assert.throws(
      () =>
        wasm.softmaxCrossEntropy({
          N: 2,
          V: 3,
          logits,
          logitsOff: 0,
          targets: Int32Array.from([0, 3]),
          ignoreIndex: -100,
          weights: null,
          dlogits: null,
          dOff: 0,
          scale: 1,
        }),
      /outside/,
    );
  });
});

describe('wasm backend as a whole', () => {
  test('alloc returns zeroed views into WASM memory; the plain memory never grows', () => {
    const heap = wasm.engine.heap;
    assert.equal(heap.shared, false, 'one thread runs on a plain (fixed-size) memory');
    const before = heap.sizeBytes;
    const a = wasm.alloc('float32', 2000) as Float32Array;
    assert.ok(a.every((x) => x === 0));
    a.fill(3);
    assert.equal(heap.contains(wasm.alloc('float32', 100)), false, 'small arrays are plain JS arrays');
    const big = wasm.alloc('float32', 16 << 20);
    assert.ok(heap.contains(a) && heap.contains(big) && heap.contains(a.subarray(10, 20)));
    assert.equal(heap.sizeBytes, before);
    wasm.release(big);
    assert.ok(a.every((x) => x === 3));
  });

  test('shared memory (threads): views survive memory growth', async () => {
    const two = createWasmBackend({ threads: 2 });
    assert.ok(two);
    const heap = two.engine.heap;
    assert.equal(heap.shared, true);
    const a = two.alloc('float32', 2000) as Float32Array;
    a.fill(3);
    const before = heap.sizeBytes;
    const big = two.alloc('float32', before / 4 + 1000); // forces the memory to grow
    assert.ok(heap.sizeBytes > before, 'memory grew');
    assert.equal(a.length, 2000);
    assert.ok(
      a.every((x) => x === 3),
      'old view still reads its data',
    );
    assert.ok(
      (big as Float32Array).every((x) => x === 0),
      'new block zeroed (bulk fill)',
    );
    assert.ok(heap.contains(a) && heap.contains(big));
    two.release(big);
  });

  test('past the soft cap, alloc hands out plain arrays (still accepted by every kernel)', () => {
    const heap = wasm.engine.heap;
    const cap = heap.softCapBytes;
    heap.softCapBytes = heap.trackedBytes; // nothing more fits
    try {
      const a = wasm.alloc('float32', 4096) as Float32Array;
      assert.equal(heap.contains(a), false);
      const C = wasm.alloc('float32', 4) as Float32Array;
      wasm.gemm(
        false,
        false,
        2,
        2,
        2,
        1,
        Float32Array.from([1, 2, 3, 4]),
        0,
        2,
        Float32Array.from([1, 0, 0, 1]),
        0,
        2,
        0,
        C,
        0,
        2,
      );
      assert.deepEqual(Array.from(C), [1, 2, 3, 4]);
    } finally {
      heap.softCapBytes = cap;
    }
  });

  test('released blocks are reused and handed out zeroed', () => {
    const a = wasm.alloc('float32', 4096) as Float32Array;
    assert.ok(wasm.engine.heap.contains(a));
    a.fill(7);
    const addr = a.byteOffset;
    wasm.release(a);
    const b = wasm.alloc('float32', 4096) as Float32Array;
    assert.equal(b.byteOffset, addr);
    assert.ok(b.every((x) => x === 0));
  });

  test('never-written memory is handed out without a fill; memory written before is zeroed', () => {
    // A small heap of its own, so that freed blocks are merged and the top lowered (the path
    // where a block below the high-water mark of handed-out memory comes from the top again).
    const heap = new WasmHeap({ shared: false, base: 65536, fixedBytes: 4 << 20 });
    const first = heap.allocF32(600_000); // 2.4 MB, fresh: zero without a fill
    assert.ok(first.every((x) => x === 0));
    first.fill(9);
    heap.release(first);
    const other = heap.allocF32(700_000); // does not fit beside it: bins merged, top lowered
    assert.equal(other.byteOffset, first.byteOffset, 'the merged block is reused from the top');
    assert.ok(
      other.every((x) => x === 0),
      'memory written before is zero-filled',
    );
  });

  test('results do not depend on the thread count (bit-identical)', async () => {
    const two = createWasmBackend({ threads: 2 });
    assert.ok(two && two.engine.pool, 'a 2-thread pool starts');
    assert.ok(await two.engine.pool.whenReady(), 'workers came up');
    const cases: [boolean, boolean, number, number, number][] = [
      [false, true, 128, 512, 128], // DOT path
      [false, false, 64, 256, 512], // DIRECT path
      [true, false, 512, 128, 257], // PACKED, split by rows
      [false, true, 600, 77, 200],
      [false, false, 200, 301, 150],
      [false, true, 20, 1000, 500], // split by columns
      [false, true, 1, 20001, 512], // matrix-vector, split by columns
    ];
    const before = two.engine.pool.splitCount;
    for (const [tA, tB, M, N, K] of cases) {
      const A = rand(M * K),
        B = rand(K * N);
      const lda = tA ? M : K,
        ldb = tB ? K : N;
      const C1 = rand(M * N),
        C2 = twin(C1);
      wasm.gemm(tA, tB, M, N, K, 1, A, 0, lda, B, 0, ldb, 1, C1, 0, N);
      two.gemm(tA, tB, M, N, K, 1, A, 0, lda, B, 0, ldb, 1, C2, 0, N);
      const d = maxAbsDiff(C1, C2);
      console.log(`threads 1 vs 2, ${M}x${N}x${K} tA=${tA} tB=${tB}: max abs diff ${d}`);
      assert.equal(d, 0);
    }
    assert.equal(two.engine.pool.splitCount - before, cases.length, 'every case was split across threads');
  });

  test('the backend reports what it runs', () => {
    console.log(`backend: ${wasm.description}`);
    assert.match(wasm.description, /wasm (simd128|relaxed-simd)/);
    const be: Backend = wasm;
    assert.equal(be.name, 'wasm');
  });
});
