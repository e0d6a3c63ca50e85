// The mixture density output layer (Graves 2013 eqs. 18-37): analytic gradients against
// finite differences, and the loss and gradient against an independent PyTorch computation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  mdnLoss,
  mdnOutputSize,
  mdnComponents,
  mixtureAt,
  mixtureDensity,
  sampleMixture,
} from '../src/wings/handwriting/mdn.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { fdMaxDiff, maxAbsDiff } from './helpers/gradcheck.js';

function randomCase(M: number, N: number, seed: number): { y: Tensor; x: Tensor } {
  const rng = new Rng(seed);
  const K = 1 + 6 * M;
  const y = Tensor.zeros([N, K], 'float64');
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      let v = rng.normal();
      if (k >= 1 + 3 * M && k < 1 + 5 * M) v = 0.5 * v - 0.3; // log sigma
      y.data[n * K + k] = v;
    }
  }
  const x = Tensor.zeros([N, 3], 'float64');
  for (let n = 0; n < N; n++) {
    x.data[n * 3] = rng.normal();
    x.data[n * 3 + 1] = rng.normal();
    x.data[n * 3 + 2] = rng.uniform() < 0.3 ? 1 : 0;
  }
  return { y, x };
}

describe('MDN output layer: gradients by finite differences (float64)', () => {
  const cases = [
    { name: 'M=1 N=1', M: 1, N: 1 },
    { name: 'M=3 N=4', M: 3, N: 4 },
    { name: 'M=20 N=3 (121 outputs)', M: 20, N: 3 },
    { name: 'M=2 N=5 masked', M: 2, N: 5, mask: [1, 0, 1, 1, 0] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { y, x } = randomCase(c.M, c.N, 7 + c.M);
      const r = mdnLoss(y, x, { M: c.M, mask: c.mask });
      const diff = fdMaxDiff(
        () => mdnLoss(y, x, { M: c.M, mask: c.mask, grad: false }).nll,
        y.data,
        r.grad!.data,
      );
      console.log(
        `  ${c.name}: loss ${r.nll.toFixed(6)}, max |analytic − numeric| = ${diff.toExponential(2)}`,
      );
      assert.ok(diff < 1e-6, `max diff ${diff}`);
      if (c.mask) {
        const K = 1 + 6 * c.M;
        for (let n = 0; n < c.N; n++) {
          if (c.mask[n] === 0) for (let k = 0; k < K; k++) assert.equal(r.grad!.data[n * K + k], 0);
        }
        assert.equal(
          r.count,
          c.mask.reduce((a, b) => a + b, 0),
        );
      }
    });
  }

  test('eq. 27 ∂L/∂ê = x₃ − e and eq. 30 ∂L/∂π̂ = π − γ sum to zero over j', () => {
    const M = 4;
    const { y, x } = randomCase(M, 3, 99);
    const r = mdnLoss(y, x, { M });
    const K = 1 + 6 * M;
    for (let n = 0; n < 3; n++) {
      const e = 1 / (1 + Math.exp(y.data[n * K]));
      assert.ok(Math.abs(r.grad!.data[n * K] - (x.data[n * 3 + 2] - e)) < 1e-12);
      let s = 0;
      for (let j = 0; j < M; j++) s += r.grad!.data[n * K + 1 + j];
      assert.ok(Math.abs(s) < 1e-12, `Σ_j (π_j − γ_j) = ${s}`);
    }
  });

  test('scale and output-derivative clipping to [−clip, clip]', () => {
    const M = 2;
    const { y, x } = randomCase(M, 3, 5);
    const K = 1 + 6 * M;
    // A tiny sigma makes ∂L/∂μ̂ huge: clipping must bound it.
    y.data[1 + 3 * M] = -9;
    x.data[0] = y.data[1 + M] + 1.5 * Math.exp(-9);
    const raw = mdnLoss(y, x, { M });
    const big = Math.max(...Array.from(raw.grad!.data, Math.abs));
    assert.ok(big > 100, `expected an unclipped derivative > 100, got ${big}`);
    const r = mdnLoss(y, x, { M, clip: 100, scale: 0.5 });
    assert.ok(r.clipped > 0);
    for (let i = 0; i < 3 * K; i++) {
      const c = Math.max(-100, Math.min(100, raw.grad!.data[i])) * 0.5;
      assert.ok(Math.abs(r.grad!.data[i] - c) < 1e-12);
    }
  });

  test('the loss stays finite at extreme outputs (log-sum-exp, clamps)', () => {
    const M = 3;
    const { y, x } = randomCase(M, 2, 11);
    const K = 1 + 6 * M;
    y.data[0] = 800; // e → 0 with x₃ maybe 1
    for (let j = 0; j < M; j++) {
      y.data[1 + j] = j === 0 ? 900 : -900; // saturated softmax
      y.data[1 + 3 * M + j] = -50; // σ → clamp
      y.data[1 + 5 * M + j] = 40; // ρ → clamp
      y.data[K + 1 + M + j] = 1e3; // far mean
    }
    const r = mdnLoss(y, x, { M });
    assert.ok(Number.isFinite(r.nll), `nll ${r.nll}`);
    for (const v of r.grad!.data) assert.ok(Number.isFinite(v));
  });

  test('sizes and errors', () => {
    assert.equal(mdnOutputSize(20), 121);
    assert.equal(mdnComponents(121), 20);
    assert.throws(() => mdnComponents(120), /1 \+ 6M/);
    const { y, x } = randomCase(2, 3, 1);
    assert.throws(() => mdnLoss(y, x, { M: 3 }), /yhat must be \[\.\.\., 19\] for M = 3, got \[3, 13\]/);
    assert.throws(() => mdnLoss(y, x, { M: 2, mask: [1] }), /mask must have 3 entries/);
  });
});

interface Fixture {
  name: string;
  M: number;
  N: number;
  yhat: number[];
  target: number[];
  mask: number[] | null;
  loss: number;
  rowLoss: number[];
  grad: number[];
  bias: number;
  piBiased: number[];
  sigma1Biased: number[];
  sigma2Biased: number[];
}

describe('MDN loss against an independent PyTorch computation (test/fixtures/mdn.json)', () => {
  const fx = JSON.parse(readFileSync(new URL('./fixtures/mdn.json', import.meta.url), 'utf8')) as {
    torch: string;
    cases: Fixture[];
  };
  for (const c of fx.cases) {
    test(c.name, () => {
      const K = 1 + 6 * c.M;
      for (const dtype of ['float64', 'float32'] as const) {
        const y = Tensor.fromArray(c.yhat, [c.N, K], dtype);
        const x = Tensor.fromArray(c.target, [c.N, 3], dtype);
        const r = mdnLoss(y, x, { M: c.M, mask: c.mask ?? undefined });
        const dLoss = Math.abs(r.nll - c.loss);
        const dRows = maxAbsDiff(r.rowLoss, c.rowLoss);
        const dGrad = maxAbsDiff(r.grad!.data, c.grad);
        console.log(
          `  ${dtype}: |Δloss| ${dLoss.toExponential(2)}, rows ${dRows.toExponential(2)}, grad ${dGrad.toExponential(2)}`,
        );
        const tol = dtype === 'float64' ? 1e-9 : 1e-4;
        assert.ok(dLoss < tol * Math.max(1, Math.abs(c.loss)), `loss ${r.nll} vs torch ${c.loss}`);
        assert.ok(dRows < tol * 10, `row losses differ by ${dRows}`);
        assert.ok(dGrad < (dtype === 'float64' ? 1e-9 : 1e-3), `gradients differ by ${dGrad}`);
      }
      const mix = mixtureAt(c.yhat, 0, c.M, { bias: c.bias });
      const dPi = maxAbsDiff(mix.pi, c.piBiased);
      const dS = Math.max(maxAbsDiff(mix.sigma1, c.sigma1Biased), maxAbsDiff(mix.sigma2, c.sigma2Biased));
      console.log(
        `  sampling bias b=${c.bias} (eqs. 61-62): π ${dPi.toExponential(2)}, σ ${dS.toExponential(2)}`,
      );
      assert.ok(dPi < 1e-12 && dS < 1e-12);
    });
  }
});

describe('mixture utilities', () => {
  test('mixtureDensity integrates to ~1 and sampleMixture matches the mixture moments', () => {
    const M = 2;
    const y = new Float64Array(1 + 6 * M);
    y.set([
      0.5,
      0.3,
      -0.2,
      0.4,
      -1.0,
      0.1,
      0.6,
      Math.log(0.5),
      Math.log(0.3),
      Math.log(0.4),
      Math.log(0.6),
      0.5,
      -0.8,
    ]);
    const mix = mixtureAt(y, 0, M);
    let integral = 0;
    const h = 0.02;
    for (let a = -5; a < 5; a += h)
      for (let b = -5; b < 5; b += h) integral += mixtureDensity(mix, a + h / 2, b + h / 2) * h * h;
    console.log(`  ∫ density ≈ ${integral.toFixed(5)}`);
    assert.ok(Math.abs(integral - 1) < 1e-3);
    const rng = new Rng(3);
    const n = 20000;
    let m1 = 0;
    let m2 = 0;
    let eos = 0;
    for (let i = 0; i < n; i++) {
      const [a, b, c] = sampleMixture(mix, rng);
      m1 += a;
      m2 += b;
      eos += c;
    }
    const e1 = mix.pi[0] * mix.mu1[0] + mix.pi[1] * mix.mu1[1];
    const e2 = mix.pi[0] * mix.mu2[0] + mix.pi[1] * mix.mu2[1];
    console.log(
      `  sample mean (${(m1 / n).toFixed(3)}, ${(m2 / n).toFixed(3)}) vs (${e1.toFixed(3)}, ${e2.toFixed(3)}); eos ${(eos / n).toFixed(3)} vs e ${mix.e.toFixed(3)}`,
    );
    assert.ok(Math.abs(m1 / n - e1) < 0.02 && Math.abs(m2 / n - e2) < 0.02);
    assert.ok(Math.abs(eos / n - mix.e) < 0.015);
  });
});
