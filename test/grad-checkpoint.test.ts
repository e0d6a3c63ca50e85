// Gradient checkpointing of the recurrent layers (`gradCheckpoint`): the same outputs and
// gradients as keeping every step (bit for bit where the kernels run the same way), a
// smaller cache, and the recorded steps recomputed. The float64 finite-difference checks
// with checkpointing on are in gradcheck.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GRU } from '../src/nn/gru.js';
import { LSTM } from '../src/nn/lstm.js';
import type { RecurrentBase } from '../src/nn/recurrent.js';
import { RNN } from '../src/nn/rnn.js';
import { withScope } from '../src/tensor/scope.js';
import { Tensor } from '../src/tensor/tensor.js';
import { chooseGemmPath, createWasmBackend } from '../src/tensor/wasm-backend.js';
import { Rng } from '../src/util/rng.js';
import { HandwritingModel } from '../src/wings/handwriting/model.js';
import { loadStrokeData } from '../src/wings/handwriting/data.js';
import { trainHandwriting } from '../src/wings/handwriting/train.js';
import { backendsUnderTest } from './helpers/backends.js';
import { maxAbsDiff } from './helpers/gradcheck.js';

function rand(shape: number[], rng: Rng, scale = 1): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniformRange(-scale, scale);
  return t;
}

const cells: Record<string, (gradCheckpoint: number) => RecurrentBase> = {
  lstm: (k) =>
    new LSTM({ inputSize: 4, hiddenSize: 6, numLayers: 2, bidirectional: true, seed: 1, gradCheckpoint: k }),
  'lstm-peephole': (k) =>
    new LSTM({ inputSize: 4, hiddenSize: 5, numLayers: 2, peephole: true, seed: 2, gradCheckpoint: k }),
  gru: (k) =>
    new GRU({ inputSize: 4, hiddenSize: 6, numLayers: 2, bidirectional: true, seed: 3, gradCheckpoint: k }),
  rnn: (k) => new RNN({ inputSize: 4, hiddenSize: 7, bidirectional: true, seed: 4, gradCheckpoint: k }),
};

/** Everything a training step reads off a layer: outputs, final states, every gradient. */
function runOnce(
  layer: RecurrentBase,
  T: number,
  B: number,
  lengths: number[],
): Map<string, ArrayLike<number>> {
  const rng = new Rng(11);
  const D = layer.numDirections;
  const L = layer.numLayers;
  const H = layer.hiddenSize;
  const lstm = layer instanceof LSTM;
  const x = rand([T, B, layer.inputSize], rng);
  const h0 = rand([L * D, B, H], rng, 0.5);
  const c0 = lstm ? rand([L * D, B, H], rng, 0.5) : undefined;
  const dOut = rand([T, B, D * H], rng);
  const dhN = rand([L * D, B, H], rng);
  const dcN = lstm ? rand([L * D, B, H], rng) : undefined;
  const r = layer.forward(x, { h0, c0, lengths });
  layer.zeroGrad();
  const g = layer.backward(dOut, { dhN, dcN });
  const out = new Map<string, ArrayLike<number>>([
    ['output', r.output.data],
    ['hN', r.hN.data],
    ['dx', g.dx.data],
    ['dh0', g.dh0.data],
  ]);
  if (r.cN) out.set('cN', r.cN.data);
  if (g.dc0) out.set('dc0', g.dc0.data);
  for (const { name, param } of layer.namedParameters()) out.set(name, Float32Array.from(param.grad.data));
  const rec = layer.recordedSteps(L - 1, D - 1);
  out.set('recorded.gates', rec.gates);
  out.set('recorded.h', rec.h);
  if (rec.c) out.set('recorded.c', rec.c);
  return out;
}

function worstDiff(a: Map<string, ArrayLike<number>>, b: Map<string, ArrayLike<number>>): [number, string] {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  let worst = 0;
  let where = '';
  for (const [k, v] of a) {
    const d = maxAbsDiff(v, b.get(k)!);
    if (d > worst || where === '') [worst, where] = [d, k];
  }
  return [worst, where];
}

for (const backend of backendsUnderTest()) {
  describe(`gradient checkpointing on the ${backend.name} backend`, () => {
    for (const [name, make] of Object.entries(cells)) {
      test(`${name}: outputs, states and every gradient equal those without (T = 11, k = 1, 3, 4, 11, 50)`, () => {
        backend.use();
        const T = 11;
        const B = 3;
        const lengths = [11, 7, 2];
        const plain = runOnce(make(0), T, B, lengths);
        const report: string[] = [];
        for (const k of [1, 3, 4, 11, 50]) {
          const [d, where] = worstDiff(plain, runOnce(make(k), T, B, lengths));
          report.push(`k=${k}: ${d} (${where})`);
          assert.equal(d, 0, `k = ${k}: ${where} differs by ${d}`);
        }
        console.log(`  ${name}: max abs diff ${report.join(', ')}`);
      });
    }
  });
}

describe('gradient checkpointing on the WASM GEMM paths', () => {
  test('bit-identical where a segment keeps the GEMM path of the whole sequence; float32 rounding where not', () => {
    const wasm = backendsUnderTest().find((b) => b.name === 'wasm')!;
    wasm.use();
    // The input projection X·W_ihᵀ over T·B = 1280 rows of K = 256: the packed path;
    // segments of 8 steps (256 rows) take the small-M dot path, segments of 20 (640) not.
    const T = 40;
    const B = 32;
    const I = 256;
    const H = 64;
    const make = (k: number): LSTM => new LSTM({ inputSize: I, hiddenSize: H, seed: 5, gradCheckpoint: k });
    const lengths = new Array<number>(B).fill(T);
    const path = (steps: number): number => chooseGemmPath(false, true, steps * B, 4 * H, I, 1, 0);
    const plain = runOnce(make(0), T, B, lengths);
    for (const k of [8, 20]) {
      const samePath = path(k) === path(T) && path(T % k || k) === path(T); // every segment's length
      const [d, where] = worstDiff(plain, runOnce(make(k), T, B, lengths));
      console.log(
        `  LSTM ${I}→${H}, T=${T}, B=${B}, k=${k} (${samePath ? 'same' : 'other'} GEMM path): max abs diff ${d} (${where})`,
      );
      if (samePath) assert.equal(d, 0);
      else assert.ok(d < 1e-5, `k = ${k}: ${where} differs by ${d}`);
    }
  });
});

describe('what checkpointing keeps', () => {
  test('the forward pass keeps less than half the memory of the full cache (WASM heap bytes)', () => {
    const wasm = createWasmBackend();
    assert.ok(wasm);
    backendsUnderTest()
      .find((b) => b.name === 'wasm')!
      .use();
    const heap = wasm.engine.heap;
    const x = rand([64, 8, 16], new Rng(3));
    const kept = (k: number): number =>
      withScope(() => {
        const lstm = new LSTM({ inputSize: 16, hiddenSize: 32, numLayers: 2, seed: 1, gradCheckpoint: k });
        const before = heap.liveBytes;
        lstm.forward(x);
        return heap.liveBytes - before;
      });
    const full = kept(0);
    const ckpt = kept(8);
    console.log(`  LSTM 2×32, T=64, B=8: forward keeps ${full} bytes, with gradCheckpoint 8: ${ckpt} bytes`);
    assert.ok(ckpt < full / 2, `${ckpt} bytes with checkpointing vs ${full} without`);
  });

  test('bad values are rejected with the option named', () => {
    assert.throws(() => new LSTM({ inputSize: 2, hiddenSize: 3, gradCheckpoint: -1 }), /gradCheckpoint/);
    assert.throws(() => new GRU({ inputSize: 2, hiddenSize: 3, gradCheckpoint: 2.5 }), /gradCheckpoint/);
    const rnn = new RNN({ inputSize: 2, hiddenSize: 3 });
    assert.throws(() => (rnn.gradCheckpoint = Number.NaN), /gradCheckpoint/);
  });
});

describe('handwriting training with --grad-checkpoint', () => {
  test('10 training steps give the same losses and weights with and without checkpointing', async () => {
    backendsUnderTest()
      .find((b) => b.name === 'wasm')!
      .use();
    const data = loadStrokeData({
      source: 'builtin',
      builtin: { seed: 3, trainWriters: 3, validWriters: 1, linesPerWriter: 2, minChars: 4, maxChars: 8 },
    });
    const train = async (gradCheckpoint: number): Promise<{ losses: number[]; weights: Float32Array }> => {
      const model = new HandwritingModel({
        cell: 'lstm',
        hiddenSize: 12,
        numLayers: 2,
        mixtures: 3,
        seed: 1,
      });
      const losses: number[] = [];
      await trainHandwriting(
        model,
        data,
        { steps: 10, evalEvery: 0, batchSize: 4, seqLen: 40, seed: 2, gradCheckpoint },
        { onStep: (s) => losses.push(s.loss) },
      );
      assert.equal(model.gradCheckpoint, gradCheckpoint);
      return {
        losses,
        weights: Float32Array.from(model.parameters().flatMap((p) => Array.from(p.value.data))),
      };
    };
    const a = await train(0);
    const b = await train(7);
    const dw = maxAbsDiff(a.weights, b.weights);
    console.log(`  losses ${a.losses.map((l) => l.toFixed(4)).join(' ')}; max abs weight diff ${dw}`);
    assert.deepEqual(b.losses, a.losses);
    assert.equal(dw, 0);
  });
});
