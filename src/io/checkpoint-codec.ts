import { KiokuError } from '../util/errors.js';
import type { RngState } from '../util/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { parseJson } from '../util/json.js';

/**
 * kioku checkpoints, in memory (no file system; `checkpoint.ts` adds `saveCheckpoint` /
 * `loadCheckpoint`). A checkpoint is one safetensors file:
 *
 * | where | what |
 * |---|---|
 * | tensor `model.<name>` | model weights under their state_dict names |
 * | tensor `optim.<key>` | optimizer buffers (1-D, float32 or float64) |
 * | `__metadata__.format` | `"kioku-checkpoint"` |
 * | `__metadata__.version` | `"1"` |
 * | `__metadata__.config` | JSON of the model/training config |
 * | `__metadata__.optimizer` | JSON of the optimizer state without buffers (kind, step, lr, options, ...) |
 * | `__metadata__.step` | training step, decimal |
 * | `__metadata__.rng` | JSON of the `Rng` state (optional) |
 * | `__metadata__.extra` | free JSON: vocabulary, data position, schedule, ... (optional) |
 * | `__metadata__["kioku.crc32"]` | CRC-32 of the data section: flipped bits are refused on load |
 *
 * JSON fields keep non-finite numbers (Infinity, −Infinity, NaN) exactly: they are written
 * as `{"$kioku_number": "Infinity"}` because plain JSON would turn them into `null`.
 * Any safetensors reader (PyTorch included) can open a checkpoint and read its weights.
 */

export const CHECKPOINT_FORMAT = 'kioku-checkpoint';
export const CHECKPOINT_VERSION = '1';

/**
 * An optimizer's resumable state, structurally: what kioku optimizers return from
 * `state()` and accept in `loadState()` (`src/optim`). Every field but `buffers` is stored
 * as JSON, so fields beyond these survive too; `buffers` become `optim.<key>` tensors.
 */
export interface OptimizerState {
  kind: string;
  step: number;
  lr: number;
  /**
   * Hyper-parameters (JSON values). Typed loosely on purpose: each optimizer's own option
   * type must fit here when saving and accept what `loadCheckpoint` returns.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  options: Record<string, any>;
  buffers: Record<string, Float32Array | Float64Array>;
  /** Element count of each parameter, when the optimizer records it. */
  paramSizes?: number[];
}

/** Everything a run needs to resume exactly. */
export interface Checkpoint {
  /** The model/training config (any JSON-serialisable value). */
  config: unknown;
  /** Model weights keyed by state_dict names, e.g. `model.stateDict()`. */
  model: Record<string, Tensor>;
  optimizer?: OptimizerState;
  /** Training step (a non-negative integer). */
  step: number;
  rng?: RngState;
  /** Free JSON: vocabulary, data position, schedule state, ... */
  extra?: unknown;
}

const MODEL_PREFIX = 'model.';
const OPTIM_PREFIX = 'optim.';
const NUMBER_TAG = '$kioku_number';

/** Options of `encodeCheckpoint`. */
export interface CheckpointWriteOptions {
  /**
   * Store the model weights as IEEE half (safetensors `F16`, see `SafetensorsWriteOptions`):
   * half the size, for a model shipped for inference. Every kioku loader widens them back to
   * float32 (`decodeCheckpoint` returns float32 tensors). Refused together with optimizer
   * state: a checkpoint that carries one promises an exact resume, which rounded weights
   * break.
   */
  float16?: boolean;
}

/**
 * Serialise a checkpoint to safetensors bytes. Refuses a step that is not a non-negative
 * integer, a config/extra/optimizer that cannot be written as JSON, a malformed rng state,
 * and optimizer buffers that are not Float32Array/Float64Array.
 *
 * ```ts
 * const bytes = encodeCheckpoint({ config, model: lstm.stateDict(), optimizer: adam.state(), step: 100 });
 * // a model to ship: weights only, stored as float16
 * const small = encodeCheckpoint({ config, model: lstm.stateDict(), step: 100 }, { float16: true });
 * ```
 */
export function encodeCheckpoint(ckpt: Checkpoint, opts: CheckpointWriteOptions = {}): Uint8Array {
  const where = 'encodeCheckpoint';
  if (ckpt === null || typeof ckpt !== 'object')
    throw new KiokuError(`${where}: expected a checkpoint object, got ${ckpt}`);
  const { config, model, optimizer, step, rng, extra } = ckpt;
  if (opts.float16 && optimizer !== undefined) {
    throw new KiokuError(
      `${where}: float16 storage is for weights shipped for inference, got optimizer state too ` +
        `(a resumable checkpoint keeps float32 weights so that the resume is exact): drop the optimizer to store float16`,
    );
  }
  checkStep(where, step);
  if (config === undefined) throw new KiokuError(`${where}: config must be a JSON value, got undefined`);
  if (model === null || typeof model !== 'object') {
    throw new KiokuError(`${where}: model must be a record of tensors, got ${model}`);
  }
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(model)) {
    if (!(t instanceof Tensor)) throw new KiokuError(`${where}: model tensor '${name}' must be a Tensor`);
    tensors[MODEL_PREFIX + name] = t;
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: toJson(where, 'config', config),
    step: String(step),
  };
  if (optimizer !== undefined) {
    checkOptimizer(where, optimizer);
    const { buffers, ...rest } = optimizer;
    for (const [key, buf] of Object.entries(buffers)) {
      if (!(buf instanceof Float32Array || buf instanceof Float64Array)) {
        throw new KiokuError(`${where}: optimizer buffer '${key}' must be a Float32Array or Float64Array`);
      }
      tensors[OPTIM_PREFIX + key] = new Tensor(buf, [buf.length]);
    }
    metadata.optimizer = toJson(where, 'optimizer', rest);
  }
  if (rng !== undefined) {
    checkRng(where, rng);
    metadata.rng = toJson(where, 'rng', rng);
  }
  if (extra !== undefined) metadata.extra = toJson(where, 'extra', extra);
  return encodeSafetensors(tensors, metadata, { checksum: true, float16: opts.float16 === true });
}

/**
 * Parse checkpoint bytes (see the table above). Refuses bytes that are not safetensors
 * (with the reason), a safetensors file without kioku metadata ("foreign file: ..."), an
 * unsupported version, a truncated file, missing or malformed fields, and tensors outside
 * `model.*` / `optim.*`. `opts.context` prefixes messages (e.g. with the file path).
 */
export function decodeCheckpoint(bytes: Uint8Array, opts: { context?: string } = {}): Checkpoint {
  const where = opts.context ?? 'decodeCheckpoint';
  const fail = (msg: string): never => {
    throw new KiokuError(`${where}: ${msg}`);
  };
  const { tensors, ints, metadata } = decodeSafetensors(bytes, { context: where });
  if (!('format' in metadata)) fail(`foreign file: no ${CHECKPOINT_FORMAT} metadata`);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    fail(`foreign file: format is ${JSON.stringify(metadata.format)}, expected "${CHECKPOINT_FORMAT}"`);
  }
  if (metadata.version !== CHECKPOINT_VERSION) {
    fail(
      `unsupported checkpoint version ${JSON.stringify(metadata.version)} (this kioku reads version ${CHECKPOINT_VERSION})`,
    );
  }
  for (const field of ['config', 'step']) {
    if (!(field in metadata)) fail(`checkpoint metadata is missing '${field}'`);
  }
  if (!/^(0|[1-9][0-9]*)$/.test(metadata.step) || !Number.isSafeInteger(Number(metadata.step))) {
    fail(`metadata 'step' must be a non-negative integer, got ${JSON.stringify(metadata.step)}`);
  }
  const intNames = Object.keys(ints);
  if (intNames.length > 0)
    fail(`unexpected integer tensor '${intNames[0]}' (checkpoints hold float tensors)`);

  const model: Record<string, Tensor> = {};
  const buffers: Record<string, Float32Array | Float64Array> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith(MODEL_PREFIX)) model[name.slice(MODEL_PREFIX.length)] = t;
    else if (name.startsWith(OPTIM_PREFIX)) {
      if (t.rank !== 1) fail(`optimizer buffer '${name}' must be 1-D, got ${t.rank}-D`);
      buffers[name.slice(OPTIM_PREFIX.length)] = t.data;
    } else fail(`unexpected tensor '${name}' (checkpoint tensors are named model.* or optim.*)`);
  }

  const ckpt: Checkpoint = {
    config: fromJson(where, 'config', metadata.config),
    model,
    step: Number(metadata.step),
  };
  if ('optimizer' in metadata) {
    const rest = fromJson(where, 'optimizer', metadata.optimizer);
    if (rest === null || typeof rest !== 'object' || Array.isArray(rest)) {
      fail(`metadata 'optimizer' must be a JSON object, got ${metadata.optimizer}`);
    }
    const optimizer = { ...(rest as object), buffers } as OptimizerState;
    checkOptimizer(where, optimizer);
    ckpt.optimizer = optimizer;
  } else if (Object.keys(buffers).length > 0) {
    fail(`optimizer buffers present but metadata 'optimizer' is missing`);
  }
  if ('rng' in metadata) {
    const rng = fromJson(where, 'rng', metadata.rng) as RngState;
    checkRng(where, rng);
    ckpt.rng = rng;
  }
  if ('extra' in metadata) ckpt.extra = fromJson(where, 'extra', metadata.extra);
  return ckpt;
}

function checkStep(where: string, step: unknown): void {
  if (!Number.isSafeInteger(step) || (step as number) < 0) {
    throw new KiokuError(`${where}: step must be a non-negative integer, got ${JSON.stringify(step)}`);
  }
}

function checkOptimizer(where: string, o: OptimizerState): void {
  const bad = (what: string, got: unknown): never => {
    throw new KiokuError(`${where}: optimizer.${what}, got ${JSON.stringify(got) ?? String(got)}`);
  };
  if (o === null || typeof o !== 'object') bad('state must be an object', o);
  if (typeof o.kind !== 'string') bad('kind must be a string', o.kind);
  if (!Number.isSafeInteger(o.step) || o.step < 0) bad('step must be a non-negative integer', o.step);
  if (typeof o.lr !== 'number') bad('lr must be a number', o.lr);
  if (o.options === null || typeof o.options !== 'object' || Array.isArray(o.options)) {
    bad('options must be an object', o.options);
  }
  if (o.buffers === null || typeof o.buffers !== 'object')
    bad('buffers must be a record of arrays', o.buffers);
}

function checkRng(where: string, rng: RngState): void {
  const ok =
    rng !== null &&
    typeof rng === 'object' &&
    Array.isArray(rng.s) &&
    rng.s.length === 4 &&
    rng.s.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff) &&
    (rng.spare === null || typeof rng.spare === 'number');
  if (!ok) {
    throw new KiokuError(
      `${where}: rng must be { s: [4 uint32], spare: number | null }, got ${JSON.stringify(rng)}`,
    );
  }
}

/** JSON with non-finite numbers tagged (plain JSON would write them as null). */
function toJson(where: string, field: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? { [NUMBER_TAG]: String(v) } : v,
    );
  } catch (e) {
    throw new KiokuError(`${where}: ${field} cannot be written as JSON: ${(e as Error).message}`);
  }
  if (text === undefined)
    throw new KiokuError(`${where}: ${field} cannot be written as JSON: got ${typeof value}`);
  return text;
}

function fromJson(where: string, field: string, text: string): unknown {
  return untag(parseJson(text, `${where}: metadata '${field}'`));
}

/** Undo `toJson`'s tagging of non-finite numbers, bottom-up. */
function untag(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untag);
  if (v !== null && typeof v === 'object') {
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec);
    if (keys.length === 1 && keys[0] === NUMBER_TAG && typeof rec[NUMBER_TAG] === 'string') {
      return Number(rec[NUMBER_TAG]);
    }
    for (const k of keys) rec[k] = untag(rec[k]);
  }
  return v;
}
