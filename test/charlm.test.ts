// Text generation end to end: truncated BPTT with carried state, exact resume, sampling,
// beam search, and a learning check on a small corpus.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CharVocab } from '../src/wings/charlm/vocab.js';
import { CharLM } from '../src/wings/charlm/model.js';
import { loadCharLM } from '../src/wings/charlm/io.js';
import { type CharTrainConfig, DEFAULT_CHAR_TRAIN, trainCharLM } from '../src/wings/charlm/train.js';
import { beamDecode, beamSearch, sample, scoreContinuation } from '../src/wings/charlm/generate.js';
import '../src/index.js';
import { getBackend } from '../src/tensor/current-backend.js';
import { maxAbsDiff } from './helpers/gradcheck.js';

// The default backend (WASM SIMD where it runs), as users get it.
console.log(`  backend: ${getBackend().name}`);

/** A small, learnable corpus: repeated lines with a little variety (and some Japanese). */
function corpus(): string {
  const lines = ['the cat sat on the mat.', 'a dog ran in the fog.', 'ねこがいる。', 'the sun is hot.'];
  let s = '';
  for (let i = 0; i < 120; i++) s += lines[(i * 7) % lines.length] + '\n';
  return s;
}

function tinyConfig(dir: string, extra: Partial<CharTrainConfig> = {}): CharTrainConfig {
  const data = join(dir, 'corpus.txt');
  writeFileSync(data, corpus());
  return {
    ...DEFAULT_CHAR_TRAIN,
    data,
    hidden: 16,
    embed: 8,
    batch: 4,
    seq: 12,
    steps: 12,
    lr: 1e-2,
    decay: 0.9,
    decayEvery: 4,
    validateEvery: 5,
    checkpointEvery: 6,
    out: join(dir, 'run'),
    dropout: 0.1,
    layers: 2,
    ...extra,
  };
}

describe('char language model', () => {
  test('state carried across truncated chunks equals one long unrolled pass', () => {
    const vocab = CharVocab.fromText(corpus());
    for (const cell of ['lstm', 'gru', 'rnn'] as const) {
      const lm = new CharLM({
        vocabSize: vocab.size,
        cell,
        hidden: 8,
        layers: 2,
        embed: 4,
        dropout: 0,
        seed: 3,
      }).eval();
      const ids = vocab.encode(Array.from(corpus()).slice(0, 2 * 10 * 2)); // T=20, B=2 time-major
      const whole = lm.forward(ids, 20, 2).logits;
      const a = lm.forward(ids.subarray(0, 20), 10, 2);
      const b = lm.forward(ids.subarray(20), 10, 2, a.state);
      const chunked = new Float32Array(whole.size);
      chunked.set(a.logits.data);
      chunked.set(b.logits.data, a.logits.size);
      const d = maxAbsDiff(whole.data, chunked);
      console.log(`  ${cell}: chunked vs unrolled logits max abs diff ${d.toExponential(2)}`);
      assert.ok(d <= 1e-6);
    }
  });

  test('N steps straight equal N/2 + resume + N/2 (weights, optimizer, data position, carried state, dropout RNG)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioku-resume-'));
    const straight = await trainCharLM(tinyConfig(dir, { out: join(dir, 'a') }));
    await trainCharLM(tinyConfig(dir, { out: join(dir, 'b'), steps: 6 }));
    const resumed = await trainCharLM(tinyConfig(dir, { out: join(dir, 'b') }), { resume: true });
    assert.ok(!straight.finished && !resumed.finished);
    assert.equal(resumed.result.steps, 12);
    let worst = 0;
    const sa = straight.model.stateDict();
    const sb = resumed.model.stateDict();
    for (const k of Object.keys(sa)) worst = Math.max(worst, maxAbsDiff(sa[k].data, sb[k].data));
    console.log(
      `  resume: max abs weight difference ${worst} after 12 steps (val ${straight.result.valLoss.toFixed(4)} vs ${resumed.result.valLoss.toFixed(4)})`,
    );
    assert.equal(worst, 0);
    assert.equal(straight.result.valLoss, resumed.result.valLoss);
  });

  test('learns the small corpus (validation loss below 1.2 nats/char within 150 steps), saves and reloads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioku-learn-'));
    const cfg = tinyConfig(dir, {
      hidden: 32,
      layers: 1,
      dropout: 0,
      steps: 150,
      seq: 16,
      batch: 8,
      validateEvery: 50,
      checkpointEvery: 75,
      decay: 1,
    });
    const run = await trainCharLM(cfg);
    assert.ok(!run.finished);
    const first = run.result.history[0].loss;
    console.log(
      `  loss ${first.toFixed(3)} → train ${run.result.finalLoss.toFixed(3)}, validation ${run.result.valLoss.toFixed(3)} nats/char after ${run.result.steps} steps`,
    );
    assert.ok(run.result.valLoss < 1.2, `validation loss ${run.result.valLoss}`);
    const loaded = loadCharLM(cfg.out);
    assert.equal(loaded.step, 150);
    const g1 = sample(run.model.eval(), run.vocab, { prime: 'the ', length: 30, temperature: 0.7, seed: 5 });
    const g2 = sample(loaded.model, loaded.vocab, { prime: 'the ', length: 30, temperature: 0.7, seed: 5 });
    assert.equal(g1.text, g2.text);
    const j = sample(loaded.model, loaded.vocab, { prime: 'ねこ', length: 10, temperature: 0, seed: 1 });
    console.log(`  sample: "the ${g1.text}"  greedy after ねこ: "${j.text.replace(/\n/g, '\\n')}"`);
  });

  test('sampling: deterministic under a seed; temperature → 0 equals greedy; log-probabilities are consistent', () => {
    const vocab = CharVocab.fromText(corpus());
    const lm = new CharLM({
      vocabSize: vocab.size,
      cell: 'lstm',
      hidden: 12,
      layers: 1,
      embed: 6,
      dropout: 0,
      seed: 9,
    }).eval();
    const a = sample(lm, vocab, { prime: 'the', length: 40, seed: 42 });
    const b = sample(lm, vocab, { prime: 'the', length: 40, seed: 42 });
    const c = sample(lm, vocab, { prime: 'the', length: 40, seed: 43 });
    assert.equal(a.text, b.text);
    assert.notEqual(a.text, c.text);
    const greedy = sample(lm, vocab, { prime: 'the', length: 40, greedy: true });
    const cold = sample(lm, vocab, { prime: 'the', length: 40, temperature: 1e-4, seed: 7 });
    assert.equal(cold.text, greedy.text);
    const rescored = scoreContinuation(lm, vocab, 'the', a.text);
    console.log(
      `  log p reported ${a.logProb.toFixed(6)} vs rescored ${rescored.toFixed(6)}; perplexity ${a.perplexity.toFixed(3)}`,
    );
    assert.ok(Math.abs(rescored - a.logProb) < 1e-6 * Math.abs(rescored) + 1e-9);
    assert.ok(Math.abs(a.perplexity - Math.exp(-a.logProb / 40)) < 1e-9);
    const top1 = sample(lm, vocab, { prime: 'the', length: 40, topK: 1, seed: 3 });
    assert.equal(top1.text, greedy.text);
  });

  test('beam search finds a sequence at least as probable as greedy (constructed model where greedy is wrong)', () => {
    // Tokens 0..2. From the start: p(0)=0.6, p(1)=0.4. After 0 every token is 1/3;
    // after 1 the next is 2 with p=0.95. Greedy takes 0 then anything: log(0.6·1/3) = −1.61;
    // the best two-token sequence is (1, 2): log(0.4·0.95) = −0.97.
    const L = (ps: number[]) => Float64Array.from(ps, Math.log);
    const table: Record<number, Float64Array> = {
      0: L([1 / 3, 1 / 3, 1 / 3]),
      1: L([0.025, 0.025, 0.95]),
      2: L([1 / 3, 1 / 3, 1 / 3]),
    };
    const stepper = { step: (tokens: Int32Array) => Array.from(tokens, (t) => table[t]) };
    const first = L([0.6, 0.4, 1e-9]);
    const greedy = beamDecode(first, stepper, { length: 2, width: 1 });
    const beam = beamDecode(first, stepper, { length: 2, width: 2 });
    console.log(
      `  greedy ${greedy.ids} log p ${greedy.logProb.toFixed(3)}; beam ${beam.ids} log p ${beam.logProb.toFixed(3)}`,
    );
    assert.deepEqual(beam.ids, [1, 2]);
    assert.ok(beam.logProb > greedy.logProb);
    // On a real (untrained) char LM too: width 1 is greedy, and width 8 is at least as probable.
    const vocab = CharVocab.fromText(corpus());
    const lm = new CharLM({
      vocabSize: vocab.size,
      cell: 'gru',
      hidden: 12,
      layers: 1,
      embed: 6,
      dropout: 0,
      seed: 2,
    }).eval();
    const g = sample(lm, vocab, { prime: 'a ', length: 15, greedy: true });
    const w1 = beamSearch(lm, vocab, { prime: 'a ', length: 15, width: 1 });
    const w8 = beamSearch(lm, vocab, { prime: 'a ', length: 15, width: 8 });
    assert.equal(w1.text, g.text);
    assert.ok(w8.logProb >= g.logProb - 1e-9, `${w8.logProb} < ${g.logProb}`);
    assert.ok(Math.abs(scoreContinuation(lm, vocab, 'a ', w8.text) - w8.logProb) < 1e-4);
  });

  test('unknown prime characters are reported by name; a prime of only unknown characters is refused', () => {
    const vocab = CharVocab.fromText('abc ');
    const lm = new CharLM({
      vocabSize: vocab.size,
      cell: 'rnn',
      hidden: 4,
      layers: 1,
      embed: 2,
      dropout: 0,
      seed: 1,
    }).eval();
    const g = sample(lm, vocab, { prime: 'abzé', length: 3 });
    assert.deepEqual(g.unknown, ['z', 'é']);
    assert.equal(g.prime, 'ab');
    assert.throws(
      () => sample(lm, vocab, { prime: 'xyz', length: 3 }),
      /no character the model knows.*"x" \(U\+0078\)/,
    );
  });
});
