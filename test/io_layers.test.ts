import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { setBackend } from '../src/tensor/current-backend.js';
import { ReferenceBackend } from '../src/tensor/reference.js';
import { Tensor } from '../src/tensor/tensor.js';
import { KiokuError } from '../src/util/errors.js';
import type { Module } from '../src/nn/module.js';
import { LSTM } from '../src/nn/lstm.js';
import { GRU } from '../src/nn/gru.js';
import { RNN } from '../src/nn/rnn.js';
import { Linear } from '../src/nn/linear.js';
import { Embedding } from '../src/nn/embedding.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { loadSafetensors, saveSafetensors } from '../src/node/safetensors-file.js';

// PyTorch state_dicts saved as safetensors (scripts/fixtures_io.py) load straight into
// kioku layers, and kioku layers save files with the same bytes. Output parity of the
// layers is tested in the layer tests; the probe here checks the weights landed where
// PyTorch's forward reads them.

setBackend(new ReferenceBackend());

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

interface Probe {
  input_shape: number[];
  output_shape: number[];
  output: number[];
}
const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'io_fixtures.json'), 'utf8')) as {
  files: Record<string, { metadata: Record<string, string>; probe: Probe }>;
};

/** The probe input of `scripts/fixtures_io.py` (`sample_input`). */
function probeInput(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.fromArray(
    Array.from({ length: n }, (_, i) => ((37 * i) % 17) / 8 - 1),
    shape,
  );
}

function run(module: Module, probe: Probe): Tensor {
  if (module instanceof Embedding) {
    const [T, B] = probe.input_shape;
    const ids = Int32Array.from({ length: T * B }, (_, i) => (5 * i) % module.numEmbeddings);
    return module.forward(ids, [T, B]);
  }
  const x = probeInput(probe.input_shape);
  if (module instanceof Linear) return module.forward(x);
  return (module as LSTM | GRU | RNN).forward(x).output;
}

const layers: Record<string, () => Module> = {
  'io_lstm.safetensors': () =>
    new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 9 }),
  'io_gru.safetensors': () => new GRU({ inputSize: 3, hiddenSize: 5, seed: 9 }),
  'io_rnn.safetensors': () =>
    new RNN({ inputSize: 4, hiddenSize: 3, numLayers: 2, nonlinearity: 'tanh', seed: 9 }),
  'io_linear.safetensors': () => new Linear({ inFeatures: 5, outFeatures: 3, seed: 9 }),
  'io_embedding.safetensors': () => new Embedding({ numEmbeddings: 7, embeddingDim: 4, seed: 9 }),
};

test('PyTorch state_dicts load into LSTM, GRU, RNN, Linear and Embedding', (t) => {
  for (const [file, make] of Object.entries(layers)) {
    const { tensors } = loadSafetensors(join(FIXTURES, file));
    const layer = make().eval();
    layer.loadStateDict(tensors);
    // every parameter now holds PyTorch's values exactly
    const state = layer.stateDict();
    assert.deepEqual(Object.keys(state).sort(), Object.keys(tensors).sort(), file);
    for (const [name, t] of Object.entries(tensors)) {
      assert.deepEqual(state[name].shape, t.shape, `${file}: ${name}`);
      assert.deepEqual(state[name].data, t.data, `${file}: ${name}`);
    }
    // and the layer computes what the PyTorch module computed on the probe input
    const probe = fixtures.files[file].probe;
    const y = run(layer, probe);
    assert.deepEqual(y.shape, probe.output_shape, file);
    let maxdiff = 0;
    for (let i = 0; i < y.size; i++) maxdiff = Math.max(maxdiff, Math.abs(y.data[i] - probe.output[i]));
    t.diagnostic(`${file}: probe output maxdiff ${maxdiff.toExponential(2)}`);
    assert.ok(maxdiff < 1e-6, `${file}: maxdiff ${maxdiff}`);
  }
});

test('a layer saved by kioku is byte-identical to the PyTorch state_dict file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-io-layers-'));
  try {
    for (const [file, make] of Object.entries(layers)) {
      const original = new Uint8Array(readFileSync(join(FIXTURES, file)));
      const { tensors, metadata } = decodeSafetensors(original);
      const layer = make();
      layer.loadStateDict(tensors);
      const path = join(dir, file);
      saveSafetensors(path, layer.stateDict(), metadata);
      assert.deepEqual(new Uint8Array(readFileSync(path)), original, file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('float64 layers load float32 files (values widened exactly) and save F64', () => {
  const { tensors } = loadSafetensors(join(FIXTURES, 'io_gru.safetensors'));
  const gru = new GRU({ inputSize: 3, hiddenSize: 5, dtype: 'float64' });
  gru.loadStateDict(tensors);
  assert.equal(gru.stateDict().weight_hh_l0.dtype, 'float64');
  assert.deepEqual(Array.from(gru.stateDict().weight_hh_l0.data), Array.from(tensors.weight_hh_l0.data));
  const back = decodeSafetensors(encodeSafetensors(gru.stateDict()));
  assert.equal(back.dtypes.weight_hh_l0, 'F64');
});

function refusesLoad(layer: Module, file: string, message: string): void {
  const { tensors } = loadSafetensors(join(FIXTURES, file));
  const before = Object.fromEntries(
    Object.entries(layer.stateDict()).map(([k, t]) => [k, Array.from(t.data)]),
  );
  assert.throws(
    () => layer.loadStateDict(tensors),
    (e: unknown) => e instanceof KiokuError && e.message === message,
  );
  // nothing was changed by the refused load
  for (const [k, t] of Object.entries(layer.stateDict())) assert.deepEqual(Array.from(t.data), before[k], k);
}

test('mismatched state_dicts are refused, naming the tensor and expected vs got shape', () => {
  // a GRU file (3 gates) into an LSTM (4 gates) of the same sizes
  refusesLoad(
    new LSTM({ inputSize: 3, hiddenSize: 5 }),
    'io_gru.safetensors',
    'LSTM.loadStateDict: weight_ih_l0 must have shape [20, 3], got [15, 3]',
  );
  // the LSTM file into an LSTM with the wrong hidden size
  refusesLoad(
    new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true }),
    'io_lstm.safetensors',
    'LSTM.loadStateDict: weight_ih_l0 must have shape [20, 3], got [16, 3]',
  );
  // the bidirectional file into a unidirectional LSTM
  refusesLoad(
    new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2 }),
    'io_lstm.safetensors',
    'LSTM.loadStateDict: unexpected keys: weight_ih_l0_reverse, weight_hh_l0_reverse, bias_ih_l0_reverse, ' +
      'bias_hh_l0_reverse, weight_ih_l1_reverse, weight_hh_l1_reverse, bias_ih_l1_reverse, bias_hh_l1_reverse',
  );
  // a 2-layer RNN file into a 3-layer RNN
  refusesLoad(
    new RNN({ inputSize: 4, hiddenSize: 3, numLayers: 3 }),
    'io_rnn.safetensors',
    'RNN.loadStateDict: missing keys: weight_ih_l2, weight_hh_l2, bias_ih_l2, bias_hh_l2',
  );
  refusesLoad(
    new Linear({ inFeatures: 3, outFeatures: 5 }),
    'io_linear.safetensors',
    'Linear.loadStateDict: weight must have shape [5, 3], got [3, 5]',
  );
  refusesLoad(
    new Linear({ inFeatures: 5, outFeatures: 3, bias: false }),
    'io_linear.safetensors',
    'Linear.loadStateDict: unexpected keys: bias',
  );
  refusesLoad(
    new Embedding({ numEmbeddings: 8, embeddingDim: 4 }),
    'io_embedding.safetensors',
    'Embedding.loadStateDict: weight must have shape [8, 4], got [7, 4]',
  );
});
