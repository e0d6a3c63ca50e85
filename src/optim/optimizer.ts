/**
 * The optimizer base: parameter bookkeeping, per-parameter state buffers ("slots", e.g.
 * Adam's `exp_avg`), the step counter, and `state()` / `loadState()` for exact resume.
 *
 * Each algorithm supplies one pure, elementwise update function over flat arrays
 * (`sgdUpdate`, `adamUpdate`, ...). Every slot lives in one flat buffer with a view per
 * parameter, so when the parameters themselves are packed into one buffer
 * (`packParameters` in `nn/module.ts`) a whole step is a single call of that function over
 * the flat arrays; otherwise it is one call per parameter. Both give identical numbers,
 * because every update here is elementwise with scalars shared by all parameters.
 */
import type { Parameter } from '../nn/module.js';
import { getBackend } from '../tensor/current-backend.js';
import type { DType, FloatArray } from '../tensor/tensor.js';
import { KiokuError, shapeToString } from '../util/errors.js';
import { describe, numberOption } from './options.js';

/** A hyper-parameter value as it appears in `OptimizerState.options`. */
export type OptionValue = number | boolean | readonly number[];

/**
 * Everything needed to continue an optimizer exactly where it stopped: store it in a
 * checkpoint (buffers as tensors, the rest as JSON) and hand it to `loadState`.
 *
 * - `kind`: `'sgd' | 'adagrad' | 'rmsprop' | 'graves-rmsprop' | 'adam' | 'adamw'`
 * - `step`: number of `step()` calls so far (Adam's bias correction, Adagrad's lr decay,
 *   SGD's first-step momentum and LR schedules depend on it)
 * - `lr`: the current learning rate (a schedule may have changed it)
 * - `options`: the other hyper-parameters, in kioku's camelCase names
 * - `buffers`: per-parameter state keyed `<slot>.<parameter index>`, e.g. `exp_avg.3`
 *   (slot names are PyTorch's: `momentum_buffer`, `sum`, `square_avg`, `grad_avg`,
 *   `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`, `delta`)
 * - `paramSizes`: element count of each parameter, so a state is never loaded into a
 *   different model (optional on input; checked when present)
 */
export interface OptimizerState {
  kind: string;
  step: number;
  lr: number;
  options: Record<string, OptionValue>;
  buffers: Record<string, FloatArray>;
  paramSizes?: number[];
}

/** Hyper-parameters every optimizer has. */
export interface BaseOptions {
  lr: number;
}

/** Turns user options (or the `options` of a saved state plus its `lr`) into validated hyper-parameters. */
export type OptionNormalizer<O extends BaseOptions> = (where: string, raw: unknown) => O;

/** One flat buffer per slot, plus per-parameter views into it. */
interface Slots {
  names: readonly string[];
  flat: FloatArray[]; // [slot] -> [total]
  views: FloatArray[][]; // [slot][param] -> [size of param]
}

/**
 * Base class of all optimizers. Subclasses declare their slots and their elementwise update.
 *
 * ```ts
 * const opt = new Adam(model.parameters(), { lr: 3e-3 });
 * model.zeroGrad(); loss.backward(...); // fills p.grad
 * clipGradNorm(model.parameters(), 5);
 * opt.step();                            // updates p.value in place
 * const saved = opt.state();             // ...later, in a fresh process:
 * opt2.loadState(saved);                 // opt2.step() continues exactly
 * ```
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** Stable name stored in `OptimizerState.kind`. */
  readonly kind: string;
  /** The parameters this optimizer updates, in the order their buffers are numbered. */
  readonly params: readonly Parameter[];
  readonly dtype: DType;
  /** Name used in error messages (`'Adam'`). */
  protected readonly where: string;
  protected hp: O;
  private readonly normalize: OptionNormalizer<O>;
  private readonly sizes: number[];
  private readonly total: number;
  private steps = 0;
  private slots: Slots;

  protected constructor(
    kind: string,
    where: string,
    params: readonly Parameter[],
    normalize: OptionNormalizer<O>,
    raw: unknown,
  ) {
    this.kind = kind;
    this.where = where;
    this.normalize = normalize;
    if (!Array.isArray(params) || params.length === 0) {
      throw new KiokuError(`${where}: expected a non-empty array of Parameters, got ${describe(params)}`);
    }
    const seen = new Set<Parameter>();
    params.forEach((p, i) => {
      if (p === null || typeof p !== 'object' || !p.value || !p.grad) {
        throw new KiokuError(
          `${where}: params[${i}] must be a Parameter with value and grad, got ${describe(p)}`,
        );
      }
      if (seen.has(p)) throw new KiokuError(`${where}: params[${i}] (${p.name}) appears more than once`);
      seen.add(p);
    });
    this.params = [...params];
    this.dtype = params[0].value.dtype;
    for (const [i, p] of params.entries()) {
      if (p.value.dtype !== this.dtype || p.grad.dtype !== this.dtype) {
        throw new KiokuError(
          `${where}: all parameters must share one dtype, expected ${this.dtype}, got ${p.value.dtype} value / ${p.grad.dtype} grad at params[${i}] (${p.name})`,
        );
      }
      if (p.grad.size !== p.value.size) {
        throw new KiokuError(
          `${where}: params[${i}] (${p.name}) grad has ${p.grad.size} elements, expected ${p.value.size}`,
        );
      }
    }
    this.sizes = params.map((p) => p.value.size);
    this.total = this.sizes.reduce((a, b) => a + b, 0);
    this.hp = normalize(where, raw);
    this.slots = this.allocateSlots(this.hp);
  }

  /** Names of the per-parameter buffers these hyper-parameters need, e.g. `['exp_avg', 'exp_avg_sq']`. */
  protected abstract slotNames(hp: O): string[];

  /** Initial value of a slot's elements (0 unless overridden, e.g. Adagrad's accumulator). */
  protected slotInit(_slot: string, _hp: O): number {
    return 0;
  }

  /**
   * Update `w` in place from `g`, with `slots` in `slotNames()` order, all the same length.
   * `t` is the 1-based number of this step.
   */
  protected abstract apply(w: FloatArray, g: FloatArray, slots: FloatArray[], t: number, hp: O): void;

  /** The current learning rate. */
  get lr(): number {
    return this.hp.lr;
  }

  /** Set the learning rate used by the next `step()` (what a schedule does). */
  set lr(value: number) {
    this.hp.lr = numberOption(this.where, 'lr', value, undefined, { min: 0 });
  }

  /** Number of `step()` calls so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** A copy of the validated hyper-parameters (defaults filled in). */
  get options(): O {
    return structuredClone(this.hp);
  }

  /** Apply one update to every parameter from its current `grad`. */
  step(): void {
    this.checkParams('step');
    const t = this.steps + 1;
    const w = flatSpan(this.params, 'value', this.total);
    const g = w && flatSpan(this.params, 'grad', this.total);
    if (w && g) {
      this.apply(w, g, this.slots.flat, t, this.hp);
    } else {
      for (let i = 0; i < this.params.length; i++) {
        const p = this.params[i];
        this.apply(
          p.value.data,
          p.grad.data,
          this.slots.views.map((v) => v[i]),
          t,
          this.hp,
        );
      }
    }
    this.steps = t;
  }

  /** Set every parameter's gradient to zero. */
  zeroGrad(): void {
    for (const p of this.params) p.grad.data.fill(0);
  }

  /** A deep copy of everything needed to resume exactly (see `OptimizerState`). */
  state(): OptimizerState {
    const { lr, ...rest } = structuredClone(this.hp);
    const buffers: Record<string, FloatArray> = {};
    this.slots.names.forEach((name, s) => {
      this.slots.views[s].forEach((view, i) => {
        buffers[`${name}.${i}`] = view.slice();
      });
    });
    return {
      kind: this.kind,
      step: this.steps,
      lr,
      options: rest as Record<string, OptionValue>,
      buffers,
      paramSizes: [...this.sizes],
    };
  }

  /**
   * Restore a state from `state()` (possibly of another instance with the same parameter
   * shapes). Hyper-parameters, learning rate, step and buffers are all replaced. Refuses,
   * changing nothing, a state of another kind, for another number or size of parameters,
   * or with missing, unknown or wrongly sized buffers. Buffers may be Float32Array,
   * Float64Array or plain number arrays (e.g. read back from JSON); they are copied in,
   * converted to the parameters' dtype.
   */
  loadState(state: OptimizerState): void {
    const where = `${this.where}.loadState`;
    if (state === null || typeof state !== 'object')
      throw new KiokuError(`${where}: expected a state object, got ${describe(state)}`);
    if (state.kind !== this.kind) {
      throw new KiokuError(`${where}: expected a state of kind "${this.kind}", got ${describe(state.kind)}`);
    }
    const step = numberOption(where, 'step', state.step, undefined, { min: 0, integer: true });
    if (state.options === null || typeof state.options !== 'object') {
      throw new KiokuError(`${where}: options must be an object, got ${describe(state.options)}`);
    }
    const hp = this.normalize(where, { ...state.options, lr: state.lr });
    const n = this.params.length;
    if (state.paramSizes !== undefined) {
      if (!Array.isArray(state.paramSizes) || state.paramSizes.length !== n) {
        throw new KiokuError(
          `${where}: expected a state for ${n} parameters, got one for ${describe(state.paramSizes?.length)}`,
        );
      }
      state.paramSizes.forEach((size, i) => {
        if (size !== this.sizes[i]) {
          throw new KiokuError(
            `${where}: parameter ${i} (${this.params[i].name}, ${shapeToString(this.params[i].shape)}) has ${this.sizes[i]} elements, the state has ${describe(size)}`,
          );
        }
      });
    }
    const buffers = state.buffers;
    if (buffers === null || typeof buffers !== 'object')
      throw new KiokuError(`${where}: buffers must be an object, got ${describe(buffers)}`);
    const names = this.slotNames(hp);
    for (const key of Object.keys(buffers)) {
      const m = /^(.+)\.(\d+)$/.exec(key);
      if (!m || !names.includes(m[1])) {
        throw new KiokuError(
          `${where}: unexpected buffer "${key}"; expected <slot>.<index> with slot one of ${names.join(', ') || '(none)'}`,
        );
      }
      if (Number(m[2]) >= n) {
        throw new KiokuError(
          `${where}: buffer "${key}" is for parameter ${m[2]}, but this optimizer has ${n} parameters`,
        );
      }
    }
    const slots = this.allocateSlots(hp);
    names.forEach((name, s) => {
      for (let i = 0; i < n; i++) {
        const key = `${name}.${i}`;
        const buf: unknown = buffers[key];
        if (buf === undefined)
          throw new KiokuError(
            `${where}: missing buffer "${key}" (${this.kind} with these options needs ${names.join(', ')})`,
          );
        const isArray = buf instanceof Float32Array || buf instanceof Float64Array || Array.isArray(buf);
        if (!isArray)
          throw new KiokuError(
            `${where}: buffer "${key}" must be a Float32Array or Float64Array, got ${describe(buf)}`,
          );
        const arr = buf as ArrayLike<number>;
        if (arr.length !== this.sizes[i]) {
          throw new KiokuError(
            `${where}: buffer "${key}" must have ${this.sizes[i]} elements (parameter ${i}, ${this.params[i].name} ${shapeToString(this.params[i].shape)}), got ${arr.length}`,
          );
        }
        slots.views[s][i].set(arr);
      }
    });
    this.hp = hp;
    this.steps = step;
    this.slots = slots;
  }

  private allocateSlots(hp: O): Slots {
    const names = this.slotNames(hp);
    const flat = names.map((name) => {
      // In the backend's memory (WASM: beside the packed parameters), so a fused kernel
      // updates the slots in place instead of copying them in and out on every step.
      const a = getBackend().alloc(this.dtype, this.total);
      const init = this.slotInit(name, hp);
      if (init !== 0) a.fill(init);
      return a;
    });
    const views = flat.map((a) => {
      let off = 0;
      return this.sizes.map((n) => {
        const v = a.subarray(off, off + n);
        off += n;
        return v;
      });
    });
    return { names, flat, views };
  }

  /** Parameters may be re-pointed (e.g. by `packParameters`), but never resized or re-typed. */
  private checkParams(op: string): void {
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      const n = this.sizes[i];
      if (
        p.value.data.length !== n ||
        p.grad.data.length !== n ||
        p.value.dtype !== this.dtype ||
        p.grad.dtype !== this.dtype
      ) {
        throw new KiokuError(
          `${this.where}.${op}: parameter ${i} (${p.name}) must keep ${n} ${this.dtype} elements, got ${p.value.data.length} ${p.value.dtype} value / ${p.grad.data.length} ${p.grad.dtype} grad`,
        );
      }
    }
  }
}

/**
 * If the parameters' `value` (or `grad`) arrays are consecutive views of one buffer, in
 * order (as `packParameters` lays them out), a single view over all of them; else null.
 */
function flatSpan(params: readonly Parameter[], field: 'value' | 'grad', total: number): FloatArray | null {
  const first = params[0][field].data;
  let next = first.byteOffset;
  for (const p of params) {
    const d = p[field].data;
    if (d.buffer !== first.buffer || d.byteOffset !== next) return null;
    next += d.byteLength;
  }
  if (params.length === 1) return first;
  return first instanceof Float64Array
    ? new Float64Array(first.buffer, first.byteOffset, total)
    : new Float32Array(first.buffer, first.byteOffset, total);
}
