/**
 * What the mixture density network predicts along a written line (Graves 2013 Fig. 10):
 * the network reads the line point by point (teacher forcing) and, at every point p_t, its
 * output is a distribution over the next point p_{t+1} = p_t + (Δx, Δy): a mixture of
 * bivariate Gaussians placed at p_t, and an end-of-stroke probability. Summing those
 * densities over t on a pixel grid gives the heatmap; e_t over t gives the end-of-stroke
 * track; π_t over t shows which mixture components the network uses where.
 *
 * ```ts
 * const trace = predictAlongLine(model, stats, line);        // line in raw units
 * const grid = densityGrid(trace, { width: 900 });           // Float64Array [h·w]
 * ```
 */
import {
  drawingBounds,
  normalizeOffsets,
  offsetsToDrawing,
  type Drawing,
  type OffsetSequence,
  type OffsetStats,
} from './strokes.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber } from '../../util/errors.js';
import { logBivariateNormal, mixtureAt, type Mixture, type MixtureFn } from './mdn.js';
import type { HandwritingModel } from './model.js';

/** Predictions at every point of a line, in the line's raw units. */
export interface DensityTrace {
  /** The line as strokes (raw units, starting at the origin). */
  drawing: Drawing;
  /** Absolute pen positions p_0 .. p_{n−1}. */
  points: { x: number; y: number }[];
  /** True end-of-stroke bits x₃ of the points. */
  eosTrue: number[];
  /** mixtures[t]: the distribution of the offset p_{t+1} − p_t (raw units), t = 0 .. n−2. */
  mixtures: Mixture[];
  /** −log p(x_{t+1} | x_{≤t}) per predicted point (normalised units, as in training). */
  nll: number[];
}

/** Map a mixture over normalised offsets to raw units: μ = μ' s + m, σ = σ' s, ρ unchanged. */
export function denormalizeMixture(mix: Mixture, st: OffsetStats): Mixture {
  return {
    ...mix,
    mu1: mix.mu1.map((v) => v * st.stdX + st.meanX),
    mu2: mix.mu2.map((v) => v * st.stdY + st.meanY),
    sigma1: mix.sigma1.map((v) => v * st.stdX),
    sigma2: mix.sigma2.map((v) => v * st.stdY),
  };
}

/**
 * Run `model` over `line` (raw units) and collect the predicted distribution at every point
 * (`opts.mixture` turns outputs into mixtures; default `mixtureAt`, Graves eqs. 18-22).
 */
export function predictAlongLine(
  model: HandwritingModel,
  stats: OffsetStats,
  line: OffsetSequence,
  opts: { bias?: number; mixture?: MixtureFn } = {},
): DensityTrace {
  checkNumber('predictAlongLine', 'line.length', line.length, { min: 2, integer: true });
  const raw: OffsetSequence = { ...line, data: new Float32Array(line.data) };
  raw.data[0] = 0;
  raw.data[1] = 0;
  const z = normalizeOffsets(raw, stats);
  const n = raw.length;
  const wasTraining = model.training;
  model.eval();
  const { yhat } = model.forward(new Tensor(z.data, [n, 1, 3]));
  model.train(wasTraining);
  const M = model.config.mixtures;
  const K = 1 + 6 * M;
  const mixtures: Mixture[] = [];
  const nll: number[] = [];
  for (let t = 0; t + 1 < n; t++) {
    const m = (opts.mixture ?? mixtureAt)(yhat.data, t * K, M, { bias: opts.bias ?? 0 });
    const x1 = z.data[(t + 1) * 3];
    const x2 = z.data[(t + 1) * 3 + 1];
    const x3 = z.data[(t + 1) * 3 + 2];
    let p = 0;
    for (let j = 0; j < M; j++) {
      p +=
        m.pi[j] *
        Math.exp(
          logBivariateNormal(
            x1,
            x2,
            m.mu1[j],
            m.mu2[j],
            Math.log(m.sigma1[j]),
            Math.log(m.sigma2[j]),
            m.rho[j],
          ),
        );
    }
    nll.push(-Math.log(Math.max(p, 1e-300)) - Math.log(Math.max(x3 >= 0.5 ? m.e : 1 - m.e, 1e-300)));
    mixtures.push(denormalizeMixture(m, stats));
  }
  const drawing = offsetsToDrawing(raw);
  const points: { x: number; y: number }[] = [];
  let x = 0;
  let y = 0;
  for (let t = 0; t < n; t++) {
    x += raw.data[t * 3];
    y += raw.data[t * 3 + 1];
    points.push({ x, y });
  }
  return {
    drawing,
    points,
    eosTrue: Array.from({ length: n }, (_, t) => raw.data[t * 3 + 2]),
    mixtures,
    nll,
  };
}

export interface DensityGridOptions {
  /** Grid width in cells (default 900); the height follows the line's aspect. */
  width?: number;
  /** Margin around the line in raw units (default: 8% of its width). */
  margin?: number;
  /** Components with π below this are skipped (default 1e-3). */
  minPi?: number;
}

export interface DensityGrid {
  width: number;
  height: number;
  /** Raw-unit extent: cell (0, 0) is at (x0, y0), cells are `cell` units wide, y down. */
  x0: number;
  y0: number;
  cell: number;
  /** Σ_t probability mass of the step-t prediction in each cell, row-major [height, width]. */
  mass: Float64Array;
}

/**
 * Accumulate every step's predicted density of the next pen position on a grid: cell
 * value = Σ_t P_t(cell), each P_t integrating to 1 over the plane (evaluated at cell centres
 * within ±4σ of each component, each Gaussian blurred by half a cell for display).
 */
export function densityGrid(trace: DensityTrace, opts: DensityGridOptions = {}): DensityGrid {
  const b = drawingBounds(trace.drawing);
  const W = checkNumber('densityGrid', 'width', opts.width ?? 900, { min: 8, integer: true });
  const spanX = Math.max(b.maxX - b.minX, 1e-6);
  const margin = opts.margin ?? 0.08 * spanX;
  const x0 = b.minX - margin;
  const y0 = b.minY - margin;
  const cell = (spanX + 2 * margin) / W;
  const H = Math.max(8, Math.ceil((b.maxY - b.minY + 2 * margin) / cell));
  const mass = new Float64Array(W * H);
  const minPi = opts.minPi ?? 1e-3;
  const area = cell * cell;
  trace.mixtures.forEach((m, t) => {
    const p = trace.points[t];
    for (let j = 0; j < m.M; j++) {
      if (m.pi[j] < minPi) continue;
      const cx = p.x + m.mu1[j];
      const cy = p.y + m.mu2[j];
      // Blur by half a cell (add (cell/2)² to each variance) so components narrower than a
      // cell still put their mass on the grid instead of aliasing between cell centres.
      const blur = (cell / 2) ** 2;
      const s1 = Math.sqrt(m.sigma1[j] ** 2 + blur);
      const s2 = Math.sqrt(m.sigma2[j] ** 2 + blur);
      const rho = (m.rho[j] * m.sigma1[j] * m.sigma2[j]) / (s1 * s2);
      const ls1 = Math.log(s1);
      const ls2 = Math.log(s2);
      const i0 = Math.max(0, Math.floor((cx - 4 * s1 - x0) / cell));
      const i1 = Math.min(W - 1, Math.ceil((cx + 4 * s1 - x0) / cell));
      const k0 = Math.max(0, Math.floor((cy - 4 * s2 - y0) / cell));
      const k1 = Math.min(H - 1, Math.ceil((cy + 4 * s2 - y0) / cell));
      for (let k = k0; k <= k1; k++) {
        const yy = y0 + (k + 0.5) * cell;
        for (let i = i0; i <= i1; i++) {
          const xx = x0 + (i + 0.5) * cell;
          mass[k * W + i] += m.pi[j] * Math.exp(logBivariateNormal(xx, yy, cx, cy, ls1, ls2, rho)) * area;
        }
      }
    }
  });
  return { width: W, height: H, x0, y0, cell, mass };
}
