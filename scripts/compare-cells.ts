/**
 * Issue 3's quality numbers: LSTM, GRU and RNN character models of (nearly) the same
 * parameter budget, trained for the same wall-clock time on the built-in corpus, and
 * their validation loss (nats/char). Prints a markdown table and writes
 * runs/compare-cells/results.json.
 *
 *   npx tsx scripts/compare-cells.ts [seconds per cell, default 300] [LSTM hidden, default 128]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import '../src/index.js';
import { CharLM } from '../src/wings/charlm/model.js';
import { DEFAULT_CHAR_TRAIN, trainCharLM } from '../src/wings/charlm/train.js';
import { getBackend } from '../src/tensor/current-backend.js';
import { CharVocab } from '../src/wings/charlm/vocab.js';
import { builtinCorpus } from '../src/wings/charlm/corpus.js';

const seconds = Number(process.argv[2] ?? 300);
const lstmHidden = Number(process.argv[3] ?? 128);
const vocabSize = CharVocab.fromText(builtinCorpus()).size;
const base = { vocabSize, layers: 1, embed: DEFAULT_CHAR_TRAIN.embed, dropout: 0, seed: 0 };
const count = (cell: string, hidden: number): number => new CharLM({ ...base, cell, hidden }).numParameters();
const budget = count('lstm', lstmHidden);
/** The hidden size whose parameter count is closest to the LSTM's. */
function matchHidden(cell: string): number {
  let best = 1;
  for (let h = 1; h <= 4 * lstmHidden; h++)
    if (Math.abs(count(cell, h) - budget) < Math.abs(count(cell, best) - budget)) best = h;
  return best;
}
const rows = [];
for (const cell of ['lstm', 'gru', 'rnn'] as const) {
  const hidden = cell === 'lstm' ? lstmHidden : matchHidden(cell);
  const run = await trainCharLM(
    {
      ...DEFAULT_CHAR_TRAIN,
      cell,
      hidden,
      time: seconds,
      out: `runs/compare-cells/${cell}`,
      validateEvery: 100,
    },
    { overwrite: true },
  );
  if (run.finished) throw new Error('unreachable: a fresh run cannot be finished');
  const r = run.result;
  const row = {
    cell,
    hidden,
    parameters: run.model.numParameters(),
    steps: r.steps,
    seconds: r.seconds,
    tokensPerSec: r.tokensPerSec,
    trainLoss: r.finalLoss,
    valLoss: r.valLoss,
  };
  rows.push(row);
  console.error(JSON.stringify(row));
}
mkdirSync('runs/compare-cells', { recursive: true });
writeFileSync(
  'runs/compare-cells/results.json',
  JSON.stringify({ backend: getBackend().name, seconds, rows }, null, 1),
);
console.log(
  `| cell | hidden | parameters | steps in ${seconds} s | tokens/s | validation loss (nats/char) |`,
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.cell.toUpperCase()} | ${r.hidden} | ${r.parameters} | ${r.steps} | ${Math.round(r.tokensPerSec)} | ${r.valLoss.toFixed(3)} |`,
  );
}
