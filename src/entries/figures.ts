/**
 * `kioku/figures`: Vega-Lite figures rendered to SVG and PNG in Node. Needs the optional
 * packages `vega`, `vega-lite` and `@resvg/resvg-js` (`npm install vega vega-lite @resvg/resvg-js`).
 *
 * ```ts
 * import { lineChart, writeFigure } from 'kioku/figures';
 * await writeFigure('runs/loss', lineChart({ title: 'loss', data: rows, x: 'step', y: 'loss' }));
 * ```
 *
 * @module
 */
export * from '../node/plot.js';
