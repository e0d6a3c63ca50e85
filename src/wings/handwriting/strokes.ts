/**
 * Pen-stroke data for handwriting prediction (Graves 2013 §4): drawings in absolute
 * coordinates, the offset sequences the network reads, and the paper's preprocessing.
 *
 * A *drawing* is a list of strokes (pen-down polylines) in absolute coordinates with y
 * pointing down (as in IAM-OnDB and on screen). The network reads an *offset sequence*
 * [N, 3], one row per point:
 *
 *   x_t = (Δx_t, Δy_t, eos_t),  Δ = p_t − p_{t−1},  eos_t = 1 if the pen lifts after p_t
 *
 * (the first row's offset is (0, 0): sequences start at the origin). This is also the
 * "stroke-3" format of sketch-rnn (Ha & Eck 2017), whose p = 1 means the same as eos = 1.
 *
 * ```ts
 * const seq = drawingToOffsets({ strokes: [[{ x: 0, y: 0 }, { x: 3, y: 4 }], [{ x: 9, y: 0 }]] });
 * seq.data; // Float32Array [0,0,0, 3,4,1, 6,-4,1]
 * const stats = computeOffsetStats([seq]);
 * const z = normalizeOffsets(seq, stats);     // mean 0, std 1 over the training set
 * ```
 */
import { KiokuError } from '../../util/errors.js';

/** A pen position; `t` (seconds) when the source records time. */
export interface StrokePoint {
  x: number;
  y: number;
  t?: number;
}

export type Stroke = StrokePoint[];

/** Strokes in absolute coordinates, y pointing down. */
export interface Drawing {
  id?: string;
  /** The text written, when known (IAM transcriptions, the built-in data). */
  text?: string;
  strokes: Stroke[];
}

/** An offset sequence: `data` holds `length` rows (Δx, Δy, eos), row-major [length, 3]. */
export interface OffsetSequence {
  id?: string;
  text?: string;
  data: Float32Array;
  length: number;
}

/** Per-coordinate statistics of the offsets, stored with a model (Graves §4: mean 0, std 1). */
export interface OffsetStats {
  meanX: number;
  meanY: number;
  stdX: number;
  stdY: number;
}

/** Convert a drawing to an offset sequence (rows (Δx, Δy, eos); first offset (0, 0)). */
export function drawingToOffsets(d: Drawing): OffsetSequence {
  const n = d.strokes.reduce((a, s) => a + s.length, 0);
  if (n === 0) throw new KiokuError(`drawingToOffsets: drawing${d.id ? ` ${d.id}` : ''} has no points`);
  const data = new Float32Array(n * 3);
  let i = 0;
  let px = d.strokes.find((s) => s.length > 0)![0].x;
  let py = d.strokes.find((s) => s.length > 0)![0].y;
  for (const s of d.strokes) {
    for (let k = 0; k < s.length; k++) {
      const p = s[k];
      data[i * 3] = p.x - px;
      data[i * 3 + 1] = p.y - py;
      data[i * 3 + 2] = k === s.length - 1 ? 1 : 0;
      px = p.x;
      py = p.y;
      i++;
    }
  }
  return { id: d.id, text: d.text, data, length: n };
}

/**
 * Integrate an offset sequence back into strokes, starting at `origin`. A stroke ends at
 * every row with eos ≥ 0.5 (sampled eos bits are 0/1; fractional values are rounded).
 */
export function offsetsToDrawing(
  seq: OffsetSequence,
  origin: { x: number; y: number } = { x: 0, y: 0 },
): Drawing {
  const strokes: Stroke[] = [];
  let cur: Stroke = [];
  let x = origin.x;
  let y = origin.y;
  for (let i = 0; i < seq.length; i++) {
    x += seq.data[i * 3];
    y += seq.data[i * 3 + 1];
    cur.push({ x, y });
    if (seq.data[i * 3 + 2] >= 0.5) {
      strokes.push(cur);
      cur = [];
    }
  }
  if (cur.length) strokes.push(cur);
  return { id: seq.id, text: seq.text, strokes };
}

/** Bounding box of a drawing's points. */
export function drawingBounds(d: Drawing): { minX: number; minY: number; maxX: number; maxY: number } {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const s of d.strokes) {
    for (const p of s) {
      if (p.x < minX) minX = p.x;
      if (p.x > maxX) maxX = p.x;
      if (p.y < minY) minY = p.y;
      if (p.y > maxY) maxY = p.y;
    }
  }
  if (minX === Infinity) return { minX: 0, minY: 0, maxX: 0, maxY: 0 };
  return { minX, minY, maxX, maxY };
}

export interface OutlierOptions {
  /**
   * Largest plausible jump in raw units. Default: `factor` × the median pen-down step of
   * the drawing.
   */
  maxJump?: number;
  /** Multiple of the median pen-down step used when `maxJump` is not given. Default 40. */
  factor?: number;
}

/**
 * Remove outlier jumps, the glitches of on-line capture (Graves §4 removes them before
 * training): a pen-down point farther than `maxJump` from both its neighbours in the same
 * stroke is dropped (a digitiser spike); a pen-up move (from one stroke's end to the next
 * stroke's start) longer than `maxJump` is shortened to `maxJump` in the same direction,
 * shifting the rest of the line (a writer lifting the pen to the far end of the board).
 * Returns a new drawing and how many points were dropped and jumps shortened.
 */
export function dropOutliers(
  d: Drawing,
  opts: OutlierOptions = {},
): { drawing: Drawing; dropped: number; shortened: number } {
  const steps: number[] = [];
  for (const s of d.strokes)
    for (let k = 1; k < s.length; k++) steps.push(Math.hypot(s[k].x - s[k - 1].x, s[k].y - s[k - 1].y));
  steps.sort((a, b) => a - b);
  const median = steps.length ? steps[steps.length >> 1] : 0;
  const maxJump = opts.maxJump ?? (opts.factor ?? 40) * Math.max(median, 1e-9);
  let dropped = 0;
  let shortened = 0;
  const cleaned: Stroke[] = [];
  for (const s of d.strokes) {
    const out: Stroke = [];
    for (let k = 0; k < s.length; k++) {
      const p = s[k];
      const prev = k > 0 ? s[k - 1] : null;
      const next = k + 1 < s.length ? s[k + 1] : null;
      const far = (q: StrokePoint | null): boolean =>
        q === null || Math.hypot(p.x - q.x, p.y - q.y) > maxJump;
      if (s.length > 1 && far(prev) && far(next)) {
        dropped++;
        continue;
      }
      out.push({ ...p });
    }
    if (out.length) cleaned.push(out);
  }
  // Shorten pen-up jumps, translating every later stroke.
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < cleaned.length; i++) {
    for (const p of cleaned[i]) {
      p.x += dx;
      p.y += dy;
    }
    if (i + 1 < cleaned.length) {
      const a = cleaned[i][cleaned[i].length - 1];
      const b = cleaned[i + 1][0];
      const jx = b.x + dx - a.x;
      const jy = b.y + dy - a.y;
      const len = Math.hypot(jx, jy);
      if (len > maxJump) {
        const f = maxJump / len;
        dx += jx * f - jx;
        dy += jy * f - jy;
        shortened++;
      }
    }
  }
  return { drawing: { ...d, strokes: cleaned }, dropped, shortened };
}

/**
 * Savitzky–Golay smoothing (quadratic, window 2m+1) of each stroke's absolute coordinates,
 * as sjvasquez's handwriting-synthesis does before training; removes capture jitter
 * without rounding the corners much. Endpoints keep their position; near the ends the
 * window shrinks to what is available. `window` must be odd ≥ 3 (default 7).
 *
 * Coefficients c_i = 3(3m² + 3m − 1 − 5i²) / ((2m+1)(4m² + 4m − 3)), i = −m..m.
 */
export function smoothDrawing(d: Drawing, window = 7): Drawing {
  if (!Number.isInteger(window) || window < 3 || window % 2 === 0) {
    throw new KiokuError(`smoothDrawing: window must be an odd integer ≥ 3, got ${window}`);
  }
  const coef = (m: number): number[] => {
    const c: number[] = [];
    for (let i = -m; i <= m; i++)
      c.push((3 * (3 * m * m + 3 * m - 1 - 5 * i * i)) / ((2 * m + 1) * (4 * m * m + 4 * m - 3)));
    return c;
  };
  const maxM = (window - 1) / 2;
  const table = Array.from({ length: maxM + 1 }, (_, m) => (m === 0 ? [1] : coef(m)));
  const strokes = d.strokes.map((s) =>
    s.map((p, k) => {
      const m = Math.min(maxM, k, s.length - 1 - k);
      if (m === 0) return { ...p };
      const c = table[m];
      let x = 0;
      let y = 0;
      for (let i = -m; i <= m; i++) {
        x += c[i + m] * s[k + i].x;
        y += c[i + m] * s[k + i].y;
      }
      return { ...p, x, y };
    }),
  );
  return { ...d, strokes };
}

/** Mean and standard deviation of Δx and Δy over every row of every sequence. */
export function computeOffsetStats(seqs: readonly OffsetSequence[]): OffsetStats {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (const s of seqs) {
    for (let i = 0; i < s.length; i++) {
      sx += s.data[i * 3];
      sy += s.data[i * 3 + 1];
      n++;
    }
  }
  if (n === 0) throw new KiokuError('computeOffsetStats: no points');
  const meanX = sx / n;
  const meanY = sy / n;
  let vx = 0;
  let vy = 0;
  for (const s of seqs) {
    for (let i = 0; i < s.length; i++) {
      vx += (s.data[i * 3] - meanX) ** 2;
      vy += (s.data[i * 3 + 1] - meanY) ** 2;
    }
  }
  return { meanX, meanY, stdX: Math.sqrt(vx / n) || 1, stdY: Math.sqrt(vy / n) || 1 };
}

/** (Δ − mean) / std for Δx and Δy; eos unchanged. Returns a new sequence. */
export function normalizeOffsets(s: OffsetSequence, st: OffsetStats): OffsetSequence {
  const data = new Float32Array(s.data);
  for (let i = 0; i < s.length; i++) {
    data[i * 3] = (data[i * 3] - st.meanX) / st.stdX;
    data[i * 3 + 1] = (data[i * 3 + 1] - st.meanY) / st.stdY;
  }
  return { ...s, data };
}

/** Inverse of `normalizeOffsets`. */
export function denormalizeOffsets(s: OffsetSequence, st: OffsetStats): OffsetSequence {
  const data = new Float32Array(s.data);
  for (let i = 0; i < s.length; i++) {
    data[i * 3] = data[i * 3] * st.stdX + st.meanX;
    data[i * 3 + 1] = data[i * 3 + 1] * st.stdY + st.meanY;
  }
  return { ...s, data };
}

/** Refuse statistics that cannot normalise (non-finite, std ≤ 0). */
export function checkOffsetStats(where: string, st: unknown): OffsetStats {
  const o = st as Record<string, unknown> | null;
  const ok =
    o !== null &&
    typeof o === 'object' &&
    ['meanX', 'meanY', 'stdX', 'stdY'].every((k) => typeof o[k] === 'number' && Number.isFinite(o[k])) &&
    (o.stdX as number) > 0 &&
    (o.stdY as number) > 0;
  if (!ok)
    throw new KiokuError(
      `${where}: offset statistics must be { meanX, meanY, stdX > 0, stdY > 0 }, got ${JSON.stringify(st)}`,
    );
  return o as unknown as OffsetStats;
}

/** An array of sequences split by a seeded, content-independent rule into train/validation. */
export interface StrokeSplits {
  train: OffsetSequence[];
  valid: OffsetSequence[];
}

/**
 * A stable 32-bit FNV-1a hash of a string, used for deterministic splits by id (so a line
 * stays in the same split whatever else is in the folder).
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
