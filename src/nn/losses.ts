import { getBackend } from '../tensor/current-backend.js';
import { allocFloat, type FloatArray, Tensor } from '../tensor/tensor.js';
import { check, KiokuError, shapeToString } from '../util/errors.js';

/** A loss value and its gradient with respect to the prediction. */
export interface LossResult {
  /** Mean loss over the counted elements. */
  loss: number;
  /** ∂loss/∂input, same shape as the input. */
  grad: Tensor;
  /** How many elements (rows) were counted in the mean. */
  count: number;
}

export interface CrossEntropyOptions {
  /** Targets equal to this are skipped (PyTorch's ignore_index). Default −100. */
  ignoreIndex?: number;
  /** Per-row weights, e.g. a padding mask of 0/1 ([N]). */
  mask?: ArrayLike<number>;
  /** 'mean' (default, over counted rows / mask sum) or 'sum'. */
  reduction?: 'mean' | 'sum';
}

/**
 * Softmax cross-entropy, fused with its gradient:
 *   L = Σ_n w_n (log Σ_v exp z_nv − z_n,y_n) / Σ_n w_n
 *   ∂L/∂z_nv = w_n (softmax(z_n)_v − [v = y_n]) / Σ_n w_n
 * `logits` is [..., V]; `targets` holds one class index per row.
 *
 * ```ts
 * const { loss, grad } = softmaxCrossEntropy(logits, targets); // logits [T·B, V]
 * ```
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  targets: ArrayLike<number>,
  opts: CrossEntropyOptions = {},
): LossResult {
  const r = crossEntropy('softmaxCrossEntropy', logits, targets, opts, true);
  return { loss: r.loss, grad: r.grad as Tensor, count: r.count };
}

/**
 * The loss of `softmaxCrossEntropy` without its gradient (validation, evaluation): the same
 * kernel and the same numbers, but no [N, V] gradient is allocated or written.
 *
 * ```ts
 * const { loss, count } = softmaxCrossEntropyLoss(logits, targets); // mean nats per row
 * ```
 */
export function softmaxCrossEntropyLoss(
  logits: Tensor,
  targets: ArrayLike<number>,
  opts: CrossEntropyOptions = {},
): { loss: number; count: number } {
  const r = crossEntropy('softmaxCrossEntropyLoss', logits, targets, opts, false);
  return { loss: r.loss, count: r.count };
}

/** Both of the above: checks, row weights, one backend call; the gradient only when asked. */
function crossEntropy(
  where: string,
  logits: Tensor,
  targets: ArrayLike<number>,
  opts: CrossEntropyOptions,
  withGrad: boolean,
): { loss: number; grad: Tensor | null; count: number } {
  check(logits.rank >= 1, `${where}: logits must be [..., V], got ${shapeToString(logits.shape)}`);
  const V = logits.shape[logits.rank - 1];
  const N = logits.size / V;
  if (targets.length !== N)
    throw new KiokuError(`${where}: expected ${N} targets (one per row of logits), got ${targets.length}`);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const t = Int32Array.from(targets as ArrayLike<number>);
  for (let n = 0; n < N; n++) {
    if (t[n] !== ignoreIndex && !(t[n] >= 0 && t[n] < V)) {
      throw new KiokuError(`${where}: target ${t[n]} at row ${n} is outside [0, ${V})`);
    }
  }
  let weights: FloatArray | null = null;
  if (opts.mask) {
    if (opts.mask.length !== N)
      throw new KiokuError(`${where}: mask must have ${N} entries, got ${opts.mask.length}`);
    weights = allocFloat(logits.dtype, N);
    weights.set(Array.from(opts.mask));
  }
  const be = getBackend();
  // First pass counts the weight so the gradient can be written already scaled.
  let weightSum = 0;
  for (let n = 0; n < N; n++) if (t[n] !== ignoreIndex) weightSum += weights ? weights[n] : 1;
  const mean = (opts.reduction ?? 'mean') === 'mean';
  const scale = mean ? (weightSum > 0 ? 1 / weightSum : 0) : 1;
  const grad = withGrad ? be.alloc(logits.dtype, logits.size) : null;
  const r = be.softmaxCrossEntropy({
    N,
    V,
    logits: logits.data,
    logitsOff: 0,
    targets: t,
    ignoreIndex,
    weights,
    dlogits: grad,
    dOff: 0,
    scale,
  });
  return {
    loss: r.lossSum * scale,
    grad: grad === null ? null : new Tensor(grad, logits.shape),
    count: r.weightSum,
  };
}

/**
 * Mean squared error: L = Σ w (ŷ − y)² / Σ w, ∂L/∂ŷ = 2 w (ŷ − y) / Σ w.
 * `mask` (same size as the prediction) weights elements, e.g. to skip padding.
 */
export function mseLoss(
  pred: Tensor,
  target: Tensor | ArrayLike<number>,
  opts: { mask?: ArrayLike<number> } = {},
): LossResult {
  const y = target instanceof Tensor ? target.data : target;
  if (y.length !== pred.size)
    throw new KiokuError(
      `mseLoss: target must have ${pred.size} elements like the prediction ${shapeToString(pred.shape)}, got ${y.length}`,
    );
  const m = opts.mask;
  if (m && m.length !== pred.size)
    throw new KiokuError(`mseLoss: mask must have ${pred.size} elements, got ${m.length}`);
  let wsum = 0;
  for (let i = 0; i < pred.size; i++) wsum += m ? m[i] : 1;
  const grad = allocFloat(pred.dtype, pred.size);
  let loss = 0;
  const k = wsum > 0 ? 1 / wsum : 0;
  for (let i = 0; i < pred.size; i++) {
    const w = m ? m[i] : 1;
    const d = pred.data[i] - y[i];
    loss += w * d * d;
    grad[i] = 2 * w * d * k;
  }
  return { loss: loss * k, grad: new Tensor(grad, pred.shape), count: wsum };
}

/**
 * Binary cross-entropy on logits, in the stable form
 *   ℓ = max(z, 0) − z·y + log(1 + exp(−|z|)),   ∂ℓ/∂z = σ(z) − y,
 * averaged over (masked) elements.
 */
export function bceWithLogits(
  logits: Tensor,
  target: Tensor | ArrayLike<number>,
  opts: { mask?: ArrayLike<number> } = {},
): LossResult {
  const y = target instanceof Tensor ? target.data : target;
  if (y.length !== logits.size)
    throw new KiokuError(`bceWithLogits: target must have ${logits.size} elements, got ${y.length}`);
  const m = opts.mask;
  if (m && m.length !== logits.size)
    throw new KiokuError(`bceWithLogits: mask must have ${logits.size} elements, got ${m.length}`);
  let wsum = 0;
  for (let i = 0; i < logits.size; i++) wsum += m ? m[i] : 1;
  const k = wsum > 0 ? 1 / wsum : 0;
  const grad = allocFloat(logits.dtype, logits.size);
  let loss = 0;
  for (let i = 0; i < logits.size; i++) {
    const w = m ? m[i] : 1;
    const z = logits.data[i];
    loss += w * (Math.max(z, 0) - z * y[i] + Math.log1p(Math.exp(-Math.abs(z))));
    grad[i] = w * k * (1 / (1 + Math.exp(-z)) - y[i]);
  }
  return { loss: loss * k, grad: new Tensor(grad, logits.shape), count: wsum };
}
