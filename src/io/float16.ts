/**
 * Conversions from the two 16-bit float formats found in safetensors files to float32.
 * kioku computes in float32/float64, so half-precision weights are widened on load.
 *
 * ```ts
 * halfToFloat(0x3c00); // 1
 * halfToFloat(0x7bff); // 65504 (largest finite f16)
 * bfloat16ToFloat(0x3f80); // 1
 * ```
 */

/**
 * IEEE 754 binary16 bits (sign 1, exponent 5, mantissa 10, bias 15) → number.
 * Exact: every f16 value is representable in float32. Subnormals, ±0, ±Inf and NaN kept.
 */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero or subnormal: m · 2^(1−15−10)
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const bf16Scratch = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16Scratch.buffer);

/**
 * bfloat16 bits → number. bfloat16 is the upper half of a float32 (sign 1, exponent 8,
 * mantissa 7), so widening is a 16-bit shift; exact, NaN payloads included.
 */
export function bfloat16ToFloat(bits: number): number {
  bf16Bits[0] = (bits & 0xffff) << 16;
  return bf16Scratch[0];
}
