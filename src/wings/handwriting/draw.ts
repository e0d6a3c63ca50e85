/**
 * Stroke drawings as SVG: a drawing is not a chart, so it is written directly as SVG paths
 * (one `<path>` per stroke) and rasterised with `svgToPng` from `viz/plot.ts`.
 *
 * ```ts
 * const svg = drawingsToSvg([{ drawing, label: 'w001-03' }], { width: 800 });
 * writeFileSync('line.svg', svg); writeFileSync('line.png', svgToPng(svg));
 * ```
 */
import { drawingBounds, type Drawing } from './strokes.js';

export interface DrawOptions {
  /** Width of the image in pixels (default 900); the height follows the drawings' aspect. */
  width?: number;
  /** Padding around each row in pixels (default 12). */
  padding?: number;
  /** Stroke width in pixels (default 2). */
  strokeWidth?: number;
  /** Colour strokes in turn from this palette (default: all ink). */
  palette?: readonly string[];
  /** Show pen-up moves as thin dashed lines (default false). */
  showPenUps?: boolean;
  /** Mark each sampled point with a dot (default false). */
  showPoints?: boolean;
  /** Background colour (default white). */
  background?: string;
}

/** A drawing with an optional caption and colour, one row of the figure. */
export interface DrawingRow {
  drawing: Drawing;
  label?: string;
  color?: string;
  /** Further drawings overlaid on the same row, in the same coordinates (e.g. sampled hairs). */
  overlays?: { drawing: Drawing; color: string; opacity?: number; width?: number }[];
  /** Points (same coordinates) to mark, e.g. where a sample was primed. */
  marks?: { x: number; y: number; color: string }[];
}

const INK = '#1a1a2e';
const fmt = (v: number): string => (Math.round(v * 100) / 100).toString();

function escapeXml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** Path data of one drawing's strokes under an affine map. */
function strokePaths(d: Drawing, map: (x: number, y: number) => [number, number]): string[] {
  return d.strokes
    .filter((s) => s.length > 0)
    .map((s) => {
      const [x0, y0] = map(s[0].x, s[0].y);
      if (s.length === 1) return `M${fmt(x0)},${fmt(y0)}l0.01,0`;
      return (
        `M${fmt(x0)},${fmt(y0)}` +
        s
          .slice(1)
          .map((p) => {
            const [x, y] = map(p.x, p.y);
            return `L${fmt(x)},${fmt(y)}`;
          })
          .join('')
      );
    });
}

/**
 * Render rows of drawings (each scaled to the figure width, aspect kept; y down as in the
 * data) into one SVG document.
 */
export function drawingsToSvg(rows: readonly DrawingRow[], opts: DrawOptions = {}): string {
  const W = opts.width ?? 900;
  const pad = opts.padding ?? 12;
  const sw = opts.strokeWidth ?? 2;
  const parts: string[] = [];
  let y = 0;
  for (const row of rows) {
    const all: Drawing = {
      strokes: [...row.drawing.strokes, ...(row.overlays ?? []).flatMap((o) => o.drawing.strokes)],
    };
    const b = drawingBounds(all);
    const bw = Math.max(b.maxX - b.minX, 1e-6);
    const bh = Math.max(b.maxY - b.minY, 1e-6);
    const labelH = row.label ? 18 : 0;
    const scale = Math.min((W - 2 * pad) / bw, 300 / bh);
    const h = bh * scale + 2 * pad + labelH;
    const ox = pad - b.minX * scale + (W - 2 * pad - bw * scale) / 2;
    const oy = y + pad + labelH - b.minY * scale;
    const map = (px: number, py: number): [number, number] => [ox + px * scale, oy + py * scale];
    if (row.label)
      parts.push(
        `<text x="${pad}" y="${fmt(y + pad + 10)}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="#555">${escapeXml(row.label)}</text>`,
      );
    for (const o of row.overlays ?? []) {
      for (const d of strokePaths(o.drawing, map)) {
        parts.push(
          `<path d="${d}" fill="none" stroke="${o.color}" stroke-opacity="${o.opacity ?? 0.5}" stroke-width="${o.width ?? sw * 0.6}" stroke-linecap="round" stroke-linejoin="round"/>`,
        );
      }
    }
    if (opts.showPenUps) {
      const s = row.drawing.strokes;
      for (let i = 0; i + 1 < s.length; i++) {
        if (!s[i].length || !s[i + 1].length) continue;
        const [ax, ay] = map(s[i][s[i].length - 1].x, s[i][s[i].length - 1].y);
        const [bx, by] = map(s[i + 1][0].x, s[i + 1][0].y);
        parts.push(
          `<line x1="${fmt(ax)}" y1="${fmt(ay)}" x2="${fmt(bx)}" y2="${fmt(by)}" stroke="#c33" stroke-width="0.7" stroke-dasharray="3,3" opacity="0.6"/>`,
        );
      }
    }
    const paths = strokePaths(row.drawing, map);
    paths.forEach((d, i) => {
      const color = row.color ?? (opts.palette ? opts.palette[i % opts.palette.length] : INK);
      parts.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="${sw}" stroke-linecap="round" stroke-linejoin="round"/>`,
      );
    });
    if (opts.showPoints) {
      for (const s of row.drawing.strokes) {
        for (const p of s) {
          const [px, py] = map(p.x, p.y);
          parts.push(`<circle cx="${fmt(px)}" cy="${fmt(py)}" r="${fmt(sw * 0.6)}" fill="#e63"/>`);
        }
      }
    }
    for (const m of row.marks ?? []) {
      const [px, py] = map(m.x, m.y);
      parts.push(
        `<circle cx="${fmt(px)}" cy="${fmt(py)}" r="${fmt(sw * 2)}" fill="none" stroke="${m.color}" stroke-width="1.5"/>`,
      );
    }
    y += h;
  }
  const H = Math.ceil(Math.max(y, 1));
  const bg = opts.background ?? 'white';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">` +
    `<rect width="${W}" height="${H}" fill="${bg}"/>` +
    parts.join('') +
    `</svg>`
  );
}
