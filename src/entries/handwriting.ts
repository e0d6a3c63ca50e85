/**
 * `kioku/handwriting`: handwriting prediction (Graves 2013 §4) — the MDN output layer, the
 * prediction network, stroke data, training, sampling and density figures. Node only; the
 * figures need the optional packages `vega`, `vega-lite` and `@resvg/resvg-js`.
 *
 * @module
 */
import '../index.node.js';

export * from '../wings/handwriting/index.js';
