/**
 * Synthetic sequence tasks with a known dependency span — the artificial data on which the
 * lecture's small exercise compares the LSTM with the simple RNN. Every generator is
 * seeded (`Rng`), time-major (`x` is [T, B, inputSize]) and documents what a model that
 * ignores its input would score (`baseline`), so a learning curve can be read against it.
 *
 * | task | paper | target | span |
 * |---|---|---|---|
 * | `addingProblem` | Hochreiter & Schmidhuber 1997, exp. 4 (Le et al. 2015 form) | sum of the two marked values | up to T−1 |
 * | `copyMemory` | Hochreiter & Schmidhuber 1997 exp. 2; Arjovsky et al. 2016 | recall S symbols after a lag | S + lag |
 * | `lagRecall` | (delayed recall) | the symbol seen `lag` steps ago, at every step | lag |
 * | `temporalOrder` | Hochreiter & Schmidhuber 1997, exp. 6a | order of X/Y at two far-apart positions | ≈ 0.9 T |
 * | `parity` | Bengio et al. 1994 (latching), Hochreiter & Schmidhuber 1997 | XOR of the last `window` bits | window − 1 |
 * | `seriesTask` | the lecture's (X, y) windows | next `horizon` values of a noisy sine / Mackey–Glass series | lookback |
 *
 * ```ts
 * const task = addingProblem({ length: 50 });
 * const { x, y } = task.sample(32, new Rng(0)); // x [50, 32, 2], y [32] (one sum per sequence)
 * task.baseline.loss;                           // 1/6: the MSE of always answering 1
 * ```
 */
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { mackeyGlass } from '../forecast/mackey-glass.js';

/** Regression (MSE on `y`) or classification (cross-entropy on `labels`). */
export type TaskKind = 'regression' | 'classification';
/** Many-to-one (`last`: one target per sequence) or many-to-many (`every`: a target per step). */
export type Readout = 'last' | 'every';

/** Label value meaning "no target here" (PyTorch's ignore_index). */
export const IGNORE = -100;

/** One batch of a task, time-major. */
export interface TaskBatch {
  /** [T, B, inputSize] */
  x: Tensor;
  /** Regression targets: [B, outputSize] (`last`) or [T, B, outputSize] (`every`), row-major. */
  y?: Float32Array;
  /** Class targets: [B] (`last`) or [T·B] (`every`, row t·B + b); `IGNORE` where there is none. */
  labels?: Int32Array;
}

/** A seeded generator of sequence batches, with what chance-level performance looks like. */
export interface SyntheticTask {
  /** Short name used on the command line (`adding`, `copy`, …). */
  readonly name: string;
  /** One line for reports. */
  readonly description: string;
  readonly kind: TaskKind;
  readonly readout: Readout;
  /** Sequence length T of `sample`. */
  readonly length: number;
  readonly inputSize: number;
  /** Regression: values per target; classification: number of classes. */
  readonly outputSize: number;
  /** How many steps back the longest dependency reaches (what the gradient has to cross). */
  readonly span: number;
  /**
   * What a model that ignores its input scores: for regression the MSE of the best constant
   * prediction; for classification the cross-entropy (nats) and accuracy of chance.
   */
  readonly baseline: { loss: number; accuracy?: number };
  /** Draw `batch` independent sequences. */
  sample(batch: number, rng: Rng): TaskBatch;
}

function checkBatch(where: string, batch: number): number {
  return checkNumber(where, 'batch', batch, { min: 1, integer: true });
}

/** Set x[t, b, k] = 1 in a [T, B, I] one-hot tensor. */
function oneHot(x: Tensor, t: number, b: number, k: number): void {
  const [, B, I] = x.shape;
  x.data[(t * B + b) * I + k] = 1;
}

/**
 * The adding problem (Hochreiter & Schmidhuber 1997, experiment 4, in the form used by
 * Le et al. 2015 and Arjovsky et al. 2016). Each step carries two inputs: a value
 * U(0, 1) and a marker; exactly two steps are marked, one in each half of the sequence,
 * and the target is the sum of the two marked values. The first marker can sit up to T−1
 * steps before the answer is due, so the gradient must cross that many steps.
 * Predicting the mean (1) scores MSE = Var(u₁ + u₂) = 2/12 ≈ 0.167: a model that has
 * not learned to use the markers stays at this line.
 *
 * ```ts
 * const { x, y } = addingProblem({ length: 100 }).sample(16, new Rng(1)); // x [100, 16, 2], y [16]
 * ```
 */
export function addingProblem(opts: { length: number }): SyntheticTask {
  const T = checkNumber('addingProblem', 'length', opts.length, { min: 2, integer: true });
  return {
    name: 'adding',
    description: `adding problem, T = ${T}: sum of the two marked values (Hochreiter & Schmidhuber 1997)`,
    kind: 'regression',
    readout: 'last',
    length: T,
    inputSize: 2,
    outputSize: 1,
    span: T - 1,
    baseline: { loss: 1 / 6 },
    sample(batch: number, rng: Rng): TaskBatch {
      const B = checkBatch('addingProblem.sample', batch);
      const x = Tensor.zeros([T, B, 2]);
      const y = new Float32Array(B);
      const half = Math.floor(T / 2);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) x.data[(t * B + b) * 2] = rng.uniform();
        const i = rng.int(half); // first marker in [0, T/2)
        const j = half + rng.int(T - half); // second marker in [T/2, T)
        x.data[(i * B + b) * 2 + 1] = 1;
        x.data[(j * B + b) * 2 + 1] = 1;
        y[b] = x.data[(i * B + b) * 2] + x.data[(j * B + b) * 2];
      }
      return { x, y };
    },
  };
}

/**
 * Copy memory (Hochreiter & Schmidhuber 1997 exp. 2; the "copy task" of Arjovsky et al.
 * 2016): `count` random symbols out of `symbols`, then `lag` steps of blanks whose last is
 * a "go" delimiter, then `count` blanks during which the model must output the symbols in
 * order. Inputs are one-hot over symbols + blank + go; only the recall steps have targets.
 * T = 2·count + lag; chance is ln(symbols) nats and 1/symbols accuracy.
 *
 * ```ts
 * const task = copyMemory({ lag: 20, count: 5, symbols: 8 }); // T = 30
 * ```
 */
export function copyMemory(opts: { lag: number; count?: number; symbols?: number }): SyntheticTask {
  const where = 'copyMemory';
  const lag = checkNumber(where, 'lag', opts.lag, { min: 1, integer: true });
  const S = checkNumber(where, 'count', opts.count ?? 5, { min: 1, integer: true });
  const K = checkNumber(where, 'symbols', opts.symbols ?? 8, { min: 2, integer: true });
  const T = 2 * S + lag;
  const blank = K;
  const go = K + 1;
  return {
    name: 'copy',
    description: `copy memory: recall ${S} of ${K} symbols after a lag of ${lag} (T = ${T})`,
    kind: 'classification',
    readout: 'every',
    length: T,
    inputSize: K + 2,
    outputSize: K,
    span: S + lag,
    baseline: { loss: Math.log(K), accuracy: 1 / K },
    sample(batch: number, rng: Rng): TaskBatch {
      const B = checkBatch(`${where}.sample`, batch);
      const x = Tensor.zeros([T, B, K + 2]);
      const labels = new Int32Array(T * B).fill(IGNORE);
      for (let b = 0; b < B; b++) {
        for (let s = 0; s < S; s++) {
          const k = rng.int(K);
          oneHot(x, s, b, k);
          labels[(S + lag + s) * B + b] = k;
        }
        for (let t = S; t < T; t++) oneHot(x, t, b, t === S + lag - 1 ? go : blank);
      }
      return { x, labels };
    },
  };
}

/**
 * Delayed recall: a stream of random symbols, and at every step t ≥ lag the target is the
 * symbol seen at t − lag (a memory of exactly `lag` steps, needed continuously). This is
 * the task the truncated-BPTT experiment cuts into chunks: a target whose symbol lies in
 * an earlier chunk gets no gradient path to it. Chance: ln(symbols) nats, 1/symbols.
 */
export function lagRecall(opts: { length: number; lag: number; symbols?: number }): SyntheticTask {
  const where = 'lagRecall';
  const T = checkNumber(where, 'length', opts.length, { min: 1, integer: true });
  const lag = checkNumber(where, 'lag', opts.lag, { min: 1, integer: true });
  const K = checkNumber(where, 'symbols', opts.symbols ?? 4, { min: 2, integer: true });
  return {
    name: 'lag',
    description: `delayed recall: output the symbol (of ${K}) seen ${lag} steps ago, T = ${T}`,
    kind: 'classification',
    readout: 'every',
    length: T,
    inputSize: K,
    outputSize: K,
    span: lag,
    baseline: { loss: Math.log(K), accuracy: 1 / K },
    sample(batch: number, rng: Rng): TaskBatch {
      const B = checkBatch(`${where}.sample`, batch);
      const x = Tensor.zeros([T, B, K]);
      const labels = new Int32Array(T * B).fill(IGNORE);
      const sym = new Int32Array(T);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          sym[t] = rng.int(K);
          oneHot(x, t, b, sym[t]);
          if (t >= lag) labels[t * B + b] = sym[t - lag];
        }
      }
      return { x, labels };
    },
  };
}

/**
 * Temporal order (Hochreiter & Schmidhuber 1997, experiment 6a): a sequence of random
 * distractors a–d framed by start (B) and end (E) symbols, with two relevant symbols, X or
 * Y, at a random step in [0.1T, 0.2T) and one in [0.5T, 0.6T). The class is their order:
 * XX, XY, YX or YY. Inputs are one-hot over 8 symbols (a, b, c, d, X, Y, B, E); chance is
 * ln 4 nats and accuracy 0.25.
 */
export function temporalOrder(opts: { length: number }): SyntheticTask {
  const where = 'temporalOrder';
  const T = checkNumber(where, 'length', opts.length, { min: 10, integer: true });
  const lo1 = Math.floor(0.1 * T);
  const hi1 = Math.max(lo1 + 1, Math.floor(0.2 * T));
  const lo2 = Math.floor(0.5 * T);
  const hi2 = Math.max(lo2 + 1, Math.floor(0.6 * T));
  return {
    name: 'order',
    description: `temporal order, T = ${T}: the order of X/Y at two far-apart steps (Hochreiter & Schmidhuber 1997)`,
    kind: 'classification',
    readout: 'last',
    length: T,
    inputSize: 8,
    outputSize: 4,
    span: T - 1 - lo1,
    baseline: { loss: Math.log(4), accuracy: 0.25 },
    sample(batch: number, rng: Rng): TaskBatch {
      const B = checkBatch(`${where}.sample`, batch);
      const x = Tensor.zeros([T, B, 8]);
      const labels = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        const t1 = lo1 + rng.int(hi1 - lo1);
        const t2 = lo2 + rng.int(hi2 - lo2);
        const s1 = rng.int(2); // 0 = X, 1 = Y
        const s2 = rng.int(2);
        for (let t = 0; t < T; t++) {
          let k: number;
          if (t === 0) k = 6;
          else if (t === T - 1) k = 7;
          else if (t === t1) k = 4 + s1;
          else if (t === t2) k = 4 + s2;
          else k = rng.int(4);
          oneHot(x, t, b, k);
        }
        labels[b] = 2 * s1 + s2;
      }
      return { x, labels };
    },
  };
}

/**
 * Parity: a sequence of random bits (one input, 0 or 1); the class is the XOR of the last
 * `window` bits (default: all T). Every bit in the window flips the answer, so nothing
 * short of remembering a running XOR across `window` steps beats chance (ln 2, 0.5).
 */
export function parity(opts: { length: number; window?: number }): SyntheticTask {
  const where = 'parity';
  const T = checkNumber(where, 'length', opts.length, { min: 1, integer: true });
  const W = checkNumber(where, 'window', opts.window ?? T, { min: 1, max: T, integer: true });
  return {
    name: 'parity',
    description: `parity: XOR of the last ${W} of ${T} bits`,
    kind: 'classification',
    readout: 'last',
    length: T,
    inputSize: 1,
    outputSize: 2,
    span: W - 1,
    baseline: { loss: Math.log(2), accuracy: 0.5 },
    sample(batch: number, rng: Rng): TaskBatch {
      const B = checkBatch(`${where}.sample`, batch);
      const x = Tensor.zeros([T, B, 1]);
      const labels = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        let p = 0;
        for (let t = 0; t < T; t++) {
          const bit = rng.int(2);
          x.data[t * B + b] = bit;
          if (t >= T - W) p ^= bit;
        }
        labels[b] = p;
      }
      return { x, labels };
    },
  };
}

/**
 * A noisy sine wave: s_t = sin(2π t / period + phase) + ε_t, ε_t ~ N(0, noise²).
 *
 * ```ts
 * const s = noisySine({ n: 500, period: 25, noise: 0.1 }, new Rng(0));
 * ```
 */
export function noisySine(
  opts: { n: number; period?: number; noise?: number; phase?: number },
  rng: Rng,
): Float64Array {
  const where = 'noisySine';
  const n = checkNumber(where, 'n', opts.n, { min: 1, integer: true });
  const period = checkNumber(where, 'period', opts.period ?? 25, { min: 1e-9 });
  const noise = checkNumber(where, 'noise', opts.noise ?? 0.1, { min: 0 });
  const phase = checkNumber(where, 'phase', opts.phase ?? 0);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) out[t] = Math.sin((2 * Math.PI * t) / period + phase) + noise * rng.normal();
  return out;
}

/**
 * The lecture's "time series → explanatory and target variables", time-major for the
 * recurrent layers: window i takes the `lookback` values from start s_i as its input
 * sequence and the following `horizon` values as its target.
 *
 * | output | shape |
 * |---|---|
 * | x | [lookback, N, 1] (x[t, i, 0] = series[s_i + t]) |
 * | y | [N, horizon] (y[i, h] = series[s_i + lookback + h]) |
 *
 * ```ts
 * seriesWindows([1, 2, 3, 4, 5, 6], { lookback: 3, horizon: 2 });
 * // windows [1,2,3]→[4,5] and [2,3,4]→[5,6]: x [3, 2, 1], y [2, 2]
 * ```
 */
export function seriesWindows(
  series: ArrayLike<number>,
  opts: { lookback: number; horizon: number; stride?: number; starts?: readonly number[] },
): { x: Tensor; y: Float32Array; starts: number[] } {
  const where = 'seriesWindows';
  const L = checkNumber(where, 'lookback', opts.lookback, { min: 1, integer: true });
  const Hz = checkNumber(where, 'horizon', opts.horizon, { min: 1, integer: true });
  const stride = checkNumber(where, 'stride', opts.stride ?? 1, { min: 1, integer: true });
  if (series.length < L + Hz) {
    throw new KiokuError(
      `${where}: the series has ${series.length} points, need at least lookback + horizon = ${L + Hz}`,
    );
  }
  let starts: number[];
  if (opts.starts) {
    starts = [...opts.starts];
    for (const s of starts) {
      if (!Number.isInteger(s) || s < 0 || s + L + Hz > series.length) {
        throw new KiokuError(`${where}: window start ${s} is outside [0, ${series.length - L - Hz}]`);
      }
    }
  } else {
    starts = [];
    for (let s = 0; s + L + Hz <= series.length; s += stride) starts.push(s);
  }
  const N = starts.length;
  const x = Tensor.zeros([L, N, 1]);
  const y = new Float32Array(N * Hz);
  starts.forEach((s, i) => {
    for (let t = 0; t < L; t++) x.data[t * N + i] = series[s + t];
    for (let h = 0; h < Hz; h++) y[i * Hz + h] = series[s + L + h];
  });
  return { x, y, starts };
}

export type SeriesKind = 'sine' | 'mackey-glass';

/**
 * Series prediction as a task: a long series (noisy sine, or the chaotic Mackey–Glass
 * series with τ = 17) is generated once from `seed`, and each batch draws random
 * (lookback → horizon) windows from it (`seriesWindows`). The baseline is the variance of
 * the series: the MSE of always predicting its mean.
 */
export function seriesTask(opts: {
  series: SeriesKind;
  lookback: number;
  horizon?: number;
  /** Points generated (default 4000). */
  points?: number;
  /** Noise of the sine (default 0.1). */
  noise?: number;
  /** Period of the sine in steps (default 25). */
  period?: number;
  seed?: number;
}): SyntheticTask {
  const where = 'seriesTask';
  const lookback = checkNumber(where, 'lookback', opts.lookback, { min: 1, integer: true });
  const horizon = checkNumber(where, 'horizon', opts.horizon ?? 1, { min: 1, integer: true });
  const points = checkNumber(where, 'points', opts.points ?? 4000, {
    min: lookback + horizon,
    integer: true,
  });
  let series: Float64Array;
  if (opts.series === 'sine') {
    series = noisySine({ n: points, noise: opts.noise, period: opts.period }, new Rng(opts.seed ?? 0));
  } else if (opts.series === 'mackey-glass') {
    series = mackeyGlass({ n: points });
  } else {
    throw new KiokuError(
      `${where}: series must be 'sine' or 'mackey-glass', got ${JSON.stringify(opts.series)}`,
    );
  }
  let mean = 0;
  for (const v of series) mean += v;
  mean /= series.length;
  let variance = 0;
  for (const v of series) variance += (v - mean) ** 2;
  variance /= series.length;
  const maxStart = points - lookback - horizon;
  return {
    name: opts.series,
    description: `${opts.series === 'sine' ? 'noisy sine' : 'Mackey–Glass (τ = 17)'} series: predict ${horizon} step(s) from ${lookback}`,
    kind: 'regression',
    readout: 'last',
    length: lookback,
    inputSize: 1,
    outputSize: horizon,
    span: lookback,
    baseline: { loss: variance },
    sample(batch: number, rng: Rng): TaskBatch {
      const B = checkBatch(`${where}.sample`, batch);
      const starts = Array.from({ length: B }, () => rng.int(maxStart + 1));
      const { x, y } = seriesWindows(series, { lookback, horizon, starts });
      return { x, y };
    },
  };
}

/** Task names accepted by `makeTask` and the `kioku experiment` commands. */
export const TASK_NAMES = ['adding', 'copy', 'lag', 'order', 'parity', 'sine', 'mackey-glass'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/**
 * Build a task by name with one length knob, as the command line does: `length` is T for
 * adding / order / parity / lag recall, the lag for copy memory (`lag` for lag recall's
 * delay, default 10) and the lookback for the series.
 *
 * ```ts
 * makeTask('adding', { length: 100 }).sample(8, new Rng(0));
 * ```
 */
export function makeTask(name: string, opts: { length: number; lag?: number; seed?: number }): SyntheticTask {
  switch (name) {
    case 'adding':
      return addingProblem({ length: opts.length });
    case 'copy':
      return copyMemory({ lag: opts.length });
    case 'lag':
      return lagRecall({ length: opts.length, lag: opts.lag ?? 10 });
    case 'order':
      return temporalOrder({ length: opts.length });
    case 'parity':
      return parity({ length: opts.length });
    case 'sine':
    case 'mackey-glass':
      return seriesTask({ series: name, lookback: opts.length, seed: opts.seed });
    default:
      throw new KiokuError(`unknown task ${JSON.stringify(name)}; expected one of ${TASK_NAMES.join(', ')}`);
  }
}
