// Softmax cross-entropy over N rows of V logits, fused with its gradient:
//   loss_n = w_n · (log Σ_v e^{l_v} − l_target),   ∂/∂l = scale · w_n · (softmax(l) − onehot).
import { hsum, vexp } from './simd';

/**
 * Writes [lossSum, weightSum] as two f64 at `result`. `targets` are i32, `weights` f32 or 0
 * (all ones), `dlogits` f32 or 0 (loss only). Rows whose target is `ignoreIndex` or whose
 * weight is 0 are skipped (their gradient row is zeroed).
 */
export function softmaxXent(
  N: i32, V: i32, logits: usize, targets: usize, ignoreIndex: i32, weights: usize, dlogits: usize, scale: f64,
  result: usize,
): void {
  let lossSum: f64 = 0;
  let weightSum: f64 = 0;
  const V4 = V & ~3;
  const Vb = <usize>(V * 4);
  for (let n = 0; n < N; n++) {
    const row = logits + <usize>n * Vb;
    const drow = dlogits + <usize>n * Vb;
    const t = load<i32>(targets + <usize>(n * 4));
    const w: f64 = weights != 0 ? <f64>load<f32>(weights + <usize>(n * 4)) : 1;
    if (t == ignoreIndex || w == 0) {
      if (dlogits != 0) memory.fill(drow, 0, Vb);
      continue;
    }
    // Max first, so e^{l − m} cannot overflow.
    let vm = f32x4.splat(-Infinity);
    let v = 0;
    for (; v < V4; v += 4) vm = f32x4.max(vm, v128.load(row + <usize>(v * 4)));
    let m = max(max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
    for (; v < V; v++) m = max(m, load<f32>(row + <usize>(v * 4)));
    const vmax = f32x4.splat(m);
    let vz = f32x4.splat(0);
    v = 0;
    for (; v < V4; v += 4) vz = f32x4.add(vz, vexp(f32x4.sub(v128.load(row + <usize>(v * 4)), vmax)));
    let z: f64 = <f64>hsum(vz);
    for (; v < V; v++) z += <f64>f32x4.extract_lane(vexp(f32x4.splat(load<f32>(row + <usize>(v * 4)) - m)), 0);
    const logZ: f64 = <f64>m + Math.log(z);
    lossSum += w * (logZ - <f64>load<f32>(row + <usize>(t * 4)));
    weightSum += w;
    if (dlogits != 0) {
      const k = <f32>(scale * w);
      const vk = f32x4.splat(k);
      const vl = f32x4.splat(<f32>logZ);
      v = 0;
      for (; v < V4; v += 4) {
        const o = <usize>(v * 4);
        v128.store(drow + o, f32x4.mul(vk, vexp(f32x4.sub(v128.load(row + o), vl))));
      }
      for (; v < V; v++) {
        const o = <usize>(v * 4);
        store<f32>(drow + o, k * f32x4.extract_lane(vexp(f32x4.splat(load<f32>(row + o) - <f32>logZ)), 0));
      }
      const p = drow + <usize>(t * 4);
      store<f32>(p, load<f32>(p) - k);
    }
  }
  store<f64>(result, lossSum);
  store<f64>(result, weightSum, 8);
}
