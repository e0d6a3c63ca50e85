/**
 * The sentiment view: type a review, and under every word the shipped IMDB classifier's
 * P(positive) after reading the review up to that word — what the many-to-one model "hears"
 * as it reads (`predictSentiment` with `trace`, src/wings/sentiment/predict.ts: every prefix
 * runs as one padded batch, so the bidirectional model answers "what if the review ended
 * here?"). Prepared reviews show negation ("not bad") and contrast ("…, but …"). The model
 * is models/sentiment/model.safetensors when this build ships one; any `kioku sentiment
 * train` model can be loaded from a file instead.
 */
import { applyViewLabels, tv } from './i18n-views.js';
import { SENTIMENT_EXAMPLES } from './sentiment-examples.js';
import { param, setParams } from './state.js';
import { debounced, errorText, showMessage, ViewModel } from './view-model.js';
import type { SentimentInfo, SentimentTrace } from './views-protocol.js';
import { viewsEngine } from './views-engine.js';

/** The shipped model's URL, or none when this build has no models/sentiment/model.safetensors. */
const SHIPPED: string | undefined = Object.values(
  import.meta.glob<string>('../../models/sentiment/model.safetensors', {
    query: '?url',
    import: 'default',
    eager: true,
  }),
)[0];
const SHIPPED_NAME = 'models/sentiment/model.safetensors';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

const HTML = `
<p class="hint" data-i18n-v="sentIntro"></p>
<div class="row">
  <span id="sent-model" class="hint"></span>
  <label><span data-i18n-v="sentLoad"></span> <input id="sent-file" type="file" accept=".safetensors" /></label>
</div>
<div class="row" id="sent-examples"><span data-i18n-v="sentExamples"></span></div>
<label class="block"><span data-i18n-v="sentText"></span>
  <textarea id="sent-text" rows="4" spellcheck="false"></textarea></label>
<div id="sent-message" class="message" role="alert" hidden></div>
<p id="sent-verdict" class="sent-verdict"></p>
<div id="sent-trace" class="sent-trace"></div>
<p class="hint" data-i18n-v="sentHow"></p>
`;

const model = new ViewModel<SentimentInfo>({
  url: SHIPPED,
  name: SHIPPED_NAME,
  request: (bytes, name) => ({ type: 'sent-load', bytes, name }),
  loaded: () => describeModel(),
});
let drawn: SentimentTrace | null = null;
let pending = 0;

function message(text: string | null): void {
  showMessage($('sent-message'), text);
}

function showError(e: unknown): void {
  message(errorText(e));
}

function describeModel(): void {
  const el = $('sent-model');
  const info = model.info;
  if (!info) {
    el.textContent = SHIPPED ? tv('sentLoading') : tv('sentNoModel', { file: SHIPPED_NAME });
    el.classList.toggle('missing', !SHIPPED);
    return;
  }
  el.classList.remove('missing');
  el.textContent = tv('sentModel', {
    name: info.name,
    cell: info.cell.toUpperCase(),
    dirs: info.bidirectional ? 2 : 1,
    hidden: info.hidden,
    vocab: info.vocabSize,
    params: info.params.toLocaleString(),
    acc: info.testAccuracy === null ? '—' : `${(100 * info.testAccuracy).toFixed(2)}%`,
  });
}

/** A colour from red (P = 0) through grey (0.5) to green (1). */
function colour(p: number): string {
  const hue = Math.round(120 * p);
  const sat = Math.round(20 + 60 * Math.abs(p - 0.5) * 2);
  return `hsl(${hue} ${sat}% 45%)`;
}

function draw(t: SentimentTrace): void {
  drawn = t;
  const box = $('sent-trace');
  box.textContent = '';
  t.tokens.forEach((tok, i) => {
    const p = t.trace[i];
    const cell = document.createElement('span');
    cell.className = 'sent-tok';
    cell.dataset.p = String(p);
    cell.title = `P(positive | ${t.tokens.slice(0, i + 1).join(' ')}) = ${p.toFixed(3)}`;
    const word = document.createElement('span');
    word.className = 'sent-word';
    word.textContent = tok;
    const bar = document.createElement('span');
    bar.className = 'sent-bar';
    const fill = document.createElement('span');
    fill.style.height = `${Math.round(100 * p)}%`;
    fill.style.background = colour(p);
    bar.appendChild(fill);
    const num = document.createElement('span');
    num.className = 'sent-p';
    num.textContent = p.toFixed(2);
    cell.append(word, bar, num);
    box.appendChild(cell);
  });
  const v = $('sent-verdict');
  v.textContent = tv(t.probability >= 0.5 ? 'sentPositive' : 'sentNegative', { p: t.probability.toFixed(3) });
  v.style.color = colour(t.probability);
  const notes: string[] = [];
  if (t.oov > 0) notes.push(tv('sentOov', { n: t.oov }));
  if (t.truncated > 0) notes.push(tv('sentTruncated', { n: t.truncated }));
  if (notes.length) v.textContent += ` (${notes.join('; ')})`;
}

/** Classify the textarea's review and draw its trace (the latest request wins). */
async function analyse(): Promise<void> {
  const text = $<HTMLTextAreaElement>('sent-text').value;
  setParams({ stext: text.length <= 600 ? text : null });
  // Ticket first (before any await): requests are drawn in the order they were made, so one
  // still waiting for the model cannot overtake a later one.
  const ticket = ++pending;
  const loaded = await model.ensure();
  if (ticket !== pending) return;
  if (!loaded) {
    $('sent-trace').textContent = '';
    $('sent-verdict').textContent = '';
    return;
  }
  if (text.trim() === '') {
    message(tv('sentEmpty'));
    return;
  }
  const t = await viewsEngine().call<SentimentTrace>({ type: 'sent-trace', text });
  if (ticket !== pending) return;
  message(null);
  draw(t);
}

const analyseSoon = debounced(() => void analyse().catch(showError));

/** Build the sentiment view's section (hidden) inside `main`. */
export function mountSentiment(main: HTMLElement): void {
  const sec = document.createElement('section');
  sec.id = 'view-sent';
  sec.className = 'view';
  sec.hidden = true;
  sec.innerHTML = HTML;
  main.appendChild(sec);
  const examples = $('sent-examples');
  for (const ex of SENTIMENT_EXAMPLES) {
    const b = document.createElement('button');
    b.dataset.example = ex.id;
    b.dataset.i18nV = ex.label;
    b.onclick = () => {
      $<HTMLTextAreaElement>('sent-text').value = ex.text;
      void analyse().catch(showError);
    };
    examples.appendChild(b);
  }
  $<HTMLTextAreaElement>('sent-text').value = param('stext') ?? SENTIMENT_EXAMPLES[0].text;
  $('sent-text').addEventListener('input', analyseSoon);
  model.wireFileInput(
    $<HTMLInputElement>('sent-file'),
    async () => {
      message(null);
      await analyse();
    },
    showError,
  );
  window.kiokuSentiment = {
    ready: async () => {
      await model.ensure();
      return model.info;
    },
    drawn: () => drawn,
    analyse: () => analyse(),
  };
}

let opened = false;
/** Called when the view is shown: loads the shipped model (or says there is none) and draws. */
export function openSentiment(): void {
  applyViewLabels($('view-sent'));
  describeModel();
  if (drawn) draw(drawn);
  if (opened) return;
  opened = true;
  void analyse().catch(showError);
}

declare global {
  interface Window {
    kiokuSentiment: {
      /** The loaded model's description (null: no shipped model and none loaded). */
      ready(): Promise<SentimentInfo | null>;
      /** The trace now drawn under the text. */
      drawn(): SentimentTrace | null;
      analyse(): Promise<void>;
    };
  }
}
