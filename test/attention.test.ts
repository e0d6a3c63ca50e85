// Attention and masked pooling: float64 gradient checks, masking, PyTorch parity.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import '../src/index.js';
import { Attention, type AttentionKind } from '../src/nn/attention.js';
import { MaskedPooling, type PoolMode } from '../src/nn/pooling.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { dot, fdMaxDiff, maxAbsDiff, randTensor } from './helpers/gradcheck.js';

const KINDS: AttentionKind[] = ['dot', 'general', 'additive'];

for (const kind of KINDS) {
  test(`attention ${kind}: float64 gradients of query, keys and parameters (masked keys)`, () => {
    const rng = new Rng(7);
    const [Tq, Tk, B, D] = [3, 4, 2, 5];
    const attn = new Attention({ kind, queryDim: D, keyDim: D, attnDim: 3, dtype: 'float64', seed: 3 });
    const q = randTensor([Tq, B, D], rng);
    const k = randTensor([Tk, B, D], rng);
    const lengths = [4, 2];
    const wc = randTensor([Tq, B, D], rng);
    const ww = randTensor([Tq, B, Tk], rng);
    const loss = (): number => {
      const r = attn.forward(q, k, lengths);
      return dot(r.context.data, wc.data) + dot(r.weights.data, ww.data);
    };
    attn.zeroGrad();
    attn.forward(q, k, lengths);
    const { dQuery, dKeys } = attn.backward(wc, ww);
    let worst = 0;
    worst = Math.max(worst, fdMaxDiff(loss, q.data, dQuery.data));
    worst = Math.max(worst, fdMaxDiff(loss, k.data, dKeys.data));
    for (const { name, param } of attn.namedParameters()) {
      const d = fdMaxDiff(loss, param.value.data, Float64Array.from(param.grad.data));
      console.log(`  ${kind} ${name}: max |fd − analytic| = ${d.toExponential(2)}`);
      worst = Math.max(worst, d);
    }
    console.log(`  ${kind}: max abs diff over query/keys/params = ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-7, `max diff ${worst}`);
  });
}

test('attention: padded keys get weight 0 and their values never change the context', () => {
  const rng = new Rng(1);
  for (const kind of KINDS) {
    const attn = new Attention({ kind, queryDim: 4, keyDim: 4, dtype: 'float64' });
    const q = randTensor([2, 2, 4], rng);
    const k = randTensor([5, 2, 4], rng);
    const a = attn.forward(q, k, [5, 3]);
    const ctx = Float64Array.from(a.context.data);
    for (let t = 0; t < 2; t++)
      for (let s = 3; s < 5; s++) assert.equal(a.weights.data[(t * 2 + 1) * 5 + s], 0);
    for (let t = 0; t < 2; t++) {
      let sum = 0;
      for (let s = 0; s < 5; s++) sum += a.weights.data[(t * 2 + 1) * 5 + s];
      assert.ok(Math.abs(sum - 1) < 1e-12);
    }
    // Scribble on the padding of row 1: nothing may change.
    for (let s = 3; s < 5; s++) for (let j = 0; j < 4; j++) k.data[(s * 2 + 1) * 4 + j] = 1e3 * rng.normal();
    const b = attn.forward(q, k, [5, 3]);
    const d = maxAbsDiff(ctx, b.context.data);
    console.log(`  ${kind}: context change from padding = ${d}`);
    assert.equal(d, 0);
  }
});

const POOLS: PoolMode[] = ['last', 'mean', 'max', 'meanmax'];
for (const mode of POOLS) {
  test(`masked pooling ${mode}: float64 gradient check and padding invariance`, () => {
    const rng = new Rng(11);
    const [T, B, F] = [5, 3, 4];
    const pool = new MaskedPooling(mode, 2);
    const x = randTensor([T, B, F], rng);
    const lengths = [5, 1, 3];
    const w = randTensor([B, pool.outFeatures(F)], rng);
    const y0 = Float64Array.from(pool.forward(x, lengths).data);
    const dx = pool.backward(w);
    const diff = fdMaxDiff(() => dot(pool.forward(x, lengths).data, w.data), x.data, dx.data);
    console.log(`  pool ${mode}: max abs diff = ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-8);
    for (let b = 0; b < B; b++)
      for (let t = lengths[b]; t < T; t++)
        for (let j = 0; j < F; j++) {
          assert.equal(dx.data[(t * B + b) * F + j], 0, 'no gradient into padding');
          x.data[(t * B + b) * F + j] = 99;
        }
    assert.equal(maxAbsDiff(y0, pool.forward(x, lengths).data), 0);
  });
}

test('masked pooling last (bidirectional): joins h_f at the end with h_b at the start', () => {
  const x = new Tensor(
    Float64Array.from({ length: 3 * 1 * 4 }, (_, i) => i),
    [3, 1, 4],
  );
  const y = new MaskedPooling('last', 2).forward(x, [2]);
  // t = 1 forward half [4, 5], t = 0 reverse half [2, 3]
  assert.deepEqual(Array.from(y.data), [4, 5, 2, 3]);
});

interface AttnFixture {
  kind: AttentionKind;
  Tq: number;
  Tk: number;
  B: number;
  Dq: number;
  Dk: number;
  A: number;
  lengths: number[];
  query: number[];
  keys: number[];
  dContext: number[];
  params: Record<string, number[]>;
  context: number[];
  weights: number[];
  dQuery: number[];
  dKeys: number[];
  grads: Record<string, number[]>;
}

test('attention matches PyTorch (committed fixtures, float64)', () => {
  const fixtures = JSON.parse(
    readFileSync(new URL('./fixtures/attention.json', import.meta.url), 'utf8'),
  ) as AttnFixture[];
  assert.ok(fixtures.length >= 3);
  for (const f of fixtures) {
    const attn = new Attention({
      kind: f.kind,
      queryDim: f.Dq,
      keyDim: f.Dk,
      attnDim: f.A,
      dtype: 'float64',
    });
    for (const { name, param } of attn.namedParameters()) param.value.data.set(f.params[name]);
    const q = Tensor.fromArray(f.query, [f.Tq, f.B, f.Dq], 'float64');
    const k = Tensor.fromArray(f.keys, [f.Tk, f.B, f.Dk], 'float64');
    attn.zeroGrad();
    const r = attn.forward(q, k, f.lengths);
    const g = attn.backward(Tensor.fromArray(f.dContext, [f.Tq, f.B, f.Dk], 'float64'));
    const diffs: Record<string, number> = {
      context: maxAbsDiff(r.context.data, f.context),
      weights: maxAbsDiff(r.weights.data, f.weights),
      dQuery: maxAbsDiff(g.dQuery.data, f.dQuery),
      dKeys: maxAbsDiff(g.dKeys.data, f.dKeys),
    };
    for (const { name, param } of attn.namedParameters())
      diffs[`grad ${name}`] = maxAbsDiff(param.grad.data, f.grads[name]);
    console.log(
      `  torch ${f.kind}: ${Object.entries(diffs)
        .map(([k2, v]) => `${k2} ${v.toExponential(1)}`)
        .join(', ')}`,
    );
    for (const [k2, v] of Object.entries(diffs)) assert.ok(v < 1e-10, `${f.kind} ${k2}: ${v}`);
  }
});

test('attention: bad shapes and kinds are refused with clear messages', () => {
  assert.throws(() => new Attention({ kind: 'dot', queryDim: 3, keyDim: 4 }), /queryDim = keyDim/);
  assert.throws(
    () => new Attention({ kind: 'cosine' as AttentionKind, queryDim: 3, keyDim: 3 }),
    /kind must be one of/,
  );
  const a = new Attention({ kind: 'dot', queryDim: 3, keyDim: 3 });
  assert.throws(() => a.forward(Tensor.zeros([1, 2, 3]), Tensor.zeros([4, 1, 3])), /keys must be/);
  assert.throws(() => a.forward(Tensor.zeros([1, 2, 3]), Tensor.zeros([4, 2, 3]), [4, 0]), /lengths\[1\]/);
});
