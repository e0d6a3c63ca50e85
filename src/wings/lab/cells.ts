/**
 * The cell explorer's analyses (LSTMVis, Strobelt et al. 2018; Karpathy, Johnson & Fei-Fei
 * 2015, "Visualizing and Understanding Recurrent Networks"), over a trained character LM:
 *
 * - `traceText`: run the model over a text and keep, for every character, each unit's cell
 *   state c_t, output h_t, gates i, f, o and the model's next-character distribution;
 * - `selectUnits`: the units "on" (≥ threshold) throughout a selected range and off outside
 *   it, LSTMVis's select step;
 * - `matchSelection`: the other places where the same units fire together, ranked;
 * - `gateSaturation`: how often each gate unit is left- (< 0.1) or right-saturated (> 0.9),
 *   Karpathy et al.'s Fig. 3.
 *
 * Browser-safe (no `node:`): the lab runs it in a Web Worker; the tests run it in Node.
 *
 * ```ts
 * const tr = traceText(model, vocab, 'if (a) { b = "x"; }');
 * const sel = selectUnits(tr.c, tr.T, tr.H, { start: 11, end: 14, threshold: 0.5 });
 * const hits = matchSelection(tr.c, tr.T, tr.H, sel.units.slice(0, 3).map((u) => u.unit), 0.5);
 * ```
 */
import { Tensor } from '../../tensor/tensor.js';
import { KiokuError } from '../../util/errors.js';
import type { CharLM } from '../charlm/model.js';
import type { CharVocab } from '../charlm/vocab.js';

/** The series the explorer can show, each [T, H] row-major. */
export const SERIES = ['c', 'h', 'i', 'f', 'o'] as const;
export type SeriesName = (typeof SERIES)[number];

export interface CellTrace {
  /** The characters the model saw (unknown ones removed). */
  chars: string[];
  /** Unknown characters of the input, each once, in order (they were skipped). */
  unknown: string[];
  T: number;
  H: number;
  /** [T, H] each: cell state, output, input/forget/output gate activations (first layer). */
  c: Float32Array;
  h: Float32Array;
  i: Float32Array;
  f: Float32Array;
  o: Float32Array;
  /** [T, V] probability of each next character after reading chars[0..t]. */
  probs: Float32Array;
  /** Mean cross-entropy of the text under the model (nats/char; over T−1 predictions). */
  loss: number;
}

const MAX_TRACE = 20000;

/**
 * Run a char-LSTM over `text` (one sequence, batch 1, zero initial state) and keep every
 * unit's internals at every character — its last layer's, the one whose h_t the read-out
 * sees. Characters the model does not know are skipped and listed in `unknown`.
 */
export function traceText(model: CharLM, vocab: CharVocab, text: string): CellTrace {
  if (model.config.cell !== 'lstm') {
    throw new KiokuError(
      `the cell explorer needs an LSTM char model (c_t and gates i, f, o), got a ${model.config.cell.toUpperCase()}`,
    );
  }
  const { ids, unknown } = vocab.encodeKnown(text);
  const T = ids.length;
  if (T === 0) throw new KiokuError('the text has no character the model knows');
  if (T > MAX_TRACE) throw new KiokuError(`text too long: ${T} characters, at most ${MAX_TRACE}`);
  const chars = Array.from(vocab.decode(ids));
  const wasTraining = model.training;
  model.eval();
  const { logits } = model.forward(ids, T, 1); // [T, 1, V]
  if (wasTraining) model.train();
  const rec = model.rnn.recordedSteps(model.config.layers - 1);
  const H = rec.H;
  const gate = (k: number): Float32Array => {
    const out = new Float32Array(T * H);
    for (let t = 0; t < T; t++)
      out.set(rec.gates.subarray(t * 4 * H + k * H, t * 4 * H + (k + 1) * H), t * H);
    return out;
  };
  if (!rec.c) throw new KiokuError('traceText: the LSTM recorded no cell state');
  const V = vocab.size;
  const probs = softmaxRows(logits, T, V);
  let nll = 0;
  for (let t = 0; t + 1 < T; t++) nll -= Math.log(Math.max(probs[t * V + ids[t + 1]], 1e-30));
  return {
    chars,
    unknown,
    T,
    H,
    c: rec.c,
    h: rec.h,
    i: gate(0),
    f: gate(1),
    o: gate(3),
    probs,
    loss: T > 1 ? nll / (T - 1) : NaN,
  };
}

function softmaxRows(logits: Tensor, T: number, V: number): Float32Array {
  const out = new Float32Array(T * V);
  for (let t = 0; t < T; t++) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, logits.data[t * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += out[t * V + v] = Math.exp(logits.data[t * V + v] - m);
    for (let v = 0; v < V; v++) out[t * V + v] /= s;
  }
  return out;
}

/** The k most probable next characters after position t. */
export function topNext(trace: CellTrace, vocab: CharVocab, t: number, k = 5): { char: string; p: number }[] {
  const V = vocab.size;
  const row = Array.from(trace.probs.subarray(t * V, (t + 1) * V), (p, v) => ({ char: vocab.tokens[v], p }));
  return row.sort((a, b) => b.p - a.p).slice(0, k);
}

export interface Selection {
  /** First selected position (inclusive). */
  start: number;
  /** End of the selection (exclusive). */
  end: number;
  threshold: number;
}

export interface SelectedUnit {
  unit: number;
  /** Fraction of the positions outside the selection where the unit is off (< threshold). */
  offOutside: number;
  /** Mean value inside the selection. */
  meanInside: number;
}

/**
 * LSTMVis's select step: units whose value is ≥ `threshold` at every position of
 * [start, end), ranked by how cleanly they are off elsewhere (fraction of outside positions
 * below the threshold), best first.
 */
export function selectUnits(
  values: Float32Array,
  T: number,
  H: number,
  sel: Selection,
): { units: SelectedUnit[] } {
  const { start, end, threshold } = sel;
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= T)) {
    throw new KiokuError(`selection must satisfy 0 ≤ start < end ≤ ${T}, got [${start}, ${end})`);
  }
  if (!Number.isFinite(threshold)) throw new KiokuError(`threshold must be a number, got ${threshold}`);
  const outside = T - (end - start);
  const units: SelectedUnit[] = [];
  for (let j = 0; j < H; j++) {
    let on = true;
    let sum = 0;
    for (let t = start; t < end && on; t++) {
      const v = values[t * H + j];
      if (v < threshold) on = false;
      sum += v;
    }
    if (!on) continue;
    let off = 0;
    for (let t = 0; t < T; t++) if ((t < start || t >= end) && values[t * H + j] < threshold) off++;
    units.push({ unit: j, offOutside: outside > 0 ? off / outside : 1, meanInside: sum / (end - start) });
  }
  units.sort((a, b) => b.offOutside - a.offOutside || b.meanInside - a.meanInside);
  return { units };
}

export interface Match {
  start: number;
  end: number;
  /** Selected units on at every position of the match, out of the number selected. */
  unitsOn: number;
  score: number;
}

/**
 * LSTMVis's match step: maximal runs of positions where at least `minShare` of `units` are
 * on (≥ threshold) together, ranked by how many of the units are on throughout the run and
 * then by how close the run's length is to `targetLength` (the selection's).
 */
export function matchSelection(
  values: Float32Array,
  T: number,
  H: number,
  units: readonly number[],
  threshold: number,
  targetLength: number,
  opts: { minShare?: number; limit?: number; exclude?: { start: number; end: number } } = {},
): Match[] {
  if (units.length === 0) return [];
  for (const u of units) {
    if (!(Number.isInteger(u) && u >= 0 && u < H)) throw new KiokuError(`unit ${u} outside [0, ${H})`);
  }
  const need = Math.max(1, Math.ceil((opts.minShare ?? 1) * units.length));
  const onCount = new Int32Array(T);
  for (let t = 0; t < T; t++) {
    for (const u of units) if (values[t * H + u] >= threshold) onCount[t]++;
  }
  const matches: Match[] = [];
  let t = 0;
  while (t < T) {
    if (onCount[t] < need) {
      t++;
      continue;
    }
    const start = t;
    let minOn = onCount[t];
    while (t < T && onCount[t] >= need) minOn = Math.min(minOn, onCount[t++]);
    const end = t;
    const ex = opts.exclude;
    if (ex && start < ex.end && end > ex.start) continue;
    const lengthPenalty = Math.abs(end - start - targetLength) / Math.max(1, targetLength);
    matches.push({
      start,
      end,
      unitsOn: minOn,
      score: minOn / units.length - 0.5 * Math.min(1, lengthPenalty),
    });
  }
  matches.sort((a, b) => b.score - a.score || a.start - b.start);
  return matches.slice(0, opts.limit ?? 50);
}

export interface GateSaturation {
  gate: 'i' | 'f' | 'o';
  /** Per unit: fraction of steps with the gate < 0.1 (left-saturated). */
  left: Float32Array;
  /** Per unit: fraction of steps with the gate > 0.9 (right-saturated). */
  right: Float32Array;
}

/**
 * Karpathy et al. 2015, Fig. 3: for every unit, the fraction of time its gate is
 * left-saturated (activation < 0.1) and right-saturated (> 0.9). Units on the right edge
 * of the forget-gate plot are "integrators" that remember for a long time.
 */
export function gateSaturation(trace: CellTrace, lo = 0.1, hi = 0.9): GateSaturation[] {
  const { T, H } = trace;
  return (['i', 'f', 'o'] as const).map((gate) => {
    const v = trace[gate];
    const left = new Float32Array(H);
    const right = new Float32Array(H);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < H; j++) {
        const x = v[t * H + j];
        if (x < lo) left[j]++;
        else if (x > hi) right[j]++;
      }
    }
    for (let j = 0; j < H; j++) {
      left[j] /= T;
      right[j] /= T;
    }
    return { gate, left, right };
  });
}

/** Pearson correlation of one unit's series with a per-position signal (for finding cells). */
export function unitCorrelation(
  values: Float32Array,
  T: number,
  H: number,
  unit: number,
  signal: ArrayLike<number>,
): number {
  let mx = 0;
  let my = 0;
  for (let t = 0; t < T; t++) {
    mx += values[t * H + unit];
    my += signal[t];
  }
  mx /= T;
  my /= T;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let t = 0; t < T; t++) {
    const a = values[t * H + unit] - mx;
    const b = signal[t] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}
