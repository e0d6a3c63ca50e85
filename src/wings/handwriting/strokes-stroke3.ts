/**
 * Import and export of the "stroke-3" format of sketch-rnn (Ha & Eck 2017, "A Neural
 * Representation of Sketch Drawings"): each point is [Δx, Δy, p] with p = 1 when the pen
 * is lifted after the point — the same rows kioku's offset sequences hold. Files are JSON:
 *
 *   one drawing:   [[Δx, Δy, p], ...]
 *   several:       [[[Δx, Δy, p], ...], ...]   or   { "drawings": [ ... ] }
 *   with metadata: { "drawings": [{ "id": "a01", "text": "hello", "strokes": [[Δx, Δy, p], ...] }] }
 *
 * (sketch-rnn's own .npz files store the same rows as int16 arrays; convert them with numpy,
 * e.g. `json.dump([a.tolist() for a in np.load(f, encoding='latin1', allow_pickle=True)['train']], out)`.)
 *
 * ```ts
 * const text = toStroke3Json([seq]);            // '{"format":"stroke-3","drawings":[...]}'
 * const back = parseStroke3Json(text, 'x.json'); // OffsetSequence[]
 * ```
 */
import { readTextBounded } from '../../node/files.js';
import { KiokuError } from '../../util/errors.js';
import { parseJson } from '../../util/json.js';
import { checkFloat32 } from '../../util/numbers.js';
import type { OffsetSequence } from './strokes.js';

/** One sequence as stroke-3 rows ([Δx, Δy, p], p ∈ {0, 1}). */
export function toStroke3(seq: OffsetSequence, digits = 3): number[][] {
  const f = 10 ** digits;
  const rows: number[][] = [];
  for (let i = 0; i < seq.length; i++) {
    rows.push([
      Math.round(seq.data[i * 3] * f) / f,
      Math.round(seq.data[i * 3 + 1] * f) / f,
      seq.data[i * 3 + 2] >= 0.5 ? 1 : 0,
    ]);
  }
  return rows;
}

/**
 * A JSON document of several sequences (ids and texts kept). `extra` adds top-level fields,
 * e.g. `{ acknowledgement: HERSHEY_ACKNOWLEDGEMENT }` for data made from the Hershey fonts.
 */
export function toStroke3Json(
  seqs: readonly OffsetSequence[],
  digits = 3,
  extra: Record<string, string> = {},
): string {
  const drawings = seqs.map((s) => ({
    ...(s.id !== undefined ? { id: s.id } : {}),
    ...(s.text !== undefined ? { text: s.text } : {}),
    strokes: toStroke3(s, digits),
  }));
  return JSON.stringify({ format: 'stroke-3', ...extra, drawings });
}

function rowsToSequence(rows: unknown, where: string, id?: string, text?: string): OffsetSequence {
  if (!Array.isArray(rows))
    throw new KiokuError(`${where}: expected an array of [dx, dy, p] rows, got ${typeof rows}`);
  if (rows.length === 0) throw new KiokuError(`${where}: drawing has no points`);
  const data = new Float32Array(rows.length * 3);
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== 3 || !r.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new KiokuError(
        `${where}: row ${i} must be [dx, dy, p] of 3 finite numbers, got ${JSON.stringify(r)}`,
      );
    }
    if (r[2] !== 0 && r[2] !== 1) throw new KiokuError(`${where}: row ${i}: p must be 0 or 1, got ${r[2]}`);
    checkFloat32(r[0], `${where}: row ${i}: dx`);
    checkFloat32(r[1], `${where}: row ${i}: dy`);
    data.set(r as number[], i * 3);
  });
  return { id, text, data, length: rows.length };
}

/** Parse a stroke-3 JSON document (any of the shapes above); `source` names it in errors. */
export function parseStroke3Json(text: string, source = 'stroke-3 JSON'): OffsetSequence[] {
  const doc = parseJson(text, source);
  let list: unknown[];
  if (Array.isArray(doc)) {
    // One drawing ([[dx,dy,p],...]) or several ([[[dx,dy,p],...],...]).
    const single = doc.length > 0 && Array.isArray(doc[0]) && typeof (doc[0] as unknown[])[0] === 'number';
    list = single ? [doc] : doc;
  } else if (
    doc !== null &&
    typeof doc === 'object' &&
    Array.isArray((doc as { drawings?: unknown }).drawings)
  ) {
    list = (doc as { drawings: unknown[] }).drawings;
  } else {
    throw new KiokuError(`${source}: expected an array of drawings or { "drawings": [...] }`);
  }
  return list.map((d, i) => {
    const where = `${source}: drawing ${i}`;
    if (Array.isArray(d)) return rowsToSequence(d, where, `${i}`);
    if (d !== null && typeof d === 'object' && 'strokes' in d) {
      const o = d as { id?: unknown; text?: unknown; strokes: unknown };
      return rowsToSequence(
        o.strokes,
        where,
        o.id === undefined ? `${i}` : String(o.id),
        typeof o.text === 'string' ? o.text : undefined,
      );
    }
    throw new KiokuError(`${where}: expected [[dx, dy, p], ...] or { strokes: [...] }`);
  });
}

/** Read a stroke-3 JSON file. */
export function loadStroke3File(path: string): OffsetSequence[] {
  return parseStroke3Json(readTextBounded(path), path);
}
