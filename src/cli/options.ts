/**
 * Typed command options: commander parses flags with the validating parsers below; a
 * `--config FILE` (JSON) may set any option by its long name in camelCase; flags given on
 * the command line win over the file, and the file over the documented defaults.
 * Unknown keys and wrong types in the file are refused with the key named.
 */
import { readTextBounded } from '../node/files.js';
import { parseJson } from '../util/json.js';
import { type Command, InvalidArgumentError } from 'commander';
import { KiokuError } from '../util/errors.js';

/** A commander argument parser for integers in [min, max]. */
export function intArg(min = -Infinity, max = Infinity): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^[+-]?\d+$/.test(v.trim()) || !Number.isSafeInteger(n))
      throw new InvalidArgumentError(`expected an integer, got "${v}"`);
    if (n < min || n > max)
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}], got ${n}`);
    return n;
  };
}

/** A commander argument parser for finite numbers in [min, max] (exclusive min when `minExclusive`). */
export function floatArg(min = -Infinity, max = Infinity, minExclusive = false): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n))
      throw new InvalidArgumentError(`expected a number, got "${v}"`);
    if ((minExclusive ? n <= min : n < min) || n > max) {
      throw new InvalidArgumentError(
        `expected a number ${minExclusive ? '>' : '≥'} ${min}${max < Infinity ? ` and ≤ ${max}` : ''}, got ${n}`,
      );
    }
    return n;
  };
}

/** A commander argument parser for one of `choices`. */
export function choiceArg<T extends string>(choices: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!choices.includes(v as T))
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got "${v}"`);
    return v as T;
  };
}

/**
 * The command's options with a `--config` file merged in: for every key the file sets,
 * the value is checked by the same parser the flag uses, then applied unless the flag was
 * given on the command line.
 */
export function mergeConfigFile(cmd: Command): Record<string, unknown> {
  const opts = cmd.opts();
  const file = opts.config as string | undefined;
  if (!file) return opts;
  // Bounded, regular files only, BOM skipped as for data files, depth-limited JSON.
  const raw = parseJson(readTextBounded(file, { what: 'config file' }), `config file ${file}`);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new KiokuError(`config file ${file}: expected a JSON object`);
  const byKey = new Map(cmd.options.map((o) => [o.attributeName(), o]));
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const opt = byKey.get(key);
    if (!opt || key === 'config') {
      const known = [...byKey.keys()].filter((k) => k !== 'config').join(', ');
      throw new KiokuError(`config file ${file}: unknown key "${key}" (known: ${known})`);
    }
    if (cmd.getOptionValueSource(key) === 'cli') continue;
    let parsed: unknown = value;
    if (opt.isBoolean()) {
      if (typeof value !== 'boolean')
        throw new KiokuError(
          `config file ${file}: "${key}" must be true or false, got ${JSON.stringify(value)}`,
        );
    } else {
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new KiokuError(
          `config file ${file}: "${key}" must be a string or number, got ${JSON.stringify(value)}`,
        );
      }
      const parser = (opt as unknown as { parseArg?: (v: string, prev: unknown) => unknown }).parseArg;
      try {
        parsed = parser ? parser(String(value), undefined) : String(value);
      } catch (err) {
        throw new KiokuError(`config file ${file}: "${key}": ${(err as Error).message}`);
      }
    }
    opts[key] = parsed;
  }
  return opts;
}
