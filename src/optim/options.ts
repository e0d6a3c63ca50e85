/**
 * Reading optimizer and schedule options: unknown keys, wrong types and out-of-range values
 * are refused with a message that names the option and says what was expected and what was
 * got. (PyTorch users often type `weight_decay`; we point them at `weightDecay`.)
 */
import { KiokuError } from '../util/errors.js';

/** Bounds for a number option; `*Exclusive` make the bound open. */
export interface NumberRange {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  integer?: boolean;
}

/**
 * Refuse `raw` unless it is a plain object whose keys are all in `allowed`.
 * Returns it typed as a record so the caller can read fields one by one.
 *
 * ```ts
 * const o = readOptionBag('Adam', { lr: 1e-3 }, ['lr', 'betas']); // ok
 * readOptionBag('Adam', { weight_decay: 1 }, ['lr', 'weightDecay']);
 * // KiokuError: Adam: unknown option "weight_decay" (did you mean "weightDecay"?); expected one of lr, weightDecay
 * ```
 */
export function readOptionBag(
  where: string,
  raw: unknown,
  allowed: readonly string[],
): Record<string, unknown> {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new KiokuError(`${where}: options must be an object, got ${describe(raw)}`);
  }
  const bag = raw as Record<string, unknown>;
  for (const key of Object.keys(bag)) {
    if (allowed.includes(key)) continue;
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const hint = camel !== key && allowed.includes(camel) ? ` (did you mean "${camel}"?)` : '';
    throw new KiokuError(`${where}: unknown option "${key}"${hint}; expected one of ${allowed.join(', ')}`);
  }
  return bag;
}

/** A finite number in the given range, or `fallback` when `value` is undefined. */
export function numberOption(
  where: string,
  name: string,
  value: unknown,
  fallback: number | undefined,
  range: NumberRange = {},
): number {
  if (value === undefined) {
    if (fallback === undefined)
      throw new KiokuError(`${where}: option ${name} is required (${rangeText(range)}), got nothing`);
    return fallback;
  }
  const {
    min = -Infinity,
    max = Infinity,
    minExclusive = false,
    maxExclusive = false,
    integer = false,
  } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minExclusive ? value > min : value >= min) &&
    (maxExclusive ? value < max : value <= max) &&
    (!integer || Number.isInteger(value));
  if (!ok) throw new KiokuError(`${where}: ${name} must be ${rangeText(range)}, got ${describe(value)}`);
  return value as number;
}

/** A boolean, or `fallback` when `value` is undefined. */
export function booleanOption(where: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new KiokuError(`${where}: ${name} must be true or false, got ${describe(value)}`);
  return value;
}

function rangeText(range: NumberRange): string {
  const {
    min = -Infinity,
    max = Infinity,
    minExclusive = false,
    maxExclusive = false,
    integer = false,
  } = range;
  const kind = integer ? 'an integer' : 'a number';
  if (min > -Infinity && max < Infinity) {
    return `${kind} in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`;
  }
  if (min > -Infinity) return `${kind} ${minExclusive ? '>' : '>='} ${min}`;
  if (max < Infinity) return `${kind} ${maxExclusive ? '<' : '<='} ${max}`;
  return `a finite ${integer ? 'integer' : 'number'}`;
}

/** Short printable form of a bad value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null) return 'null';
  return typeof value;
}
