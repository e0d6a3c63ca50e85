// Training, saving, sampling and the density view of the handwriting model, and the
// `kioku handwriting` commands end to end on a tiny model.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../src/cli/main.js';
import { drawingBounds, offsetsToDrawing } from '../src/wings/handwriting/strokes.js';
import { toStroke3Json } from '../src/wings/handwriting/strokes-stroke3.js';
import { loadStrokeData, type StrokeData } from '../src/wings/handwriting/data.js';
import { densityGrid, predictAlongLine } from '../src/wings/handwriting/density.js';
import { loadHandwritingModel, resolveModelPath, saveHandwritingModel } from '../src/wings/handwriting/io.js';
import { HandwritingModel } from '../src/wings/handwriting/model.js';
import { encodePng } from '../src/wings/handwriting/png.js';
import { sampleHairs, sampleHandwriting } from '../src/wings/handwriting/sample.js';
import { evaluateHandwriting, trainHandwriting } from '../src/wings/handwriting/train.js';
import { denormalizeOffsets } from '../src/wings/handwriting/strokes.js';

const dir = mkdtempSync(join(tmpdir(), 'kioku-hw-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let data: StrokeData;
let model: HandwritingModel;
let nllBefore = NaN;
let nllAfter = NaN;

before(async () => {
  // A small built-in set: 8 training writers × 3 short lines, 2 held-out writers × 3 lines.
  data = loadStrokeData({
    source: 'builtin',
    builtin: { seed: 3, trainWriters: 8, validWriters: 2, linesPerWriter: 3, minChars: 6, maxChars: 12 },
  });
  model = new HandwritingModel({ cell: 'lstm', hiddenSize: 16, numLayers: 2, mixtures: 5, seed: 1 });
  nllBefore = evaluateHandwriting(model, data.valid).nllPerPoint;
  const r = await trainHandwriting(model, data, {
    steps: 150,
    evalEvery: 50,
    batchSize: 8,
    seqLen: 60,
    lr: 0.01,
    seed: 2,
  });
  nllAfter = r.final.nllPerPoint;
  console.log(
    `  learning check: validation NLL ${nllBefore.toFixed(3)} → ${r.history.map((h) => h.nllPerPoint.toFixed(3)).join(' → ')} nats/point`,
  );
});

describe('learning check', () => {
  test('a 2 × 16 LSTM gets validation NLL below 0.4 nats/point within 150 steps (from > 3)', () => {
    assert.ok(nllBefore > 3, `untrained NLL ${nllBefore}`);
    assert.ok(nllAfter < 0.4, `NLL after 150 steps: ${nllAfter}`);
  });
});

describe('saving, sampling, density', () => {
  test('save and load keep weights, statistics and info', () => {
    const f = join(dir, 'm.safetensors');
    saveHandwritingModel(f, model, data.stats, { note: 'test' });
    const l = loadHandwritingModel(f);
    assert.deepEqual(l.stats, data.stats);
    assert.equal(l.info.note, 'test');
    assert.deepEqual(l.model.config, model.config);
    const e = evaluateHandwriting(l.model, data.valid);
    assert.ok(Math.abs(e.nllPerPoint - nllAfter) < 1e-5);
    writeFileSync(join(dir, 'junk.safetensors'), 'not a model');
    assert.throws(() => loadHandwritingModel(join(dir, 'junk.safetensors')), /junk\.safetensors/);
  });

  test('sampling is deterministic under a seed; the bias narrows the distribution (eqs. 61-62)', () => {
    const a = sampleHandwriting(model, data.stats, { steps: 80, count: 3, seed: 5 });
    const b = sampleHandwriting(model, data.stats, { steps: 80, count: 3, seed: 5 });
    assert.deepEqual(
      a.samples.map((s) => Array.from(s.data)),
      b.samples.map((s) => Array.from(s.data)),
    );
    assert.equal(a.samples[0].length, 80);
    const spread = (bias: number): number => {
      const r = sampleHandwriting(model, data.stats, { steps: 60, count: 8, seed: 1, bias });
      let v = 0;
      let n = 0;
      for (const s of r.samples) {
        for (let i = 1; i < s.length; i++) {
          v += (s.data[i * 3] - s.data[i * 3 - 3]) ** 2 + (s.data[i * 3 + 1] - s.data[i * 3 - 2]) ** 2;
          n++;
        }
      }
      return v / n;
    };
    const s0 = spread(0);
    const s3 = spread(3);
    console.log(`  mean squared change of consecutive offsets: b=0 ${s0.toFixed(3)}, b=3 ${s3.toFixed(3)}`);
    assert.ok(s3 < s0);
  });

  test('priming keeps the prime and continues from its end; hairs start at the chosen point', () => {
    const line = denormalizeOffsets(data.valid[0], data.stats);
    const r = sampleHandwriting(model, data.stats, {
      steps: 20,
      prime: { ...line, length: 30, data: line.data.slice(0, 90) },
    });
    assert.equal(r.primeLength, 30);
    assert.deepEqual(Array.from(r.samples[0].data.subarray(3, 90)), Array.from(line.data.subarray(3, 90)));
    const hairs = sampleHairs(model, data.stats, line, 10, { count: 5, length: 7 });
    assert.equal(hairs.length, 5);
    assert.ok(hairs.every((h) => h.length === 7));
  });

  test('density along a line: every step’s prediction puts ~1 unit of mass on the grid', () => {
    const line = denormalizeOffsets(data.valid[1], data.stats);
    const trace = predictAlongLine(model, data.stats, line);
    assert.equal(trace.mixtures.length, line.length - 1);
    const grid = densityGrid(trace, { width: 300, margin: 40 });
    let total = 0;
    for (const v of grid.mass) total += v;
    const perStep = total / trace.mixtures.length;
    console.log(`  mass per step on the grid: ${perStep.toFixed(4)} (${grid.width}×${grid.height} cells)`);
    assert.ok(perStep > 0.9 && perStep < 1.05, `mass per step ${perStep}`);
    // The same NLL as the evaluator computes for this line.
    const e = evaluateHandwriting(model, [data.valid[1]]);
    const sum = trace.nll.reduce((a, b) => a + b, 0);
    assert.ok(
      Math.abs(sum - e.nllPerSequence) < 1e-3 * Math.max(1, Math.abs(sum)),
      `${sum} vs ${e.nllPerSequence}`,
    );
  });

  test('PNG encoder writes a valid header and chunk CRCs', () => {
    const png = encodePng(2, 1, Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255]));
    assert.deepEqual(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const tail = Buffer.from(png.subarray(png.length - 12)).toString('hex');
    assert.equal(tail, '0000000049454e44ae426082'); // IEND with its well-known CRC
    assert.throws(() => encodePng(2, 2, new Uint8Array(3)), /expected 16 RGBA bytes/);
  });
});

describe('kioku handwriting (CLI)', () => {
  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = console.log;
    const error = console.error;
    console.log = (...a: unknown[]) => void out.push(a.join(' '));
    console.error = (...a: unknown[]) => void err.push(a.join(' '));
    try {
      const code = await main(args);
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      console.log = log;
      console.error = error;
    }
  }

  test('train → eval → sample → density → hairs on stroke-3 data', async () => {
    const lines = data.train.map((s) => denormalizeOffsets(s, data.stats));
    const f = join(dir, 'lines.json');
    writeFileSync(f, toStroke3Json(lines));
    const m = join(dir, 'runs', 'cli');
    const t = await run([
      'handwriting',
      'train',
      '--data',
      'stroke3',
      '--data-path',
      f,
      '--valid-fraction',
      '0.2',
      '--cell',
      'gru',
      '--hidden',
      '8',
      '--mixtures',
      '3',
      '--steps',
      '4',
      '--batch',
      '4',
      '--seq-len',
      '30',
      '--eval-every',
      '2',
      '--out',
      m,
      '--quiet',
    ]);
    assert.equal(t.code, 0, t.err);
    assert.match(
      t.out,
      /gru 2×8 \(\d+ parameters\), 4 steps .*validation NLL -?[\d.]+ nats\/sequence, -?[\d.]+ nats\/point, SSE/,
    );
    const info = loadHandwritingModel(join(m, 'handwriting.safetensors')).info as {
      valid: { nllPerSequence: number };
      history: unknown[];
    };
    assert.equal(info.history.length, 2);
    const e = await run([
      'handwriting',
      'eval',
      '--model',
      m,
      '--data',
      'stroke3',
      '--data-path',
      f,
      '--valid-fraction',
      '0.2',
      '--json',
    ]);
    assert.equal(e.code, 0, e.err);
    const ev = JSON.parse(e.out) as { nllPerSequence: number };
    assert.ok(
      Math.abs(ev.nllPerSequence - info.valid.nllPerSequence) <
        1e-3 * Math.max(1, Math.abs(ev.nllPerSequence)),
    );
    const s = await run([
      'handwriting',
      'sample',
      '--model',
      m,
      '--steps',
      '30',
      '--count',
      '2',
      '--bias',
      '0.5',
      '--out',
      join(dir, 'sample'),
      '--prime',
      `${f}:1`,
      '--prime-points',
      '20',
    ]);
    assert.equal(s.code, 0, s.err);
    assert.ok(existsSync(join(dir, 'sample', 'sample.svg')) && existsSync(join(dir, 'sample', 'sample.png')));
    assert.match(readFileSync(join(dir, 'sample', 'sample.svg'), 'utf8'), /^<svg[^>]*>.*<path d="M/);
    const d = await run([
      'handwriting',
      'density',
      '--model',
      m,
      '--line',
      `${f}:2`,
      '--width',
      '200',
      '--out',
      join(dir, 'density'),
    ]);
    assert.equal(d.code, 0, d.err);
    assert.ok(readFileSync(join(dir, 'density', 'density.svg'), 'utf8').includes('data:image/png;base64,'));
    assert.ok(readFileSync(join(dir, 'density', 'density.png')).length > 1000);
    const h = await run([
      'handwriting',
      'hairs',
      '--model',
      m,
      '--line',
      `${f}:2`,
      '--at',
      '5,10',
      '--count',
      '3',
      '--length',
      '5',
      '--out',
      join(dir, 'hairs'),
    ]);
    assert.equal(h.code, 0, h.err);
    assert.ok(existsSync(join(dir, 'hairs', 'hairs.png')));
  });

  test('--resume continues exactly: 3 + 3 steps give the weights of 6 steps (the last 3 with --grad-checkpoint)', async () => {
    const lines = data.train.map((s) => denormalizeOffsets(s, data.stats));
    const f = join(dir, 'lines-resume.json');
    writeFileSync(f, toStroke3Json(lines));
    const common = [
      'handwriting',
      'train',
      '--data',
      'stroke3',
      '--data-path',
      f,
      '--cell',
      'lstm',
      '--hidden',
      '6',
      '--mixtures',
      '2',
      '--batch',
      '3',
      '--seq-len',
      '20',
      '--eval-every',
      '0',
      '--checkpoint-every',
      '3',
      '--quiet',
    ];
    const a = join(dir, 'straight');
    const b = join(dir, 'resumed');
    assert.equal((await run([...common, '--steps', '6', '--out', a])).code, 0);
    assert.equal((await run([...common, '--steps', '3', '--out', b])).code, 0);
    // Gradient checkpointing changes memory and time, not the gradients: a resumed run may turn it on.
    const r = await run([...common, '--steps', '6', '--out', b, '--resume', '--grad-checkpoint', '4']);
    assert.equal(r.code, 0, r.err);
    const wa = loadHandwritingModel(resolveModelPath(a)).model.stateDict();
    const wb = loadHandwritingModel(resolveModelPath(b)).model.stateDict();
    let diff = 0;
    for (const k of Object.keys(wa))
      for (let i = 0; i < wa[k].size; i++) diff = Math.max(diff, Math.abs(wa[k].data[i] - wb[k].data[i]));
    console.log(`  max |straight − resumed| weight difference: ${diff}`);
    assert.equal(diff, 0);
    const bad = await run([...common, '--steps', '6', '--out', b, '--resume', '--hidden', '7']);
    assert.equal(bad.code, 1);
    assert.match(
      bad.err,
      /--resume: .*resumed.model\.safetensors was trained with other settings.*hiddenSize was 6, now 7/,
    );
  });

  test('clear errors for bad input', async () => {
    const r1 = await run(['handwriting', 'sample', '--model', join(dir, 'nope.safetensors')]);
    assert.equal(r1.code, 1);
    assert.match(r1.err, /no handwriting model at .*nope\.safetensors/);
    const r2 = await run([
      'handwriting',
      'density',
      '--model',
      join(dir, 'm.safetensors'),
      '--line',
      'somewhere',
    ]);
    assert.equal(r2.code, 1);
    assert.match(
      r2.err,
      /--line\/--prime must be valid:N, train:N, a stroke-3 \.json\[:N\] file or an IAM \.xml file, got "somewhere"/,
    );
    const r3 = await run(['handwriting', 'train', '--cell', 'gru', '--peephole', '--steps', '1']);
    assert.equal(r3.code, 1);
    assert.match(r3.err, /--peephole is only for --cell lstm/);
  });

  test('data preview draws lines and exports stroke-3', async () => {
    const f = join(dir, 'valid.json');
    const r = await run([
      'handwriting',
      'data',
      '--split',
      'valid',
      '--count',
      '2',
      '--out',
      join(dir, 'data'),
      '--stroke3',
      f,
      '--data-seed',
      '4',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Hershey fonts: The Hershey Fonts were originally created by Dr\. A\. V\. Hershey/);
    assert.match(JSON.parse(readFileSync(f, 'utf8')).acknowledgement, /Hershey/);
    const d = offsetsToDrawing(
      JSON.parse(readFileSync(f, 'utf8')).drawings[0].strokes.reduce(
        (acc: { data: number[]; length: number }, row: number[]) => ({
          data: [...acc.data, ...row],
          length: acc.length + 1,
        }),
        { data: [], length: 0 },
      ),
    );
    assert.ok(drawingBounds(d).maxX > 10);
  });
});
