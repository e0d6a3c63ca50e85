/**
 * Figures of the handwriting model, as Vega-Lite specs rendered by `viz/plot.ts`:
 *
 * - the predicted next-point density along a line (Graves 2013 Fig. 10): a heatmap raster
 *   (one embedded PNG, see `png.ts`) under the line's strokes, with Vega-Lite axes;
 * - the end-of-stroke probability e_t as a track below it, the true pen lifts marked;
 * - the mixture weights π_t (components × time) as a heatmap;
 * - the per-point NLL of the line.
 *
 * ```ts
 * const trace = predictAlongLine(model, stats, line);
 * await writeFigure('out/density', densityFigureSpec(trace, densityGrid(trace), { title: 'lstm' }));
 * ```
 */
import { scheme } from 'vega';
import type { VegaLiteSpec } from '../../node/plot.js';
import type { DensityGrid, DensityTrace } from './density.js';
import { encodePng, pngDataUrl } from './png.js';

/** A 256-entry RGB lookup table of a Vega colour scheme (default magma). */
export function colorLut(name = 'magma'): Uint8Array {
  const f = scheme(name) as unknown as (t: number) => string;
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(f(i / 255));
    if (!m) throw new Error(`colorLut: unexpected colour ${f(i / 255)}`);
    lut.set([Number(m[1]), Number(m[2]), Number(m[3])], i * 3);
  }
  return lut;
}

/**
 * The density grid as PNG bytes: mass / (its 99.5th percentile), clipped to 1, raised to
 * `gamma` (default 0.5, so faint broad predictions stay visible beside sharp ones).
 */
export function densityPng(grid: DensityGrid, opts: { gamma?: number; scheme?: string } = {}): Uint8Array {
  const vals = Array.from(grid.mass)
    .filter((v) => v > 0)
    .sort((a, b) => a - b);
  const top = vals.length ? vals[Math.min(vals.length - 1, Math.floor(vals.length * 0.995))] : 1;
  const gamma = opts.gamma ?? 0.5;
  const lut = colorLut(opts.scheme ?? 'magma');
  const rgba = new Uint8Array(grid.width * grid.height * 4);
  for (let i = 0; i < grid.mass.length; i++) {
    const v = Math.min(1, grid.mass[i] / (top || 1)) ** gamma;
    const k = Math.round(v * 255) * 3;
    rgba[i * 4] = lut[k];
    rgba[i * 4 + 1] = lut[k + 1];
    rgba[i * 4 + 2] = lut[k + 2];
    rgba[i * 4 + 3] = 255;
  }
  return encodePng(grid.width, grid.height, rgba);
}

export interface DensityFigureOptions {
  title?: string;
  /** Width of the panels in pixels (default: the grid width). */
  width?: number;
  /** Show the line's strokes over the heatmap (default true). */
  strokes?: boolean;
}

/**
 * Graves Fig. 10 for one line: density heatmap with the strokes, end-of-stroke track,
 * mixture-weight heatmap and per-point NLL, stacked and sharing the time axis below.
 */
export function densityFigureSpec(
  trace: DensityTrace,
  grid: DensityGrid,
  opts: DensityFigureOptions = {},
): VegaLiteSpec {
  const W = opts.width ?? grid.width;
  const Hpx = Math.round((W * grid.height) / grid.width);
  const xDomain = [grid.x0, grid.x0 + grid.width * grid.cell];
  const yDomain = [grid.y0, grid.y0 + grid.height * grid.cell];
  const strokeRows: { x: number; y: number; s: number; i: number }[] = [];
  trace.drawing.strokes.forEach((st, s) => st.forEach((p, i) => strokeRows.push({ x: p.x, y: p.y, s, i })));
  const n = trace.mixtures.length;
  const eosRows = trace.mixtures.map((m, t) => ({
    t: t + 1,
    e: m.e,
    lift: trace.eosTrue[t + 1] >= 0.5 ? 1 : 0,
  }));
  const piRows: { t: number; t2: number; j: number; pi: number }[] = [];
  // Components ordered by their total weight, heaviest on top.
  const M = n ? trace.mixtures[0].M : 0;
  const total = new Float64Array(M);
  for (const m of trace.mixtures) for (let j = 0; j < M; j++) total[j] += m.pi[j];
  const order = Array.from({ length: M }, (_, j) => j).sort((a, b) => total[b] - total[a]);
  const rank = new Map(order.map((j, r) => [j, r]));
  trace.mixtures.forEach((m, t) => {
    for (let j = 0; j < M; j++)
      if (m.pi[j] >= 0.005) piRows.push({ t: t + 1, t2: t + 2, j: rank.get(j)!, pi: m.pi[j] });
  });
  const nllRows = trace.nll.map((v, t) => ({ t: t + 1, nll: v }));
  const timeAxis = {
    field: 't',
    type: 'quantitative',
    title: 'point t',
    scale: { domain: [0, n + 1], nice: false },
  };
  const densityLayers: unknown[] = [
    {
      data: { values: [{ x: grid.x0, y: grid.y0, url: pngDataUrl(densityPng(grid)) }] },
      mark: {
        type: 'image',
        width: W,
        height: Hpx,
        align: 'left',
        baseline: 'top',
        aspect: false,
        aria: false,
      },
      encoding: {
        x: {
          field: 'x',
          type: 'quantitative',
          scale: { domain: xDomain, nice: false, zero: false },
          title: 'x (data units)',
        },
        y: {
          field: 'y',
          type: 'quantitative',
          scale: { domain: yDomain, nice: false, zero: false, reverse: true },
          title: 'y (down)',
        },
        url: { field: 'url', type: 'nominal' },
      },
    },
  ];
  if (opts.strokes ?? true) {
    densityLayers.push({
      data: { values: strokeRows },
      mark: { type: 'line', strokeWidth: 0.8, color: '#7fdbff', opacity: 0.55, aria: false },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        y: { field: 'y', type: 'quantitative' },
        detail: { field: 's', type: 'nominal' },
        order: { field: 'i', type: 'quantitative' },
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? 'Predicted next-point density along the line',
    config: { view: { stroke: null }, axis: { grid: false } },
    vconcat: [
      { width: W, height: Hpx, layer: densityLayers },
      {
        width: W,
        height: 70,
        title: {
          text: 'end-of-stroke probability e_t (ticks: true pen lifts)',
          fontSize: 11,
          anchor: 'start',
        },
        layer: [
          {
            data: { values: eosRows },
            mark: {
              type: 'area',
              color: '#e4572e',
              opacity: 0.8,
              line: { color: '#a4301b', strokeWidth: 0.8 },
              aria: false,
            },
            encoding: {
              x: timeAxis,
              y: { field: 'e', type: 'quantitative', title: 'e', scale: { domain: [0, 1] } },
            },
          },
          {
            data: { values: eosRows.filter((r) => r.lift) },
            mark: { type: 'tick', color: '#17becf', thickness: 1.5, size: 12, aria: false },
            encoding: { x: { field: 't', type: 'quantitative' }, y: { datum: 1.0 } },
          },
        ],
      },
      {
        width: W,
        height: 140,
        title: {
          text: 'mixture weights π_t (components sorted by total weight)',
          fontSize: 11,
          anchor: 'start',
        },
        data: { values: piRows },
        mark: { type: 'rect', aria: false },
        encoding: {
          x: timeAxis,
          x2: { field: 't2' },
          y: { field: 'j', type: 'ordinal', title: 'component', axis: { labels: false, ticks: false } },
          color: {
            field: 'pi',
            type: 'quantitative',
            title: 'π',
            scale: { scheme: 'blues', domain: [0, 1] },
          },
        },
      },
      {
        width: W,
        height: 70,
        title: {
          text: '−log p(x_{t+1} | x_{≤t}) per point (nats, normalised units)',
          fontSize: 11,
          anchor: 'start',
        },
        data: { values: nllRows },
        mark: { type: 'line', color: '#333', strokeWidth: 0.8, aria: false },
        encoding: { x: timeAxis, y: { field: 'nll', type: 'quantitative', title: 'NLL' } },
      },
    ],
  } as unknown as VegaLiteSpec;
}
