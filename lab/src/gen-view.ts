/**
 * The generation explorer on the shipped character LSTM: a prime, samples at several
 * temperatures side by side, the next-character distribution (top-k bars) at every position,
 * beam search with its log-probability, and stepping one character at a time. The model runs
 * in the views worker (`src/wings/charlm/generate.ts`: sample, beamSearch, nextCharsAlong).
 */
import modelUrl from '../../models/lab/char-lstm/model.safetensors?url';
import type { NextChars } from '../../src/wings/charlm/generate.js';
import { applyViewLabels, tv } from './i18n-views.js';
import { numParam, param, setParams } from './state.js';
import type { GenDist, GenSample, GenStepReply } from './views-protocol.js';
import { viewsEngine } from './views-engine.js';

const K = 8;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

const HTML = `
<p class="hint" data-i18n-v="genIntro"></p>
<label class="block"><span data-i18n-v="genPrime"></span>
  <textarea id="gen-prime" rows="2" spellcheck="false"></textarea></label>
<div class="row">
  <label><span data-i18n-v="genTemps"></span> <input id="gen-temps" size="12" value="0.5, 1, 1.5" /></label>
  <label><span data-i18n-v="genLength"></span> <input id="gen-len" type="number" min="1" max="1000" value="160" style="width:5em" /></label>
  <label><span data-i18n-v="genSeed"></span> <input id="gen-seed" type="number" min="0" value="1" style="width:5em" /></label>
  <button id="gen-sample" data-i18n-v="genSample"></button>
  <label><span data-i18n-v="genWidth"></span> <input id="gen-width" type="number" min="1" max="64" value="5" style="width:4em" /></label>
  <button id="gen-beam" data-i18n-v="genBeam"></button>
</div>
<div id="gen-message" class="message" role="alert" hidden></div>
<p class="hint" id="gen-hint"></p>
<div id="gen-samples" class="gen-samples"></div>
<div class="cols">
  <div>
    <h3 data-i18n-v="genStepped"></h3>
    <div class="row"><button id="gen-step" data-i18n-v="genStep"></button><button id="gen-reset" data-i18n-v="genReset"></button></div>
    <pre id="gen-stepped" class="gen-text"></pre>
  </div>
  <div>
    <h3 id="gen-dist-title"></h3>
    <div id="gen-bars"></div>
  </div>
</div>
`;

let stepped = '';
let stepSeed = 1;
let model: Promise<unknown> | null = null;

function genMessage(text: string | null): void {
  const el = $('gen-message');
  el.hidden = text === null;
  el.textContent = text ?? '';
}

function showError(e: unknown): void {
  genMessage(e instanceof Error ? e.message : String(e));
}

function prime(): string {
  return $<HTMLTextAreaElement>('gen-prime').value;
}

function temps(): number[] | null {
  const raw = $<HTMLInputElement>('gen-temps').value;
  const vals = raw
    .split(/[,\s]+/)
    .filter(Boolean)
    .map(Number);
  if (!vals.length || vals.some((v) => !Number.isFinite(v) || v < 0)) {
    genMessage(tv('genTempBad', { v: raw }));
    return null;
  }
  return vals.slice(0, 6);
}

function intOf(id: string, lo: number, hi: number, fallback: number): number {
  const v = Math.round(Number($<HTMLInputElement>(id).value));
  return Number.isFinite(v) ? Math.max(lo, Math.min(hi, v)) : fallback;
}

function saveState(): void {
  setParams({
    gprime: prime().length <= 500 ? prime() : null,
    gtemps: $<HTMLInputElement>('gen-temps').value,
    glen: intOf('gen-len', 1, 1000, 160),
    gseed: intOf('gen-seed', 0, 2 ** 31, 1),
    gwidth: intOf('gen-width', 1, 64, 5),
  });
}

async function ensureModel(): Promise<void> {
  if (!model) {
    model = (async () => {
      const res = await fetch(modelUrl);
      if (!res.ok) throw new Error(`char-lstm model.safetensors: HTTP ${res.status}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return viewsEngine().call({ type: 'gen-load', bytes, name: 'models/lab/char-lstm/model.safetensors' }, [
        bytes.buffer,
      ]);
    })();
  }
  await model;
}

function checkPrime(): boolean {
  if (prime().length === 0) {
    genMessage(tv('genEmptyPrime'));
    return false;
  }
  genMessage(null);
  return true;
}

function bars(title: string, d: NextChars): void {
  $('gen-dist-title').textContent = title;
  const box = $('gen-bars');
  box.textContent = '';
  for (let i = 0; i < d.chars.length; i++) {
    const row = document.createElement('div');
    row.className = 'gen-bar';
    const label = document.createElement('code');
    label.textContent = JSON.stringify(d.chars[i]);
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${Math.round(d.probs[i] * 240)}px`;
    const p = document.createElement('span');
    p.textContent = `${(d.probs[i] * 100).toFixed(1)}%`;
    row.append(label, bar, p);
    box.appendChild(row);
  }
}

const vis = (c: string): string => (c === '\n' ? '↵\n' : c);

/** One sample as characters you can hover: each shows the distribution it was drawn from. */
async function renderText(box: HTMLElement, text: string): Promise<void> {
  const d = await viewsEngine().call<GenDist>({ type: 'gen-dist', prime: prime(), text, k: K });
  box.textContent = '';
  Array.from(text).forEach((c, i) => {
    const s = document.createElement('span');
    s.className = 'ch';
    s.textContent = vis(c);
    const show = (): void => {
      const ctx = (prime() + text.slice(0, i)).slice(-24);
      bars(tv('genDistAt', { ctx: ctx.replace(/\n/g, '↵') }), d.steps[i]);
    };
    s.onmouseenter = show;
    s.onclick = show;
    box.appendChild(s);
  });
}

async function runSamples(): Promise<void> {
  saveState();
  const ts = temps();
  if (!ts || !checkPrime()) return;
  await ensureModel();
  const out = await viewsEngine().call<GenSample[]>({
    type: 'gen-samples',
    prime: prime(),
    temperatures: ts,
    length: intOf('gen-len', 1, 1000, 160),
    seed: intOf('gen-seed', 0, 2 ** 31, 1),
  });
  const box = $('gen-samples');
  box.textContent = '';
  for (const s of out) {
    const col = await column(`T = ${s.temperature}`, s.text, s.logProb);
    col.dataset.fused = String(s.fused); // one WASM call per character (StepDecoder)
    box.appendChild(col);
  }
}

async function column(title: string, text: string, logProb: number): Promise<HTMLElement> {
  const col = document.createElement('div');
  col.className = 'gen-col';
  const h = document.createElement('h3');
  h.textContent = title;
  const lp = document.createElement('div');
  lp.className = 'hint';
  lp.dataset.logprob = String(logProb);
  lp.textContent = tv('genLogProb', { lp: logProb.toFixed(2), n: Array.from(text).length });
  const pre = document.createElement('pre');
  pre.className = 'gen-text';
  await renderText(pre, text);
  col.append(h, lp, pre);
  return col;
}

async function runBeam(): Promise<void> {
  saveState();
  if (!checkPrime()) return;
  await ensureModel();
  const width = intOf('gen-width', 1, 64, 5);
  const r = await viewsEngine().call<{ text: string; logProb: number }>({
    type: 'gen-beam',
    prime: prime(),
    width,
    length: Math.min(200, intOf('gen-len', 1, 1000, 160)),
  });
  const col = await column(`${tv('genBeam')} (${tv('genWidth')} ${width})`, r.text, r.logProb);
  col.classList.add('beam');
  $('gen-samples').prepend(col);
}

async function step(): Promise<void> {
  if (!checkPrime()) return;
  await ensureModel();
  const temperature = temps()?.[0] ?? 1;
  const r = await viewsEngine().call<GenStepReply>({
    type: 'gen-step',
    prime: prime(),
    text: stepped,
    temperature,
    seed: stepSeed++,
    k: K,
  });
  bars(tv('genDistAt', { ctx: (prime() + stepped).slice(-24).replace(/\n/g, '↵') }), r.dist);
  stepped += r.char;
  const pre = $('gen-stepped');
  pre.textContent = '';
  const pr = document.createElement('span');
  pr.className = 'prime';
  pr.textContent = prime();
  const gen = document.createElement('span');
  gen.textContent = Array.from(stepped).map(vis).join('');
  pre.append(pr, gen);
}

/** Build the explorer's section (hidden) inside `main`. */
export function mountGen(main: HTMLElement): void {
  const sec = document.createElement('section');
  sec.id = 'view-gen';
  sec.className = 'view';
  sec.hidden = true;
  sec.innerHTML = HTML;
  main.appendChild(sec);
  $<HTMLTextAreaElement>('gen-prime').value = param('gprime') ?? 'function ';
  $<HTMLInputElement>('gen-temps').value = param('gtemps') ?? '0.5, 1, 1.5';
  $<HTMLInputElement>('gen-len').value = String(numParam('glen', 160));
  $<HTMLInputElement>('gen-seed').value = String(numParam('gseed', 1));
  $<HTMLInputElement>('gen-width').value = String(numParam('gwidth', 5));
  $('gen-sample').onclick = () => void runSamples().catch(showError);
  $('gen-beam').onclick = () => void runBeam().catch(showError);
  $('gen-step').onclick = () => void step().catch(showError);
  $('gen-reset').onclick = () => {
    stepped = '';
    stepSeed = 1;
    $('gen-stepped').textContent = '';
  };
  $('gen-prime').addEventListener('change', () => {
    stepped = '';
    saveState();
  });
  window.kiokuGen = {
    samples: () => runSamples(),
    beam: () => runBeam(),
    step: () => step(),
    dist: async (p, text) => {
      await ensureModel();
      return viewsEngine().call<GenDist>({ type: 'gen-dist', prime: p, text, k: K });
    },
  };
}

let opened = false;
/** Called when the explorer's view is shown: loads the model and samples once. */
export function openGen(): void {
  applyViewLabels($('view-gen'));
  $('gen-hint').textContent = tv('genClickHint', { k: K });
  if (opened) return;
  opened = true;
  void runSamples().catch(showError);
}

declare global {
  interface Window {
    kiokuGen: {
      samples(): Promise<void>;
      beam(): Promise<void>;
      step(): Promise<void>;
      dist(prime: string, text: string): Promise<GenDist>;
    };
  }
}
