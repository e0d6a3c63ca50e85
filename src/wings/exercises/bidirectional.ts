/**
 * Exercise `bidirectional`: assemble a bidirectional RNN's output from its two directions —
 * the step the notes' exercise challenge writes as
 * `np.concatenate([h_f, h_b[::-1]], axis=1)`. The reference is kioku's
 * `RNN({ bidirectional: true })`, whose output at t is [h_f(t), h_b(t)] with h_b(t) the
 * reverse direction's state after reading x_{T−1} … x_t.
 */
import { RNN } from '../../nn/rnn.js';
import { Tensor } from '../../tensor/tensor.js';
import {
  attempt,
  asVector,
  type CheckItem,
  type Exercise,
  exported,
  firstMismatch,
  type Matrix,
  randomSeq,
  readWeights,
  report,
  Rng,
  rowsOf,
  seqTensor,
  tx,
  writeWeights,
} from './common.js';

export interface BidirectionalSolution {
  assembleBidirectional(hForward: Matrix, hBackward: Matrix): Matrix;
}

/**
 * The reference solution states the alignment rule; what keeps it honest is the check itself,
 * which compares every row with the output of kioku's bidirectional layer.
 */
export function bidirectionalReference(): BidirectionalSolution {
  return {
    assembleBidirectional(hF, hB) {
      const T = hF.length;
      return hF.map((row, t) => [...row, ...hB[T - 1 - t]]);
    },
  };
}

function checkAssembly(s: BidirectionalSolution): CheckItem[] {
  const I = 3;
  const H = 4;
  const T = 6;
  const lengths = [6, 4, 1];
  const B = lengths.length;
  const rng = new Rng(71);
  const bi = new RNN({ inputSize: I, hiddenSize: H, bidirectional: true, dtype: 'float64', seed: 71 });
  const fwd = new RNN({ inputSize: I, hiddenSize: H, dtype: 'float64' });
  const bwd = new RNN({ inputSize: I, hiddenSize: H, dtype: 'float64' });
  writeWeights(fwd, readWeights(bi, 0));
  writeWeights(bwd, readWeights(bi, 1));
  const seqs = lengths.map((n) => randomSeq(rng, n, I));
  // The padded batch [T, B, I] through kioku's bidirectional layer.
  const x = Tensor.zeros([T, B, I], 'float64');
  seqs.forEach((sq, b) => sq.forEach((row, t) => x.data.set(row, (t * B + b) * I)));
  const out = bi.forward(x, { lengths }).output; // [T, B, 2H]
  const items: CheckItem[] = [];
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    const hF = rowsOf(fwd.forward(seqTensor(seqs[b])).output);
    const hB = rowsOf(bwd.forward(seqTensor([...seqs[b]].reverse())).output);
    const mine = s.assembleBidirectional(
      hF.map((r) => [...r]),
      hB.map((r) => [...r]),
    );
    if (!Array.isArray(mine) || mine.length !== n) {
      items.push({
        name: tx(`sequence ${b} (length ${n})`, `系列 ${b}（長さ ${n}）`),
        ok: false,
        where: tx(
          `expected ${n} rows (one per time step), got ${Array.isArray(mine) ? mine.length : typeof mine}`,
          `${n} 行（時刻ごとに 1 行）のはずが ${Array.isArray(mine) ? mine.length : typeof mine}`,
        ),
      });
      continue;
    }
    let item: CheckItem = {
      name: tx(`sequence ${b} (length ${n})`, `系列 ${b}（長さ ${n}）`),
      ok: true,
      maxDiff: 0,
    };
    for (let t = 0; t < n && item.ok; t++) {
      const row = asVector(mine[t], 2 * H, `assembleBidirectional(...)[${t}]`);
      const ref = Array.from(out.data.subarray((t * B + b) * 2 * H, (t * B + b + 1) * 2 * H));
      const m = firstMismatch(ref, row, 1e-12);
      item.maxDiff = Math.max(item.maxDiff ?? 0, m.maxDiff);
      if (m.index >= 0) {
        const half = m.index < H ? 'forward half' : 'reverse half';
        const halfJa = m.index < H ? '順方向の半分' : '逆方向の半分';
        const unit = m.index % H;
        const note =
          m.index < H
            ? tx('the forward half at t is h_f[t].', '時刻 t の順方向の半分は h_f[t]。')
            : tx(
                `the reverse half at t must be the backward RNN's state after reading x_${n - 1} … x_${t}, i.e. not h_b[${t}].`,
                `時刻 t の逆方向の半分は、逆方向 RNN が x_${n - 1} … x_${t} を読んだ後の状態（h_b[${t}] ではない）。`,
              );
        item = {
          ...item,
          ok: false,
          where: tx(
            `sequence ${b} (length ${n}), time step t = ${t}, ${half}, unit ${unit}`,
            `系列 ${b}（長さ ${n}）、時刻 t = ${t}、${halfJa}、ユニット ${unit}`,
          ),
          expected: ref[m.index],
          got: row[m.index],
          note,
        };
      }
    }
    items.push(item);
  }
  return items;
}

export const bidirectionalExercise: Exercise<BidirectionalSolution> = {
  name: 'bidirectional',
  title: tx(
    'Bidirectional RNN: assemble the output (aligning the reversed direction)',
    '双方向 RNN: 出力の組み立て（逆方向の位置合わせ）',
  ),
  file: 'bidirectional.ts',
  hints: [
    tx(
      'The output at time t must combine what both directions know about position t.',
      '時刻 t の出力は、両方向が「位置 t」について持つ情報を組み合わせたものです。',
    ),
    tx(
      'hBackward is in the order the backward RNN produced it: hBackward[0] has read only the LAST input. Which index has just read x_t?',
      'hBackward は逆方向 RNN が出した順です: hBackward[0] は最後の入力だけを読んだ状態。x_t を読んだ直後なのは何番目？',
    ),
    tx(
      'Row t = [...hForward[t], ...hBackward[T − 1 − t]] (NumPy: concatenate([h_f, h_b[::-1]], axis=1)).',
      '行 t = [...hForward[t], ...hBackward[T − 1 − t]]（NumPy: concatenate([h_f, h_b[::-1]], axis=1)）。',
    ),
  ],
  scaffold: () => BIDIRECTIONAL_SCAFFOLD,
  adopt: (mod, file) => ({
    assembleBidirectional: exported<BidirectionalSolution['assembleBidirectional']>(
      mod,
      'assembleBidirectional',
      2,
      file,
    ),
  }),
  reference: bidirectionalReference,
  async check(s) {
    return report(
      'bidirectional',
      attempt(tx('bidirectional', '双方向'), () => checkAssembly(s)),
    );
  },
};

const BIDIRECTIONAL_SCAFFOLD = `/**
 * kioku exercise: bidirectional — assemble a bidirectional RNN's output.
 * Check: npx kioku exercise check bidirectional
 *
 * kioku ran two RNNs over one sequence x_0 … x_{T-1}:
 *   hForward[t]  : the forward RNN's state after reading x_0 … x_t            [T][H]
 *   hBackward[s] : the backward RNN's state after reading the REVERSED sequence
 *                  x_{T-1}, x_{T-2}, …, for s+1 steps, in the order it produced them   [T][H]
 *
 * Return the output [T][2H]: row t = [forward state at t, backward state at t], where the
 * backward state "at t" is the one that has read x_{T-1} … x_t (the future of t).
 * This is what kioku's RNN({ bidirectional: true }) and PyTorch's nn.RNN return.
 * (Sequences of different lengths are checked too: T is each sequence's own length.)
 */
import type { Matrix } from 'kioku';

export function assembleBidirectional(hForward: Matrix, hBackward: Matrix): Matrix {
  const T = hForward.length;
  // TODO: one row per time step t = 0..T-1
  throw new Error('TODO: assembleBidirectional (T = ' + T + ')');
}
`;
