// The cell registry (src/nn/cells.ts) is the one list of cells: its gate counts and state
// slots match the layers, its parameter arithmetic matches built models, and a cell added
// with one registration is a choice of every model (the toy cell below is registered here,
// in the test, and the models build it by name).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  cellDefaults,
  cellNames,
  cellSpec,
  createCell,
  recurrentParameterCount,
  registerCell,
  unregisterCell,
} from '../src/nn/cells.js';
import { RNN } from '../src/nn/rnn.js';
import { Tensor } from '../src/tensor/tensor.js';
import { CharLM } from '../src/wings/charlm/model.js';
import { SequenceModel } from '../src/wings/experiments/model.js';
import { Forecaster } from '../src/wings/forecast/model.js';
import { countParameters, HandwritingModel } from '../src/wings/handwriting/model.js';
import { DEFAULT_SENTIMENT_CONFIG, SentimentModel } from '../src/wings/sentiment/model.js';
import { DEFAULT_SEQ2SEQ_CONFIG, Seq2Seq } from '../src/wings/seq2seq/model.js';

describe('cell registry', () => {
  test('lists the built-in cells with their gates and state slots', () => {
    assert.deepEqual(cellNames().slice(0, 3), ['rnn', 'lstm', 'gru']);
    const got = ['rnn', 'lstm', 'gru'].map((n) => {
      const s = cellSpec(n);
      return [s.name, s.gates, s.gateNames.join(''), s.stateSlots.join(',')];
    });
    assert.deepEqual(got, [
      ['rnn', 1, 'W_hh', 'h'],
      ['lstm', 4, 'ifgo', 'h,c'],
      ['gru', 3, 'rzn', 'h'],
    ]);
    assert.deepEqual(cellDefaults('lstm'), { forgetBias: 1 });
  });

  test('each spec matches the layer it builds (gates, slots, parameter count)', () => {
    for (const name of ['rnn', 'lstm', 'gru']) {
      for (const o of [
        { inputSize: 3, hiddenSize: 5 },
        { inputSize: 2, hiddenSize: 7, numLayers: 2, bidirectional: true },
        ...(name === 'lstm' ? [{ inputSize: 4, hiddenSize: 3, numLayers: 2, peephole: true }] : []),
      ]) {
        const layer = createCell(name, o);
        const spec = cellSpec(name);
        assert.equal(layer.gateCount, spec.gates, name);
        assert.deepEqual(layer.stateSlots, spec.stateSlots, name);
        assert.equal(recurrentParameterCount(name, o), layer.numParameters(), `${name} ${JSON.stringify(o)}`);
        const z = layer.zeroState(2);
        assert.deepEqual(Object.keys(z), [...spec.stateSlots]);
        assert.deepEqual(z.h.shape, [(o.numLayers ?? 1) * (o.bidirectional ? 2 : 1), 2, o.hiddenSize]);
      }
    }
  });

  test('the LSTM default forget-gate bias reaches b_if (and b_hf = 0)', () => {
    const lstm = createCell('lstm', { ...cellDefaults('lstm'), inputSize: 2, hiddenSize: 3 });
    const w = lstm.directionWeights(0);
    assert.deepEqual([...w.bih.value.data.subarray(3, 6)], [1, 1, 1]);
    assert.deepEqual([...w.bhh.value.data.subarray(3, 6)], [0, 0, 0]);
  });

  test('refuses an unknown cell, an option the cell does not take, and a duplicate name', () => {
    assert.throws(
      () => createCell('lstn', { inputSize: 1, hiddenSize: 1 }),
      /expected one of rnn, lstm, gru.*got "lstn"/,
    );
    assert.throws(
      () => createCell('gru', { inputSize: 1, hiddenSize: 1, peephole: true }),
      /GRU: peephole is not an option/,
    );
    assert.throws(() => registerCell(cellSpec('gru')), /already registered/);
    assert.throws(
      () => new CharLM({ vocabSize: 5, cell: 'nope', hidden: 4, layers: 1, embed: 3, dropout: 0, seed: 0 }),
      /CharLM: cell: expected one of/,
    );
  });
});

describe('adding a cell is one file and one registration', () => {
  // The "file": a ReLU Elman RNN as its own cell (Le et al. 2015's IRNN without the identity init).
  class ReluRNN extends RNN {}
  registerCell({
    name: 'relu-rnn',
    title: 'ReLU RNN',
    gates: 1,
    gateNames: ['W_hh'],
    stateSlots: ['h'],
    description: 'Elman RNN with ReLU activation',
    extras: [],
    defaults: {},
    create: (o) => new ReluRNN({ ...o, nonlinearity: 'relu' }),
  });
  after(() => unregisterCell('relu-rnn'));

  test('every model builds it by name', () => {
    assert.ok(cellNames().includes('relu-rnn'));
    const lm = new CharLM({
      vocabSize: 6,
      cell: 'relu-rnn',
      hidden: 8,
      layers: 2,
      embed: 4,
      dropout: 0,
      seed: 1,
    });
    assert.ok(lm.rnn instanceof ReluRNN);
    assert.equal(lm.rnn instanceof RNN && lm.rnn.nonlinearity, 'relu');
    const { logits, state } = lm.forward(new Int32Array([1, 2, 3, 4]), 2, 2);
    assert.deepEqual(logits.shape, [2, 2, 6]);
    assert.deepEqual(Object.keys(state), ['h']);

    const seq = new SequenceModel({ cell: 'relu-rnn', inputSize: 2, hidden: 5, outputSize: 1 });
    assert.ok(seq.rnn instanceof ReluRNN);
    assert.equal(
      seq.numParameters(),
      recurrentParameterCount('relu-rnn', { inputSize: 2, hiddenSize: 5 }) + 6,
    );

    const hw = new HandwritingModel({ cell: 'relu-rnn', hiddenSize: 4, numLayers: 2, mixtures: 2 });
    assert.equal(
      hw.numParameters(),
      countParameters({ cell: 'relu-rnn', hiddenSize: 4, numLayers: 2, mixtures: 2 }),
    );
    const { yhat } = hw.forward(Tensor.zeros([3, 1, 3]));
    assert.deepEqual(yhat.shape, [3, 1, 13]);

    const f = new Forecaster({
      cell: 'relu-rnn',
      hiddenSize: 4,
      numLayers: 1,
      lookback: 3,
      horizon: 2,
      mode: 'direct',
    });
    assert.ok(f.rnn instanceof ReluRNN);
    const s = new SentimentModel({
      ...DEFAULT_SENTIMENT_CONFIG,
      cell: 'relu-rnn',
      vocabSize: 10,
      embedDim: 3,
      hiddenSize: 4,
    });
    assert.ok(s.rnn instanceof ReluRNN);
    const s2s = new Seq2Seq({ ...DEFAULT_SEQ2SEQ_CONFIG, cell: 'relu-rnn', srcVocab: 7, tgtVocab: 7 });
    assert.ok(s2s.encoder instanceof ReluRNN && s2s.decoder instanceof ReluRNN);
  });
});
