/** Figures of the character language model: the loss curve of a training run. */
import { join } from 'node:path';
import { lineChart, writeFigure } from '../../node/plot.js';
import type { TrainResult } from '../../train/trainer.js';

/** Write `<outDir>/loss.svg` and `loss.png`: training-batch and validation loss over steps. */
export async function writeLossFigure(
  outDir: string,
  result: TrainResult,
): Promise<{ svg: string; png: string }> {
  const rows: Record<string, unknown>[] = [];
  for (const h of result.history) {
    rows.push({ step: h.step, loss: h.loss, split: 'train (batch)' });
    if (h.valLoss !== undefined) rows.push({ step: h.step, loss: h.valLoss, split: 'validation' });
  }
  return writeFigure(
    join(outDir, 'loss'),
    lineChart({
      title: 'Character LM loss (nats/char)',
      data: rows,
      x: 'step',
      y: 'loss',
      color: 'split',
      yTitle: 'cross-entropy (nats/char)',
    }),
  );
}
