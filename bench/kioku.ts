/**
 * kioku's side of the benchmark: training tokens/s and batch-1 sampling chars/s for one
 * configuration, on whatever backend is active (`setBackend` / `useBackend` before calling).
 */
import { Embedding } from '../src/nn/embedding.js';
import { GRU } from '../src/nn/gru.js';
import { Linear } from '../src/nn/linear.js';
import { softmaxCrossEntropy } from '../src/nn/losses.js';
import { LSTM } from '../src/nn/lstm.js';
import { Module, packParameters, type Parameter } from '../src/nn/module.js';
import type { RecurrentBase } from '../src/nn/recurrent.js';
import { StepDecoder } from '../src/nn/step-decoder.js';
import { Adam } from '../src/optim/adam.js';
import { clipGradNorm } from '../src/optim/clip.js';
import { withScope } from '../src/tensor/scope.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import type { BenchConfig } from './configs.js';
import type { KernelProfile, KernelShare } from './profile.js';

/** Embedding (or raw input) → recurrent stack → Linear, the model every peer also builds. */
export class BenchModel extends Module {
  readonly emb: Embedding | null;
  readonly rnn: RecurrentBase;
  readonly head: Linear;

  constructor(readonly cfg: BenchConfig) {
    super();
    const H = cfg.hidden;
    this.emb = cfg.vocab > 0 ? new Embedding({ numEmbeddings: cfg.vocab, embeddingDim: H, seed: 1 }) : null;
    const o = {
      inputSize: cfg.vocab > 0 ? H : cfg.inputSize,
      hiddenSize: H,
      numLayers: cfg.layers,
      seed: 2,
      gradCheckpoint: cfg.gradCheckpoint ?? 0,
    };
    this.rnn = cfg.cell === 'gru' ? new GRU(o) : new LSTM(o);
    this.head = new Linear({ inFeatures: H, outFeatures: cfg.outputs, seed: 3 });
  }

  protected override children(): [string, Module][] {
    const c: [string, Module][] = [];
    if (this.emb) c.push(['emb', this.emb]);
    c.push(['rnn', this.rnn], ['head', this.head]);
    return c;
  }
}

/**
 * `packParameters` with the flat value and gradient buffers allocated by the active backend
 * (for the WASM backend: in its memory, so the GEMMs read the weights in place instead of
 * copying them in on every call). Values are kept.
 */
export function packOnBackend(params: Parameter[]): void {
  // packParameters allocates from the active backend (WASM memory for the WASM backend).
  packParameters(params);
}

export interface KiokuResult {
  trainTokensPerSec: number;
  trainSteps: number;
  sampleCharsPerSec: number | null;
  sampleChars: number;
  /** Whether sampling ran the fused decoding kernel (null: no sampling for this configuration). */
  sampleFused: boolean | null;
  finalLoss: number;
  /** With a profile: milliseconds per training step by kernel (`bench/profile.ts`). */
  profile?: KernelShare[];
  /**
   * With a CPU clock: training tokens per CPU-second of the process (median step). At one
   * thread it approximates tokens/s on an idle machine, and a busy one moves it far less.
   */
  trainTokensPerCpuSec?: number;
}

/** Median of a non-empty list (step times: robust to a busy machine's hiccups). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Let the event loop turn: finalizers recycle dead WASM blocks, worker threads start. (A page
 * has no setImmediate: the bench also runs in Chromium, bench/browser.ts.)
 */
const tick = (): Promise<void> =>
  new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

/**
 * Train for about `seconds` (after `warmup` steps), then sample for about `seconds`.
 * Inputs and targets are a fixed random token stream (or random pen offsets for W).
 * Figures use the median step time (the same rule as the PyTorch peer).
 */
export async function runKioku(
  cfg: BenchConfig,
  seconds: number,
  warmup = cfg.hidden >= 400 ? 1 : 2,
  pack = true,
  profile: KernelProfile | null = null,
  /** The process's CPU time in ms (Node: `process.cpuUsage`), for `trainTokensPerCpuSec`. */
  cpuMs: (() => number) | null = null,
  /** Sample through the fused decoding kernel where the backend has one (`--no-fused`: the layers' forward). */
  fused = true,
): Promise<KiokuResult> {
  const { steps: T, batch: B } = cfg;
  const model = new BenchModel(cfg);
  const params = model.parameters();
  if (pack) packOnBackend(params);
  const opt = new Adam(params, { lr: 2e-3 });
  const rng = new Rng(7);
  const N = T * B;
  const ids = Int32Array.from({ length: N }, () => rng.int(Math.max(cfg.vocab, 1)));
  const targets = Int32Array.from({ length: N }, () => rng.int(cfg.outputs));
  const xs =
    cfg.vocab > 0
      ? null
      : new Tensor(
          Float32Array.from({ length: N * cfg.inputSize }, () => rng.normal()),
          [T, B, cfg.inputSize],
        );

  let loss = NaN;
  // One training step in a memory scope, as the Trainer runs it (tensor/scope.ts): its
  // activations and gradient scratch are released when the update is done.
  const step = (): void => withScope(trainStep);
  const trainStep = (): void => {
    model.zeroGrad();
    const x = model.emb ? model.emb.forward(ids, [T, B]) : (xs as Tensor);
    const { output } = model.rnn.forward(x);
    const logits = model.head.forward(output); // [T, B, V]
    const r = softmaxCrossEntropy(logits.reshape([N, cfg.outputs]), targets);
    loss = r.loss;
    const dh = model.head.backward(r.grad.reshape(logits.shape));
    const { dx } = model.rnn.backward(dh);
    if (model.emb) model.emb.backward(dx);
    clipGradNorm(params, 5);
    opt.step();
  };

  for (let i = 0; i < warmup; i++) {
    step();
    await tick();
  }
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let elapsed = 0;
  profile?.start();
  while (elapsed < seconds * 1000 || times.length < 2) {
    const c0 = cpuMs?.() ?? 0;
    const t0 = performance.now();
    step();
    const dt = performance.now() - t0;
    if (cpuMs) cpuTimes.push(cpuMs() - c0);
    times.push(dt);
    elapsed += dt;
    await tick();
  }
  const breakdown = profile?.stop(times.length, elapsed);
  const trainTokensPerSec = N / (median(times) / 1000);

  // Sampling, batch 1, one character at a time through the product's decoder (`StepDecoder`,
  // what `kioku charlm sample` and the lab run): one fused kernel call per character where
  // the backend has one, the layers' forward otherwise (`fused: false`). 500 characters
  // expected, as `kioku charlm sample` generates by default; set-up is outside the timing.
  let sampleCharsPerSec: number | null = null;
  let sampleFused: boolean | null = null;
  let chars = 0;
  if (model.emb) {
    model.eval();
    const dec = new StepDecoder(
      { embedding: model.emb, rnn: model.rnn, head: model.head },
      {
        tokens: 500,
        fused,
      },
    ).start();
    sampleFused = dec.fused;
    const rule = { temperature: 1, topK: 0, greedy: false };
    dec.feed(0);
    for (let i = 0; i < 20; i++) dec.next(rng, rule);
    const chunks: number[] = [];
    let el = 0;
    while (el < seconds * 1000 || chunks.length < 2) {
      const t0 = performance.now();
      for (let i = 0; i < 100; i++) dec.next(rng, rule);
      const dt = performance.now() - t0;
      chunks.push(dt);
      el += dt;
      chars += 100;
      await tick();
    }
    dec.dispose();
    sampleCharsPerSec = 100 / (median(chunks) / 1000);
  }
  return {
    trainTokensPerSec,
    trainSteps: times.length,
    sampleCharsPerSec,
    sampleChars: chars,
    sampleFused,
    finalLoss: loss,
    ...(breakdown ? { profile: breakdown } : {}),
    ...(cpuTimes.length > 0 ? { trainTokensPerCpuSec: N / (median(cpuTimes) / 1000) } : {}),
  };
}
