/**
 * The one JSON reader for everything kioku loads from outside (safetensors headers,
 * checkpoint metadata, `--config`, stroke-3 files). It is strict RFC 8259 JSON, like
 * `JSON.parse`, plus the limits a loader needs:
 *
 * - nesting deeper than `maxDepth` (default 64) is refused with its position — never a
 *   "Maximum call stack size exceeded";
 * - a key repeated in one object is refused (`JSON.parse` silently keeps the last one,
 *   which hides e.g. `{"dtype":"F32","dtype":"F64"}`);
 * - strings must be valid Unicode: a lone surrogate escape such as `"\ud800"` is refused;
 * - a leading byte-order mark is skipped (`bom: 'skip'`, the default, as for data files)
 *   or refused (`bom: 'refuse'`, for safetensors headers, as the reference does);
 * - `__proto__` is an ordinary key (an own property, never the object's prototype).
 *
 * Errors are `KiokuError`s "`<source>`: not valid JSON: `<what>` at line L, column C".
 *
 * ```ts
 * parseJson('{"a": [1, 2]}', 'run.json');        // { a: [1, 2] }
 * parseJson('[[[[1]]]]', 'x.json', { maxDepth: 2 }); // KiokuError: x.json: JSON nested deeper than 2 levels at line 1, column 3
 * ```
 */
import { KiokuError } from './errors.js';

export interface JsonOptions {
  /** Deepest nesting of arrays/objects accepted (default 64). */
  maxDepth?: number;
  /** What to do with a leading U+FEFF: skip it (default) or refuse it. */
  bom?: 'skip' | 'refuse';
  /** Called for every number literal with its text; throw to refuse it (e.g. integers only). */
  checkNumber?: (literal: string, value: number) => void;
}

export const DEFAULT_JSON_DEPTH = 64;

/** Parse `text` as JSON (see the module comment for the rules); `source` names it in errors. */
export function parseJson(text: string, source: string, opts: JsonOptions = {}): unknown {
  return new JsonReader(text, source, opts).document();
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

class JsonReader {
  private i = 0;
  private readonly maxDepth: number;

  constructor(
    private readonly text: string,
    private readonly source: string,
    private readonly opts: JsonOptions,
  ) {
    this.maxDepth = opts.maxDepth ?? DEFAULT_JSON_DEPTH;
  }

  document(): unknown {
    if (this.text.charCodeAt(0) === 0xfeff) {
      if (this.opts.bom === 'refuse') this.fail('a byte-order mark (U+FEFF) before the value');
      this.i = 1;
    }
    this.space();
    const v = this.value(0);
    this.space();
    if (this.i < this.text.length) this.fail(`unexpected ${this.shown()} after the value`);
    return v;
  }

  /** Throw a KiokuError naming the source and the position of `this.i` (or `at`). */
  fail(what: string, at = this.i): never {
    throw new KiokuError(`${this.source}: not valid JSON: ${what} at ${this.position(at)}`);
  }

  /** "line L, column C" of character index `at` (1-based). */
  private position(at: number): string {
    let line = 1;
    let col = 1;
    for (let k = 0; k < at && k < this.text.length; k++) {
      if (this.text.charCodeAt(k) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    return `line ${line}, column ${col}`;
  }

  private shown(): string {
    return this.i >= this.text.length ? 'end of text' : JSON.stringify(this.text[this.i]);
  }

  private space(): void {
    while (this.i < this.text.length && WS.has(this.text.charCodeAt(this.i))) this.i++;
  }

  private value(depth: number): unknown {
    const c = this.text[this.i];
    if (c === '{' || c === '[') {
      if (depth >= this.maxDepth) {
        throw new KiokuError(
          `${this.source}: JSON nested deeper than ${this.maxDepth} levels at ${this.position(this.i)}`,
        );
      }
      return c === '{' ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(`unexpected ${this.shown()}, expected a value`);
  }

  private object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.i++; // '{'
    this.space();
    if (this.text[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') this.fail(`unexpected ${this.shown()}, expected a key in quotes`);
      const keyAt = this.i;
      const key = this.string();
      if (seen.has(key)) this.fail(`key ${JSON.stringify(key)} repeated in one object`, keyAt);
      seen.add(key);
      this.space();
      if (this.text[this.i] !== ':') this.fail(`unexpected ${this.shown()}, expected ":"`);
      this.i++;
      this.space();
      // defineProperty: "__proto__" becomes an own key, as with JSON.parse.
      Object.defineProperty(out, key, {
        value: this.value(depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.space();
      const c = this.text[this.i];
      this.i++;
      if (c === '}') return out;
      if (c !== ',')
        this.fail(
          `unexpected ${c === undefined ? 'end of text' : JSON.stringify(c)}, expected "," or "}"`,
          this.i - 1,
        );
    }
  }

  private array(depth: number): unknown[] {
    const out: unknown[] = [];
    this.i++; // '['
    this.space();
    if (this.text[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      out.push(this.value(depth));
      this.space();
      const c = this.text[this.i];
      this.i++;
      if (c === ']') return out;
      if (c !== ',')
        this.fail(
          `unexpected ${c === undefined ? 'end of text' : JSON.stringify(c)}, expected "," or "]"`,
          this.i - 1,
        );
    }
  }

  private string(): string {
    const start = this.i;
    this.i++; // opening quote
    let out = '';
    let run = this.i;
    for (;;) {
      if (this.i >= this.text.length) this.fail('unterminated string', start);
      const c = this.text.charCodeAt(this.i);
      if (c === 0x22) break;
      if (c < 0x20) this.fail(`control character U+${c.toString(16).padStart(4, '0')} inside a string`);
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = this.text.charCodeAt(this.i + 1);
        if (c >= 0xdc00 || !(next >= 0xdc00 && next <= 0xdfff)) this.fail('a lone surrogate inside a string');
        this.i += 2;
        continue;
      }
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += this.text.slice(run, this.i);
      const e = this.text[this.i + 1];
      if (e !== undefined && e in ESCAPES) {
        out += ESCAPES[e];
        this.i += 2;
      } else if (e === 'u') {
        const unit = this.hex4(this.i + 2);
        this.i += 6;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = this.text.startsWith('\\u', this.i) ? this.hex4(this.i + 2) : -1;
          if (!(low >= 0xdc00 && low <= 0xdfff))
            this.fail('a lone surrogate escape inside a string', this.i - 6);
          this.i += 6;
          out += String.fromCharCode(unit, low);
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          this.fail('a lone surrogate escape inside a string', this.i - 6);
        } else out += String.fromCharCode(unit);
      } else this.fail(`invalid escape "\\${e ?? ''}" inside a string`);
      run = this.i;
    }
    out += this.text.slice(run, this.i);
    this.i++; // closing quote
    return out;
  }

  private hex4(at: number): number {
    const h = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail('"\\u" must be followed by 4 hex digits', at);
    return parseInt(h, 16);
  }

  private number(): number {
    const re = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    re.lastIndex = this.i;
    const m = re.exec(this.text);
    if (!m) this.fail(`malformed number`);
    const literal = m![0];
    const value = Number(literal);
    try {
      this.opts.checkNumber?.(literal, value);
    } catch (e) {
      this.fail(`${(e as Error).message}`);
    }
    this.i += literal.length;
    const next = this.text[this.i];
    if (next !== undefined && /[0-9.eE+-]/.test(next)) this.fail('malformed number');
    return value;
  }
}

/** Whether a parsed JSON value is an object (not null, not an array): `{ "a": 1 }`. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
