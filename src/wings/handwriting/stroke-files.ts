/**
 * Reading handwriting data files (Node only): IAM-OnDB `lineStrokes` XML files and folders,
 * and stroke-3 JSON files. The parsers themselves (`strokes-iam.ts`, `strokes-stroke3.ts`)
 * are browser-safe; the lab's pad writes both formats with them.
 *
 * ```ts
 * const lines = loadLineStrokesFolder('/data/iam/lineStrokes'); // Drawing[]
 * const seqs = loadStroke3File('mine.json');                   // OffsetSequence[]
 * ```
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readFileBounded, readTextBounded } from '../../node/files.js';
import { KiokuError } from '../../util/errors.js';
import type { Drawing, OffsetSequence } from './strokes.js';
import { parseLineStrokes } from './strokes-iam.js';
import { parseStroke3Json } from './strokes-stroke3.js';

/** Read one `lineStrokes` file (IAM files declare ISO-8859-1; they are ASCII in practice). */
export function loadLineStrokesFile(path: string): Drawing {
  return parseLineStrokes(readFileBounded(path).toString('latin1'), path);
}

/** Every `*.xml` file under `dir` (recursively), sorted by path. */
export function findXmlFiles(dir: string): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new KiokuError(`lineStrokes folder ${dir} does not exist`);
  }
  if (!st.isDirectory())
    throw new KiokuError(`${dir} is not a folder (expected IAM-OnDB's lineStrokes folder)`);
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.toLowerCase().endsWith('.xml')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Load every line of an IAM-OnDB `lineStrokes` folder (`a01/a01-000/a01-000u-01.xml`, ...).
 * `limit` reads only the first n files (sorted by path).
 */
export function loadLineStrokesFolder(dir: string, opts: { limit?: number } = {}): Drawing[] {
  const files = findXmlFiles(dir);
  if (files.length === 0)
    throw new KiokuError(`${dir}: no .xml files found (expected IAM-OnDB lineStrokes files)`);
  const chosen = opts.limit !== undefined ? files.slice(0, opts.limit) : files;
  return chosen.map((f) => loadLineStrokesFile(f));
}

/** Read a stroke-3 JSON file. */
export function loadStroke3File(path: string): OffsetSequence[] {
  return parseStroke3Json(readTextBounded(path), path);
}
