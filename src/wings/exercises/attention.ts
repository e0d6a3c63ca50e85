/**
 * Exercise `attention`: the weights and the context of the seq2seq decoder's attention
 * (Luong et al. 2015, "dot" score), checked against kioku's `Attention` (src/nn/attention.ts,
 * float64), which the seq2seq wing's decoder uses:
 *
 *   score_s = q · k_s,   α_s = exp(score_s) / Σ_s' exp(score_s'),   c = Σ_s α_s k_s
 */
import { Attention } from '../../nn/attention.js';
import { Tensor } from '../../tensor/tensor.js';
import {
  asVector,
  attempt,
  type CheckItem,
  compareSteps,
  dot,
  type Exercise,
  exported,
  finiteDifferenceItem,
  type Matrix,
  randomSeq,
  randomVec,
  report,
  Rng,
  TOL_VALUE,
  toVector,
  tx,
  type Vector,
} from './common.js';

export interface AttentionSolution {
  attentionWeights(query: Vector, keys: Matrix): Vector;
  attentionContext(weights: Vector, keys: Matrix): Vector;
}

/** kioku's Attention layer on one query and one memory (batch of one). */
function layerRun(query: Vector, keys: Matrix): { weights: Vector; context: Vector; layer: Attention } {
  const D = query.length;
  const layer = new Attention({ kind: 'dot', queryDim: D, keyDim: D, dtype: 'float64' });
  const r = layer.forward(
    Tensor.fromArray(query, [1, 1, D], 'float64'),
    Tensor.fromArray(keys.flat(), [keys.length, 1, D], 'float64'),
  );
  return { weights: toVector(r.weights), context: toVector(r.context), layer };
}

export function attentionReference(): AttentionSolution {
  return {
    attentionWeights: (q, keys) => layerRun(q, keys).weights,
    // c = Σ_s α_s k_s for the given α (the check compares it with kioku's layer's context).
    attentionContext: (w, keys) => keys[0].map((_, j) => keys.reduce((s, k, i) => s + w[i] * k[j], 0)),
  };
}

interface Case {
  name: string;
  nameJa: string;
  queries: Matrix;
  keys: Matrix;
}

function cases(): Case[] {
  const rng = new Rng(81);
  const D = 4;
  return [
    {
      name: '3 decoder steps over 5 encoder states',
      nameJa: 'デコーダ 3 ステップ × エンコーダ 5 状態',
      queries: randomSeq(rng, 3, D),
      keys: randomSeq(rng, 5, D),
    },
    {
      name: 'one encoder state',
      nameJa: 'エンコーダ状態 1 つ',
      queries: randomSeq(rng, 1, D),
      keys: randomSeq(rng, 1, D),
    },
    largeScores(rng, D),
  ];
}

/** Scores in the thousands: exp overflows to Infinity unless the softmax subtracts the max first. */
function largeScores(rng: Rng, D: number): Case {
  const q = randomVec(rng, D, 30);
  const keys = randomSeq(rng, 6, D, 30);
  keys[2] = q.map((v) => 1.5 * v); // score 1.5‖q‖² ≫ 709 = log(Number.MAX_VALUE)
  return {
    name: 'large scores (softmax must not overflow)',
    nameJa: '大きなスコア（softmax がオーバーフローしないこと）',
    queries: [q],
    keys,
  };
}

function checkAttention(s: AttentionSolution): CheckItem[] {
  const items: CheckItem[] = [];
  for (const c of cases()) {
    const Tk = c.keys.length;
    const D = c.keys[0].length;
    const ref = c.queries.map((q) => layerRun(q, c.keys));
    const mineW = c.queries.map((q, t) =>
      asVector(
        s.attentionWeights(
          [...q],
          c.keys.map((k) => [...k]),
        ),
        Tk,
        `attentionWeights at decoder step ${t}`,
      ),
    );
    const mineC = ref.map((r, t) =>
      asVector(
        s.attentionContext(
          [...r.weights],
          c.keys.map((k) => [...k]),
        ),
        D,
        `attentionContext at decoder step ${t}`,
      ),
    );
    items.push(
      compareSteps(
        tx(`weights α: ${c.name}`, `重み α: ${c.nameJa}`),
        ref.map((r) => r.weights),
        mineW,
        TOL_VALUE,
        (t, j) =>
          tx(
            `decoder step ${t}, encoder position s = ${j}`,
            `デコーダのステップ ${t}、エンコーダの位置 s = ${j}`,
          ),
      ),
      compareSteps(
        tx(`context c: ${c.name}`, `コンテキスト c: ${c.nameJa}`),
        ref.map((r) => r.context),
        mineC,
        TOL_VALUE,
        (t, j) => tx(`decoder step ${t}, component ${j}`, `デコーダのステップ ${t}、成分 ${j}`),
      ),
    );
  }
  // ∂(r·c)/∂q of the learner's weights+context by finite differences vs kioku's backward.
  const rng = new Rng(82);
  const q = randomVec(rng, 4);
  const keys = randomSeq(rng, 5, 4);
  const r = randomVec(rng, 4);
  const { layer } = layerRun(q, keys);
  const { dQuery } = layer.backward(Tensor.fromArray(r, [1, 1, 4], 'float64'));
  const dq = toVector(dQuery);
  items.push(
    finiteDifferenceItem(
      tx(
        'finite differences of your attention = kioku’s ∂L/∂query',
        'あなたのアテンションの数値微分 = kioku の ∂L/∂query',
      ),
      () => dot(r, s.attentionContext(s.attentionWeights(q, keys), keys)),
      q.map((_, i) => ({ name: 'dQuery', param: q, grad: dq, index: i })),
    ),
  );
  return items;
}

export const attentionExercise: Exercise<AttentionSolution> = {
  name: 'attention',
  title: tx(
    'Attention for the seq2seq decoder: weights and context',
    'seq2seq デコーダのアテンション: 重みとコンテキスト',
  ),
  file: 'attention.ts',
  hints: [
    tx(
      'One score per encoder state: score_s = Σ_j query[j] · keys[s][j].',
      'エンコーダ状態ごとにスコアを 1 つ: score_s = Σ_j query[j] · keys[s][j]。',
    ),
    tx(
      'Softmax over s. Subtract the largest score before exp (exp(800) is Infinity, and the large-score case checks for that).',
      's について softmax。exp の前に最大スコアを引きます（exp(800) は Infinity。大きなスコアのケースで確認されます）。',
    ),
    tx(
      'Context: c[j] = Σ_s weights[s] · keys[s][j], a weighted average of the encoder states.',
      'コンテキスト: c[j] = Σ_s weights[s] · keys[s][j]。エンコーダ状態の重み付き平均です。',
    ),
  ],
  scaffold: () => ATTENTION_SCAFFOLD,
  adopt: (mod, file) => ({
    attentionWeights: exported<AttentionSolution['attentionWeights']>(mod, 'attentionWeights', 2, file),
    attentionContext: exported<AttentionSolution['attentionContext']>(mod, 'attentionContext', 2, file),
  }),
  reference: attentionReference,
  async check(s) {
    return report(
      'attention',
      attempt(tx('attention', 'アテンション'), () => checkAttention(s)),
    );
  },
};

const ATTENTION_SCAFFOLD = `/**
 * kioku exercise: attention — what the seq2seq decoder looks at (Luong et al. 2015, "dot").
 * Check: npx kioku exercise check attention
 *
 * At a decoder step the query q [D] is the decoder state; the keys k_0 … k_{S-1} [S][D] are the
 * encoder outputs (kioku's Attention uses them as the values too).
 *
 *   score_s = q · k_s
 *   α_s     = exp(score_s) / Σ_{s'} exp(score_{s'})      (softmax over the source positions)
 *   c       = Σ_s α_s k_s                                 (the context vector)
 *
 * kioku's seq2seq decoder (src/wings/seq2seq, src/nn/attention.ts) concatenates c with its state
 * to predict the next token; \`kioku seq2seq\` trains it.
 */
import type { Matrix, Vector } from 'kioku';

export function attentionWeights(query: Vector, keys: Matrix): Vector {
  // TODO: scores, then a numerically stable softmax
  throw new Error('TODO: attentionWeights');
}

export function attentionContext(weights: Vector, keys: Matrix): Vector {
  // TODO: Σ_s weights[s] keys[s]
  throw new Error('TODO: attentionContext');
}
`;
