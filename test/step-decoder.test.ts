// The fused decoding kernel (asm/sample.ts through StepDecoder): one WASM call per token must
// draw the same tokens as the layers' own forward for the same seed — on the WASM backend
// (same floats: the kernel repeats the unfused arithmetic) and on the reference backend
// (float32 rounding apart) — for every cell, stacked layers, odd sizes, peepholes, top-k,
// temperature and greedy decoding; and the product's `sample` must give the same text.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Embedding } from '../src/nn/embedding.js';
import { GRU } from '../src/nn/gru.js';
import { Linear } from '../src/nn/linear.js';
import { LSTM } from '../src/nn/lstm.js';
import { packParameters, type Parameter } from '../src/nn/module.js';
import type { RecurrentBase } from '../src/nn/recurrent.js';
import { RNN } from '../src/nn/rnn.js';
import { type SamplingRule, StepDecoder } from '../src/nn/step-decoder.js';
import type { Backend } from '../src/tensor/backend.js';
import { getBackend, setBackend } from '../src/tensor/current-backend.js';
import { ReferenceBackend } from '../src/tensor/reference.js';
import { createWasmBackend } from '../src/tensor/wasm-backend.js';
import { CharLM } from '../src/wings/charlm/model.js';
import { sample, scoreContinuation, nextCharsAlong } from '../src/wings/charlm/generate.js';
import { CharVocab } from '../src/wings/charlm/vocab.js';
import { Rng } from '../src/util/rng.js';

const wasm = createWasmBackend();
if (wasm === null) throw new Error('the WASM backend did not load (run npm run build:wasm)');
const reference = new ReferenceBackend();
const before = getBackend();
after(() => setBackend(before));

interface Net {
  embedding: Embedding;
  rnn: RecurrentBase;
  head: Linear;
}

/** A small net with weights scaled up, so the distributions are peaked and depend on the state. */
function net(
  cell: 'lstm' | 'lstm-peep' | 'gru' | 'rnn-tanh' | 'rnn-relu',
  o: { V: number; E: number; H: number; L: number },
): Net {
  const opts = { inputSize: o.E, hiddenSize: o.H, numLayers: o.L, seed: 5 };
  const rnn =
    cell === 'gru'
      ? new GRU(opts)
      : cell === 'rnn-tanh' || cell === 'rnn-relu'
        ? new RNN({ ...opts, nonlinearity: cell === 'rnn-relu' ? 'relu' : 'tanh' })
        : new LSTM({ ...opts, peephole: cell === 'lstm-peep' });
  const n: Net = {
    embedding: new Embedding({ numEmbeddings: o.V, embeddingDim: o.E, seed: 6 }),
    rnn,
    head: new Linear({ inFeatures: o.H, outFeatures: o.V, seed: 7 }),
  };
  // (A ReLU RNN's state grows without bound at that scale; 1 keeps its logits moderate.)
  const scale = cell === 'rnn-relu' ? 1 : 2.5;
  for (const p of params(n)) for (let i = 0; i < p.value.data.length; i++) p.value.data[i] *= scale;
  n.rnn.eval();
  return n;
}

function params(n: Net): Parameter[] {
  return [...n.embedding.parameters(), ...n.rnn.parameters(), ...n.head.parameters()];
}

interface Trace {
  fused: boolean;
  ids: number[];
  logps: number[];
  /** log p of every token at every step. */
  dists: Float64Array[];
}

/** Decode `steps` tokens on backend `be` after feeding `prime`, recording every distribution. */
function decode(
  be: Backend,
  n: Net,
  rule: SamplingRule,
  o: { fused: boolean; tokens: number; steps: number; seed: number },
): Trace {
  setBackend(be);
  const dec = new StepDecoder(n, { fused: o.fused, tokens: o.tokens }).start();
  const rng = new Rng(o.seed);
  const t: Trace = { fused: dec.fused, ids: [], logps: [], dists: [] };
  try {
    for (const id of [1, 2, 0]) dec.feed(id);
    for (let s = 0; s < o.steps; s++) {
      t.dists.push(dec.logProbs());
      t.ids.push(dec.next(rng, rule));
      t.logps.push(dec.lastLogProb);
    }
  } finally {
    dec.dispose();
  }
  return t;
}

function maxDiff(a: Trace, b: Trace): number {
  let d = 0;
  a.dists.forEach((x, s) => x.forEach((v, i) => (d = Math.max(d, Math.abs(v - b.dists[s][i])))));
  a.logps.forEach((v, s) => (d = Math.max(d, Math.abs(v - b.logps[s]))));
  return d;
}

const RULES: [string, SamplingRule][] = [
  ['τ=1', { temperature: 1, topK: 0, greedy: false }],
  ['τ=0.7 top-3', { temperature: 0.7, topK: 3, greedy: false }],
  ['τ=1.6', { temperature: 1.6, topK: 0, greedy: false }],
  ['greedy', { temperature: 0, topK: 0, greedy: true }],
];

describe('the fused decoding kernel', () => {
  for (const cell of ['lstm', 'lstm-peep', 'gru', 'rnn-tanh', 'rnn-relu'] as const) {
    test(`${cell}: the same tokens as the unfused path (WASM: same floats; reference backend: within 1e-4)`, () => {
      const shape = { V: 11, E: 7, H: 13, L: 2 };
      const n = net(cell, shape);
      for (const [name, rule] of RULES) {
        for (const tokens of [0, 100]) {
          const o = { tokens, steps: 60, seed: 3 };
          const fused = decode(wasm, n, rule, { ...o, fused: true });
          const unfused = decode(wasm, n, rule, { ...o, fused: false });
          const ref = decode(reference, n, rule, { ...o, fused: true });
          assert.ok(fused.fused && !unfused.fused && !ref.fused, 'the kernel runs on WASM only');
          const dWasm = maxDiff(fused, unfused);
          const dRef = maxDiff(fused, ref);
          console.log(
            `  ${cell} ${name}${tokens ? ' (input table)' : ''}: ${fused.ids.length} tokens equal; max |Δ log p| vs unfused WASM ${dWasm.toExponential(2)}, vs reference ${dRef.toExponential(2)}`,
          );
          assert.deepEqual(fused.ids, unfused.ids, `${cell} ${name}: tokens vs the unfused WASM path`);
          assert.deepEqual(fused.ids, ref.ids, `${cell} ${name}: tokens vs the reference backend`);
          // Logits are the same floats; only Math.exp/log (V8's vs AssemblyScript's) may differ in the last bit.
          assert.ok(dWasm <= 1e-12, `${cell} ${name}: ${dWasm} vs unfused WASM`);
          assert.ok(dRef <= 1e-4, `${cell} ${name}: ${dRef} vs reference`);
        }
      }
    });
  }

  test('weights packed in the WASM memory are read in place: same tokens as copied ones; H, E multiples of 4', () => {
    const shape = { V: 40, E: 16, H: 32, L: 1 };
    const rule = RULES[0][1];
    const o = { tokens: 500, steps: 80, seed: 11, fused: true };
    const n = net('lstm', shape);
    const copied = decode(wasm, n, rule, o);
    setBackend(wasm);
    packParameters(params(n));
    const inPlace = decode(wasm, n, rule, o);
    const unfused = decode(wasm, n, rule, { ...o, fused: false });
    console.log(`  packed weights: max |Δ log p| vs copied ${maxDiff(inPlace, copied).toExponential(2)}`);
    assert.deepEqual(inPlace.ids, copied.ids);
    assert.deepEqual(inPlace.ids, unfused.ids);
    assert.equal(maxDiff(inPlace, copied), 0);
  });

  test('falls back to the layers where the kernel does not apply; refuses bad tokens and use after dispose', () => {
    setBackend(wasm);
    const shape = { inputSize: 4, hiddenSize: 5 };
    const embedding = new Embedding({ numEmbeddings: 6, embeddingDim: 4 });
    const head = new Linear({ inFeatures: 5, outFeatures: 6 });
    const bi = new StepDecoder({ embedding, rnn: new LSTM({ ...shape, bidirectional: true }).eval(), head });
    assert.equal(bi.fused, false, 'bidirectional');
    const dropping = new StepDecoder({
      embedding,
      rnn: new GRU({ ...shape, numLayers: 2, dropout: 0.5 }),
      head,
    });
    assert.equal(dropping.fused, false, 'dropout in training mode');
    const dec = new StepDecoder({ embedding, rnn: new GRU(shape).eval(), head }).start();
    assert.equal(dec.fused, true);
    assert.throws(() => dec.feed(6), /token 6 is outside \[0, 6\)/);
    dec.dispose();
    assert.throws(() => dec.feed(1), /after dispose/);
    assert.throws(
      () =>
        new StepDecoder({
          embedding,
          rnn: new GRU(shape),
          head: new Linear({ inFeatures: 5, outFeatures: 3 }),
        }),
      /the head must predict the 6 embedded tokens, got 3 outputs/,
    );
  });

  test("the product's sample / scoreContinuation / nextCharsAlong: same text on WASM (fused) and the reference backend", () => {
    const text = 'the cat sat on the mat; the dog sat on the log. ';
    const vocab = CharVocab.fromText(text);
    for (const cell of ['lstm', 'gru']) {
      setBackend(reference);
      const lm = new CharLM({
        vocabSize: vocab.size,
        cell,
        hidden: 24,
        layers: 2,
        embed: 8,
        dropout: 0,
        seed: 4,
      });
      for (const p of lm.parameters()) for (let i = 0; i < p.value.data.length; i++) p.value.data[i] *= 2;
      const run = (be: Backend) => {
        setBackend(be);
        const g = sample(lm, vocab, { prime: 'the ', length: 120, temperature: 0.9, topK: 5, seed: 8 });
        const score = scoreContinuation(lm, vocab, 'the ', g.text);
        const along = nextCharsAlong(lm, vocab, 'the ', g.text.slice(0, 20), 3);
        return { g, score, along };
      };
      const f = run(wasm);
      const r = run(reference);
      const probDiff = Math.max(
        ...f.along.steps.flatMap((s, i) => s.probs.map((p, j) => Math.abs(p - r.along.steps[i].probs[j]))),
      );
      console.log(
        `  ${cell} sample: "${f.g.text.slice(0, 40)}…" log p ${f.g.logProb.toFixed(6)} (reference ${r.g.logProb.toFixed(6)}), rescored ${f.score.toFixed(6)}; top-3 probs max abs diff ${probDiff.toExponential(2)}`,
      );
      assert.equal(f.g.text, r.g.text);
      assert.ok(Math.abs(f.g.logProb - r.g.logProb) < 1e-3);
      assert.ok(Math.abs(f.score - f.g.logProb) < 1e-9 * Math.abs(f.score) + 1e-9, 'rescoring agrees');
      assert.ok(probDiff < 1e-5);
    }
  });
});
