import { writeFileAtomic } from '../../node/atomic.js';
import { readTextBounded } from '../../node/files.js';
import { readDecimal } from '../../util/numbers.js';
import { KiokuError } from '../../util/errors.js';

/** Word vectors read from the word2vec text format. */
export interface WordVectors {
  words: string[];
  dim: number;
  /** [words.length, dim] row-major. */
  vectors: Float32Array;
  get(word: string): Float32Array | undefined;
}

/**
 * Write vectors in the text format of Mikolov's word2vec tool (also read by gensim's
 * `KeyedVectors.load_word2vec_format(binary=False)`): a header line `<count> <dim>`, then
 * one line per word: the word and its `dim` numbers separated by spaces. Atomic.
 */
export function writeWord2vecText(
  path: string,
  words: readonly string[],
  vectors: Float32Array,
  dim: number,
): void {
  if (vectors.length !== words.length * dim)
    throw new KiokuError(`writeWord2vecText: expected ${words.length}×${dim} numbers, got ${vectors.length}`);
  const lines = [`${words.length} ${dim}`];
  for (let i = 0; i < words.length; i++) {
    if (/\s/.test(words[i]) || words[i] === '')
      throw new KiokuError(
        `writeWord2vecText: word ${i} (${JSON.stringify(words[i])}) is empty or has whitespace`,
      );
    const row = Array.from(vectors.subarray(i * dim, (i + 1) * dim), (v) => Number(v.toPrecision(6)));
    lines.push(`${words[i]} ${row.join(' ')}`);
  }
  writeFileAtomic(path, new TextEncoder().encode(lines.join('\n') + '\n'));
}

/** Read a word2vec text file, refusing a missing file, a bad header or malformed rows. */
export function readWord2vecText(path: string): WordVectors {
  const text = readTextBounded(path, { what: 'word vectors' });
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const head = lines[0]?.trim().split(/\s+/).map(Number);
  if (!head || head.length !== 2 || !head.every((n) => Number.isInteger(n) && n > 0)) {
    throw new KiokuError(`${path}: not a word2vec text file (first line must be '<count> <dim>')`);
  }
  const [n, dim] = head;
  // Each number takes at least 2 characters ("0 "): a header promising more cannot be
  // true, and must not make us allocate n × dim floats to find out.
  if (n * dim > text.length / 2)
    throw new KiokuError(
      `${path}: header says ${n} words × ${dim} dimensions, more numbers than the file (${text.length} characters) can hold`,
    );
  if (lines.length - 1 !== n)
    throw new KiokuError(`${path}: header says ${n} words, file has ${lines.length - 1} rows (truncated?)`);
  const words: string[] = [];
  const vectors = new Float32Array(n * dim);
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const parts = lines[i + 1].trim().split(' ');
    if (parts.length !== dim + 1)
      throw new KiokuError(`${path}: row ${i + 2} has ${parts.length - 1} numbers, expected ${dim}`);
    words.push(parts[0]);
    index.set(parts[0], i);
    for (let j = 0; j < dim; j++) {
      vectors[i * dim + j] = readDecimal(parts[j + 1], `${path}: line ${i + 2}, number ${j + 1}`);
    }
  }
  return {
    words,
    dim,
    vectors,
    get: (w) => {
      const i = index.get(w);
      return i === undefined ? undefined : vectors.subarray(i * dim, (i + 1) * dim);
    },
  };
}
