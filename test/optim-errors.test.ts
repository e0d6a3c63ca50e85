/** Bad options, parameters and arguments are refused by name with "expected X, got Y" messages. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Parameter } from '../src/nn/module.js';
import { Tensor } from '../src/tensor/tensor.js';
import { KiokuError } from '../src/util/errors.js';
import {
  Adagrad,
  Adam,
  AdamW,
  clipGradNorm,
  clipGradValue,
  CosineAnnealingLR,
  createOptimizer,
  ExponentialLR,
  GravesRMSprop,
  gradNorm,
  LinearWarmup,
  RMSprop,
  scheduleFromJSON,
  SGD,
  StepLR,
} from '../src/optim/index.js';
import { makeParams } from './optim-helpers.js';

/** assert.throws with a KiokuError whose message matches `re`. */
function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KiokuError, `expected KiokuError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

test('optimizer options are refused by name', () => {
  const ps = makeParams('float32');
  refuses(() => new SGD(ps, {} as never), /SGD: option lr is required \(a number >= 0\), got nothing/);
  refuses(() => new SGD(ps, { lr: -0.1 }), /SGD: lr must be a number >= 0, got -0\.1/);
  refuses(() => new SGD(ps, { lr: NaN }), /SGD: lr must be a number >= 0, got NaN/);
  refuses(() => new SGD(ps, { lr: 0.1, momentum: -1 }), /SGD: momentum must be a number >= 0, got -1/);
  refuses(
    () => new SGD(ps, { lr: 0.1, nesterov: true }),
    /SGD: nesterov requires momentum > 0 and dampening 0, got momentum 0 and dampening 0/,
  );
  refuses(() => new SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /nesterov requires/);
  refuses(() => new SGD(ps, { lr: 0.1, nesterov: 1 as never }), /SGD: nesterov must be true or false, got 1/);
  refuses(
    () => new SGD(ps, { lr: 0.1, weight_decay: 0.1 } as never),
    /SGD: unknown option "weight_decay" \(did you mean "weightDecay"\?\); expected one of lr, momentum, dampening, nesterov, weightDecay/,
  );
  refuses(() => new Adam(ps, { betas: [1, 0.999] }), /Adam: betas\[0\] must be a number in \[0, 1\), got 1/);
  refuses(
    () => new Adam(ps, { betas: [0.9, -0.1] }),
    /Adam: betas\[1\] must be a number in \[0, 1\), got -0\.1/,
  );
  refuses(
    () => new AdamW(ps, { betas: [0.9] as never }),
    /AdamW: betas must be an array \[beta1, beta2\], got an array of length 1/,
  );
  refuses(() => new Adam(ps, { eps: -1e-8 }), /Adam: eps must be a number >= 0, got -1e-8/);
  refuses(
    () => new AdamW(ps, { weightDecay: -0.01 }),
    /AdamW: weightDecay must be a number >= 0, got -0\.01/,
  );
  refuses(() => new Adam(ps, { amsgrad: 'yes' as never }), /Adam: amsgrad must be true or false, got "yes"/);
  refuses(() => new RMSprop(ps, { alpha: 1.5 }), /RMSprop: alpha must be a number in \[0, 1\], got 1\.5/);
  refuses(() => new RMSprop(ps, { momentum: -0.5 }), /RMSprop: momentum must be a number >= 0, got -0\.5/);
  refuses(() => new Adagrad(ps, { lrDecay: -1 }), /Adagrad: lrDecay must be a number >= 0, got -1/);
  refuses(
    () => new Adagrad(ps, { initialAccumulatorValue: -1 }),
    /Adagrad: initialAccumulatorValue must be a number >= 0, got -1/,
  );
  refuses(() => new GravesRMSprop(ps, { eps: 0 }), /GravesRMSprop: eps must be a number > 0, got 0/);
  refuses(
    () => new GravesRMSprop(ps, { momentum: 1 }),
    /GravesRMSprop: momentum must be a number in \[0, 1\), got 1/,
  );
  refuses(() => new Adam(ps, 5 as never), /Adam: options must be an object, got 5/);
  refuses(
    () => createOptimizer('lbfgs' as never, ps, {} as never),
    /createOptimizer: expected kind one of sgd, adagrad, rmsprop, graves-rmsprop, adam, adamw, got "lbfgs"/,
  );
});

test('optimizer parameters and lr setter are checked', () => {
  refuses(() => new Adam([]), /Adam: expected a non-empty array of Parameters, got an array of length 0/);
  const ps = makeParams('float64');
  refuses(() => new Adam([ps[0], ps[1], ps[0]]), /Adam: params\[2\] \(p0\) appears more than once/);
  const mixed = [ps[0], Parameter.zeros('h', [2], 'float32')];
  refuses(
    () => new Adam(mixed),
    /Adam: all parameters must share one dtype, expected float64, got float32 value \/ float32 grad at params\[1\] \(h\)/,
  );
  const bad = new Parameter('w', Tensor.zeros([3], 'float64'), Tensor.zeros([4], 'float64'));
  refuses(() => new SGD([bad], { lr: 1 }), /SGD: params\[0\] \(w\) grad has 4 elements, expected 3/);
  const opt = new Adam(ps);
  refuses(() => {
    opt.lr = -1;
  }, /Adam: lr must be a number >= 0, got -1/);
  opt.lr = 0.5;
  assert.equal(opt.lr, 0.5);
  ps[1].value = Tensor.zeros([8], 'float64');
  refuses(
    () => opt.step(),
    /Adam\.step: parameter 1 \(p1\) must keep 7 float64 elements, got 8 float64 value \/ 7 float64 grad/,
  );
  assert.equal(opt.stepCount, 0);
});

test('zeroGrad clears every gradient', () => {
  const ps = makeParams('float32');
  ps.forEach((p) => p.grad.data.fill(3));
  const opt = new SGD(ps, { lr: 0.1 });
  opt.zeroGrad();
  assert.equal(gradNorm(ps), 0);
});

test('schedules refuse bad options, steps and JSON', () => {
  refuses(() => new StepLR({ stepSize: 0 }), /StepLR: stepSize must be an integer >= 1, got 0/);
  refuses(() => new StepLR({ stepSize: 2.5 }), /StepLR: stepSize must be an integer >= 1, got 2\.5/);
  refuses(() => new ExponentialLR({ gamma: -0.5 }), /ExponentialLR: gamma must be a number >= 0, got -0\.5/);
  refuses(() => new ExponentialLR({} as never), /ExponentialLR: option gamma is required/);
  refuses(
    () => new CosineAnnealingLR({ tMax: 10, eta_min: 0 } as never),
    /unknown option "eta_min" \(did you mean "etaMin"\?\)/,
  );
  refuses(
    () => new LinearWarmup({ warmupSteps: -1 }),
    /LinearWarmup: warmupSteps must be an integer >= 0, got -1/,
  );
  refuses(
    () => new LinearWarmup({ warmupSteps: 2, then: {} as never }),
    /LinearWarmup: then must be a Schedule, got object/,
  );
  refuses(
    () => new StepLR({ stepSize: 3 }).lrAt(-1, 0.1),
    /StepLR\.lrAt: step must be an integer >= 0, got -1/,
  );
  refuses(
    () => new StepLR({ stepSize: 3 }).lrAt(1, -0.1),
    /StepLR\.lrAt: baseLr must be a number >= 0, got -0\.1/,
  );
  refuses(
    () => scheduleFromJSON({ kind: 'onecycle' }),
    /scheduleFromJSON: expected kind "constant", "step", "exponential", "cosine", "linear" or "warmup", got "onecycle"/,
  );
  refuses(() => scheduleFromJSON(null), /scheduleFromJSON: expected an object with a kind, got null/);
  refuses(
    () => scheduleFromJSON({ kind: 'warmup', warmupSteps: 3, then: { kind: 'cosine' } }),
    /CosineAnnealingLR: option tMax is required/,
  );
  refuses(() => scheduleFromJSON({ kind: 'constant', gamma: 1 }), /unknown option "gamma"/);
});

test('clipping refuses bad thresholds and norm types', () => {
  const ps = makeParams('float32');
  refuses(() => clipGradNorm(ps, 0), /clipGradNorm: maxNorm must be a number > 0, got 0/);
  refuses(() => clipGradNorm(ps, -1), /clipGradNorm: maxNorm must be a number > 0, got -1/);
  refuses(() => clipGradNorm(ps, 1, 0), /clipGradNorm: normType must be a number > 0 or Infinity, got 0/);
  refuses(() => clipGradNorm(ps, 1, NaN), /normType must be a number > 0 or Infinity, got NaN/);
  refuses(() => clipGradValue(ps, -1), /clipGradValue: clipValue must be a number >= 0, got -1/);
  refuses(() => gradNorm(ps, -2), /gradNorm: normType must be a number > 0 or Infinity, got -2/);
  refuses(() => clipGradNorm('w' as never, 1), /clipGradNorm: expected an array of Parameters, got "w"/);
});
