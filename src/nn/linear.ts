import { getBackend } from '../tensor/current-backend.js';
import { type DType, Tensor } from '../tensor/tensor.js';
import { check, checkNumber, KiokuError, shapeToString } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { uniform_ } from './init.js';
import { Module, Parameter } from './module.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  dtype?: DType;
  seed?: number;
}

/**
 * Affine layer y = x·Wᵀ + b over the last dimension (PyTorch `nn.Linear`: `weight`
 * [out, in], `bias` [out], default init U(±1/√in)).
 *
 * ```ts
 * const fc = new Linear({ inFeatures: 128, outFeatures: 80 });
 * const y = fc.forward(h);        // h [T, B, 128] -> y [T, B, 80]
 * const dh = fc.backward(dy);     // accumulates fc.weight.grad, fc.bias.grad
 * ```
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly dtype: DType;
  readonly weight: Parameter; // [out, in]
  readonly bias: Parameter | null; // [out]
  private cacheX: Tensor | null = null;

  constructor(opts: LinearOptions) {
    super();
    this.inFeatures = checkNumber('Linear', 'inFeatures', opts.inFeatures, { min: 1, integer: true });
    this.outFeatures = checkNumber('Linear', 'outFeatures', opts.outFeatures, { min: 1, integer: true });
    this.dtype = opts.dtype ?? 'float32';
    this.weight = Parameter.zeros('weight', [this.outFeatures, this.inFeatures], this.dtype);
    this.bias = opts.bias === false ? null : Parameter.zeros('bias', [this.outFeatures], this.dtype);
    const rng = new Rng(opts.seed ?? 0);
    const k = 1 / Math.sqrt(this.inFeatures);
    uniform_(this.weight.value, -k, k, rng);
    if (this.bias) uniform_(this.bias.value, -k, k, rng);
  }

  protected override ownParameters(): Parameter[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  /** x [..., in] -> y [..., out]. */
  forward(x: Tensor): Tensor {
    const where = 'Linear.forward';
    check(
      x.rank >= 1 && x.shape[x.rank - 1] === this.inFeatures,
      () => `${where}: x must be [..., ${this.inFeatures}], got ${shapeToString(x.shape)}`,
    );
    if (x.dtype !== this.dtype) throw new KiokuError(`${where}: x must be ${this.dtype}, got ${x.dtype}`);
    const be = getBackend();
    const rows = x.size / this.inFeatures;
    const y = be.alloc(this.dtype, rows * this.outFeatures); // [N, out]
    be.gemm(
      false,
      true,
      rows,
      this.outFeatures,
      this.inFeatures,
      1,
      x.data,
      0,
      this.inFeatures,
      this.weight.value.data,
      0,
      this.inFeatures,
      0,
      y,
      0,
      this.outFeatures,
    );
    if (this.bias) be.addRowVector(y, 0, rows, this.outFeatures, this.bias.value.data, 0);
    this.cacheX = x;
    return new Tensor(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }

  /** dy [..., out] -> dx [..., in]; dW += dyᵀ·x, db += Σ dy. */
  backward(dy: Tensor): Tensor {
    const x = this.cacheX;
    if (!x) throw new KiokuError('Linear.backward: call forward first');
    const expected = [...x.shape.slice(0, -1), this.outFeatures];
    check(
      dy.rank === expected.length && dy.shape.every((d, i) => d === expected[i]),
      () => `Linear.backward: dy must be ${shapeToString(expected)}, got ${shapeToString(dy.shape)}`,
    );
    const be = getBackend();
    const rows = x.size / this.inFeatures;
    const I = this.inFeatures;
    const O = this.outFeatures;
    be.gemm(true, false, O, I, rows, 1, dy.data, 0, O, x.data, 0, I, 1, this.weight.grad.data, 0, I);
    if (this.bias) be.sumRowsAccumulate(dy.data, 0, rows, O, this.bias.grad.data, 0);
    const dx = be.alloc(this.dtype, rows * I);
    be.gemm(false, false, rows, I, O, 1, dy.data, 0, O, this.weight.value.data, 0, I, 0, dx, 0, I);
    return new Tensor(dx, x.shape);
  }
}
