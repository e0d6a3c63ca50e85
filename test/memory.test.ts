// Memory wing: task generators (what each target must be), the parameter-matched LSTM,
// tier 3 learning checks through the shared Trainer (small and fast), and the CLI as a user runs it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { saveCheckpoint } from '../src/node/checkpoint-file.js';
import { KiokuError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';
import { buildMemoryModel, lstmBaselineParameters } from '../src/wings/memory/model.js';
import { createMemoryRun, loadMemoryRun, ntmParameterCount } from '../src/wings/memory/run.js';
import {
  CopyTask,
  GraphTask,
  makeTask,
  RecallTask,
  RepeatCopyTask,
  SortTask,
} from '../src/wings/memory/tasks.js';
import { evaluate } from '../src/wings/memory/train.js';
import { memoryView, slotWindow } from '../src/wings/memory/view.js';
import { runCli } from './helpers/cli.js';

describe('memory task generators', () => {
  test('copy: the answer phase repeats the inputs after the delimiter', () => {
    const task = new CopyTask({ bits: 5 });
    const b = task.sample(new Rng(1), 3, 7);
    assert.equal(b.T, 15);
    for (let r = 0; r < 3; r++) {
      assert.equal(b.x[(7 * 3 + r) * 6 + 5], 1, 'delimiter at step L');
      for (let t = 0; t < 7; t++)
        for (let j = 0; j < 5; j++) {
          assert.equal(b.y[((8 + t) * 3 + r) * 5 + j], b.x[(t * 3 + r) * 6 + j]);
          assert.equal(b.mask[((8 + t) * 3 + r) * 5 + j], 1);
          assert.equal(b.mask[(t * 3 + r) * 5 + j], 0);
        }
    }
    // Seeded: the same seed gives the same batch.
    assert.deepEqual(task.sample(new Rng(9), 2).x, task.sample(new Rng(9), 2).x);
  });

  test('repeat copy: n copies then an end marker', () => {
    const task = new RepeatCopyTask({ bits: 3, maxRepeats: 4 });
    const b = task.sample(new Rng(2), 1, 2, 3);
    assert.equal(b.T, 2 + 1 + 6 + 1);
    assert.equal(b.x[2 * 5 + 4], 3 / 4, 'normalised repeat count');
    for (let k = 0; k < 3; k++)
      for (let t = 0; t < 2; t++)
        for (let j = 0; j < 3; j++) assert.equal(b.y[(3 + 2 * k + t) * 4 + j], b.x[t * 5 + j]);
    assert.equal(b.y[9 * 4 + 3], 1);
  });

  test('associative recall: the target is the item after the queried one', () => {
    const task = new RecallTask({ bits: 4, itemLength: 2 });
    const b = task.sample(new Rng(3), 1, 4);
    const il = 2;
    const item = (i: number): number[] =>
      Array.from({ length: il * 4 }, (_, k) => b.x[(i * (il + 1) + 1 + Math.floor(k / 4)) * 6 + (k % 4)]);
    const query = item(4);
    const q = [0, 1, 2].find((i) => item(i).every((v, k) => v === query[k]));
    assert.ok(q !== undefined, 'the query is one of the first k − 1 items');
    const answer = Array.from(
      { length: il * 4 },
      (_, k) => b.y[(5 * (il + 1) + Math.floor(k / 4)) * 4 + (k % 4)],
    );
    assert.deepEqual(answer, item(q + 1));
  });

  test('priority sort: outputs in descending priority', () => {
    const task = new SortTask({ bits: 3 });
    const b = task.sample(new Rng(4), 1, 5);
    assert.equal(b.T, 5 + 1 + 4);
    const vs = Array.from({ length: 5 }, (_, t) => ({
      p: b.x[t * 5 + 3],
      v: Array.from(b.x.slice(t * 5, t * 5 + 3)),
    }));
    const sorted = [...vs].sort((a, c) => c.p - a.p);
    for (let t = 0; t < 4; t++)
      assert.deepEqual(Array.from(b.y.slice((6 + t) * 3, (7 + t) * 3)), sorted[t].v);
  });

  test('graph traversal: each answer is the node reached by following the labelled edges', () => {
    const task = new GraphTask({ nodes: 5, labels: 2 });
    const b = task.sample(new Rng(5), 1, 3);
    const V = 5;
    const K = 2;
    const I = task.inputSize;
    const E = V * K;
    const next = new Map<string, number>();
    const argmax = (a: Float32Array, off: number, n: number): number => {
      let best = -1;
      for (let i = 0; i < n; i++) if (a[off + i] === 1) best = i;
      return best;
    };
    for (let t = 0; t < E; t++)
      next.set(`${argmax(b.x, t * I, V)},${argmax(b.x, t * I + V, K)}`, argmax(b.x, t * I + V + K, V));
    assert.equal(next.size, E, 'one edge per (node, label)');
    let node = argmax(b.x, E * I, V);
    for (let h = 0; h < 3; h++) {
      node = next.get(`${node},${argmax(b.x, (E + h) * I + V, K)}`) as number;
      assert.equal(argmax(b.y, (E + 3 + h) * V, V), node);
    }
  });

  test('unknown task names are refused with the choices', () => {
    assert.throws(
      () => makeTask('sorting'),
      (e: unknown) => e instanceof KiokuError && /copy, repeat-copy, recall, sort, graph/.test(e.message),
    );
  });
});

describe('memory models', () => {
  test('the LSTM baseline is matched to the NTM parameter count', () => {
    const task = makeTask('copy');
    const target = ntmParameterCount(task);
    const run = createMemoryRun({ model: 'lstm', task: 'copy', steps: 1 });
    const n = run.model.numParameters();
    console.log(`  NTM ${target} parameters, LSTM ${n} (3 layers)`);
    assert.equal(
      n,
      lstmBaselineParameters(task.inputSize, task.outputSize, run.config.model.hiddenSize as number, 3),
    );
    assert.ok(Math.abs(n - target) / target < 0.05);
  });

  test('a bad configuration names the field', () => {
    assert.throws(
      () => buildMemoryModel({ model: 'ntm', inputSize: 3, outputSize: 2, memorySlots: 0 }),
      /memorySlots/,
    );
  });

  test('the memory view of the shipped NTM: weightings sum to 1; the window wraps around slot 0', () => {
    const { model, task } = loadMemoryRun('models/memory/ntm-copy.safetensors');
    const v = memoryView(model, task, { length: 6, seed: 2 });
    assert.equal(v.T, 2 * 6 + 1); // six vectors, the delimiter, six answers
    assert.equal(v.memory[0].length, v.slots * v.width);
    for (const h of v.heads)
      for (const w of h.weightings) assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    const win = slotWindow(v);
    console.log(
      `  NTM copy, length 6: ${v.wrongBits}/${v.scoredBits} wrong bits; slots shown ${win.join(' ')}`,
    );
    assert.ok(win.length < v.slots, 'a window, not every slot');
    for (const h of v.heads)
      for (const w of h.weightings)
        w.forEach((x, i) => assert.ok(x <= 0.01 || win.includes(i), `slot ${i} shown`));
    // Touched slots 126, 127 and 0: one window 124 … 127, 0 … 2 (margin 2), in circular order.
    const touched = Array.from({ length: 128 }, (_, i) => (i === 0 || i >= 126 ? 0.3 : 0));
    const fake = { ...v, slots: 128, heads: [{ kind: 'write' as const, index: 0, weightings: [touched] }] };
    assert.deepEqual(slotWindow(fake), [124, 125, 126, 127, 0, 1, 2]);
  });
});

describe('learning checks (tier 3): tiny models learn short copies through the Trainer', () => {
  for (const model of ['ntm', 'dnc', 'lstm'] as const) {
    test(`${model} on copy, lengths 1–3, 4 bits`, () => {
      const run = createMemoryRun({
        model,
        task: 'copy',
        bits: 4,
        minLength: 1,
        maxLength: 3,
        hiddenSize: 24,
        memorySlots: 8,
        memoryWidth: 6,
        readHeads: 1,
        steps: 300,
        batchSize: 8,
        lr: 5e-3,
        validateEvery: 100,
      });
      const r = run.trainer.run();
      const e = evaluate(run.model, run.task, { sequences: 32, seed: 1 });
      console.log(
        `  ${model}: loss ${r.history[0].loss.toFixed(3)} → validation ${r.valLoss.toFixed(3)} nats/bit, ${(100 * e.bitErrorRate).toFixed(1)}% wrong bits`,
      );
      assert.ok(r.valLoss < 0.45, `validation loss ${r.valLoss}`);
      assert.ok(e.bitErrorRate < 0.3, `bit error rate ${e.bitErrorRate}`);
    });
  }
});

describe('kioku memory (CLI)', () => {
  test('train writes a checkpoint that eval and report load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioku-memory-'));
    try {
      const small = ['--slots', '8', '--width', '4', '--hidden', '8', '--max-length', '3', '--bits', '3'];
      const t = await runCli(['memory', 'train', '--steps', '3', '--out', dir, ...small]);
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stdout, /ntm copy: 3 steps/);
      const ckpt = join(dir, 'model.safetensors');
      assert.ok(existsSync(ckpt));
      const res = await runCli(['memory', 'train', '--steps', '5', '--out', dir, '--resume', ...small]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /resuming .* at step 3/);
      assert.match(res.stdout, /ntm copy: 5 steps/);
      const l = await runCli([
        'memory',
        'train',
        '--model',
        'lstm',
        '--steps',
        '2',
        '--out',
        join(dir, 'lstm'),
        ...small,
      ]);
      assert.equal(l.code, 0, l.stderr);
      // --model takes the run directory as well as its model.safetensors (as every other wing's --model)
      const e = await runCli(['memory', 'eval', '--model', dir, '--length', '5', '--sequences', '4']);
      assert.equal(e.code, 0, e.stderr);
      assert.match(e.stdout, /ntm copy length 5: [\d.]+ bits\/seq cost/);
      const shipped = join(dir, 'export', 'ntm.safetensors');
      const x = await runCli(['memory', 'export', '--model', dir, '--out', shipped]);
      assert.equal(x.code, 0, x.stderr);
      assert.match(x.stdout, /wrote .*ntm\.safetensors \(\d+ KB, step 5\)/);
      assert.ok(existsSync(shipped));
      const out = join(dir, 'report');
      const rep = await runCli([
        'memory',
        'report',
        '--model',
        ckpt,
        '--baseline',
        join(dir, 'lstm', 'model.safetensors'),
        '--out',
        out,
        '--lengths',
        '2,6',
        '--sequences',
        '2',
        '--view-length',
        '3',
      ]);
      assert.equal(rep.code, 0, rep.stderr);
      for (const f of [
        'report.html',
        'results.json',
        'figures/learning-curves.svg',
        'figures/view-write-weighting-0.png',
        'figures/view-memory.svg',
      ]) {
        assert.ok(existsSync(join(out, f)), f);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('eval with default flags scores the shipped NTM copy model', async () => {
    const r = await runCli(['memory', 'eval', '--length', '20', '--sequences', '8']);
    assert.equal(r.code, 0, r.stderr);
    console.log(`  ${r.stdout.trim()}`);
    const wrong = Number(/([\d.]+) wrong bits\/seq/.exec(r.stdout)?.[1]);
    assert.ok(wrong < 1, `the shipped NTM copies length 20 with < 1 wrong bit, got ${wrong}`);
  });

  test('bad input: unknown model kind, and a checkpoint that is not a memory model', async () => {
    const r = await runCli(['memory', 'train', '--model', 'gru']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ntm, dnc, lstm|ntm \| dnc \| lstm|Allowed choices/i);
    assert.throws(
      () => loadMemoryRun(join('models', 'handwriting', 'lstm.safetensors')),
      /lstm\.safetensors.*foreign file/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'kioku-memory-'));
    try {
      const other = join(dir, 'other.safetensors');
      const m = buildMemoryModel({ model: 'lstm', inputSize: 2, outputSize: 2, hiddenSize: 2, layers: 1 });
      saveCheckpoint(other, { config: { kind: 'charlm' }, model: m.stateDict(), step: 0 });
      assert.throws(() => loadMemoryRun(other), /other\.safetensors: not a kioku memory checkpoint/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
