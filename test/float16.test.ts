// float32 → IEEE half rounding (src/io/float16.ts) and float16 storage of weights
// (encodeSafetensors / encodeCheckpoint `{ float16: true }`): every half bit pattern round
// trips; every tie between neighbouring halves goes to the even one; 5,040 float32 values
// (edges, random bit patterns, random values across the half range, random ties) round
// exactly as numpy's astype(np.float16) (test/fixtures/io_float16.json, written by
// scripts/fixtures_io.py; the suite itself never runs Python).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { float32BitsToHalf, floatToHalf, halfToFloat } from '../src/io/float16.js';
import { decodeSafetensors, encodeSafetensors, IntTensor } from '../src/io/safetensors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint-codec.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The float32 bit pattern of a number (rounded to float32). */
function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0];
}
/** The float32 with these bits. */
function fromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0];
}
const isNaNHalf = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

test('every one of the 65,536 half bit patterns survives half → float32 → half', () => {
  let nan = 0;
  for (let h = 0; h < 0x10000; h++) {
    const x = halfToFloat(h);
    if (Number.isNaN(x)) {
      nan++;
      assert.ok(isNaNHalf(floatToHalf(x)), `NaN ${h.toString(16)} stays NaN`);
      // On bits, the payload survives too: sign | exponent 0xff | the 10 payload bits on top.
      const bits = ((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13);
      assert.equal(float32BitsToHalf(bits), h);
      continue;
    }
    const back = floatToHalf(x);
    if (back !== h) assert.fail(`half 0x${h.toString(16)} = ${x} came back as 0x${back.toString(16)}`);
  }
  assert.equal(nan, 2 * 1023);
  assert.ok(Object.is(halfToFloat(floatToHalf(-0)), -0));
});

test('every tie between neighbouring halves goes to the even one; one float32 ulp off goes to the nearer', () => {
  let ties = 0;
  for (const sign of [0, 0x8000]) {
    for (let h = 0; h <= 0x7bff; h++) {
      const lo = Math.abs(halfToFloat(h));
      const hi = h === 0x7bff ? 65536 : halfToFloat(h + 1); // the "next half" past 65504 is 2^16 = Infinity
      const mid = (lo + hi) / 2; // exact in float32: halves carry 11 significant bits
      const s = sign ? -1 : 1;
      assert.equal(Math.fround(mid), mid);
      const even = (h & 1) === 0 ? h : h + 1;
      const got = floatToHalf(s * mid);
      if (got !== (sign | even))
        assert.fail(`tie ${s * mid} → 0x${got.toString(16)}, expected 0x${(sign | even).toString(16)}`);
      const below = fromBits(bitsOf(mid) - 1); // one float32 ulp towards lo
      const above = fromBits(bitsOf(mid) + 1);
      assert.equal(floatToHalf(s * below), sign | h, `just below the tie ${mid}`);
      assert.equal(floatToHalf(s * above), sign | (h + 1), `just above the tie ${mid}`);
      ties++;
    }
  }
  assert.equal(ties, 2 * 0x7c00);
  assert.equal(floatToHalf(65504), 0x7bff);
  assert.equal(floatToHalf(65519.99609375), 0x7bff);
  assert.equal(floatToHalf(65520), 0x7c00, '65520 rounds (to even) past the largest half: +Infinity');
  assert.equal(floatToHalf(-1e30), 0xfc00);
  assert.equal(floatToHalf(2 ** -25), 0, 'half the smallest subnormal: a tie, to the even 0');
  assert.equal(floatToHalf(-(2 ** -26)), 0x8000, 'the sign of a value rounded to zero is kept');
});

test('5,040 float32 values round exactly as numpy astype(np.float16) (fixtures)', () => {
  const fx = JSON.parse(
    readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'io_float16.json'), 'utf8'),
  ) as {
    numpy: string;
    pairs: [number, number][];
  };
  let mismatches = 0;
  let maxAbs = 0; // |ours − numpy's| as values, over the non-NaN results
  let maxRel = 0; // |half − x| / |x| over inputs in the normal half range: at most 2^-11
  let nans = 0;
  for (const [bits, want] of fx.pairs) {
    const got = float32BitsToHalf(bits);
    if (got !== want) mismatches++;
    if (isNaNHalf(want)) {
      nans++;
      continue;
    }
    const x = fromBits(bits);
    assert.equal(floatToHalf(x), want, 'floatToHalf(number) agrees with the bits path');
    // (±Infinity on both sides counts as no difference; Infinity − Infinity is NaN)
    const d = got === want ? 0 : Math.abs(halfToFloat(got) - halfToFloat(want));
    if (!(d <= maxAbs)) maxAbs = d;
    const ax = Math.abs(x);
    if (ax >= 2 ** -14 && ax <= 65504) maxRel = Math.max(maxRel, Math.abs(halfToFloat(got) - x) / ax);
  }
  console.log(
    `  ${fx.pairs.length} values (${nans} NaN) vs numpy ${fx.numpy}: ${mismatches} bit mismatches, ` +
      `max abs difference ${maxAbs}, max relative rounding error ${maxRel.toExponential(3)} (bound 2^-11 = ${(2 ** -11).toExponential(3)})`,
  );
  assert.equal(mismatches, 0);
  assert.equal(maxAbs, 0);
  assert.ok(maxRel <= 2 ** -11 && maxRel > 2 ** -12, `relative error ${maxRel}`);
});

test('float16 storage: F16 in the header, half the bytes, values come back rounded to half', () => {
  const rng = new Rng(7);
  const w = Tensor.fromArray(
    Array.from({ length: 1000 }, () => rng.normal() * 0.3),
    [10, 100],
  );
  const special = Tensor.fromArray([NaN, Infinity, -Infinity, -0, 1e-9, 65504], [6]);
  const ids = new IntTensor(new Int32Array([3, 1, 4]), [3]);
  const full = encodeSafetensors({ w, special, ids }, { note: 'x' }, { checksum: true });
  const half = encodeSafetensors({ w, special, ids }, { note: 'x' }, { checksum: true, float16: true });
  const back = decodeSafetensors(half);
  assert.deepEqual(back.dtypes, { w: 'F16', special: 'F16', ids: 'I32' });
  assert.deepEqual(back.metadata.note, 'x');
  assert.deepEqual(back.tensors.w.shape, [10, 100]);
  let maxDiff = 0;
  for (let i = 0; i < w.size; i++) {
    assert.equal(back.tensors.w.data[i], halfToFloat(floatToHalf(w.data[i])));
    maxDiff = Math.max(maxDiff, Math.abs(back.tensors.w.data[i] - w.data[i]));
  }
  const s = Array.from(back.tensors.special.data);
  assert.ok(Number.isNaN(s[0]));
  assert.deepEqual(s.slice(1, 3), [Infinity, -Infinity]);
  assert.ok(Object.is(s[3], -0));
  assert.deepEqual(s.slice(4), [0, 65504]); // 1e-9 is below half's smallest subnormal
  assert.deepEqual(back.ints.ids.data, new Int32Array([3, 1, 4]));
  console.log(
    `  1,000 N(0, 0.3²) weights: ${full.length} bytes as F32, ${half.length} as F16; max abs rounding difference ${maxDiff.toExponential(3)}`,
  );
  assert.ok(maxDiff <= 2 ** -11 * 2, 'weights below 2 round by at most half an ulp of 2^-10');
  assert.ok(half.length < 0.55 * full.length);
});

test('float16 storage refuses float64 tensors and values beyond ±65504, naming the tensor', () => {
  assert.throws(
    () => encodeSafetensors({ w: Tensor.fromArray([1], [1], 'float64') }, {}, { float16: true }),
    /tensor 'w' is float64; float16 storage takes float32 tensors/,
  );
  assert.throws(
    () => encodeSafetensors({ big: Tensor.fromArray([1, -70000], [2]) }, {}, { float16: true }),
    /tensor 'big' holds -70000 at index 1, beyond float16's range \(±65504\): it would be stored as -Infinity/,
  );
});

test('encodeCheckpoint { float16 }: weights as F16 that load as float32; optimizer state refused', () => {
  const model = { 'lstm.weight_ih_l0': Tensor.fromArray([0.1, -0.2, 1 / 3, 2], [2, 2]) };
  const bytes = encodeCheckpoint(
    { config: { hidden: 2 }, model, step: 5, extra: { vocab: ['a'] } },
    { float16: true },
  );
  assert.deepEqual(decodeSafetensors(bytes).dtypes, { 'model.lstm.weight_ih_l0': 'F16' });
  const ckpt = decodeCheckpoint(bytes);
  const got = ckpt.model['lstm.weight_ih_l0'];
  assert.ok(got.data instanceof Float32Array);
  assert.deepEqual(Array.from(got.data), [0.0999755859375, -0.199951171875, 0.333251953125, 2]);
  assert.deepEqual(ckpt.extra, { vocab: ['a'] });
  assert.equal(ckpt.step, 5);
  const optimizer = { kind: 'adam', step: 1, lr: 0.1, options: {}, buffers: { m: new Float32Array(4) } };
  assert.throws(
    () => encodeCheckpoint({ config: {}, model, step: 1, optimizer }, { float16: true }),
    /float16 storage is for weights shipped for inference, got optimizer state too/,
  );
});
