/**
 * Conversions between float32 and the two 16-bit float formats found in safetensors files.
 * kioku computes in float32/float64, so half-precision weights are widened on load; shipped
 * models may be stored as IEEE half (`encodeSafetensors(…, { float16: true })`), which
 * halves their size, so float32 → half rounding lives here too.
 *
 * ```ts
 * halfToFloat(0x3c00); // 1
 * halfToFloat(0x7bff); // 65504 (largest finite f16)
 * floatToHalf(1 / 3); // 0x3555 (0.333251953125, the nearest half)
 * floatToHalf(65520); // 0x7c00 (+Infinity: beyond the largest half after rounding)
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

/**
 * float32 bits (as a uint32) → IEEE 754 binary16 bits, rounding to nearest, ties to even —
 * the rounding of IEEE 754 §4.3.1, numpy's `astype(np.float16)` and PyTorch's `.half()`.
 * Values of magnitude ≥ 65520 (halfway between the largest half, 65504, and 2^16) become
 * ±Infinity; values below 2^-14 become subnormal halves (steps of 2^-24), and those of
 * magnitude ≤ 2^-25 (half the smallest subnormal; the tie goes to the even 0) become ±0.
 * NaN stays NaN, with the sign and the top 10 bits of its payload (the quiet bit among
 * them), as numpy keeps them; a payload whose top bits are all zero becomes 1 so that the
 * result is never mistaken for Infinity. Integer operations only: exact on every input.
 *
 * ```ts
 * float32BitsToHalf(0x3f800000); // 0x3c00 (1)
 * float32BitsToHalf(0x3f801000); // 0x3c00: 1 + 2^-11 is a tie between 1 and 1 + 2^-10; even wins
 * ```
 */
export function float32BitsToHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff; // biased by 127
  const mantissa = bits & 0x7fffff; // 23 bits
  if (exponent === 0xff) {
    if (mantissa === 0) return sign | 0x7c00; // ±Infinity
    return sign | 0x7c00 | (mantissa >>> 13 || 1); // NaN: keep the payload's top bits, never 0
  }
  const e = exponent - 127; // |x| = 1.mantissa · 2^e (for normal float32)
  if (e >= 16) return sign | 0x7c00; // ≥ 2^16: overflow
  if (e >= -14) {
    // A normal half: keep the top 10 mantissa bits, then round on the 13 dropped ones. A
    // carry out of the mantissa moves into the exponent, which is exactly right (1.11…1 →
    // 10.0), and past exponent 30 it gives 0x7c00, Infinity (65520 … 65535.99).
    let half = ((e + 15) << 10) | (mantissa >>> 13);
    const dropped = mantissa & 0x1fff;
    if (dropped > 0x1000 || (dropped === 0x1000 && half & 1)) half++;
    return sign | half;
  }
  if (e < -25) return sign; // below 2^-25 (float32 subnormals and zeros included): ±0
  // A subnormal half counts units of 2^-24: |x| / 2^-24 = (1.mantissa · 2^23) · 2^(e+1), so
  // shift the 24-bit significand right by −(e+1) (14 … 24 places) and round on what falls off.
  const significand = mantissa | 0x800000;
  const shift = -(e + 1);
  let half = significand >>> shift;
  const dropped = significand & ((1 << shift) - 1);
  const tie = 1 << (shift - 1);
  if (dropped > tie || (dropped === tie && half & 1)) half++; // 0x3ff + 1 = 0x400, the smallest normal
  return sign | half;
}

const f32Scratch = new Float32Array(1);
const f32Bits = new Uint32Array(f32Scratch.buffer);

/**
 * number → IEEE 754 binary16 bits: the number is first rounded to float32 (as a
 * `Float32Array` would store it), then to half by `float32BitsToHalf`. kioku stores float32
 * weights, so this is the single rounding float32 → half; for a float64 value the two
 * roundings can differ from one direct rounding in rare ties, so kioku refuses to store
 * float64 tensors as half.
 */
export function floatToHalf(x: number): number {
  f32Scratch[0] = x;
  return float32BitsToHalf(f32Bits[0]);
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
