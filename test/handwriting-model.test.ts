// The handwriting prediction network (Graves 2013 §4): stacked levels with skip connections
// and the MDN loss, gradient-checked end to end in float64 for every cell type.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mdnLoss } from '../src/wings/handwriting/mdn.js';
import {
  countParameters,
  type HandwritingModelConfig,
  HandwritingModel,
  hiddenSizeForBudget,
} from '../src/wings/handwriting/model.js';
import { setBackend } from '../src/tensor/current-backend.js';
import { ReferenceBackend } from '../src/tensor/reference.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { fdMaxDiff } from './helpers/gradcheck.js';

setBackend(new ReferenceBackend());

function batch(T: number, B: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = Tensor.zeros([T, B, 3], 'float64');
  const y = Tensor.zeros([T, B, 3], 'float64');
  for (const t of [x, y]) {
    for (let i = 0; i < T * B; i++) {
      t.data[i * 3] = rng.normal();
      t.data[i * 3 + 1] = rng.normal();
      t.data[i * 3 + 2] = rng.uniform() < 0.2 ? 1 : 0;
    }
  }
  return { x, y };
}

describe('HandwritingModel: end-to-end gradients by finite differences (float64)', () => {
  const configs: (HandwritingModelConfig & { name: string; lengths?: number[] })[] = [
    { name: 'lstm 2 levels, skip', cell: 'lstm', hiddenSize: 3, numLayers: 2, mixtures: 2 },
    {
      name: 'lstm peephole 2 levels, skip, masked',
      cell: 'lstm',
      hiddenSize: 2,
      numLayers: 2,
      mixtures: 1,
      peephole: true,
      lengths: [3, 2],
    },
    { name: 'gru 3 levels, skip', cell: 'gru', hiddenSize: 2, numLayers: 3, mixtures: 2 },
    { name: 'rnn 2 levels, no skip', cell: 'rnn', hiddenSize: 3, numLayers: 2, mixtures: 2, skip: false },
  ];
  for (const cfg of configs) {
    test(cfg.name, () => {
      const model = new HandwritingModel({ ...cfg, dtype: 'float64', seed: 3 });
      const T = 3;
      const B = 2;
      const { x, y } = batch(T, B, 5);
      const mask = new Float64Array(T * B).fill(1);
      if (cfg.lengths)
        for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t >= cfg.lengths[b]) mask[t * B + b] = 0;
      const M = cfg.mixtures!;
      const lossOnly = (): number =>
        mdnLoss(model.forward(x, { lengths: cfg.lengths }).yhat, y, { M, mask, grad: false }).nll;
      model.zeroGrad();
      const { yhat } = model.forward(x, { lengths: cfg.lengths });
      const r = mdnLoss(yhat, y, { M, mask });
      const dx = model.backward(r.grad!);
      let worst = 0;
      for (const { name, param } of model.namedParameters()) {
        const d = fdMaxDiff(lossOnly, param.value.data, param.grad.data);
        worst = Math.max(worst, d);
        assert.ok(d < 1e-6, `${name}: max diff ${d}`);
      }
      const dxDiff = fdMaxDiff(lossOnly, x.data, dx.data);
      console.log(
        `  ${cfg.name}: ${model.numParameters()} parameters, max |Δgrad| ${worst.toExponential(2)}, ∂L/∂x ${dxDiff.toExponential(2)}`,
      );
      assert.ok(dxDiff < 1e-6);
      assert.equal(model.numParameters(), countParameters(cfg));
    });
  }

  test('names follow PyTorch (layers.k.*, output.*)', () => {
    const m = new HandwritingModel({ cell: 'lstm', hiddenSize: 4, numLayers: 2, peephole: true });
    const names = m.namedParameters().map((p) => p.name);
    assert.deepEqual(names.slice(0, 5), [
      'layers.0.weight_ih_l0',
      'layers.0.weight_hh_l0',
      'layers.0.bias_ih_l0',
      'layers.0.bias_hh_l0',
      'layers.0.weight_peephole_l0',
    ]);
    assert.deepEqual(names.slice(-2), ['output.weight', 'output.bias']);
    assert.deepEqual(m.stateDict()['layers.1.weight_ih_l0'].shape, [16, 7]); // [4H, 3 + H]: the skip from x
    assert.deepEqual(m.stateDict()['output.weight'].shape, [121, 8]); // [1 + 6M, N·H]
  });

  test('state carried across calls equals one long call', () => {
    const m = new HandwritingModel({
      cell: 'gru',
      hiddenSize: 4,
      numLayers: 2,
      mixtures: 2,
      dtype: 'float64',
    });
    const { x } = batch(6, 2, 9);
    const full = m.forward(x).yhat;
    const a = new Tensor(x.data.slice(0, 3 * 2 * 3), [3, 2, 3]);
    const b = new Tensor(x.data.slice(3 * 2 * 3), [3, 2, 3]);
    const r1 = m.forward(a);
    const r2 = m.forward(b, { state: r1.state });
    const joined = [...r1.yhat.data, ...r2.yhat.data];
    let d = 0;
    for (let i = 0; i < joined.length; i++) d = Math.max(d, Math.abs(joined[i] - full.data[i]));
    assert.ok(d < 1e-12, `max diff ${d}`);
  });

  test('equal parameter budgets', () => {
    const budget = countParameters({ cell: 'lstm', hiddenSize: 64, numLayers: 2 });
    for (const cell of ['rnn', 'gru'] as const) {
      const H = hiddenSizeForBudget({ cell, numLayers: 2 }, budget);
      const n = countParameters({ cell, hiddenSize: H, numLayers: 2 });
      console.log(`  ${cell}: H=${H}, ${n} parameters vs lstm ${budget}`);
      assert.ok(Math.abs(n - budget) / budget < 0.02);
    }
  });
});
