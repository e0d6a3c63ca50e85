/**
 * The handwriting pad: write with mouse, pen or touch (pointer events); after every point the
 * pretrained handwriting models (models/handwriting/: RNN, LSTM, GRU, side by side) show the
 * predicted density of the next pen offset (heat map + ellipses with opacity ∝ π), the
 * end-of-stroke probability, sampled continuations ("hairs") and the top layer's activations;
 * "let the model finish" continues the line. Lines written here can be saved as a data set
 * (stroke-3 JSON, IAM-OnDB lineStrokes XML) that `kioku handwriting train` reads.
 * All model computation happens in the views worker (`PadSession`).
 */
import rnnUrl from '../../models/handwriting/rnn.safetensors?url';
import lstmUrl from '../../models/handwriting/lstm.safetensors?url';
import gruUrl from '../../models/handwriting/gru.safetensors?url';
import { drawingToOffsets, type Drawing, type Stroke } from '../../src/wings/handwriting/strokes.js';
import { toLineStrokesXml } from '../../src/wings/handwriting/strokes-iam.js';
import { toStroke3Json } from '../../src/wings/handwriting/strokes-stroke3.js';
import { applyViewLabels, tv } from './i18n-views.js';
import { numParam, param, setParams } from './state.js';
import type { PadCell, PadHairs, PadModelInfo, PadView } from './views-protocol.js';
import { viewsEngine } from './views-engine.js';

const CELLS: PadCell[] = ['rnn', 'lstm', 'gru'];
const URLS: Record<PadCell, string> = { rnn: rnnUrl, lstm: lstmUrl, gru: gruUrl };
const W = 440;
const H = 220;
const GRID = { size: 100, cellPx: 4 };
/** A new point is fed to the models once the pen has moved this many model units. */
const MIN_STEP_UNITS = 1.5;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

interface PadPanel {
  cell: PadCell;
  root: HTMLElement;
  canvas: HTMLCanvasElement;
  acts: HTMLCanvasElement;
  info: HTMLElement;
  eos: HTMLElement;
  view: PadView | null;
  hairs: Float32Array[];
  activations: Float32Array[];
  finished: Float32Array | null;
  model: PadModelInfo | null;
}

const HTML = `
<p class="hint" data-i18n-v="padIntro"></p>
<div class="row">
  <span data-i18n-v="padModels"></span>
  ${CELLS.map((c) => `<label><input type="checkbox" id="pad-${c}" />${c.toUpperCase()}</label>`).join('')}
  <label><span data-i18n-v="padBias"></span> <input id="pad-bias" type="range" min="0" max="3" step="0.1" value="0.5" /> <output id="pad-bias-v">0.5</output></label>
  <label><span data-i18n-v="padHairs"></span> <input id="pad-hairs" type="number" min="0" max="200" value="50" style="width:4.5em" /></label>
  <label><span data-i18n-v="padHairLen"></span> <input id="pad-hairlen" type="number" min="1" max="100" value="20" style="width:4.5em" /></label>
  <label><span data-i18n-v="padScale"></span> <input id="pad-scale" type="number" min="0.5" max="10" step="0.5" value="2.5" style="width:4.5em" /></label>
</div>
<div class="row">
  <button id="pad-clear" data-i18n-v="padClear"></button>
  <button id="pad-finish" data-i18n-v="padFinish"></button>
  <button id="pad-add" data-i18n-v="padAddLine"></button>
  <button id="pad-save-json" data-i18n-v="padSaveStroke3"></button>
  <button id="pad-save-xml" data-i18n-v="padSaveXml"></button>
  <span id="pad-dataset" class="hint"></span>
</div>
<div id="pad-message" class="message" role="alert" hidden></div>
<div id="pad-latency" class="hint"></div>
<div id="pad-panels" class="pad-panels"></div>
<p class="hint" data-i18n-v="padTrainHint"></p>
`;

let panels: PadPanel[] = [];
/** The line being written: strokes of the points fed to the models, in pad pixels. */
let strokes: Stroke[] = [];
const dataset: Drawing[] = [];
const loaded = new Map<PadCell, PadModelInfo>();
const latencies: number[] = [];
let chain: Promise<unknown> = Promise.resolve();
let pending = 0;
let seed = 1;
let loading: Promise<void> = Promise.resolve();

function padMessage(text: string | null): void {
  const el = $('pad-message');
  el.hidden = text === null;
  el.textContent = text ?? '';
}

function showError(e: unknown): void {
  padMessage(e instanceof Error ? e.message : String(e));
}

function selected(): PadCell[] {
  return CELLS.filter((c) => $<HTMLInputElement>(`pad-${c}`).checked);
}
function bias(): number {
  return Number($<HTMLInputElement>('pad-bias').value) || 0;
}
function hairs(): number {
  return Math.max(0, Math.min(200, Math.round(Number($<HTMLInputElement>('pad-hairs').value) || 0)));
}
function hairLength(): number {
  return Math.max(1, Math.min(100, Math.round(Number($<HTMLInputElement>('pad-hairlen').value) || 20)));
}
function scale(): number {
  const v = Number($<HTMLInputElement>('pad-scale').value);
  return Number.isFinite(v) && v > 0 ? v : 2.5;
}

function points(): number {
  return strokes.reduce((a, s) => a + s.length, 0);
}

function saveState(): void {
  setParams({
    pcells: selected().join(','),
    pbias: bias(),
    phairs: hairs(),
    phlen: hairLength(),
    pscale: scale(),
  });
}

async function loadCell(cell: PadCell): Promise<PadModelInfo> {
  const have = loaded.get(cell);
  if (have) return have;
  const res = await fetch(URLS[cell]);
  if (!res.ok) throw new Error(`${cell}.safetensors: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const info = await viewsEngine().call<PadModelInfo>(
    { type: 'pad-load', cell, bytes, name: `models/handwriting/${cell}.safetensors` },
    [bytes.buffer],
  );
  loaded.set(cell, info);
  return info;
}

function buildPanels(): void {
  const box = $('pad-panels');
  box.textContent = '';
  panels = selected().map((cell) => {
    const root = document.createElement('div');
    root.className = 'pad-panel';
    root.dataset.cell = cell;
    const title = document.createElement('h3');
    title.textContent = cell.toUpperCase();
    const info = document.createElement('div');
    info.className = 'hint';
    const canvas = document.createElement('canvas');
    canvas.width = W;
    canvas.height = H;
    canvas.className = 'pad';
    canvas.style.touchAction = 'none';
    const eos = document.createElement('div');
    eos.className = 'pad-eos';
    const actTitle = document.createElement('div');
    actTitle.className = 'hint';
    actTitle.dataset.i18nV = 'padActivations';
    actTitle.textContent = tv('padActivations');
    const acts = document.createElement('canvas');
    acts.className = 'pad-acts';
    root.append(title, info, canvas, eos, actTitle, acts);
    box.appendChild(root);
    const p: PadPanel = {
      cell,
      root,
      canvas,
      acts,
      info,
      eos,
      view: null,
      hairs: [],
      activations: [],
      finished: null,
      model: null,
    };
    wirePointer(canvas);
    return p;
  });
}

function renderInfo(p: PadPanel): void {
  const m = p.model;
  p.info.textContent = m
    ? tv('padNll', {
        cell: m.cell.toUpperCase(),
        layers: m.layers,
        hidden: m.hidden,
        params: m.params,
        nll: m.validNllPerPoint === null ? '—' : m.validNllPerPoint.toFixed(3),
      })
    : '';
  p.eos.textContent = p.view ? tv('padEos', { p: p.view.mixture.e.toFixed(3) }) : '';
}

function lastPoint(): { x: number; y: number } | null {
  const s = strokes[strokes.length - 1];
  return s && s.length ? s[s.length - 1] : null;
}

/** Draw rows (Δx, Δy, pen-up) from (x, y) as polylines broken where the pen lifts. */
function drawRows(ctx: CanvasRenderingContext2D, rows: Float32Array, x: number, y: number): void {
  ctx.beginPath();
  ctx.moveTo(x, y);
  let up = false;
  for (let i = 0; i < rows.length / 3; i++) {
    x += rows[i * 3];
    y += rows[i * 3 + 1];
    if (up) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
    up = rows[i * 3 + 2] >= 0.5;
  }
  ctx.stroke();
}

function drawPanel(p: PadPanel): void {
  const ctx = p.canvas.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = '#e4e8ee';
  ctx.beginPath();
  ctx.moveTo(0, H * 0.62);
  ctx.lineTo(W, H * 0.62);
  ctx.stroke();
  const cur = lastPoint();
  const v = p.view;
  if (v && cur) {
    // Heat map of the density around the current point (normalised to its maximum).
    const { size, cellPx } = GRID;
    let max = 0;
    for (const g of v.grid) max = Math.max(max, g);
    const img = ctx.createImageData(size, size);
    for (let k = 0; k < size * size; k++) {
      const a = max > 0 ? Math.sqrt(v.grid[k] / max) : 0;
      img.data.set([230, 80, 20, Math.round(200 * a)], k * 4);
    }
    const off = document.createElement('canvas');
    off.width = size;
    off.height = size;
    off.getContext('2d')?.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(
      off,
      cur.x - (size * cellPx) / 2,
      cur.y - (size * cellPx) / 2,
      size * cellPx,
      size * cellPx,
    );
    // Components: 1σ ellipses, opacity ∝ π (axes from the eigenvectors of the covariance).
    const m = v.mixture;
    for (let j = 0; j < m.pi.length; j++) {
      if (m.pi[j] < 0.01) continue;
      const s1 = m.sigma1[j];
      const s2 = m.sigma2[j];
      const c = m.rho[j] * s1 * s2;
      const tr = s1 * s1 + s2 * s2;
      const det = s1 * s1 * s2 * s2 - c * c;
      const disc = Math.sqrt(Math.max(0, (tr * tr) / 4 - det));
      const l1 = tr / 2 + disc;
      const l2 = Math.max(0, tr / 2 - disc);
      const angle = 0.5 * Math.atan2(2 * c, s1 * s1 - s2 * s2);
      ctx.strokeStyle = `rgba(120,0,160,${Math.min(1, 0.15 + m.pi[j])})`;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.ellipse(cur.x + m.mu1[j], cur.y + m.mu2[j], Math.sqrt(l1), Math.sqrt(l2), angle, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.strokeStyle = 'rgba(30,110,220,0.35)';
    for (const h of p.hairs) drawRows(ctx, h, cur.x, cur.y);
  }
  ctx.strokeStyle = '#111';
  ctx.lineWidth = 2;
  ctx.lineCap = 'round';
  for (const s of strokes) {
    ctx.beginPath();
    s.forEach((q, i) => (i === 0 ? ctx.moveTo(q.x, q.y) : ctx.lineTo(q.x, q.y)));
    if (s.length === 1) ctx.lineTo(s[0].x + 0.5, s[0].y);
    ctx.stroke();
  }
  if (p.finished && cur) {
    ctx.strokeStyle = '#1b8a3a';
    ctx.lineWidth = 2;
    drawRows(ctx, p.finished, cur.x, cur.y);
  }
  ctx.lineWidth = 1;
  renderInfo(p);
  drawActivations(p);
}

function drawActivations(p: PadPanel): void {
  const T = p.activations.length;
  const Hn = T ? p.activations[0].length : 0;
  const cw = Math.max(1, Math.min(4, Math.floor(W / Math.max(1, T))));
  p.acts.width = Math.max(W, T * cw);
  p.acts.height = Hn;
  const ctx = p.acts.getContext('2d');
  if (!ctx || !T) return;
  for (let t = 0; t < T; t++)
    for (let j = 0; j < Hn; j++) {
      const a = Math.tanh(p.activations[t][j]);
      const k = Math.round(255 * (1 - Math.abs(a)));
      ctx.fillStyle = a >= 0 ? `rgb(255,${k},${k})` : `rgb(${k},${k},255)`;
      ctx.fillRect(t * cw, j, cw, 1);
    }
}

function redraw(): void {
  for (const p of panels) drawPanel(p);
}

/** Feed one point to every selected model (queued: the models read points in order). */
function feed(dx: number, dy: number, eos: number, replaceLast: boolean, t0: number): void {
  pending++;
  const cells = panels.map((p) => p.cell);
  chain = chain
    .then(async () => {
      const views = await viewsEngine().call<PadView[]>({
        type: 'pad-point',
        cells,
        dx,
        dy,
        eos,
        replaceLast,
        pxPerUnit: scale(),
        bias: bias(),
        grid: GRID,
      });
      for (const v of views) {
        const p = panels.find((q) => q.cell === v.cell);
        if (!p) continue;
        p.view = v;
        p.hairs = [];
        p.finished = null;
        if (replaceLast) p.activations[p.activations.length - 1] = v.activations;
        else p.activations.push(v.activations);
      }
      // Points already passed are only read; the newest one is drawn (density first, then its hairs).
      if (pending > 1) return;
      redraw();
      recordLatency(performance.now() - t0);
      if (hairs() === 0) return;
      const hs = await viewsEngine().call<PadHairs[]>({
        type: 'pad-hairs',
        cells,
        count: hairs(),
        length: hairLength(),
        bias: bias(),
        pxPerUnit: scale(),
        seed: seed++,
      });
      if (pending > 1) return;
      for (const h of hs) {
        const p = panels.find((q) => q.cell === h.cell);
        if (p) p.hairs = h.hairs;
      }
      redraw();
    })
    .catch(showError)
    .finally(() => pending--);
}

function recordLatency(ms: number): void {
  latencies.push(ms);
  const sorted = [...latencies].sort((a, b) => a - b);
  const med = sorted[Math.floor(sorted.length / 2)];
  const el = $('pad-latency');
  el.dataset.last = ms.toFixed(1);
  el.textContent = tv('padLatency', { ms: ms.toFixed(1), med: med.toFixed(1), n: latencies.length });
}

function wirePointer(canvas: HTMLCanvasElement): void {
  let down = false;
  const at = (e: PointerEvent): { x: number; y: number } => {
    const r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (!panels.length) {
      padMessage(tv('padNoModel'));
      return;
    }
    padMessage(null);
    canvas.setPointerCapture(e.pointerId);
    down = true;
    const q = { ...at(e), t: e.timeStamp / 1000 };
    const prev = lastPoint();
    strokes.push([q]);
    feed(prev ? q.x - prev.x : 0, prev ? q.y - prev.y : 0, 0, false, performance.now());
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!down) return;
    const q = { ...at(e), t: e.timeStamp / 1000 };
    const prev = lastPoint();
    if (!prev || Math.hypot(q.x - prev.x, q.y - prev.y) < MIN_STEP_UNITS * scale()) return;
    strokes[strokes.length - 1].push(q);
    feed(q.x - prev.x, q.y - prev.y, 0, false, performance.now());
  });
  const up = (): void => {
    if (!down) return;
    down = false;
    // The pen lifted after the last point: the models re-read it with eos = 1.
    const s = strokes[strokes.length - 1];
    const prev =
      s.length > 1 ? s[s.length - 2] : strokes.length > 1 ? strokes[strokes.length - 2].at(-1) : undefined;
    const q = s[s.length - 1];
    feed(prev ? q.x - prev.x : 0, prev ? q.y - prev.y : 0, 1, true, performance.now());
  };
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', up);
}

function currentDrawing(): Drawing | null {
  const s = strokes.filter((x) => x.length > 0);
  if (points() < 2) return null;
  return {
    id: `kioku-pad${String(dataset.length + 1).padStart(3, '0')}-01`,
    strokes: s.map((x) => x.map((q) => ({ ...q }))),
  };
}

function download(name: string, text: string, type: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** The data set as stroke-3 JSON (what "Download data set" saves). */
function datasetStroke3(): string {
  return toStroke3Json(
    dataset.map((d) => ({ ...drawingToOffsets(d), id: d.id })),
    2,
    { source: 'kioku lab handwriting pad' },
  );
}

function renderDataset(): void {
  $('pad-dataset').textContent = tv('padDataset', {
    n: dataset.length,
    p: dataset.reduce((a, d) => a + d.strokes.reduce((b, s) => b + s.length, 0), 0),
  });
}

async function clear(): Promise<void> {
  await chain;
  strokes = [];
  for (const p of panels) {
    p.view = null;
    p.hairs = [];
    p.activations = [];
    p.finished = null;
  }
  await viewsEngine().call({ type: 'pad-reset' });
  padMessage(null);
  redraw();
}

async function finish(): Promise<void> {
  await chain;
  if (points() < 2) {
    padMessage(tv('padEmpty'));
    return;
  }
  padMessage(null);
  for (const p of panels) {
    p.finished = await viewsEngine().call<Float32Array>({
      type: 'pad-finish',
      cell: p.cell,
      pxPerUnit: scale(),
      bias: bias(),
      steps: 300,
      seed: seed++,
    });
    drawPanel(p);
  }
}

async function refreshModels(): Promise<void> {
  saveState();
  await chain;
  buildPanels();
  for (const p of panels) p.model = await loadCell(p.cell);
  // Re-read the line with the new set of models.
  await viewsEngine().call({ type: 'pad-reset' });
  // The pen is up: every stroke's last point ends a stroke.
  const pts = strokes.flatMap((s) => s.map((q, i) => ({ q, eos: i === s.length - 1 ? 1 : 0 })));
  pts.forEach(({ q, eos }, i) => {
    const prev = i > 0 ? pts[i - 1].q : null;
    feed(prev ? q.x - prev.x : 0, prev ? q.y - prev.y : 0, eos, false, performance.now());
  });
  redraw();
}

/** Build the pad's section (hidden) inside `main`; models load when the view first opens. */
export function mountPad(main: HTMLElement): void {
  const sec = document.createElement('section');
  sec.id = 'view-pad';
  sec.className = 'view';
  sec.hidden = true;
  sec.innerHTML = HTML;
  main.appendChild(sec);
  const cells = (param('pcells') ?? 'lstm').split(',');
  for (const c of CELLS) $<HTMLInputElement>(`pad-${c}`).checked = cells.includes(c);
  $<HTMLInputElement>('pad-bias').value = String(numParam('pbias', 0.5));
  $('pad-bias-v').textContent = $<HTMLInputElement>('pad-bias').value;
  $<HTMLInputElement>('pad-hairs').value = String(numParam('phairs', 50));
  $<HTMLInputElement>('pad-hairlen').value = String(numParam('phlen', 20));
  $<HTMLInputElement>('pad-scale').value = String(numParam('pscale', 2.5));
  for (const c of CELLS)
    $(`pad-${c}`).addEventListener('change', () => (loading = refreshModels().catch(showError)));
  $('pad-bias').addEventListener('input', () => {
    $('pad-bias-v').textContent = $<HTMLInputElement>('pad-bias').value;
    saveState();
  });
  for (const id of ['pad-hairs', 'pad-hairlen', 'pad-scale']) $(id).addEventListener('change', saveState);
  $('pad-clear').onclick = () => void clear();
  $('pad-finish').onclick = () => void finish();
  $('pad-add').onclick = async () => {
    await chain;
    const d = currentDrawing();
    if (!d) return padMessage(tv('padEmpty'));
    dataset.push(d);
    renderDataset();
    await clear();
  };
  $('pad-save-json').onclick = () => {
    if (!dataset.length) return padMessage(tv('padEmpty'));
    download('my-handwriting.json', datasetStroke3(), 'application/json');
  };
  $('pad-save-xml').onclick = async () => {
    await chain;
    const d = currentDrawing();
    if (!d) return padMessage(tv('padEmpty'));
    download(`${d.id}.xml`, toLineStrokesXml(d), 'application/xml');
  };
  window.kiokuPad = {
    ready: () => loading.then(() => chain).then(() => panels.every((p) => p.model !== null)),
    settle: () => chain.then(() => undefined),
    views: () => panels.map((p) => p.view),
    hairCounts: () => panels.map((p) => p.hairs.length),
    line: () => strokes.map((s) => s.map((q) => ({ x: q.x, y: q.y }))),
    latencies: () => [...latencies],
    datasetStroke3,
    lineXml: () => {
      const d = currentDrawing();
      return d ? toLineStrokesXml(d) : null;
    },
  };
  renderDataset();
}

let opened = false;
/** Called when the pad's view is shown: loads the selected models on first use. */
export function openPad(): void {
  applyViewLabels($('view-pad'));
  renderDataset();
  for (const p of panels) renderInfo(p);
  if (opened) return;
  opened = true;
  loading = refreshModels().catch(showError);
}

declare global {
  interface Window {
    kiokuPad: {
      ready(): Promise<boolean>;
      settle(): Promise<void>;
      views(): (PadView | null)[];
      hairCounts(): number[];
      line(): { x: number; y: number }[][];
      latencies(): number[];
      datasetStroke3(): string;
      lineXml(): string | null;
    };
  }
}
