/**
 * One option schema per command. A command is declared once, as a table of typed options;
 * from it come the commander flags, the defaults and the help text, the `--config FILE`
 * validation (unknown keys and wrong types are refused, naming the key) and — by inference —
 * the TypeScript type of the values the command's `run` receives. Every command also gets
 * `--config FILE` and `--json` (the result as one JSON document on stdout).
 *
 * ```ts
 * const sampleCommand = defineCommand({
 *   name: 'sample',
 *   description: 'generate text from a trained model',
 *   options: {
 *     model: str('model run directory', { arg: 'dir', required: true }),
 *     length: int('characters to generate', { min: 1, default: 500 }),
 *     temperature: float('softmax temperature', { min: 0, default: 1 }),
 *   },
 *   run: (o) => sample(o.model, o.length, o.temperature), // o: { model: string; length: number; temperature: number }
 *   print: (r) => console.log(r.text),
 * });
 * ```
 *
 * Precedence: a flag on the command line, then the `--config` file, then the default.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { readTextBounded } from '../node/files.js';
import { KiokuError } from '../util/errors.js';
import { parseJson } from '../util/json.js';

/**
 * A mistake in how the command was called (a bad flag value, a bad config file, a missing
 * or conflicting option). `kioku` exits with code 2 for these, as argparse and click do.
 */
export class UsageError extends KiokuError {}

/** One typed option. `Out` is the value's type in `run` (with `undefined` when it has no default). */
export interface OptionSpec<Out> {
  readonly help: string;
  /** Name of the flag's argument in help (`--lr <x>`); absent for switches. */
  readonly arg?: string;
  /** A switch (`--quiet`), or with `negate` its negation (`--no-skip`, default on). */
  readonly switch?: boolean;
  readonly negate?: boolean;
  /** Fill in from --config or give on the command line; refused as a usage error when missing. */
  readonly required?: boolean;
  /** The long flag when it differs from the kebab-cased key. */
  readonly flag?: string;
  /** A one-letter short flag (`-k`) instead of a long one. */
  readonly short?: boolean;
  /** Takes every following word up to the next flag (`--runs a b c`), each passed to `parse`. */
  readonly variadic?: boolean;
  /** The default, shown in help (`undefined`: none). */
  readonly defaultValue: Out;
  /** Parse the flag's text; throws with "expected …, got …". */
  parse(raw: string): Out;
  /** Check a value from a JSON config file; throws with "expected …, got …". */
  fromJson(v: unknown): Out;
}

/** `flag`: the long flag when it is not the kebab-cased key; `short`: the flag is `-<flag>` (one letter). */
type Common = { flag?: string; arg?: string; short?: boolean };

function describe(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function isOneOf<T extends string>(choices: readonly T[], v: unknown): v is T {
  return choices.some((c) => c === v);
}

function rangeText(min: number, max: number, minExclusive: boolean): string {
  const lo = min > -Infinity ? `${minExclusive ? '>' : '≥'} ${min}` : '';
  const hi = max < Infinity ? `≤ ${max}` : '';
  return [lo, hi].filter(Boolean).join(' and ');
}

function checkRange(n: number, kind: string, min: number, max: number, minExclusive: boolean): number {
  if ((minExclusive ? n <= min : n < min) || n > max) {
    const closed = !minExclusive && min > -Infinity && max < Infinity;
    throw new Error(
      `expected ${kind} ${closed ? `in [${min}, ${max}]` : rangeText(min, max, minExclusive)}, got ${n}`,
    );
  }
  return n;
}

type NumOpts = Common & { min?: number; max?: number; required?: boolean };

function numberSpec(help: string, o: NumOpts & { minExclusive?: boolean }, integer: boolean) {
  const min = o.min ?? -Infinity;
  const max = o.max ?? Infinity;
  const minEx = o.minExclusive ?? false;
  const kind = integer ? 'an integer' : 'a number';
  const check = (n: number): number => {
    if (!Number.isFinite(n) || (integer && !Number.isSafeInteger(n)))
      throw new Error(`expected ${kind}, got ${n}`);
    return checkRange(n, kind, min, max, minEx);
  };
  return {
    help,
    arg: o.arg ?? (integer ? 'n' : 'x'),
    flag: o.flag,
    short: o.short,
    required: o.required,
    parse: (raw: string): number => {
      const ok = integer ? /^\s*[+-]?\d+\s*$/.test(raw) : raw.trim() !== '' && Number.isFinite(Number(raw));
      if (!ok) throw new Error(`expected ${kind}, got "${raw}"`);
      return check(Number(raw));
    },
    fromJson: (v: unknown): number => {
      if (typeof v !== 'number') throw new Error(`expected ${kind}, got ${describe(v)}`);
      return check(v);
    },
  };
}

/** An integer option in [min, max]. */
export function int(help: string, o: NumOpts & { default: number }): OptionSpec<number>;
export function int(help: string, o?: NumOpts): OptionSpec<number | undefined>;
export function int(help: string, o: NumOpts & { default?: number } = {}): OptionSpec<number | undefined> {
  return { ...numberSpec(help, o, true), defaultValue: o.default };
}

type FloatOpts = NumOpts & { minExclusive?: boolean };

/** A finite number in [min, max] (`minExclusive`: (min, max]). */
export function float(help: string, o: FloatOpts & { default: number }): OptionSpec<number>;
export function float(help: string, o?: FloatOpts): OptionSpec<number | undefined>;
export function float(
  help: string,
  o: FloatOpts & { default?: number } = {},
): OptionSpec<number | undefined> {
  return { ...numberSpec(help, o, false), defaultValue: o.default };
}

type StrOpts = Common & { required?: boolean };

/** A string (a path, a text). */
export function str(help: string, o: StrOpts & { default: string }): OptionSpec<string>;
export function str(help: string, o: StrOpts & { required: true }): OptionSpec<string>;
export function str(help: string, o?: StrOpts): OptionSpec<string | undefined>;
export function str(help: string, o: StrOpts & { default?: string } = {}): OptionSpec<string | undefined> {
  return {
    help,
    arg: o.arg ?? 'text',
    flag: o.flag,
    short: o.short,
    required: o.required,
    defaultValue: o.default,
    parse: (raw) => raw,
    fromJson: (v) => {
      if (typeof v !== 'string') throw new Error(`expected a string, got ${describe(v)}`);
      return v;
    },
  };
}

/** One of `choices` (a function is read when the command is built, e.g. the registered cells). */
export function choice<T extends string>(
  help: string,
  choices: readonly T[] | (() => readonly T[]),
  o: Common & { default: NoInfer<T> },
): OptionSpec<T>;
export function choice<T extends string>(
  help: string,
  choices: readonly T[] | (() => readonly T[]),
  o?: Common,
): OptionSpec<T | undefined>;
export function choice<T extends string>(
  help: string,
  choices: readonly T[] | (() => readonly T[]),
  o: Common & { default?: NoInfer<T> } = {},
): OptionSpec<T | undefined> {
  const list = (): readonly T[] => (typeof choices === 'function' ? choices() : choices);
  const check = (v: unknown): T => {
    if (isOneOf(list(), v)) return v;
    throw new Error(`expected one of ${list().join(', ')}, got ${describe(v)}`);
  };
  return {
    help: `${help} (${list().join(', ')})`,
    arg: o.arg ?? 'name',
    flag: o.flag,
    short: o.short,
    defaultValue: o.default,
    parse: check,
    fromJson: check,
  };
}

/** A switch: `--name` turns it on (default off); `default: true` makes it `--no-name`. */
export function flag(
  help: string,
  o: { default?: boolean; flag?: string; short?: boolean } = {},
): OptionSpec<boolean> {
  const on = o.default ?? false;
  return {
    help,
    switch: true,
    negate: on,
    flag: o.flag,
    short: o.short,
    defaultValue: on,
    parse: () => !on,
    fromJson: (v) => {
      if (typeof v !== 'boolean') throw new Error(`expected true or false, got ${describe(v)}`);
      return v;
    },
  };
}

type ListOpts = Common & { variadic?: boolean };

/**
 * A comma-separated list (`--k 5,10,20`), each element checked by `item`; in a config file
 * a JSON array (or the same string). With `variadic: true` the flag instead takes every
 * following word up to the next flag, one element each (`--runs a.safetensors b.safetensors`,
 * shell globs included; no comma splitting, so paths may contain commas).
 */
export function list<T>(
  help: string,
  item: OptionSpec<T | undefined>,
  o: ListOpts & { default: readonly NoInfer<T>[] },
): OptionSpec<T[]>;
export function list<T>(
  help: string,
  item: OptionSpec<T | undefined>,
  o?: ListOpts,
): OptionSpec<T[] | undefined>;
export function list<T>(
  help: string,
  item: OptionSpec<T | undefined>,
  o: ListOpts & { default?: readonly NoInfer<T>[] } = {},
): OptionSpec<T[] | undefined> {
  const defined = (v: T | undefined): T => {
    if (v === undefined) throw new Error('expected a value in every list position');
    return v;
  };
  const parse = (raw: string): T[] => {
    if (o.variadic) return [defined(item.parse(raw))];
    const parts = raw.split(',').map((s) => s.trim());
    if (parts.some((p) => p === '')) throw new Error(`expected a comma-separated list, got "${raw}"`);
    return parts.map((p) => defined(item.parse(p)));
  };
  return {
    help,
    arg: o.arg ?? 'list',
    flag: o.flag,
    short: o.short,
    variadic: o.variadic,
    defaultValue: o.default ? [...o.default] : undefined,
    parse,
    fromJson: (v) => {
      if (typeof v === 'string') return parse(v);
      if (!Array.isArray(v))
        throw new Error(`expected an array or a comma-separated string, got ${describe(v)}`);
      return v.map((e) => defined(item.fromJson(e)));
    },
  };
}

/** The options of one command. */
export type Schema = Record<string, OptionSpec<unknown>>;

/** The values `run` receives: each key typed by its option. */
export type Values<S extends Schema> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

/** The flags every command has, besides its own. */
export const COMMON_OPTIONS = {
  config: str('JSON file setting any of these options by camelCase name (flags on the command line win)', {
    arg: 'file',
  }),
  json: flag('print the result as one JSON document on stdout (messages go to stderr)'),
};

/** One command: its options, what it does, and how it prints its result for people. */
export interface CommandSpec<S extends Schema, R> {
  name: string;
  aliases?: string[];
  description: string;
  /**
   * Positional arguments, in commander's syntax (e.g. '<text...>'), passed to `run` in order
   * (variadic ones spread; optional ones that are absent are left out, so they read as undefined).
   */
  args?: { syntax: string; help: string }[];
  options: S;
  run(values: Values<S> & Values<typeof COMMON_OPTIONS>, args: string[]): R | Promise<R>;
  /** Print the result for a person (without `--json`). */
  print?(result: R, values: Values<S>): void;
}

/** A command ready to be attached to a parent (`attach`). */
export interface DefinedCommand {
  name: string;
  /** Add the command under `parent`; `as` attaches it again under another name (an alias, e.g. `kioku sample`). */
  attach(parent: Command, as?: { name: string; canonical: string }): Command;
}

/** The long flag of option `key`: kebab-case (`valFraction` → `val-fraction`). */
export function flagName(key: string, spec: OptionSpec<unknown>): string {
  return spec.flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function showDefault(v: unknown): string | undefined {
  if (v === undefined || v === false) return undefined;
  if (Array.isArray(v)) return v.join(',');
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function commanderOption(key: string, spec: OptionSpec<unknown>): Option {
  const name = flagName(key, spec);
  const dash = spec.short ? '-' : '--';
  const flags = spec.switch
    ? `${dash}${spec.negate ? 'no-' : ''}${name}`
    : `${dash}${name} <${spec.arg ?? 'value'}${spec.variadic ? '...' : ''}>`;
  const def = spec.switch ? undefined : showDefault(spec.defaultValue);
  // A switch that is on by default is shown as its negation, so say what the flag turns off.
  const state = spec.switch && spec.negate ? ' (on by default; this flag turns it off)' : '';
  const help = `${spec.help}${state}${spec.required ? ' (required)' : ''}${def !== undefined ? ` (default: ${def})` : ''}`;
  const opt = new Option(flags, help);
  if (!spec.switch) {
    opt.argParser((raw: string, previous: unknown) => {
      try {
        const value = spec.parse(raw);
        // A variadic list gathers its words (and repeated flags) into one array.
        if (spec.variadic && Array.isArray(previous) && Array.isArray(value)) return [...previous, ...value];
        return value;
      } catch (err) {
        throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
      }
    });
  }
  // Commander stores the value under the camelCase of the flag; read it back under our key.
  return opt;
}

function readConfigFile(file: string): Record<string, unknown> {
  let raw: unknown;
  try {
    // Bounded, regular files only, BOM skipped as for data files, depth-limited strict JSON.
    raw = parseJson(readTextBounded(file, { what: 'config file' }), `config file ${file}`);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(`config file ${file}: expected a JSON object, got ${describe(raw)}`);
  return Object.fromEntries(Object.entries(raw));
}

function conforms<S extends Schema>(schema: S, v: Record<string, unknown>): v is Values<S> {
  return Object.keys(schema).every((k) => k in v);
}

/**
 * The command's values: each option from the command line, else the config file, else its
 * default; config keys and values checked against the schema. Exported for tests.
 */
export function resolveValues<S extends Schema>(
  schema: S,
  fromCli: (key: string, spec: OptionSpec<unknown>) => { given: boolean; value: unknown },
  configFile: string | undefined,
): Values<S> {
  const config = configFile === undefined ? {} : readConfigFile(configFile);
  const known = Object.keys(schema).filter((k) => !(k in COMMON_OPTIONS));
  for (const key of Object.keys(config)) {
    if (!known.includes(key) || key in COMMON_OPTIONS)
      throw new UsageError(`config file ${configFile}: unknown key "${key}" (known: ${known.join(', ')})`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    const cli = fromCli(key, spec);
    let value: unknown = spec.defaultValue;
    if (cli.given) value = cli.value;
    else if (Object.hasOwn(config, key)) {
      try {
        value = spec.fromJson(config[key]);
      } catch (err) {
        throw new UsageError(
          `config file ${configFile}: "${key}": ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    if (value === undefined && spec.required) {
      const f = flagName(key, spec);
      throw new UsageError(`missing ${spec.short ? '-' : '--'}${f} (or "${key}" in --config)`);
    }
    out[key] = value;
  }
  if (!conforms(schema, out)) throw new KiokuError('internal: option values incomplete');
  return out;
}

/** Declare a command from its option table (see the module comment). */
export function defineCommand<S extends Schema, R>(spec: CommandSpec<S, R>): DefinedCommand {
  const schema = { ...spec.options, ...COMMON_OPTIONS };
  return {
    name: spec.name,
    attach(parent: Command, as?: { name: string; canonical: string }): Command {
      const cmd = parent
        .command(as?.name ?? spec.name)
        .description(as ? `${spec.description} (the same as \`${as.canonical}\`)` : spec.description);
      if (!as) for (const a of spec.aliases ?? []) cmd.alias(a);
      for (const a of spec.args ?? []) cmd.argument(a.syntax, a.help);
      const attrs = new Map<string, string>();
      for (const [key, o] of Object.entries(schema)) {
        const opt = commanderOption(key, o);
        attrs.set(key, opt.attributeName());
        cmd.addOption(opt);
      }
      cmd.action(async (...actionArgs: unknown[]) => {
        const args = actionArgs
          .slice(0, spec.args?.length ?? 0)
          .flatMap((a) => (a === undefined ? [] : Array.isArray(a) ? a.map(String) : [String(a)]));
        const attr = (key: string): string => attrs.get(key) ?? key;
        const config = cmd.getOptionValue(attr('config'));
        const values = resolveValues(
          schema,
          (key) => {
            const a = attr(key);
            return { given: cmd.getOptionValueSource(a) === 'cli', value: cmd.getOptionValue(a) };
          },
          typeof config === 'string' ? config : undefined,
        );
        const result = await spec.run(values, args);
        if (values.json) console.log(JSON.stringify(result, jsonReplacer));
        else spec.print?.(result, values);
      });
      return cmd;
    },
  };
}

/** JSON for results: typed arrays as arrays, non-finite numbers as null. */
function jsonReplacer(_key: string, v: unknown): unknown {
  if (v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array) return Array.from(v);
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

/** A group of commands under one area (`kioku charlm train|sample|demo`). */
export function attachArea(
  program: Command,
  area: string,
  description: string,
  commands: DefinedCommand[],
): Command {
  const group = program.command(area).description(description);
  for (const c of commands) c.attach(group);
  return group;
}
