/**
 * The unit's confirmation questions ("確認テスト"), each answered by kioku numerically — by
 * finite differences, by counting a real layer's parameters, by running a real layer — not
 * by a stored constant.
 */
import { Linear } from '../../nn/linear.js';
import { GRU } from '../../nn/gru.js';
import { LSTM } from '../../nn/lstm.js';
import { RNN } from '../../nn/rnn.js';
import {
  type Text,
  tx,
  Rng,
  randomSeq,
  seqTensor,
  rowsOf,
  readWeights,
  writeWeights,
  firstMismatch,
} from './common.js';

export interface QuizTruth {
  value: number | string;
  display: string;
  why: Text;
}

export interface QuizQuestion {
  id: string;
  question: Text;
  /** Numeric answers are compared with this relative tolerance; text answers by the accepted words. */
  tolerance?: number;
  accept?: readonly string[];
  solve(): QuizTruth;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Central difference of f at x. */
function derivative(f: (x: number) => number, x: number, h = 1e-5): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

function countWeights(kind: 'lstm' | 'gru', I: number, H: number): number {
  const layer =
    kind === 'lstm' ? new LSTM({ inputSize: I, hiddenSize: H }) : new GRU({ inputSize: I, hiddenSize: H });
  return layer.numParameters();
}

export const QUIZ: readonly QuizQuestion[] = [
  {
    id: '1',
    question: tx(
      'What is the maximum value of the derivative of the sigmoid, σ′(x)?',
      'シグモイド関数の微分 σ′(x) の最大値は？',
    ),
    tolerance: 1e-3,
    solve() {
      let best = -Infinity;
      let at = 0;
      for (let x = -10; x <= 10; x += 1e-3) {
        const d = derivative(sigmoid, x);
        if (d > best) {
          best = d;
          at = x;
        }
      }
      return {
        value: best,
        display: best.toFixed(4),
        why: tx(
          `found by central differences of σ on a grid over [−10, 10]: the maximum is at x ≈ ${at.toFixed(3)}, where σ = 0.5 and σ′ = σ(1 − σ) = 0.25. Multiplied over many steps, factors ≤ 0.25 make gradients vanish.`,
          `[−10, 10] の格子上で σ の中心差分から求めました: 最大は x ≈ ${at.toFixed(3)}（σ = 0.5, σ′ = σ(1 − σ) = 0.25）。0.25 以下の係数を何度も掛けると勾配は消失します。`,
        ),
      };
    },
  },
  {
    id: '2',
    question: tx(
      'z = t², t = x + y. By the chain rule, what is dz/dx at (x, y) = (1, 2)?',
      'z = t², t = x + y のとき、連鎖律により (x, y) = (1, 2) での dz/dx は？',
    ),
    tolerance: 1e-4,
    solve() {
      const d = derivative((x) => (x + 2) ** 2, 1);
      return {
        value: d,
        display: d.toFixed(4),
        why: tx(
          `dz/dx = dz/dt · dt/dx = 2t · 1 = 2(x + y) = 6; kioku’s central difference gives ${d.toFixed(6)}.`,
          `dz/dx = dz/dt · dt/dx = 2t · 1 = 2(x + y) = 6。kioku の中心差分では ${d.toFixed(6)}。`,
        ),
      };
    },
  },
  {
    id: '3',
    question: tx(
      'How many weight matrices does a simple RNN with an output layer have (input→hidden, …)?',
      '出力層つきの単純 RNN の重み行列はいくつ？（入力→中間層、…）',
    ),
    tolerance: 0,
    solve() {
      const rnn = new RNN({ inputSize: 4, hiddenSize: 8 });
      const out = new Linear({ inFeatures: 8, outFeatures: 2 });
      const names = [...rnn.namedParameters(), ...out.namedParameters()]
        .map((p) => p.name)
        .filter((n) => n.startsWith('weight'));
      return {
        value: names.length,
        display: String(names.length),
        why: tx(
          `kioku’s RNN and Linear hold ${names.join(', ')}: W_in (input→hidden), W (previous hidden→hidden, the recurrent one) and W_out (hidden→output).`,
          `kioku の RNN と Linear の重みは ${names.join(', ')}: W_in（入力→中間層）、W（前の時刻の中間層→中間層: 再帰の重み）、W_out（中間層→出力）。`,
        ),
      };
    },
  },
  {
    id: '4',
    question: tx(
      'How many parameters has one LSTM layer with input size 10 and hidden size 20 (PyTorch layout: W_ih, W_hh, b_ih, b_hh)?',
      '入力 10、隠れ 20 の LSTM 1 層のパラメータ数は？（PyTorch の構成: W_ih, W_hh, b_ih, b_hh）',
    ),
    tolerance: 0,
    solve() {
      const n = countWeights('lstm', 10, 20);
      return {
        value: n,
        display: String(n),
        why: tx(
          `counted on kioku’s LSTM: 4 gate blocks × (H·I + H·H + 2H) = 4 × (200 + 400 + 40) = ${n}.`,
          `kioku の LSTM で数えました: ゲート 4 つ × (H·I + H·H + 2H) = 4 × (200 + 400 + 40) = ${n}。`,
        ),
      };
    },
  },
  {
    id: '5',
    question: tx(
      'And a GRU layer of the same sizes (input 10, hidden 20)?',
      '同じ大きさ（入力 10、隠れ 20）の GRU 1 層では？',
    ),
    tolerance: 0,
    solve() {
      const n = countWeights('gru', 10, 20);
      const l = countWeights('lstm', 10, 20);
      return {
        value: n,
        display: String(n),
        why: tx(
          `counted on kioku’s GRU: 3 gate blocks × 640 = ${n}, i.e. ${((n / l) * 100).toFixed(0)}% of the LSTM — fewer parameters, less computation.`,
          `kioku の GRU で数えました: ゲート 3 つ × 640 = ${n}。LSTM の ${((n / l) * 100).toFixed(0)}%: パラメータも計算量も少ない。`,
        ),
      };
    },
  },
  {
    id: '6',
    question: tx(
      'A word ("very") can vanish from the context without changing the prediction. Which LSTM gate is at work? (input / forget / output)',
      '「とても」という語は、なくなっても予測に影響しない。LSTM のどのゲートが働いている？（入力 / 忘却 / 出力）',
    ),
    accept: ['forget', 'forget gate', '忘却', '忘却ゲート'],
    solve() {
      return {
        value: 'forget',
        display: 'forget / 忘却ゲート',
        why: tx(
          'the forget gate f_t scales c_{t−1} in c_t = f_t ∘ c_{t−1} + i_t ∘ g_t; f ≈ 0 drops what is no longer needed.',
          '忘却ゲート f_t は c_t = f_t ∘ c_{t−1} + i_t ∘ g_t で c_{t−1} に掛かる。f ≈ 0 で不要になった情報を捨てる。',
        ),
      };
    },
  },
  {
    id: '7',
    question: tx(
      'Bidirectional RNN, T = 5: the backward RNN ran over the reversed sequence and produced h_b[0..4] in that order. Which index s of h_b is concatenated with h_f[1] at time t = 1?',
      '双方向 RNN、T = 5: 逆方向 RNN は逆順の系列を読み、h_b[0..4] をこの順に出した。時刻 t = 1 で h_f[1] と連結するのは h_b の何番目 s？',
    ),
    tolerance: 0,
    solve() {
      // Found by running kioku's bidirectional RNN and matching its reverse half.
      const T = 5;
      const bi = new RNN({ inputSize: 2, hiddenSize: 3, bidirectional: true, dtype: 'float64', seed: 1 });
      const back = new RNN({ inputSize: 2, hiddenSize: 3, dtype: 'float64' });
      writeWeights(back, readWeights(bi, 1));
      const xs = randomSeq(new Rng(2), T, 2);
      const out = rowsOf(bi.forward(seqTensor(xs)).output);
      const hb = rowsOf(back.forward(seqTensor([...xs].reverse())).output);
      const s = hb.findIndex((row) => firstMismatch(row, out[1].slice(3), 1e-12).index < 0);
      return {
        value: s,
        display: String(s),
        why: tx(
          `s = T − 1 − t = ${s}: kioku’s bidirectional output at t = 1 equals h_b[${s}]. In NumPy: np.concatenate([h_f, h_b[::-1]], axis=1).`,
          `s = T − 1 − t = ${s}: kioku の双方向出力の t = 1 は h_b[${s}] と一致。NumPy では np.concatenate([h_f, h_b[::-1]], axis=1)。`,
        ),
      };
    },
  },
];

/** Whether `answer` is right: within tolerance for numbers, one of the accepted words for text. */
export function checkQuizAnswer(q: QuizQuestion, answer: string): boolean {
  const truth = q.solve();
  if (typeof truth.value === 'string') {
    const a = answer.trim().toLowerCase();
    return (q.accept ?? [truth.value]).some((w) => w.toLowerCase() === a);
  }
  const x = Number(answer);
  if (answer.trim() === '' || !Number.isFinite(x)) return false;
  return Math.abs(x - truth.value) <= (q.tolerance ?? 1e-6) * Math.max(1, Math.abs(truth.value));
}
