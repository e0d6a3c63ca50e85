// Synthetic tasks: shapes, seeding, the targets each generator promises, and the baselines
// the experiment reports draw as "chance".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/index.js';
import {
  addingProblem,
  copyMemory,
  IGNORE,
  lagRecall,
  makeTask,
  noisySine,
  parity,
  seriesTask,
  seriesWindows,
  temporalOrder,
} from '../src/wings/experiments/synthetic.js';
import { KiokuError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';

/** Index of the 1 in the one-hot vector x[t, b, :]. */
function symbolAt(x: { data: ArrayLike<number>; shape: readonly number[] }, t: number, b: number): number {
  const [, B, I] = x.shape;
  for (let k = 0; k < I; k++) if (x.data[(t * B + b) * I + k] === 1) return k;
  return -1;
}

describe('adding problem (Hochreiter & Schmidhuber 1997)', () => {
  it('marks one value in each half and targets their sum', () => {
    const T = 20;
    const { x, y } = addingProblem({ length: T }).sample(64, new Rng(3));
    assert.deepEqual(x.shape, [T, 64, 2]);
    assert.ok(y);
    for (let b = 0; b < 64; b++) {
      const marked: number[] = [];
      let sum = 0;
      for (let t = 0; t < T; t++) {
        const v = x.data[(t * 64 + b) * 2];
        assert.ok(v >= 0 && v < 1);
        if (x.data[(t * 64 + b) * 2 + 1] === 1) {
          marked.push(t);
          sum += v;
        }
      }
      assert.equal(marked.length, 2);
      assert.ok(marked[0] < T / 2 && marked[1] >= T / 2, `markers at ${marked}`);
      assert.ok(Math.abs(y[b] - sum) < 1e-6);
    }
  });

  it('is reproducible from the seed and has baseline MSE 1/6', () => {
    const task = addingProblem({ length: 10 });
    const a = task.sample(8, new Rng(1));
    const b = task.sample(8, new Rng(1));
    assert.deepEqual(Array.from(a.x.data), Array.from(b.x.data));
    const { y } = task.sample(20000, new Rng(2));
    let mse = 0;
    for (const v of y ?? []) mse += (v - 1) ** 2;
    mse /= 20000;
    console.log(
      `adding: MSE of always answering 1 = ${mse.toFixed(4)} (baseline ${task.baseline.loss.toFixed(4)})`,
    );
    assert.ok(Math.abs(mse - 1 / 6) < 0.01);
  });
});

describe('memory tasks', () => {
  it('copy memory asks for the first symbols after the go signal', () => {
    const task = copyMemory({ lag: 7, count: 3, symbols: 5 });
    assert.equal(task.length, 13);
    const { x, labels } = task.sample(4, new Rng(5));
    assert.ok(labels);
    for (let b = 0; b < 4; b++) {
      for (let s = 0; s < 3; s++) assert.equal(labels[(3 + 7 + s) * 4 + b], symbolAt(x, s, b));
      assert.equal(symbolAt(x, 3 + 7 - 1, b), 6, 'go delimiter before the recall steps');
      for (let t = 0; t < 10; t++) assert.equal(labels[t * 4 + b], IGNORE);
    }
    assert.ok(Math.abs(task.baseline.loss - Math.log(5)) < 1e-12);
  });

  it('lag recall targets the symbol seen lag steps earlier', () => {
    const task = lagRecall({ length: 30, lag: 4, symbols: 3 });
    const { x, labels } = task.sample(5, new Rng(6));
    assert.ok(labels);
    for (let b = 0; b < 5; b++) {
      for (let t = 0; t < 30; t++) {
        assert.equal(labels[t * 5 + b], t < 4 ? IGNORE : symbolAt(x, t - 4, b));
      }
    }
  });

  it('temporal order encodes the order of X and Y', () => {
    const task = temporalOrder({ length: 40 });
    const { x, labels } = task.sample(32, new Rng(7));
    assert.ok(labels);
    for (let b = 0; b < 32; b++) {
      const rel: number[] = [];
      for (let t = 0; t < 40; t++) {
        const k = symbolAt(x, t, b);
        if (k === 4 || k === 5) rel.push(k - 4);
      }
      assert.equal(symbolAt(x, 0, b), 6);
      assert.equal(symbolAt(x, 39, b), 7);
      assert.equal(rel.length, 2);
      assert.equal(labels[b], 2 * rel[0] + rel[1]);
    }
  });

  it('parity is the XOR of the window', () => {
    const task = parity({ length: 12, window: 5 });
    const { x, labels } = task.sample(16, new Rng(8));
    assert.ok(labels);
    for (let b = 0; b < 16; b++) {
      let p = 0;
      for (let t = 7; t < 12; t++) p ^= x.data[t * 16 + b];
      assert.equal(labels[b], p);
    }
  });
});

describe('series windows', () => {
  it('turns a series into (X, y) windows, time-major', () => {
    const { x, y } = seriesWindows([1, 2, 3, 4, 5, 6], { lookback: 3, horizon: 2 });
    assert.deepEqual(x.shape, [3, 2, 1]);
    assert.deepEqual(Array.from(x.data), [1, 2, 2, 3, 3, 4]); // x[t, i]
    assert.deepEqual(Array.from(y), [4, 5, 5, 6]);
    assert.throws(() => seriesWindows([1, 2], { lookback: 2, horizon: 1 }), KiokuError);
  });

  it('noisy sine and Mackey-Glass tasks sample windows with the variance as baseline', () => {
    const s = noisySine({ n: 1000, period: 20, noise: 0 }, new Rng(0));
    assert.ok(Math.abs(s[5] - 1) < 1e-12); // sin(π/2)
    const sine = seriesTask({ series: 'sine', lookback: 10, horizon: 2, noise: 0.1 });
    const b = sine.sample(4, new Rng(1));
    assert.deepEqual(b.x.shape, [10, 4, 1]);
    assert.equal(b.y?.length, 8);
    assert.ok(Math.abs(sine.baseline.loss - 0.51) < 0.03, `sine variance ${sine.baseline.loss}`);
    const mg = makeTask('mackey-glass', { length: 16 });
    assert.equal(mg.kind, 'regression');
    console.log(
      `series baselines: sine ${sine.baseline.loss.toFixed(3)}, Mackey-Glass ${mg.baseline.loss.toFixed(4)}`,
    );
    assert.ok(mg.baseline.loss > 0.01 && mg.baseline.loss < 0.2);
  });

  it('refuses unknown tasks with a KiokuError', () => {
    assert.throws(() => makeTask('addition', { length: 5 }), /unknown task "addition"/);
  });
});
