// Tier 1: float64 finite-difference checks of every layer's hand-written backward pass.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setBackend } from '../src/tensor/current-backend.js';
import { ReferenceBackend } from '../src/tensor/reference.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { GRU } from '../src/nn/gru.js';
import { LSTM } from '../src/nn/lstm.js';
import { RNN } from '../src/nn/rnn.js';
import { Linear } from '../src/nn/linear.js';
import { Embedding } from '../src/nn/embedding.js';
import { bceWithLogits, mseLoss, softmaxCrossEntropy } from '../src/nn/losses.js';
import type { RecurrentBase } from '../src/nn/recurrent.js';
import { dot, fdMaxDiff, randTensor } from './helpers/gradcheck.js';

setBackend(new ReferenceBackend());
const TOL = 1e-7;

interface Case {
  name: string;
  make: () => RecurrentBase;
  T: number;
  B: number;
  lengths?: number[];
  states?: boolean;
}

const cells = {
  lstm: (o: object) => new LSTM({ dtype: 'float64', seed: 1, ...o } as never),
  'lstm-peephole': (o: object) => new LSTM({ dtype: 'float64', seed: 2, peephole: true, ...o } as never),
  gru: (o: object) => new GRU({ dtype: 'float64', seed: 3, ...o } as never),
  'rnn-tanh': (o: object) => new RNN({ dtype: 'float64', seed: 4, ...o } as never),
  'rnn-relu': (o: object) => new RNN({ dtype: 'float64', seed: 5, nonlinearity: 'relu', ...o } as never),
};

const cases: Case[] = [];
for (const [cell, make] of Object.entries(cells)) {
  cases.push({ name: `${cell} T=1 B=1 H=3`, make: () => make({ inputSize: 2, hiddenSize: 3 }), T: 1, B: 1 });
  cases.push({
    name: `${cell} T=4 B=3 H=5 masked lengths, initial states`,
    make: () => make({ inputSize: 3, hiddenSize: 5 }),
    T: 4,
    B: 3,
    lengths: [4, 1, 3],
    states: true,
  });
  cases.push({
    name: `${cell} 2 layers bidirectional, masked, initial states`,
    make: () => make({ inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true }),
    T: 3,
    B: 2,
    lengths: [2, 3],
    states: true,
  });
  // Gradient checkpointing: segments of 3 over T = 7 (the last one short), recomputed in backward.
  cases.push({
    name: `${cell} gradCheckpoint 3, T=7, 2 layers bidirectional, masked, initial states`,
    make: () => make({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, gradCheckpoint: 3 }),
    T: 7,
    B: 2,
    lengths: [7, 4],
    states: true,
  });
}

describe('finite-difference gradient checks (float64)', () => {
  for (const c of cases) {
    test(c.name, () => {
      const rng = new Rng(42);
      const layer = c.make();
      const D = layer.numDirections;
      const L = layer.numLayers;
      const H = layer.hiddenSize;
      const x = randTensor([c.T, c.B, layer.inputSize], rng);
      const isLstm = layer instanceof LSTM;
      const h0 = c.states ? randTensor([L * D, c.B, H], rng, 0.5) : undefined;
      const c0 = c.states && isLstm ? randTensor([L * D, c.B, H], rng, 0.5) : undefined;
      // Random projections of every output make the scalar loss.
      const rOut = randTensor([c.T, c.B, D * H], rng);
      const rh = randTensor([L * D, c.B, H], rng);
      const rc = randTensor([L * D, c.B, H], rng);
      const loss = (): number => {
        const r = layer.forward(x, { h0, c0, lengths: c.lengths });
        return dot(r.output.data, rOut.data) + dot(r.hN.data, rh.data) + (r.cN ? dot(r.cN.data, rc.data) : 0);
      };
      loss();
      layer.zeroGrad();
      const g = layer.backward(rOut, { dhN: rh, dcN: isLstm ? rc : undefined });
      const report: string[] = [];
      let worst = 0;
      const record = (name: string, d: number): void => {
        report.push(`${name}=${d.toExponential(2)}`);
        worst = Math.max(worst, d);
      };
      record('dx', fdMaxDiff(loss, x.data, g.dx.data));
      if (h0) record('dh0', fdMaxDiff(loss, h0.data, g.dh0.data));
      if (c0 && g.dc0) record('dc0', fdMaxDiff(loss, c0.data, g.dc0.data));
      for (const { name, param } of layer.namedParameters()) {
        record(name, fdMaxDiff(loss, param.value.data, Array.from(param.grad.data)));
      }
      console.log(`  ${c.name}: max abs diff ${worst.toExponential(2)} (${report.join(' ')})`);
      assert.ok(worst < TOL, `max abs diff ${worst} exceeds ${TOL}`);
    });
  }

  test('padding never changes a live output, and outputs are zero past each length', () => {
    const rng = new Rng(7);
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 4, bidirectional: true, dtype: 'float64', seed: 9 });
    const x = randTensor([5, 2, 2], rng);
    const a = lstm.forward(x, { lengths: [3, 5] });
    // Change the padding of sequence 0 (t = 3, 4): nothing of sequence 0 may change.
    for (let t = 3; t < 5; t++) for (let i = 0; i < 2; i++) x.data[(t * 2 + 0) * 2 + i] += 10;
    const b = lstm.forward(x, { lengths: [3, 5] });
    let diff = 0;
    for (let t = 0; t < 5; t++)
      for (let j = 0; j < 8; j++)
        diff = Math.max(diff, Math.abs(a.output.get(t, 0, j) - b.output.get(t, 0, j)));
    console.log(`  padding changed live outputs by ${diff}`);
    assert.equal(diff, 0);
    for (let t = 3; t < 5; t++) for (let j = 0; j < 8; j++) assert.equal(a.output.get(t, 0, j), 0);
    // hN of sequence 0 equals a run of the unpadded sequence.
    const x0 = new Tensor(
      x.data.slice(0, 3 * 2 * 2).filter((_, i) => Math.floor(i / 2) % 2 === 0),
      [3, 1, 2],
    );
    const solo = lstm.forward(x0);
    for (let k = 0; k < 2; k++)
      for (let j = 0; j < 4; j++) {
        assert.ok(Math.abs(solo.hN.get(k, 0, j) - b.hN.get(k, 0, j)) < 1e-14);
      }
  });
});

describe('finite-difference checks of Linear, Embedding and the losses (float64)', () => {
  test('Linear + softmax cross-entropy with ignore index and mask', () => {
    const rng = new Rng(3);
    const fc = new Linear({ inFeatures: 5, outFeatures: 7, dtype: 'float64', seed: 1 });
    const x = randTensor([2, 3, 5], rng);
    const targets = [0, 6, -100, 3, 2, 1];
    const mask = [1, 1, 1, 0.5, 0, 1];
    const loss = (): number => softmaxCrossEntropy(fc.forward(x), targets, { mask }).loss;
    const r = softmaxCrossEntropy(fc.forward(x), targets, { mask });
    fc.zeroGrad();
    const dx = fc.backward(r.grad);
    const d = Math.max(
      fdMaxDiff(loss, x.data, dx.data),
      fdMaxDiff(loss, fc.weight.value.data, Array.from(fc.weight.grad.data)),
      fdMaxDiff(loss, fc.bias!.value.data, Array.from(fc.bias!.grad.data)),
    );
    console.log(`  Linear + cross-entropy: max abs diff ${d.toExponential(2)}`);
    assert.ok(d < TOL);
  });

  test('Embedding gradient scatters into the rows it read (padding row excluded)', () => {
    const emb = new Embedding({
      numEmbeddings: 6,
      embeddingDim: 3,
      paddingIdx: 0,
      dtype: 'float64',
      seed: 2,
    });
    const ids = [1, 0, 4, 1, 5];
    const rng = new Rng(1);
    const r = randTensor([5, 3], rng);
    const loss = (): number => dot(emb.forward(ids).data, r.data);
    emb.forward(ids);
    emb.zeroGrad();
    emb.backward(r);
    const grad = Array.from(emb.weight.grad.data);
    // FD on a padding row would be non-zero (it is read); PyTorch gives it zero gradient.
    const d = fdMaxDiff(loss, emb.weight.value.data.subarray(3), grad.slice(3));
    console.log(`  Embedding: max abs diff ${d.toExponential(2)}`);
    assert.ok(d < TOL);
    assert.deepEqual(grad.slice(0, 3), [0, 0, 0]);
  });

  test('MSE and BCE-with-logits with masks', () => {
    const rng = new Rng(5);
    const p = randTensor([4, 3], rng, 3);
    const y = randTensor([4, 3], rng);
    const y01 = Array.from(y.data, (v) => (v > 0 ? 1 : 0));
    const mask = Array.from({ length: 12 }, (_, i) => (i % 5 === 0 ? 0 : 1));
    const mse = mseLoss(p, y, { mask });
    const bce = bceWithLogits(p, y01, { mask });
    const d1 = fdMaxDiff(() => mseLoss(p, y, { mask }).loss, p.data, mse.grad.data);
    const d2 = fdMaxDiff(() => bceWithLogits(p, y01, { mask }).loss, p.data, bce.grad.data);
    console.log(`  MSE: ${d1.toExponential(2)}  BCE: ${d2.toExponential(2)}`);
    assert.ok(d1 < TOL && d2 < TOL);
  });
});
