// Tier 1 for the memory wing: float64 central differences against every NTM and DNC memory
// operation's backward, then against the whole cell unrolled over several steps (odd sizes,
// several heads). Each check prints its max abs difference.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import {
  contentBackward,
  contentForward,
  interpolateBackward,
  interpolateForward,
  readBackward,
  readForward,
  sharpenBackward,
  sharpenForward,
  shiftBackward,
  shiftForward,
  writeBackward,
  writeForward,
} from '../src/wings/memory/addressing.js';
import {
  allocationBackward,
  allocationForward,
  linkBackward,
  linkForward,
  linkReadBackward,
  linkReadForward,
  readModeBackward,
  readModeForward,
  retentionBackward,
  retentionForward,
  usageBackward,
  usageForward,
  writeWeightingBackward,
  writeWeightingForward,
} from '../src/wings/memory/dnc-ops.js';
import { DNC } from '../src/wings/memory/dnc.js';
import { NTM } from '../src/wings/memory/ntm.js';
import { backendsUnderTest } from './helpers/backends.js';
import { dot, fdMaxDiff } from './helpers/gradcheck.js';

const TOL = 1e-7;
const rng = new Rng(15);
const rand = (n: number, lo = -1, hi = 1): Float64Array =>
  Float64Array.from({ length: n }, () => rng.uniformRange(lo, hi));
/** A random distribution over n slots (strictly positive). */
const simplex = (n: number): Float64Array => {
  const a = rand(n, 0.05, 1);
  const s = a.reduce((x, y) => x + y, 0);
  return a.map((v) => v / s);
};
const scalarBox = (v: number): Float64Array => Float64Array.of(v);

function report(name: string, diff: number): void {
  console.log(`  ${name}: max |analytic − numeric| = ${diff.toExponential(2)}`);
  assert.ok(diff < TOL, `${name}: ${diff} ≥ ${TOL}`);
}

const N = 7;
const M = 5;

describe('NTM operations (Graves et al. 2014 eqs. 2–9), float64 finite differences', () => {
  test('content addressing, eqs. 5–6', () => {
    const mem = rand(N * M);
    const key = rand(M);
    const beta = scalarBox(1.7);
    const proj = rand(N);
    const loss = (): number => dot(contentForward(mem, N, M, key, beta[0]).w, proj);
    const c = contentForward(mem, N, M, key, beta[0]);
    const dMem = new Float64Array(N * M);
    const dKey = new Float64Array(M);
    const dBeta = contentBackward(c, proj, dMem, dKey);
    report('∂/∂M', fdMaxDiff(loss, mem, dMem));
    report('∂/∂k', fdMaxDiff(loss, key, dKey));
    report('∂/∂β', fdMaxDiff(loss, beta, [dBeta]));
  });

  test('interpolation, eq. 7', () => {
    const wc = simplex(N);
    const wp = simplex(N);
    const g = scalarBox(0.3);
    const proj = rand(N);
    const loss = (): number => dot(interpolateForward(wc, wp, g[0]), proj);
    const dWc = new Float64Array(N);
    const dWp = new Float64Array(N);
    const dg = interpolateBackward(wc, wp, g[0], proj, dWc, dWp);
    report('∂/∂w_c', fdMaxDiff(loss, wc, dWc));
    report('∂/∂w_{t−1}', fdMaxDiff(loss, wp, dWp));
    report('∂/∂g', fdMaxDiff(loss, g, [dg]));
  });

  test('circular shift, eq. 8 (shift range 2: five shifts)', () => {
    const wg = simplex(N);
    const s = simplex(5);
    const proj = rand(N);
    const loss = (): number => dot(shiftForward(wg, s), proj);
    const dWg = new Float64Array(N);
    const dS = new Float64Array(5);
    shiftBackward(wg, s, proj, dWg, dS);
    report('∂/∂w_g', fdMaxDiff(loss, wg, dWg));
    report('∂/∂s', fdMaxDiff(loss, s, dS));
  });

  test('sharpening, eq. 9', () => {
    const wt = simplex(N);
    const gamma = scalarBox(2.3);
    const proj = rand(N);
    const loss = (): number => dot(sharpenForward(wt, gamma[0]).w, proj);
    const dWt = new Float64Array(N);
    const dGamma = sharpenBackward(sharpenForward(wt, gamma[0]), proj, dWt);
    report('∂/∂w̃', fdMaxDiff(loss, wt, dWt));
    report('∂/∂γ', fdMaxDiff(loss, gamma, [dGamma]));
  });

  test('read, eq. 2', () => {
    const mem = rand(N * M);
    const w = simplex(N);
    const proj = rand(M);
    const loss = (): number => dot(readForward(mem, N, M, w), proj);
    const dMem = new Float64Array(N * M);
    const dW = new Float64Array(N);
    readBackward(mem, N, M, w, proj, dMem, dW);
    report('∂/∂M', fdMaxDiff(loss, mem, dMem));
    report('∂/∂w', fdMaxDiff(loss, w, dW));
  });

  test('erase and add write, eqs. 3–4', () => {
    const mem = rand(N * M);
    const w = simplex(N);
    const e = rand(M, 0, 1);
    const a = rand(M);
    const proj = rand(N * M);
    const loss = (): number => dot(writeForward(mem, N, M, w, e, a), proj);
    const dMem = proj.slice();
    const dW = new Float64Array(N);
    const dE = new Float64Array(M);
    const dA = new Float64Array(M);
    writeBackward(mem, N, M, w, e, a, dMem, dW, dE, dA);
    report('∂/∂M_{t−1}', fdMaxDiff(loss, mem, dMem));
    report('∂/∂w', fdMaxDiff(loss, w, dW));
    report('∂/∂e', fdMaxDiff(loss, e, dE));
    report('∂/∂a', fdMaxDiff(loss, a, dA));
  });
});

describe('DNC operations (Graves et al. 2016, Methods), float64 finite differences', () => {
  const R = 3;
  test('retention ψ and usage u', () => {
    const f = rand(R, 0, 1);
    const wr = Float64Array.from({ length: R * N }, () => rng.uniformRange(0, 0.3));
    const up = rand(N, 0, 1);
    const wwp = simplex(N);
    const proj = rand(N);
    const loss = (): number => dot(usageForward(up, wwp, retentionForward(f, wr, N)), proj);
    const psi = retentionForward(f, wr, N);
    const dUp = new Float64Array(N);
    const dWwp = new Float64Array(N);
    const dPsi = new Float64Array(N);
    usageBackward(up, wwp, psi, proj, dUp, dWwp, dPsi);
    const dF = new Float64Array(R);
    const dWr = new Float64Array(R * N);
    retentionBackward(f, wr, N, dPsi, dF, dWr);
    report('∂/∂u_{t−1}', fdMaxDiff(loss, up, dUp));
    report('∂/∂w^w_{t−1}', fdMaxDiff(loss, wwp, dWwp));
    report('∂/∂f (free gates)', fdMaxDiff(loss, f, dF));
    report('∂/∂w^r_{t−1}', fdMaxDiff(loss, wr, dWr));
  });

  test('allocation weighting (sort order held constant)', () => {
    const u = rand(N, 0.05, 0.95); // distinct usages: the order is stable under ±ε
    const proj = rand(N);
    const loss = (): number => dot(allocationForward(u).a, proj);
    const dU = new Float64Array(N);
    allocationBackward(allocationForward(u), proj, dU);
    report('∂/∂u', fdMaxDiff(loss, u, dU));
  });

  test('write weighting', () => {
    const a = simplex(N);
    const cw = simplex(N);
    const gates = Float64Array.of(0.4, 0.8);
    const proj = rand(N);
    const loss = (): number => dot(writeWeightingForward(a, cw, gates[0], gates[1]), proj);
    const dA = new Float64Array(N);
    const dC = new Float64Array(N);
    const dg = writeWeightingBackward(a, cw, gates[0], gates[1], proj, dA, dC);
    report('∂/∂a', fdMaxDiff(loss, a, dA));
    report('∂/∂c^w', fdMaxDiff(loss, cw, dC));
    report('∂/∂(g^a, g^w)', fdMaxDiff(loss, gates, dg));
  });

  test('temporal link matrix L_t and precedence p_t', () => {
    const Lp = rand(N * N, 0, 0.3);
    for (let i = 0; i < N; i++) Lp[i * N + i] = 0;
    const pp = simplex(N).map((v) => v * 0.8);
    const ww = simplex(N).map((v) => v * 0.9);
    const projL = rand(N * N);
    const projP = rand(N);
    const loss = (): number => {
      const { L, p } = linkForward(Lp, pp, ww);
      return dot(L, projL) + dot(p, projP);
    };
    const dLp = new Float64Array(N * N);
    const dPp = new Float64Array(N);
    const dWw = new Float64Array(N);
    linkBackward(Lp, pp, ww, projL, projP, dLp, dPp, dWw);
    report('∂/∂L_{t−1}', fdMaxDiff(loss, Lp, dLp));
    report('∂/∂p_{t−1}', fdMaxDiff(loss, pp, dPp));
    report('∂/∂w^w', fdMaxDiff(loss, ww, dWw));
  });

  test('forward/backward weightings and read modes', () => {
    const L = rand(N * N, 0, 0.5);
    const wPrev = simplex(N);
    const c = simplex(N);
    const pi = simplex(3);
    const proj = rand(N);
    const loss = (): number =>
      dot(
        readModeForward(pi, 0, linkReadForward(L, N, wPrev, true), c, linkReadForward(L, N, wPrev, false)),
        proj,
      );
    const b = linkReadForward(L, N, wPrev, true);
    const f = linkReadForward(L, N, wPrev, false);
    const dPi = new Float64Array(3);
    const dB = new Float64Array(N);
    const dC = new Float64Array(N);
    const dF = new Float64Array(N);
    readModeBackward(pi, 0, b, c, f, proj, dPi, 0, dB, dC, dF);
    const dL = new Float64Array(N * N);
    const dW = new Float64Array(N);
    linkReadBackward(L, N, wPrev, false, dF, dL, dW);
    linkReadBackward(L, N, wPrev, true, dB, dL, dW);
    report('∂/∂π', fdMaxDiff(loss, pi, dPi));
    report('∂/∂c^r', fdMaxDiff(loss, c, dC));
    report('∂/∂L', fdMaxDiff(loss, L, dL));
    report('∂/∂w^r_{t−1}', fdMaxDiff(loss, wPrev, dW));
  });
});

/** Finite differences of Σ logits ∘ proj against every parameter of a model, unrolled over T steps. */
function checkWholeModel(model: NTM | DNC, x: Tensor, label: string): void {
  const probe = model.forward(x);
  const proj = new Tensor(rand(probe.size), probe.shape);
  const loss = (): number => dot(model.forward(x).data, proj.data);
  model.zeroGrad();
  model.forward(x);
  model.backward(proj);
  let worst = 0;
  for (const { name, param } of model.namedParameters()) {
    const d = fdMaxDiff(loss, param.value.data, param.grad.data.slice(), 1e-6);
    console.log(`  ${label} ${name} ${JSON.stringify(param.shape)}: ${d.toExponential(2)}`);
    worst = Math.max(worst, d);
  }
  report(`${label}, all parameters`, worst);
}

describe('whole cells unrolled over several steps, float64 finite differences', () => {
  for (const be of backendsUnderTest()) {
    test(`${be.name} backend: NTM: 2 write heads, 2 read heads, N = 7, M = 5, H = 6, T = 5, B = 2`, () => {
      const ntm = new NTM({
        inputSize: 4,
        outputSize: 3,
        hiddenSize: 6,
        memorySlots: 7,
        memoryWidth: 5,
        readHeads: 2,
        writeHeads: 2,
        dtype: 'float64',
        seed: 3,
      });
      const x = new Tensor(rand(5 * 2 * 4), [5, 2, 4]);
      be.use();
      checkWholeModel(ntm, x, 'NTM');
    });

    test(`${be.name} backend: DNC: 3 read heads, N = 6, W = 5, H = 7, T = 5, B = 2`, () => {
      const dnc = new DNC({
        inputSize: 4,
        outputSize: 3,
        hiddenSize: 7,
        memorySlots: 6,
        memoryWidth: 5,
        readHeads: 3,
        dtype: 'float64',
        seed: 4,
      });
      const x = new Tensor(rand(5 * 2 * 4), [5, 2, 4]);
      be.use();
      checkWholeModel(dnc, x, 'DNC');
    });
  }
});
