/**
 * Training a memory model on an algorithmic task through the one kioku `Trainer`: this file
 * is the `TrainTask` (which batch comes next, forward, loss, backward, resumable state) and
 * the evaluation the paper reports — the cost in bits per sequence and the number of wrong
 * bits, at the training lengths and beyond them (Graves et al. 2014, Figs. 3–4).
 *
 * The loss is the binary cross-entropy of the answer-phase bits, averaged per scored bit
 * (so it is comparable across lengths); `evaluate` reports it summed per sequence in bits.
 *
 * ```ts
 * const task = new MemoryTrainTask(model, makeTask('copy'), { batchSize: 16, seed: 0 });
 * const result = new Trainer(task, { optimizer: 'adam', lr: 1e-3, steps: 2000 }).run();
 * const e = evaluate(model, makeTask('copy'), { length: 40, sequences: 32, seed: 1 });
 * ```
 */
import { bceWithLogits } from '../../nn/losses.js';
import { Tensor } from '../../tensor/tensor.js';
import type { TrainTask } from '../../train/trainer.js';
import { KiokuError } from '../../util/errors.js';
import { Rng, type RngState } from '../../util/rng.js';
import type { MemoryModel } from './model.js';
import type { MemoryBatch, MemoryTask } from './tasks.js';

export interface MemoryTrainOptions {
  batchSize: number;
  seed: number;
  /** Validation batches drawn once (seed + 1) over the training lengths. Default 4. */
  validationBatches?: number;
}

/** Forward a batch and return the masked BCE (mean per scored bit, nats) and ∂loss/∂logits. */
export function batchLoss(
  model: MemoryModel,
  batch: MemoryBatch,
  task: MemoryTask,
): { loss: number; grad: Tensor; logits: Tensor } {
  const dtype = model.parameters()[0].value.dtype;
  const x = new Tensor(dtype === 'float64' ? Float64Array.from(batch.x) : batch.x, [
    batch.T,
    batch.B,
    task.inputSize,
  ]);
  const logits = model.forward(x);
  const r = bceWithLogits(logits, batch.y, { mask: batch.mask });
  return { loss: r.loss, grad: r.grad, logits };
}

export class MemoryTrainTask implements TrainTask {
  readonly rng: Rng;
  private readonly validation: MemoryBatch[];

  constructor(
    readonly model: MemoryModel,
    readonly task: MemoryTask,
    readonly options: MemoryTrainOptions,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new KiokuError(`MemoryTrainTask: batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.rng = new Rng(options.seed);
    const vr = new Rng(options.seed + 1);
    this.validation = Array.from({ length: options.validationBatches ?? 4 }, () =>
      task.sample(vr, options.batchSize),
    );
  }

  trainBatch(): { loss: number; tokens: number } {
    const batch = this.task.sample(this.rng, this.options.batchSize);
    const { loss, grad } = batchLoss(this.model, batch, this.task);
    this.model.backward(grad);
    return { loss, tokens: batch.T * batch.B };
  }

  validate(): number {
    let s = 0;
    for (const b of this.validation) s += batchLoss(this.model, b, this.task).loss;
    return s / this.validation.length;
  }

  getState(): { rng: RngState } {
    return { rng: this.rng.getState() };
  }

  setState(state: unknown): void {
    const s = state as { rng?: RngState } | null;
    if (!s || typeof s !== 'object' || !s.rng)
      throw new KiokuError('MemoryTrainTask.setState: expected { rng }');
    this.rng.setState(s.rng);
  }
}

export interface EvalResult {
  length: number;
  sequences: number;
  /** Σ BCE over the answer bits per sequence, in bits (the paper's "cost per sequence"). */
  costBitsPerSequence: number;
  /** Answer bits on the wrong side of 0.5, per sequence. */
  wrongBitsPerSequence: number;
  /** Wrong bits / scored bits. */
  bitErrorRate: number;
  /** Answer steps fully right (graph: the arg-max node is the target). */
  stepAccuracy: number;
  /** Sequences with every answer step right. */
  sequenceAccuracy: number;
}

/**
 * Score `model` on `sequences` fresh sequences of one length (seeded), in batches of
 * `batchSize`. Uses the forward pass only; gradients are not touched.
 */
export function evaluate(
  model: MemoryModel,
  task: MemoryTask,
  o: { length?: number; sequences: number; seed: number; batchSize?: number },
): EvalResult {
  const rng = new Rng(o.seed);
  const bs = o.batchSize ?? Math.min(16, o.sequences);
  let cost = 0;
  let wrong = 0;
  let scored = 0;
  let steps = 0;
  let stepsRight = 0;
  let seqRight = 0;
  let done = 0;
  let length = o.length ?? 0;
  const O = task.outputSize;
  const argmax = task.name === 'graph';
  while (done < o.sequences) {
    const B = Math.min(bs, o.sequences - done);
    const batch = task.sample(rng, B, o.length);
    length = batch.length;
    const { loss, logits } = batchLoss(model, batch, task);
    let count = 0;
    for (let i = 0; i < batch.mask.length; i++) count += batch.mask[i];
    cost += (loss * count) / Math.LN2;
    const okSeq = new Array<boolean>(B).fill(true);
    for (let t = 0; t < batch.T; t++) {
      for (let b = 0; b < B; b++) {
        const row = (t * B + b) * O;
        if (batch.mask[row] === 0) continue;
        let ok = true;
        let best = 0;
        for (let j = 0; j < O; j++) {
          const bit = logits.data[row + j] > 0 ? 1 : 0;
          if (bit !== batch.y[row + j]) {
            wrong++;
            ok = false;
          }
          if (logits.data[row + j] > logits.data[row + best]) best = j;
        }
        scored += O;
        if (argmax) ok = batch.y[row + best] === 1;
        steps++;
        if (ok) stepsRight++;
        else okSeq[b] = false;
      }
    }
    seqRight += okSeq.filter(Boolean).length;
    done += B;
  }
  return {
    length,
    sequences: o.sequences,
    costBitsPerSequence: cost / o.sequences,
    wrongBitsPerSequence: wrong / o.sequences,
    bitErrorRate: scored > 0 ? wrong / scored : 0,
    stepAccuracy: steps > 0 ? stepsRight / steps : 0,
    sequenceAccuracy: seqRight / o.sequences,
  };
}
