// The trainer's guard: training that turns NaN or explodes stops with a diagnosis and
// keeps the last good checkpoint intact.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CharVocab } from '../src/wings/charlm/vocab.js';
import { loadCheckpoint } from '../src/node/checkpoint-file.js';
import { CharLM } from '../src/wings/charlm/model.js';
import { setBackend } from '../src/tensor/current-backend.js';
import { ReferenceBackend } from '../src/tensor/reference.js';
import { CharLMTask } from '../src/wings/charlm/task.js';
import { Trainer, TrainingDivergedError } from '../src/train/trainer.js';
import { RunDir } from '../src/node/run-dir.js';

setBackend(new ReferenceBackend());
const text = 'to be or not to be, that is the question.\n'.repeat(40);
const vocab = CharVocab.fromText(text);
const ids = vocab.encode(text);

function makeTask(seed = 1): CharLMTask {
  const lm = new CharLM({
    vocabSize: vocab.size,
    cell: 'lstm',
    hidden: 8,
    layers: 1,
    embed: 4,
    dropout: 0,
    seed,
  });
  return new CharLMTask(lm, ids.subarray(0, 1500), ids.subarray(1500), { batch: 4, seq: 10 });
}

test('a NaN loss stops training with a diagnosis and keeps the last good checkpoint', () => {
  const out = mkdtempSync(join(tmpdir(), 'kioku-nan-'));
  const task = makeTask();
  const trainer = new Trainer(
    task,
    { optimizer: 'adam', lr: 1e-2, steps: 20, checkpointEvery: 5, store: new RunDir(out) },
    {
      onEvent: (e) => {
        // Simulate a numerical blow-up after step 7: poison one weight.
        if (e.type === 'step' && e.step === 7) task.model.stateDict()['rnn.weight_hh_l0'].data[0] = NaN;
      },
    },
  );
  let err: unknown;
  try {
    trainer.run();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof TrainingDivergedError, String(err));
  assert.equal(
    (err as TrainingDivergedError).lastGoodCheckpoint,
    join(out, 'checkpoints', readdirSync(join(out, 'checkpoints'))[0]),
  );
  console.log(`  ${(err as Error).message}`);
  assert.match(
    (err as Error).message,
    /training stopped at step 8: loss is NaN .*last good checkpoint is kept at .*step-0000005/,
  );
  const good = loadCheckpoint(join(out, 'model.safetensors'));
  assert.equal(good.step, 5);
  for (const t of Object.values(good.model)) assert.ok(t.data.every(Number.isFinite));
  assert.deepEqual(readdirSync(join(out, 'checkpoints')), [readdirSync(join(out, 'checkpoints'))[0]]);
});

test('an exploding loss (3× the first) stops training', () => {
  const trainer = new Trainer(makeTask(2), { optimizer: 'sgd', lr: 400, clipMode: 'none', steps: 50 });
  assert.throws(
    () => trainer.run(),
    (e: unknown) => {
      console.log(`  ${(e as Error).message}`);
      return (
        e instanceof TrainingDivergedError &&
        /exploded past 3× the first loss|loss is NaN|gradient norm is/.test((e as Error).message)
      );
    },
  );
});

test('trainer options are validated by name', () => {
  assert.throws(
    () => new Trainer(makeTask(), { optimizer: 'adam', lr: -1, steps: 1 }),
    /lr must be a number >= 0, got -1/,
  );
  assert.throws(() => new Trainer(makeTask(), { optimizer: 'adam', lr: 1e-3 }), /give steps or timeSeconds/);
  assert.throws(
    () => new Trainer(makeTask(), { optimizer: 'adam', lr: 1e-3, steps: 1, clipMode: 'x' as never }),
    /clipMode must be norm, value or none/,
  );
});

test('NaN weights feeding a layer are diagnosed as divergence, not a crash', () => {
  const task = makeTask(3);
  const trainer = new Trainer(
    task,
    { optimizer: 'adam', lr: 1e-2, steps: 5 },
    {
      onEvent: (e) => {
        if (e.type === 'step' && e.step === 2) task.model.stateDict()['embedding.weight'].data.fill(NaN);
      },
    },
  );
  assert.throws(
    () => trainer.run(),
    /training stopped at step 3: parameters are no longer finite \(LSTM.forward: x contains NaN/,
  );
});

test('weight averaging (averageFrom): the result is the mean of the iterates, and survives an interrupted run', () => {
  const steps = 12;
  const from = 7;
  // The iterates of a plain run, step by step.
  const plain = makeTask();
  const gen = new Trainer(plain, { optimizer: 'adam', lr: 1e-2, steps, validateEvery: 1000 }).steps();
  const sums = plain.model.parameters().map((p) => new Float64Array(p.value.data.length));
  for (let s = 1; s <= steps; s++) {
    gen.next();
    if (s > from)
      plain.model.parameters().forEach((p, i) => p.value.data.forEach((v, j) => (sums[i][j] += v)));
  }
  // The same run with averaging: the iterates are identical, the result is their mean.
  const avgTask = makeTask();
  const r = new Trainer(avgTask, {
    optimizer: 'adam',
    lr: 1e-2,
    steps,
    validateEvery: 1000,
    averageFrom: from,
  }).run();
  assert.equal(r.averagedSteps, steps - from);
  let maxDiff = 0;
  avgTask.model
    .parameters()
    .forEach((p, i) =>
      p.value.data.forEach(
        (v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - sums[i][j] / (steps - from)))),
      ),
    );
  console.log(
    `  averaged weights vs the mean of steps ${from + 1}…${steps}: max abs diff ${maxDiff.toExponential(2)}`,
  );
  assert.ok(maxDiff < 1e-6, `max abs diff ${maxDiff}`);
  // The validation loss reported is the averaged weights' own.
  assert.equal(r.valLoss, avgTask.validate());

  // Interrupted after step 9 (inside the averaging window) and resumed: the same result, bit for bit.
  const out = mkdtempSync(join(tmpdir(), 'kioku-avg-'));
  const first = makeTask();
  let n = 0;
  const stopped = new Trainer(
    first,
    { optimizer: 'adam', lr: 1e-2, steps, validateEvery: 1000, averageFrom: from, store: new RunDir(out) },
    { shouldStop: () => n++ === 9 },
  ).run();
  assert.equal(stopped.stoppedBy, 'interrupt');
  assert.equal(stopped.averagedSteps, undefined);
  const resumed = makeTask();
  const t2 = new Trainer(resumed, {
    optimizer: 'adam',
    lr: 1e-2,
    steps,
    validateEvery: 1000,
    averageFrom: from,
    store: new RunDir(out),
  });
  t2.resume(loadCheckpoint(join(out, 'model.safetensors')));
  assert.equal(t2.run().averagedSteps, steps - from);
  const a = avgTask.model.parameters();
  resumed.model.parameters().forEach((p, i) => assert.deepEqual(p.value.data, a[i].value.data));

  assert.throws(
    () => new Trainer(makeTask(), { optimizer: 'adam', lr: 1e-2, steps, averageFrom: 3, keepBest: true }),
    /keepBest or averageFrom, not both/,
  );
});
