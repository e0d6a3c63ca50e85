/**
 * Exercise `clipping`: gradient clipping by global norm (Pascanu et al. 2013, Algorithm 1;
 * Chainer `GradientClipping`, PyTorch `clip_grad_norm_`) and by value (Chainer
 * `GradientHardClipping`, PyTorch `clip_grad_value_`). The reference is kioku's
 * `clipGradNorm` / `clipGradValue` (src/optim/clip.ts).
 */
import { Parameter } from '../../nn/module.js';
import { clipGradNorm, clipGradValue } from '../../optim/clip.js';
import { clippingModel, DEFAULT_CLIPPING } from '../experiments/clipping.js';
import { makeTask } from '../experiments/synthetic.js';
import { type ClipSpec, trainRun } from '../experiments/train.js';
import {
  attempt,
  type CheckItem,
  type Exercise,
  exported,
  firstMismatch,
  report,
  Rng,
  tx,
} from './common.js';

export interface ClippingSolution {
  /** Scale all arrays together when their joint L2 norm exceeds maxNorm; return the norm before clipping. */
  clipByGlobalNorm(grads: Float64Array[], maxNorm: number): number;
  /** Clamp every element to [−clipValue, clipValue]. */
  clipByValue(grads: Float64Array[], clipValue: number): void;
}

function asParams(grads: Float64Array[]): Parameter[] {
  return grads.map((g, k) => {
    const p = Parameter.zeros(`g${k}`, [g.length], 'float64');
    p.grad.data.set(g);
    return p;
  });
}

export function clippingReference(): ClippingSolution {
  return {
    clipByGlobalNorm(grads, maxNorm) {
      const ps = asParams(grads);
      const n = clipGradNorm(ps, maxNorm);
      ps.forEach((p, k) => grads[k].set(p.grad.data));
      return n;
    },
    clipByValue(grads, clipValue) {
      const ps = asParams(grads);
      clipGradValue(ps, clipValue);
      ps.forEach((p, k) => grads[k].set(p.grad.data));
    },
  };
}

interface Case {
  name: string;
  nameJa: string;
  grads: () => Float64Array[];
  threshold: number;
}

function cases(): Case[] {
  const rng = new Rng(61);
  const arr = (n: number, s: number): Float64Array =>
    Float64Array.from({ length: n }, () => rng.uniformRange(-s, s));
  const big = [arr(6, 3), arr(4, 5), arr(9, 2)];
  const small = [arr(5, 0.01), arr(3, 0.02)];
  const one = [arr(12, 10)];
  return [
    {
      name: 'three arrays, norm above the threshold',
      nameJa: '3 つの配列、ノルムがしきい値超え',
      grads: () => big.map((a) => a.slice()),
      threshold: 1,
    },
    {
      name: 'norm below the threshold (must stay untouched)',
      nameJa: 'ノルムがしきい値未満（変えてはいけない）',
      grads: () => small.map((a) => a.slice()),
      threshold: 5,
    },
    {
      name: 'one array, large values',
      nameJa: '1 つの配列、大きな値',
      grads: () => one.map((a) => a.slice()),
      threshold: 2.5,
    },
  ];
}

function compareArrays(title: string, titleJa: string, exp: Float64Array[], got: Float64Array[]): CheckItem {
  let maxDiff = 0;
  for (let k = 0; k < exp.length; k++) {
    const m = firstMismatch(exp[k], got[k], 1e-12);
    maxDiff = Math.max(maxDiff, m.maxDiff);
    if (m.index >= 0) {
      return {
        name: tx(title, titleJa),
        ok: false,
        maxDiff: m.maxDiff,
        where: tx(`array ${k}, element ${m.index}`, `配列 ${k} の要素 ${m.index}`),
        expected: exp[k][m.index],
        got: got[k][m.index],
      };
    }
  }
  return { name: tx(title, titleJa), ok: true, maxDiff };
}

function checkClipping(s: ClippingSolution): CheckItem[] {
  const ref = clippingReference();
  const items: CheckItem[] = [];
  for (const c of cases()) {
    const e = c.grads();
    const g = c.grads();
    const nRef = ref.clipByGlobalNorm(e, c.threshold);
    const nMine = s.clipByGlobalNorm(g, c.threshold);
    const normOk = typeof nMine === 'number' && Math.abs(nMine - nRef) <= 1e-12 * Math.max(1, nRef);
    items.push({
      name: tx(
        `clipByGlobalNorm returns the norm before clipping: ${c.name}`,
        `clipByGlobalNorm はクリップ前のノルムを返す: ${c.nameJa}`,
      ),
      ok: normOk,
      maxDiff: typeof nMine === 'number' ? Math.abs(nMine - nRef) : NaN,
      ...(normOk
        ? {}
        : {
            where: tx('return value', '戻り値'),
            expected: nRef,
            got: typeof nMine === 'number' ? nMine : NaN,
          }),
    });
    items.push(
      compareArrays(
        `clipByGlobalNorm (max ${c.threshold}): ${c.name}`,
        `clipByGlobalNorm（上限 ${c.threshold}）: ${c.nameJa}`,
        e,
        g,
      ),
    );
    const ve = c.grads();
    const vg = c.grads();
    ref.clipByValue(ve, c.threshold);
    s.clipByValue(vg, c.threshold);
    items.push(
      compareArrays(
        `clipByValue (±${c.threshold}): ${c.name}`,
        `clipByValue（±${c.threshold}）: ${c.nameJa}`,
        ve,
        vg,
      ),
    );
  }
  return items;
}

/**
 * Steps of the training run. The exploding setup is chaotic (float32 rounding of one backend
 * or another changes the trajectory), so the stated bound is kioku's divergence rule rather
 * than a final loss: every loss finite and below 100 × the task's baseline loss.
 */
export const CLIP_TRAIN_STEPS = 60;

/** The learner's global-norm clip as a `ClipSpec.apply` for kioku's experiment trainer. */
function learnerClip(s: ClippingSolution): NonNullable<ClipSpec['apply']> {
  return (params, threshold) => {
    const grads = params.map((p) => Float64Array.from(p.grad.data));
    const n = s.clipByGlobalNorm(grads, threshold);
    params.forEach((p, k) => p.grad.data.set(grads[k]));
    return n;
  };
}

/**
 * The exploding setup of `kioku experiment clipping` (tanh RNN, orthogonal W_hh with spectral
 * radius 2, plain SGD at 0.1, the adding problem with T = 50), trained with and without the
 * learner's clipping from the same weights and batches.
 */
function trainingRun(s: ClippingSolution): CheckItem {
  const o = DEFAULT_CLIPPING;
  const task = makeTask(o.task, { length: o.length, seed: 0 });
  const run = (clip: ClipSpec | undefined): { diverged: boolean; at: number | null; loss: number } => {
    const model = clippingModel(o, task, 0);
    const r = trainRun({
      task,
      model,
      optimizer: 'sgd',
      lr: o.lr,
      steps: CLIP_TRAIN_STEPS,
      batch: o.batch,
      seed: 100003,
      clip,
      trackUpdate: false,
    });
    const tail = r.history.slice(-20).map((h) => h.loss);
    return {
      diverged: r.diverged,
      at: r.divergedAt,
      loss: r.diverged ? NaN : tail.reduce((a, b) => a + b, 0) / tail.length,
    };
  };
  const none = run(undefined);
  const mine = run({ mode: 'norm', threshold: o.maxNorm, apply: learnerClip(s) });
  const bound = 100 * task.baseline.loss;
  const ok = !mine.diverged;
  const say = (r: typeof none, en: boolean): string =>
    r.diverged
      ? en
        ? `diverged at step ${r.at}`
        : `ステップ ${r.at} で発散`
      : `${en ? 'mean loss of the last 20 steps' : '最後の 20 ステップの平均損失'} ${r.loss.toFixed(4)}`;
  return {
    name: tx(
      `training with your clipByGlobalNorm (max ${o.maxNorm}): tanh RNN with spectral radius 2, SGD ${o.lr}, adding problem T = ${o.length}, ${CLIP_TRAIN_STEPS} steps without diverging (every loss finite and < ${bound.toFixed(2)} = 100 × baseline)`,
      `あなたの clipByGlobalNorm（上限 ${o.maxNorm}）で学習: スペクトル半径 2 の tanh RNN、SGD ${o.lr}、加算問題 T = ${o.length}、${CLIP_TRAIN_STEPS} ステップ発散しないこと（損失が常に有限かつ < ${bound.toFixed(2)} = ベースラインの 100 倍）`,
    ),
    ok,
    ...(ok
      ? {}
      : {
          where: tx(`diverged at step ${mine.at}`, `ステップ ${mine.at} で発散`),
        }),
    note: tx(
      `without clipping: ${say(none, true)}; with yours: ${say(mine, true)}`,
      `クリップなし: ${say(none, false)}、あなたのクリップ: ${say(mine, false)}`,
    ),
  };
}

export const clippingExercise: Exercise<ClippingSolution> = {
  name: 'clipping',
  title: tx('Gradient clipping: by global norm and by value', '勾配クリッピング: 全体ノルムと要素ごとの値'),
  file: 'clipping.ts',
  hints: [
    tx(
      'Global norm: N = sqrt(Σ over ALL arrays and elements of g²) — one number for all the arrays together.',
      '全体ノルム: N = sqrt(すべての配列・要素の g² の和)。全配列でひとつの数です。',
    ),
    tx(
      'Only when N is too large: multiply every element of every array by maxNorm / (N + 1e-6) (the 1e-6 as PyTorch and kioku). The direction stays the same.',
      'N が大きすぎるときだけ、全配列の全要素に maxNorm / (N + 1e-6) を掛けます（1e-6 は PyTorch・kioku と同じ）。向きは変わりません。',
    ),
    tx(
      'By value: each element independently, g = min(max(g, −c), c). Return nothing; change the arrays in place.',
      '値で: 要素ごとに g = min(max(g, −c), c)。戻り値なしで、配列をその場で書き換えます。',
    ),
  ],
  scaffold: () => CLIPPING_SCAFFOLD,
  adopt: (mod, file) => ({
    clipByGlobalNorm: exported<ClippingSolution['clipByGlobalNorm']>(mod, 'clipByGlobalNorm', 2, file),
    clipByValue: exported<ClippingSolution['clipByValue']>(mod, 'clipByValue', 2, file),
  }),
  reference: clippingReference,
  async check(s) {
    const items = attempt(tx('clipping', 'クリッピング'), () => checkClipping(s));
    if (!items.every((i) => i.ok)) return report('clipping', items);
    return report('clipping', [...items, ...attempt(tx('training run', '学習'), () => [trainingRun(s)])]);
  },
};

const CLIPPING_SCAFFOLD = `/**
 * kioku exercise: clipping — the two gradient clippers. Check: npx kioku exercise check clipping
 *
 * By global norm (Pascanu et al. 2013; Chainer optimizer_hooks.GradientClipping; PyTorch
 * clip_grad_norm_; kioku clipGradNorm):
 *   N = ‖concat(all gradients)‖₂
 *   if maxNorm / (N + 1e-6) < 1:  g ← g · maxNorm / (N + 1e-6)   for every element of every array
 *   return N   (the norm BEFORE clipping: log it, a jump means an explosion)
 *
 * By value (Chainer GradientHardClipping; PyTorch clip_grad_value_; kioku clipGradValue):
 *   g ← min(max(g, −clipValue), clipValue)   elementwise; the direction may change
 *
 * Change the arrays in place.
 */

export function clipByGlobalNorm(grads: Float64Array[], maxNorm: number): number {
  // TODO
  throw new Error('TODO: clipByGlobalNorm');
}

export function clipByValue(grads: Float64Array[], clipValue: number): void {
  // TODO
  throw new Error('TODO: clipByValue');
}
`;
