/**
 * Errors that kioku raises on bad input. Every message names the offending thing and says
 * what was expected and what was got, so a user can fix the call without reading our code.
 */
export class KiokuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KiokuError';
  }
}

/** Format a shape the way PyTorch does in its messages: `[5, 3, 8]`. */
export function shapeToString(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throw `KiokuError` unless `cond` holds. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new KiokuError(typeof message === 'string' ? message : message());
}

/** Refuse a number option that is not a finite number in [min, max] (integers when `integer`). */
export function checkNumber(
  where: string,
  name: string,
  value: unknown,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const { min = -Infinity, max = Infinity, integer = false } = opts;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    const range =
      min > -Infinity && max < Infinity
        ? ` in [${min}, ${max}]`
        : min > -Infinity
          ? ` >= ${min}`
          : max < Infinity
            ? ` <= ${max}`
            : '';
    throw new KiokuError(`${where}: ${name} must be ${kind}${range}, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

/**
 * Run `fn`; a `KiokuError` it throws is re-thrown with `where: ` in front, so a check deep
 * inside a constructor still names the file it came from. Other errors pass unchanged.
 *
 * ```ts
 * const model = inContext('runs/x/model.safetensors', () => new CharLM(config));
 * ```
 */
export function inContext<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KiokuError && !e.message.startsWith(`${where}: `))
      throw new KiokuError(`${where}: ${e.message}`);
    throw e;
  }
}
