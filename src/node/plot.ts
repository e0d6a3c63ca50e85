/**
 * Figures for reports and the CLI: Vega-Lite specs compiled and rendered to SVG in Node
 * (vega's headless `View.toSVG`), and SVG rasterised to PNG with resvg. Every figure kioku
 * writes goes through here, so charts look alike and nobody hand-writes SVG charts.
 *
 * ```ts
 * const spec = lineChart({ title: 'loss', data: rows, x: 'step', y: 'loss', color: 'cell' });
 * await writeFigure('runs/demo/loss', spec); // loss.svg and loss.png
 * ```
 */
import { writeFileAtomic } from './atomic.js';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type VegaLiteSpec = TopLevelSpec;

/** Render a Vega-Lite spec to an SVG string (no browser, no canvas). */
export async function vegaLiteToSvg(spec: VegaLiteSpec): Promise<string> {
  const vgSpec = compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise SVG to PNG bytes; `scale` 2 gives crisp figures on high-DPI screens. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** Write a figure atomically (temp + rename): never left half-written, no temp left on failure. */
function writeAtomic(path: string, data: string | Uint8Array): void {
  writeFileAtomic(path, typeof data === 'string' ? new TextEncoder().encode(data) : data, { fsync: false });
}

/** Render `spec` and write `<base>.svg` and `<base>.png`; returns both paths. */
export async function writeFigure(base: string, spec: VegaLiteSpec): Promise<{ svg: string; png: string }> {
  const svg = await vegaLiteToSvg(spec);
  writeAtomic(`${base}.svg`, svg);
  writeAtomic(`${base}.png`, svgToPng(svg));
  return { svg: `${base}.svg`, png: `${base}.png` };
}

export interface LineChartOptions {
  title: string;
  data: Record<string, unknown>[];
  x: string;
  y: string;
  /** Field that splits the data into coloured series. */
  color?: string;
  xTitle?: string;
  yTitle?: string;
  logY?: boolean;
  /** Log-scaled x axis (values spanning decades). */
  logX?: boolean;
  /** Mark every data point on the line (sparse measurements). */
  points?: boolean;
  width?: number;
  height?: number;
}

/** A line chart spec (one line per `color` value). */
export function lineChart(o: LineChartOptions): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 560,
    height: o.height ?? 300,
    data: { values: o.data },
    mark: { type: 'line', strokeWidth: 1.5, ...(o.points ? { point: true } : {}) },
    encoding: {
      x: {
        field: o.x,
        type: 'quantitative',
        title: o.xTitle ?? o.x,
        ...(o.logX ? { scale: { type: 'log' } } : {}),
      },
      y: {
        field: o.y,
        type: 'quantitative',
        title: o.yTitle ?? o.y,
        scale: o.logY ? { type: 'log' } : { zero: false },
      },
      ...(o.color ? { color: { field: o.color, type: 'nominal', title: o.color } } : {}),
    },
  } as VegaLiteSpec;
}
