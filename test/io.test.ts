import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { KiokuError } from '../src/util/errors.js';
import { bfloat16ToFloat, halfToFloat } from '../src/io/float16.js';
import { decodeSafetensors, encodeSafetensors, IntTensor } from '../src/io/safetensors.js';
import { loadSafetensors, saveSafetensors } from '../src/node/safetensors-file.js';
import { writeFileAtomic } from '../src/node/atomic.js';
import {
  type Checkpoint,
  loadCheckpoint,
  type OptimizerState,
  saveCheckpoint,
} from '../src/node/checkpoint-file.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint-codec.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kioku-io-'));
}

/** Raw safetensors bytes from a header (object or literal text) and a data section. */
function rawFile(header: unknown, data: Uint8Array | number = 0, headerSize?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + bytes.length);
  new DataView(out.buffer).setBigUint64(0, headerSize ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes, 8 + json.length);
  return out;
}

function refuses(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KiokuError, `expected KiokuError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const f32 = (values: number[], shape: number[]) => Tensor.fromArray(values, shape, 'float32');
const f64 = (values: number[], shape: number[]) => Tensor.fromArray(values, shape, 'float64');

// ---------------------------------------------------------------- encode / decode

test('safetensors round trip: odd shapes, scalar, zero-size, f64, ints, metadata', () => {
  const tensors = {
    odd: f32([0.1, -2, 3.5, 4e-8, 5, -6], [2, 1, 3]),
    scalar: f32([-1.25], []),
    empty: f32([], [0, 3]),
    empty_f64: f64([], [4, 0]),
    wide: f64([1 / 3, Math.PI, -1e-300, 1e300, -0], [5]),
    ids: new IntTensor(new Int32Array([3, -1, 2147483647]), [3]),
    big: new IntTensor(new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n]), [2, 1]),
    mask: new IntTensor(new Uint8Array([1, 0, 1, 1]), [2, 2], 'bool'),
  };
  const metadata = { note: '記憶 memory', empty: '' };
  const bytes = encodeSafetensors(tensors, metadata);

  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLen % 8, 0, 'header padded to 8 bytes');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  assert.deepEqual(Object.keys(header), [
    '__metadata__',
    'empty_f64',
    'wide',
    'big',
    'odd',
    'scalar',
    'empty',
    'ids',
    'mask',
  ]);
  assert.deepEqual(header.wide, { dtype: 'F64', shape: [5], data_offsets: [0, 40] });
  assert.deepEqual(header.big, { dtype: 'I64', shape: [2, 1], data_offsets: [40, 56] });
  assert.deepEqual(header.odd, { dtype: 'F32', shape: [2, 1, 3], data_offsets: [56, 80] });
  assert.deepEqual(header.mask, { dtype: 'BOOL', shape: [2, 2], data_offsets: [96, 100] });
  assert.equal(bytes.length, 8 + headerLen + 100);

  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual(Object.keys(back.tensors).sort(), ['empty', 'empty_f64', 'odd', 'scalar', 'wide']);
  for (const name of ['odd', 'scalar', 'empty', 'empty_f64', 'wide'] as const) {
    const a = tensors[name];
    const b = back.tensors[name];
    assert.deepEqual(b.shape, a.shape, name);
    assert.equal(b.dtype, a.dtype, name);
    assert.deepEqual(b.data, a.data, name); // exact, -0 included
  }
  assert.ok(Object.is(back.tensors.wide.data[4], -0));
  assert.deepEqual(back.ints.ids.data, new Int32Array([3, -1, 2147483647]));
  assert.deepEqual(back.ints.big.data, new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n]));
  assert.deepEqual(back.ints.big.shape, [2, 1]);
  assert.equal(back.ints.mask.dtype, 'bool');
  assert.deepEqual(back.ints.mask.data, new Uint8Array([1, 0, 1, 1]));
  assert.equal(back.dtypes.odd, 'F32');
  assert.equal(back.dtypes.wide, 'F64');
  assert.equal(back.dtypes.big, 'I64');
});

test('safetensors: tensors that are views into a larger buffer are written from their own bytes', () => {
  const flat = new Float32Array([9, 9, 1, 2, 3, 4, 9]);
  const view = new Tensor(flat.subarray(2, 6), [2, 2]);
  const back = decodeSafetensors(encodeSafetensors({ w: view }));
  assert.deepEqual(Array.from(back.tensors.w.data), [1, 2, 3, 4]);
  // decoding from a Uint8Array that is itself a view at an odd offset
  const bytes = encodeSafetensors({ w: view });
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  assert.deepEqual(Array.from(decodeSafetensors(shifted.subarray(3)).tensors.w.data), [1, 2, 3, 4]);
});

test('safetensors: no tensors and no metadata is a valid (empty) file', () => {
  const bytes = encodeSafetensors({});
  assert.equal(bytes.length, 8 + 8); // "{}" padded to 8
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.tensors, {});
  assert.deepEqual(back.metadata, {});
});

test('encodeSafetensors refuses reserved names, non-tensors and non-string metadata', () => {
  refuses(
    () => encodeSafetensors({ __metadata__: f32([1], [1]) }),
    "encodeSafetensors: '__metadata__' is reserved and cannot name a tensor",
  );
  refuses(
    () => encodeSafetensors({ w: [1, 2] as unknown as Tensor }),
    "encodeSafetensors: tensor 'w' must be a Tensor or IntTensor, got an array",
  );
  refuses(
    () => encodeSafetensors({}, { n: 3 as unknown as string }),
    "encodeSafetensors: metadata 'n' must be a string, got 3",
  );
});

test('IntTensor checks its shape and array type', () => {
  refuses(
    () => new IntTensor(new Int32Array(3), [2, 2]),
    'IntTensor: data has 3 elements but shape [2, 2] needs 4',
  );
  refuses(
    () => new IntTensor(new Int32Array(2), [2], 'bool'),
    'IntTensor: dtype bool needs a matching array, got Int32Array',
  );
});

test('decodeSafetensors refuses a file shorter than 8 bytes', () => {
  refuses(
    () => decodeSafetensors(new Uint8Array(5)),
    'decodeSafetensors: not a safetensors file: 5 bytes, expected at least 8 (the header size)',
  );
});

test('decodeSafetensors refuses a header size larger than the file', () => {
  // garbage: a text file read as safetensors
  const text = new TextEncoder().encode('hello world, this is not a tensor file');
  refuses(
    () => decodeSafetensors(text),
    /^decodeSafetensors: not a safetensors file: header size 8031924123371070824 is larger than the file \(30 bytes after the size\)$/,
  );
  // a real header cut short
  const cut = encodeSafetensors({ w: f32([1, 2], [2]) }).subarray(0, 20);
  refuses(
    () => decodeSafetensors(cut),
    /^decodeSafetensors: truncated: header size \d+ is larger than the file \(12 bytes after the size\)$/,
  );
});

test('decodeSafetensors refuses a header that is not UTF-8 JSON object', () => {
  refuses(() => decodeSafetensors(rawFile('{"w": ')), /^decodeSafetensors: header: not valid JSON: /);
  const bad = rawFile('{"w":1}');
  bad[9] = 0xff;
  refuses(
    () => decodeSafetensors(bad),
    'decodeSafetensors: not a safetensors file: header is not valid UTF-8',
  );
  refuses(
    () => decodeSafetensors(rawFile('[1, 2]')),
    'decodeSafetensors: not a safetensors file: header must start with "{", got "["',
  );
  refuses(
    () => decodeSafetensors(rawFile('7')),
    'decodeSafetensors: not a safetensors file: header must start with "{", got "7"',
  );
});

test('decodeSafetensors refuses an unknown dtype', () => {
  const file = rawFile({ w: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, 2);
  refuses(
    () => decodeSafetensors(file),
    'decodeSafetensors: tensor \'w\': unknown dtype "F8_E4M3" (kioku reads F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)',
  );
});

test('decodeSafetensors refuses malformed entries, shapes and offsets', () => {
  refuses(
    () => decodeSafetensors(rawFile({ w: [1] })),
    "decodeSafetensors: tensor 'w': expected { dtype, shape, data_offsets }, got an array",
  );
  refuses(
    () => decodeSafetensors(rawFile({ w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 0] } })),
    "decodeSafetensors: tensor 'w': shape must be an array of non-negative integers, got [2,-1]",
  );
  refuses(
    () => decodeSafetensors(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4)),
    "decodeSafetensors: tensor 'w': data_offsets must be [begin, end] with 0 <= begin <= end, got [4,0]",
  );
  refuses(
    () => decodeSafetensors(rawFile({ __metadata__: { a: 1 } })),
    "decodeSafetensors: __metadata__ 'a' must be a string, got 1",
  );
  // As in the reference implementation, `__proto__` is an ordinary tensor name (an own key).
  const proto = decodeSafetensors(
    rawFile('{"__proto__": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}', 4),
  );
  assert.deepEqual(Object.keys(proto.tensors), ['__proto__']);
  assert.equal(Object.getPrototypeOf(proto.tensors), Object.prototype);
});

test('decodeSafetensors refuses shape × dtype size that differs from the offset span', () => {
  const file = rawFile({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20);
  refuses(
    () => decodeSafetensors(file),
    "decodeSafetensors: tensor 'w': shape [2, 3] of F32 needs 24 bytes, but data_offsets [0, 20] span 20",
  );
});

test('decodeSafetensors refuses overlapping tensors and holes', () => {
  const overlap = rawFile(
    {
      a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
      b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
    },
    16,
  );
  refuses(() => decodeSafetensors(overlap), "decodeSafetensors: tensors 'a' [0, 16] and 'b' [8, 16] overlap");
  const hole = rawFile(
    {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] },
    },
    20,
  );
  refuses(
    () => decodeSafetensors(hole),
    "decodeSafetensors: hole of 4 bytes in the data at [8, 12], before tensor 'b'",
  );
  const leading = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8);
  refuses(
    () => decodeSafetensors(leading),
    "decodeSafetensors: hole of 4 bytes in the data at [0, 4], before tensor 'a'",
  );
});

test('decodeSafetensors refuses offsets past the end (truncated) and trailing bytes', () => {
  const full = encodeSafetensors({ a: f32([1, 2], [2]), b: f32([3, 4, 5], [3]) });
  refuses(
    () => decodeSafetensors(full.subarray(0, full.length - 4)),
    "decodeSafetensors: truncated: header says 20 bytes of data, file has 16 (tensor 'b' data_offsets [8, 20] lie past the end)",
  );
  const longer = new Uint8Array(full.length + 3);
  longer.set(full);
  refuses(
    () => decodeSafetensors(longer),
    'decodeSafetensors: 3 trailing bytes: header accounts for 20 bytes of data, file has 23',
  );
});

test('decodeSafetensors refuses a tensor named twice', () => {
  const text =
    '{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "v": {"dtype": "F32", "shape": [], ' +
    '"data_offsets": [4, 8]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}';
  refuses(
    () => decodeSafetensors(rawFile(text, 8)),
    'decodeSafetensors: header: not valid JSON: key "w" repeated in one object at line 1, column 123',
  );
  // keys in nested objects, escapes and strings with braces do not confuse the scanner
  const tricky =
    '{"__metadata__": {"x": "}{\\"w\\":", "w": "1"}, "w\\"": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},' +
    ' "w": {"dtype": "F32", "shape": [], "data_offsets": [4, 8]}}';
  const ok = decodeSafetensors(rawFile(tricky, 8));
  assert.deepEqual(Object.keys(ok.tensors), ['w"', 'w']);
  assert.deepEqual(ok.metadata, { x: '}{"w":', w: '1' });
});

test('halfToFloat and bfloat16ToFloat: exact values, specials', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc100), -2.5);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0400), 2 ** -14); // smallest normal
  assert.equal(halfToFloat(0x0001), 2 ** -24); // smallest subnormal
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.equal(halfToFloat(0xfc00), -Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.ok(Object.is(halfToFloat(0x8000), -0));
  assert.equal(bfloat16ToFloat(0x3f80), 1);
  assert.equal(bfloat16ToFloat(0xc020), -2.5);
  assert.equal(bfloat16ToFloat(0x0001), 2 ** -133);
  assert.equal(bfloat16ToFloat(0x7f80), Infinity);
  assert.ok(Object.is(bfloat16ToFloat(0x8000), -0));
});

// ---------------------------------------------------------------- files

test('saveSafetensors / loadSafetensors round trip and name the file in errors', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'w.safetensors');
    saveSafetensors(path, { w: f32([1, 2, 3, 4, 5, 6], [3, 2]) }, { who: 'test' });
    const back = loadSafetensors(path);
    assert.deepEqual(Array.from(back.tensors.w.data), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(back.metadata, { who: 'test' });
    assert.deepEqual(readdirSync(dir), ['w.safetensors']);

    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, new Uint8Array(3));
    refuses(
      () => loadSafetensors(bad),
      `loadSafetensors: ${bad}: not a safetensors file: 3 bytes, expected at least 8 (the header size)`,
    );
    const missing = join(dir, 'missing.safetensors');
    refuses(
      () => loadSafetensors(missing),
      `loadSafetensors: cannot read ${missing}: no such file or folder`,
    );
    refuses(
      () => loadSafetensors(dir),
      `loadSafetensors: cannot read ${dir}: it is a folder, expected a file`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic writes, replaces and leaves no temp files', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'data.bin');
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual(new Uint8Array(readFileSync(path)), new Uint8Array([1, 2, 3]));
    writeFileAtomic(path, new Uint8Array([4, 5]));
    assert.deepEqual(new Uint8Array(readFileSync(path)), new Uint8Array([4, 5]));
    writeFileAtomic(path, new Uint8Array(0));
    assert.equal(readFileSync(path).length, 0);
    assert.deepEqual(readdirSync(dir), ['data.bin']);
    writeFileAtomic(join(dir, 'new', 'sub', 'dir.bin'), new Uint8Array(1)); // parents are created
    refuses(
      () => writeFileAtomic(join(path, 'under-a-file.bin'), new Uint8Array(1)),
      /^cannot write .*data\.bin: .*data\.bin is a file, not a folder$/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic: a write interrupted before the rename leaves the old file intact', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'model.safetensors');
    writeFileAtomic(path, new Uint8Array([7, 7, 7]));
    let tempSeen = '';
    assert.throws(
      () =>
        writeFileAtomic(path, new Uint8Array([1, 2, 3, 4]), {
          beforeRename: (temp) => {
            tempSeen = temp;
            // the new bytes are complete in the temp file, beside the target
            assert.deepEqual(new Uint8Array(readFileSync(temp)), new Uint8Array([1, 2, 3, 4]));
            assert.equal(dirname(temp), dir);
            throw new Error('simulated crash');
          },
        }),
      /simulated crash/,
    );
    assert.match(tempSeen, /\.model\.safetensors\.\d+\.\d+\.tmp$/);
    assert.deepEqual(new Uint8Array(readFileSync(path)), new Uint8Array([7, 7, 7]));
    assert.deepEqual(readdirSync(dir), ['model.safetensors'], 'temp file removed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic: a process killed before the rename leaves the old file intact', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'ckpt.safetensors');
    writeFileAtomic(path, new Uint8Array([7, 7, 7]));
    const script =
      `import { writeFileAtomic } from ${JSON.stringify(join(ROOT, 'src/node/atomic.ts'))};` +
      `writeFileAtomic(${JSON.stringify(path)}, new Uint8Array(1 << 16).fill(1), ` +
      `{ beforeRename: () => process.kill(process.pid, 'SIGKILL') });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
    });
    assert.equal(r.signal, 'SIGKILL', `child should die by SIGKILL: ${r.stderr}`);
    assert.deepEqual(new Uint8Array(readFileSync(path)), new Uint8Array([7, 7, 7]));
    const stale = readdirSync(dir).filter((f) => f !== 'ckpt.safetensors');
    assert.equal(stale.length, 1, 'the killed write leaves only its temp file');
    assert.match(stale[0], /^\.ckpt\.safetensors\.\d+\.0\.tmp$/);
    assert.equal(readFileSync(join(dir, stale[0])).length, 1 << 16);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- checkpoints

function sampleCheckpoint(): Checkpoint {
  const rng = new Rng(7);
  for (let i = 0; i < 5; i++) rng.normal(); // leaves a spare normal in the state
  const optimizer: OptimizerState = {
    kind: 'adam',
    step: 12,
    lr: 0.002,
    options: { beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: Infinity, decay: -Infinity, weird: NaN },
    buffers: {
      m: new Float32Array([0.5, -0.25, 1e-7]),
      v: new Float32Array([1, 2, 3]),
      ema: new Float64Array([1 / 3]),
    },
  };
  return {
    config: { model: 'lstm', hidden: 8, layers: [1, 2], name: 'char-lm', nested: { ok: true, none: null } },
    model: {
      weight_ih_l0: f32([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [4, 2]),
      bias_ih_l0: f32([1, -1, 0, 2], [4]),
      'head.weight': f64([1 / 7, -2 / 7], [1, 2]),
      empty: f32([], [0]),
    },
    optimizer,
    step: 1234,
    rng: rng.getState(),
    extra: { vocab: ['a', 'b', '記', '\n'], position: { epoch: 2, batch: 17 } },
  };
}

test('checkpoint round trip: weights, optimizer (non-finite options kept), step, rng, extra', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'ckpt.safetensors');
    const ckpt = sampleCheckpoint();
    saveCheckpoint(path, ckpt);
    assert.deepEqual(readdirSync(dir), ['ckpt.safetensors']);
    const back = loadCheckpoint(path);
    assert.deepEqual(back, ckpt);
    assert.equal(back.model['head.weight'].dtype, 'float64');
    assert.ok(back.optimizer!.buffers.ema instanceof Float64Array);
    assert.equal(back.optimizer!.options.clip, Infinity);
    assert.ok(Number.isNaN(back.optimizer!.options.weird));

    // the restored rng continues exactly where the saved one was
    const a = new Rng(0);
    a.setState(ckpt.rng!);
    const b = new Rng(0);
    b.setState(back.rng!);
    assert.deepEqual([a.normal(), a.normal(), a.uniform()], [b.normal(), b.normal(), b.uniform()]);

    // layout: plain safetensors any reader understands
    const raw = loadSafetensors(path);
    assert.deepEqual(Object.keys(raw.tensors).sort(), [
      'model.bias_ih_l0',
      'model.empty',
      'model.head.weight',
      'model.weight_ih_l0',
      'optim.ema',
      'optim.m',
      'optim.v',
    ]);
    assert.equal(raw.metadata.format, 'kioku-checkpoint');
    assert.equal(raw.metadata.version, '1');
    assert.equal(raw.metadata.step, '1234');
    assert.deepEqual(JSON.parse(raw.metadata.optimizer), {
      kind: 'adam',
      step: 12,
      lr: 0.002,
      options: {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        clip: { $kioku_number: 'Infinity' },
        decay: { $kioku_number: '-Infinity' },
        weird: { $kioku_number: 'NaN' },
      },
    });

    // saving again replaces the checkpoint atomically
    saveCheckpoint(path, { ...ckpt, step: 1235 });
    assert.equal(loadCheckpoint(path).step, 1235);
    assert.deepEqual(readdirSync(dir), ['ckpt.safetensors']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoint with only config, model and step', () => {
  const ckpt = decodeCheckpoint(encodeCheckpoint({ config: null, model: {}, step: 0 }));
  assert.deepEqual(ckpt, { config: null, model: {}, step: 0 });
  assert.equal('optimizer' in ckpt, false);
  assert.equal('rng' in ckpt, false);
  assert.equal('extra' in ckpt, false);
});

test('loadCheckpoint refuses a file that is not safetensors, naming the reason', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'just some text, not a checkpoint');
    refuses(
      () => loadCheckpoint(path),
      new RegExp(
        `^loadCheckpoint: ${escape(path)}: not a safetensors file: header size \\d+ is larger than the file`,
      ),
    );
    refuses(
      () => loadCheckpoint(join(dir, 'nope')),
      `loadCheckpoint: cannot read ${join(dir, 'nope')}: no such file or folder`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadCheckpoint refuses a foreign safetensors file and an unsupported version', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'weights.safetensors');
    saveSafetensors(path, { w: f32([1], [1]) });
    refuses(
      () => loadCheckpoint(path),
      `loadCheckpoint: ${path}: foreign file: no kioku-checkpoint metadata`,
    );
    saveSafetensors(path, { w: f32([1], [1]) }, { format: 'pt' });
    refuses(
      () => loadCheckpoint(path),
      `loadCheckpoint: ${path}: foreign file: format is "pt", expected "kioku-checkpoint"`,
    );
    saveSafetensors(path, {}, { format: 'kioku-checkpoint', version: '2', config: '{}', step: '0' });
    refuses(
      () => loadCheckpoint(path),
      `loadCheckpoint: ${path}: unsupported checkpoint version "2" (this kioku reads version 1)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadCheckpoint refuses a truncated file', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, sampleCheckpoint());
    const full = readFileSync(path);
    const headerLen = Number(full.readBigUInt64LE(0));
    const dataLen = full.length - 8 - headerLen;
    writeFileSync(path, full.subarray(0, full.length - 10));
    refuses(
      () => loadCheckpoint(path),
      new RegExp(
        `^loadCheckpoint: ${escape(path)}: truncated: header says ${dataLen} bytes of data, file has ${dataLen - 10} `,
      ),
    );
    writeFileSync(path, full.subarray(0, 100)); // cut inside the header
    refuses(
      () => loadCheckpoint(path),
      `loadCheckpoint: ${path}: truncated: header size ${headerLen} is larger than the file (92 bytes after the size)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decodeCheckpoint refuses missing or malformed fields and stray tensors', () => {
  const meta = (m: Record<string, string>) => ({ format: 'kioku-checkpoint', version: '1', ...m });
  refuses(
    () => decodeCheckpoint(encodeSafetensors({}, meta({ step: '1' }))),
    "decodeCheckpoint: checkpoint metadata is missing 'config'",
  );
  refuses(
    () => decodeCheckpoint(encodeSafetensors({}, meta({ config: '{}', step: '-3' }))),
    'decodeCheckpoint: metadata \'step\' must be a non-negative integer, got "-3"',
  );
  refuses(
    () => decodeCheckpoint(encodeSafetensors({}, meta({ config: '{oops', step: '1' }))),
    /^decodeCheckpoint: metadata 'config': not valid JSON: /,
  );
  refuses(
    () => decodeCheckpoint(encodeSafetensors({ w: f32([1], [1]) }, meta({ config: '{}', step: '1' }))),
    "decodeCheckpoint: unexpected tensor 'w' (checkpoint tensors are named model.* or optim.*)",
  );
  refuses(
    () =>
      decodeCheckpoint(encodeSafetensors({ 'optim.m': f32([1], [1]) }, meta({ config: '{}', step: '1' }))),
    "decodeCheckpoint: optimizer buffers present but metadata 'optimizer' is missing",
  );
  refuses(
    () =>
      decodeCheckpoint(
        encodeSafetensors(
          {},
          meta({ config: '{}', step: '1', optimizer: '{"kind":"sgd","step":1,"options":{}}' }),
        ),
      ),
    'decodeCheckpoint: optimizer.lr must be a number, got undefined',
  );
  refuses(
    () => decodeCheckpoint(encodeSafetensors({}, meta({ config: '{}', step: '1', rng: '{"s":[1,2,3]}' }))),
    'decodeCheckpoint: rng must be { s: [4 uint32], spare: number | null }, got {"s":[1,2,3]}',
  );
});

test('saveCheckpoint refuses a bad step, config or optimizer before touching the file', () => {
  const base = { config: {}, model: {}, step: 1 };
  refuses(
    () => encodeCheckpoint({ ...base, step: -1 }),
    'encodeCheckpoint: step must be a non-negative integer, got -1',
  );
  refuses(
    () => encodeCheckpoint({ ...base, step: 1.5 }),
    'encodeCheckpoint: step must be a non-negative integer, got 1.5',
  );
  refuses(
    () => encodeCheckpoint({ ...base, config: undefined }),
    'encodeCheckpoint: config must be a JSON value, got undefined',
  );
  refuses(
    () => encodeCheckpoint({ ...base, config: { n: 1n } }),
    /^encodeCheckpoint: config cannot be written as JSON: .*BigInt/,
  );
  const optimizer = {
    kind: 'sgd',
    step: 0,
    lr: 0.1,
    options: {},
    buffers: { m: [1, 2] as unknown as Float32Array },
  };
  refuses(
    () => encodeCheckpoint({ ...base, optimizer }),
    "encodeCheckpoint: optimizer buffer 'm' must be a Float32Array or Float64Array",
  );
  const dir = tempDir();
  try {
    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, { ...base, step: 5 });
    assert.throws(() => saveCheckpoint(path, { ...base, step: -5 }), KiokuError);
    assert.equal(loadCheckpoint(path).step, 5);
    assert.deepEqual(readdirSync(dir), ['ckpt.safetensors']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- PyTorch fixtures

interface FixtureTensor {
  dtype: string;
  shape: number[];
  sha256: string;
  values: (number | string)[];
  sum?: number | null;
}
interface Fixtures {
  files: Record<string, { metadata: Record<string, string>; tensors: Record<string, FixtureTensor> }>;
}
const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'io_fixtures.json'), 'utf8')) as Fixtures;

function expectedFloat(v: number | string): number {
  return v === '-0' ? -0 : typeof v === 'string' ? Number(v) : v; // "NaN", "Infinity", "-Infinity"
}

function sha256(a: ArrayBufferView): string {
  return createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');
}

test('PyTorch fixtures: every tensor read with the exact dtype, shape and values', () => {
  assert.deepEqual(Object.keys(fixtures.files).sort(), [
    'io_dtypes.safetensors',
    'io_embedding.safetensors',
    'io_gru.safetensors',
    'io_linear.safetensors',
    'io_lstm.safetensors',
    'io_rnn.safetensors',
  ]);
  let checked = 0;
  for (const [file, fx] of Object.entries(fixtures.files)) {
    const got = loadSafetensors(join(FIXTURES, file));
    assert.deepEqual(got.metadata, fx.metadata, file);
    const names = [...Object.keys(got.tensors), ...Object.keys(got.ints)];
    assert.deepEqual(names.sort(), Object.keys(fx.tensors).sort(), file);
    for (const [name, want] of Object.entries(fx.tensors)) {
      const where = `${file}: ${name}`;
      assert.equal(got.dtypes[name], want.dtype, where);
      if (want.dtype.startsWith('F') || want.dtype === 'BF16') {
        const t = got.tensors[name];
        assert.deepEqual(t.shape, want.shape, where);
        assert.equal(t.dtype, want.dtype === 'F64' ? 'float64' : 'float32', where);
        for (let i = 0; i < want.values.length; i++) {
          assert.ok(
            Object.is(t.data[i], expectedFloat(want.values[i])),
            `${where}[${i}]: ${t.data[i]} vs ${want.values[i]}`,
          );
        }
        if (want.dtype === 'F32' || want.dtype === 'F64')
          assert.equal(sha256(t.data), want.sha256, `${where} sha256`);
        if (typeof want.sum === 'number') {
          let s = 0;
          for (const v of t.data) s += v;
          assert.ok(
            Math.abs(s - want.sum) <= 1e-12 * Math.max(1, Math.abs(want.sum)),
            `${where} sum ${s} vs ${want.sum}`,
          );
        }
      } else {
        const t = got.ints[name];
        assert.deepEqual(t.shape, want.shape, where);
        const values = Array.from(t.data as ArrayLike<number | bigint>, (v) =>
          typeof v === 'bigint' ? String(v) : v,
        );
        assert.deepEqual(values, want.values, where);
        assert.equal(sha256(t.data), want.sha256, `${where} sha256`);
      }
      checked++;
    }
  }
  assert.equal(checked, 16 + 4 + 8 + 2 + 1 + 12);
});

test('PyTorch fixtures: the LSTM state_dict has PyTorch names and shapes', () => {
  const { tensors } = loadSafetensors(join(FIXTURES, 'io_lstm.safetensors'));
  const H = 4;
  const shapes = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]));
  const want: Record<string, number[]> = {};
  for (const l of [0, 1]) {
    for (const suffix of ['', '_reverse']) {
      want[`weight_ih_l${l}${suffix}`] = [4 * H, l === 0 ? 3 : 2 * H];
      want[`weight_hh_l${l}${suffix}`] = [4 * H, H];
      want[`bias_ih_l${l}${suffix}`] = [4 * H];
      want[`bias_hh_l${l}${suffix}`] = [4 * H];
    }
  }
  assert.deepEqual(shapes, want);
});

test("kioku's writer reproduces the PyTorch-side files byte for byte", () => {
  for (const file of Object.keys(fixtures.files)) {
    if (file === 'io_dtypes.safetensors') continue; // F16/BF16 are widened on read, so not re-encodable as is
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, file)));
    const { tensors, metadata } = decodeSafetensors(bytes);
    assert.deepEqual(encodeSafetensors(tensors, metadata), bytes, file);
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
