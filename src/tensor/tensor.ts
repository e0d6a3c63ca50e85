import { KiokuError, shapeToString } from '../util/errors.js';

/** The float storage a tensor may use. float32 is the default; float64 is for gradient checks. */
export type FloatArray = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

/** Allocate a zero-filled array of the given dtype. */
export function allocFloat(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A dense, row-major n-dimensional array: a shape plus a flat typed array.
 *
 * ```ts
 * const x = new Tensor(new Float32Array(2 * 3), [2, 3]);
 * x.data[1 * 3 + 2] = 1; // element [1, 2]
 * ```
 *
 * Tensors are thin: they own no kernels. Heavy work goes through a `Backend`
 * (see `tensor/backend.ts`), which takes the flat arrays and offsets.
 */
export class Tensor {
  readonly data: FloatArray;
  readonly shape: readonly number[];

  constructor(data: FloatArray | readonly number[], shape: readonly number[]) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) {
        throw new KiokuError(`Tensor: shape must hold non-negative integers, got ${shapeToString(shape)}`);
      }
    }
    const arr = Array.isArray(data) ? Float32Array.from(data as number[]) : (data as FloatArray);
    if (!(arr instanceof Float32Array || arr instanceof Float64Array)) {
      throw new KiokuError('Tensor: data must be a Float32Array or Float64Array (or a number array)');
    }
    const n = sizeOf(shape);
    if (arr.length !== n) {
      throw new KiokuError(
        `Tensor: data has ${arr.length} elements but shape ${shapeToString(shape)} needs ${n}`,
      );
    }
    this.data = arr;
    this.shape = Object.freeze([...shape]);
  }

  static zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return new Tensor(allocFloat(dtype, sizeOf(shape)), shape);
  }

  static fromArray(values: readonly number[], shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const a = allocFloat(dtype, values.length);
    a.set(values);
    return new Tensor(a, shape);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  /** A view with another shape over the same data. */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** A deep copy, optionally converted to another dtype. */
  clone(dtype: DType = this.dtype): Tensor {
    const a = allocFloat(dtype, this.size);
    a.set(this.data);
    return new Tensor(a, this.shape);
  }

  /** Element at a multi-index (slow; for tests and inspection). */
  get(...index: number[]): number {
    return this.data[this.offsetOf(index)];
  }

  set(value: number, ...index: number[]): void {
    this.data[this.offsetOf(index)] = value;
  }

  private offsetOf(index: number[]): number {
    if (index.length !== this.shape.length) {
      throw new KiokuError(`Tensor: index has ${index.length} dims, tensor has ${this.shape.length}`);
    }
    let off = 0;
    for (let i = 0; i < index.length; i++) {
      const k = index[i];
      if (!Number.isInteger(k) || k < 0 || k >= this.shape[i]) {
        throw new KiokuError(
          `Tensor: index ${shapeToString(index)} out of range for ${shapeToString(this.shape)}`,
        );
      }
      off = off * this.shape[i] + k;
    }
    return off;
  }

  /** Nested arrays, for printing and JSON. */
  toArray(): unknown {
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return this.data[off];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }
}

/**
 * Check a tensor's shape against a pattern; `null` entries match any size.
 * Throws e.g. `LSTM.forward: x must be [T, B, 16], got [5, 3, 8]`.
 */
export function expectShape(
  where: string,
  name: string,
  t: Tensor,
  expected: readonly (number | null)[],
  labels: readonly string[] = [],
): void {
  const ok = t.shape.length === expected.length && expected.every((e, i) => e === null || e === t.shape[i]);
  if (!ok) {
    const pattern = expected.map((e, i) => (e === null ? (labels[i] ?? '*') : String(e)));
    throw new KiokuError(
      `${where}: ${name} must be ${shapeToString(pattern)}, got ${shapeToString(t.shape)}`,
    );
  }
}

/** Refuse a tensor whose dtype differs from what the layer computes in. */
export function expectDType(where: string, name: string, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype) {
    throw new KiokuError(`${where}: ${name} must be ${dtype}, got ${t.dtype}`);
  }
}

/** Refuse NaN or infinite values (they would silently poison training). */
export function expectFinite(where: string, name: string, t: Tensor): void {
  const a = t.data;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      throw new KiokuError(`${where}: ${name} contains ${a[i]} at flat index ${i}`);
    }
  }
}
