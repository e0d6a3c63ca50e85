/**
 * Parity with PyTorch 1.13 (fixture from scripts/fixtures_optim.py): every optimizer for 5
 * steps, with and without clip_grad_norm_ before each step, in float64 (1e-10) and float32
 * (1e-5 against the float64 trajectory); LR schedules; gradient clipping.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packParameters, type Parameter } from '../src/nn/module.js';
import { getBackend, setBackend } from '../src/tensor/current-backend.js';
import type { DType } from '../src/tensor/tensor.js';
import { createWasmBackend } from '../src/tensor/wasm-backend.js';
import {
  applySchedule,
  clipGradNorm,
  clipGradValue,
  createOptimizer,
  gradNorm,
  type OptimizerKind,
  paramNorm,
  scheduleFromJSON,
  withWarmup,
  CosineAnnealingLR,
  ExponentialLR,
  LinearWarmup,
  StepLR,
} from '../src/optim/index.js';
import { fixture, makeParams, maxDiff, maxDiffArrays, setGrads, type OptimCase } from './optim-helpers.js';

const TOL: Record<DType, number> = { float64: 1e-10, float32: 1e-5 };

/** Run one fixture case; returns the max abs diff over all steps (values, norms and lrs). */
function runCase(c: OptimCase, dtype: DType, packed: boolean): number {
  const params = makeParams(dtype);
  if (packed) packParameters(params);
  const opt = createOptimizer(c.kind as OptimizerKind, params, c.options as never);
  const schedule = c.schedule === undefined ? null : scheduleFromJSON(c.schedule);
  const baseLr = c.options.lr as number;
  let worst = 0;
  for (let k = 0; k < fixture.steps; k++) {
    setGrads(params, fixture.grads[k]);
    if (c.clipMaxNorm !== null) {
      const norm = clipGradNorm(params, c.clipMaxNorm);
      worst = Math.max(worst, Math.abs(norm - c.norms[k]) / Math.max(1, c.norms[k]));
    }
    if (schedule) applySchedule(opt, schedule, baseLr);
    worst = Math.max(worst, Math.abs(opt.lr - c.lrs[k]));
    opt.step();
    worst = Math.max(worst, maxDiff(params, c.trajectory[k]));
  }
  assert.equal(opt.stepCount, fixture.steps);
  return worst;
}

for (const dtype of ['float64', 'float32'] as const) {
  test(`optimizers match PyTorch ${fixture.torch} (${dtype}, tol ${TOL[dtype]})`, async (t) => {
    for (const c of fixture.cases) {
      await t.test(c.name, (tc) => {
        const diff = runCase(c, dtype, false);
        tc.diagnostic(`${dtype} ${c.kind} ${c.name}: max abs diff ${diff.toExponential(2)}`);
        assert.ok(diff <= TOL[dtype], `${c.name}: max abs diff ${diff} > ${TOL[dtype]}`);
      });
    }
  });
}

test('packed parameters (one flat loop) give bit-identical steps to per-parameter loops', (t) => {
  let cases = 0;
  for (const c of fixture.cases) {
    for (const dtype of ['float64', 'float32'] as const) {
      const a = makeParams(dtype);
      const b = makeParams(dtype);
      packParameters(b);
      const oa = createOptimizer(c.kind as OptimizerKind, a, c.options as never);
      const ob = createOptimizer(c.kind as OptimizerKind, b, c.options as never);
      for (let k = 0; k < fixture.steps; k++) {
        setGrads(a, fixture.grads[k]);
        setGrads(b, fixture.grads[k]);
        oa.step();
        ob.step();
      }
      a.forEach((p, i) => assert.deepEqual(b[i].value.data, p.value.data, `${c.name} ${dtype} param ${i}`));
      assert.ok(runCase(c, dtype, true) <= TOL[dtype]);
      cases++;
    }
  }
  t.diagnostic(`${cases} case/dtype pairs identical`);
});

test('the WASM backend (fused optimizer kernels) matches PyTorch and is bit-identical to the JS loops', (t) => {
  // Node 20 (the supported runtime) has WASM SIMD: a missing backend is a failure, not a skip.
  const wasm = createWasmBackend();
  assert.ok(wasm !== null, 'the WASM backend (SIMD128) must load in this runtime');
  /** Every case's float32 trajectory on the active backend: packed, then per parameter. */
  const trajectories = (): { values: Float32Array[]; worst: number } => {
    const values: Float32Array[] = [];
    let worst = 0;
    for (const c of fixture.cases) {
      for (const packed of [true, false]) {
        worst = Math.max(worst, runCase(c, 'float32', packed));
        const params: Parameter[] = makeParams('float32');
        if (packed) packParameters(params);
        const opt = createOptimizer(c.kind as OptimizerKind, params, c.options as never);
        for (let k = 0; k < fixture.steps; k++) {
          setGrads(params, fixture.grads[k]);
          if (c.clipMaxNorm !== null) clipGradNorm(params, c.clipMaxNorm);
          opt.step();
        }
        for (const p of params) values.push(Float32Array.from(p.value.data));
      }
    }
    return { values, worst };
  };
  const js = trajectories();
  const previous = getBackend();
  setBackend(wasm);
  let fused: { values: Float32Array[]; worst: number };
  try {
    fused = trajectories();
  } finally {
    setBackend(previous);
  }
  t.diagnostic(`wasm float32: max abs diff to PyTorch ${fused.worst.toExponential(2)}`);
  assert.ok(fused.worst <= TOL.float32, `max abs diff ${fused.worst} > ${TOL.float32}`);
  assert.equal(fused.values.length, js.values.length);
  fused.values.forEach((v, i) => assert.deepEqual(v, js.values[i], `parameter array ${i}`));
});

test('LR schedules match PyTorch StepLR / ExponentialLR / CosineAnnealingLR / LinearLR+SequentialLR', (t) => {
  for (const s of fixture.schedules) {
    const sched = scheduleFromJSON(s.json);
    assert.deepEqual(sched.toJSON(), s.json, `${s.name}: toJSON round trip`);
    assert.deepEqual(scheduleFromJSON(JSON.parse(JSON.stringify(sched))).toJSON(), s.json);
    let worst = 0;
    s.lrs.forEach((lr, k) => {
      worst = Math.max(worst, Math.abs(sched.lrAt(k, 0.1) - lr));
    });
    t.diagnostic(`${s.name}: ${s.lrs.length} steps, max abs diff ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-15, `${s.name}: ${worst}`);
  }
});

test('schedule closed forms and warm-up composition', () => {
  const step = new StepLR({ stepSize: 1000, gamma: 0.5 });
  assert.equal(step.lrAt(2500, 0.1), 0.025);
  assert.equal(step.lrAt(999, 0.1), 0.1);
  assert.equal(new ExponentialLR({ gamma: 0.5 }).lrAt(3, 1), 0.125);
  const cos = new CosineAnnealingLR({ tMax: 100, etaMin: 0.01 });
  assert.equal(cos.lrAt(0, 1), 1);
  assert.ok(Math.abs(cos.lrAt(50, 1) - 0.505) < 1e-15);
  assert.ok(Math.abs(cos.lrAt(100, 1) - 0.01) < 1e-15);
  const w = new LinearWarmup({ warmupSteps: 4, then: new ExponentialLR({ gamma: 0.9 }) });
  const got = [0, 1, 2, 3, 4, 5].map((k) => w.lrAt(k, 1));
  [0.25, 0.5, 0.75, 1, 1, 0.9].forEach((e, k) =>
    assert.ok(Math.abs(got[k] - e) < 1e-15, `step ${k}: ${got[k]}`),
  );
  assert.deepEqual(new LinearWarmup({ warmupSteps: 3 }).toJSON(), {
    kind: 'warmup',
    warmupSteps: 3,
    then: { kind: 'constant' },
  });
  const none = withWarmup(cos, 0);
  assert.equal(none.lrAt(50, 1), cos.lrAt(50, 1));
});

test('clipGradNorm / clipGradValue match torch.nn.utils.clip_grad_norm_ / clip_grad_value_', (t) => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const c of fixture.clips.cases) {
      const params = makeParams(dtype);
      setGrads(params, fixture.clips.grads);
      let returned: number | null = null;
      if (c.fn === 'norm') {
        returned = clipGradNorm(params, c.maxNorm!, c.normType === 'inf' ? Infinity : c.normType);
      } else {
        clipGradValue(params, c.clipValue!);
      }
      const gradDiff = maxDiffArrays(
        params.map((p) => p.grad.data),
        c.grads,
      );
      const normDiff = returned === null ? 0 : Math.abs(returned - c.returned!) / Math.max(1, c.returned!);
      t.diagnostic(
        `${dtype} clip ${c.name}: grads max abs diff ${gradDiff.toExponential(2)}, norm rel diff ${normDiff.toExponential(2)}`,
      );
      const tol = dtype === 'float64' ? 1e-12 : 1e-6;
      assert.ok(gradDiff <= tol, `${c.name} grads: ${gradDiff}`);
      assert.ok(normDiff <= tol, `${c.name} norm: ${normDiff}`);
    }
  }
});

test('clipGradNorm leaves the clipped global norm just under maxNorm; gradNorm / paramNorm', (t) => {
  const params = makeParams('float64');
  setGrads(params, fixture.clips.grads);
  const before = gradNorm(params);
  const returned = clipGradNorm(params, 0.5);
  assert.equal(returned, before);
  const after = gradNorm(params);
  assert.ok(after < 0.5 && after > 0.5 - 1e-5, `after clipping: ${after}`);
  const pn = paramNorm(params);
  t.diagnostic(`grad norm ${before} -> ${after}; param norm ${pn} vs torch ${fixture.initParamNorm}`);
  assert.ok(Math.abs(pn - fixture.initParamNorm) < 1e-12);
  assert.equal(
    gradNorm(params, Infinity),
    Math.max(...params.flatMap((p) => Array.from(p.grad.data, Math.abs))),
  );
});

test('non-finite gradients: clipGradNorm returns the NaN/Infinity norm and leaves grads alone', () => {
  const params = makeParams('float64');
  setGrads(params, fixture.clips.grads);
  params[1].grad.data[2] = NaN;
  const copy = params.map((p) => Array.from(p.grad.data));
  assert.ok(Number.isNaN(clipGradNorm(params, 0.1)));
  assert.ok(Number.isNaN(clipGradNorm(params, 0.1, Infinity)));
  params.forEach((p, i) => assert.deepEqual(Array.from(p.grad.data), copy[i]));
  params[1].grad.data[2] = Infinity;
  assert.equal(clipGradNorm(params, 0.1), Infinity);
  assert.equal(params[0].grad.data[0], copy[0][0]);
  params[1].grad.data[2] = NaN;
  clipGradValue(params, 0.01);
  assert.ok(Number.isNaN(params[1].grad.data[2]));
  assert.ok(params[0].grad.data.every((x) => Math.abs(x) <= 0.01));
});
