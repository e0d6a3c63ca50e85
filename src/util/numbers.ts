/**
 * Range checks for numbers read from files: kioku computes in float32, so a value beyond
 * ±3.4028235e38 would silently become ±Infinity and surface much later as "x contains
 * -Infinity at flat index 4". Readers call these at the point of reading instead, so the
 * message names the file, the line/position and the value.
 *
 * ```ts
 * readDecimal('1073', 'a01.xml: line 5: <Point> x');  // 1073
 * readDecimal('0x10', 'a01.xml: line 5: <Point> x');  // KiokuError: ... "0x10" is not a decimal number
 * checkFloat32(1e39, 'x.json: drawing 0 row 3');       // KiokuError: ... 1e+39 is outside the float32 range
 * ```
 */
import { KiokuError } from './errors.js';

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Refuse a value that is not finite or lies outside the float32 range; returns it. */
export function checkFloat32(value: number, where: string): number {
  if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
    throw new KiokuError(
      `${where}: value ${value} is outside the float32 range (±${FLOAT32_MAX.toPrecision(8)})`,
    );
  }
  return value;
}

/**
 * Read a plain decimal number (`12`, `-0.5`, `1e-3`), refusing hexadecimal, octal and
 * binary literals, `Infinity`, `NaN`, empty text and values outside float32.
 */
export function readDecimal(text: string, where: string): number {
  if (!DECIMAL.test(text)) throw new KiokuError(`${where}: ${JSON.stringify(text)} is not a decimal number`);
  return checkFloat32(Number(text), where);
}
