/**
 * A character vocabulary over Unicode code points (not UTF-16 units), so Japanese,
 * emoji and any other script work: `Array.from(text)` splits by code point.
 * The vocabulary travels inside checkpoints (`tokens`).
 *
 * ```ts
 * const vocab = CharVocab.fromText('こんにちは、世界');
 * const ids = vocab.encode('世界');   // Int32Array
 * vocab.decode(ids);                  // '世界'
 * ```
 */
import { KiokuError } from '../../util/errors.js';

export class CharVocab {
  readonly tokens: readonly string[];
  private readonly index: Map<string, number>;

  constructor(tokens: readonly string[]) {
    if (tokens.length === 0) throw new KiokuError('CharVocab: empty vocabulary');
    this.index = new Map();
    tokens.forEach((t, i) => {
      if (Array.from(t).length !== 1)
        throw new KiokuError(`CharVocab: token ${JSON.stringify(t)} is not one character`);
      if (this.index.has(t)) throw new KiokuError(`CharVocab: duplicate token ${describeChar(t)}`);
      this.index.set(t, i);
    });
    this.tokens = [...tokens];
  }

  /** All distinct code points of `text`, sorted by code point (deterministic ids). */
  static fromText(text: string | readonly string[]): CharVocab {
    const chars = typeof text === 'string' ? Array.from(text) : text;
    const set = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharVocab(set);
  }

  get size(): number {
    return this.tokens.length;
  }

  has(ch: string): boolean {
    return this.index.has(ch);
  }

  id(ch: string): number {
    const i = this.index.get(ch);
    if (i === undefined) throw new KiokuError(`character ${describeChar(ch)} is not in the vocabulary`);
    return i;
  }

  /** Encode every character; throws on the first unknown one (use `encodeKnown` to skip). */
  encode(text: string | readonly string[]): Int32Array {
    const chars = typeof text === 'string' ? Array.from(text) : text;
    return Int32Array.from(chars, (c) => this.id(c));
  }

  /** Encode the known characters and list the unknown ones (each once, in order). */
  encodeKnown(text: string): { ids: Int32Array; unknown: string[] } {
    const ids: number[] = [];
    const unknown: string[] = [];
    for (const c of Array.from(text)) {
      const i = this.index.get(c);
      if (i === undefined) {
        if (!unknown.includes(c)) unknown.push(c);
      } else ids.push(i);
    }
    return { ids: Int32Array.from(ids), unknown };
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const t = this.tokens[ids[i]];
      if (t === undefined)
        throw new KiokuError(`CharVocab.decode: id ${ids[i]} is outside [0, ${this.size})`);
      s += t;
    }
    return s;
  }
}

/** A character named for humans: `'é' (U+00E9)`, `'\n' (U+000A)`. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `${JSON.stringify(ch)} (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}
