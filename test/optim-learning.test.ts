/**
 * Learning checks: every optimizer fits a small linear regression (Linear 5 → 3, 32 rows,
 * full batch, noise-free targets from a fixed teacher) to a stated MSE within a bounded
 * number of steps, with global-norm clipping and, for Adam, warm-up + cosine decay. Exact
 * trajectories are deterministic (seeded init, fixed data), so the thresholds are stable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Linear } from '../src/nn/linear.js';
import { mseLoss } from '../src/nn/losses.js';
import { packParameters } from '../src/nn/module.js';
import { setBackend } from '../src/tensor/current-backend.js';
import { ReferenceBackend } from '../src/tensor/reference.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import {
  applySchedule,
  clipGradNorm,
  CosineAnnealingLR,
  createOptimizer,
  type OptimizerKind,
  withWarmup,
} from '../src/optim/index.js';

setBackend(new ReferenceBackend());

const N = 32;
const IN = 5;
const OUT = 3;
const STEPS = 300;

function data(): { x: Tensor; y: Float64Array } {
  const rng = new Rng(7);
  const teacher = new Linear({ inFeatures: IN, outFeatures: OUT, dtype: 'float64', seed: 99 });
  const x = Tensor.zeros([N, IN], 'float64');
  for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
  const y = Float64Array.from(teacher.forward(x).data, (v) => 2 * v);
  return { x, y };
}

const RUNS: { kind: OptimizerKind; options: object; maxLoss: number }[] = [
  { kind: 'sgd', options: { lr: 0.1, momentum: 0.9 }, maxLoss: 1e-10 },
  { kind: 'sgd', options: { lr: 0.05, momentum: 0.9, nesterov: true }, maxLoss: 1e-12 },
  { kind: 'adagrad', options: { lr: 0.3 }, maxLoss: 1e-20 },
  { kind: 'rmsprop', options: { lr: 0.01 }, maxLoss: 5e-4 },
  { kind: 'rmsprop', options: { lr: 0.003, centered: true, momentum: 0.9 }, maxLoss: 1e-10 },
  { kind: 'graves-rmsprop', options: { lr: 3e-3 }, maxLoss: 1e-10 },
  { kind: 'adam', options: { lr: 0.05 }, maxLoss: 1e-9 },
  { kind: 'adamw', options: { lr: 0.05, weightDecay: 1e-4 }, maxLoss: 1e-7 },
];

test('every optimizer fits a linear regression to a stated loss (clip 1.0, full batch)', (t) => {
  const { x, y } = data();
  for (const run of RUNS) {
    const model = new Linear({ inFeatures: IN, outFeatures: OUT, dtype: 'float64', seed: 1 });
    const params = model.parameters();
    packParameters(params);
    const opt = createOptimizer(run.kind, params, run.options as never);
    const sched =
      run.kind === 'adam' ? withWarmup(new CosineAnnealingLR({ tMax: STEPS, etaMin: 1e-3 }), 10) : null;
    const base = opt.lr;
    const losses: number[] = [];
    for (let k = 0; k < STEPS; k++) {
      model.zeroGrad();
      const { loss, grad } = mseLoss(model.forward(x), y);
      losses.push(loss);
      model.backward(grad);
      clipGradNorm(params, 1.0);
      if (sched) applySchedule(opt, sched, base);
      opt.step();
    }
    const final = mseLoss(model.forward(x), y).loss;
    t.diagnostic(
      `${run.kind} ${JSON.stringify(run.options)}: loss ${losses[0].toFixed(3)} -> ${losses[49].toExponential(2)} (50) -> ${final.toExponential(2)} (${STEPS}), bound ${run.maxLoss}`,
    );
    assert.ok(final < run.maxLoss, `${run.kind}: final loss ${final} >= ${run.maxLoss}`);
    assert.ok(final < losses[0] * 1e-2);
  }
});
