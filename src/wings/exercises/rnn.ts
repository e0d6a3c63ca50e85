/**
 * Exercise `rnn`: one step of the simple (Elman) RNN forward, and its backward, run by a
 * prepared BPTT loop. The reference is kioku's `RNN` layer (float64).
 *
 *   forward:  h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
 *   backward: δ = ∂L/∂h_t ∘ act'(·);  ∂W_ih += δ x_tᵀ;  ∂W_hh += δ h_{t−1}ᵀ;  ∂b += δ;
 *             ∂L/∂h_{t−1} = W_hhᵀ δ
 *
 * Once it passes, the check runs the learner's BPTT with Xavier and He initialisation and
 * tanh and ReLU (the notes' "try" tasks) and prints how ‖∂L/∂h_t‖ changes with the distance
 * from the loss.
 */
import type { InitScheme } from '../../nn/init.js';
import { RNN } from '../../nn/rnn.js';
import {
  asVector,
  attempt,
  type CheckItem,
  compareNamed,
  compareSteps,
  dot,
  type Exercise,
  exported,
  finiteDifferenceItem,
  type GateWeights,
  gradRecord,
  matrixProbes,
  randomSeq,
  randomVec,
  readGrads,
  readWeights,
  report,
  Rng,
  rowsOf,
  seqTensor,
  stateTensor,
  type Text,
  TOL_GRAD,
  TOL_VALUE,
  toVector,
  tx,
  type Vector,
  writeWeights,
  addGrads,
  zeroGrads,
} from './common.js';

export type Activation = 'tanh' | 'relu';

/** What the learner's `rnn.ts` exports. */
export interface RnnSolution {
  rnnStepForward(x: Vector, hPrev: Vector, p: GateWeights, act: Activation): Vector;
  rnnStepBackward(
    dh: Vector,
    h: Vector,
    hPrev: Vector,
    x: Vector,
    p: GateWeights,
    act: Activation,
    grads: GateWeights,
  ): Vector;
}

/** The result of the prepared BPTT loop. */
export interface BpttResult {
  /** hs[t] = h_t for t = 0..T−1 (hs does not include h0). */
  hs: Vector[];
  /** dhs[t] = ∂L/∂h_t in total (from the output at t and from step t+1). */
  dhs: Vector[];
  dh0: Vector;
  grads: GateWeights;
}

/**
 * The prepared BPTT loop (the learner writes the two step functions): forward over t, then
 * backward from T−1 to 0, carrying ∂L/∂h_{t−1} into the step before. L = Σ_t dOut[t] · h_t.
 */
export function rnnBptt(
  s: RnnSolution,
  xs: Vector[],
  h0: Vector,
  p: GateWeights,
  act: Activation,
  dOut: Vector[],
): BpttResult {
  const H = h0.length;
  const hs: Vector[] = [];
  let h = h0;
  for (let t = 0; t < xs.length; t++) {
    h = asVector(s.rnnStepForward(xs[t], h, p, act), H, `rnnStepForward at t = ${t}`);
    hs.push(h);
  }
  const grads = zeroGrads(p);
  const dhs: Vector[] = new Array<Vector>(xs.length);
  let carry = new Array<number>(H).fill(0);
  for (let t = xs.length - 1; t >= 0; t--) {
    const dh = dOut[t].map((v, j) => v + carry[j]);
    dhs[t] = dh;
    const hPrev = t > 0 ? hs[t - 1] : h0;
    carry = asVector(
      s.rnnStepBackward(dh, hs[t], hPrev, xs[t], p, act, grads),
      H,
      `rnnStepBackward at t = ${t}`,
    );
  }
  return { hs, dhs, dh0: carry, grads };
}

function layerFor(p: GateWeights, act: Activation): RNN {
  const layer = new RNN({
    inputSize: p.wih[0].length,
    hiddenSize: p.bih.length,
    dtype: 'float64',
    nonlinearity: act,
  });
  writeWeights(layer, p);
  return layer;
}

/** The reference solution: each step is kioku's RNN layer run for one time step. */
export function rnnReference(): RnnSolution {
  return {
    rnnStepForward(x, hPrev, p, act) {
      return toVector(layerFor(p, act).forward(seqTensor([x]), { h0: stateTensor(hPrev) }).output);
    },
    rnnStepBackward(dh, _h, hPrev, x, p, act, grads) {
      const layer = layerFor(p, act);
      layer.forward(seqTensor([x]), { h0: stateTensor(hPrev) });
      const { dh0 } = layer.backward(seqTensor([dh]));
      addGrads(grads, readGrads(layer));
      return toVector(dh0);
    },
  };
}

/** ∂L/∂h_t in total for every t, from kioku's layer: the gradient of the suffix run started at h_t. */
function referenceCarries(layer: RNN, xs: Vector[], hs: Vector[], dOut: Vector[]): Vector[] {
  const T = xs.length;
  const out: Vector[] = [];
  for (let t = 0; t < T; t++) {
    if (t === T - 1) {
      out.push([...dOut[t]]);
      continue;
    }
    layer.forward(seqTensor(xs.slice(t + 1)), { h0: stateTensor(hs[t]) });
    const { dh0 } = layer.backward(seqTensor(dOut.slice(t + 1)));
    out.push(dOut[t].map((v, j) => v + dh0.data[j]));
  }
  layer.zeroGrad();
  return out;
}

const stepLabel =
  (what: string, whatJa: string) =>
  (t: number, j: number): Text =>
    tx(`${what} at time step t = ${t}, unit ${j}`, `時刻 t = ${t} の ${whatJa}、ユニット ${j}`);

function checkOne(s: RnnSolution, act: Activation, seed: number): CheckItem[] {
  const rng = new Rng(seed);
  const I = 3;
  const H = 5;
  const T = 6;
  const layer = new RNN({ inputSize: I, hiddenSize: H, dtype: 'float64', seed, nonlinearity: act });
  const p = readWeights(layer);
  const xs = randomSeq(rng, T, I);
  const h0 = randomVec(rng, H, 0.5);
  const dOut = randomSeq(rng, T, H);
  // Reference: the whole sequence through kioku's layer.
  const ref = layer.forward(seqTensor(xs), { h0: stateTensor(h0) });
  const hsRef = rowsOf(ref.output);
  layer.zeroGrad();
  const refBack = layer.backward(seqTensor(dOut));
  const gRef = readGrads(layer);
  const dh0Ref = toVector(refBack.dh0);
  layer.zeroGrad();
  const carriesRef = referenceCarries(layer, xs, hsRef, dOut);
  const mine = rnnBptt(s, xs, h0, p, act, dOut);
  const tag = ` (${act})`;
  const items: CheckItem[] = [
    compareSteps(
      tx(`forward: h_t${tag}`, `順伝播: h_t${tag}`),
      hsRef,
      mine.hs,
      TOL_VALUE,
      stepLabel('h_t', 'h_t'),
    ),
    compareSteps(
      tx(`BPTT: ∂L/∂h_t, from t = T−1 back to 0${tag}`, `BPTT: ∂L/∂h_t（t = T−1 から 0 へ）${tag}`),
      carriesRef,
      mine.dhs,
      TOL_GRAD,
      stepLabel('∂L/∂h_t', '∂L/∂h_t'),
      [...Array(T).keys()].reverse(),
    ),
    compareNamed(
      tx(`BPTT: ∂L/∂h_0${tag}`, `BPTT: ∂L/∂h_0${tag}`),
      { dh0: dh0Ref },
      { dh0: mine.dh0 },
      TOL_GRAD,
    ),
    compareNamed(
      tx(`weight gradients${tag}`, `重みの勾配${tag}`),
      gradRecord(gRef),
      gradRecord(mine.grads),
      TOL_GRAD,
    ),
  ];
  // Float64 finite differences of the learner's own forward against the learner's backward.
  const loss = (): number => {
    let L = 0;
    let h = h0;
    for (let t = 0; t < T; t++) {
      h = s.rnnStepForward(xs[t], h, p, act);
      L += dot(dOut[t], h);
    }
    return L;
  };
  items.push(
    finiteDifferenceItem(
      tx(
        `finite differences of your forward = your gradients${tag}`,
        `あなたの順伝播の数値微分 = あなたの勾配${tag}`,
      ),
      loss,
      [
        ...matrixProbes('dWih', p.wih, mine.grads.wih, 1),
        ...matrixProbes('dWhh', p.whh, mine.grads.whh, 1),
        { name: 'dbih', param: p.bih, grad: mine.grads.bih, index: 0 },
        { name: 'dbhh', param: p.bhh, grad: mine.grads.bhh, index: H - 1 },
      ],
    ),
  );
  return items;
}

/**
 * The "try" table: ‖∂L/∂h_t‖ when the loss sits at the last step only, for Xavier/He
 * initialisation and tanh/ReLU, computed with the learner's own BPTT.
 */
export function gradientNormTable(
  s: RnnSolution,
  T = 40,
  H = 32,
): { variant: string; norms: number[]; at: number[] }[] {
  const I = 4;
  const at = [T - 1, T - 11, T - 21, 0];
  const rows: { variant: string; norms: number[]; at: number[] }[] = [];
  const inits: InitScheme[] = ['xavier-uniform', 'he-uniform'];
  for (const init of inits) {
    for (const act of ['tanh', 'relu'] as const) {
      const rng = new Rng(5);
      const layer = new RNN({
        inputSize: I,
        hiddenSize: H,
        dtype: 'float64',
        seed: 11,
        init,
        nonlinearity: act,
      });
      const p = readWeights(layer);
      const xs = randomSeq(rng, T, I);
      const dOut = Array.from({ length: T }, (_, t) =>
        t === T - 1 ? randomVec(rng, H) : new Array<number>(H).fill(0),
      );
      const r = rnnBptt(s, xs, new Array<number>(H).fill(0), p, act, dOut);
      const norms = at.map((t) => Math.sqrt(dot(r.dhs[t], r.dhs[t])));
      rows.push({ variant: `${init.replace('-uniform', '')} + ${act}`, norms, at });
    }
  }
  return rows;
}

function tryNotes(s: RnnSolution): Text[] {
  const table = gradientNormTable(s);
  const head = `‖∂L/∂h_t‖ with the loss at t = ${table[0].at[0]} only (H = 32):`;
  const headJa = `損失が最終時刻 t = ${table[0].at[0]} だけにあるときの ‖∂L/∂h_t‖（H = 32）:`;
  const lines = table.map(
    (r) =>
      `  ${r.variant.padEnd(16)} ` +
      r.at.map((t, i) => `t=${String(t).padStart(2)}: ${r.norms[i].toExponential(2)}`).join('  '),
  );
  return [
    tx([head, ...lines].join('\n'), [headJa, ...lines].join('\n')),
    tx(
      "Each step back multiplies by diag(act′)·W_hh: tanh′ ≤ 1 and Xavier's smaller weights shrink the norm (vanishing); ReLU with He's √2 gain keeps or grows it (exploding risk: clip by norm).",
      '1 ステップ戻るごとに diag(act′)·W_hh が掛かる: tanh′ ≤ 1 と Xavier の小さい重みではノルムが縮み（勾配消失）、ReLU と He の √2 倍では保たれるか増える（勾配爆発の危険: ノルムでクリップ）。',
    ),
  ];
}

export const rnnExercise: Exercise<RnnSolution> = {
  name: 'rnn',
  title: tx(
    'Simple RNN: one step forward and its backward (BPTT)',
    '単純 RNN: 1 ステップの順伝播と逆伝播（BPTT）',
  ),
  file: 'rnn.ts',
  hints: [
    tx(
      'Forward: compute a_j = Σ_i W_ih[j][i] x[i] + b_ih[j] + Σ_k W_hh[j][k] hPrev[k] + b_hh[j], then apply act to each a_j.',
      '順伝播: a_j = Σ_i W_ih[j][i] x[i] + b_ih[j] + Σ_k W_hh[j][k] hPrev[k] + b_hh[j] を計算し、各 a_j に act を適用します。',
    ),
    tx(
      'Backward: write act′ in terms of the output h: tanh′ = 1 − h², ReLU′ = (h > 0 ? 1 : 0). δ_j = dh_j · act′.',
      '逆伝播: act′ を出力 h で書きます: tanh′ = 1 − h²、ReLU′ = (h > 0 ? 1 : 0)。δ_j = dh_j · act′。',
    ),
    tx(
      'Gradients ADD (+=) into grads: wih[j][i] += δ_j x[i], whh[j][k] += δ_j hPrev[k], bih[j] += δ_j, bhh[j] += δ_j. Return dhPrev[k] = Σ_j whh[j][k] δ_j (Wᵀδ, note the transpose).',
      '勾配は grads に足し込み（+=）ます: wih[j][i] += δ_j x[i], whh[j][k] += δ_j hPrev[k], bih[j] += δ_j, bhh[j] += δ_j。戻り値は dhPrev[k] = Σ_j whh[j][k] δ_j（Wᵀδ: 転置に注意）。',
    ),
  ],
  scaffold: () => RNN_SCAFFOLD,
  adopt: (mod, file) => ({
    rnnStepForward: exported<RnnSolution['rnnStepForward']>(mod, 'rnnStepForward', 4, file),
    rnnStepBackward: exported<RnnSolution['rnnStepBackward']>(mod, 'rnnStepBackward', 7, file),
  }),
  reference: rnnReference,
  async check(s) {
    const items = [
      ...attempt(tx('tanh run', 'tanh の実行'), () => checkOne(s, 'tanh', 17)),
      ...attempt(tx('ReLU run', 'ReLU の実行'), () => checkOne(s, 'relu', 23)),
    ];
    const passed = items.every((i) => i.ok);
    return report('rnn', items, passed ? tryNotes(s) : []);
  },
};

const RNN_SCAFFOLD = `/**
 * kioku exercise: rnn — simple RNN, one step forward and its backward.
 * Fill in the two functions below, then run:  npx kioku exercise check rnn
 *
 * Shapes (one sequence, no batch): x [I], hPrev and h [H],
 *   p.wih [H][I], p.whh [H][H], p.bih [H], p.bhh [H]   (PyTorch's nn.RNN layout).
 *
 * Forward (Elman 1990; PyTorch nn.RNN):
 *   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   act = tanh or ReLU
 *
 * Backward of one step, given dh = ∂L/∂h_t in total (kioku's BPTT loop adds the
 * gradient from the output at t to the one carried back from step t+1):
 *   δ = dh ∘ act'(a)            (write act' with the output: tanh' = 1 − h², ReLU' = [h > 0])
 *   ∂L/∂W_ih += δ x_tᵀ,   ∂L/∂W_hh += δ h_{t-1}ᵀ,   ∂L/∂b_ih += δ,   ∂L/∂b_hh += δ
 *   return ∂L/∂h_{t-1} = W_hhᵀ δ
 *
 * The prepared loop that calls your functions (src/wings/exercises/rnn.ts, rnnBptt):
 *   for t = 0..T-1:       h[t] = rnnStepForward(x[t], h[t-1], p, act)
 *   for t = T-1 down to 0: dh = dOut[t] + carry;  carry = rnnStepBackward(dh, h[t], h[t-1], x[t], p, act, grads)
 */
import type { GateWeights, Vector } from 'kioku';

export type Activation = 'tanh' | 'relu';

/** One forward step: returns h_t [H]. */
export function rnnStepForward(x: Vector, hPrev: Vector, p: GateWeights, act: Activation): Vector {
  // TODO: a = W_ih x + b_ih + W_hh hPrev + b_hh;  return act(a)
  throw new Error('TODO: rnnStepForward');
}

/** One backward step: adds into grads, returns ∂L/∂h_{t-1} [H]. */
export function rnnStepBackward(
  dh: Vector,
  h: Vector,
  hPrev: Vector,
  x: Vector,
  p: GateWeights,
  act: Activation,
  grads: GateWeights,
): Vector {
  // TODO: δ = dh ∘ act'(h);  grads += ...;  return W_hhᵀ δ
  throw new Error('TODO: rnnStepBackward');
}
`;
