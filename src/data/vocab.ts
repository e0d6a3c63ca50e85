import { KiokuError } from '../util/errors.js';

/** JSON form of a vocabulary, as saved inside model files. */
export interface VocabJSON {
  kind: 'kioku-vocab';
  tokens: string[];
  specials: string[];
}

export interface VocabBuildOptions {
  /** Keep at most this many entries, specials included (most frequent first). */
  maxSize?: number;
  /** Drop tokens seen fewer times. Default 1. */
  minCount?: number;
  /** Special tokens placed first; must include '<pad>' (id 0) and '<unk>'. */
  specials?: string[];
}

/** Result of `Vocab.encode`: ids plus how many tokens were out of vocabulary. */
export interface Encoded {
  ids: Int32Array;
  oov: number;
}

export const PAD = '<pad>';
export const UNK = '<unk>';
export const BOS = '<s>';
export const EOS = '</s>';

/**
 * A token ↔ id table with a size cap and an OOV entry. Id 0 is always `<pad>` and
 * `<unk>` stands for every token not in the table; `encode` counts how many it replaced,
 * so callers can report "3 unknown words". Ties in frequency are broken alphabetically, so
 * the same corpus always gives the same vocabulary.
 *
 * ```ts
 * const v = Vocab.build([['a', 'b', 'a']], { maxSize: 3 }); // <pad>, <unk>, a
 * v.encode(['a', 'b']); // { ids: [2, 1], oov: 1 }
 * Vocab.fromJSON(v.toJSON()).encode(['a']).ids; // [2]
 * ```
 */
export class Vocab {
  readonly tokens: readonly string[];
  readonly specials: readonly string[];
  private readonly index: Map<string, number>;
  readonly padId: number;
  readonly unkId: number;

  constructor(tokens: readonly string[], specials: readonly string[] = [PAD, UNK]) {
    if (specials[0] !== PAD || !specials.includes(UNK)) {
      throw new KiokuError(
        `Vocab: specials must start with '${PAD}' and include '${UNK}', got ${JSON.stringify(specials)}`,
      );
    }
    for (let i = 0; i < specials.length; i++) {
      if (tokens[i] !== specials[i])
        throw new KiokuError(`Vocab: token ${i} must be the special '${specials[i]}', got '${tokens[i]}'`);
    }
    this.tokens = Object.freeze([...tokens]);
    this.specials = Object.freeze([...specials]);
    this.index = new Map();
    tokens.forEach((t, i) => {
      if (this.index.has(t)) throw new KiokuError(`Vocab: duplicate token '${t}'`);
      this.index.set(t, i);
    });
    this.padId = 0;
    this.unkId = this.index.get(UNK)!;
  }

  /** Count tokens and keep the most frequent (size cap includes the specials). */
  static build(sequences: Iterable<readonly string[]>, opts: VocabBuildOptions = {}): Vocab {
    const specials = opts.specials ?? [PAD, UNK];
    const counts = new Map<string, number>();
    for (const seq of sequences) for (const t of seq) counts.set(t, (counts.get(t) ?? 0) + 1);
    const minCount = opts.minCount ?? 1;
    const special = new Set(specials);
    const words = [...counts.entries()]
      .filter(([w, c]) => c >= minCount && !special.has(w))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([w]) => w);
    const cap = opts.maxSize ?? Infinity;
    if (cap < specials.length + 1)
      throw new KiokuError(`Vocab.build: maxSize must be > ${specials.length} (the specials), got ${cap}`);
    return new Vocab([...specials, ...words.slice(0, cap - specials.length)], specials);
  }

  get size(): number {
    return this.tokens.length;
  }

  has(token: string): boolean {
    return this.index.has(token);
  }

  id(token: string): number {
    return this.index.get(token) ?? this.unkId;
  }

  /** Tokens → ids; unknown tokens become `<unk>` and are counted in `oov`. */
  encode(tokens: readonly string[]): Encoded {
    const ids = new Int32Array(tokens.length);
    let oov = 0;
    for (let i = 0; i < tokens.length; i++) {
      const id = this.index.get(tokens[i]);
      if (id === undefined) {
        ids[i] = this.unkId;
        oov++;
      } else ids[i] = id;
    }
    return { ids, oov };
  }

  /** Ids → tokens (ids outside the table are refused). */
  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const t = this.tokens[ids[i]];
      if (t === undefined) throw new KiokuError(`Vocab.decode: id ${ids[i]} is outside [0, ${this.size})`);
      out.push(t);
    }
    return out;
  }

  toJSON(): VocabJSON {
    return { kind: 'kioku-vocab', tokens: [...this.tokens], specials: [...this.specials] };
  }

  static fromJSON(j: unknown): Vocab {
    const v = j as VocabJSON;
    if (!v || v.kind !== 'kioku-vocab' || !Array.isArray(v.tokens) || !Array.isArray(v.specials)) {
      throw new KiokuError(
        'Vocab.fromJSON: not a kioku vocabulary (expected { kind: "kioku-vocab", tokens, specials })',
      );
    }
    if (!v.tokens.every((t) => typeof t === 'string'))
      throw new KiokuError('Vocab.fromJSON: tokens must be strings');
    return new Vocab(v.tokens, v.specials);
  }
}
