// Tier 2: parity with PyTorch 1.13 on committed fixtures (scripts/fixtures_layers.py).
// Each fixture holds a torch.nn.{RNN,LSTM,GRU} state_dict (PyTorch names, loaded through our
// safetensors reader and loadStateDict), the inputs, outputs, final states and every gradient.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSafetensors } from '../src/node/safetensors-file.js';
import { GRU } from '../src/nn/gru.js';
import { Linear } from '../src/nn/linear.js';
import { softmaxCrossEntropy } from '../src/nn/losses.js';
import { LSTM } from '../src/nn/lstm.js';
import type { RecurrentBase } from '../src/nn/recurrent.js';
import { RNN } from '../src/nn/rnn.js';
import { getBackend } from '../src/tensor/current-backend.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { maxAbsDiff } from './helpers/gradcheck.js';
import { backendsUnderTest } from './helpers/backends.js';

/** Absolute tolerance in float32 (the bar). */
const TOL = 1e-5;
const dir = fileURLToPath(new URL('./fixtures/torch/', import.meta.url));
const index = JSON.parse(readFileSync(dir + 'index.json', 'utf8')) as { cases: string[]; torch: string };

interface CaseMeta {
  cell: 'rnn' | 'lstm' | 'gru';
  nonlinearity: 'tanh' | 'relu';
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  lengths: number[] | null;
}

function build(meta: CaseMeta): RecurrentBase {
  const o = {
    inputSize: meta.inputSize,
    hiddenSize: meta.hiddenSize,
    numLayers: meta.numLayers,
    bidirectional: meta.bidirectional,
  };
  if (meta.cell === 'lstm') return new LSTM(o);
  if (meta.cell === 'gru') return new GRU(o);
  return new RNN({ ...o, nonlinearity: meta.nonlinearity });
}

for (const backend of backendsUnderTest()) {
  describe(`PyTorch ${index.torch} parity on the ${backend.name} backend (tolerance ${TOL} abs, float32)`, () => {
    for (const name of index.cases) {
      test(name, () => {
        backend.use();
        const { tensors: f, metadata } = loadSafetensors(dir + name + '.safetensors');
        const meta = JSON.parse(metadata.case) as CaseMeta;
        const layer = build(meta);
        const params: Record<string, Tensor> = {};
        for (const [k, v] of Object.entries(f)) if (k.startsWith('param.')) params[k.slice(6)] = v;
        layer.loadStateDict(params);
        const isLstm = meta.cell === 'lstm';
        const out = layer.forward(f.x, {
          h0: f.h0,
          c0: isLstm ? f.c0 : undefined,
          lengths: meta.lengths ?? undefined,
        });
        layer.zeroGrad();
        const g = layer.backward(f.dOutput, { dhN: f.dhN, dcN: isLstm ? f.dcN : undefined });
        const diffs: Record<string, number> = {
          output: maxAbsDiff(out.output.data, f.output.data),
          hN: maxAbsDiff(out.hN.data, f.hN.data),
          dx: maxAbsDiff(g.dx.data, f.dx.data),
          dh0: maxAbsDiff(g.dh0.data, f.dh0.data),
        };
        if (isLstm) {
          diffs.cN = maxAbsDiff(out.cN!.data, f.cN.data);
          diffs.dc0 = maxAbsDiff(g.dc0!.data, f.dc0.data);
        }
        let gradMax = 0;
        for (const [k, v] of Object.entries(layer.gradDict()))
          gradMax = Math.max(gradMax, maxAbsDiff(v.data, f['grad.' + k].data));
        diffs.paramGrads = gradMax;
        const worst = Math.max(...Object.values(diffs));
        console.log(
          `  [${getBackend().name}] ${name}: max abs diff ${worst.toExponential(2)} ` +
            Object.entries(diffs)
              .map(([k, v]) => `${k}=${v.toExponential(1)}`)
              .join(' '),
        );
        for (const [k, v] of Object.entries(diffs))
          assert.ok(v <= TOL, `${name}: ${k} differs by ${v} > ${TOL}`);
      });
    }

    test('linear_xent: Linear + cross-entropy with ignore_index', () => {
      backend.use();
      const { tensors: f, metadata } = loadSafetensors(dir + 'linear_xent.safetensors');
      const meta = JSON.parse(metadata.case) as { ignoreIndex: number };
      const fc = new Linear({ inFeatures: f.x.shape[1], outFeatures: f['param.weight'].shape[0] });
      fc.loadStateDict({ weight: f['param.weight'], bias: f['param.bias'] });
      const r = softmaxCrossEntropy(fc.forward(f.x), Array.from(f.targets.data), {
        ignoreIndex: meta.ignoreIndex,
      });
      fc.zeroGrad();
      const dx = fc.backward(r.grad);
      const diffs = {
        loss: Math.abs(r.loss - f.loss.data[0]),
        dx: maxAbsDiff(dx.data, f.dx.data),
        dW: maxAbsDiff(fc.weight.grad.data, f['grad.weight'].data),
        db: maxAbsDiff(fc.bias!.grad.data, f['grad.bias'].data),
      };
      console.log(
        `  [${getBackend().name}] linear_xent: ` +
          Object.entries(diffs)
            .map(([k, v]) => `${k}=${v.toExponential(1)}`)
            .join(' '),
      );
      for (const [k, v] of Object.entries(diffs)) assert.ok(v <= TOL, `${k} differs by ${v}`);
    });
  });
}
