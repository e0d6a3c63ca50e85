import type { VegaLiteSpec } from '../../node/plot.js';

/**
 * Attention alignment heatmap (as in Bahdanau et al. 2015, Fig. 3): one cell per
 * (output symbol, source symbol), shaded by the attention weight α.
 * `weights[i][s]` is the weight on source position s when output i was produced; pass
 * the output labels including the final `</s>` row if its weights are included.
 */
export function attentionHeatmap(
  source: readonly string[],
  outputs: readonly string[],
  weights: readonly (readonly number[])[],
  title: string,
): VegaLiteSpec {
  const rows: Record<string, unknown>[] = [];
  const srcLabels = source.map((s, i) => `${i + 1}:${s}`);
  const outLabels = outputs.map((o, i) => `${i + 1}:${o}`);
  weights.forEach((w, i) => {
    if (i >= outputs.length) return;
    w.forEach((a, s) => {
      if (s < source.length) rows.push({ source: srcLabels[s], output: outLabels[i], weight: a });
    });
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: rows },
    width: Math.max(120, 28 * source.length),
    height: Math.max(120, 24 * outputs.length),
    layer: [
      {
        mark: 'rect',
        encoding: {
          x: {
            field: 'source',
            type: 'ordinal',
            sort: srcLabels,
            title: 'source (graphemes)',
            axis: { labelAngle: 0 },
          },
          y: { field: 'output', type: 'ordinal', sort: outLabels, title: 'output (phonemes)' },
          color: {
            field: 'weight',
            type: 'quantitative',
            scale: { scheme: 'greys', domain: [0, 1] },
            title: 'α',
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: {
          x: { field: 'source', type: 'ordinal', sort: srcLabels },
          y: { field: 'output', type: 'ordinal', sort: outLabels },
          text: { field: 'weight', type: 'quantitative', format: '.2f' },
          color: { condition: { test: 'datum.weight > 0.5', value: 'white' }, value: 'black' },
        },
      },
    ],
  } as VegaLiteSpec;
}
