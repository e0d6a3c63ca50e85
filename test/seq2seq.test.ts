// Seq2seq with attention: learning check on a copy/reverse task, beam width 1 = greedy,
// batched decoding = one-by-one (padding never changes an output), attention weights with
// every output, G2P data/metrics, and the commands' error paths.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../src/index.js';
import { cmudictSplit, editDistance, fnv1a, type G2PEntry } from '../src/wings/seq2seq/cmudict.js';
import { padBatch } from '../src/data/batching.js';
import { Seq2Seq } from '../src/wings/seq2seq/model.js';
import { beamSearch, greedyDecode, greedyDecodeBatch } from '../src/wings/seq2seq/decode.js';
import { evaluateG2P, g2pTestWords, loadG2P, scoreG2P, trainG2P } from '../src/wings/seq2seq/train.js';
import { g2pFromBytes, g2pInput, translateWord } from '../src/wings/seq2seq/translate.js';
import { saveTaskModel } from '../src/wings/taskfile.js';
import { Adam } from '../src/optim/adam.js';
import { Rng } from '../src/util/rng.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kioku-s2s-'));
const BOS = 2;
const EOS = 3;

/** Reverse task over symbols 4..9: output = input reversed (needs attention to align). */
function reverseBatch(rng: Rng, B: number) {
  const srcs: Int32Array[] = [];
  const tgts: Int32Array[] = [];
  for (let b = 0; b < B; b++) {
    const n = 2 + rng.int(4);
    const s = Int32Array.from({ length: n }, () => 4 + rng.int(6));
    srcs.push(s);
    tgts.push(Int32Array.from(s).reverse());
  }
  return { srcs, tgts };
}

function trainReverse(
  kind: 'dot' | 'general' | 'additive',
  cell: 'lstm' | 'gru',
  steps: number,
): { model: Seq2Seq; losses: number[] } {
  const model = new Seq2Seq(
    {
      cell,
      srcVocab: 10,
      tgtVocab: 10,
      embedDim: 12,
      encoderHidden: 16,
      bidirectional: true,
      encoderLayers: 1,
      attention: kind,
      dropout: 0,
    },
    1,
  );
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const rng = new Rng(4);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { srcs, tgts } = reverseBatch(rng, 16);
    const sb = padBatch(srcs, 0);
    const tin = padBatch(
      tgts.map((t) => Int32Array.of(BOS, ...t)),
      0,
    );
    const tout = new Int32Array(tin.T * tin.B).fill(-100);
    tgts.forEach((t, b) => {
      t.forEach((v, k) => (tout[k * tin.B + b] = v));
      tout[t.length * tin.B + b] = EOS;
    });
    model.zeroGrad();
    losses.push(model.trainStep(sb, tin, tout).loss);
    opt.step();
  }
  return { model, losses };
}

for (const [kind, cell] of [
  ['dot', 'lstm'],
  ['additive', 'gru'],
  ['general', 'lstm'],
] as const) {
  test(`learning check: ${kind} attention, ${cell}, learns to reverse sequences`, () => {
    const { model, losses } = trainReverse(kind, cell, 150);
    const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
    const rng = new Rng(99);
    const { srcs, tgts } = reverseBatch(rng, 50);
    const outs = greedyDecodeBatch(model, srcs, { bos: BOS, eos: EOS, maxLen: 10 });
    const correct = outs.filter((o, i) => o.join() === Array.from(tgts[i]).join()).length;
    console.log(
      `  ${kind}/${cell}: loss ${first.toFixed(3)} → ${last.toFixed(3)}, exact reversals ${correct}/50`,
    );
    assert.ok(last < 0.35 * first);
    assert.ok(correct >= 35, `${correct}/50`);
  });
}

test('beam search with width 1 equals greedy decoding (tokens, score and attention)', () => {
  for (const steps of [0, 40]) {
    const { model } = trainReverse('additive', 'lstm', steps);
    const rng = new Rng(5);
    const { srcs } = reverseBatch(rng, 12);
    for (const s of srcs) {
      const g = greedyDecode(model, s, { bos: BOS, eos: EOS, maxLen: 8 });
      const [b] = beamSearch(model, s, 1, { bos: BOS, eos: EOS, maxLen: 8 });
      assert.deepEqual(b.tokens, g.tokens);
      assert.ok(Math.abs(b.logProb - g.logProb) < 1e-9);
      assert.deepEqual(b.weights, g.weights);
    }
  }
});

test('beam search: wider beams never score worse; hypotheses sorted; attention rows sum to 1', () => {
  const { model } = trainReverse('dot', 'lstm', 60);
  const rng = new Rng(8);
  const { srcs } = reverseBatch(rng, 10);
  for (const s of srcs) {
    const [b1] = beamSearch(model, s, 1, { bos: BOS, eos: EOS, maxLen: 8 });
    const hs = beamSearch(model, s, 4, { bos: BOS, eos: EOS, maxLen: 8 });
    assert.ok(hs[0].logProb >= b1.logProb - 1e-9);
    for (let i = 1; i < hs.length; i++) assert.ok(hs[i - 1].logProb >= hs[i].logProb);
    const h = hs[0];
    assert.equal(h.weights.length, h.tokens.length + (h.finished ? 1 : 0));
    for (const w of h.weights) {
      assert.equal(w.length, s.length);
      assert.ok(Math.abs(w.reduce((a, x) => a + x, 0) - 1) < 1e-5);
    }
  }
  assert.throws(() => beamSearch(model, srcs[0], 0, { bos: BOS, eos: EOS, maxLen: 8 }), /width must be/);
});

test('masking: batched greedy decoding of padded sources equals decoding each alone', () => {
  const { model } = trainReverse('general', 'gru', 30);
  const rng = new Rng(12);
  const { srcs } = reverseBatch(rng, 9);
  const batched = greedyDecodeBatch(model, srcs, { bos: BOS, eos: EOS, maxLen: 8 });
  srcs.forEach((s, i) =>
    assert.deepEqual(batched[i], greedyDecode(model, s, { bos: BOS, eos: EOS, maxLen: 8 }).tokens),
  );
});

test('G2P data: hash split is stable and disjoint; WER/PER use the closest reference', () => {
  assert.equal(fnv1a('hello'), 1335831723);
  const entries: G2PEntry[] = Array.from({ length: 500 }, (_, i) => ({ word: `w${i}`, prons: [['AH']] }));
  const s = cmudictSplit(entries);
  assert.equal(s.train.length + s.dev.length + s.test.length, 500);
  assert.ok(s.test.length > 10 && s.test.length < 45);
  const tr = new Set(s.train.map((e) => e.word));
  assert.ok(s.test.every((e) => !tr.has(e.word)));
  assert.equal(editDistance(['K', 'AE', 'T'], ['K', 'AA', 'T', 'S']), 2);
  const sc = scoreG2P(
    [
      ['T', 'AH', 'M', 'EY', 'T', 'OW'],
      ['K', 'AE'],
    ],
    [
      {
        word: 'tomato',
        prons: [
          ['T', 'AH', 'M', 'AA', 'T', 'OW'],
          ['T', 'AH', 'M', 'EY', 'T', 'OW'],
        ],
      },
      { word: 'cat', prons: [['K', 'AE', 'T']] },
    ],
  );
  assert.equal(sc.wer, 0.5);
  assert.ok(Math.abs(sc.per - 1 / 9) < 1e-12);
});

const tinyDict = (): { train: G2PEntry[]; dev: G2PEntry[]; test: G2PEntry[] } => {
  const map: Record<string, string> = { a: 'AH', b: 'B', c: 'K', d: 'D', e: 'EH', o: 'OW', t: 'T' };
  const rng = new Rng(3);
  const mk = (n: number): G2PEntry[] =>
    Array.from({ length: n }, () => {
      const w = Array.from({ length: 2 + rng.int(4) }, () => 'abcdeot'[rng.int(7)]).join('');
      return { word: w, prons: [[...w].map((ch) => map[ch])] };
    });
  return { train: mk(300), dev: mk(20), test: mk(30) };
};

test('G2P training on a tiny letter→phone dictionary, save/load, translate with attention', async () => {
  const out = join(dir, 'g2p-run');
  const r = await trainG2P({
    data: tinyDict(),
    epochs: 4,
    batchSize: 16,
    lr: 0.01,
    encoderHidden: 16,
    embedDim: 12,
    dropout: 0,
    beam: 3,
    out,
  });
  assert.ok(!r.finished);
  console.log(
    `  tiny G2P: dev WER per epoch ${r.dev.map((d) => (100 * d.wer).toFixed(0) + '%').join(' ')}, test WER ${(100 * r.test.wer).toFixed(1)}% PER ${(100 * r.test.per).toFixed(1)}%`,
  );
  assert.ok(r.test.wer <= 0.3, `WER ${r.test.wer}`);
  const warm = await trainG2P({
    data: tinyDict(),
    epochs: 1,
    batchSize: 16,
    lr: 0.003,
    initModel: out,
    out: join(dir, 'g2p2-run'),
  });
  assert.ok(!warm.finished);
  console.log(
    `  warm start: test WER ${(100 * warm.test.wer).toFixed(1)}% (from ${(100 * r.test.wer).toFixed(1)}%)`,
  );
  assert.equal(warm.config.encoderHidden, 16, 'architecture comes from the saved model');
  assert.ok(warm.test.wer <= 0.3);
  const g = loadG2P(out);
  const t = translateWord(g, 'Bad', 3, 2);
  assert.equal(t.source.join(''), 'bad');
  assert.equal(t.outputs.length, 2);
  assert.equal(t.weights.length, t.outputs[0].phones.length + 1);
  const q = translateWord(g, 'b' + 'a'.repeat(40) + 'z', 2);
  assert.equal(q.truncated, 10);
  assert.equal(q.oov, 0);
  const zz = translateWord(g, 'zz', 1);
  assert.equal(zz.oov, 2);
  assert.deepEqual(zz.unknown, ['z'], 'each unknown character named once');
  assert.throws(() => translateWord(g, '  '), /empty input/);
  // Every n-best output carries its own attention: one row per phone and </s>, each a distribution.
  const five = translateWord(g, 'dotted', 5, 5);
  assert.equal(five.outputs.length, 5);
  assert.deepEqual(five.weights, five.outputs[0].weights);
  for (const o of five.outputs) {
    assert.equal(o.weights.length, o.phones.length + 1);
    for (const row of o.weights) assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-5);
  }
  assert.deepEqual(g2pInput(g, ' Cat1! '), {
    word: 'cat1!',
    cut: 'cat1!',
    truncated: 0,
    unknown: ['1', '!'],
  });
  assert.equal(g2pInput(g, 'a'.repeat(35)).truncated, 3);
  // From the file's bytes (the page's path) exactly as from the file (Node's).
  const bytes = new Uint8Array(readFileSync(join(out, 'model.safetensors')));
  assert.deepEqual(translateWord(g2pFromBytes(bytes, 'run.safetensors'), 'dotted', 5, 5), five);
  assert.equal(g.scores?.beam, 3, 'the training run stores its scores with the beam width');
  assert.equal(g.scores?.test.wer, r.test.wer);
  assert.throws(() => g2pFromBytes(bytes.subarray(0, 100), 'cut.safetensors'), /cut\.safetensors/);
});

test('CLI: seq2seq eval scores a saved model on the held-out CMUdict words (progress on stderr)', async () => {
  const model = join(dir, 'eval-run');
  await trainG2P({ data: tinyDict(), epochs: 1, batchSize: 32, encoderHidden: 8, embedDim: 8, out: model });
  const report = join(dir, 'eval.json');
  const r = await runCli([
    'seq2seq',
    'eval',
    '--model',
    model,
    '--test-size',
    '25',
    '--beam',
    '2',
    '--json',
    '--report',
    report,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { wer: number; per: number; words: number; beam: number };
  const want = await evaluateG2P(loadG2P(model), g2pTestWords(25), 2);
  assert.deepEqual({ wer: got.wer, per: got.per, words: got.words, beam: got.beam }, { ...want, beam: 2 });
  assert.deepEqual(JSON.parse(readFileSync(report, 'utf8')), got);
  const plain = await runCli(['seq2seq', 'eval', '--model', model, '--test-size', '10']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^test WER \d+\.\d\d% PER \d+\.\d\d% on 10 words \(beam 5; /);
  assert.match(plain.stderr, /eval \(beam 5\): 10\/10 words/);
  const missing = await runCli(['seq2seq', 'eval', '--model', join(dir, 'none')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /model file not found/);
});

test('CLI: translate with figure; error paths (missing model, wrong task, empty input)', async () => {
  const model = join(dir, 'cli-run');
  await trainG2P({ data: tinyDict(), epochs: 1, batchSize: 32, encoderHidden: 8, embedDim: 8, out: model });
  const fig = join(dir, 'fig', 'attn');
  const r = await runCli([
    'seq2seq',
    'translate',
    '--model',
    model,
    '--beam',
    '3',
    '--weights',
    '--figure',
    fig,
    'bead',
    'cat',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^bead\t/m);
  assert.ok(existsSync(`${fig}.svg`) && existsSync(`${fig}.png`));
  const missing = await runCli(['seq2seq', 'translate', '--model', join(dir, 'none'), 'cat']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /model file not found/);
  const other = join(dir, 'w2v.safetensors');
  saveTaskModel(other, 'word2vec', {}, {}, {}, 0);
  const wrong = await runCli(['seq2seq', 'translate', '--model', other, 'cat']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /is a word2vec model, not a seq2seq model/);
  const empty = await runCli(['seq2seq', 'translate', '--model', model, ' ']);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /empty input/);
  const nb = await runCli(['seq2seq', 'translate', '--model', model, '--beam', '2', '--nbest', '3', 'cat']);
  assert.equal(nb.code, 2, 'a usage error'); // conflicting options: exit code 2 (argparse/click convention)
  assert.match(nb.stderr, /--nbest \(3\) cannot exceed --beam \(2\)/);
  assert.deepEqual(
    readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.tmp')),
    [],
  );
});
