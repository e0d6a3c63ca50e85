import { type FloatArray, Tensor } from '../tensor/tensor.js';
import { checkNumber, KiokuError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/**
 * Inverted dropout (Srivastava et al. 2014): in training, zero each element with
 * probability p and scale the survivors by 1/(1−p), so evaluation needs no rescaling.
 * kioku applies it only to non-recurrent connections — between stacked layers and before
 * the output layer — as Zaremba et al. (2014) show is what works for LSTMs; the
 * recurrent h→h path is never dropped.
 *
 * ```ts
 * const drop = new Dropout(0.3, rng);
 * const y = drop.forward(x, true); // training
 * const dx = drop.backward(dy);
 * ```
 */
export class Dropout {
  readonly p: number;
  private readonly rng: Rng;
  private mask: FloatArray | null = null;

  constructor(p: number, rng: Rng = new Rng(0)) {
    this.p = checkNumber('Dropout', 'p', p, { min: 0, max: 0.999999 });
    this.rng = rng;
  }

  forward(x: Tensor, training: boolean): Tensor {
    if (!training || this.p === 0) {
      this.mask = null;
      return x;
    }
    const keep = 1 - this.p;
    const mask = x.dtype === 'float64' ? new Float64Array(x.size) : new Float32Array(x.size);
    const y = x.dtype === 'float64' ? new Float64Array(x.size) : new Float32Array(x.size);
    for (let i = 0; i < x.size; i++) {
      mask[i] = this.rng.uniform() < keep ? 1 / keep : 0;
      y[i] = x.data[i] * mask[i];
    }
    this.mask = mask;
    return new Tensor(y, x.shape);
  }

  backward(dy: Tensor): Tensor {
    const mask = this.mask;
    if (mask === null) return dy;
    if (mask.length !== dy.size)
      throw new KiokuError(`Dropout.backward: dy has ${dy.size} elements, forward had ${mask.length}`);
    const dx = dy.dtype === 'float64' ? new Float64Array(dy.size) : new Float32Array(dy.size);
    for (let i = 0; i < dy.size; i++) dx[i] = dy.data[i] * mask[i];
    return new Tensor(dx, dy.shape);
  }
}
