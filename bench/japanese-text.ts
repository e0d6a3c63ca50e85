/**
 * A generated Japanese-like text with a large character vocabulary, for the large-vocabulary
 * benchmarks (configuration J, `--whole`): nothing to download, the same text on every
 * machine. Characters are hiragana, katakana, Japanese punctuation and the first CJK unified
 * ideographs (U+4E00 …); words of 1–4 characters are drawn from a fixed lexicon with Zipf
 * frequencies (as words are in real text), sentences end with 。 and are sometimes quoted,
 * so a character model has structure to learn, and every one of `vocab` characters occurs.
 */
import { Rng } from '../src/util/rng.js';

const HIRAGANA = Array.from({ length: 0x3096 - 0x3041 + 1 }, (_, i) => String.fromCodePoint(0x3041 + i));
const KATAKANA = Array.from({ length: 0x30fa - 0x30a1 + 1 }, (_, i) => String.fromCodePoint(0x30a1 + i));
const PUNCTUATION = ['。', '、', '「', '」', '\n'];

/** `vocab` distinct characters: punctuation, kana, then ideographs. */
export function japaneseAlphabet(vocab: number): string[] {
  const chars = [...PUNCTUATION, ...HIRAGANA, ...KATAKANA];
  for (let cp = 0x4e00; chars.length < vocab; cp++) chars.push(String.fromCodePoint(cp));
  return chars.slice(0, vocab);
}

/**
 * `length` characters over exactly `vocab` distinct characters (vocab ≥ 200), deterministic
 * for a seed.
 */
export function generateJapaneseText(length: number, vocab = 3000, seed = 1): string {
  const rng = new Rng(seed);
  const alphabet = japaneseAlphabet(vocab);
  const letters = alphabet.slice(PUNCTUATION.length);
  // A lexicon of words; word w has Zipf weight 1 / (w + 1). The first |letters| words are the
  // single letters (so every character occurs), the rest are 2–4 letters, kana-heavy.
  const words: string[] = letters.map((c) => c);
  rng.shuffle(words);
  for (let w = 0; w < 6000; w++) {
    const n = 2 + rng.int(3);
    let s = '';
    for (let k = 0; k < n; k++) {
      const kana = rng.uniform() < 0.5;
      s += kana ? letters[rng.int(HIRAGANA.length + KATAKANA.length)] : letters[rng.int(letters.length)];
    }
    words.splice(rng.int(words.length + 1), 0, s);
  }
  const cumulative = new Float64Array(words.length);
  let total = 0;
  for (let w = 0; w < words.length; w++) cumulative[w] = total += 1 / (w + 1);
  const pick = (): string => {
    const u = rng.uniform() * total;
    let lo = 0;
    let hi = words.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return words[lo];
  };
  const parts: string[] = [...letters]; // every character at least once
  let n = letters.length;
  while (n < length) {
    const quoted = rng.uniform() < 0.15;
    let sentence = quoted ? '「' : '';
    const count = 3 + rng.int(10);
    for (let k = 0; k < count; k++) sentence += pick() + (k < count - 1 && rng.uniform() < 0.2 ? '、' : '');
    sentence += quoted ? '」' : '。';
    if (rng.uniform() < 0.1) sentence += '\n';
    parts.push(sentence);
    n += Array.from(sentence).length;
  }
  return Array.from(parts.join('')).slice(0, length).join('');
}
