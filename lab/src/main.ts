/**
 * The lab's page: the cell explorer (LSTMVis-style select and match over a char LSTM), the
 * RNN vs LSTM vs GRU bench and the guide. All computing happens in the engine worker.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import modelUrl from '../../models/lab/char-lstm/model.safetensors?url';
import corpusText from '../../models/lab/char-lstm/corpus-sample.txt?raw';
import cells from '../../models/lab/char-lstm/cells.json';
import { selectUnits, type SelectedUnit } from '../../src/wings/lab/cells.js';
import { Engine } from './engine.js';
import { applyI18n, getLang, isLang, setLang, t } from './i18n.js';
import type {
  BenchProgress,
  EngineInfo,
  MatchReply,
  ModelInfo,
  SaturationReply,
  SeriesName,
  TraceReply,
} from './protocol.js';
import { numParam, param, setParams } from './state.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

const MAX_MODEL_MB = 64;
const engine = new Engine();
const SHIPPED = 'shipped';

// ---------- messages ----------
function message(text: string | null, kind: 'error' | 'info' = 'error'): void {
  const el = $('message');
  el.hidden = text === null;
  el.textContent = text ?? '';
  el.className = `message ${kind === 'info' ? 'info' : ''}`;
}

// ---------- language and views ----------
function showView(view: string): void {
  for (const v of ['explorer', 'bench', 'guide']) {
    $(`view-${v}`).hidden = v !== view;
    document.querySelector(`nav button[data-view="${v}"]`)?.classList.toggle('active', v === view);
  }
  setParams({ view });
}

let engineInfo: EngineInfo | null = null;
function renderEngine(): void {
  const el = $('engine');
  if (!engineInfo) {
    el.textContent = t('working');
    return;
  }
  const parts = [
    engineInfo.wasmReason === null
      ? t('backendWasm', { n: engineInfo.threads })
      : t('backendRef', { why: engineInfo.wasmReason }),
  ];
  if (!engineInfo.isolated) parts.push(t('notIsolated'));
  el.textContent = parts.join(' · ');
  el.classList.toggle('warn', engineInfo.wasmReason !== null);
  el.dataset.backend = engineInfo.backend;
}

function relabel(): void {
  applyI18n();
  renderEngine();
  renderModelInfo();
  renderHeat();
  renderUnits();
  renderTrack();
  renderGuide();
  renderBenchTable();
}

// ---------- explorer state ----------
let model: ModelInfo | null = null;
let trace: TraceReply | null = null;
let sel: { start: number; end: number } | null = null;
let selUnits: SelectedUnit[] = [];
let trackUnit: number | null = null;
let visible: number[] = [];
const CW = 10; // column width (px per character)
let RH = 4; // row height (px per unit): taller when few units are shown
const HEAD = 18; // character row

function series(): SeriesName {
  const v = $<HTMLSelectElement>('series').value;
  return v === 'h' || v === 'i' || v === 'f' || v === 'o' ? v : 'c';
}

function threshold(): number {
  const v = Number($<HTMLInputElement>('threshold').value);
  return Number.isFinite(v) ? v : 0.5;
}

function renderModelInfo(): void {
  $('model-info').textContent = model
    ? t('loaded', {
        name: model.name,
        layers: model.layers,
        hidden: model.hidden,
        vocab: model.vocab.length,
        params: model.params,
      })
    : '';
}

async function loadModel(name: string, bytes: Uint8Array): Promise<boolean> {
  if (bytes.length > MAX_MODEL_MB * 1024 * 1024) {
    message(t('tooLarge', { name, mb: (bytes.length / 1048576).toFixed(1), max: MAX_MODEL_MB }));
    return false;
  }
  try {
    model = await engine.call<ModelInfo>({ type: 'load', name, bytes }, [bytes.buffer]);
  } catch (e) {
    message(t('notModel', { name, why: e instanceof Error ? e.message : String(e) }));
    return false;
  }
  message(null);
  renderModelInfo();
  const sat = await engine.call<SaturationReply>({ type: 'corpus', text: corpusText });
  renderSaturation(sat);
  await runText();
  return true;
}

async function loadFromUrl(name: string, url: string): Promise<boolean> {
  const res = await fetch(url);
  if (!res.ok) {
    message(`${name}: HTTP ${res.status}`);
    return false;
  }
  return loadModel(name, new Uint8Array(await res.arrayBuffer()));
}

async function runText(): Promise<void> {
  if (!model) return;
  const text = $<HTMLTextAreaElement>('text').value;
  setParams({ text: text.length <= 1500 ? text : null });
  try {
    trace = await engine.call<TraceReply>({ type: 'trace', text });
  } catch (e) {
    message(e instanceof Error ? e.message : String(e));
    return;
  }
  $('unknown').textContent = trace.unknown.length
    ? t('unknownChars', { chars: trace.unknown.map((c) => JSON.stringify(c)).join(' ') })
    : '';
  if (sel && sel.end > trace.T) sel = null;
  computeSelection();
  renderHeat();
  renderTrack();
}

function parseFilter(s: string, H: number): number[] | null {
  if (!s.trim()) return null;
  const out: number[] = [];
  for (const part of s.split(/[,\s]+/).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let u = a; u <= Math.min(b, H - 1); u++) out.push(u);
  }
  return out;
}

function orderUnits(): number[] {
  if (!trace) return [];
  const { T, H } = trace;
  const v = trace.series[series()];
  let units = parseFilter($<HTMLInputElement>('filter').value, H) ?? Array.from({ length: H }, (_, j) => j);
  const sort = $<HTMLSelectElement>('sort').value;
  if (sort === 'var') {
    const variance = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let m = 0;
      let s = 0;
      for (let t2 = 0; t2 < T; t2++) m += v[t2 * H + j];
      m /= T;
      for (let t2 = 0; t2 < T; t2++) s += (v[t2 * H + j] - m) ** 2;
      variance[j] = s / T;
    }
    units = [...units].sort((a, b) => variance[b] - variance[a]);
  } else if (sort === 'sel' && selUnits.length) {
    const rank = new Map(selUnits.map((u, k) => [u.unit, k]));
    units = [...units].sort((a, b) => (rank.get(a) ?? 1e9) - (rank.get(b) ?? 1e9) || a - b);
  }
  return units;
}

function color(x: number, s: SeriesName, scale = 1): string {
  // c_t and h_t diverge around 0 (blue negative, red positive); gates run 0 → 1 (white → green).
  // c_t is unbounded: it is divided by its unit's largest |c_t| over the text (`scale`).
  if (s === 'c' || s === 'h') {
    const a = Math.max(-1, Math.min(1, x / scale));
    const k = Math.round(255 * (1 - Math.abs(a)));
    return a >= 0 ? `rgb(255,${k},${k})` : `rgb(${k},${k},255)`;
  }
  const a = Math.max(0, Math.min(1, x));
  const k = Math.round(255 * (1 - a));
  return `rgb(${k},${Math.round(255 - 120 * a)},${k})`;
}

/** Largest |value| of unit j over the text (at least 1e-6). */
function unitScale(v: Float32Array, T: number, H: number, j: number): number {
  let m = 1e-6;
  for (let x = 0; x < T; x++) m = Math.max(m, Math.abs(v[x * H + j]));
  return m;
}

function renderHeat(): void {
  const cv = $<HTMLCanvasElement>('heat');
  const ctx = cv.getContext('2d');
  if (!ctx || !trace) return;
  const { T, H, chars } = trace;
  visible = orderUnits();
  RH = visible.length <= 24 ? 14 : visible.length <= 64 ? 7 : 4;
  const v = trace.series[series()];
  const s = series();
  cv.width = 40 + T * CW;
  cv.height = HEAD + visible.length * RH;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, cv.width, cv.height);
  if (sel) {
    ctx.fillStyle = '#ffe08a';
    ctx.fillRect(40 + sel.start * CW, 0, (sel.end - sel.start) * CW, HEAD);
  }
  ctx.font = '12px ui-monospace, monospace';
  ctx.fillStyle = '#000';
  ctx.textBaseline = 'middle';
  for (let x = 0; x < T; x++) {
    const ch = chars[x] === '\n' ? '↵' : chars[x] === ' ' ? '·' : chars[x];
    ctx.fillStyle = chars[x] === ' ' || chars[x] === '\n' ? '#aaa' : '#000';
    ctx.fillText(ch, 40 + x * CW + 1, HEAD / 2);
  }
  for (let r = 0; r < visible.length; r++) {
    const j = visible[r];
    const scale = s === 'c' ? unitScale(v, T, H, j) : 1;
    for (let x = 0; x < T; x++) {
      ctx.fillStyle = color(v[x * H + j], s, scale);
      ctx.fillRect(40 + x * CW, HEAD + r * RH, CW, RH);
    }
    if (j === trackUnit) {
      ctx.strokeStyle = '#000';
      ctx.strokeRect(40, HEAD + r * RH, T * CW, RH);
    }
  }
  ctx.fillStyle = '#555';
  ctx.font = '9px ui-monospace, monospace';
  for (let r = 0; r < visible.length; r += Math.max(1, Math.ceil(10 / RH))) {
    ctx.fillText(String(visible[r]), 2, HEAD + r * RH + RH / 2);
  }
  if (sel) {
    ctx.strokeStyle = 'rgba(200,120,0,0.9)';
    ctx.strokeRect(40 + sel.start * CW, 0, (sel.end - sel.start) * CW, cv.height);
  }
}

function computeSelection(): void {
  selUnits = [];
  if (trace && sel) {
    selUnits = selectUnits(trace.series[series()], trace.T, trace.H, {
      ...sel,
      threshold: threshold(),
    }).units;
  }
  renderUnits();
}

function renderUnits(): void {
  const box = $('units');
  box.textContent = '';
  $<HTMLButtonElement>('match').disabled = selUnits.length === 0;
  if (!sel || !trace) {
    $('sel-info').textContent = '';
    return;
  }
  $('sel-info').textContent =
    `${t('selection')}: [${sel.start}, ${sel.end}) “${trace.chars.slice(sel.start, sel.end).join('')}”`;
  if (!selUnits.length) {
    box.textContent = t('noUnits');
    return;
  }
  for (const u of selUnits.slice(0, 24)) {
    const b = document.createElement('button');
    b.className = 'unit';
    b.dataset.unit = String(u.unit);
    b.textContent = `${u.unit} (${Math.round(u.offOutside * 100)}%)`;
    b.onclick = () => selectTrack(u.unit);
    box.appendChild(b);
  }
}

function selectTrack(u: number): void {
  trackUnit = u;
  setParams({ unit: u });
  renderHeat();
  renderTrack();
}

function renderTrack(): void {
  const cv = $<HTMLCanvasElement>('track');
  const ctx = cv.getContext('2d');
  const title = $('track-title');
  if (!ctx) return;
  if (!trace || trackUnit === null || trackUnit >= trace.H) {
    title.textContent = t('trackHint');
    cv.width = 0;
    return;
  }
  title.textContent = t('track', { u: trackUnit });
  const { T, H, chars } = trace;
  const v = trace.series[series()];
  let lo = Infinity;
  let hi = -Infinity;
  for (let x = 0; x < T; x++) {
    lo = Math.min(lo, v[x * H + trackUnit]);
    hi = Math.max(hi, v[x * H + trackUnit]);
  }
  if (hi - lo < 1e-6) hi = lo + 1;
  const h = 90;
  cv.width = 40 + T * CW;
  cv.height = h + 20;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, cv.width, cv.height);
  ctx.fillStyle = '#555';
  ctx.font = '10px ui-monospace, monospace';
  ctx.fillText(hi.toFixed(2), 2, 10);
  ctx.fillText(lo.toFixed(2), 2, h);
  const thrY = h - ((threshold() - lo) / (hi - lo)) * (h - 10);
  ctx.strokeStyle = '#e0a000';
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(40, thrY);
  ctx.lineTo(cv.width, thrY);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.strokeStyle = '#c0392b';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let x = 0; x < T; x++) {
    const y = h - ((v[x * H + trackUnit] - lo) / (hi - lo)) * (h - 10);
    if (x === 0) ctx.moveTo(40 + x * CW + CW / 2, y);
    else ctx.lineTo(40 + x * CW + CW / 2, y);
  }
  ctx.stroke();
  ctx.font = '12px ui-monospace, monospace';
  for (let x = 0; x < T; x++) {
    ctx.fillStyle = color(
      v[x * H + trackUnit],
      series(),
      series() === 'c' ? unitScale(v, T, H, trackUnit) : 1,
    );
    ctx.fillRect(40 + x * CW, h + 4, CW, 16);
    ctx.fillStyle = '#000';
    ctx.fillText(chars[x] === '\n' ? '↵' : chars[x], 40 + x * CW + 1, h + 16);
  }
}

function posAt(e: MouseEvent): { x: number; row: number } | null {
  if (!trace) return null;
  const cv = $<HTMLCanvasElement>('heat');
  const r = cv.getBoundingClientRect();
  const x = Math.floor((e.clientX - r.left - 40) / CW);
  const y = e.clientY - r.top;
  if (x < 0 || x >= trace.T) return null;
  return { x, row: y < HEAD ? -1 : Math.floor((y - HEAD) / RH) };
}

function wireHeat(): void {
  const cv = $<HTMLCanvasElement>('heat');
  const tip = $('tooltip');
  let dragFrom: number | null = null;
  cv.addEventListener('mousedown', (e) => {
    const p = posAt(e);
    if (!p) return;
    if (p.row >= 0 && p.row < visible.length && !e.shiftKey) {
      selectTrack(visible[p.row]);
      return;
    }
    dragFrom = p.x;
    sel = { start: p.x, end: p.x + 1 };
    renderHeat();
  });
  cv.addEventListener('mousemove', (e) => {
    const p = posAt(e);
    if (!p || !trace || !model) {
      tip.hidden = true;
      return;
    }
    if (dragFrom !== null) {
      sel = { start: Math.min(dragFrom, p.x), end: Math.max(dragFrom, p.x) + 1 };
      renderHeat();
    }
    const V = trace.V;
    const row = Array.from(trace.probs.subarray(p.x * V, (p.x + 1) * V), (q, k) => ({
      q,
      c: model!.vocab[k],
    }));
    row.sort((a, b) => b.q - a.q);
    const unit = p.row >= 0 && p.row < visible.length ? visible[p.row] : null;
    const val = unit !== null ? trace.series[series()][p.x * trace.H + unit] : null;
    tip.textContent =
      `t=${p.x} ${JSON.stringify(trace.chars[p.x])}` +
      (unit !== null && val !== null ? `  unit ${unit}: ${val.toFixed(3)}` : '') +
      `\n${t('nextChars')}: ` +
      row
        .slice(0, 5)
        .map((r) => `${JSON.stringify(r.c)} ${(r.q * 100).toFixed(1)}%`)
        .join('  ');
    tip.style.whiteSpace = 'pre';
    tip.style.left = `${e.clientX + 12}px`;
    tip.style.top = `${e.clientY + 12}px`;
    tip.hidden = false;
  });
  cv.addEventListener('mouseleave', () => (tip.hidden = true));
  window.addEventListener('mouseup', () => {
    if (dragFrom === null) return;
    dragFrom = null;
    if (sel) setParams({ sel: `${sel.start}-${sel.end}` });
    computeSelection();
    renderHeat();
  });
}

async function runMatch(): Promise<void> {
  if (!sel || !selUnits.length) return;
  const units = selUnits.slice(0, 5).map((u) => u.unit);
  const r = await engine.call<MatchReply>({
    type: 'match',
    series: series(),
    units,
    threshold: threshold(),
    length: sel.end - sel.start,
  });
  const list = $('matches');
  list.textContent = '';
  if (!r.matches.length) list.textContent = t('noMatches');
  for (const m of r.matches) {
    const li = document.createElement('li');
    const vis = (s: string): string => s.replace(/\n/g, '↵');
    li.append(vis(m.before));
    const mark = document.createElement('mark');
    mark.textContent = vis(m.text);
    li.append(mark, vis(m.after), `  (${m.unitsOn}/${units.length})`);
    li.onclick = () => {
      const txt = m.before + m.text + m.after;
      $<HTMLTextAreaElement>('text').value = txt;
      sel = { start: m.before.length, end: m.before.length + m.text.length };
      setParams({ sel: `${sel.start}-${sel.end}` });
      void runText();
    };
    list.appendChild(li);
  }
}

function renderSaturation(sat: SaturationReply): void {
  const box = $('saturation');
  box.textContent = '';
  // Scatter with uPlot: x = left-saturated fraction, one series per gate (nulls elsewhere).
  const pts: { x: number; y: number; g: number }[] = [];
  sat.gates.forEach((g, k) => g.left.forEach((x, j) => pts.push({ x, y: g.right[j], g: k })));
  pts.sort((a, b) => a.x - b.x);
  const xs = pts.map((p) => p.x);
  const ys = [0, 1, 2].map((k) => pts.map((p) => (p.g === k ? p.y : null)));
  const colors = ['#1f77b4', '#2ca02c', '#d62728'];
  new uPlot(
    {
      width: 420,
      height: 300,
      scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
      axes: [{ label: t('leftSat') }, { label: t('rightSat') }],
      series: [
        {},
        ...['i', 'f', 'o'].map((name, k) => ({
          label: `${name}_t`,
          stroke: colors[k],
          paths: () => null,
          points: { show: true, size: 5, fill: colors[k] },
        })),
      ],
      legend: { show: true },
      cursor: { show: false },
    },
    [xs, ...ys],
    box,
  );
}

// ---------- guide ----------
function renderGuide(): void {
  const ul = $('guide');
  ul.textContent = '';
  for (const c of cells.cells) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.textContent = t('show');
    b.onclick = () => {
      showView('explorer');
      $<HTMLSelectElement>('series').value = c.series;
      $<HTMLTextAreaElement>('text').value = c.example;
      setParams({ series: c.series });
      trackUnit = c.unit;
      setParams({ unit: c.unit });
      void runText();
    };
    const title = document.createElement('strong');
    title.textContent = ` ${getLang() === 'ja' ? c.nameJa : c.name} — ${t('unit')} ${c.unit} (${c.series}_t) `;
    const p = document.createElement('div');
    p.className = 'hint';
    p.textContent = `${getLang() === 'ja' ? c.howJa : c.how} (r = ${c.correlation.toFixed(2)}${c.correlation < 0 ? '; ' + t('negative') : ''})`;
    li.append(b, title, p);
    ul.appendChild(li);
  }
}

// ---------- bench ----------
let lossPlot: uPlot | null = null;
let gradPlot: uPlot | null = null;
let benchTable: BenchProgress['table'] = null;
const CELL_COLORS: Record<string, string> = { rnn: '#d62728', lstm: '#1f77b4', gru: '#2ca02c' };

function benchOptions(): import('../../src/wings/experiments/compare-run.js').CompareOptions {
  const num = (id: string, d: number): number => {
    const v = Number($<HTMLInputElement>(id).value);
    return Number.isFinite(v) ? v : d;
  };
  const cellsOn = (['rnn', 'lstm', 'gru'] as const).filter((c) => $<HTMLInputElement>(`b-${c}`).checked);
  const init = $<HTMLSelectElement>('b-init').value;
  return {
    task: $<HTMLSelectElement>('b-task').value as 'adding',
    lengths: [Math.max(2, Math.round(num('b-len', 50)))],
    cells: cellsOn.length ? cellsOn : ['lstm'],
    steps: Math.max(1, Math.round(num('b-steps', 600))),
    clip: Math.max(0, num('b-clip', 1)),
    forgetBias: num('b-fb', 3),
    init: init === 'xavier-uniform' || init === 'orthogonal' || init === 'he-uniform' ? init : 'pytorch',
    lr: num('b-lr', 0.02),
    seed: Math.max(0, Math.round(num('b-seed', 0))),
  };
}

function smooth(xs: number[], k = 0.9): number[] {
  let m = xs[0] ?? 0;
  return xs.map((x) => (m = Number.isFinite(x) ? k * m + (1 - k) * x : m));
}

function onBench(p: BenchProgress): void {
  const width = Math.min(560, Math.max(320, ($('b-loss').clientWidth || 560) - 10));
  const longest = p.runs.reduce((a, r) => (r.steps.length > a.steps.length ? r : a), p.runs[0]);
  const xs = longest.steps;
  const ys = p.runs.map((r) => {
    const s = smooth(r.losses);
    return xs.map((_, k) => (k < s.length ? Math.max(s[k], 1e-6) : null));
  });
  if (!lossPlot || lossPlot.series.length !== p.runs.length + 1) {
    lossPlot?.destroy();
    $('b-loss').textContent = '';
    lossPlot = new uPlot(
      {
        width,
        height: 260,
        scales: { x: { time: false }, y: { distr: 3 } },
        axes: [{ label: t('step') }, { label: t('loss') }],
        series: [
          { label: t('step') },
          ...p.runs.map((r) => ({
            label: `${r.cell.toUpperCase()} (H=${r.hidden})`,
            stroke: CELL_COLORS[r.cell],
            width: 1.5,
          })),
        ],
      },
      [xs, ...ys],
      $('b-loss'),
    );
  } else lossPlot.setData([xs, ...ys]);
  const g0 = p.runs.find((r) => r.gradNorms)?.gradNorms;
  if (g0) {
    const ts = g0.map((_, k) => k);
    const gs = p.runs.map((r) =>
      r.gradNorms ? r.gradNorms.map((v) => Math.max(v, 1e-12)) : ts.map(() => null),
    );
    if (!gradPlot || gradPlot.series.length !== p.runs.length + 1) {
      gradPlot?.destroy();
      $('b-grad').textContent = '';
      gradPlot = new uPlot(
        {
          width,
          height: 260,
          scales: { x: { time: false }, y: { distr: 3 } },
          axes: [
            { label: t('timeStep') },
            {
              label: '‖∂L/∂h_t‖',
              size: 60,
              values: (_u, vals) => vals.map((v) => (v == null ? '' : v.toExponential(0))),
            },
          ],
          series: [
            { label: 't' },
            ...p.runs.map((r) => ({ label: r.cell.toUpperCase(), stroke: CELL_COLORS[r.cell], width: 1.5 })),
          ],
        },
        [ts, ...gs],
        $('b-grad'),
      );
    } else gradPlot.setData([ts, ...gs]);
  }
  const status = $('b-status');
  status.textContent = t('tokensPerSec', { tps: Math.round(p.tokensPerSec) });
  status.dataset.tokensPerSec = String(p.tokensPerSec);
  status.dataset.step = String(xs.length);
  if (p.done) {
    status.dataset.losses = JSON.stringify(p.runs.map((r) => r.losses));
    status.textContent += ' · ' + t('finished', { steps: xs.length });
    status.dataset.done = 'true';
    benchTable = p.table;
    renderBenchTable();
    $<HTMLButtonElement>('b-start').disabled = false;
    $<HTMLButtonElement>('b-stop').disabled = true;
  }
}

function renderBenchTable(): void {
  const tbl = $<HTMLTableElement>('b-table');
  tbl.textContent = '';
  if (!benchTable) return;
  const head = tbl.insertRow();
  for (const h of ['T', '', t('hidden'), t('params'), t('finalLoss'), t('solvedAt')]) {
    const th = document.createElement('th');
    th.textContent = h;
    head.appendChild(th);
  }
  for (const r of benchTable) {
    const row = tbl.insertRow();
    row.dataset.cell = r.cell;
    row.dataset.loss = String(r.lossMean);
    for (const v of [
      r.length,
      r.cell.toUpperCase(),
      r.hidden,
      r.params,
      r.lossMean.toPrecision(4),
      r.medianSolvedAt ?? '—',
    ]) {
      row.insertCell().textContent = String(v);
    }
  }
}

function startBench(): void {
  const o = benchOptions();
  setParams({
    task: o.task ?? null,
    len: o.lengths?.[0] ?? null,
    steps: o.steps ?? null,
    cells: (o.cells ?? []).join(','),
    clip: o.clip ?? null,
    fb: o.forgetBias ?? null,
    init: o.init ?? null,
    lr: o.lr ?? null,
    seed: o.seed ?? null,
  });
  benchTable = null;
  renderBenchTable();
  $('b-status').dataset.done = 'false';
  $<HTMLButtonElement>('b-start').disabled = true;
  $<HTMLButtonElement>('b-stop').disabled = false;
  void engine.call({ type: 'bench', options: o, gradEvery: 25 });
}

// ---------- start-up ----------
function restore(): void {
  const lang = param('lang');
  setLang(isLang(lang) ? lang : navigator.language.startsWith('ja') ? 'ja' : 'en');
  $<HTMLSelectElement>('lang').value = getLang();
  const s = param('series');
  if (s) $<HTMLSelectElement>('series').value = s;
  $<HTMLInputElement>('threshold').value = String(numParam('thr', 0.5));
  $<HTMLSelectElement>('sort').value = param('sort') ?? 'index';
  $<HTMLInputElement>('filter').value = param('units') ?? '';
  const text = param('text');
  const off = numParam('at', 0);
  $<HTMLTextAreaElement>('text').value = text ?? corpusText.slice(off, off + 400);
  const m = /^(\d+)-(\d+)$/.exec(param('sel') ?? '');
  if (m) sel = { start: Number(m[1]), end: Number(m[2]) };
  if (param('unit') !== null) trackUnit = numParam('unit', 0);
  for (const [id, k] of [
    ['b-task', 'task'],
    ['b-len', 'len'],
    ['b-steps', 'steps'],
    ['b-clip', 'clip'],
    ['b-fb', 'fb'],
    ['b-init', 'init'],
    ['b-lr', 'lr'],
    ['b-seed', 'seed'],
  ] as const) {
    const v = param(k);
    if (v !== null) $<HTMLInputElement>(id).value = v;
  }
  const cellsParam = param('cells');
  if (cellsParam)
    for (const c of ['rnn', 'lstm', 'gru'])
      $<HTMLInputElement>(`b-${c}`).checked = cellsParam.split(',').includes(c);
  showView(param('view') ?? 'explorer');
}

async function listModels(): Promise<void> {
  const pick = $<HTMLSelectElement>('model-pick');
  pick.textContent = '';
  const o = document.createElement('option');
  o.value = SHIPPED;
  o.textContent = t('shippedModel');
  o.dataset.i18n = 'shippedModel';
  pick.appendChild(o);
  try {
    const r = await fetch('./api/models');
    if (r.ok) {
      const j = (await r.json()) as { models: { name: string }[] };
      for (const m of j.models) {
        const op = document.createElement('option');
        op.value = m.name;
        op.textContent = `runs/${m.name}`;
        pick.appendChild(op);
      }
    }
  } catch {
    // A static host has no model listing: only the shipped model and dropped files.
  }
  pick.value = param('model') ?? SHIPPED;
  if (pick.value === '') pick.value = SHIPPED;
}

function wire(): void {
  document
    .querySelectorAll<HTMLButtonElement>('nav button')
    .forEach((b) => (b.onclick = () => showView(b.dataset.view ?? 'explorer')));
  $<HTMLSelectElement>('lang').onchange = (e) => {
    const v = (e.target as HTMLSelectElement).value;
    if (isLang(v)) setLang(v);
    setParams({ lang: getLang() });
    relabel();
  };
  $('run').onclick = () => void runText();
  $('pick').onclick = () => {
    const at = Math.floor(Math.random() * Math.max(1, corpusText.length - 400));
    $<HTMLTextAreaElement>('text').value = corpusText.slice(at, at + 400);
    sel = null;
    setParams({ at, sel: null });
    void runText();
  };
  for (const id of ['series', 'sort', 'filter', 'threshold']) {
    $(id).addEventListener('change', () => {
      setParams({
        series: series(),
        sort: $<HTMLSelectElement>('sort').value,
        units: $<HTMLInputElement>('filter').value,
        thr: threshold(),
      });
      computeSelection();
      renderHeat();
      renderTrack();
    });
  }
  $('match').onclick = () => void runMatch();
  $<HTMLSelectElement>('model-pick').onchange = (e) => {
    const v = (e.target as HTMLSelectElement).value;
    setParams({ model: v === SHIPPED ? null : v });
    void (v === SHIPPED
      ? loadFromUrl('char-lstm', modelUrl)
      : loadFromUrl(`runs/${v}`, `./runs/${v}/model.safetensors`));
  };
  $<HTMLInputElement>('model-file').onchange = (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) void loadFile(f);
  };
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = e.dataTransfer?.files?.[0];
    if (f) void loadFile(f);
  });
  wireHeat();
  $('b-start').onclick = startBench;
  $('b-stop').onclick = () => {
    void engine.call({ type: 'stop' });
    $<HTMLButtonElement>('b-start').disabled = false;
    $<HTMLButtonElement>('b-stop').disabled = true;
  };
  engine.onBench = onBench;
}

async function loadFile(f: File): Promise<void> {
  if (f.size > MAX_MODEL_MB * 1024 * 1024) {
    message(t('tooLarge', { name: f.name, mb: (f.size / 1048576).toFixed(1), max: MAX_MODEL_MB }));
    return;
  }
  const ok = await loadModel(f.name, new Uint8Array(await f.arrayBuffer()));
  if (ok)
    message(
      t('loaded', {
        name: f.name,
        layers: model?.layers ?? 0,
        hidden: model?.hidden ?? 0,
        vocab: model?.vocab.length ?? 0,
        params: model?.params ?? 0,
      }),
      'info',
    );
}

async function boot(): Promise<void> {
  restore();
  wire();
  applyI18n();
  renderGuide();
  renderEngine();
  engineInfo = await engine.call<EngineInfo>({ type: 'init' });
  renderEngine();
  await listModels();
  const pick = $<HTMLSelectElement>('model-pick').value;
  await (pick === SHIPPED
    ? loadFromUrl('char-lstm', modelUrl)
    : loadFromUrl(`runs/${pick}`, `./runs/${pick}/model.safetensors`));
  document.body.dataset.ready = 'true';
}

/**
 * A small console API (`kiokuLab` in the browser's console) for instructors and the tests:
 * run the loaded model over a text and get the raw series.
 */
declare global {
  interface Window {
    kiokuLab: { trace(text: string): Promise<TraceReply>; engine(): EngineInfo | null };
  }
}
window.kiokuLab = {
  trace: (text) => engine.call<TraceReply>({ type: 'trace', text }),
  engine: () => engineInfo,
};

void boot();
