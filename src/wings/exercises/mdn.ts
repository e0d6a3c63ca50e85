/**
 * Exercise `mdn`: the mixture density output of the handwriting network (Graves 2013 §4,
 * eqs. 18-26), written by the learner and plugged into kioku's prepared handwriting training
 * (`trainHandwriting`) and density figure (`predictAlongLine`, `densityFigureSpec`). The
 * reference is kioku's own head (`mixtureAt`, `logBivariateNormal`, `mdnLoss` in
 * src/wings/handwriting/mdn.ts).
 *
 * The learner writes the forward equations; the output derivatives (eqs. 27-35) are prepared
 * here but computed from the learner's mixture and density (the responsibilities γ), so a
 * wrong equation shows up as a wrong gradient and a model that does not learn.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../node/atomic.js';
import { vegaLiteToSvg } from '../../node/plot.js';
import { Tensor } from '../../tensor/tensor.js';
import { loadStrokeData } from '../handwriting/data.js';
import { densityGrid, predictAlongLine } from '../handwriting/density.js';
import { densityFigureSpec } from '../handwriting/figures.js';
import {
  logBivariateNormal,
  type Mixture,
  mixtureAt,
  type MixtureFn,
  mdnLoss,
  type MdnLossFn,
} from '../handwriting/mdn.js';
import { HandwritingModel } from '../handwriting/model.js';
import { denormalizeOffsets } from '../handwriting/strokes.js';
import { evaluateHandwriting, trainHandwriting } from '../handwriting/train.js';
import {
  attempt,
  type CheckItem,
  type CheckReport,
  compareSteps,
  type Exercise,
  exported,
  finiteDifferenceItem,
  firstMismatch,
  randomVec,
  report,
  Rng,
  type Text,
  TOL_GRAD,
  TOL_VALUE,
  tx,
  type Vector,
} from './common.js';

/** The mixture parameters of one step, as the learner returns them. */
export interface MixtureParams {
  e: number;
  pi: Vector;
  mu1: Vector;
  mu2: Vector;
  sigma1: Vector;
  sigma2: Vector;
  rho: Vector;
}

export interface MdnSolution {
  mdnMixture(yhat: Vector, M: number): MixtureParams;
  bivariateNormal(
    x1: number,
    x2: number,
    mu1: number,
    mu2: number,
    s1: number,
    s2: number,
    rho: number,
  ): number;
  mdnStepLoss(mix: MixtureParams, x1: number, x2: number, x3: number): number;
}

/** The reference: kioku's own MDN head, one row at a time. */
export function mdnReference(): MdnSolution {
  return {
    mdnMixture(yhat, M) {
      const m = mixtureAt(yhat, 0, M);
      return {
        e: m.e,
        pi: [...m.pi],
        mu1: [...m.mu1],
        mu2: [...m.mu2],
        sigma1: [...m.sigma1],
        sigma2: [...m.sigma2],
        rho: [...m.rho],
      };
    },
    bivariateNormal: (x1, x2, mu1, mu2, s1, s2, rho) =>
      Math.exp(logBivariateNormal(x1, x2, mu1, mu2, Math.log(s1), Math.log(s2), rho)),
    mdnStepLoss(mix, x1, x2, x3) {
      // Back to ŷ (the inverse of eqs. 18-22) and through kioku's fused loss.
      const M = mix.pi.length;
      const yhat = [
        Math.log((1 - mix.e) / mix.e),
        ...mix.pi.map(Math.log),
        ...mix.mu1,
        ...mix.mu2,
        ...mix.sigma1.map(Math.log),
        ...mix.sigma2.map(Math.log),
        ...mix.rho.map(Math.atanh),
      ];
      const r = mdnLoss(
        Tensor.fromArray(yhat, [1, 1 + 6 * M], 'float64'),
        Tensor.fromArray([x1, x2, x3], [1, 3], 'float64'),
        { M, grad: false },
      );
      return r.nll;
    },
  };
}

const SLICES = ['ê', 'π̂', 'μ̂₁', 'μ̂₂', 'σ̂₁', 'σ̂₂', 'ρ̂'] as const;
const EQS = ['27', '30', '31', '32', '33', '34', '35'] as const;

/** Name the output ŷ[k] of a 1 + 6M vector: "∂L/∂σ̂₁ component j (eq. 33)". */
function outputName(k: number, M: number): string {
  if (k === 0) return `∂L/∂ê (eq. ${EQS[0]})`;
  const s = 1 + Math.floor((k - 1) / M);
  return `∂L/∂${SLICES[s]} component ${(k - 1) % M} (eq. ${EQS[s]})`;
}

/**
 * ∂L/∂ŷ of one step by Graves's eqs. 27-35, from the learner's mixture and density (the
 * prepared part of the exercise). Returns the loss too.
 */
export function mdnStepGradient(
  s: MdnSolution,
  yhat: Vector,
  M: number,
  x1: number,
  x2: number,
  x3: number,
): { loss: number; grad: Vector } {
  const mix = s.mdnMixture(yhat, M);
  const loss = s.mdnStepLoss(mix, x1, x2, x3);
  const grad = new Array<number>(1 + 6 * M).fill(0);
  grad[0] = x3 - mix.e; // eq. 27
  const dens = mix.pi.map(
    (p, j) => p * s.bivariateNormal(x1, x2, mix.mu1[j], mix.mu2[j], mix.sigma1[j], mix.sigma2[j], mix.rho[j]),
  );
  const total = dens.reduce((a, b) => a + b, 0);
  for (let j = 0; j < M; j++) {
    const gamma = total > 0 ? dens[j] / total : 0; // eq. 28
    const rho = mix.rho[j];
    const C = 1 / (1 - rho * rho); // eq. 29
    const u1 = (x1 - mix.mu1[j]) / mix.sigma1[j];
    const u2 = (x2 - mix.mu2[j]) / mix.sigma2[j];
    const Z = u1 * u1 + u2 * u2 - 2 * rho * u1 * u2;
    grad[1 + j] = mix.pi[j] - gamma; // eq. 30
    grad[1 + M + j] = ((-gamma * C) / mix.sigma1[j]) * (u1 - rho * u2); // eq. 31
    grad[1 + 2 * M + j] = ((-gamma * C) / mix.sigma2[j]) * (u2 - rho * u1); // eq. 32
    grad[1 + 3 * M + j] = -gamma * (C * u1 * (u1 - rho * u2) - 1); // eq. 33
    grad[1 + 4 * M + j] = -gamma * (C * u2 * (u2 - rho * u1) - 1); // eq. 34
    grad[1 + 5 * M + j] = -gamma * (u1 * u2 + rho * (1 - C * Z)); // eq. 35
  }
  return { loss, grad };
}

/** The learner's head as an `MdnLossFn`, for kioku's `trainHandwriting`. */
export function learnerMdnLoss(s: MdnSolution): MdnLossFn {
  return (yhat, target, opts) => {
    const M = opts.M;
    const K = 1 + 6 * M;
    const N = yhat.size / K;
    const grad = opts.grad === false ? null : Tensor.zeros(yhat.shape, yhat.dtype);
    const rowLoss = new Float64Array(N);
    const scale = opts.scale ?? 1;
    let nll = 0;
    let count = 0;
    let sse = 0;
    let clipped = 0;
    for (let r = 0; r < N; r++) {
      const w = opts.mask ? opts.mask[r] : 1;
      if (w === 0) continue;
      const y = Array.from(yhat.data.subarray(r * K, (r + 1) * K));
      const [x1, x2, x3] = [target.data[r * 3], target.data[r * 3 + 1], target.data[r * 3 + 2]];
      const step = mdnStepGradient(s, y, M, x1, x2, x3);
      rowLoss[r] = w * step.loss;
      nll += w * step.loss;
      count += w;
      const mix = s.mdnMixture(y, M);
      let m1 = 0;
      let m2 = 0;
      for (let j = 0; j < M; j++) {
        m1 += mix.pi[j] * mix.mu1[j];
        m2 += mix.pi[j] * mix.mu2[j];
      }
      sse += w * ((m1 - x1) ** 2 + (m2 - x2) ** 2 + (mix.e - x3) ** 2);
      if (grad) {
        for (let k = 0; k < K; k++) {
          let g = step.grad[k];
          if (opts.clip !== undefined && Math.abs(g) > opts.clip) {
            g = Math.sign(g) * opts.clip;
            clipped++;
          }
          grad.data[r * K + k] = w * scale * g;
        }
      }
    }
    return { nll, count, rowLoss, sse, grad, clipped };
  };
}

/** The learner's mixture as kioku's `Mixture`, for the density figure. */
export function learnerMixture(s: MdnSolution): MixtureFn {
  return (yhat, off, M) => {
    const m = s.mdnMixture(
      Array.from({ length: 1 + 6 * M }, (_, k) => yhat[off + k]),
      M,
    );
    const mix: Mixture = {
      M,
      e: m.e,
      pi: Float64Array.from(m.pi),
      mu1: Float64Array.from(m.mu1),
      mu2: Float64Array.from(m.mu2),
      sigma1: Float64Array.from(m.sigma1),
      sigma2: Float64Array.from(m.sigma2),
      rho: Float64Array.from(m.rho),
    };
    return mix;
  };
}

const M_CHECK = 3;

function checkEquations(s: MdnSolution): CheckItem[] {
  const rng = new Rng(91);
  const M = M_CHECK;
  const rows = Array.from({ length: 4 }, () => randomVec(rng, 1 + 6 * M, 1.5));
  const targets = rows.map((_, r) => [rng.uniformRange(-1, 1), rng.uniformRange(-1, 1), r % 2]);
  const items: CheckItem[] = [];
  // Eqs. 18-22: the mixture parameters, quantity by quantity.
  const names: [keyof MixtureParams, string][] = [
    ['e', 'e (eq. 18)'],
    ['pi', 'π (eq. 19)'],
    ['mu1', 'μ₁ (eq. 20)'],
    ['mu2', 'μ₂ (eq. 20)'],
    ['sigma1', 'σ₁ (eq. 21)'],
    ['sigma2', 'σ₂ (eq. 21)'],
    ['rho', 'ρ (eq. 22)'],
  ];
  const ref = rows.map((y) => mixtureAt(y, 0, M));
  const mine = rows.map((y) => s.mdnMixture([...y], M));
  let mixItem: CheckItem = {
    name: tx('mixture parameters (eqs. 18-22)', '混合のパラメータ（式 18-22）'),
    ok: true,
    maxDiff: 0,
  };
  for (const [key, label] of names) {
    for (let r = 0; r < rows.length && mixItem.ok; r++) {
      const e = key === 'e' ? [ref[r].e] : Array.from(ref[r][key]);
      const gv = mine[r]?.[key];
      const g = typeof gv === 'number' ? [gv] : Array.isArray(gv) ? gv : [];
      const m = firstMismatch(e, g, TOL_VALUE);
      mixItem.maxDiff = Math.max(mixItem.maxDiff ?? 0, Number.isNaN(m.maxDiff) ? Infinity : m.maxDiff);
      if (m.index >= 0 || g.length !== e.length) {
        const j = Math.max(m.index, 0);
        mixItem = {
          ...mixItem,
          ok: false,
          where:
            key === 'e'
              ? tx(`${label}, output row ${r}`, `${label}、出力の行 ${r}`)
              : tx(`${label}, output row ${r}, component ${j}`, `${label}、出力の行 ${r}、成分 ${j}`),
          expected: e[j],
          got: g[j],
        };
      }
    }
  }
  items.push(mixItem);
  // Eqs. 24-25: the bivariate density.
  const refN: Vector[] = [];
  const myN: Vector[] = [];
  for (const r of ref) {
    const x = [0.3, -0.2];
    refN.push(
      Array.from({ length: M }, (_, j) =>
        Math.exp(
          logBivariateNormal(
            x[0],
            x[1],
            r.mu1[j],
            r.mu2[j],
            Math.log(r.sigma1[j]),
            Math.log(r.sigma2[j]),
            r.rho[j],
          ),
        ),
      ),
    );
    myN.push(
      Array.from({ length: M }, (_, j) =>
        s.bivariateNormal(x[0], x[1], r.mu1[j], r.mu2[j], r.sigma1[j], r.sigma2[j], r.rho[j]),
      ),
    );
  }
  items.push(
    compareSteps(
      tx(
        'bivariate normal density N(x | μ, σ, ρ) (eqs. 24-25)',
        '2 変量正規分布の密度 N(x | μ, σ, ρ)（式 24-25）',
      ),
      refN,
      myN,
      TOL_VALUE,
      (t, j) =>
        tx(
          `output row ${t}, component ${j}, at x = (0.3, −0.2)`,
          `出力の行 ${t}、成分 ${j}、x = (0.3, −0.2) において`,
        ),
    ),
  );
  // Eq. 26: the loss of each row (x₃ = 0 and 1 both appear).
  const refL = rows.map((y, r) => [
    mdnLoss(Tensor.fromArray(y, [1, 1 + 6 * M], 'float64'), Tensor.fromArray(targets[r], [1, 3], 'float64'), {
      M,
      grad: false,
    }).nll,
  ]);
  const myL = rows.map((y, r) => [
    s.mdnStepLoss(s.mdnMixture([...y], M), targets[r][0], targets[r][1], targets[r][2]),
  ]);
  items.push(
    compareSteps(
      tx('loss L = −log Σ π N − log(e or 1−e) (eq. 26)', '損失 L = −log Σ π N − log(e または 1−e)（式 26）'),
      refL,
      myL,
      TOL_VALUE,
      (t) =>
        tx(
          `output row ${t} (end of stroke x₃ = ${targets[t][2]})`,
          `出力の行 ${t}（ストローク終端 x₃ = ${targets[t][2]}）`,
        ),
    ),
  );
  // Eqs. 27-35 computed from the learner's parts vs kioku's fused gradient.
  const refG = rows.map((y, r) =>
    Array.from(
      mdnLoss(
        Tensor.fromArray(y, [1, 1 + 6 * M], 'float64'),
        Tensor.fromArray(targets[r], [1, 3], 'float64'),
        { M },
      ).grad!.data,
    ),
  );
  const myG = rows.map(
    (y, r) => mdnStepGradient(s, [...y], M, targets[r][0], targets[r][1], targets[r][2]).grad,
  );
  items.push(
    compareSteps(
      tx(
        'output derivatives ∂L/∂ŷ (eqs. 27-35, from your mixture and density)',
        '出力の微分 ∂L/∂ŷ（式 27-35、あなたの混合と密度から）',
      ),
      refG,
      myG,
      TOL_GRAD,
      (t, k) => tx(`output row ${t}, ${outputName(k, M)}`, `出力の行 ${t}、${outputName(k, M)}`),
    ),
  );
  // Float64 finite differences of the learner's loss in ŷ against that gradient.
  const y0 = [...rows[1]];
  const g0 = mdnStepGradient(s, y0, M, targets[1][0], targets[1][1], targets[1][2]).grad;
  items.push(
    finiteDifferenceItem(
      tx('finite differences of your loss in ŷ = the gradient', 'あなたの損失の ŷ による数値微分 = 勾配'),
      () => s.mdnStepLoss(s.mdnMixture(y0, M), targets[1][0], targets[1][1], targets[1][2]),
      y0.map((_, k) => ({ name: 'dL/dyhat', param: y0, grad: g0, index: k })),
    ),
  );
  return items;
}

/** The stated loss of the short training run (nats per validation point). */
export const MDN_TRAIN_STEPS = 60;
export const MDN_TARGET_NLL = 1.0;

async function trainWith(
  s: MdnSolution,
  figuresDir: string | null,
): Promise<{ item: CheckItem; files: string[]; notes: Text[] }> {
  const data = loadStrokeData({
    source: 'builtin',
    builtin: { seed: 3, trainWriters: 6, validWriters: 2, linesPerWriter: 3 },
  });
  const model = new HandwritingModel({
    cell: 'lstm',
    hiddenSize: 24,
    numLayers: 1,
    mixtures: M_CHECK,
    seed: 1,
  });
  const loss = learnerMdnLoss(s);
  const before = evaluateHandwriting(model, data.valid, 32, loss).nllPerPoint;
  const r = await trainHandwriting(
    model,
    data,
    { steps: MDN_TRAIN_STEPS, batchSize: 8, seqLen: 60, evalEvery: 0, lr: 1e-2 },
    {},
    loss,
  );
  const after = r.final.nllPerPoint;
  const ok = Number.isFinite(after) && after < MDN_TARGET_NLL;
  const item: CheckItem = {
    name: tx(
      `training with your MDN: ${MDN_TRAIN_STEPS} steps of kioku's handwriting trainer must bring the validation NLL below ${MDN_TARGET_NLL} nats/point`,
      `あなたの MDN で学習: kioku の手書き学習を ${MDN_TRAIN_STEPS} ステップ、検証 NLL を ${MDN_TARGET_NLL} nats/点 未満に`,
    ),
    ok,
    ...(ok
      ? {}
      : {
          where: tx(`validation NLL after training`, `学習後の検証 NLL`),
          expected: MDN_TARGET_NLL,
          got: after,
        }),
    note: tx(
      `validation NLL ${before.toFixed(3)} → ${after.toFixed(3)} nats/point`,
      `検証 NLL ${before.toFixed(3)} → ${after.toFixed(3)} nats/点`,
    ),
  };
  const files: string[] = [];
  if (ok && figuresDir) {
    const line = denormalizeOffsets(data.valid[0], data.stats);
    const trace = predictAlongLine(model, data.stats, line, { mixture: learnerMixture(s) });
    const grid = densityGrid(trace, { width: 700 });
    const total = trace.nll.reduce((a, b) => a + b, 0);
    const svg = await vegaLiteToSvg(
      densityFigureSpec(trace, grid, {
        title: `your MDN: predicted density of the next point (NLL ${(total / trace.nll.length).toFixed(3)} per point)`,
      }),
    );
    const file = join(figuresDir, 'mdn-density.svg');
    writeFileAtomic(file, new TextEncoder().encode(svg));
    files.push(file);
  }
  return { item, files, notes: [] };
}

export const mdnExercise: Exercise<MdnSolution> = {
  name: 'mdn',
  title: tx(
    'Handwriting MDN head (Graves 2013 eqs. 18-26): train it and draw its density',
    '手書きの MDN 出力層（Graves 2013 式 18-26）: 学習させて密度を描く',
  ),
  file: 'mdn.ts',
  hints: [
    tx(
      'Layout of ŷ: [ê | π̂ (M) | μ̂₁ (M) | μ̂₂ (M) | σ̂₁ (M) | σ̂₂ (M) | ρ̂ (M)]. e = 1/(1 + exp(ê)) (note the sign: eq. 18), μ = μ̂, σ = exp(σ̂), ρ = tanh(ρ̂).',
      'ŷ の並び: [ê | π̂ (M) | μ̂₁ (M) | μ̂₂ (M) | σ̂₁ (M) | σ̂₂ (M) | ρ̂ (M)]。e = 1/(1 + exp(ê))（符号に注意: 式 18）、μ = μ̂、σ = exp(σ̂)、ρ = tanh(ρ̂)。',
    ),
    tx(
      'π = softmax(π̂): subtract the largest π̂ before exp. Density: with u₁ = (x₁−μ₁)/σ₁, u₂ = (x₂−μ₂)/σ₂, Z = u₁² + u₂² − 2ρu₁u₂, N = exp(−Z / (2(1−ρ²))) / (2π σ₁ σ₂ √(1−ρ²)).',
      'π = softmax(π̂): exp の前に最大の π̂ を引きます。密度: u₁ = (x₁−μ₁)/σ₁, u₂ = (x₂−μ₂)/σ₂, Z = u₁² + u₂² − 2ρu₁u₂ として N = exp(−Z / (2(1−ρ²))) / (2π σ₁ σ₂ √(1−ρ²))。',
    ),
    tx(
      'Loss: L = −log(Σ_j π_j N_j) − (x₃ = 1 ? log e : log(1 − e)). Use your bivariateNormal for N_j.',
      '損失: L = −log(Σ_j π_j N_j) − (x₃ = 1 なら log e、そうでなければ log(1 − e))。N_j にはあなたの bivariateNormal を使います。',
    ),
  ],
  scaffold: () => MDN_SCAFFOLD,
  adopt: (mod, file) => ({
    mdnMixture: exported<MdnSolution['mdnMixture']>(mod, 'mdnMixture', 2, file),
    bivariateNormal: exported<MdnSolution['bivariateNormal']>(mod, 'bivariateNormal', 7, file),
    mdnStepLoss: exported<MdnSolution['mdnStepLoss']>(mod, 'mdnStepLoss', 4, file),
  }),
  reference: mdnReference,
  async check(s, ctx): Promise<CheckReport> {
    const items = attempt(tx('MDN equations', 'MDN の式'), () => checkEquations(s));
    if (!items.every((i) => i.ok)) return report('mdn', items);
    try {
      const t = await trainWith(s, ctx.figures ? ctx.dir : null);
      return report('mdn', [...items, t.item], t.notes, t.files);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return report('mdn', [
        ...items,
        {
          name: tx('training with your MDN', 'あなたの MDN で学習'),
          ok: false,
          where: tx(`training stopped: ${msg}`, `学習が止まりました: ${msg}`),
        },
      ]);
    }
  },
};

const MDN_SCAFFOLD = `/**
 * kioku exercise: mdn — the mixture density output of Graves (2013) §4 handwriting prediction
 * (after Bishop 1994). Check: npx kioku exercise check mdn
 *
 * kioku prepared the rest: the LSTM that reads pen offsets, the training loop, the output
 * derivatives (eqs. 27-35, computed from YOUR mixture and density), and the figure. When your
 * equations are right, \`check\` trains a small model with them and draws its predicted density
 * into mdn-density.svg next to this file.
 *
 * The network's output ŷ (length 1 + 6M) for one step is laid out as
 *   [ ê | π̂_0..π̂_{M-1} | μ̂₁ (M) | μ̂₂ (M) | σ̂₁ (M) | σ̂₂ (M) | ρ̂ (M) ]
 *
 *   e   = 1 / (1 + exp(ê))                       (18)  end-of-stroke probability
 *   π_j = exp(π̂_j) / Σ_k exp(π̂_k)                (19)  mixture weights
 *   μ_j = μ̂_j                                     (20)  means
 *   σ_j = exp(σ̂_j)                                (21)  standard deviations
 *   ρ_j = tanh(ρ̂_j)                               (22)  correlations
 *
 *   N(x | μ, σ, ρ) = 1 / (2π σ₁ σ₂ √(1−ρ²)) · exp(−Z / (2(1−ρ²)))                 (24)
 *   Z = (x₁−μ₁)²/σ₁² + (x₂−μ₂)²/σ₂² − 2ρ(x₁−μ₁)(x₂−μ₂)/(σ₁σ₂)                     (25)
 *
 *   L(x) = −log Σ_j π_j N(x₁, x₂ | μ_j, σ_j, ρ_j) − { log e if x₃ = 1, log(1 − e) otherwise }   (26)
 */
import type { Vector } from 'kioku';

export interface MixtureParams {
  e: number;
  pi: Vector; // [M]
  mu1: Vector;
  mu2: Vector;
  sigma1: Vector;
  sigma2: Vector;
  rho: Vector;
}

/** Eqs. 18-22: ŷ [1 + 6M] → the mixture parameters. */
export function mdnMixture(yhat: Vector, M: number): MixtureParams {
  // TODO
  throw new Error('TODO: mdnMixture');
}

/** Eqs. 24-25: the bivariate normal density at (x1, x2). */
export function bivariateNormal(x1: number, x2: number, mu1: number, mu2: number, s1: number, s2: number, rho: number): number {
  // TODO
  throw new Error('TODO: bivariateNormal');
}

/** Eq. 26: the loss of one step, with target (x1, x2, x3). */
export function mdnStepLoss(mix: MixtureParams, x1: number, x2: number, x3: number): number {
  // TODO (use bivariateNormal)
  throw new Error('TODO: mdnStepLoss');
}
`;
