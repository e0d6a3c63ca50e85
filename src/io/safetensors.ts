import { KiokuError, shapeToString } from '../util/errors.js';
import { sizeOf, Tensor } from '../tensor/tensor.js';
import { bfloat16ToFloat, float32BitsToHalf, halfToFloat } from './float16.js';
import { crc32 } from './crc32.js';
import { parseJson } from '../util/json.js';

/**
 * The safetensors format (https://github.com/huggingface/safetensors), in memory, with no
 * file system access (so the browser lab can use it too; see `safetensors_file.ts` for
 * `saveSafetensors` / `loadSafetensors`).
 *
 * Layout:
 * ```
 * [8 bytes]  N, little-endian u64: size of the JSON header
 * [N bytes]  JSON: { "__metadata__": { str: str }, "<name>": { "dtype": "F32",
 *            "shape": [..], "data_offsets": [begin, end] }, ... }, space-padded to 8 bytes
 * [rest]     the tensors' bytes, little-endian, row-major; offsets are relative to here
 * ```
 *
 * ```ts
 * const bytes = encodeSafetensors({ w: Tensor.fromArray([1, 2, 3, 4], [2, 2]) }, { note: 'hi' });
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * tensors.w.shape; // [2, 2]
 * metadata.note; // 'hi'
 * ```
 */

/** The dtypes kioku reads. F16 and BF16 are widened to float32 on load. */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const ITEM_SIZE: Record<SafetensorsDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

const KNOWN_DTYPES = Object.keys(ITEM_SIZE).join(', ');

/** The largest header we accept (the reference implementation's limit, 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * The `__metadata__` key under which kioku stores a CRC-32 of the data section of the
 * files it writes with `{ checksum: true }` (checkpoints, handwriting models), as
 * `crc32:<8 hex digits>`. `decodeSafetensors` verifies it whenever present, so flipped
 * bits in the weights are caught instead of loading silently.
 */
export const CHECKSUM_KEY = 'kioku.crc32';

export type IntDType = 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
export type IntArray = BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/**
 * An integer (or boolean) tensor: token ids, lengths, labels in fixtures. kioku computes in
 * floats, so integer tensors are kept apart from `Tensor` and returned in `ints` by
 * `decodeSafetensors`. int64 data is a `BigInt64Array` (convert with `Number(x)`).
 *
 * ```ts
 * const ids = new IntTensor(new Int32Array([3, 1, 4]), [3]);
 * const mask = new IntTensor(new Uint8Array([1, 0]), [2], 'bool');
 * ```
 */
export class IntTensor {
  readonly dtype: IntDType;
  readonly shape: readonly number[];

  constructor(
    readonly data: IntArray,
    shape: readonly number[],
    dtype?: IntDType,
  ) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) {
        throw new KiokuError(`IntTensor: shape must hold non-negative integers, got ${shapeToString(shape)}`);
      }
    }
    const natural = intDTypeOf(data);
    const chosen = dtype ?? natural;
    if (chosen !== natural && !(chosen === 'bool' && natural === 'uint8')) {
      throw new KiokuError(`IntTensor: dtype ${chosen} needs a matching array, got ${data.constructor.name}`);
    }
    if (data.length !== sizeOf(shape)) {
      throw new KiokuError(
        `IntTensor: data has ${data.length} elements but shape ${shapeToString(shape)} needs ${sizeOf(shape)}`,
      );
    }
    this.dtype = chosen;
    this.shape = Object.freeze([...shape]);
  }
}

function intDTypeOf(a: IntArray): IntDType {
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  throw new KiokuError(
    `IntTensor: data must be a BigInt64Array, Int32Array, Int16Array, Int8Array or Uint8Array, got ${
      (a as object)?.constructor?.name ?? typeof a
    }`,
  );
}

const INT_TO_ST: Record<IntDType, SafetensorsDType> = {
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

/** What `decodeSafetensors` returns. */
export interface SafetensorsContents {
  /** Float tensors: F32 → Float32Array, F64 → Float64Array, F16/BF16 → Float32Array (widened). */
  tensors: Record<string, Tensor>;
  /** Integer and boolean tensors (I64, I32, I16, I8, U8, BOOL). */
  ints: Record<string, IntTensor>;
  /** The `__metadata__` string map (empty when the file has none). */
  metadata: Record<string, string>;
  /** The dtype each tensor had in the file, e.g. to tell that a float32 tensor came from F16. */
  dtypes: Record<string, SafetensorsDType>;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Options of `encodeSafetensors` (and of the files written through it). */
export interface SafetensorsWriteOptions {
  /** Store a CRC-32 of the data section under `kioku.crc32` (verified on every load). */
  checksum?: boolean;
  /**
   * Store float32 tensors as IEEE half (dtype `F16`): half the bytes, about 3 significant
   * decimal digits (relative rounding error ≤ 2^-11 for normal values), rounded to nearest
   * even (`float32BitsToHalf`). For shipped inference weights, not for training state.
   * Refused: a float64 tensor (double rounding; convert it to float32 first) and a finite
   * value beyond ±65504 that would become Infinity. NaN and ±Infinity are kept.
   * Every kioku loader reads F16 back as float32.
   */
  float16?: boolean;
}

/**
 * Serialise tensors (and an optional string→string metadata map) as safetensors bytes.
 * Float tensors are written as F32 or F64 (their own dtype) — or as F16 with
 * `{ float16: true }` — and `IntTensor`s as I64/I32/I16/I8/U8/BOOL. Data is laid out widest
 * dtype first, then in the record's order, so that every tensor is aligned to its element
 * size; the header is space-padded to 8 bytes.
 *
 * ```ts
 * const half = encodeSafetensors({ w: Tensor.fromArray([1, 1 / 3], [2]) }, {}, { float16: true });
 * decodeSafetensors(half).tensors.w.data; // Float32Array [1, 0.333251953125]
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor | IntTensor>,
  metadata?: Record<string, string>,
  opts: SafetensorsWriteOptions = {},
): Uint8Array {
  const where = 'encodeSafetensors';
  const entries: { name: string; dtype: SafetensorsDType; shape: readonly number[]; bytes: Uint8Array }[] =
    [];
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') {
      throw new KiokuError(`${where}: '${name}' is reserved and cannot name a tensor`);
    }
    if (opts.float16 && t instanceof Tensor) {
      entries.push({ name, dtype: 'F16', shape: t.shape, bytes: halfBytes(where, name, t) });
      continue;
    }
    let dtype: SafetensorsDType;
    if (t instanceof Tensor) dtype = t.dtype === 'float64' ? 'F64' : 'F32';
    else if (t instanceof IntTensor) dtype = INT_TO_ST[t.dtype];
    else {
      throw new KiokuError(`${where}: tensor '${name}' must be a Tensor or IntTensor, got ${describe(t)}`);
    }
    const d = t.data;
    entries.push({
      name,
      dtype,
      shape: t.shape,
      bytes: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
    });
  }
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new KiokuError(`${where}: metadata must be an object of strings, got ${describe(metadata)}`);
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new KiokuError(`${where}: metadata '${k}' must be a string, got ${describe(v)}`);
      }
    }
  }
  // Widest first (stable), so 8-byte tensors sit at 8-byte offsets: readers can map them.
  entries.sort((a, b) => ITEM_SIZE[b.dtype] - ITEM_SIZE[a.dtype]);

  // The data section first, so that its checksum can go into the header.
  const total = entries.reduce((n, e) => n + e.bytes.length, 0);
  const data = new Uint8Array(total);
  const header: Record<string, unknown> = {};
  const meta: Record<string, string> = { ...(metadata ?? {}) };
  let offset = 0;
  for (const e of entries) {
    data.set(e.bytes, offset);
    if (!LITTLE_ENDIAN_HOST) swapBytes(data, offset, e.bytes.length, ITEM_SIZE[e.dtype]);
    offset += e.bytes.length;
  }
  if (opts.checksum) meta[CHECKSUM_KEY] = formatChecksum(crc32(data));
  if (Object.keys(meta).length > 0) header.__metadata__ = meta;
  offset = 0;
  for (const e of entries) {
    setOwn(header, e.name, {
      dtype: e.dtype,
      shape: [...e.shape],
      data_offsets: [offset, offset + e.bytes.length],
    });
    offset += e.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + total);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen); // pad with spaces (valid JSON whitespace)
  out.set(data, 8 + headerLen);
  return out;
}

/**
 * A float32 tensor's values as half bits (host byte order, like the other tensors' bytes:
 * the writer swaps them on a big-endian host). Rounds each float32 bit pattern directly, so
 * NaN payloads survive; refuses float64 tensors and finite values that would overflow.
 */
function halfBytes(where: string, name: string, t: Tensor): Uint8Array {
  const d = t.data;
  if (!(d instanceof Float32Array)) {
    throw new KiokuError(
      `${where}: tensor '${name}' is float64; float16 storage takes float32 tensors ` +
        `(rounding float64 → float32 → float16 is not one correct rounding): convert it to float32 first`,
    );
  }
  const bits = new Uint32Array(d.buffer, d.byteOffset, d.length); // the float32 bit patterns
  const half = new Uint16Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const h = float32BitsToHalf(bits[i]);
    if ((h & 0x7fff) === 0x7c00 && Number.isFinite(d[i])) {
      throw new KiokuError(
        `${where}: tensor '${name}' holds ${d[i]} at index ${i}, beyond float16's range (±65504): ` +
          `it would be stored as ${d[i] > 0 ? '' : '-'}Infinity; store this tensor as F32`,
      );
    }
    half[i] = h;
  }
  return new Uint8Array(half.buffer);
}

function formatChecksum(c: number): string {
  return `crc32:${c.toString(16).padStart(8, '0')}`;
}

/** `obj[key] = value` as an own property, also for the key `__proto__`. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Parse safetensors bytes, validating strictly as Hugging Face's reference implementation
 * does (see docs/loaders.md for the few deliberate differences): every problem is refused
 * with a message that says what is wrong, prefixed by `opts.context` (default
 * `decodeSafetensors`; the file loaders pass e.g. `loadSafetensors: model.safetensors`).
 * Refused: fewer than 8 bytes, a header size beyond the file or over 100 MB, a header
 * that is not UTF-8, does not start with `{` (a byte-order mark included) or is not JSON
 * (repeated keys, lone surrogates and nesting deeper than 64 included), `__metadata__`
 * that is not string→string, unknown dtypes, shapes or offsets that are not non-negative
 * integer literals (`2.0` is refused), shape × dtype size ≠ offset span, overlapping
 * tensors, holes between them, data past the end ("truncated: ..."), trailing bytes, and
 * a `kioku.crc32` checksum that does not match the data. Memory: the tensors are copied
 * once, so decoding needs about twice the input's size, never more.
 *
 * Tensors are copied out of `bytes`, so the input buffer may be reused afterwards; the
 * records list them in the order of their data in the file.
 */
export function decodeSafetensors(bytes: Uint8Array, opts: { context?: string } = {}): SafetensorsContents {
  const where = opts.context ?? 'decodeSafetensors';
  const fail = (msg: string): never => {
    throw new KiokuError(`${where}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 8) {
    fail(`not a safetensors file: ${bytes.length} bytes, expected at least 8 (the header size)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    // A plausible size followed by '{' is a real header cut short; anything else is not ours.
    const looksReal = n64 <= BigInt(MAX_HEADER_BYTES) && bytes[8] === 0x7b;
    fail(
      `${looksReal ? 'truncated' : 'not a safetensors file'}: header size ${n64} is larger than the file ` +
        `(${bytes.length - 8} bytes after the size)`,
    );
  }
  const headerLen = Number(n64);
  if (headerLen > MAX_HEADER_BYTES)
    fail(`header size ${headerLen} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);

  let text: string;
  try {
    // ignoreBOM: keep a byte-order mark in the text, so that it is refused as the reference does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      bytes.subarray(8, 8 + headerLen),
    );
  } catch {
    return fail('not a safetensors file: header is not valid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff) fail('not a safetensors file: header starts with a byte-order mark');
  if (text[0] !== '{') {
    fail(`not a safetensors file: header must start with "{", got ${JSON.stringify(text.slice(0, 1))}`);
  }
  const header = parseJson(text, `${where}: header`, {
    bom: 'refuse',
    checkNumber: (literal) => {
      // Shapes and offsets are integers (Rust usize): `2.0`, `1e3` and `-0` are not.
      // (Negative integers are refused below, with the field named.)
      if (!/^(0|-?[1-9][0-9]*)$/.test(literal)) {
        throw new KiokuError(`number ${literal} is not an integer literal`);
      }
    },
  });
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail(`header must be a JSON object, got ${Array.isArray(header) ? 'an array' : JSON.stringify(header)}`);
  }

  const metadata: Record<string, string> = {};
  const infos: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null) continue; // the reference reads `null` as no metadata
      if (typeof raw !== 'object' || Array.isArray(raw)) {
        fail(`__metadata__ must be an object of strings, got ${describe(raw)}`);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ '${k}' must be a string, got ${JSON.stringify(v)}`);
        setOwn(metadata, k, v as string);
      }
      continue;
    }
    const t = `tensor '${name}'`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      fail(`${t}: expected { dtype, shape, data_offsets }, got ${describe(raw)}`);
    }
    const info = raw as Record<string, unknown>;
    const dtype = info.dtype;
    if (typeof dtype !== 'string' || !(dtype in ITEM_SIZE)) {
      fail(`${t}: unknown dtype ${JSON.stringify(dtype)} (kioku reads ${KNOWN_DTYPES})`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${t}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const offs = info.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offs[0] > offs[1]
    ) {
      fail(`${t}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const dims = shape as number[];
    const need = sizeOf(dims) * ITEM_SIZE[dtype as SafetensorsDType];
    if (!Number.isSafeInteger(need) || need !== end - begin) {
      fail(
        `${t}: shape ${shapeToString(dims)} of ${dtype} needs ${need} bytes, ` +
          `but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    infos.push({ name, dtype: dtype as SafetensorsDType, shape: dims, begin, end });
  }

  // The tensors must tile the data buffer exactly: sorted by offset, each starts where the
  // previous one ended, and the last one ends at the end of the file.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + headerLen;
  const available = bytes.length - dataStart;
  let pos = 0;
  let prev: (typeof infos)[number] | undefined;
  for (const info of infos) {
    if (info.begin < pos && prev) {
      fail(
        `tensors '${prev.name}' [${prev.begin}, ${prev.end}] and '${info.name}' [${info.begin}, ${info.end}] overlap`,
      );
    }
    if (info.begin > pos) {
      fail(
        `hole of ${info.begin - pos} bytes in the data at [${pos}, ${info.begin}], before tensor '${info.name}'`,
      );
    }
    pos = info.end;
    prev = info;
  }
  if (pos > available) {
    const past = infos.find((i) => i.end > available)!;
    fail(
      `truncated: header says ${pos} bytes of data, file has ${available} ` +
        `(tensor '${past.name}' data_offsets [${past.begin}, ${past.end}] lie past the end)`,
    );
  }
  if (pos < available) {
    fail(
      `${available - pos} trailing bytes: header accounts for ${pos} bytes of data, file has ${available}`,
    );
  }

  const checksum = metadata[CHECKSUM_KEY];
  if (checksum !== undefined) {
    const actual = formatChecksum(crc32(bytes.subarray(dataStart)));
    if (checksum !== actual) {
      fail(
        `checksum mismatch: the header says ${checksum}, the data has ${actual} (the file is damaged: flipped or changed bytes)`,
      );
    }
  }

  const tensors: Record<string, Tensor> = {};
  const ints: Record<string, IntTensor> = {};
  const dtypes: Record<string, SafetensorsDType> = {};
  for (const info of infos) {
    const start = dataStart + info.begin;
    const count = (info.end - info.begin) / ITEM_SIZE[info.dtype];
    setOwn(dtypes, info.name, info.dtype);
    switch (info.dtype) {
      case 'F64':
        setOwn(tensors, info.name, new Tensor(copyOut(bytes, start, count, Float64Array), info.shape));
        break;
      case 'F32':
        setOwn(tensors, info.name, new Tensor(copyOut(bytes, start, count, Float32Array), info.shape));
        break;
      case 'F16':
      case 'BF16': {
        const widen = info.dtype === 'F16' ? halfToFloat : bfloat16ToFloat;
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++)
          out[i] = widen(bytes[start + 2 * i] | (bytes[start + 2 * i + 1] << 8));
        setOwn(tensors, info.name, new Tensor(out, info.shape));
        break;
      }
      case 'I64':
        setOwn(ints, info.name, new IntTensor(copyOut(bytes, start, count, BigInt64Array), info.shape));
        break;
      case 'I32':
        setOwn(ints, info.name, new IntTensor(copyOut(bytes, start, count, Int32Array), info.shape));
        break;
      case 'I16':
        setOwn(ints, info.name, new IntTensor(copyOut(bytes, start, count, Int16Array), info.shape));
        break;
      case 'I8':
        setOwn(ints, info.name, new IntTensor(copyOut(bytes, start, count, Int8Array), info.shape));
        break;
      case 'U8':
      case 'BOOL':
        setOwn(
          ints,
          info.name,
          new IntTensor(
            copyOut(bytes, start, count, Uint8Array),
            info.shape,
            info.dtype === 'BOOL' ? 'bool' : 'uint8',
          ),
        );
        break;
    }
  }
  return { tensors, ints, metadata, dtypes };
}

type TypedCtor<A> = { new (n: number): A; BYTES_PER_ELEMENT: number };

/** Copy `count` little-endian elements starting at byte `start` into a fresh typed array. */
function copyOut<A extends { buffer: ArrayBufferLike }>(
  bytes: Uint8Array,
  start: number,
  count: number,
  Ctor: TypedCtor<A>,
): A {
  const out = new Ctor(count);
  const size = Ctor.BYTES_PER_ELEMENT;
  const raw = new Uint8Array(out.buffer, 0, count * size);
  raw.set(bytes.subarray(start, start + count * size));
  if (!LITTLE_ENDIAN_HOST) swapBytes(raw, 0, raw.length, size);
  return out;
}

/** Reverse the byte order of each `size`-byte element in `a[start, start+len)`. */
function swapBytes(a: Uint8Array, start: number, len: number, size: number): void {
  if (size === 1) return;
  for (let i = start; i < start + len; i += size) a.subarray(i, i + size).reverse();
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') {
    const name = (v as object).constructor?.name;
    return name && name !== 'Object' ? name : 'an object';
  }
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/**
 * Refuse a model file whose config declares a different number of parameters than the
 * file stores, *before* the model is built: a 59 KB file whose config says
 * `layers: 2147483648` must not allocate gigabytes to find out. `countDeclared` is the
 * model's parameter count function; it only runs once every count-like field is at most
 * the number of stored tensors or elements, so it is cheap even for absurd configs.
 * Model loaders call this, then build the model, then `loadStateDict` checks each shape.
 *
 * ```ts
 * checkDeclaredSize('model.safetensors', ckpt.model, () => countParameters(config), { layers: config.layers });
 * ```
 */
export function checkDeclaredSize(
  where: string,
  stored: Record<string, Tensor>,
  countDeclared: () => number,
  counts: Record<string, number> = {},
): void {
  const names = Object.keys(stored);
  let total = 0;
  for (const n of names) total += stored[n].size;
  for (const [field, v] of Object.entries(counts)) {
    if (v > names.length) {
      throw new KiokuError(
        `${where}: config says ${field} = ${v}, but the file stores only ${names.length} tensors`,
      );
    }
  }
  const declared = countDeclared();
  if (declared !== total) {
    throw new KiokuError(
      `${where}: the config describes a model of ${declared} parameters, but the file stores ${total} ` +
        `(in ${names.length} tensors): the config and the weights do not belong together`,
    );
  }
}
