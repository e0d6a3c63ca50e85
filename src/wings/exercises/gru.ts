/**
 * Exercise `gru`: one GRU step (Cho et al. 2014) in PyTorch's formulation, checked against
 * kioku's `GRU` layer (float64):
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn)),  h_t = (1 − z) ∘ n + z ∘ h_{t−1}
 */
import { GRU } from '../../nn/gru.js';
import {
  asVector,
  attempt,
  type CheckItem,
  compareSteps,
  dot,
  type Exercise,
  exported,
  finiteDifferenceItem,
  type GateWeights,
  matrixProbes,
  randomSeq,
  randomVec,
  readGrads,
  readWeights,
  report,
  Rng,
  seqTensor,
  stateTensor,
  TOL_VALUE,
  toVector,
  tx,
  type Vector,
  writeWeights,
} from './common.js';

export interface GruSolution {
  gruStepForward(x: Vector, hPrev: Vector, p: GateWeights): Vector;
}

export function gruReference(): GruSolution {
  return {
    gruStepForward(x, hPrev, p) {
      const layer = new GRU({ inputSize: p.wih[0].length, hiddenSize: p.bih.length / 3, dtype: 'float64' });
      writeWeights(layer, p);
      return toVector(layer.forward(seqTensor([x]), { h0: stateTensor(hPrev) }).output);
    },
  };
}

function checkGru(s: GruSolution, seed: number, T: number, I: number, H: number): CheckItem[] {
  const rng = new Rng(seed);
  const layer = new GRU({ inputSize: I, hiddenSize: H, dtype: 'float64', seed });
  const p = readWeights(layer);
  const xs = randomSeq(rng, T, I);
  const h0 = randomVec(rng, H, 0.5);
  const dOut = randomSeq(rng, T, H);
  const ref = layer.forward(seqTensor(xs), { h0: stateTensor(h0) });
  const refH = Array.from({ length: T }, (_, t) => Array.from(ref.output.data.subarray(t * H, (t + 1) * H)));
  layer.zeroGrad();
  layer.backward(seqTensor(dOut));
  const g = readGrads(layer);
  const mine: Vector[] = [];
  let h = h0;
  for (let t = 0; t < T; t++) {
    h = asVector(s.gruStepForward(xs[t], h, p), H, `gruStepForward at t = ${t}`);
    mine.push(h);
  }
  const loss = (): number => {
    let st = h0;
    let L = 0;
    for (let t = 0; t < T; t++) {
      st = s.gruStepForward(xs[t], st, p);
      L += dot(dOut[t], st);
    }
    return L;
  };
  return [
    compareSteps(tx(`h_t (T = ${T}, H = ${H})`, `h_t（T = ${T}, H = ${H}）`), refH, mine, TOL_VALUE, (t, j) =>
      tx(`h_t at time step t = ${t}, unit ${j}`, `時刻 t = ${t} の h_t、ユニット ${j}`),
    ),
    finiteDifferenceItem(
      tx(
        'finite differences of your forward = kioku’s BPTT gradients',
        'あなたの順伝播の数値微分 = kioku の BPTT 勾配',
      ),
      loss,
      [
        ...matrixProbes('dWih', p.wih, g.wih, 1),
        ...matrixProbes('dWhh', p.whh, g.whh, 1),
        { name: 'dbhh', param: p.bhh, grad: g.bhh, index: 2 * H },
      ],
    ),
  ];
}

export const gruExercise: Exercise<GruSolution> = {
  name: 'gru',
  title: tx(
    'GRU cell: one step forward (reset and update gates)',
    'GRU セル: 1 ステップの順伝播（リセット・更新ゲート）',
  ),
  file: 'gru.ts',
  hints: [
    tx(
      'Keep the x-side and the h-side apart: xg = W_ih x + b_ih and hg = W_hh hPrev + b_hh, each [3H] in the order r, z, n.',
      'x 側と h 側を分けておきます: xg = W_ih x + b_ih、hg = W_hh hPrev + b_hh。どちらも [3H] で順序は r, z, n。',
    ),
    tx(
      'r = σ(xg_r + hg_r), z = σ(xg_z + hg_z); the reset gate multiplies only the h-side of n: n = tanh(xg_n + r ∘ hg_n).',
      'r = σ(xg_r + hg_r), z = σ(xg_z + hg_z)。リセットゲートは n の h 側だけに掛かります: n = tanh(xg_n + r ∘ hg_n)。',
    ),
    tx(
      'h = (1 − z) ∘ n + z ∘ hPrev (z close to 1 keeps the old state).',
      'h = (1 − z) ∘ n + z ∘ hPrev（z が 1 に近いと古い状態を保ちます）。',
    ),
  ],
  scaffold: () => GRU_SCAFFOLD,
  adopt: (mod, file) => ({
    gruStepForward: exported<GruSolution['gruStepForward']>(mod, 'gruStepForward', 3, file),
  }),
  reference: gruReference,
  async check(s) {
    return report('gru', [
      ...attempt(tx('GRU forward', 'GRU 順伝播'), () => checkGru(s, 51, 6, 3, 4)),
      ...attempt(tx('GRU forward, T = 1, H = 1', 'GRU 順伝播 T = 1, H = 1'), () => checkGru(s, 52, 1, 2, 1)),
    ]);
  },
};

const GRU_SCAFFOLD = `/**
 * kioku exercise: gru — one GRU step (Cho et al. 2014) as PyTorch's nn.GRU computes it.
 * Check: npx kioku exercise check gru
 *
 * Shapes: x [I], hPrev [H]; p.wih [3H][I], p.whh [3H][H], p.bih [3H], p.bhh [3H];
 * gate blocks (rows) in order r, z, n: [0,H) r, [H,2H) z, [2H,3H) n.
 *
 *   r_t = σ(W_ir x + b_ir + W_hr h_{t-1} + b_hr)              reset gate
 *   z_t = σ(W_iz x + b_iz + W_hz h_{t-1} + b_hz)              update gate
 *   n_t = tanh(W_in x + b_in + r_t ∘ (W_hn h_{t-1} + b_hn))   candidate
 *   h_t = (1 − z_t) ∘ n_t + z_t ∘ h_{t-1}
 *
 * Compared with LSTM: no cell state, two gates; 3 blocks of weights instead of 4.
 */
import type { GateWeights, Vector } from 'kioku';

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Σ_k m[r][k] v[k] for every row r. */
export function matVec(m: number[][], v: Vector): Vector {
  return m.map((row) => row.reduce((s, w, k) => s + w * v[k], 0));
}

export function gruStepForward(x: Vector, hPrev: Vector, p: GateWeights): Vector {
  // TODO: r, z, n as above, then h_t.
  throw new Error('TODO: gruStepForward');
}
`;
