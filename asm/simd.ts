// Shared SIMD helpers for the kernels. Everything here is `@inline`, so the two builds
// (SIMD128 and relaxed-SIMD) differ only in what `fma` compiles to.

/**
 * a·b + c. With relaxed SIMD this is one fused multiply-add where the CPU has it (one
 * rounding); the plain SIMD128 build multiplies and adds (two roundings). Both are within
 * float32 rounding of the reference; the relaxed build is used only where
 * `WebAssembly.validate` accepts it.
 */
// @ts-ignore: decorator
@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Sum of the four lanes in a fixed order, (l0 + l2) + (l1 + l3), shared by every dot path. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const t = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1);
}

/**
 * Lane sums of four vectors at once: returns [Σa, Σb, Σc, Σd], each summed as
 * (l0 + l2) + (l1 + l3) — bit-identical to `hsum` on each vector, so a dot product gives
 * the same float whichever path (4-wide or tail) computed it.
 */
// @ts-ignore: decorator
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  // [a0+a2, b0+b2, a1+a3, b1+b3]
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  // [ab0+ab2, ab1+ab3, cd0+cd2, cd1+cd3] = [(a0+a2)+(a1+a3), ...]
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

// ---- fast transcendental functions (Cephes single-precision polynomials, vectorised) ----

const LOG2E: f32 = 1.44269504088896341;
// ln 2 split in two (Cody & Waite) so n·ln2 is subtracted without losing bits.
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

/**
 * e^x for each lane, relative error ≈ 2e-7 (Cephes `expf`): x = n·ln2 + r with |r| ≤ ln2/2,
 * e^r by a degree-6 polynomial, 2^n built in the exponent bits. x is clamped to
 * [−87.3, 88.3], so the result stays a normal float (callers only need sigmoid/tanh, which
 * saturate long before that).
 */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = fma(p, r, f32x4.splat(1.3981999507e-3));
  p = fma(p, r, f32x4.splat(8.3334519073e-3));
  p = fma(p, r, f32x4.splat(4.1665795894e-2));
  p = fma(p, r, f32x4.splat(1.6666665459e-1));
  p = fma(p, r, f32x4.splat(5.0000001201e-1));
  p = fma(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  // 2^n: n + 127 in the exponent field.
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, e);
}

/** σ(x) = 1 / (1 + e^−x); relative error ≈ 3e-7. */
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

/**
 * tanh(x) (Cephes `tanhf`): an odd polynomial for |x| < 0.625, where 1 − 2/(e^{2x}+1)
 * would lose relative accuracy to cancellation, and 1 − 2/(e^{2|x|}+1) with the sign put
 * back elsewhere. Both branches are computed and the right one selected per lane.
 */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  // Large |x|: 1 − 2/(e^{2|x|} + 1), sign restored by copying x's sign bit.
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(vexp(f32x4.add(ax, ax)), one)));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  // Small |x|: x + x·z·P(z), z = x².
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = fma(p, z, f32x4.splat(2.06390887954e-2));
  p = fma(p, z, f32x4.splat(-5.37397155531e-2));
  p = fma(p, z, f32x4.splat(1.33314422036e-1));
  p = fma(p, z, f32x4.splat(-3.33332819422e-1));
  const small = fma(f32x4.mul(p, z), x, x);
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
}

/**
 * ln x for each lane of positive normal floats (Cephes `logf`), absolute error ≈ 1e-7 near 1
 * and relative ≈ 2e-7 elsewhere: x = m·2^e with m in [√½, √2), ln(1 + f) for f = m − 1 by
 * a degree-9 polynomial, e·ln 2 added in two parts (Cody & Waite).
 */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  // Exponent and mantissa: m in [0.5, 1) from the bits, then moved to [√½, √2).
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126)));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  const small = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  e = f32x4.sub(e, v128.and(small, f32x4.splat(1)));
  m = f32x4.sub(f32x4.add(m, v128.and(small, m)), f32x4.splat(1));
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(7.0376836292e-2);
  y = fma(y, m, f32x4.splat(-1.1514610310e-1));
  y = fma(y, m, f32x4.splat(1.1676998740e-1));
  y = fma(y, m, f32x4.splat(-1.2420140846e-1));
  y = fma(y, m, f32x4.splat(1.4249322787e-1));
  y = fma(y, m, f32x4.splat(-1.6668057665e-1));
  y = fma(y, m, f32x4.splat(2.0000714765e-1));
  y = fma(y, m, f32x4.splat(-2.4999993993e-1));
  y = fma(y, m, f32x4.splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = fma(e, f32x4.splat(LN2_LO), y);
  y = fma(z, f32x4.splat(-0.5), y);
  return fma(e, f32x4.splat(LN2_HI), f32x4.add(m, y));
}
