// Tier 2 for the memory wing: parity with an independent PyTorch implementation of the same
// equations (scripts/fixtures_memory.py → test/fixtures/memory.json), float64: logits, every
// step's weightings and memory, and the gradient of every parameter. Prints max abs diffs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../src/tensor/tensor.js';
import { DNC } from '../src/wings/memory/dnc.js';
import { NTM } from '../src/wings/memory/ntm.js';
import { backendsUnderTest } from './helpers/backends.js';
import { maxAbsDiff } from './helpers/gradcheck.js';

const TOL = 1e-9;
const file = fileURLToPath(new URL('./fixtures/memory.json', import.meta.url));

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  model: 'ntm' | 'dnc';
  config: Record<string, number>;
  params: Record<string, Arr>;
  x: number[];
  proj: number[];
  logits: number[];
  views: Record<string, Arr>;
  grads: Record<string, number[]>;
}
const fixture = JSON.parse(readFileSync(file, 'utf8')) as { torch: string; cases: Case[] };

function check(label: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  const d = maxAbsDiff(got, want);
  console.log(`  ${label}: max abs diff ${d.toExponential(2)}`);
  assert.ok(d < TOL, `${label}: ${d} ≥ ${TOL}`);
}

/** Row b of a fixture array [T, B, ...rest] as one flat list over T. */
function rowOf(a: Arr, b: number): number[] {
  const [T, B] = a.shape;
  const rest = a.data.length / (T * B);
  const out: number[] = [];
  for (let t = 0; t < T; t++) out.push(...a.data.slice((t * B + b) * rest, (t * B + b + 1) * rest));
  return out;
}

function run(model: NTM | DNC, c: Case): void {
  const dict: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.params)) dict[k] = Tensor.fromArray(v.data, v.shape, 'float64');
  model.loadStateDict(dict);
  const { T, B, X } = c.config;
  const logits = model.forward(Tensor.fromArray(c.x, [T, B, X], 'float64'));
  check('logits', logits.data, c.logits);
  for (let b = 0; b < B; b++) {
    if (model instanceof NTM) {
      const tr = model.trace(b);
      // fixture weightings [T, B, heads, N]; trace [head][t][N]
      const heads = tr.weightings.length;
      const want = rowOf(c.views.weightings, b);
      const got: number[] = [];
      for (let t = 0; t < T; t++) for (let h = 0; h < heads; h++) got.push(...tr.weightings[h][t]);
      check(`row ${b} head weightings, every step`, got, want);
      check(
        `row ${b} memory, every step`,
        tr.memory.flatMap((m) => Array.from(m)),
        rowOf(c.views.memory, b),
      );
    } else {
      const tr = model.trace(b);
      check(`row ${b} write weightings`, tr.write.flat(), rowOf(c.views.write, b));
      const R = tr.read.length;
      const got: number[] = [];
      for (let t = 0; t < T; t++) for (let h = 0; h < R; h++) got.push(...tr.read[h][t]);
      check(`row ${b} read weightings`, got, rowOf(c.views.read, b));
      check(`row ${b} usage`, tr.usage.flat(), rowOf(c.views.usage, b));
      check(
        `row ${b} memory, every step`,
        tr.memory.flatMap((m) => Array.from(m)),
        rowOf(c.views.memory, b),
      );
    }
  }
  model.zeroGrad();
  model.backward(Tensor.fromArray(c.proj, logits.shape as number[], 'float64'));
  const grads = model.gradDict();
  assert.deepEqual(Object.keys(grads).sort(), Object.keys(c.grads).sort());
  for (const [k, want] of Object.entries(c.grads)) check(`∂L/∂${k}`, grads[k].data, want);
}

describe(`memory wing: parity with PyTorch ${fixture.torch} (float64, tolerance ${TOL})`, () => {
  for (const be of backendsUnderTest())
    for (const c of fixture.cases) {
      test(`${be.name} backend: ${c.model.toUpperCase()} ${JSON.stringify(c.config)}`, () => {
        be.use();
        const k = c.config;
        const model =
          c.model === 'ntm'
            ? new NTM({
                inputSize: k.X,
                outputSize: k.Y,
                hiddenSize: k.H,
                memorySlots: k.N,
                memoryWidth: k.M,
                readHeads: k.R,
                writeHeads: k.Wh,
                dtype: 'float64',
              })
            : new DNC({
                inputSize: k.X,
                outputSize: k.Y,
                hiddenSize: k.H,
                memorySlots: k.N,
                memoryWidth: k.W,
                readHeads: k.R,
                dtype: 'float64',
              });
        run(model, c);
      });
    }
});
