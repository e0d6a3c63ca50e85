/**
 * Exercises `lstm-forward` and `lstm-backward`: one LSTM cell step, then its backward with
 * the constant error carousel written out. The reference is kioku's `LSTM` layer (float64).
 *
 * Gate order (i, f, g, o) as in PyTorch: rows [0,H) i, [H,2H) f, [2H,3H) g, [3H,4H) o.
 *   i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o),  a = W_ih x + b_ih + W_hh h_{t−1} + b_hh
 *   c_t = f ∘ c_{t−1} + i ∘ g,   h_t = o ∘ tanh(c_t)
 *
 * Backward of one step (Hochreiter & Schmidhuber 1997; Graves 2012 §4.6):
 *   ∂c = dc + dh ∘ o ∘ (1 − tanh² c_t)          (what reaches the cell)
 *   ∂c_{t−1} = ∂c ∘ f                           (the carousel: only ∘ f, no squashing)
 *   ∂a_i = ∂c ∘ g ∘ i(1−i), ∂a_f = ∂c ∘ c_{t−1} ∘ f(1−f), ∂a_g = ∂c ∘ i ∘ (1−g²),
 *   ∂a_o = dh ∘ tanh(c_t) ∘ o(1−o);   ∂h_{t−1} = W_hhᵀ ∂a
 */
import { LSTM } from '../../nn/lstm.js';
import {
  addGrads,
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
  seqTensor,
  stateTensor,
  type Text,
  TOL_GRAD,
  TOL_VALUE,
  toVector,
  tx,
  type Vector,
  writeWeights,
  zeroGrads,
} from './common.js';

export interface LstmState {
  h: Vector;
  c: Vector;
}

/** What the learner's `lstm-forward.ts` exports. */
export interface LstmForwardSolution {
  lstmStepForward(x: Vector, hPrev: Vector, cPrev: Vector, p: GateWeights): LstmState;
}

/** What one step keeps for backward (computed by the prepared forward). */
export interface LstmStepCache {
  x: Vector;
  hPrev: Vector;
  cPrev: Vector;
  i: Vector;
  f: Vector;
  g: Vector;
  o: Vector;
  c: Vector;
  h: Vector;
}

/** What the learner's `lstm-backward.ts` exports. */
export interface LstmBackwardSolution {
  lstmStepBackward(
    dh: Vector,
    dc: Vector,
    s: LstmStepCache,
    p: GateWeights,
    grads: GateWeights,
  ): { dhPrev: Vector; dcPrev: Vector };
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/**
 * The prepared forward of `lstm-backward` (plain arrays, the same equations as kioku's
 * LSTM; `test/exercises.test.ts` checks it against the layer), keeping the gates.
 */
export function lstmForwardCached(x: Vector, hPrev: Vector, cPrev: Vector, p: GateWeights): LstmStepCache {
  const H = hPrev.length;
  const a = p.bih.map((b, r) => b + p.bhh[r] + dot(p.wih[r], x) + dot(p.whh[r], hPrev)); // [4H]
  const i = a.slice(0, H).map(sigmoid);
  const f = a.slice(H, 2 * H).map(sigmoid);
  const g = a.slice(2 * H, 3 * H).map(Math.tanh);
  const o = a.slice(3 * H).map(sigmoid);
  const c = cellUpdate(f, cPrev, i, g);
  const h = o.map((oj, j) => oj * Math.tanh(c[j]));
  return { x, hPrev, cPrev, i, f, g, o, c, h };
}

function cellUpdate(f: Vector, cPrev: Vector, i: Vector, g: Vector): Vector {
  return f.map((fj, j) => fj * cPrev[j] + i[j] * g[j]);
}

function layerFor(p: GateWeights): LSTM {
  const layer = new LSTM({ inputSize: p.wih[0].length, hiddenSize: p.bih.length / 4, dtype: 'float64' });
  writeWeights(layer, p);
  return layer;
}

/** One step through kioku's LSTM layer (T = 1). */
function layerStep(layer: LSTM, x: Vector, h: Vector, c: Vector): LstmState {
  const r = layer.forward(seqTensor([x]), { h0: stateTensor(h), c0: stateTensor(c) });
  return { h: toVector(r.output), c: toVector(r.cN!) };
}

export function lstmForwardReference(): LstmForwardSolution {
  return { lstmStepForward: (x, h, c, p) => layerStep(layerFor(p), x, h, c) };
}

export function lstmBackwardReference(): LstmBackwardSolution {
  return {
    lstmStepBackward(dh, dc, s, p, grads) {
      const layer = layerFor(p);
      layerStep(layer, s.x, s.hPrev, s.cPrev);
      const r = layer.backward(seqTensor([dh]), { dcN: stateTensor(dc) });
      addGrads(grads, readGrads(layer));
      return { dhPrev: toVector(r.dh0), dcPrev: toVector(r.dc0!) };
    },
  };
}

interface Problem {
  layer: LSTM;
  p: GateWeights;
  xs: Vector[];
  h0: Vector;
  c0: Vector;
  dOut: Vector[];
  T: number;
  H: number;
}

function problem(seed: number, T = 6, I = 3, H = 4): Problem {
  const rng = new Rng(seed);
  const layer = new LSTM({ inputSize: I, hiddenSize: H, dtype: 'float64', seed });
  return {
    layer,
    p: readWeights(layer),
    xs: randomSeq(rng, T, I),
    h0: randomVec(rng, H, 0.5),
    c0: randomVec(rng, H, 0.5),
    dOut: randomSeq(rng, T, H),
    T,
    H,
  };
}

const at =
  (what: string, whatJa: string) =>
  (t: number, j: number): Text =>
    tx(`${what} at time step t = ${t}, unit ${j}`, `時刻 t = ${t} の ${whatJa}、ユニット ${j}`);

/** kioku's whole-sequence gradients with respect to every parameter (L = Σ_t dOut[t]·h_t). */
function layerGrads(q: Problem): GateWeights {
  q.layer.zeroGrad();
  q.layer.forward(seqTensor(q.xs), { h0: stateTensor(q.h0), c0: stateTensor(q.c0) });
  q.layer.backward(seqTensor(q.dOut));
  const g = readGrads(q.layer);
  q.layer.zeroGrad();
  return g;
}

function checkForward(s: LstmForwardSolution, q: Problem): CheckItem[] {
  const ref: LstmState[] = [];
  const mine: LstmState[] = [];
  let r = { h: q.h0, c: q.c0 };
  let m = { h: q.h0, c: q.c0 };
  for (let t = 0; t < q.T; t++) {
    r = layerStep(q.layer, q.xs[t], r.h, r.c);
    ref.push(r);
    const out = s.lstmStepForward(q.xs[t], m.h, m.c, q.p);
    m = {
      h: asVector(out?.h, q.H, `lstmStepForward(...).h at t = ${t}`),
      c: asVector(out?.c, q.H, `lstmStepForward(...).c at t = ${t}`),
    };
    mine.push(m);
  }
  // c_t and h_t side by side per step, so the first wrong step is found whichever is wrong.
  const H = q.H;
  const items = [
    compareSteps(
      tx('states c_t (the carousel) and h_t', '状態 c_t（カルーセル）と h_t'),
      ref.map((x) => [...x.c, ...x.h]),
      mine.map((x) => [...x.c, ...x.h]),
      TOL_VALUE,
      (t, j) => (j < H ? at('c_t', 'c_t')(t, j) : at('h_t', 'h_t')(t, j - H)),
    ),
  ];
  // The gradient of the learner's forward, by float64 finite differences, against kioku's BPTT.
  const g = layerGrads(q);
  const loss = (): number => {
    let st = { h: q.h0, c: q.c0 };
    let L = 0;
    for (let t = 0; t < q.T; t++) {
      st = s.lstmStepForward(q.xs[t], st.h, st.c, q.p);
      L += dot(q.dOut[t], st.h);
    }
    return L;
  };
  items.push(
    finiteDifferenceItem(
      tx(
        'finite differences of your forward = kioku’s BPTT gradients',
        'あなたの順伝播の数値微分 = kioku の BPTT 勾配',
      ),
      loss,
      [...matrixProbes('dWih', q.p.wih, g.wih, 1), ...matrixProbes('dWhh', q.p.whh, g.whh, 1)],
    ),
  );
  return items;
}

function checkBackward(s: LstmBackwardSolution, q: Problem): CheckItem[] {
  // Prepared forward (the answer of lstm-forward), then the learner's backward, step by step.
  const caches: LstmStepCache[] = [];
  let h = q.h0;
  let c = q.c0;
  for (let t = 0; t < q.T; t++) {
    const k = lstmForwardCached(q.xs[t], h, c, q.p);
    caches.push(k);
    h = k.h;
    c = k.c;
  }
  const grads = zeroGrads(q.p);
  const outH: Vector[] = new Array<Vector>(q.T);
  const outC: Vector[] = new Array<Vector>(q.T);
  let carryH = new Array<number>(q.H).fill(0);
  let carryC = new Array<number>(q.H).fill(0);
  for (let t = q.T - 1; t >= 0; t--) {
    const dh = q.dOut[t].map((v, j) => v + carryH[j]);
    const r = s.lstmStepBackward(dh, [...carryC], caches[t], q.p, grads);
    carryH = asVector(r?.dhPrev, q.H, `lstmStepBackward(...).dhPrev at t = ${t}`);
    carryC = asVector(r?.dcPrev, q.H, `lstmStepBackward(...).dcPrev at t = ${t}`);
    outH[t] = carryH;
    outC[t] = carryC;
  }
  // Reference: what kioku's layer says ∂L/∂h_{t−1}, ∂L/∂c_{t−1} are (the suffix from t started at step t−1's state).
  const refH: Vector[] = [];
  const refC: Vector[] = [];
  for (let t = 0; t < q.T; t++) {
    const hPrev = t === 0 ? q.h0 : caches[t - 1].h;
    const cPrev = t === 0 ? q.c0 : caches[t - 1].c;
    q.layer.forward(seqTensor(q.xs.slice(t)), { h0: stateTensor(hPrev), c0: stateTensor(cPrev) });
    const r = q.layer.backward(seqTensor(q.dOut.slice(t)));
    refH.push(toVector(r.dh0));
    refC.push(toVector(r.dc0!));
  }
  q.layer.zeroGrad();
  const back = [...Array(q.T).keys()].reverse();
  const gRef = layerGrads(q);
  const items = [
    compareSteps(
      tx(
        '∂L/∂c_{t−1} returned by your step at t (the carousel), from t = T−1 back',
        'あなたの時刻 t のステップが返す ∂L/∂c_{t−1}（カルーセル）、t = T−1 から',
      ),
      refC,
      outC,
      TOL_GRAD,
      at('∂L/∂c_{t−1} returned by your step', 'ステップが返す ∂L/∂c_{t−1}'),
      back,
    ),
    compareSteps(
      tx(
        '∂L/∂h_{t−1} returned by your step at t, from t = T−1 back',
        'あなたの時刻 t のステップが返す ∂L/∂h_{t−1}、t = T−1 から',
      ),
      refH,
      outH,
      TOL_GRAD,
      at('∂L/∂h_{t−1} returned by your step', 'ステップが返す ∂L/∂h_{t−1}'),
      back,
    ),
    compareNamed(tx('weight gradients', '重みの勾配'), gradRecord(gRef), gradRecord(grads), TOL_GRAD),
  ];
  const loss = (): number => {
    let st = { h: q.h0, c: q.c0 };
    let L = 0;
    for (let t = 0; t < q.T; t++) {
      st = lstmForwardCached(q.xs[t], st.h, st.c, q.p);
      L += dot(q.dOut[t], st.h);
    }
    return L;
  };
  items.push(
    finiteDifferenceItem(
      tx('finite differences (float64) = your gradients', '数値微分（float64）= あなたの勾配'),
      loss,
      [
        ...matrixProbes('dWih', q.p.wih, grads.wih, 1),
        ...matrixProbes('dWhh', q.p.whh, grads.whh, 1),
        { name: 'dbih', param: q.p.bih, grad: grads.bih, index: q.H + 1 },
      ],
    ),
  );
  return items;
}

export const lstmForwardExercise: Exercise<LstmForwardSolution> = {
  name: 'lstm-forward',
  title: tx(
    'LSTM cell: one step forward (gates, the carousel c_t)',
    'LSTM セル: 1 ステップの順伝播（ゲートとカルーセル c_t）',
  ),
  file: 'lstm-forward.ts',
  hints: [
    tx(
      'Compute all 4H pre-activations at once: a[r] = b_ih[r] + b_hh[r] + Σ_k W_ih[r][k] x[k] + Σ_k W_hh[r][k] hPrev[k]; then slice it in PyTorch order i, f, g, o.',
      '4H 個の前活性をまとめて計算: a[r] = b_ih[r] + b_hh[r] + Σ_k W_ih[r][k] x[k] + Σ_k W_hh[r][k] hPrev[k]。その後 PyTorch の順 i, f, g, o に切り分けます。',
    ),
    tx('i, f, o use the sigmoid; g uses tanh.', 'i, f, o はシグモイド、g は tanh。'),
    tx(
      'The cell update is the exercise-challenge line: c = input_gate * g + forget_gate * prev_c (elementwise), then h = o * tanh(c).',
      'セルの更新は演習チャレンジの一行: c = input_gate * g + forget_gate * prev_c（要素ごと）、そして h = o * tanh(c)。',
    ),
  ],
  scaffold: () => LSTM_FORWARD_SCAFFOLD,
  adopt: (mod, file) => ({
    lstmStepForward: exported<LstmForwardSolution['lstmStepForward']>(mod, 'lstmStepForward', 4, file),
  }),
  reference: lstmForwardReference,
  async check(s) {
    const items = [
      ...attempt(tx('LSTM forward', 'LSTM 順伝播'), () => checkForward(s, problem(31))),
      ...attempt(tx('LSTM forward, T = 1, H = 1', 'LSTM 順伝播 T = 1, H = 1'), () =>
        checkForward(s, problem(7, 1, 2, 1)),
      ),
    ];
    return report('lstm-forward', items);
  },
};

export const lstmBackwardExercise: Exercise<LstmBackwardSolution> = {
  name: 'lstm-backward',
  title: tx(
    'LSTM cell: one step backward (the constant error carousel)',
    'LSTM セル: 1 ステップの逆伝播（定誤差カルーセル）',
  ),
  file: 'lstm-backward.ts',
  hints: [
    tx(
      'First the total gradient reaching the cell: dcTotal = dc + dh ∘ o ∘ (1 − tanh²(c)). Everything else starts from dcTotal or dh.',
      'まずセルに届く勾配の合計: dcTotal = dc + dh ∘ o ∘ (1 − tanh²(c))。他はすべて dcTotal か dh から始まります。',
    ),
    tx(
      'The carousel: dcPrev = dcTotal ∘ f — no derivative of a squashing function, which is why the error can travel far.',
      'カルーセル: dcPrev = dcTotal ∘ f。押しつぶす関数の微分が掛からないので、誤差が遠くまで届きます。',
    ),
    tx(
      'Gate pre-activations (σ′ = y(1−y), tanh′ = 1−y²): da_i = dcTotal·g·i(1−i), da_f = dcTotal·cPrev·f(1−f), da_g = dcTotal·i·(1−g²), da_o = dh·tanh(c)·o(1−o). Stack them as [i, f, g, o] (4H), add da xᵀ to wih, da hPrevᵀ to whh, da to both biases; dhPrev = W_hhᵀ da.',
      'ゲートの前活性（σ′ = y(1−y), tanh′ = 1−y²）: da_i = dcTotal·g·i(1−i), da_f = dcTotal·cPrev·f(1−f), da_g = dcTotal·i·(1−g²), da_o = dh·tanh(c)·o(1−o)。[i, f, g, o] の順に 4H に並べ、wih に da xᵀ、whh に da hPrevᵀ、両バイアスに da を足します。dhPrev = W_hhᵀ da。',
    ),
  ],
  scaffold: () => LSTM_BACKWARD_SCAFFOLD,
  adopt: (mod, file) => ({
    lstmStepBackward: exported<LstmBackwardSolution['lstmStepBackward']>(mod, 'lstmStepBackward', 5, file),
  }),
  reference: lstmBackwardReference,
  async check(s) {
    const items = attempt(tx('LSTM backward', 'LSTM 逆伝播'), () => checkBackward(s, problem(41)));
    return report('lstm-backward', items);
  },
};

const LSTM_FORWARD_SCAFFOLD = `/**
 * kioku exercise: lstm-forward — one LSTM step (Hochreiter & Schmidhuber 1997, with the
 * forget gate of Gers et al. 2000), in PyTorch's layout. Check: npx kioku exercise check lstm-forward
 *
 * Shapes: x [I], hPrev and cPrev [H]; p.wih [4H][I], p.whh [4H][H], p.bih [4H], p.bhh [4H].
 * Gate blocks (rows) in PyTorch order: [0,H) i, [H,2H) f, [2H,3H) g, [3H,4H) o.
 *
 *   a   = W_ih x + b_ih + W_hh h_{t-1} + b_hh           [4H]
 *   i_t = σ(a_i)     input gate
 *   f_t = σ(a_f)     forget gate
 *   g_t = tanh(a_g)  candidate
 *   o_t = σ(a_o)     output gate
 *   c_t = f_t ∘ c_{t-1} + i_t ∘ g_t                       (the constant error carousel)
 *   h_t = o_t ∘ tanh(c_t)
 *
 * kioku runs your step over a sequence and compares c_t and h_t with its own LSTM layer.
 */
import type { GateWeights, Vector } from 'kioku';

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Σ_k m[r][k] v[k] for every row r. */
export function matVec(m: number[][], v: Vector): Vector {
  return m.map((row) => row.reduce((s, w, k) => s + w * v[k], 0));
}

export function lstmStepForward(x: Vector, hPrev: Vector, cPrev: Vector, p: GateWeights): { h: Vector; c: Vector } {
  const H = hPrev.length;
  // TODO: a = W_ih x + b_ih + W_hh hPrev + b_hh, gates i, f, g, o, then c and h.
  throw new Error('TODO: lstmStepForward (H = ' + H + ')');
}
`;

const LSTM_BACKWARD_SCAFFOLD = `/**
 * kioku exercise: lstm-backward — one LSTM step backward, the carousel made explicit.
 * Check: npx kioku exercise check lstm-backward
 *
 * kioku's prepared forward gives you the step's cache s = { x, hPrev, cPrev, i, f, g, o, c, h }
 * (the answer of lstm-forward). kioku's BPTT loop calls, for t = T-1 down to 0,
 *   { dhPrev, dcPrev } = lstmStepBackward(dOut[t] + dhPrev_from_t+1, dcPrev_from_t+1, cache[t], p, grads)
 *
 * Given dh = ∂L/∂h_t (total) and dc = ∂L/∂c_t (from step t+1):
 *   ∂c      = dc + dh ∘ o ∘ (1 − tanh²(c_t))
 *   ∂c_{t-1} = ∂c ∘ f                                     (CEC: the error passes through ∘ f only)
 *   ∂a_i = ∂c ∘ g ∘ i(1−i)      ∂a_f = ∂c ∘ c_{t-1} ∘ f(1−f)
 *   ∂a_g = ∂c ∘ i ∘ (1−g²)      ∂a_o = dh ∘ tanh(c_t) ∘ o(1−o)
 *   ∂a = [∂a_i, ∂a_f, ∂a_g, ∂a_o]                          [4H], PyTorch order
 *   grads.wih += ∂a xᵀ,  grads.whh += ∂a h_{t-1}ᵀ,  grads.bih += ∂a,  grads.bhh += ∂a
 *   ∂h_{t-1} = W_hhᵀ ∂a
 */
import type { GateWeights, Vector } from 'kioku';

export interface LstmStepCache {
  x: Vector;
  hPrev: Vector;
  cPrev: Vector;
  i: Vector;
  f: Vector;
  g: Vector;
  o: Vector;
  c: Vector;
  h: Vector;
}

export function lstmStepBackward(
  dh: Vector,
  dc: Vector,
  s: LstmStepCache,
  p: GateWeights,
  grads: GateWeights,
): { dhPrev: Vector; dcPrev: Vector } {
  // TODO: ∂c, the carousel ∂c_{t-1}, the four gate gradients, grads += ..., ∂h_{t-1}.
  throw new Error('TODO: lstmStepBackward');
}
`;
