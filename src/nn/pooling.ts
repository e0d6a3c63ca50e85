import { allocFloat, expectShape, Tensor } from '../tensor/tensor.js';
import { KiokuError } from '../util/errors.js';

/**
 * How a many-to-one model turns the outputs of a recurrent layer into one vector:
 * - `last`: the state at each sequence's own end. For a bidirectional layer this joins the
 *   forward direction's h at t = len−1 with the reverse direction's h at t = 0 (its own
 *   last step, having read the sequence backwards) — the lecture's `h_b` reversed before
 *   concatenation;
 * - `mean`: Σ_t m_t h_t / Σ_t m_t over the valid steps (mask m);
 * - `max`: max over valid steps, per feature;
 * - `meanmax`: [mean ; max] (Conneau et al. 2017 use max; the pair is common in practice).
 */
export type PoolMode = 'last' | 'mean' | 'max' | 'meanmax';
export const POOL_MODES: readonly PoolMode[] = ['last', 'mean', 'max', 'meanmax'];

/**
 * Masked pooling over time for a padded, time-major batch. Padding steps never contribute
 * to the result nor receive gradient, so padding cannot change a prediction.
 *
 * | tensor | shape |
 * |---|---|
 * | x | [T, B, F] (F = D·H for `last`, forward half first) |
 * | output | [B, F] (`meanmax`: [B, 2F]) |
 *
 * ```ts
 * const pool = new MaskedPooling('mean');
 * const v = pool.forward(out, lengths);   // [B, F]
 * const dOut = pool.backward(dv);         // [T, B, F]
 * ```
 */
export class MaskedPooling {
  private cache: { x: Tensor; lengths: Int32Array; argmax: Int32Array | null } | null = null;

  /** `directions` matters only for `last` (2: the reverse half is taken at t = 0). */
  constructor(
    readonly mode: PoolMode,
    readonly directions = 1,
  ) {
    if (!POOL_MODES.includes(mode))
      throw new KiokuError(
        `MaskedPooling: mode must be one of ${POOL_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
      );
    if (directions !== 1 && directions !== 2)
      throw new KiokuError(`MaskedPooling: directions must be 1 or 2, got ${directions}`);
  }

  outFeatures(F: number): number {
    return this.mode === 'meanmax' ? 2 * F : F;
  }

  forward(x: Tensor, lengths?: ArrayLike<number>): Tensor {
    expectShape('MaskedPooling.forward', 'x', x, [null, null, null], ['T', 'B', 'F']);
    const [T, B, F] = x.shape;
    const len = new Int32Array(B).fill(T);
    if (lengths) {
      if (lengths.length !== B)
        throw new KiokuError(
          `MaskedPooling.forward: lengths must have B = ${B} entries, got ${lengths.length}`,
        );
      for (let b = 0; b < B; b++) {
        if (!Number.isInteger(lengths[b]) || lengths[b] < 1 || lengths[b] > T) {
          throw new KiokuError(
            `MaskedPooling.forward: lengths[${b}] must be an integer in [1, ${T}], got ${lengths[b]}`,
          );
        }
        len[b] = lengths[b];
      }
    }
    if (this.mode === 'last' && F % this.directions !== 0)
      throw new KiokuError(`MaskedPooling: F = ${F} is not divisible by ${this.directions} directions`);
    const OF = this.outFeatures(F);
    const y = allocFloat(x.dtype, B * OF);
    const xd = x.data;
    let argmax: Int32Array | null = null;
    if (this.mode === 'last') {
      const H = F / this.directions;
      for (let b = 0; b < B; b++) {
        const tf = len[b] - 1;
        for (let j = 0; j < H; j++) y[b * F + j] = xd[(tf * B + b) * F + j];
        // Reverse direction: its final state is the output at t = 0.
        for (let j = H; j < F; j++) y[b * F + j] = xd[b * F + j];
      }
    }
    if (this.mode === 'mean' || this.mode === 'meanmax') {
      for (let b = 0; b < B; b++) {
        const o = b * OF;
        for (let t = 0; t < len[b]; t++) for (let j = 0; j < F; j++) y[o + j] += xd[(t * B + b) * F + j];
        for (let j = 0; j < F; j++) y[o + j] /= len[b];
      }
    }
    if (this.mode === 'max' || this.mode === 'meanmax') {
      argmax = new Int32Array(B * F);
      const off = this.mode === 'meanmax' ? F : 0;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < F; j++) {
          let best = -Infinity;
          let bt = 0;
          for (let t = 0; t < len[b]; t++) {
            const v = xd[(t * B + b) * F + j];
            if (v > best) {
              best = v;
              bt = t;
            }
          }
          y[b * OF + off + j] = best;
          argmax[b * F + j] = bt;
        }
      }
    }
    this.cache = { x, lengths: len, argmax };
    return new Tensor(y, [B, OF]);
  }

  /** dy [B, OF] → dx [T, B, F] (zero on padding). */
  backward(dy: Tensor): Tensor {
    const c = this.cache;
    if (!c) throw new KiokuError('MaskedPooling.backward: call forward first');
    const [T, B, F] = c.x.shape;
    const OF = this.outFeatures(F);
    expectShape('MaskedPooling.backward', 'dy', dy, [B, OF]);
    const dx = allocFloat(c.x.dtype, T * B * F);
    const g = dy.data;
    const len = c.lengths;
    if (this.mode === 'last') {
      const H = F / this.directions;
      for (let b = 0; b < B; b++) {
        const tf = len[b] - 1;
        for (let j = 0; j < H; j++) dx[(tf * B + b) * F + j] += g[b * F + j];
        for (let j = H; j < F; j++) dx[b * F + j] += g[b * F + j];
      }
    }
    if (this.mode === 'mean' || this.mode === 'meanmax') {
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < len[b]; t++)
          for (let j = 0; j < F; j++) dx[(t * B + b) * F + j] += g[b * OF + j] / len[b];
      }
    }
    if ((this.mode === 'max' || this.mode === 'meanmax') && c.argmax) {
      const off = this.mode === 'meanmax' ? F : 0;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < F; j++) dx[(c.argmax[b * F + j] * B + b) * F + j] += g[b * OF + off + j];
      }
    }
    return new Tensor(dx, [T, B, F]);
  }
}
