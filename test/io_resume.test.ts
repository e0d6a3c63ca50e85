import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Module } from '../src/nn/module.js';
import { LSTM } from '../src/nn/lstm.js';
import { Rng } from '../src/util/rng.js';
import { createOptimizer, optimizerFromState, type Optimizer } from '../src/optim/index.js';
import { loadCheckpoint, saveCheckpoint } from '../src/node/checkpoint-file.js';

// Exact resume: a run saved to a checkpoint after 3 steps and continued in a fresh model,
// optimizer and rng takes bit-for-bit the same steps 4 and 5 as the uninterrupted run.

/** One training step with pseudo-gradients drawn from `rng` (no forward pass needed here). */
function step(model: Module, opt: Optimizer, rng: Rng): void {
  opt.zeroGrad();
  for (const p of model.parameters()) {
    const g = p.grad.data;
    const w = p.value.data;
    for (let i = 0; i < g.length; i++) g[i] = 0.5 * w[i] + 0.1 * rng.normal();
  }
  opt.step();
}

const config = {
  model: { kind: 'lstm', inputSize: 3, hiddenSize: 5, numLayers: 2 },
  optim: 'adam',
  lr: 0.01,
};

test('checkpoint resume is exact: weights, Adam state, step and rng', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-io-resume-'));
  try {
    const model = new LSTM({ ...config.model, seed: 1 });
    const opt = createOptimizer('adam', model.parameters(), { lr: config.lr, amsgrad: true });
    const rng = new Rng(3);
    for (let s = 0; s < 3; s++) step(model, opt, rng);

    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, {
      config,
      model: model.stateDict(),
      optimizer: opt.state(),
      step: 3,
      rng: rng.getState(),
      extra: { note: 'after step 3' },
    });
    for (let s = 0; s < 2; s++) step(model, opt, rng); // the uninterrupted run

    const ckpt = loadCheckpoint(path);
    assert.equal(ckpt.step, 3);
    assert.deepEqual(ckpt.config, config);
    assert.deepEqual(ckpt.extra, { note: 'after step 3' });
    assert.equal(ckpt.optimizer?.kind, 'adam');
    assert.equal(ckpt.optimizer?.step, 3);
    assert.equal(Object.keys(ckpt.optimizer!.buffers).length, 3 * model.parameters().length); // m, v, max v

    const resumed = new LSTM({ ...config.model, seed: 99 });
    resumed.loadStateDict(ckpt.model);
    const opt2 = optimizerFromState(resumed.parameters(), ckpt.optimizer!);
    const rng2 = new Rng(0);
    rng2.setState(ckpt.rng!);
    for (let s = 0; s < 2; s++) step(resumed, opt2, rng2);

    assert.equal(opt2.stepCount, 5);
    const want = model.stateDict();
    for (const [name, t] of Object.entries(resumed.stateDict()))
      assert.deepEqual(t.data, want[name].data, name);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
