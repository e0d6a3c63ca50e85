/**
 * ‖∂L_T/∂h_t‖ over t for a `SequenceModel` as it is now, on a real batch of its task: the
 * loss at the last read-out step, backpropagated one step at a time (`stepwise.ts`), so the
 * lab's bench can show, live, whether the error still reaches the early steps (vanishing
 * for a simple RNN, carried along the LSTM's carousel; Hochreiter & Schmidhuber 1997,
 * Pascanu et al. 2013).
 *
 * Parameter gradients are left dirty (callers zero them; `trainRun` does before each step)
 * and no RNG is drawn, so measuring between training steps does not change the training.
 *
 * ```ts
 * const norms = hiddenGradNorms(model, task, task.sample(8, new Rng(1))); // length T + 1
 * ```
 */
import { mseLoss, softmaxCrossEntropy } from '../../nn/losses.js';
import { Tensor } from '../../tensor/tensor.js';
import { KiokuError } from '../../util/errors.js';
import type { SequenceModel } from './model.js';
import { backpropSteps, unroll } from './stepwise.js';
import { IGNORE, type SyntheticTask, type TaskBatch } from './synthetic.js';

/** ‖∂L_T/∂h_t‖ (L2 over the batch) for t = 0 … T, where L_T is the last step's loss. */
export function hiddenGradNorms(model: SequenceModel, task: SyntheticTask, batch: TaskBatch): number[] {
  const [T, B] = batch.x.shape;
  const H = model.hidden;
  const trace = unroll(model.rnn, batch.x);
  const hT = new Tensor(trace.h[T].data, [B, H]);
  const pred = model.head.forward(hT); // [B, O]
  let grad: Tensor;
  if (task.kind === 'regression') {
    if (!batch.y) throw new KiokuError(`${task.name}: regression batch has no y`);
    const O = task.outputSize;
    const y = task.readout === 'last' ? batch.y : batch.y.subarray((T - 1) * B * O, T * B * O);
    grad = mseLoss(pred, new Tensor(Float32Array.from(y), [B, O])).grad;
  } else {
    if (!batch.labels) throw new KiokuError(`${task.name}: classification batch has no labels`);
    const labels = task.readout === 'last' ? batch.labels : batch.labels.subarray((T - 1) * B, T * B);
    const counted = Array.prototype.some.call(labels, (l: number) => l !== IGNORE);
    if (!counted) return new Array<number>(T + 1).fill(0);
    grad = softmaxCrossEntropy(pred, labels, { ignoreIndex: IGNORE }).grad;
  }
  const dhT = model.head.backward(grad); // [B, H]
  const g = backpropSteps(model.rnn, batch.x, trace, new Tensor(dhT.data, [1, B, H]));
  return g.dh.map((d) => {
    let s = 0;
    for (let k = 0; k < d.data.length; k++) s += d.data[k] * d.data[k];
    return Math.sqrt(s);
  });
}
