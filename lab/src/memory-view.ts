/**
 * The memory view (issue #15, the NTM paper's Fig. 6, animated): the shipped NTM copy model or
 * DNC recall model runs one task sequence in the views worker (`src/wings/memory/view.ts`);
 * the page shows the inputs and outputs, every head's weighting over time, and — at the step the
 * slider (or Play) selects — the memory contents as a heat map beside the weightings of that step.
 */
import ntmCopyUrl from '../../models/memory/ntm-copy.safetensors?url';
import dncRecallUrl from '../../models/memory/dnc-recall.safetensors?url';
import { type MemoryViewData, slotWindow } from '../../src/wings/memory/view.js';
import { applyViewLabels, tv } from './i18n-views.js';
import { numParam, param, setParams } from './state.js';
import type { MemModelInfo } from './views-protocol.js';
import { viewsEngine } from './views-engine.js';

const MODELS: Record<string, string> = { 'ntm-copy': ntmCopyUrl, 'dnc-recall': dncRecallUrl };
const CELL = 9; // pixels per heat-map cell
const PLAY_MS = 350;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

const HTML = `
<p class="hint" data-i18n-v="memIntro"></p>
<div class="row">
  <label><span data-i18n-v="memModel"></span>
    <select id="mem-model"><option value="ntm-copy">NTM · copy</option><option value="dnc-recall">DNC · associative recall</option></select></label>
  <label><span data-i18n-v="memLength"></span> <input id="mem-len" type="number" min="1" max="60" value="10" style="width:4em" /></label>
  <label><span data-i18n-v="genSeed"></span> <input id="mem-seed" type="number" min="0" value="1" style="width:5em" /></label>
  <button id="mem-run" data-i18n-v="memRun"></button>
</div>
<div id="mem-info" class="hint"></div>
<div id="mem-message" class="message" role="alert" hidden></div>
<div class="row">
  <button id="mem-play" data-i18n-v="memPlay"></button>
  <input id="mem-step" type="range" min="0" max="0" value="0" style="width:24em" />
  <span id="mem-step-label" class="pad-eos"></span>
</div>
<div class="mem-panels">
  <div>
    <h3 data-i18n-v="memInputs"></h3><canvas id="mem-inputs" class="mem"></canvas>
    <h3 data-i18n-v="memOutputs"></h3><canvas id="mem-outputs" class="mem"></canvas>
    <div id="mem-heads"></div>
  </div>
  <div>
    <h3 id="mem-memory-title"></h3>
    <canvas id="mem-memory" class="mem"></canvas>
    <p class="hint" data-i18n-v="memMemoryHint"></p>
  </div>
</div>
`;

let view: MemoryViewData | null = null;
let loaded: { name: string; info: Promise<MemModelInfo> } | null = null;
let step = 0;
let timer: number | null = null;

function memMessage(text: string | null): void {
  const el = $('mem-message');
  el.hidden = text === null;
  el.textContent = text ?? '';
}

function showError(e: unknown): void {
  memMessage(e instanceof Error ? e.message : String(e));
}

/** White → dark blue for values in [0, 1] (weightings, bits). */
function seq(v: number): string {
  const x = Math.max(0, Math.min(1, v));
  return `rgb(${Math.round(255 - 227 * x)},${Math.round(255 - 190 * x)},${Math.round(255 - 95 * x)})`;
}

/** Blue ← white → orange for values in [-1, 1] (memory contents, scaled). */
function div(v: number): string {
  const x = Math.max(-1, Math.min(1, v));
  return x >= 0
    ? `rgb(255,${Math.round(255 - 120 * x)},${Math.round(255 - 230 * x)})`
    : `rgb(${Math.round(255 + 215 * x)},${Math.round(255 + 135 * x)},255)`;
}

/**
 * Draw `cols` columns of `rows` cells coloured by colour(col, row); outline column `cursor`.
 * Rows run top to bottom, columns left to right.
 */
function drawGrid(
  canvas: HTMLCanvasElement,
  cols: number,
  rows: number,
  colour: (c: number, r: number) => string,
  cursor: number | null,
): void {
  canvas.width = cols * CELL + 1;
  canvas.height = rows * CELL + 1;
  const g = canvas.getContext('2d');
  if (!g) return;
  for (let c = 0; c < cols; c++)
    for (let r = 0; r < rows; r++) {
      g.fillStyle = colour(c, r);
      g.fillRect(c * CELL, r * CELL, CELL, CELL);
    }
  if (cursor !== null) {
    g.strokeStyle = '#d62728';
    g.lineWidth = 2;
    g.strokeRect(cursor * CELL + 1, 1, CELL - 1, rows * CELL - 1);
  }
}

function headTitle(h: MemoryViewData['heads'][number], n: number): string {
  const k = h.kind === 'write' ? tv('memWrite') : tv('memRead');
  return n > 2 || h.kind === 'read' ? `${k} ${h.index}` : k;
}

function draw(): void {
  const v = view;
  if (!v) return;
  const t = Math.max(0, Math.min(v.T - 1, step));
  $('mem-step-label').textContent = tv('memStepLabel', { t: t + 1, T: v.T });
  $<HTMLInputElement>('mem-step').value = String(t);
  drawGrid($('mem-inputs'), v.T, v.inputs[0].length, (c, r) => seq(v.inputs[c][r]), t);
  drawGrid($('mem-outputs'), v.T, v.outputs[0].length, (c, r) => seq(v.mask[c][r] ? v.outputs[c][r] : 0), t);
  const slots = slotWindow(v); // display row r shows memory slot slots[r]
  const N = slots.length;
  const heads = $('mem-heads');
  if (heads.childElementCount !== v.heads.length) {
    heads.textContent = '';
    for (const h of v.heads) {
      const title = document.createElement('h3');
      title.textContent = `${headTitle(h, v.heads.length)} — ${tv('memWeighting')}`;
      const c = document.createElement('canvas');
      c.className = 'mem';
      heads.append(title, c);
    }
  }
  v.heads.forEach((h, i) => {
    const c = heads.querySelectorAll('canvas')[i];
    drawGrid(c, v.T, N, (col, r) => seq(h.weightings[col][slots[r]]), t);
  });
  // Memory at step t: one row per slot (aligned with the weightings' rows), the heads'
  // weightings of this step as the first columns, then the slot's M elements.
  const M = v.width;
  const mem = v.memory[t];
  let scale = 1e-12;
  for (const i of slots) for (let j = 0; j < M; j++) scale = Math.max(scale, Math.abs(mem[i * M + j]));
  const nh = v.heads.length;
  drawGrid(
    $('mem-memory'),
    nh + 1 + M,
    N,
    (c, r) =>
      c < nh
        ? seq(v.heads[c].weightings[t][slots[r]])
        : c === nh
          ? '#fff'
          : div(mem[slots[r] * M + c - nh - 1] / scale),
    null,
  );
  $('mem-memory-title').textContent = tv('memMemoryAt', {
    t: t + 1,
    n: N,
    N: v.slots,
    a: slots[0],
    b: slots[N - 1],
    M,
    s: scale.toPrecision(2),
  });
}

function setStep(t: number): void {
  step = t;
  setParams({ mstep: t });
  draw();
}

function stop(): void {
  if (timer !== null) window.clearInterval(timer);
  timer = null;
  $('mem-play').textContent = tv('memPlay');
}

function play(): void {
  if (timer !== null) return stop();
  if (!view) return;
  if (step >= view.T - 1) setStep(0);
  $('mem-play').textContent = tv('memPause');
  timer = window.setInterval(() => {
    if (!view || step >= view.T - 1) return stop();
    setStep(step + 1);
  }, PLAY_MS);
}

async function load(name: string): Promise<MemModelInfo> {
  if (!loaded || loaded.name !== name) {
    const url = MODELS[name];
    if (!url)
      throw new Error(`no shipped memory model ${JSON.stringify(name)} (${Object.keys(MODELS).join(', ')})`);
    loaded = {
      name,
      info: (async () => {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`models/memory/${name}.safetensors: HTTP ${res.status}`);
        const bytes = new Uint8Array(await res.arrayBuffer());
        const file = `models/memory/${name}.safetensors`;
        return viewsEngine().call<MemModelInfo>({ type: 'mem-load', bytes, name: file }, [bytes.buffer]);
      })(),
    };
  }
  return loaded.info;
}

/** Run the chosen model on the sequence (length, seed) and show it from step `at`. */
async function run(name: string, length: number, seed: number, at = 0): Promise<MemoryViewData> {
  stop();
  memMessage(null);
  setParams({ mmodel: name, mlen: length, mseed: seed });
  const info = await load(name);
  const v = await viewsEngine().call<MemoryViewData>({ type: 'mem-run', length, seed });
  view = v;
  $<HTMLInputElement>('mem-step').max = String(v.T - 1);
  $('mem-info').textContent = tv('memInfo', {
    model: info.model.toUpperCase(),
    task: info.task,
    params: info.params,
    step: info.step,
    lo: info.minLength,
    hi: info.maxLength,
    wrong: v.wrongBits,
    bits: v.scoredBits,
  });
  $('mem-heads').textContent = '';
  setStep(Math.min(at, v.T - 1));
  return v;
}

function fromInputs(at = 0): Promise<MemoryViewData> {
  const name = $<HTMLSelectElement>('mem-model').value;
  const len = Math.max(1, Math.min(60, Math.round(Number($<HTMLInputElement>('mem-len').value)) || 1));
  const seed = Math.max(0, Math.round(Number($<HTMLInputElement>('mem-seed').value)) || 0);
  return run(name, len, seed, at);
}

/** Build the memory view's section (hidden) inside `main`. */
export function mountMemory(main: HTMLElement): void {
  const sec = document.createElement('section');
  sec.id = 'view-memory';
  sec.className = 'view';
  sec.hidden = true;
  sec.innerHTML = HTML;
  main.appendChild(sec);
  const name = param('mmodel');
  $<HTMLSelectElement>('mem-model').value = name && name in MODELS ? name : 'ntm-copy';
  $<HTMLInputElement>('mem-len').value = String(numParam('mlen', 10));
  $<HTMLInputElement>('mem-seed').value = String(numParam('mseed', 1));
  $('mem-model').onchange = () => {
    $<HTMLInputElement>('mem-len').value =
      $<HTMLSelectElement>('mem-model').value === 'dnc-recall' ? '4' : '10';
    void fromInputs().catch(showError);
  };
  $('mem-run').onclick = () => void fromInputs().catch(showError);
  $('mem-play').onclick = () => play();
  $('mem-step').oninput = () => {
    stop();
    setStep(Number($<HTMLInputElement>('mem-step').value));
  };
  window.kiokuMemory = {
    run: (model, length, seed) => run(model, length, seed),
    view: () => view,
    setStep: (t) => setStep(t),
  };
}

let opened = false;
/** Called when the memory view is shown: runs the sequence in the URL once. */
export function openMemory(): void {
  applyViewLabels($('view-memory'));
  stop();
  if (view) draw();
  if (opened) return;
  opened = true;
  void fromInputs(numParam('mstep', 0)).catch(showError);
}

declare global {
  interface Window {
    kiokuMemory: {
      run(model: string, length: number, seed: number): Promise<MemoryViewData>;
      view(): MemoryViewData | null;
      setStep(t: number): void;
    };
  }
}
