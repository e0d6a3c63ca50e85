/**
 * Ship the lab's char LSTM: from a `kioku train char` run (default runs/lab-model, trained on
 * the corpus of scripts/build-lab-corpus.ts) write models/lab/char-lstm/
 *   model.safetensors  weights (stored as float16: half the bytes the page downloads), config and
 *                      vocabulary only (no optimizer state);
 *   corpus-sample.txt  16,000 characters of the held-out tail of the corpus (never trained on),
 *                      the text the page matches selections in;
 *   cells.json         the interpretable cells found in it (see docs/lab.md): for each
 *                      structure signal the unit and series whose activation correlates
 *                      most with it, found with the explorer's own analyses (src/wings/lab).
 *
 *   node --import tsx scripts/ship-lab-model.ts [runs/lab-model] [runs/lab-corpus.txt]
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import '../src/index.node.js';
import { encodeCheckpoint } from '../src/io/checkpoint-codec.js';
import { charLMFromBytes } from '../src/wings/charlm/codec.js';
import { loadCharLM } from '../src/wings/charlm/io.js';
import { traceText, unitCorrelation, SERIES } from '../src/wings/lab/cells.js';
import { structureSignals } from '../src/wings/lab/signals.js';

const runDir = process.argv[2] ?? 'runs/lab-model';
const corpusFile = process.argv[3] ?? 'runs/lab-corpus.txt';
const out = 'models/lab/char-lstm';
mkdirSync(out, { recursive: true });

const trained = loadCharLM(runDir);
const { config, step } = trained;
const bytes = encodeCheckpoint(
  { config, model: trained.model.stateDict(), step, extra: { vocab: [...trained.vocab.tokens] } },
  { float16: true },
);
writeFileSync(join(out, 'model.safetensors'), bytes);
// Everything below analyses the weights as shipped: the float16 file, widened as the page does.
const { model, vocab } = charLMFromBytes(bytes, join(out, 'model.safetensors'));

const corpus = readFileSync(corpusFile, 'utf8');
const valStart = Math.floor(corpus.length * (1 - 0.05)); // the run's --val-fraction tail
let sample = corpus.slice(valStart, valStart + 16000);
sample = sample.slice(sample.indexOf('\n') + 1);
writeFileSync(join(out, 'corpus-sample.txt'), sample);

const tr = traceText(model, vocab, sample);
const signals = structureSignals(tr.chars);
const found = [];
for (const s of signals) {
  let best = { unit: 0, series: 'c' as (typeof SERIES)[number], r: 0 };
  for (const series of ['c', 'h'] as const) {
    for (let j = 0; j < tr.H; j++) {
      const r = unitCorrelation(tr[series], tr.T, tr.H, j, s.values);
      if (Math.abs(r) > Math.abs(best.r)) best = { unit: j, series, r };
    }
  }
  // An example: the 300-character window where the signal varies most.
  let bestAt = 0;
  let bestVar = -1;
  for (let a = 0; a + 300 <= tr.T; a += 50) {
    let m = 0;
    for (let k = a; k < a + 300; k++) m += s.values[k];
    m /= 300;
    let v = 0;
    for (let k = a; k < a + 300; k++) v += (s.values[k] - m) ** 2;
    if (v > bestVar) {
      bestVar = v;
      bestAt = a;
    }
  }
  found.push({
    signal: s.name,
    name: s.label,
    nameJa: s.labelJa,
    how: s.how,
    howJa: s.howJa,
    unit: best.unit,
    series: best.series,
    correlation: Number(best.r.toFixed(3)),
    example: tr.chars.slice(bestAt, bestAt + 300).join(''),
  });
  console.log(`${s.name}: unit ${best.unit} (${best.series}_t), r = ${best.r.toFixed(3)}`);
}
writeFileSync(
  join(out, 'cells.json'),
  JSON.stringify(
    {
      model: `LSTM ${config.model.layers}x${config.model.hidden}, trained ${step} steps`,
      sampleLoss: Number(tr.loss.toFixed(4)),
      cells: found,
    },
    null,
    2,
  ) + '\n',
);
console.log(`sample loss ${tr.loss.toFixed(3)} nats/char over ${tr.T} characters; wrote ${out}`);
