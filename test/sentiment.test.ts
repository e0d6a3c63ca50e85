// Sentiment (many-to-one): tokenizer/vocabulary, padded bucketed batches, masking,
// a learning check, token-by-token prediction and the command's error paths.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../src/index.js';
import { bucketBatches, padBatch } from '../src/data/batching.js';
import { imdbSplit, type Review } from '../src/wings/sentiment/imdb.js';
import { detokenize, tokenize } from '../src/data/text.js';
import { Vocab } from '../src/data/vocab.js';
import { SentimentModel } from '../src/wings/sentiment/model.js';
import { predictSentiment, sentimentFromBytes } from '../src/wings/sentiment/predict.js';
import { loadSentiment, trainSentiment } from '../src/wings/sentiment/train.js';
import { saveTaskModel } from '../src/wings/taskfile.js';
import { Rng } from '../src/util/rng.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kioku-sent-'));

test('tokenizer: lower-case words, apostrophes, !/?, <br /> removed; detokenize round-trips', async () => {
  const t = tokenize("It's GREAT!<br /><br />Loved it… didn’t you?");
  assert.deepEqual(t, ["it's", 'great', '!', 'loved', 'it', "didn't", 'you', '?']);
  assert.deepEqual(tokenize(detokenize(t)), t);
  assert.deepEqual(tokenize('  <br/> ... '), []);
});

test('vocabulary: size cap, frequency order, OOV counted, JSON round trip', async () => {
  const v = Vocab.build([['b', 'a', 'a', 'c', 'c', 'c'], ['d']], { maxSize: 4 });
  assert.deepEqual(v.tokens, ['<pad>', '<unk>', 'c', 'a']);
  const e = v.encode(['a', 'zzz', 'c', 'b']);
  assert.deepEqual(Array.from(e.ids), [3, 1, 2, 1]);
  assert.equal(e.oov, 2);
  const w = Vocab.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
  assert.deepEqual(w.tokens, v.tokens);
  assert.deepEqual(w.decode(e.ids), ['a', '<unk>', 'c', '<unk>']);
  assert.throws(() => Vocab.fromJSON({ tokens: ['x'] }), /not a kioku vocabulary/);
  assert.throws(() => v.decode([9]), /outside/);
});

test('padded batches: time-major ids, lengths, masks; buckets cover every item once', async () => {
  const b = padBatch([Int32Array.of(5, 6, 7), Int32Array.of(8)], 0);
  assert.deepEqual(Array.from(b.ids), [5, 8, 6, 0, 7, 0]);
  assert.deepEqual(Array.from(b.mask), [1, 1, 1, 0, 1, 0]);
  assert.deepEqual(Array.from(b.lengths), [3, 1]);
  const lengths = Array.from({ length: 103 }, (_, i) => ((i * 37) % 50) + 1);
  const batches = bucketBatches(lengths, 8, new Rng(1));
  assert.deepEqual(
    batches.flat().sort((x, y) => x - y),
    lengths.map((_, i) => i),
  );
  // Within a batch lengths are close (sorted pools).
  const spread = Math.max(
    ...batches.map((bb) => Math.max(...bb.map((i) => lengths[i])) - Math.min(...bb.map((i) => lengths[i]))),
  );
  console.log(`  max length spread inside a batch: ${spread} (lengths 1..50)`);
  assert.ok(spread <= 6);
});

test('fixed IMDB split: balanced, disjoint halves of each label block', async () => {
  const fake: Review[] = [];
  for (let i = 0; i < 40; i++) fake.push({ text: `neg ${i}`, label: 0 });
  for (let i = 0; i < 40; i++) fake.push({ text: `pos ${i}`, label: 1 });
  const s = imdbSplit(fake, { trainSize: 40, testSize: 40 });
  assert.equal(s.train.length, 40);
  assert.equal(s.test.length, 40);
  assert.equal(s.train.filter((r) => r.label === 1).length, 20);
  assert.deepEqual(
    s.test.slice(0, 2).map((r) => r.text),
    ['neg 20', 'pos 20'],
  );
  const tr = new Set(s.train.map((r) => r.text));
  assert.ok(s.test.every((r) => !tr.has(r.text)));
});

for (const [cell, bidirectional, pool] of [
  ['lstm', true, 'last'],
  ['gru', false, 'last'],
  ['lstm', true, 'meanmax'],
  ['gru', true, 'mean'],
] as const) {
  test(`masking: padding never changes a prediction (${cell}, ${bidirectional ? 'bi' : 'uni'}, ${pool})`, () => {
    const m = new SentimentModel(
      {
        cell,
        bidirectional,
        pool,
        vocabSize: 30,
        embedDim: 5,
        hiddenSize: 6,
        numLayers: 2,
        dropout: 0.5,
        maxLen: 50,
      },
      3,
    );
    m.eval();
    const rng = new Rng(2);
    const seqs = [7, 3, 11, 1].map((n) => Int32Array.from({ length: n }, () => 2 + rng.int(28)));
    const alone = seqs.map((s) => m.forward(s, s.length, 1, [s.length])[0]);
    const b = padBatch(seqs, 0);
    const batched = m.forward(b.ids, b.T, b.B, b.lengths);
    const diff = Math.max(...alone.map((z, i) => Math.abs(z - batched[i])));
    console.log(`  max |alone − padded batch| = ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-5);
  });
}

/** Synthetic reviews: the label is carried by one sentiment word among filler. */
function synthetic(n: number, seed: number): Review[] {
  const rng = new Rng(seed);
  const filler = ['the', 'film', 'was', 'a', 'plot', 'actor', 'and', 'it', 'story', 'scene'];
  const pos = ['great', 'wonderful', 'loved'];
  const neg = ['awful', 'boring', 'hated'];
  const out: Review[] = [];
  for (let i = 0; i < n; i++) {
    const label = (i % 2) as 0 | 1;
    const words = Array.from({ length: 4 + rng.int(8) }, () => filler[rng.int(filler.length)]);
    words.splice(rng.int(words.length + 1), 0, (label ? pos : neg)[rng.int(3)]);
    out.push({ text: words.join(' '), label });
  }
  return out;
}

test('learning check: BiLSTM with masked mean+max pooling separates synthetic reviews', async () => {
  const r = await trainSentiment({
    data: { train: synthetic(256, 1), test: synthetic(128, 2) },
    embedDim: 8,
    hiddenSize: 8,
    epochs: 6,
    batchSize: 16,
    lr: 0.01,
    dropout: 0,
    seed: 1,
    evalEvery: 16,
    evalSize: 128,
  });
  assert.ok(!r.finished);
  console.log(
    `  curve: ${r.curve.map((c) => `${c.step}:${(100 * c.evalAccuracy).toFixed(0)}%`).join(' ')}; test accuracy ${(100 * r.testAccuracy).toFixed(1)}%`,
  );
  assert.ok(r.testAccuracy >= 0.95, `accuracy ${r.testAccuracy}`);
});

test('save/load round trip and token-by-token trace (every prefix, last equals the prediction)', async () => {
  const out = join(dir, 'syn-run');
  await trainSentiment({
    data: { train: synthetic(128, 3), test: synthetic(32, 4) },
    embedDim: 8,
    hiddenSize: 8,
    epochs: 3,
    batchSize: 16,
    lr: 0.01,
    out,
    maxLen: 6,
  });
  const loaded = loadSentiment(out);
  const p = predictSentiment(loaded, 'the film was great and the plot xyzzy', { trace: true });
  assert.equal(p.tokens.length, 6);
  assert.equal(p.truncated, 2, 'over-long input is truncated and reported');
  assert.equal(p.oov, 0);
  assert.equal(p.trace!.length, 6);
  console.log(`  trace: ${p.trace!.map((x) => x.toFixed(3)).join(' ')}`);
  assert.ok(Math.abs(p.trace![5] - p.probability) < 1e-6);
  const q = predictSentiment(loaded, 'xyzzy plugh', { trace: false });
  assert.equal(q.oov, 2);
  assert.throws(() => predictSentiment(loaded, '   '), /empty input/);
  assert.throws(() => predictSentiment(loaded, '... ,,, '), /no words/);
});

test('warm start (--init-model): starts from the stored weights; a different architecture is refused', async () => {
  const data = { train: synthetic(64, 5), test: synthetic(16, 6) };
  const small = { data, embedDim: 8, hiddenSize: 8, batchSize: 16, maxLen: 12 };
  const first = join(dir, 'warm-1');
  await trainSentiment({ ...small, epochs: 2, lr: 0.01, out: first });
  // lr 0: Adam changes nothing, so the fine-tuned model is the stored one, bit for bit.
  const second = join(dir, 'warm-2');
  const r = await trainSentiment({
    ...small,
    epochs: 1,
    lr: 0,
    out: second,
    initModel: join(first, 'model.safetensors'),
  });
  assert.ok(!r.finished);
  const text = 'the film was great and the plot awful';
  const a = predictSentiment(loadSentiment(first), text, { trace: true }).trace!;
  const b = predictSentiment(loadSentiment(second), text, { trace: true }).trace!;
  const diff = Math.max(...a.map((p, i) => Math.abs(p - b[i])));
  console.log(`  warm start with lr 0: max abs trace difference ${diff}`);
  assert.equal(diff, 0);
  // The page's loader (bytes, no file system) gives the same model.
  const fromBytes = sentimentFromBytes(
    readFileSync(join(first, 'model.safetensors')),
    'warm-1/model.safetensors',
  );
  assert.deepEqual(predictSentiment(fromBytes, text, { trace: true }).trace, a);
  await assert.rejects(
    trainSentiment({
      ...small,
      hiddenSize: 6,
      epochs: 1,
      out: join(dir, 'warm-3'),
      initModel: join(first, 'model.safetensors'),
    }),
    /warm-1\/model\.safetensors has hiddenSize = 8 but this run has 6/,
  );
  assert.throws(() => sentimentFromBytes(Uint8Array.of(1, 2, 3), 'junk.safetensors'), /junk\.safetensors/);
  await assert.rejects(
    trainSentiment({ ...small, initModel: join(first, 'model.safetensors'), initEmbeddings: 'v.txt' }),
    /not both/,
  );
});

test('CLI: train on a small subset, predict with trace, and error paths', async () => {
  const model = join(dir, 'cli-run');
  const tr = await runCli([
    'sentiment',
    'train',
    '--out',
    model,
    '--train-size',
    '40',
    '--test-size',
    '20',
    '--max-len',
    '20',
    '--embed',
    '8',
    '--hidden',
    '4',
    '--vocab-size',
    '500',
  ]);
  assert.equal(tr.code, 0, tr.stderr);
  assert.match(tr.stdout, /test accuracy \d+\.\d+% \(20 reviews\)/);
  const pr = await runCli(['sentiment', 'predict', '--model', model, 'A', 'wonderful', 'qqqzzz', 'movie']);
  assert.equal(pr.code, 0, pr.stderr);
  assert.match(pr.stdout, /P\(positive\) after each token/);
  assert.match(pr.stdout, /(positive|negative) \(P\(positive\) = 0\.\d{3}\)/);
  assert.match(pr.stderr, /[12] of 4 tokens are unknown/);
  assert.match(pr.stdout, /qqqzzz \(<unk>\)/);
  const missing = await runCli(['sentiment', 'predict', '--model', join(dir, 'none.safetensors'), 'good']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /model file not found/);
  const empty = await runCli(['sentiment', 'predict', '--model', model, '  ']);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /empty input/);
  const other = join(dir, 'other.safetensors');
  saveTaskModel(other, 'forecast', { cell: 'lstm' }, {}, {}, 0);
  const wrong = await runCli(['sentiment', 'predict', '--model', other, 'good']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /is a forecast model, not a sentiment model/);
  const corrupt = join(dir, 'corrupt.safetensors');
  writeFileSync(corrupt, 'not a model at all');
  const bad = await runCli(['sentiment', 'predict', '--model', corrupt, 'good']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /kioku: .*corrupt\.safetensors/);
  const badOpt = await runCli(['sentiment', 'train', '--pool', 'median']);
  assert.notEqual(badOpt.code, 0);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
});

test('CLI eval: a saved model measured on the test reviews scores what training reported', async () => {
  const run = join(dir, 'eval-run');
  const small = ['--max-len', '30', '--embed', '8', '--hidden', '4', '--vocab-size', '2000'];
  const tr = await runCli([
    'sentiment',
    'train',
    '--out',
    run,
    '--train-size',
    '1000',
    '--test-size',
    '100',
    '--epochs',
    '3',
    '--lr',
    '0.01',
    ...small,
    '--json',
  ]);
  assert.equal(tr.code, 0, tr.stderr);
  const trained = JSON.parse(tr.stdout) as { testAccuracy: number; testLoss: number; testCount: number };
  const report = join(dir, 'eval.json');
  const ev = await runCli(['sentiment', 'eval', '--model', run, '--test-size', '100', '--report', report]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.match(
    ev.stdout,
    /test accuracy \d+\.\d\d% on 100 reviews, loss \d\.\d{4} \(the file records \d+\.\d\d%\)/,
  );
  assert.match(ev.stderr, /sentiment eval: 100\/100 reviews/, 'progress on stderr');
  const r = JSON.parse(readFileSync(report, 'utf8')) as {
    accuracy: number;
    loss: number;
    count: number;
    storedAccuracy: number;
  };
  console.log(
    `  train reported ${trained.testAccuracy} (loss ${trained.testLoss}); eval measured ${r.accuracy} (loss ${r.loss})`,
  );
  assert.equal(r.count, trained.testCount);
  assert.equal(r.accuracy, trained.testAccuracy);
  assert.equal(r.loss, trained.testLoss);
  assert.equal(r.storedAccuracy, trained.testAccuracy);
  const bad = await runCli(['sentiment', 'eval', '--model', run, '--test-size', '1']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /test-size/);
});

test('ship script: float16 weights, accuracy measured on exactly them over all 25,000 test reviews; refusal below the bar', async () => {
  const run = join(dir, 'eval-run'); // trained by the test above
  const out = join(dir, 'shipped', 'model.safetensors');
  const ship = (min: string, file: string) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/ship-sentiment-model.ts', run, '--out', file, '--min-accuracy', min],
      { encoding: 'utf8' },
    );
  const ok = ship('0', out);
  assert.equal(ok.status, 0, ok.stderr);
  const m = /float16 weights score (\d+\.\d\d)% on 25000 test reviews/.exec(ok.stdout);
  assert.ok(m, ok.stdout);
  assert.match(ok.stdout, /wrote .*model\.safetensors: \d\.\d\d MB \(float16 weights\)/);
  assert.match(ok.stderr, /scored 25000\/25000 test reviews/);
  const bytes = readFileSync(out);
  assert.ok(Object.values(decodeSafetensors(bytes).dtypes).every((d) => d === 'F16'));
  const f32 = readFileSync(join(run, 'model.safetensors'));
  console.log(
    `  shipped ${bytes.length} bytes (float32 run file ${f32.length}); ${m[1]}% on 25,000 test reviews`,
  );
  const shipped = loadSentiment(out);
  assert.equal((100 * shipped.testAccuracy!).toFixed(2), m[1], 'the file records what was measured');
  // float16 weights predict what the float32 ones do, to about three digits
  const text = 'A wonderful film, but the ending was dull';
  const a = predictSentiment(loadSentiment(run), text).probability;
  const b = predictSentiment(shipped, text).probability;
  console.log(`  P(positive) float32 ${a}, float16 ${b}: |difference| ${Math.abs(a - b).toExponential(2)}`);
  assert.ok(Math.abs(a - b) < 1e-2);
  const cli = await runCli(['sentiment', 'predict', '--model', out, '--no-trace', text]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(
    cli.stdout,
    new RegExp(`P\\(positive\\) = ${b.toFixed(3)}`),
    'the command reads the float16 file',
  );
  const refused = ship('0.99', join(dir, 'refused.safetensors'));
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /is below the 99\.00% this model must reach on all 25,000; nothing written/);
  assert.ok(!existsSync(join(dir, 'refused.safetensors')));
});
