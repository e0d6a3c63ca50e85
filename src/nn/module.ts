import { KiokuError, shapeToString } from '../util/errors.js';
import { getBackend } from '../tensor/current-backend.js';
import { type DType, Tensor } from '../tensor/tensor.js';

/**
 * A trainable tensor and its gradient, under its PyTorch state_dict name.
 * `value` and `grad` are replaced (not mutated in shape) when a model's parameters are
 * packed into one flat buffer (`packParameters`), so layers always read `param.value.data`
 * at call time and never keep a stale reference.
 */
export class Parameter {
  constructor(
    public name: string,
    public value: Tensor,
    public grad: Tensor,
  ) {}

  static zeros(name: string, shape: readonly number[], dtype: DType): Parameter {
    return new Parameter(name, Tensor.zeros(shape, dtype), Tensor.zeros(shape, dtype));
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }
}

/** A parameter with its full state_dict name (submodule prefixes included). */
export interface NamedParameter {
  name: string;
  param: Parameter;
}

/**
 * The base of every layer and model: named parameters, PyTorch-style state dicts,
 * gradient access and train/eval mode. A module lists its own parameters and its
 * submodules under a prefix; full names are built like PyTorch's (`rnn.weight_ih_l0`).
 */
export abstract class Module {
  /** Dropout is active only in training mode (the default, as in PyTorch). */
  training = true;

  /** This module's own parameters (local names). */
  protected ownParameters(): Parameter[] {
    return [];
  }

  /** Submodules with the prefix their names take (`['rnn', lstm]`). */
  protected children(): [string, Module][] {
    return [];
  }

  /** All parameters with their full names, own first, then each child's in order. */
  namedParameters(): NamedParameter[] {
    const out: NamedParameter[] = this.ownParameters().map((p) => ({ name: p.name, param: p }));
    for (const [prefix, child] of this.children()) {
      for (const np of child.namedParameters()) out.push({ name: `${prefix}.${np.name}`, param: np.param });
    }
    return out;
  }

  /** All parameter objects (the same objects the layers compute with). */
  parameters(): Parameter[] {
    return this.namedParameters().map((np) => np.param);
  }

  train(on = true): this {
    this.training = on;
    for (const [, c] of this.children()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameter tensors keyed by PyTorch state_dict names (views, not copies). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const { name, param } of this.namedParameters()) out[name] = param.value;
    return out;
  }

  /** Accumulated gradients keyed like `stateDict()`. */
  gradDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const { name, param } of this.namedParameters()) out[name] = param.grad;
    return out;
  }

  /**
   * Copy weights in from a dict keyed by PyTorch names. Missing or unexpected keys and
   * shape mismatches are refused, naming the tensor and the expected vs got shape; values
   * are converted to this module's dtype. Nothing is changed unless everything matches.
   */
  loadStateDict(dict: Record<string, Tensor>, opts: { strict?: boolean } = {}): void {
    const strict = opts.strict ?? true;
    const named = this.namedParameters();
    const names = new Set(named.map((p) => p.name));
    const where = `${this.constructor.name}.loadStateDict`;
    if (strict) {
      const missing = named.filter((p) => !(p.name in dict)).map((p) => p.name);
      const unexpected = Object.keys(dict).filter((k) => !names.has(k));
      if (missing.length || unexpected.length) {
        const parts = [];
        if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
        if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
        throw new KiokuError(`${where}: ${parts.join('; ')}`);
      }
    }
    for (const { name, param } of named) {
      const t = dict[name];
      if (t === undefined) continue;
      if (!(t instanceof Tensor)) throw new KiokuError(`${where}: ${name} is not a Tensor`);
      if (t.shape.length !== param.shape.length || t.shape.some((d, i) => d !== param.shape[i])) {
        throw new KiokuError(
          `${where}: ${name} must have shape ${shapeToString(param.shape)}, got ${shapeToString(t.shape)}`,
        );
      }
    }
    for (const { name, param } of named) {
      const t = dict[name];
      if (t !== undefined) param.value.data.set(t.data);
    }
  }

  /** Set every gradient to zero (gradients accumulate across backward calls). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad.data.fill(0);
  }

  /** Total number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.value.size, 0);
  }
}

/**
 * One flat buffer for all values and one for all gradients, as the design asks: optimizers
 * and clipping become single loops over `values`/`grads`. The buffers come from the active
 * backend's `alloc`, so a WASM backend's kernels read the weights without copying. Each parameter's `value` and
 * `grad` are re-pointed at views into the flat buffers (current values are kept).
 * Returns the flat buffers and each parameter's offset.
 */
export function packParameters(params: Parameter[]): PackedParameters {
  if (params.length === 0) throw new KiokuError('packParameters: no parameters');
  const dtype = params[0].value.dtype;
  const total = params.reduce((n, p) => n + p.value.size, 0);
  // Backend storage (WASM memory for the WASM backend), so kernels read weights in place.
  const be = getBackend();
  const values = be.alloc(dtype, total);
  const grads = be.alloc(dtype, total);
  const offsets: number[] = [];
  let off = 0;
  for (const p of params) {
    const n = p.value.size;
    values.set(p.value.data, off);
    grads.set(p.grad.data, off);
    p.value = new Tensor(values.subarray(off, off + n), p.value.shape);
    p.grad = new Tensor(grads.subarray(off, off + n), p.grad.shape);
    offsets.push(off);
    off += n;
  }
  return { values, grads, offsets, params };
}

export interface PackedParameters {
  values: Float32Array | Float64Array;
  grads: Float32Array | Float64Array;
  offsets: number[];
  params: Parameter[];
}
