// Fused optimizer updates and the global-norm reduction over flat parameter buffers: one
// pass over memory per step, the same formulas as src/optim (PyTorch's), in float32 lanes.

// @ts-ignore: decorator
@inline function ld(p: usize, vec: bool): v128 { return vec ? v128.load(p) : f32x4.splat(load<f32>(p)); }
// @ts-ignore: decorator
@inline function st(p: usize, v: v128, vec: bool): void {
  if (vec) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}

// @ts-ignore: decorator
@inline function adamLanes(
  vec: bool, w: usize, g: usize, m: usize, v: usize, vmax: usize,
  b1: v128, c1: v128, b2: v128, c2: v128, l2: v128, shrink: v128, stepSize: v128, bc2: v128, eps: v128,
  decoupled: bool, hasL2: bool,
): void {
  let wi = ld(w, vec);
  if (decoupled) wi = f32x4.mul(wi, shrink);
  const d = hasL2 ? f32x4.add(ld(g, vec), f32x4.mul(l2, wi)) : ld(g, vec);
  const mi = f32x4.add(f32x4.mul(b1, ld(m, vec)), f32x4.mul(c1, d));
  let vi = f32x4.add(f32x4.mul(b2, ld(v, vec)), f32x4.mul(c2, f32x4.mul(d, d)));
  st(m, mi, vec);
  st(v, vi, vec);
  if (vmax != 0) {
    vi = f32x4.max(ld(vmax, vec), vi);
    st(vmax, vi, vec);
  }
  const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), bc2), eps);
  st(w, f32x4.sub(wi, f32x4.mul(stepSize, f32x4.div(mi, denom))), vec);
}

/** Adam / AdamW (decoupled) / AMSGrad (vmax ≠ 0) over n elements; see src/optim/adam.ts. */
export function adam(
  w: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  beta1: f32, beta2: f32, eps: f32, weightDecay: f32, decoupled: bool, lr: f32, stepSize: f32, bc2Sqrt: f32,
): void {
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(1 - beta2);
  const l2 = f32x4.splat(decoupled ? 0 : weightDecay);
  const hasL2 = !decoupled && weightDecay != 0;
  const shrink = f32x4.splat(1 - lr * weightDecay);
  const ss = f32x4.splat(stepSize), bc2 = f32x4.splat(bc2Sqrt), e = f32x4.splat(eps);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>(i * 4);
    adamLanes(true, w + o, g + o, m + o, v + o, vmax != 0 ? vmax + o : 0, b1, c1, b2, c2, l2, shrink, ss, bc2, e, decoupled, hasL2);
  }
  for (; i < n; i++) {
    const o = <usize>(i * 4);
    adamLanes(false, w + o, g + o, m + o, v + o, vmax != 0 ? vmax + o : 0, b1, c1, b2, c2, l2, shrink, ss, bc2, e, decoupled, hasL2);
  }
}

// @ts-ignore: decorator
@inline function sgdLanes(
  vec: bool, w: usize, g: usize, buf: usize, lr: v128, mom: v128, damp: v128, wd: v128,
  hasWd: bool, hasMom: bool, nesterov: bool, firstStep: bool,
): void {
  const wi = ld(w, vec);
  let d = ld(g, vec);
  if (hasWd) d = f32x4.add(d, f32x4.mul(wd, wi));
  if (hasMom) {
    const b = firstStep ? d : f32x4.add(f32x4.mul(mom, ld(buf, vec)), f32x4.mul(damp, d));
    st(buf, b, vec);
    d = nesterov ? f32x4.add(d, f32x4.mul(mom, b)) : b;
  }
  st(w, f32x4.sub(wi, f32x4.mul(lr, d)), vec);
}

/** SGD with momentum / dampening / Nesterov / weight decay; see src/optim/sgd.ts. */
export function sgd(
  w: usize, g: usize, buf: usize, n: i32, lr: f32, momentum: f32, dampening: f32, nesterov: bool,
  weightDecay: f32, firstStep: bool,
): void {
  const vlr = f32x4.splat(lr), mom = f32x4.splat(momentum), damp = f32x4.splat(1 - dampening);
  const wd = f32x4.splat(weightDecay);
  const hasWd = weightDecay != 0, hasMom = momentum != 0;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>(i * 4);
    sgdLanes(true, w + o, g + o, buf + o, vlr, mom, damp, wd, hasWd, hasMom, nesterov, firstStep);
  }
  for (; i < n; i++) {
    const o = <usize>(i * 4);
    sgdLanes(false, w + o, g + o, buf + o, vlr, mom, damp, wd, hasWd, hasMom, nesterov, firstStep);
  }
}

// @ts-ignore: decorator
@inline function rmspropLanes(
  vec: bool, w: usize, g: usize, sq: usize, ga: usize, mb: usize, lr: v128, alpha: v128, ca: v128,
  eps: v128, wd: v128, mom: v128, hasWd: bool, centered: bool, hasMom: bool,
): void {
  const wi = ld(w, vec);
  let d = ld(g, vec);
  if (hasWd) d = f32x4.add(d, f32x4.mul(wd, wi));
  const v = f32x4.add(f32x4.mul(alpha, ld(sq, vec)), f32x4.mul(ca, f32x4.mul(d, d)));
  st(sq, v, vec);
  let avg: v128;
  if (centered) {
    const m = f32x4.add(f32x4.mul(alpha, ld(ga, vec)), f32x4.mul(ca, d));
    st(ga, m, vec);
    avg = f32x4.add(f32x4.sqrt(f32x4.sub(v, f32x4.mul(m, m))), eps);
  } else {
    avg = f32x4.add(f32x4.sqrt(v), eps);
  }
  if (hasMom) {
    const b = f32x4.add(f32x4.mul(mom, ld(mb, vec)), f32x4.div(d, avg));
    st(mb, b, vec);
    st(w, f32x4.sub(wi, f32x4.mul(lr, b)), vec);
  } else {
    st(w, f32x4.sub(wi, f32x4.mul(lr, f32x4.div(d, avg))), vec);
  }
}

/** RMSprop (optionally centered, with momentum); see src/optim/rmsprop.ts. */
export function rmsprop(
  w: usize, g: usize, squareAvg: usize, gradAvg: usize, momentumBuffer: usize, n: i32,
  lr: f32, alpha: f32, eps: f32, weightDecay: f32, momentum: f32, centered: bool,
): void {
  const vlr = f32x4.splat(lr), va = f32x4.splat(alpha), ca = f32x4.splat(1 - alpha);
  const ve = f32x4.splat(eps), wd = f32x4.splat(weightDecay), mom = f32x4.splat(momentum);
  const hasWd = weightDecay != 0, hasMom = momentum > 0;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>(i * 4);
    rmspropLanes(true, w + o, g + o, squareAvg + o, gradAvg + o, momentumBuffer + o, vlr, va, ca, ve, wd, mom, hasWd, centered, hasMom);
  }
  for (; i < n; i++) {
    const o = <usize>(i * 4);
    rmspropLanes(false, w + o, g + o, squareAvg + o, gradAvg + o, momentumBuffer + o, vlr, va, ca, ve, wd, mom, hasWd, centered, hasMom);
  }
}

/** Σ x² over n floats, accumulated in float64 (global-norm clipping). */
export function sumSquares(x: usize, n: i32): f64 {
  let a = f64x2.splat(0), b = f64x2.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const v = v128.load(x + <usize>(i * 4));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    a = f64x2.add(a, f64x2.mul(lo, lo));
    b = f64x2.add(b, f64x2.mul(hi, hi));
  }
  const s = f64x2.add(a, b);
  let sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + <usize>(i * 4));
    sum += v * v;
  }
  return sum;
}

/** x ·= s over n floats (the rescale of global-norm clipping). */
export function scale(x: usize, n: i32, s: f32): void {
  const vs = f32x4.splat(s);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const p = x + <usize>(i * 4);
    v128.store(p, f32x4.mul(v128.load(p), vs));
  }
  for (; i < n; i++) {
    const p = x + <usize>(i * 4);
    store<f32>(p, load<f32>(p) * s);
  }
}
