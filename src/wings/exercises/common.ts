/**
 * What every exercise shares: bilingual text, the learner-facing array types, the report a
 * check returns, comparisons that say *where* two results part, float64 finite differences,
 * and the glue that turns plain arrays into a kioku layer's weights (the reference solution
 * of every exercise is the project's own layer, so a check cannot drift from the library).
 */
import type { RecurrentBase } from '../../nn/recurrent.js';
import { Tensor } from '../../tensor/tensor.js';
import { KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';

export type Lang = 'ja' | 'en';

/** A message in both languages. */
export interface Text {
  en: string;
  ja: string;
}

export function tx(en: string, ja: string): Text {
  return { en, ja };
}

/** A vector as the learner writes it: a plain array. */
export type Vector = number[];
/** A row-major matrix as the learner writes it: `m[row][col]`. */
export type Matrix = number[][];

/** One verified property of the learner's code. */
export interface CheckItem {
  name: Text;
  ok: boolean;
  /** Largest |expected − got| over what was compared. */
  maxDiff?: number;
  /** Where the first mismatch is (which output / gradient, time step, index). */
  where?: Text;
  expected?: number;
  got?: number;
  /** A remark (what the result means), shown whether or not the item passed. */
  note?: Text;
}

export interface CheckReport {
  exercise: string;
  passed: boolean;
  items: CheckItem[];
  /** What a passing solution unlocks (e.g. the "try" table of gradient norms). */
  notes: Text[];
  /** Files the check wrote (figures), absolute paths. */
  files: string[];
}

export interface CheckContext {
  /** The learner's folder (figures are written there). */
  dir: string;
  /** Write figures (the CLI does; the tests need not). */
  figures: boolean;
}

/** One exercise: its scaffold, hints, the check, and the reference solution (from kioku's layers). */
export interface Exercise<M> {
  name: string;
  title: Text;
  /** The learner's file name inside the exercise folder. */
  file: string;
  /** The TypeScript the learner starts from (no answer in it). */
  scaffold(): string;
  /** Progressive hints, from a nudge to nearly the equation. */
  hints: Text[];
  /** Pick the functions the learner must export (clear error naming the missing one). */
  adopt(mod: Record<string, unknown>, file: string): M;
  check(solution: M, ctx: CheckContext): Promise<CheckReport>;
  /** A solution shaped like the learner's file, computed by kioku's own layer. */
  reference(): M;
}

/** Type-erased view of an exercise, for the registry and the CLI. */
export interface AnyExercise {
  name: string;
  title: Text;
  file: string;
  scaffold(): string;
  hints: Text[];
  run(mod: Record<string, unknown>, file: string, ctx: CheckContext): Promise<CheckReport>;
  runReference(ctx: CheckContext): Promise<CheckReport>;
}

export function erase<M>(e: Exercise<M>): AnyExercise {
  return {
    name: e.name,
    title: e.title,
    file: e.file,
    scaffold: () => e.scaffold(),
    hints: e.hints,
    run: (mod, file, ctx) => e.check(e.adopt(mod, file), ctx),
    runReference: (ctx) => e.check(e.reference(), ctx),
  };
}

/**
 * The learner's exported function `name`, refused with a clear message when it is missing.
 * (The one place a run-time loaded value is given a static type: its arity is checked.)
 */
export function exported<F>(mod: Record<string, unknown>, name: string, arity: number, file: string): F {
  const f = mod[name];
  if (typeof f !== 'function') {
    throw new KiokuError(
      `${file}: must export a function ${name}(...), got ${f === undefined ? 'nothing' : typeof f}`,
    );
  }
  if (f.length < arity) {
    throw new KiokuError(`${file}: ${name} must take ${arity} parameters, got ${f.length}`);
  }
  return f as F;
}

/** Check that a learner's return value is a vector of `n` finite numbers. */
export function asVector(v: unknown, n: number, what: string): Vector {
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
    throw new KiokuError(
      `${what}: expected an array of ${n} numbers, got ${v === undefined ? 'undefined' : typeof v}`,
    );
  }
  const arr = Array.from(v as ArrayLike<unknown>);
  if (arr.length !== n) throw new KiokuError(`${what}: expected ${n} numbers, got ${arr.length}`);
  return arr.map((x, i) => {
    if (typeof x !== 'number')
      throw new KiokuError(`${what}: element ${i} is ${typeof x}, expected a number`);
    return x;
  });
}

/** Tolerances: float64 everywhere, so agreement is to rounding. */
export const TOL_VALUE = 1e-9;
export const TOL_GRAD = 1e-7;
/** Central differences with h = 1e-6 agree with an analytic float64 gradient to ~1e-8 relative. */
export const TOL_FD = 1e-5;

/** First index where |a − b| > tol (NaN counts as a mismatch), and the largest difference. */
export function firstMismatch(
  expected: ArrayLike<number>,
  got: ArrayLike<number>,
  tol: number,
): { index: number; maxDiff: number } {
  let index = -1;
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(expected[i] - got[i]);
    const bad = !(d <= tol * Math.max(1, Math.abs(expected[i])));
    if (bad && index < 0) index = i;
    if (Number.isNaN(d)) maxDiff = NaN;
    else if (d > maxDiff) maxDiff = d;
  }
  return { index, maxDiff };
}

/**
 * Compare a sequence of vectors step by step (in `order`, e.g. backwards for BPTT) and report
 * the first step and element that differ. `label(t, j)` names the place.
 */
export function compareSteps(
  name: Text,
  expected: readonly ArrayLike<number>[],
  got: readonly ArrayLike<number>[],
  tol: number,
  label: (t: number, j: number) => Text,
  order: readonly number[] = expected.map((_, t) => t),
): CheckItem {
  let maxDiff = 0;
  let fail: CheckItem | null = null;
  for (const t of order) {
    const m = firstMismatch(expected[t], got[t], tol);
    if (Number.isNaN(m.maxDiff)) maxDiff = NaN;
    else if (m.maxDiff > maxDiff) maxDiff = m.maxDiff;
    if (m.index >= 0 && !fail) {
      fail = {
        name,
        ok: false,
        where: label(t, m.index),
        expected: expected[t][m.index],
        got: got[t][m.index],
      };
    }
  }
  return fail ? { ...fail, maxDiff } : { name, ok: true, maxDiff };
}

/** Compare named matrices/vectors (gradients), reporting the first wrong entry as `name[i][j]`. */
export function compareNamed(
  name: Text,
  expected: Record<string, Matrix | Vector>,
  got: Record<string, Matrix | Vector>,
  tol: number,
): CheckItem {
  let maxDiff = 0;
  let fail: CheckItem | null = null;
  for (const key of Object.keys(expected)) {
    const e = expected[key];
    const g = got[key];
    const rows: Vector[] = isMatrix(e) ? e : [e];
    const grows: Vector[] = isMatrix(g) ? g : [g];
    for (let r = 0; r < rows.length; r++) {
      const m = firstMismatch(rows[r], grows[r] ?? [], tol);
      if (Number.isNaN(m.maxDiff)) maxDiff = NaN;
      else if (m.maxDiff > maxDiff) maxDiff = m.maxDiff;
      if (m.index >= 0 && !fail) {
        const at = isMatrix(e) ? `${key}[${r}][${m.index}]` : `${key}[${m.index}]`;
        fail = { name, ok: false, where: tx(at, at), expected: rows[r][m.index], got: grows[r]?.[m.index] };
      }
    }
  }
  return fail ? { ...fail, maxDiff } : { name, ok: true, maxDiff };
}

function isMatrix(v: Matrix | Vector): v is Matrix {
  return v.length > 0 && Array.isArray(v[0]);
}

/**
 * Float64 central differences of `loss` with respect to a few entries of `param` (each
 * nudged in place and restored), compared with the analytic `grad`. `name` labels entries.
 */
export function finiteDifferenceItem(
  title: Text,
  loss: () => number,
  probes: { name: string; param: Vector; grad: Vector; index: number }[],
  eps = 1e-6,
): CheckItem {
  let maxDiff = 0;
  for (const p of probes) {
    const x0 = p.param[p.index];
    p.param[p.index] = x0 + eps;
    const up = loss();
    p.param[p.index] = x0 - eps;
    const down = loss();
    p.param[p.index] = x0;
    const fd = (up - down) / (2 * eps);
    const d = Math.abs(fd - p.grad[p.index]);
    maxDiff = Math.max(maxDiff, d);
    if (!(d <= TOL_FD * Math.max(1, Math.abs(fd)))) {
      const at = `${p.name}[${p.index}]`;
      return { name: title, ok: false, where: tx(at, at), expected: fd, got: p.grad[p.index], maxDiff: d };
    }
  }
  return { name: title, ok: true, maxDiff };
}

/** Probes for `finiteDifferenceItem`: a few entries spread over every row of a matrix. */
export function matrixProbes(
  name: string,
  m: Matrix,
  g: Matrix,
  perRow = 2,
): { name: string; param: Vector; grad: Vector; index: number }[] {
  const out: { name: string; param: Vector; grad: Vector; index: number }[] = [];
  for (let r = 0; r < m.length; r++) {
    for (let k = 0; k < Math.min(perRow, m[r].length); k++) {
      const index = (r * 7 + k * 3) % m[r].length;
      out.push({ name: `${name}[${r}]`, param: m[r], grad: g[r], index });
    }
  }
  return out;
}

// --- small linear algebra on plain arrays (the harness's side of the exercises) ---

export function zerosVec(n: number): Vector {
  return new Array<number>(n).fill(0);
}

export function zerosMat(rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => zerosVec(cols));
}

export function randomVec(rng: Rng, n: number, scale = 1): Vector {
  return Array.from({ length: n }, () => rng.uniformRange(-scale, scale));
}

export function randomSeq(rng: Rng, T: number, n: number, scale = 1): Matrix {
  return Array.from({ length: T }, () => randomVec(rng, n, scale));
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// --- kioku tensors ↔ plain arrays ---

/** A [T, 1, n] float64 tensor from T vectors (one sequence, batch of one). */
export function seqTensor(xs: readonly Vector[]): Tensor {
  const n = xs[0]?.length ?? 0;
  return Tensor.fromArray(xs.flat(), [xs.length, 1, n], 'float64');
}

/** A [1, 1, n] float64 tensor (one state of one sequence). */
export function stateTensor(v: Vector): Tensor {
  return Tensor.fromArray(v, [1, 1, v.length], 'float64');
}

/** Rows of a [T, 1, n] (or [T, n]) tensor as vectors. */
export function rowsOf(t: Tensor): Matrix {
  const T = t.shape[0];
  const n = t.size / T;
  return Array.from({ length: T }, (_, i) => Array.from(t.data.subarray(i * n, (i + 1) * n)));
}

export function toMatrix(t: Tensor): Matrix {
  return rowsOf(t);
}

export function toVector(t: Tensor): Vector {
  return Array.from(t.data);
}

/** The weights of one direction of one layer of a recurrent layer, as plain arrays. */
export interface GateWeights {
  /** [G·H][I] */
  wih: Matrix;
  /** [G·H][H] */
  whh: Matrix;
  /** [G·H] */
  bih: Vector;
  /** [G·H] */
  bhh: Vector;
}

export function readWeights(layer: RecurrentBase, direction = 0): GateWeights {
  const w = layer.directionWeights(0, direction);
  return {
    wih: toMatrix(w.wih.value),
    whh: toMatrix(w.whh.value),
    bih: toVector(w.bih.value),
    bhh: toVector(w.bhh.value),
  };
}

export function writeWeights(layer: RecurrentBase, p: GateWeights, direction = 0): void {
  const w = layer.directionWeights(0, direction);
  w.wih.value.data.set(p.wih.flat());
  w.whh.value.data.set(p.whh.flat());
  w.bih.value.data.set(p.bih);
  w.bhh.value.data.set(p.bhh);
}

export function readGrads(layer: RecurrentBase, direction = 0): GateWeights {
  const w = layer.directionWeights(0, direction);
  return {
    wih: toMatrix(w.wih.grad),
    whh: toMatrix(w.whh.grad),
    bih: toVector(w.bih.grad),
    bhh: toVector(w.bhh.grad),
  };
}

/** Gradients of the same shapes as `p`, all zero (the learner's backward adds into them). */
export function zeroGrads(p: GateWeights): GateWeights {
  return {
    wih: zerosMat(p.wih.length, p.wih[0].length),
    whh: zerosMat(p.whh.length, p.whh[0].length),
    bih: zerosVec(p.bih.length),
    bhh: zerosVec(p.bhh.length),
  };
}

/** Add `src` into `dst` (gradient accumulation). */
export function addGrads(dst: GateWeights, src: GateWeights): void {
  const add = (a: Vector, b: Vector): void => {
    for (let i = 0; i < a.length; i++) a[i] += b[i];
  };
  for (let r = 0; r < dst.wih.length; r++) add(dst.wih[r], src.wih[r]);
  for (let r = 0; r < dst.whh.length; r++) add(dst.whh[r], src.whh[r]);
  add(dst.bih, src.bih);
  add(dst.bhh, src.bhh);
}

export function gradRecord(g: GateWeights): Record<string, Matrix | Vector> {
  return { dWih: g.wih, dWhh: g.whh, dbih: g.bih, dbhh: g.bhh };
}

/** A report from items. */
export function report(
  exercise: string,
  items: CheckItem[],
  notes: Text[] = [],
  files: string[] = [],
): CheckReport {
  return { exercise, passed: items.every((i) => i.ok), items, notes, files };
}

/**
 * Run the learner's code, turning an exception into a failed item that names the call,
 * so one crash still yields a report saying where.
 */
export function attempt(name: Text, fn: () => CheckItem[]): CheckItem[] {
  try {
    return fn();
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return [{ name, ok: false, where: tx(`threw: ${msg}`, `例外: ${msg}`) }];
  }
}

export { Rng };
