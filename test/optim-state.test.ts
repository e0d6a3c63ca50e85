/**
 * state() / loadState(): a saved optimizer, restored into a fresh one (fresh parameters with
 * the same values), takes bit-identical next steps. Also: the state is a deep copy, survives
 * a JSON round trip (buffers as number arrays), and `optimizerFromState` rebuilds it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Parameter } from '../src/nn/module.js';
import {
  createOptimizer,
  type Optimizer,
  type OptimizerKind,
  type OptimizerState,
  optimizerFromState,
  OPTIMIZER_KINDS,
} from '../src/optim/index.js';
import { fixture, makeParams, setGrads } from './optim-helpers.js';

/** Options that switch on every buffer each kind can have. */
const FULL_OPTIONS: Record<OptimizerKind, object> = {
  sgd: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  adagrad: { lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.1 },
  rmsprop: { lr: 0.01, momentum: 0.9, centered: true },
  'graves-rmsprop': { lr: 1e-2 },
  adam: { lr: 0.01, amsgrad: true, weightDecay: 0.1 },
  adamw: { lr: 0.01, amsgrad: true },
};

function values(params: Parameter[]): number[][] {
  return params.map((p) => Array.from(p.value.data));
}

/** Steps 0..1 on `a`, then save; steps 2..4 on `a` and on `b` restored from the save. */
function resumeMatches(
  kind: OptimizerKind,
  restore: (params: Parameter[], saved: OptimizerState) => Optimizer,
) {
  const a = makeParams('float64');
  const oa = createOptimizer(kind, a, FULL_OPTIONS[kind] as never);
  for (let k = 0; k < 2; k++) {
    setGrads(a, fixture.grads[k]);
    oa.step();
  }
  oa.lr = oa.lr * 0.5; // a schedule changed it: the state must carry it
  const saved = oa.state();
  const b = makeParams('float64', values(a));
  const ob = restore(b, saved);
  assert.equal(ob.stepCount, 2);
  assert.equal(ob.lr, oa.lr);
  for (let k = 2; k < fixture.steps; k++) {
    setGrads(a, fixture.grads[k]);
    setGrads(b, fixture.grads[k]);
    oa.step();
    ob.step();
  }
  a.forEach((p, i) => assert.deepEqual(b[i].value.data, p.value.data, `${kind}: param ${i} after resume`));
  assert.deepEqual(ob.state(), oa.state());
  return saved;
}

test('loadState into a fresh optimizer gives identical next steps, for every kind', (t) => {
  for (const kind of OPTIMIZER_KINDS) {
    const saved = resumeMatches(kind, (params, s) => {
      // Constructed with different options on purpose: the state's options win.
      const o = createOptimizer(kind, params, { lr: 0.5 } as never);
      assert.throws(() => o.loadState({ ...s, buffers: {} }), /missing buffer/);
      o.loadState(s);
      return o;
    });
    t.diagnostic(
      `${kind}: step ${saved.step}, lr ${saved.lr}, buffers ${Object.keys(saved.buffers).join(' ')}`,
    );
    const slots = new Set(Object.keys(saved.buffers).map((k) => k.split('.')[0]));
    assert.equal(Object.keys(saved.buffers).length, slots.size * fixture.shapes.length);
  }
});

test('a state survives JSON (buffers as number arrays) and optimizerFromState rebuilds it', () => {
  for (const kind of OPTIMIZER_KINDS) {
    resumeMatches(kind, (params, s) => {
      const json = JSON.parse(
        JSON.stringify({
          ...s,
          buffers: Object.fromEntries(Object.entries(s.buffers).map(([k, v]) => [k, Array.from(v)])),
        }),
      ) as OptimizerState;
      return optimizerFromState(params, json);
    });
  }
});

test('state() is a deep copy: later steps do not change a saved state', () => {
  const params = makeParams('float32');
  const opt = createOptimizer('adam', params, { lr: 0.01 });
  setGrads(params, fixture.grads[0]);
  opt.step();
  const saved = opt.state();
  const before = Array.from(saved.buffers['exp_avg.0']);
  opt.step();
  assert.deepEqual(Array.from(saved.buffers['exp_avg.0']), before);
  assert.equal(saved.step, 1);
  assert.deepEqual(saved.paramSizes, [15, 7, 4]);
  assert.deepEqual(saved.options, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
  assert.ok(saved.buffers['exp_avg_sq.2'] instanceof Float32Array);
});

test('loadState refuses a state of another kind, shape or size, changing nothing', () => {
  const params = makeParams('float64');
  const opt = createOptimizer('adam', params, { lr: 0.01 });
  setGrads(params, fixture.grads[0]);
  opt.step();
  const good = opt.state();
  const sgd = createOptimizer('sgd', makeParams('float64'), { lr: 0.1, momentum: 0.9 }).state();
  assert.throws(() => opt.loadState(sgd), /Adam\.loadState: expected a state of kind "adam", got "sgd"/);
  assert.throws(
    () => opt.loadState({ ...good, paramSizes: [15, 7] }),
    /Adam\.loadState: expected a state for 3 parameters, got one for 2/,
  );
  assert.throws(
    () => opt.loadState({ ...good, paramSizes: [15, 8, 4] }),
    /parameter 1 \(p1, \[7\]\) has 7 elements, the state has 8/,
  );
  assert.throws(
    () => opt.loadState({ ...good, buffers: { ...good.buffers, 'exp_avg.1': new Float64Array(5) } }),
    /buffer "exp_avg\.1" must have 7 elements \(parameter 1, p1 \[7\]\), got 5/,
  );
  assert.throws(
    () => opt.loadState({ ...good, buffers: { ...good.buffers, 'exp_avg.3': new Float64Array(7) } }),
    /buffer "exp_avg\.3" is for parameter 3, but this optimizer has 3 parameters/,
  );
  assert.throws(
    () => opt.loadState({ ...good, buffers: { ...good.buffers, 'momentum_buffer.0': new Float64Array(15) } }),
    /unexpected buffer "momentum_buffer\.0"; expected <slot>\.<index> with slot one of exp_avg, exp_avg_sq/,
  );
  const { ['exp_avg_sq.2']: _dropped, ...missing } = good.buffers;
  assert.throws(() => opt.loadState({ ...good, buffers: missing }), /missing buffer "exp_avg_sq\.2"/);
  // Options that need another buffer (amsgrad) without it: refused.
  assert.throws(
    () => opt.loadState({ ...good, options: { ...good.options, amsgrad: true } }),
    /missing buffer "max_exp_avg_sq\.0"/,
  );
  assert.throws(
    () => opt.loadState({ ...good, step: 1.5 }),
    /Adam\.loadState: step must be an integer >= 0, got 1\.5/,
  );
  assert.throws(
    () => opt.loadState({ ...good, lr: -1 }),
    /Adam\.loadState: lr must be a number >= 0, got -1/,
  );
  assert.throws(
    () => opt.loadState({ ...good, options: { ...good.options, beta1: 0.9 } }),
    /unknown option "beta1"/,
  );
  // Nothing changed by the refused loads.
  assert.deepEqual(opt.state(), good);
});
