/* global performance, setTimeout */
// The TensorFlow.js side of kioku's benchmark, shared by the Node peer (tfjs_bench.mjs) and the
// page of the browser benchmark (bench/browser-page.ts): the same model as bench/kioku.ts —
// embedding (or raw input) -> LSTM/GRU layers -> dense -> softmax cross-entropy, Adam,
// gradients clipped to global norm 5 — trained on a random batch; the median step time.

/**
 * Train `cfg` for about `seconds` with the TF.js module `tf` on its current backend.
 * Resolves to { trainTokensPerSec, trainSteps, finalLoss }; rejects where the backend cannot
 * (e.g. a missing gradient kernel).
 */
export async function trainTfjs(tf, cfg, seconds) {
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
    await new Promise((r) => setTimeout(r, 0));
  } while (elapsed < seconds * 1000 && times.length < 20);
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1];
  return { trainTokensPerSec: (T * B) / (med / 1000), trainSteps: times.length, finalLoss: loss };
}
