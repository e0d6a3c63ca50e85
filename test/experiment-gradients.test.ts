// The gradient-flow experiment: stepwise BPTT agrees with the layers' own backward, the
// step Jacobian matches its closed form, and the learning checks of issue #7 on the size of
// ‖∂L_T/∂h_t‖ across 50 steps (H = 128, as measured with PyTorch's cells).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/index.js';
import { addingProblem } from '../src/wings/experiments/synthetic.js';
import { measureGradientFlow, spreadSteps } from '../src/wings/experiments/gradient-flow.js';
import { gradientsReport, runGradientsExperiment } from '../src/wings/experiments/gradients.js';
import { makeCell, SequenceModel } from '../src/wings/experiments/model.js';
import { spectralRadius } from '../src/wings/experiments/spectral.js';
import { backpropSteps, stepJacobian, unroll } from '../src/wings/experiments/stepwise.js';
import { trainRun } from '../src/wings/experiments/train.js';
import { orthogonal_ } from '../src/nn/init.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

function randn(shape: number[], rng: Rng): Tensor {
  const t = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

describe('stepwise BPTT', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}: chaining one-step backward calls equals the whole-sequence backward`, () => {
      const rng = new Rng(11);
      const layer = makeCell({ cell, inputSize: 3, hidden: 5, seed: 4, dtype: 'float64' });
      const x = randn([7, 2, 3], rng);
      const dhT = randn([1, 2, 5], rng);
      const trace = unroll(layer, x);
      const steps = backpropSteps(layer, x, trace, dhT);
      const full = layer.forward(x);
      // Same final state from the whole-sequence forward...
      let dState = 0;
      for (let i = 0; i < full.hN.size; i++)
        dState = Math.max(dState, Math.abs(full.hN.data[i] - trace.h[7].data[i]));
      const whole = layer.backward(Tensor.zeros([7, 2, 5], 'float64'), { dhN: dhT });
      // ...and the same ∂L/∂h_0 from BPTT in one call.
      let diff = 0;
      for (let i = 0; i < whole.dh0.size; i++)
        diff = Math.max(diff, Math.abs(whole.dh0.data[i] - steps.dh[0].data[i]));
      console.log(
        `${cell}: max |hN diff| ${dState.toExponential(1)}, max |dh0 diff| ${diff.toExponential(1)}`,
      );
      assert.ok(dState < 1e-12 && diff < 1e-12);
    });
  }

  it('the RNN step Jacobian is diag(1 − h_t²) W_hh', () => {
    const layer = makeCell({ cell: 'rnn', inputSize: 2, hidden: 4, seed: 1, dtype: 'float64' });
    const x = randn([3, 2, 2], new Rng(2));
    const trace = unroll(layer, x);
    const J = stepJacobian(layer, x, trace, 2, 1);
    const W = layer.directionWeights(0).whh.value.data;
    let diff = 0;
    for (let i = 0; i < 4; i++) {
      const h = trace.h[2].data[1 * 4 + i];
      for (let j = 0; j < 4; j++)
        diff = Math.max(diff, Math.abs(J.data[i * 4 + j] - (1 - h * h) * W[i * 4 + j]));
    }
    assert.equal(J.n, 4);
    assert.ok(diff < 1e-12, `max diff ${diff}`);
  });

  it('orthogonal init scaled by 1.5 has spectral radius 1.5', () => {
    const W = Tensor.zeros([16, 16], 'float64');
    orthogonal_(W, new Rng(3), 1.5);
    const r = spectralRadius(W.data, 16);
    assert.ok(Math.abs(r - 1.5) < 1e-9, `radius ${r}`);
    assert.deepEqual(spreadSteps(50, 4), [1, 17, 34, 50]);
  });
});

describe('gradient flow across 50 steps (H = 128)', () => {
  it('a tanh RNN under PyTorch init shrinks the gradient by > 1e6; an LSTM with forget bias 3 by < 1e1', () => {
    const rnn = measureGradientFlow({
      cell: 'rnn',
      nonlinearity: 'tanh',
      hidden: 128,
      length: 50,
      jacobianSteps: 0,
    });
    const lstm = measureGradientFlow({
      cell: 'lstm',
      forgetBias: 3,
      hidden: 128,
      length: 50,
      jacobianSteps: 0,
    });
    console.log(
      `tanh RNN shrink ${rnn.shrink.toExponential(2)} (PyTorch ~5e11); LSTM b_f=3 shrink ${lstm.shrink.toFixed(2)} (PyTorch ~3.3)`,
    );
    assert.ok(rnn.shrink > 1e6);
    assert.equal(rnn.verdict, 'vanishing');
    assert.ok(lstm.shrink < 10 && lstm.shrink > 0.1);
    assert.equal(lstm.gradNorms.length, 50);
    assert.ok(Math.abs(lstm.gradNorms[49] - 1) < 1e-5, '‖∂L/∂h_T‖ is normalised to 1');
  });

  it('the report shows the shrink factor for forget-gate bias 0, 1, 3, 5 and it falls with the bias', () => {
    const run = runGradientsExperiment({
      configs: [0, 1, 3, 5].map((forgetBias) => ({ cell: 'lstm' as const, forgetBias })),
      hidden: 128,
      length: 50,
      jacobianSteps: 0,
    });
    const doc = gradientsReport(run, 'kioku experiment gradients --cells lstm --forget-bias 0,1,3,5');
    const shown = (doc.results as { shrinkByForgetBias: Record<string, number> }).shrinkByForgetBias;
    console.log(
      'LSTM shrink by forget bias:',
      Object.entries(shown)
        .map(([b, s]) => `${b}: ${s.toExponential(2)}`)
        .join(', '),
    );
    assert.deepEqual(Object.keys(shown), ['0', '1', '3', '5']);
    assert.ok(
      shown['0'] > 1e6 && shown['0'] > shown['1'] && shown['1'] > shown['3'] && shown['3'] > shown['5'],
    );
    const table = doc.sections[0].tables?.[0];
    assert.ok(table);
    for (const b of [0, 1, 3, 5]) assert.ok(table.rows.some((r) => String(r[0]).endsWith(`b_f=${b}`)));
    // The forget gate sits near σ(bias): the carousel's per-step factor.
    const f5 = run.runs[3].gates?.at(-1)?.mean ?? 0;
    assert.ok(f5 > 0.98, `forget gate with bias 5: ${f5}`);
  });

  it('a ReLU RNN with orthogonal W_hh of spectral radius 2 grows the gradient by > 1e3', () => {
    const r = measureGradientFlow({
      cell: 'rnn',
      nonlinearity: 'relu',
      init: 'orthogonal',
      gain: 2,
      hidden: 128,
      length: 50,
      jacobianSteps: 2,
    });
    console.log(
      `ReLU RNN ρ=2: growth ${(1 / r.shrink).toExponential(2)} (PyTorch ~3e6); ρ(W_hh) ${r.whh[0].radius.toFixed(4)}; ρ(J_t) ${r.jacobian.map((j) => j.radius.toFixed(2)).join(', ')}`,
    );
    assert.ok(1 / r.shrink > 1e3);
    assert.equal(r.verdict, 'exploding');
    assert.ok(Math.abs(r.whh[0].radius - 2) < 1e-4);
  });
});

describe('clipping in the exploding regime', () => {
  it('global-norm clipping caps the update norm at lr × threshold', () => {
    const task = addingProblem({ length: 50 });
    const model = new SequenceModel({
      cell: 'rnn',
      nonlinearity: 'relu',
      init: 'orthogonal',
      gain: 2,
      inputSize: 2,
      hidden: 32,
      outputSize: 1,
      seed: 0,
    });
    const lr = 1;
    const threshold = 0.5;
    const r = trainRun({
      task,
      model,
      optimizer: 'sgd',
      lr,
      steps: 5,
      batch: 4,
      seed: 1,
      clip: { mode: 'norm', threshold },
      divergeAbove: Infinity,
    });
    const maxBefore = Math.max(...r.history.map((h) => h.gradNorm));
    const maxAfter = Math.max(...r.history.map((h) => h.clippedNorm));
    const maxUpdate = Math.max(...r.history.map((h) => h.updateNorm));
    console.log(
      `ReLU RNN ρ=2: max ‖g‖ before ${maxBefore.toExponential(2)}, after ${maxAfter.toFixed(4)}, max ‖Δθ‖ ${maxUpdate.toFixed(4)} (threshold ${threshold})`,
    );
    assert.ok(maxBefore > 10 * threshold, 'the raw gradient explodes');
    assert.ok(maxAfter <= threshold * (1 + 1e-6));
    assert.ok(maxUpdate <= lr * threshold * (1 + 1e-4));
  });
});
