/**
 * The proof behind the checkpointing rows of bench/README.md: one training step's gradients
 * (every parameter, and the loss) of a bench configuration with gradient checkpointing every
 * k steps against those without, as max abs differences, on the active build's WASM backend.
 *
 *   KIOKU_THREADS=1 node --import tsx bench/grad-checkpoint-diff.ts W 10,20,50,100
 */
import { loadavg } from 'node:os';
import { softmaxCrossEntropy } from '../src/nn/losses.js';
import { getBackend } from '../src/tensor/current-backend.js';
import { withScope } from '../src/tensor/scope.js';
import { useBackend } from '../src/tensor/select.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { configByName } from './configs.js';
import { BenchModel } from './kioku.js';

const cfg = configByName(process.argv[2] ?? 'W');
const ks = (process.argv[3] ?? '10,20,50,100').split(',').map(Number);
useBackend('wasm', { threads: Number(process.env.KIOKU_THREADS ?? 1) });
const { steps: T, batch: B } = cfg;
const N = T * B;
const rng = new Rng(7);
const ids = Int32Array.from({ length: N }, () => rng.int(Math.max(cfg.vocab, 1)));
const targets = Int32Array.from({ length: N }, () => rng.int(cfg.outputs));
const xs = new Tensor(
  Float32Array.from({ length: N * Math.max(cfg.inputSize, 1) }, () => rng.normal()),
  [T, B, Math.max(cfg.inputSize, 1)],
);

/** The loss and a copy of every gradient after one forward/backward with checkpointing every k steps. */
function gradients(k: number): { loss: number; grads: Float32Array[]; ms: number } {
  const model = new BenchModel({ ...cfg, gradCheckpoint: k });
  const t0 = performance.now();
  return withScope(() => {
    model.zeroGrad();
    const x = model.emb ? model.emb.forward(ids, [T, B]) : xs;
    const { output } = model.rnn.forward(x);
    const logits = model.head.forward(output);
    const r = softmaxCrossEntropy(logits.reshape([N, cfg.outputs]), targets);
    const { dx } = model.rnn.backward(model.head.backward(r.grad.reshape(logits.shape)));
    if (model.emb) model.emb.backward(dx);
    const grads = model.parameters().map((p) => Float32Array.from(p.grad.data));
    return { loss: r.loss, grads, ms: performance.now() - t0 };
  });
}

console.log(`${cfg.label} on ${getBackend().name}; load average ${loadavg()[0].toFixed(2)}`);
const ref = gradients(0);
console.log(`k = 0 (off): loss ${ref.loss}, ${ref.ms.toFixed(0)} ms forward + backward`);
for (const k of ks) {
  const g = gradients(k);
  let worst = 0;
  for (let i = 0; i < ref.grads.length; i++)
    for (let j = 0; j < ref.grads[i].length; j++)
      worst = Math.max(worst, Math.abs(ref.grads[i][j] - g.grads[i][j]));
  console.log(
    `k = ${k}: loss diff ${Math.abs(g.loss - ref.loss)}, max abs gradient diff ${worst} (${worst === 0 ? 'bit-identical' : 'float32 rounding'}), ${g.ms.toFixed(0)} ms`,
  );
}
