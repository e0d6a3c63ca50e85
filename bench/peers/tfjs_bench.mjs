/* global process, console */
// TensorFlow.js peer (pure-JS cpu backend) of kioku's benchmark; optional, dev-time only:
//   npm install --no-save @tensorflow/tfjs
//   node bench/peers/tfjs_bench.mjs '{"config": {...}, "seconds": 2}'
// The same model as bench/kioku.ts: embedding (or raw input) -> LSTM/GRU layers -> dense
// -> softmax cross-entropy, Adam, gradients clipped to global norm 5. Prints one JSON line.
// (The tfjs wasm backend cannot train recurrent layers: it lacks their gradient kernels.)
import { performance } from 'node:perf_hooks';

const args = JSON.parse(process.argv[2] ?? '{}');
const cfg = args.config;
const seconds = Number(args.seconds ?? 2);

let tf;
try {
  tf = await import('@tensorflow/tfjs');
} catch {
  console.log(JSON.stringify({ error: '@tensorflow/tfjs not installed' }));
  process.exit(0);
}
await tf.setBackend('cpu');

const { steps: T, batch: B, hidden: H } = cfg;
const model = tf.sequential();
if (cfg.vocab > 0) model.add(tf.layers.embedding({ inputDim: cfg.vocab, outputDim: H, inputLength: T }));
for (let l = 0; l < cfg.layers; l++) {
  const opts = { units: H, returnSequences: true };
  if (l === 0 && cfg.vocab === 0) opts.inputShape = [T, cfg.inputSize];
  model.add(cfg.cell === 'gru' ? tf.layers.gru(opts) : tf.layers.lstm(opts));
}
model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: cfg.outputs }) }));

// tfjs layers are batch-major: [B, T, ...].
const x =
  cfg.vocab > 0
    ? tf.randomUniform([B, T], 0, cfg.vocab, 'int32').toFloat()
    : tf.randomNormal([B, T, cfg.inputSize]);
const y = tf.oneHot(tf.randomUniform([B * T], 0, cfg.outputs, 'int32'), cfg.outputs);
const opt = tf.train.adam(2e-3);

function step() {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }).reshape([B * T, cfg.outputs]);
      return tf.losses.softmaxCrossEntropy(y, logits);
    });
    // Global-norm clipping to 5, as the other systems do.
    const names = Object.keys(grads);
    const norm = Math.sqrt(names.reduce((s, n) => s + grads[n].square().sum().dataSync()[0], 0));
    const scale = norm > 5 ? 5 / norm : 1;
    const clipped = {};
    for (const n of names) clipped[n] = grads[n].mul(scale);
    opt.applyGradients(clipped);
    return value.dataSync()[0];
  });
}

// Every step takes seconds here: one untimed warm-up step (kernel set-up), then time at
// least one, up to the budget.
step();
const times = [];
let loss;
let elapsed = 0;
do {
  const t0 = performance.now();
  loss = step();
  const dt = performance.now() - t0;
  times.push(dt);
  elapsed += dt;
} while (elapsed < seconds * 1000 && times.length < 20);
times.sort((a, b) => a - b);
const med = times[times.length >> 1];
console.log(
  JSON.stringify({
    tfjs: tf.version.tfjs,
    trainTokensPerSec: (T * B) / (med / 1000),
    trainSteps: times.length,
    finalLoss: loss,
    sampleCharsPerSec: null,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
