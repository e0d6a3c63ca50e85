/** Shared by the optim tests: the PyTorch fixture and parameter builders. */
import { readFileSync } from 'node:fs';
import { Parameter } from '../src/nn/module.js';
import { allocFloat, type DType, Tensor } from '../src/tensor/tensor.js';

export interface OptimCase {
  name: string;
  kind: string;
  options: Record<string, unknown>;
  clipMaxNorm: number | null;
  norms: number[];
  lrs: number[];
  trajectory: number[][][]; // [step][param][flat]
  schedule?: unknown;
}

export interface OptimFixture {
  torch: string;
  steps: number;
  shapes: number[][];
  init: number[][];
  grads: number[][][]; // [step][param][flat]
  initParamNorm: number;
  cases: OptimCase[];
  schedules: { name: string; json: unknown; lrs: number[] }[];
  clips: {
    grads: number[][];
    cases: {
      name: string;
      fn: 'norm' | 'value';
      maxNorm?: number;
      normType?: number | 'inf';
      clipValue?: number;
      returned: number | null;
      grads: number[][];
    }[];
  };
}

export const fixture: OptimFixture = JSON.parse(
  readFileSync(new URL('./fixtures/optim.json', import.meta.url), 'utf8'),
) as OptimFixture;

/** Fresh parameters holding the fixture's initial values (or `values`), zero gradients. */
export function makeParams(dtype: DType, values: number[][] = fixture.init): Parameter[] {
  return fixture.shapes.map((shape, i) => {
    const v = allocFloat(dtype, values[i].length);
    v.set(values[i]);
    return new Parameter(`p${i}`, new Tensor(v, shape), Tensor.zeros(shape, dtype));
  });
}

export function setGrads(params: Parameter[], grads: number[][]): void {
  params.forEach((p, i) => p.grad.data.set(grads[i]));
}

/** Largest |a − b| over all parameters' values vs expected flat arrays. */
export function maxDiff(params: Parameter[], expected: number[][]): number {
  let m = 0;
  params.forEach((p, i) => {
    const a = p.value.data;
    for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j] - expected[i][j]));
  });
  return m;
}

export function maxDiffArrays(a: ArrayLike<number>[], b: number[][]): number {
  let m = 0;
  a.forEach((x, i) => {
    for (let j = 0; j < x.length; j++) m = Math.max(m, Math.abs(x[j] - b[i][j]));
  });
  return m;
}
