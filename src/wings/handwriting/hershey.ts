/**
 * Hershey vector fonts (Dr. A. V. Hershey, U. S. National Bureau of Standards, 1967) in
 * James Hurt's `.jhf` format: every glyph is a few polylines, which makes them pen
 * trajectories. The script faces are the raw material of kioku's built-in handwriting data
 * (`hershey_writer.ts`). See `hershey_fonts.ts` for the data and its acknowledgement.
 *
 * ```ts
 * const font = builtinHersheyFont('scripts');
 * const a = font.glyphs.get('a')!;  // { left, right, strokes: [[x, y], ...][] }, y down
 * const other = loadJhfFile('/usr/share/hershey-fonts/scriptc.jhf'); // Debian hershey-fonts-data
 * ```
 */
import { readFileBounded } from '../../node/files.js';
import { KiokuError } from '../../util/errors.js';
import { HERSHEY_FONTS } from './hershey-fonts.js';

/** One glyph: margins (advance = right − left) and pen-down polylines, y pointing down. */
export interface HersheyGlyph {
  left: number;
  right: number;
  strokes: [number, number][][];
}

export interface HersheyFont {
  name: string;
  /** Glyphs by character (ASCII 32..126 for the standard .jhf files). */
  glyphs: Map<string, HersheyGlyph>;
}

const R = 82; // 'R': coordinate 0

/**
 * Parse `.jhf` glyph lines (Hurt's format: number [5], vertex count [3], pairs of
 * characters offset from 'R'; " R" lifts the pen). Glyphs map to ASCII 32, 33, ... in file
 * order, as in the standard Hershey ASCII sets. Long glyphs wrapped over several lines are
 * joined using the vertex count.
 */
export function parseJhf(text: string | readonly string[], name: string): HersheyFont {
  const lines = (typeof text === 'string' ? text.split(/\r?\n/) : [...text]).filter(
    (l) => l.trim().length > 0,
  );
  const glyphs = new Map<string, HersheyGlyph>();
  let i = 0;
  let code = 32;
  while (i < lines.length) {
    let l = lines[i++];
    const count = Number(l.slice(5, 8));
    if (!Number.isInteger(count) || count < 1) {
      throw new KiokuError(
        `${name}: line ${i}: expected a vertex count in columns 6-8, got ${JSON.stringify(l.slice(5, 8))}`,
      );
    }
    while (l.length < 8 + 2 * count && i < lines.length) l += lines[i++];
    if (l.length < 8 + 2 * count)
      throw new KiokuError(`${name}: glyph ${code}: ${count} vertices announced, data ends early`);
    const pairs = l.slice(8, 8 + 2 * count);
    const left = pairs.charCodeAt(0) - R;
    const right = pairs.charCodeAt(1) - R;
    const strokes: [number, number][][] = [];
    let cur: [number, number][] = [];
    for (let k = 2; k < pairs.length; k += 2) {
      if (pairs[k] === ' ' && pairs[k + 1] === 'R') {
        if (cur.length) strokes.push(cur);
        cur = [];
      } else {
        cur.push([pairs.charCodeAt(k) - R, pairs.charCodeAt(k + 1) - R]);
      }
    }
    if (cur.length) strokes.push(cur);
    if (code <= 126) glyphs.set(String.fromCharCode(code), { left, right, strokes });
    code++;
  }
  if (glyphs.size === 0) throw new KiokuError(`${name}: no glyphs`);
  return { name, glyphs };
}

/** Names of the built-in faces: `scripts`, `cursive`, `scriptc`. */
export function builtinHersheyFontNames(): string[] {
  return Object.keys(HERSHEY_FONTS);
}

const cache = new Map<string, HersheyFont>();

/** A built-in Hershey script face (parsed once). */
export function builtinHersheyFont(name = 'scripts'): HersheyFont {
  const f = HERSHEY_FONTS[name];
  if (!f)
    throw new KiokuError(
      `unknown Hershey font ${JSON.stringify(name)}; built in: ${builtinHersheyFontNames().join(', ')}`,
    );
  let font = cache.get(name);
  if (!font) {
    font = parseJhf(f.jhf, name);
    cache.set(name, font);
  }
  return font;
}

/** Read a `.jhf` file (e.g. from Debian's hershey-fonts-data, `/usr/share/hershey-fonts/`). */
export function loadJhfFile(path: string): HersheyFont {
  return parseJhf(readFileBounded(path, { what: 'Hershey font' }).toString('latin1'), path);
}
