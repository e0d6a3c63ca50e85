// word2vec: negative-sampling loss gradient (float64), the SGD kernel, training on a
// synthetic corpus, neighbours/analogies, the word2vec text format and the commands' errors.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../src/index.js';
import { saveTaskModel } from '../src/wings/taskfile.js';
import {
  analogy,
  loadWord2vec,
  negSamplingLoss,
  negSamplingStep,
  neighbors,
  saveWord2vec,
  trainWord2vec,
} from '../src/wings/word2vec/model.js';
import { readWord2vecText, writeWord2vecText } from '../src/wings/word2vec/io.js';
import { Rng } from '../src/util/rng.js';
import { fdMaxDiff } from './helpers/gradcheck.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kioku-w2v-'));

test('negative-sampling loss: float64 gradient check for the input vector and every output row', () => {
  const rng = new Rng(5);
  const D = 7;
  const V = 6;
  const h = Float64Array.from({ length: D }, () => rng.normal());
  const out = Float64Array.from({ length: V * D }, () => rng.normal() * 0.7);
  const rows = [2, 4, 0, 5]; // target 2, negatives 4, 0, 5
  const { dh, du } = negSamplingLoss(h, out, rows, D);
  const L = (): number => negSamplingLoss(h, out, rows, D).loss;
  const dOut = new Float64Array(V * D);
  rows.forEach((r, j) => du[j].forEach((g, i) => (dOut[r * D + i] += g)));
  const d1 = fdMaxDiff(L, h, dh);
  const d2 = fdMaxDiff(L, out, dOut);
  console.log(`  ∂L/∂h max diff ${d1.toExponential(2)}, ∂L/∂U max diff ${d2.toExponential(2)}`);
  assert.ok(d1 < 1e-8 && d2 < 1e-8);
});

test('negSamplingStep is one SGD step of negSamplingLoss (outputs updated, input delta returned)', () => {
  const rng = new Rng(6);
  const D = 5;
  const h = Float32Array.from({ length: D }, () => rng.normal() * 0.3);
  const out = Float32Array.from({ length: 4 * D }, () => rng.normal() * 0.3);
  const rows = Int32Array.of(1, 3, 0);
  const before = Float32Array.from(out);
  const g = negSamplingLoss(h, before, Array.from(rows), D);
  const neu1e = new Float32Array(D);
  const lr = 0.1;
  const loss = negSamplingStep(h, 0, out, rows, D, lr, neu1e);
  assert.ok(Math.abs(loss - g.loss) < 1e-5);
  let diff = 0;
  for (let i = 0; i < D; i++) diff = Math.max(diff, Math.abs(neu1e[i] + lr * g.dh[i]));
  rows.forEach((r, j) => {
    for (let i = 0; i < D; i++)
      diff = Math.max(diff, Math.abs(out[r * D + i] - (before[r * D + i] - lr * g.du[j][i])));
  });
  console.log(`  kernel vs −lr·∇ max diff ${diff.toExponential(2)}`);
  assert.ok(diff < 1e-6);
});

/** Two topics whose words co-occur only within their topic. */
function topicCorpus(n: number): string[][] {
  const rng = new Rng(3);
  const a = ['cat', 'dog', 'horse', 'cow', 'sheep'];
  const b = ['red', 'blue', 'green', 'yellow', 'pink'];
  const docs: string[][] = [];
  for (let i = 0; i < n; i++) {
    const t = i % 2 ? a : b;
    docs.push(Array.from({ length: 12 }, () => t[rng.int(t.length)]));
  }
  return docs;
}

for (const arch of ['skipgram', 'cbow'] as const) {
  test(`learning check (${arch}): words of one topic become nearest neighbours`, async () => {
    const r = await trainWord2vec(topicCorpus(400), {
      arch,
      dim: 16,
      window: 3,
      negative: 4,
      sample: 0,
      minCount: 1,
      epochs: 3,
      seed: 2,
    });
    assert.ok(!r.finished);
    console.log(`  ${arch} loss per tenth: ${r.lossCurve.map((l) => l.toFixed(3)).join(' ')}`);
    assert.ok(r.lossCurve.at(-1)! < r.lossCurve[0]);
    const nn = neighbors(r.model, 'cat', 4).map((x) => x.word);
    console.log(`  ${arch} neighbours of cat: ${nn.join(', ')}`);
    assert.deepEqual(nn.sort(), ['cow', 'dog', 'horse', 'sheep']);
    const an = analogy(r.model, 'cat', 'dog', 'red', 1)[0].word;
    assert.ok(['blue', 'green', 'yellow', 'pink'].includes(an), `analogy gave ${an}`);
    assert.throws(() => neighbors(r.model, 'unicorn'), /not in the word2vec vocabulary/);
  });
}

test('subsampling drops frequent words more often (C-tool keep probability)', async () => {
  const docs = [Array.from({ length: 2000 }, (_, i) => (i % 10 === 0 ? `rare${i % 3}` : 'the'))];
  const r = await trainWord2vec(docs, { dim: 4, sample: 1e-3, minCount: 1, epochs: 1 });
  assert.ok(!r.finished);
  assert.ok(r.words === 2000);
});

test('word2vec text format round trip; corrupt files refused', () => {
  const p = join(dir, 'v.txt');
  writeWord2vecText(p, ['good', 'bad'], Float32Array.of(1, 0.5, -2, 0.25), 2);
  assert.equal(readFileSync(p, 'utf8'), '2 2\ngood 1 0.5\nbad -2 0.25\n');
  const v = readWord2vecText(p);
  assert.deepEqual(Array.from(v.get('bad')!), [-2, 0.25]);
  writeFileSync(join(dir, 'bad1.txt'), 'hello\n');
  assert.throws(() => readWord2vecText(join(dir, 'bad1.txt')), /not a word2vec text file/);
  writeFileSync(join(dir, 'bad2.txt'), '3 2\na 1 2\nb 1 2\n');
  assert.throws(() => readWord2vecText(join(dir, 'bad2.txt')), /truncated/);
  writeFileSync(join(dir, 'bad3.txt'), '1 2\na 1 x\n');
  assert.throws(() => readWord2vecText(join(dir, 'bad3.txt')), /bad3\.txt: line 2, number 2: "x" is not a decimal number/);
  assert.throws(() => readWord2vecText(join(dir, 'nope.txt')), /cannot read word vectors .*nope\.txt: no such file or folder/);
});

test('CLI: neighbors/analogy/export on a saved model, and error paths', async () => {
  const r = await trainWord2vec(topicCorpus(200), { dim: 8, sample: 0, minCount: 1, epochs: 2 });
  assert.ok(!r.finished);
  const model = join(dir, 'w2v.safetensors');
  saveWord2vec(model, r.model);
  assert.deepEqual(loadWord2vec(model).vocab.tokens, r.model.vocab.tokens);
  const nb = await runCli(['word2vec', 'neighbors', '--model', model, 'cat', '-k', '3']);
  assert.equal(nb.code, 0, nb.stderr);
  assert.match(nb.stdout, /^cat: \w+ -?[01]\.\d{3}/);
  const an = await runCli(['word2vec', 'analogy', '--model', model, 'cat', 'dog', 'red']);
  assert.equal(an.code, 0, an.stderr);
  const ex = await runCli(['word2vec', 'export', '--model', model, join(dir, 'out.txt')]);
  assert.equal(ex.code, 0, ex.stderr);
  assert.equal(readWord2vecText(join(dir, 'out.txt')).words.length, 10);
  const unk = await runCli(['word2vec', 'neighbors', '--model', model, 'unicorn']);
  assert.equal(unk.code, 1);
  assert.match(unk.stderr, /kioku: 'unicorn' is not in the word2vec vocabulary/);
  const missing = await runCli(['word2vec', 'neighbors', '--model', join(dir, 'none'), 'cat']);
  assert.match(missing.stderr, /model file not found/);
  const other = join(dir, 'sent.safetensors');
  saveTaskModel(other, 'sentiment', {}, {}, {}, 0);
  const wrong = await runCli(['word2vec', 'analogy', '--model', other, 'a', 'b', 'c']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /is a sentiment model, not a word2vec model/);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
});
