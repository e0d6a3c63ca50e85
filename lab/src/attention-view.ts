/**
 * The attention explorer: type a word, and the grapheme-to-phoneme encoder–decoder
 * (src/wings/seq2seq, Luong et al. 2015 global attention) gives its pronunciation by beam
 * search, the attention alignment of the output as a heat map (letters × phones, the final
 * </s> included: row i is where the decoder looked when it chose phone i) and the n-best list
 * with log-probabilities; click an entry of the list to see its alignment. The model is
 * models/g2p/model.safetensors when this build ships one; any `kioku seq2seq train` model can
 * be loaded from a file instead. Words are never guessed at: characters outside the model's
 * alphabet are named, and a word longer than the model reads is said to be cut.
 */
import { ATTENTION_EXAMPLES } from './attention-examples.js';
import { applyViewLabels, tv } from './i18n-views.js';
import { numParam, param, setParams } from './state.js';
import { debounced, errorText, showMessage, ViewModel } from './view-model.js';
import type { G2PInfo, G2PReply } from './views-protocol.js';
import { viewsEngine } from './views-engine.js';

/** The shipped model's URL, or none when this build has no models/g2p/model.safetensors. */
const SHIPPED: string | undefined = Object.values(
  import.meta.glob<string>('../../models/g2p/model.safetensors', {
    query: '?url',
    import: 'default',
    eager: true,
  }),
)[0];
const SHIPPED_NAME = 'models/g2p/model.safetensors';
const BEAMS = [1, 2, 3, 5, 8, 10];
const DEFAULT_BEAM = 5;
/** Longer text is not put in the URL (the model reads at most 32 letters anyway). */
const URL_WORD_MAX = 64;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

const HTML = `
<p class="hint" data-i18n-v="attnIntro"></p>
<div class="row">
  <span id="attn-model" class="hint"></span>
  <label><span data-i18n-v="attnLoad"></span> <input id="attn-file" type="file" accept=".safetensors" /></label>
</div>
<div class="row" id="attn-examples"><span data-i18n-v="attnExamples"></span></div>
<div class="row">
  <label><span data-i18n-v="attnWord"></span>
    <input id="attn-word" type="text" maxlength="200" spellcheck="false" autocomplete="off" style="width:18em" /></label>
  <label><span data-i18n-v="attnBeam"></span> <select id="attn-beam">${BEAMS.map((b) => `<option value="${b}">${b}</option>`).join('')}</select></label>
</div>
<div id="attn-message" class="message" role="alert" hidden></div>
<div id="attn-note" class="note warn" hidden></div>
<p id="attn-best" class="attn-best"></p>
<div class="attn-panels">
  <div>
    <h3 id="attn-heat-title"></h3>
    <table id="attn-heat" class="attn-heat"></table>
    <p class="hint" data-i18n-v="attnHeatHint"></p>
  </div>
  <div>
    <h3 data-i18n-v="attnNbest"></h3>
    <table id="attn-nbest" class="attn-nbest"></table>
    <p class="hint" data-i18n-v="attnNbestHint"></p>
  </div>
</div>
<p class="hint" data-i18n-v="attnHow"></p>
`;

const model = new ViewModel<G2PInfo>({
  url: SHIPPED,
  name: SHIPPED_NAME,
  request: (bytes, name) => ({ type: 'g2p-load', bytes, name }),
  loaded: () => describeModel(),
});
let drawn: G2PReply | null = null;
/** Which hypothesis of the n-best list the heat map shows. */
let selected = 0;
let pending = 0;

function message(text: string | null): void {
  showMessage($('attn-message'), text);
}

function note(text: string | null): void {
  showMessage($('attn-note'), text);
}

function showError(e: unknown): void {
  message(errorText(e));
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

function describeModel(): void {
  const el = $('attn-model');
  const info = model.info;
  if (!info) {
    el.textContent = SHIPPED ? tv('attnLoading') : tv('attnNoModel', { file: SHIPPED_NAME });
    el.classList.toggle('missing', !SHIPPED);
    return;
  }
  el.classList.remove('missing');
  const s = info.scores;
  el.textContent = tv('attnModel', {
    name: info.name,
    cell: info.cell.toUpperCase(),
    dirs: info.bidirectional ? 2 : 1,
    hidden: info.hidden,
    attention: info.attention,
    letters: info.letters.length,
    phones: info.phones,
    params: info.params.toLocaleString(),
    score: s
      ? tv('attnScore', {
          wer: pct(s.wer),
          per: pct(s.per),
          words: s.words.toLocaleString(),
          beam: s.beam ?? '?',
        })
      : '—',
  });
}

/** White → dark blue for an attention weight in [0, 1]. */
function shade(w: number): string {
  const x = Math.max(0, Math.min(1, w));
  return `rgb(${Math.round(255 - 227 * x)},${Math.round(255 - 190 * x)},${Math.round(255 - 95 * x)})`;
}

/** A character as it can be read in a message: quoted, spaces and invisible ones by code point. */
function showChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return /\s|\p{C}/u.test(ch) ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `“${ch}”`;
}

function clear(): void {
  drawn = null;
  $('attn-best').textContent = '';
  $('attn-heat').textContent = '';
  $('attn-heat-title').textContent = '';
  $('attn-nbest').textContent = '';
}

function cell(tag: 'td' | 'th', text: string, cls?: string): HTMLTableCellElement {
  const c = document.createElement(tag);
  c.textContent = text;
  if (cls) c.className = cls;
  return c;
}

/** The heat map of hypothesis `k`: one row per output phone and </s>, one column per letter. */
function drawHeat(r: G2PReply, k: number): void {
  const t = r.translation;
  if (!t) return;
  const out = t.outputs[k];
  const table = $('attn-heat');
  table.textContent = '';
  const head = document.createElement('tr');
  head.appendChild(cell('th', ''));
  for (const s of t.source) head.appendChild(cell('th', s, 'attn-letter'));
  table.appendChild(head);
  const labels = [...out.phones, '</s>'];
  out.weights.forEach((row, i) => {
    const tr = document.createElement('tr');
    tr.appendChild(cell('th', labels[i] ?? '', 'attn-phone'));
    row.forEach((w, s) => {
      const td = cell('td', w >= 0.01 ? w.toFixed(2).replace(/^0/, '') : '', 'attn-w');
      td.dataset.w = String(w);
      td.style.background = shade(w);
      if (w > 0.5) td.style.color = '#fff';
      td.title = `α(${labels[i]}, ${t.source[s]}) = ${w.toFixed(4)}`;
      tr.appendChild(td);
    });
    table.appendChild(tr);
  });
  $('attn-heat-title').textContent = tv('attnHeatTitle', {
    rank: k + 1,
    word: t.word.length > 32 ? `${[...t.word].slice(0, 32).join('')}…` : t.word,
    phones: out.phones.join(' '),
  });
  $('attn-nbest')
    .querySelectorAll('tr[data-rank]')
    .forEach((tr) => tr.classList.toggle('selected', tr.getAttribute('data-rank') === String(k)));
}

function draw(r: G2PReply): void {
  drawn = r;
  const t = r.translation;
  if (!t) return clear();
  selected = Math.min(selected, t.outputs.length - 1);
  const best = t.outputs[0];
  $('attn-best').textContent =
    `${[...r.input.cut].join('')} → /${best.phones.join(' ')}/   (log p = ${best.logProb.toFixed(3)})`;
  const nb = $('attn-nbest');
  nb.textContent = '';
  const head = document.createElement('tr');
  for (const h of ['#', tv('attnPhones'), 'log p', 'p']) head.appendChild(cell('th', h));
  nb.appendChild(head);
  t.outputs.forEach((o, k) => {
    const tr = document.createElement('tr');
    tr.dataset.rank = String(k);
    tr.dataset.lp = String(o.logProb);
    tr.dataset.phones = o.phones.join(' ');
    tr.append(
      cell('td', String(k + 1)),
      cell('td', o.phones.join(' '), 'attn-phones'),
      cell('td', o.logProb.toFixed(3), 'num'),
      cell('td', Math.exp(o.logProb).toFixed(3), 'num'),
    );
    tr.onclick = () => {
      selected = k;
      drawHeat(r, k);
    };
    nb.appendChild(tr);
  });
  drawHeat(r, selected);
}

/** The message for a word the model cannot read (null: it can), in the page's language. */
function refusal(r: G2PReply): string | null {
  if (r.input.word === '') return tv('attnEmpty');
  if (r.input.unknown.length > 0)
    return tv('attnUnknown', {
      chars: r.input.unknown.map(showChar).join(', '),
      n: r.input.unknown.length,
      alphabet: model.info ? [...model.info.letters].sort().join(' ') : '',
    });
  return null;
}

/** Translate the word in the field with the chosen beam width and draw it (the latest request wins). */
async function analyse(): Promise<void> {
  const word = $<HTMLInputElement>('attn-word').value;
  const beam = Number($<HTMLSelectElement>('attn-beam').value) || DEFAULT_BEAM;
  setParams({ aword: word.length <= URL_WORD_MAX ? word : null, abeam: beam === DEFAULT_BEAM ? null : beam });
  // The ticket is taken before any await, so requests are ordered as they were made: a request
  // still waiting for the model (e.g. the one a file load starts) cannot overtake a later one.
  const ticket = ++pending;
  const loaded = await model.ensure();
  if (ticket !== pending) return;
  if (!loaded) {
    clear();
    return;
  }
  if (word.trim() === '') {
    clear();
    note(null);
    message(tv('attnEmpty'));
    return;
  }
  const r = await viewsEngine().call<G2PReply>({ type: 'g2p-translate', word, beam });
  if (ticket !== pending) return;
  const refused = refusal(r);
  message(refused);
  note(
    r.input.truncated > 0
      ? tv('attnTruncated', { max: [...r.input.cut].length, n: r.input.truncated, cut: r.input.cut })
      : null,
  );
  if (refused) {
    clear();
    drawn = r;
    return;
  }
  selected = 0;
  draw(r);
}

const analyseSoon = debounced(() => void analyse().catch(showError));

/** The prepared words' buttons, in the page's language (a made-up word says so). */
function labelExamples(): void {
  $('attn-examples')
    .querySelectorAll<HTMLButtonElement>('button[data-example]')
    .forEach((b) => {
      const ex = ATTENTION_EXAMPLES.find((e) => e.word === b.dataset.example);
      if (ex) b.textContent = ex.madeUp ? tv('attnExMadeUp', { word: ex.word }) : ex.word;
    });
}

/** Build the attention explorer's section (hidden) inside `main`. */
export function mountAttention(main: HTMLElement): void {
  const sec = document.createElement('section');
  sec.id = 'view-attn';
  sec.className = 'view';
  sec.hidden = true;
  sec.innerHTML = HTML;
  main.appendChild(sec);
  const examples = $('attn-examples');
  for (const ex of ATTENTION_EXAMPLES) {
    const b = document.createElement('button');
    b.dataset.example = ex.word;
    b.onclick = () => {
      $<HTMLInputElement>('attn-word').value = ex.word;
      void analyse().catch(showError);
    };
    examples.appendChild(b);
  }
  labelExamples();
  $<HTMLInputElement>('attn-word').value = param('aword') ?? ATTENTION_EXAMPLES[0].word;
  const beam = numParam('abeam', DEFAULT_BEAM);
  $<HTMLSelectElement>('attn-beam').value = String(BEAMS.includes(beam) ? beam : DEFAULT_BEAM);
  $('attn-word').addEventListener('input', analyseSoon);
  $('attn-beam').addEventListener('change', () => void analyse().catch(showError));
  model.wireFileInput(
    $<HTMLInputElement>('attn-file'),
    async () => {
      message(null);
      await analyse();
    },
    showError,
  );
  window.kiokuAttention = {
    ready: async () => {
      await model.ensure();
      return model.info;
    },
    drawn: () => drawn,
    translate: async (word, beam) => {
      $<HTMLInputElement>('attn-word').value = word;
      if (beam !== undefined) $<HTMLSelectElement>('attn-beam').value = String(beam);
      await analyse();
    },
  };
}

let opened = false;
/** Called when the view is shown: loads the shipped model (or says there is none) and draws. */
export function openAttention(): void {
  applyViewLabels($('view-attn'));
  describeModel();
  labelExamples();
  if (drawn?.translation) draw(drawn);
  if (opened) return;
  opened = true;
  void analyse().catch(showError);
}

declare global {
  interface Window {
    kiokuAttention: {
      /** The loaded model's description (null: no shipped model and none loaded). */
      ready(): Promise<G2PInfo | null>;
      /** The reply now shown (its translation is null when the word was refused). */
      drawn(): G2PReply | null;
      /** Put `word` (and the beam width) in the fields and translate it. */
      translate(word: string, beam?: number): Promise<void>;
    };
  }
}
