// Fused per-step pointwise kernels of the recurrent cells: one pass over [B, G·H] per step,
// forward storing the activations backward needs, backward fused likewise. The equations
// are those documented on the Backend interface (src/tensor/backend.ts) and written out in
// src/tensor/reference.ts; σ' = y(1−y) and tanh' = 1−y² use the stored outputs.
//
// Vectors of 4 run over j = 0..H−1; when H is not a multiple of 4 the last lanes go through
// the same vector math one lane at a time (`lane`), so no row reads past its end.
import { fma, vsigmoid, vtanh } from './simd';

// @ts-ignore: decorator
@inline function ld(p: usize): v128 { return v128.load(p); }
// @ts-ignore: decorator
@inline function st(p: usize, v: v128): void { v128.store(p, v); }
// @ts-ignore: decorator
@inline function ld1(p: usize): v128 { return f32x4.splat(load<f32>(p)); }
// @ts-ignore: decorator
@inline function st1(p: usize, v: v128): void { store<f32>(p, f32x4.extract_lane(v, 0)); }
// @ts-ignore: decorator
@inline function one(): v128 { return f32x4.splat(1); }
// @ts-ignore: decorator
@inline function mul(a: v128, b: v128): v128 { return f32x4.mul(a, b); }
// @ts-ignore: decorator
@inline function add(a: v128, b: v128): v128 { return f32x4.add(a, b); }
// @ts-ignore: decorator
@inline function sub(a: v128, b: v128): v128 { return f32x4.sub(a, b); }
/** y(1 − y): σ'(x) from σ's output. */
// @ts-ignore: decorator
@inline function dsig(y: v128): v128 { return mul(y, sub(one(), y)); }
/** 1 − y²: tanh'(x) from tanh's output. */
// @ts-ignore: decorator
@inline function dtanh(y: v128): v128 { return sub(one(), mul(y, y)); }

function isMasked(mask: usize, b: i32): bool {
  return mask != 0 && load<u8>(mask + <usize>b) == 0;
}

// ---------------------------------------------------------------- LSTM

// @ts-ignore: decorator
@inline function lstmFwdLanes(
  vec: bool, g: usize, H4: usize, cp: usize, c: usize, h: usize, peep: usize, pj: usize,
): void {
  // g → this lane group's i; f, g, o follow at +H, +2H, +3H (H4 = H in bytes).
  const cprev = vec ? ld(cp) : ld1(cp);
  let ai = vec ? ld(g) : ld1(g);
  let af = vec ? ld(g + H4) : ld1(g + H4);
  const ag = vec ? ld(g + 2 * H4) : ld1(g + 2 * H4);
  let ao = vec ? ld(g + 3 * H4) : ld1(g + 3 * H4);
  if (peep != 0) {
    ai = fma(vec ? ld(peep + pj) : ld1(peep + pj), cprev, ai);
    af = fma(vec ? ld(peep + H4 + pj) : ld1(peep + H4 + pj), cprev, af);
  }
  const ig = vsigmoid(ai);
  const fg = vsigmoid(af);
  const gg = vtanh(ag);
  const ct = fma(fg, cprev, mul(ig, gg));
  if (peep != 0) ao = fma(vec ? ld(peep + 2 * H4 + pj) : ld1(peep + 2 * H4 + pj), ct, ao);
  const og = vsigmoid(ao);
  const ht = mul(og, vtanh(ct));
  if (vec) {
    st(g, ig); st(g + H4, fg); st(g + 2 * H4, gg); st(g + 3 * H4, og); st(c, ct); st(h, ht);
  } else {
    st1(g, ig); st1(g + H4, fg); st1(g + 2 * H4, gg); st1(g + 3 * H4, og); st1(c, ct); st1(h, ht);
  }
}

export function lstmForward(
  B: i32, H: i32, gates: usize, cPrev: usize, hPrev: usize, c: usize, h: usize, peep: usize, mask: usize,
): void {
  const Hb = <usize>(H * 4);
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const g0 = gates + <usize>b * 4 * Hb;
    const s = <usize>b * Hb;
    if (isMasked(mask, b)) {
      memory.copy(c + s, cPrev + s, Hb);
      memory.copy(h + s, hPrev + s, Hb);
      memory.fill(g0, 0, 4 * Hb);
      continue;
    }
    let j = 0;
    for (; j < H4; j += 4) {
      const o = <usize>(j * 4);
      lstmFwdLanes(true, g0 + o, Hb, cPrev + s + o, c + s + o, h + s + o, peep, o);
    }
    for (; j < H; j++) {
      const o = <usize>(j * 4);
      lstmFwdLanes(false, g0 + o, Hb, cPrev + s + o, c + s + o, h + s + o, peep, o);
    }
  }
}

// @ts-ignore: decorator
@inline function lstmBwdLanes(
  vec: bool, g: usize, dg: usize, H4: usize, cp: usize, cc: usize, dh: usize, dc: usize, dhp: usize,
  peep: usize, dpeep: usize, pj: usize,
): void {
  const ig = vec ? ld(g) : ld1(g);
  const fg = vec ? ld(g + H4) : ld1(g + H4);
  const gg = vec ? ld(g + 2 * H4) : ld1(g + 2 * H4);
  const og = vec ? ld(g + 3 * H4) : ld1(g + 3 * H4);
  const cprev = vec ? ld(cp) : ld1(cp);
  const ct = vec ? ld(cc) : ld1(cc);
  const dht = vec ? ld(dh) : ld1(dh);
  const tc = vtanh(ct);
  // ∂a_o = dh ∘ tanh(c) ∘ o(1−o);  dc = dc_in + dh ∘ o ∘ (1 − tanh²c) [+ ∂a_o ∘ p_o]
  const dao = mul(mul(dht, tc), dsig(og));
  let dct = fma(mul(dht, og), dtanh(tc), vec ? ld(dc) : ld1(dc));
  if (peep != 0) dct = fma(dao, vec ? ld(peep + 2 * H4 + pj) : ld1(peep + 2 * H4 + pj), dct);
  const dai = mul(mul(dct, gg), dsig(ig));
  const dag = mul(mul(dct, ig), dtanh(gg));
  const daf = mul(mul(dct, cprev), dsig(fg));
  let dcp = mul(dct, fg);
  if (peep != 0) {
    dcp = fma(dai, vec ? ld(peep + pj) : ld1(peep + pj), dcp);
    dcp = fma(daf, vec ? ld(peep + H4 + pj) : ld1(peep + H4 + pj), dcp);
    if (dpeep != 0) {
      const p0 = dpeep + pj, p1 = dpeep + H4 + pj, p2 = dpeep + 2 * H4 + pj;
      if (vec) {
        st(p0, fma(dai, cprev, ld(p0))); st(p1, fma(daf, cprev, ld(p1))); st(p2, fma(dao, ct, ld(p2)));
      } else {
        st1(p0, fma(dai, cprev, ld1(p0))); st1(p1, fma(daf, cprev, ld1(p1))); st1(p2, fma(dao, ct, ld1(p2)));
      }
    }
  }
  if (vec) {
    st(dg, dai); st(dg + H4, daf); st(dg + 2 * H4, dag); st(dg + 3 * H4, dao);
    st(dc, dcp); st(dhp, f32x4.splat(0));
  } else {
    st1(dg, dai); st1(dg + H4, daf); st1(dg + 2 * H4, dag); st1(dg + 3 * H4, dao);
    st1(dc, dcp); store<f32>(dhp, 0);
  }
}

export function lstmBackward(
  B: i32, H: i32, gates: usize, cPrev: usize, c: usize, dh: usize, dc: usize, dgates: usize, dhPrev: usize,
  peep: usize, dpeep: usize, mask: usize,
): void {
  const Hb = <usize>(H * 4);
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const g0 = gates + <usize>b * 4 * Hb;
    const d0 = dgates + <usize>b * 4 * Hb;
    const s = <usize>b * Hb;
    if (isMasked(mask, b)) {
      // State was carried unchanged: dc passes through, dh goes to h_{t−1}.
      memory.copy(dhPrev + s, dh + s, Hb);
      memory.fill(d0, 0, 4 * Hb);
      continue;
    }
    let j = 0;
    for (; j < H4; j += 4) {
      const o = <usize>(j * 4);
      lstmBwdLanes(true, g0 + o, d0 + o, Hb, cPrev + s + o, c + s + o, dh + s + o, dc + s + o, dhPrev + s + o, peep, dpeep, o);
    }
    for (; j < H; j++) {
      const o = <usize>(j * 4);
      lstmBwdLanes(false, g0 + o, d0 + o, Hb, cPrev + s + o, c + s + o, dh + s + o, dc + s + o, dhPrev + s + o, peep, dpeep, o);
    }
  }
}

// ---------------------------------------------------------------- GRU

// @ts-ignore: decorator
@inline function gruFwdLanes(vec: bool, xg: usize, hg: usize, g: usize, H4: usize, hp: usize, h: usize): void {
  const r = vsigmoid(add(vec ? ld(xg) : ld1(xg), vec ? ld(hg) : ld1(hg)));
  const z = vsigmoid(add(vec ? ld(xg + H4) : ld1(xg + H4), vec ? ld(hg + H4) : ld1(hg + H4)));
  const n = vtanh(fma(r, vec ? ld(hg + 2 * H4) : ld1(hg + 2 * H4), vec ? ld(xg + 2 * H4) : ld1(xg + 2 * H4)));
  // h = (1 − z) ∘ n + z ∘ h_{t−1}
  const ht = fma(z, vec ? ld(hp) : ld1(hp), mul(sub(one(), z), n));
  if (vec) {
    st(g, r); st(g + H4, z); st(g + 2 * H4, n); st(h, ht);
  } else {
    st1(g, r); st1(g + H4, z); st1(g + 2 * H4, n); st1(h, ht);
  }
}

export function gruForward(B: i32, H: i32, xg: usize, hg: usize, gates: usize, hPrev: usize, h: usize, mask: usize): void {
  const Hb = <usize>(H * 4);
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const r3 = <usize>b * 3 * Hb;
    const s = <usize>b * Hb;
    if (isMasked(mask, b)) {
      memory.copy(h + s, hPrev + s, Hb);
      memory.fill(gates + r3, 0, 3 * Hb);
      continue;
    }
    let j = 0;
    for (; j < H4; j += 4) {
      const o = <usize>(j * 4);
      gruFwdLanes(true, xg + r3 + o, hg + r3 + o, gates + r3 + o, Hb, hPrev + s + o, h + s + o);
    }
    for (; j < H; j++) {
      const o = <usize>(j * 4);
      gruFwdLanes(false, xg + r3 + o, hg + r3 + o, gates + r3 + o, Hb, hPrev + s + o, h + s + o);
    }
  }
}

// @ts-ignore: decorator
@inline function gruBwdLanes(
  vec: bool, g: usize, hg: usize, H4: usize, hp: usize, dh: usize, dxg: usize, dhg: usize, dhp: usize,
): void {
  const r = vec ? ld(g) : ld1(g);
  const z = vec ? ld(g + H4) : ld1(g + H4);
  const n = vec ? ld(g + 2 * H4) : ld1(g + 2 * H4);
  const hprev = vec ? ld(hp) : ld1(hp);
  const dht = vec ? ld(dh) : ld1(dh);
  const dnPre = mul(mul(dht, sub(one(), z)), dtanh(n)); // dh ∘ (1 − z) ∘ (1 − n²)
  const dzPre = mul(mul(dht, sub(hprev, n)), dsig(z)); // dh ∘ (h_{t−1} − n) ∘ z(1 − z)
  const drPre = mul(mul(dnPre, vec ? ld(hg + 2 * H4) : ld1(hg + 2 * H4)), dsig(r)); // ∂n̂ ∘ hn ∘ r(1 − r)
  if (vec) {
    st(dxg, drPre); st(dxg + H4, dzPre); st(dxg + 2 * H4, dnPre);
    st(dhg, drPre); st(dhg + H4, dzPre); st(dhg + 2 * H4, mul(dnPre, r));
    st(dhp, mul(dht, z));
  } else {
    st1(dxg, drPre); st1(dxg + H4, dzPre); st1(dxg + 2 * H4, dnPre);
    st1(dhg, drPre); st1(dhg + H4, dzPre); st1(dhg + 2 * H4, mul(dnPre, r));
    st1(dhp, mul(dht, z));
  }
}

export function gruBackward(
  B: i32, H: i32, gates: usize, hg: usize, hPrev: usize, dh: usize, dxg: usize, dhg: usize, dhPrev: usize, mask: usize,
): void {
  const Hb = <usize>(H * 4);
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const r3 = <usize>b * 3 * Hb;
    const s = <usize>b * Hb;
    if (isMasked(mask, b)) {
      memory.copy(dhPrev + s, dh + s, Hb);
      memory.fill(dxg + r3, 0, 3 * Hb);
      memory.fill(dhg + r3, 0, 3 * Hb);
      continue;
    }
    let j = 0;
    for (; j < H4; j += 4) {
      const o = <usize>(j * 4);
      gruBwdLanes(true, gates + r3 + o, hg + r3 + o, Hb, hPrev + s + o, dh + s + o, dxg + r3 + o, dhg + r3 + o, dhPrev + s + o);
    }
    for (; j < H; j++) {
      const o = <usize>(j * 4);
      gruBwdLanes(false, gates + r3 + o, hg + r3 + o, Hb, hPrev + s + o, dh + s + o, dxg + r3 + o, dhg + r3 + o, dhPrev + s + o);
    }
  }
}

// ---------------------------------------------------------------- Elman RNN

export function rnnForward(B: i32, H: i32, relu: bool, pre: usize, hPrev: usize, h: usize, mask: usize): void {
  const Hb = <usize>(H * 4);
  const H4 = H & ~3;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const s = <usize>b * Hb;
    if (isMasked(mask, b)) {
      memory.copy(h + s, hPrev + s, Hb);
      continue;
    }
    let j = 0;
    for (; j < H4; j += 4) {
      const o = s + <usize>(j * 4);
      const x = ld(pre + o);
      st(h + o, relu ? f32x4.max(x, zero) : vtanh(x));
    }
    for (; j < H; j++) {
      const o = s + <usize>(j * 4);
      const x = ld1(pre + o);
      st1(h + o, relu ? f32x4.max(x, zero) : vtanh(x));
    }
  }
}

export function rnnBackward(B: i32, H: i32, relu: bool, h: usize, dh: usize, dpre: usize, dhPrev: usize, mask: usize): void {
  const Hb = <usize>(H * 4);
  const H4 = H & ~3;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const s = <usize>b * Hb;
    if (isMasked(mask, b)) {
      memory.fill(dpre + s, 0, Hb);
      memory.copy(dhPrev + s, dh + s, Hb);
      continue;
    }
    let j = 0;
    for (; j < H4; j += 4) {
      const o = s + <usize>(j * 4);
      const y = ld(h + o);
      const d = ld(dh + o);
      st(dpre + o, relu ? v128.and(d, f32x4.gt(y, zero)) : mul(d, dtanh(y)));
      st(dhPrev + o, zero);
    }
    for (; j < H; j++) {
      const o = s + <usize>(j * 4);
      const y = ld1(h + o);
      const d = ld1(dh + o);
      st1(dpre + o, relu ? v128.and(d, f32x4.gt(y, zero)) : mul(d, dtanh(y)));
      store<f32>(dhPrev + o, 0);
    }
  }
}
