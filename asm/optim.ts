// Fused optimizer updates and the global-norm reduction over flat float32 parameter buffers:
// one pass over memory per step, the formulas of src/optim (PyTorch's).
//
// Arithmetic is float64, two elements per f64x2 vector, in exactly the order of the JS loops
// in src/optim (which compute in double precision and round on every store), and never
// fused (no FMA in either build): every float32 written here is bit-identical to what the
// JS loop writes, so switching between the fused kernels and the JS path changes nothing.

// Two consecutive float32s at p as an f64x2, and back (rounded to nearest on the way out).
// @ts-ignore: decorator
@inline function ld2(p: usize): v128 { return f64x2.promote_low_f32x4(v128.load64_zero(p)); }
// @ts-ignore: decorator
@inline function st2(p: usize, v: v128): void { v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0); }
// One float32 at p as an f64x2 (lane 0 is used), and back.
// @ts-ignore: decorator
@inline function ld1(p: usize): v128 { return f64x2.splat(<f64>load<f32>(p)); }
// @ts-ignore: decorator
@inline function st1(p: usize, v: v128): void { store<f32>(p, <f32>f64x2.extract_lane(v, 0)); }
// @ts-ignore: decorator
@inline function ld(p: usize, pair: bool): v128 { return pair ? ld2(p) : ld1(p); }
// @ts-ignore: decorator
@inline function st(p: usize, v: v128, pair: bool): void { if (pair) st2(p, v); else st1(p, v); }

// @ts-ignore: decorator
@inline function adamLanes(
  pair: bool, w: usize, g: usize, m: usize, v: usize, vmax: usize,
  b1: v128, c1: v128, b2: v128, c2: v128, l2: v128, shrink: v128, stepSize: v128, bc2: v128, eps: v128,
  decoupled: bool, hasL2: bool,
): void {
  let wi = ld(w, pair);
  if (decoupled) wi = f64x2.mul(wi, shrink);
  const d = hasL2 ? f64x2.add(ld(g, pair), f64x2.mul(l2, wi)) : ld(g, pair);
  const mi = f64x2.add(f64x2.mul(b1, ld(m, pair)), f64x2.mul(c1, d));
  // (1 − β₂)·d·d, left to right as in the JS loop
  let vi = f64x2.add(f64x2.mul(b2, ld(v, pair)), f64x2.mul(f64x2.mul(c2, d), d));
  st(m, mi, pair);
  st(v, vi, pair);
  if (vmax != 0) {
    vi = f64x2.max(ld(vmax, pair), vi);
    st(vmax, vi, pair);
  }
  const denom = f64x2.add(f64x2.div(f64x2.sqrt(vi), bc2), eps);
  st(w, f64x2.sub(wi, f64x2.mul(stepSize, f64x2.div(mi, denom))), pair);
}

/** Adam / AdamW (decoupled) / AMSGrad (vmax ≠ 0) over n elements; see src/optim/adam.ts. */
export function adam(
  w: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  beta1: f64, beta2: f64, eps: f64, weightDecay: f64, decoupled: bool, lr: f64, stepSize: f64, bc2Sqrt: f64,
): void {
  const b1 = f64x2.splat(beta1), c1 = f64x2.splat(1 - beta1);
  const b2 = f64x2.splat(beta2), c2 = f64x2.splat(1 - beta2);
  const l2 = f64x2.splat(decoupled ? 0 : weightDecay);
  const hasL2 = !decoupled && weightDecay != 0;
  const shrink = f64x2.splat(1 - lr * weightDecay);
  const ss = f64x2.splat(stepSize), bc2 = f64x2.splat(bc2Sqrt), e = f64x2.splat(eps);
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const o = <usize>(i * 4);
    adamLanes(true, w + o, g + o, m + o, v + o, vmax != 0 ? vmax + o : 0, b1, c1, b2, c2, l2, shrink, ss, bc2, e, decoupled, hasL2);
  }
  if (i < n) {
    const o = <usize>(i * 4);
    adamLanes(false, w + o, g + o, m + o, v + o, vmax != 0 ? vmax + o : 0, b1, c1, b2, c2, l2, shrink, ss, bc2, e, decoupled, hasL2);
  }
}

// @ts-ignore: decorator
@inline function sgdLanes(
  pair: bool, w: usize, g: usize, buf: usize, lr: v128, mom: v128, damp: v128, wd: v128,
  hasWd: bool, hasMom: bool, nesterov: bool, firstStep: bool,
): void {
  const wi = ld(w, pair);
  let d = ld(g, pair);
  if (hasWd) d = f64x2.add(d, f64x2.mul(wd, wi));
  if (hasMom) {
    const b = firstStep ? d : f64x2.add(f64x2.mul(mom, ld(buf, pair)), f64x2.mul(damp, d));
    st(buf, b, pair);
    d = nesterov ? f64x2.add(d, f64x2.mul(mom, b)) : b;
  }
  st(w, f64x2.sub(wi, f64x2.mul(lr, d)), pair);
}

/** SGD with momentum / dampening / Nesterov / weight decay; see src/optim/sgd.ts. */
export function sgd(
  w: usize, g: usize, buf: usize, n: i32, lr: f64, momentum: f64, dampening: f64, nesterov: bool,
  weightDecay: f64, firstStep: bool,
): void {
  const vlr = f64x2.splat(lr), mom = f64x2.splat(momentum), damp = f64x2.splat(1 - dampening);
  const wd = f64x2.splat(weightDecay);
  const hasWd = weightDecay != 0, hasMom = momentum != 0;
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const o = <usize>(i * 4);
    sgdLanes(true, w + o, g + o, buf + o, vlr, mom, damp, wd, hasWd, hasMom, nesterov, firstStep);
  }
  if (i < n) {
    const o = <usize>(i * 4);
    sgdLanes(false, w + o, g + o, buf + o, vlr, mom, damp, wd, hasWd, hasMom, nesterov, firstStep);
  }
}

// @ts-ignore: decorator
@inline function rmspropLanes(
  pair: bool, w: usize, g: usize, sq: usize, ga: usize, mb: usize, lr: v128, alpha: v128, ca: v128,
  eps: v128, wd: v128, mom: v128, hasWd: bool, centered: bool, hasMom: bool,
): void {
  const wi = ld(w, pair);
  let d = ld(g, pair);
  if (hasWd) d = f64x2.add(d, f64x2.mul(wd, wi));
  const v = f64x2.add(f64x2.mul(alpha, ld(sq, pair)), f64x2.mul(f64x2.mul(ca, d), d));
  st(sq, v, pair);
  let avg: v128;
  if (centered) {
    const m = f64x2.add(f64x2.mul(alpha, ld(ga, pair)), f64x2.mul(ca, d));
    st(ga, m, pair);
    avg = f64x2.add(f64x2.sqrt(f64x2.sub(v, f64x2.mul(m, m))), eps);
  } else {
    avg = f64x2.add(f64x2.sqrt(v), eps);
  }
  if (hasMom) {
    const b = f64x2.add(f64x2.mul(mom, ld(mb, pair)), f64x2.div(d, avg));
    st(mb, b, pair);
    st(w, f64x2.sub(wi, f64x2.mul(lr, b)), pair);
  } else {
    st(w, f64x2.sub(wi, f64x2.mul(lr, f64x2.div(d, avg))), pair);
  }
}

/** RMSprop (optionally centered, with momentum); see src/optim/rmsprop.ts. */
export function rmsprop(
  w: usize, g: usize, squareAvg: usize, gradAvg: usize, momentumBuffer: usize, n: i32,
  lr: f64, alpha: f64, eps: f64, weightDecay: f64, momentum: f64, centered: bool,
): void {
  const vlr = f64x2.splat(lr), va = f64x2.splat(alpha), ca = f64x2.splat(1 - alpha);
  const ve = f64x2.splat(eps), wd = f64x2.splat(weightDecay), mom = f64x2.splat(momentum);
  const hasWd = weightDecay != 0, hasMom = momentum > 0;
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const o = <usize>(i * 4);
    rmspropLanes(true, w + o, g + o, squareAvg + o, gradAvg + o, momentumBuffer + o, vlr, va, ca, ve, wd, mom, hasWd, centered, hasMom);
  }
  if (i < n) {
    const o = <usize>(i * 4);
    rmspropLanes(false, w + o, g + o, squareAvg + o, gradAvg + o, momentumBuffer + o, vlr, va, ca, ve, wd, mom, hasWd, centered, hasMom);
  }
}

/**
 * acc + Σ x² over n floats, accumulated in float64 one element after the other (the order
 * of `globalNorm`'s JS loop, so the norm — and whether clipping triggers — is identical).
 */
export function sumSquares(x: usize, n: i32, acc: f64): f64 {
  let sum = acc;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + <usize>(i * 4));
    sum += v * v;
  }
  return sum;
}

/** x ← x·s over n floats, the product taken in float64 and rounded (clipping's rescale). */
export function scale(x: usize, n: i32, s: f64): void {
  const vs = f64x2.splat(s);
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const p = x + <usize>(i * 4);
    st2(p, f64x2.mul(ld2(p), vs));
  }
  if (i < n) {
    const p = x + <usize>(i * 4);
    store<f32>(p, <f32>(<f64>load<f32>(p) * s));
  }
}
