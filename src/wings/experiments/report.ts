/**
 * Experiment reports a learner can read: one self-contained HTML page (figures inline as
 * SVG, a short "what to look for", the tables, and the exact command and seed that
 * reproduce it), every figure also as `figures/<name>.svg` and `.png`, and all the numbers
 * in `results.json`. Figures are Vega-Lite specs rendered by `viz/plot.ts` — nobody
 * hand-writes SVG charts. Every file is written atomically.
 *
 * ```ts
 * await writeReport('runs/experiments/gradients', {
 *   experiment: 'gradients', title: 'Vanishing and exploding gradients',
 *   command: 'kioku experiment gradients --seed 0', seed: 0, intro: ['…'], lookFor: ['…'],
 *   sections: [{ heading: 'Gradient norms', figures: [{ name: 'grad-norms', spec, caption: '…' }] }],
 *   config: { … }, results: { … },
 * });
 * ```
 */
import { join } from 'node:path';
import { makeDirs } from '../../node/files.js';
import { writeFileAtomic } from '../../node/atomic.js';
import { svgToPng, type VegaLiteSpec, vegaLiteToSvg } from '../../node/plot.js';
import { VERSION } from '../../version.js';

export interface ReportFigure {
  /** File stem under figures/ (letters, digits, dashes). */
  name: string;
  spec: VegaLiteSpec;
  caption: string;
}

export interface ReportTable {
  columns: string[];
  rows: (string | number)[][];
  caption?: string;
}

export interface ReportSection {
  heading: string;
  /** Paragraphs of plain text (escaped; `code` in backticks is rendered as code). */
  text?: string[];
  figures?: ReportFigure[];
  tables?: ReportTable[];
}

export interface ReportDocument {
  /** Experiment id (`gradients`, `clipping`, `compare`, `truncation`). */
  experiment: string;
  title: string;
  /** The command line that reproduces this report. */
  command: string;
  seed: number;
  /** Opening paragraphs: what the experiment does and which lecture idea it shows. */
  intro: string[];
  /** Bullet points: what to look for in the figures. */
  lookFor: string[];
  sections: ReportSection[];
  /** The resolved configuration (goes to results.json). */
  config: unknown;
  /** All measured numbers (goes to results.json). */
  results: unknown;
  /** Closing paragraphs (conclusions, references). */
  notes?: string[];
}

export interface WrittenReport {
  html: string;
  json: string;
  figures: { name: string; svg: string; png: string }[];
}

/** Escape text for HTML; `backticks` become <code>. */
export function htmlText(s: string): string {
  const esc = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return esc.replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** Format a number for tables: 3 significant digits, exponent form for very small or large. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1).replace('e+', 'e');
  return Number(x.toPrecision(digits)).toString();
}

const STYLE = `
body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
figure{margin:1.5em 0}figcaption{font-size:.9em;color:#555;margin-top:.3em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
code,pre{background:#f6f6f6;border-radius:3px}pre{padding:.6em;overflow-x:auto}
.look{background:#f7fbff;border-left:4px solid #4c78a8;padding:.5em 1em}
`;

function tableHtml(t: ReportTable): string {
  const head = `<tr>${t.columns.map((c) => `<th>${htmlText(c)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map(
      (r) => `<tr>${r.map((v) => `<td>${htmlText(typeof v === 'number' ? fmt(v) : v)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const cap = t.caption ? `<caption>${htmlText(t.caption)}</caption>` : '';
  return `<table>${cap}\n${head}\n${body}\n</table>`;
}

/**
 * Render every figure, then write `<dir>/report.html`, `<dir>/results.json` and
 * `<dir>/figures/<name>.{svg,png}`. Returns the paths written.
 */
export async function writeReport(dir: string, doc: ReportDocument): Promise<WrittenReport> {
  makeDirs(join(dir, 'figures'));
  const figures: WrittenReport['figures'] = [];
  const svgs = new Map<string, string>();
  for (const section of doc.sections) {
    for (const f of section.figures ?? []) {
      const svg = await vegaLiteToSvg(withReportStyle(f.spec));
      const base = join(dir, 'figures', f.name);
      writeFileAtomic(`${base}.svg`, Buffer.from(svg, 'utf8'), { fsync: false });
      writeFileAtomic(`${base}.png`, svgToPng(svg), { fsync: false });
      figures.push({ name: f.name, svg: `${base}.svg`, png: `${base}.png` });
      svgs.set(f.name, svg);
    }
  }
  const parts: string[] = [];
  parts.push(
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${htmlText(doc.title)}</title>`,
  );
  parts.push(`<style>${STYLE}</style></head><body>`);
  parts.push(`<h1>${htmlText(doc.title)}</h1>`);
  for (const p of doc.intro) parts.push(`<p>${htmlText(p)}</p>`);
  if (doc.lookFor.length) {
    parts.push(`<div class="look"><strong>What to look for</strong><ul>`);
    for (const l of doc.lookFor) parts.push(`<li>${htmlText(l)}</li>`);
    parts.push(`</ul></div>`);
  }
  for (const s of doc.sections) {
    parts.push(`<h2>${htmlText(s.heading)}</h2>`);
    for (const p of s.text ?? []) parts.push(`<p>${htmlText(p)}</p>`);
    for (const f of s.figures ?? []) {
      parts.push(
        `<figure id="${f.name}">${svgs.get(f.name) ?? ''}<figcaption>${htmlText(f.caption)} ` +
          `(<a href="figures/${f.name}.svg">SVG</a>, <a href="figures/${f.name}.png">PNG</a>)</figcaption></figure>`,
      );
    }
    for (const t of s.tables ?? []) parts.push(tableHtml(t));
  }
  for (const p of doc.notes ?? []) parts.push(`<p>${htmlText(p)}</p>`);
  parts.push(`<h2>Reproduce</h2><pre>${htmlText(doc.command)}</pre>`);
  parts.push(
    `<p>Seed ${doc.seed}; kioku ${htmlText(VERSION)}; all numbers in <a href="results.json">results.json</a>.</p>`,
  );
  parts.push(`</body></html>\n`);
  const html = join(dir, 'report.html');
  const json = join(dir, 'results.json');
  writeFileAtomic(html, Buffer.from(parts.join('\n'), 'utf8'), { fsync: false });
  const payload = {
    experiment: doc.experiment,
    title: doc.title,
    kioku: VERSION,
    command: doc.command,
    seed: doc.seed,
    config: doc.config,
    results: doc.results,
    figures: figures.map((f) => ({
      name: f.name,
      svg: `figures/${f.name}.svg`,
      png: `figures/${f.name}.png`,
    })),
  };
  writeFileAtomic(json, Buffer.from(JSON.stringify(payload, jsonReplacer, 2) + '\n', 'utf8'), {
    fsync: false,
  });
  return { html, json, figures };
}

/** Shared look: legend labels are never truncated (configuration labels are long). */
function withReportStyle(spec: VegaLiteSpec): VegaLiteSpec {
  const s = spec as unknown as Record<string, unknown>;
  const config = (s.config ?? {}) as Record<string, unknown>;
  const legend = (config.legend ?? {}) as Record<string, unknown>;
  return { ...s, config: { ...config, legend: { labelLimit: 0, ...legend } } } as unknown as VegaLiteSpec;
}

/** JSON has no Infinity/NaN: write them as strings so nothing is silently lost. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}
