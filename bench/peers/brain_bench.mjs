/* global process, console */
// brain.js peer of kioku's benchmark; optional, dev-time only:
//   npm install --no-save brain.js
//   node bench/peers/brain_bench.mjs '{"config": {...}, "seconds": 2}'
// brain.js trains its recurrent nets one sequence at a time on strings, with its own
// vocabulary and update rule; tokens/s counts the characters of one pass over B strings of
// T characters (the same tokens per step as the other systems). Prints one JSON line.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const args = JSON.parse(process.argv[2] ?? '{}');
const cfg = args.config;
const seconds = Number(args.seconds ?? 2);

let brain;
try {
  brain = require('brain.js');
} catch (e) {
  console.log(JSON.stringify({ error: `brain.js not usable: ${String(e.message ?? e).split('\n')[0]}` }));
  process.exit(0);
}
if (cfg.vocab === 0) {
  console.log(
    JSON.stringify({ skipped: 'brain.js recurrent nets take character strings, not real-valued input' }),
  );
  process.exit(0);
}

const alphabet = Array.from({ length: cfg.vocab }, (_, i) => String.fromCharCode(33 + i)).join('');
let seed = 7;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const strings = Array.from({ length: cfg.batch }, () =>
  Array.from({ length: cfg.steps }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''),
);
const Net = cfg.cell === 'gru' ? brain.recurrent.GRU : brain.recurrent.LSTM;
const net = new Net({ hiddenLayers: new Array(cfg.layers).fill(cfg.hidden) });

const times = [];
let elapsed = 0;
do {
  const t0 = performance.now();
  net.train(strings, { iterations: 1, errorThresh: 0, log: false });
  const dt = performance.now() - t0;
  times.push(dt);
  elapsed += dt;
} while (elapsed < seconds * 1000 && times.length < 20);
times.sort((a, b) => a - b);
const med = times[times.length >> 1];

let chars = 0;
const t0 = performance.now();
do chars += net.run(alphabet[0]).length + 1;
while (performance.now() - t0 < Math.min(seconds, 2) * 1000);
const sampleCharsPerSec = chars / ((performance.now() - t0) / 1000);

console.log(
  JSON.stringify({
    trainTokensPerSec: (cfg.batch * cfg.steps) / (med / 1000),
    trainSteps: times.length,
    sampleCharsPerSec,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
