/**
 * `kioku seq2seq train|translate`: grapheme-to-phoneme conversion on the CMU dictionary
 * with an attention encoder–decoder, greedy or beam-search decoding, and the attention
 * alignment as a heatmap figure.
 */
import type { Command } from 'commander';
import { writeFigure } from '../node/plot.js';
import { ATTENTION_KINDS } from '../nn/attention.js';
import { cellNames } from '../nn/cells.js';
import { KiokuError } from '../util/errors.js';
import { attentionHeatmap } from '../wings/seq2seq/figure.js';
import { DEFAULT_SEQ2SEQ_CONFIG } from '../wings/seq2seq/model.js';
import { loadG2P, trainG2P, translateWord } from '../wings/seq2seq/train.js';
import { averageOption, isFinished, reportOption, runFlags, runOptions, writeReport } from './run-flags.js';
import { attachArea, choice, defineCommand, flag, float, int, str, UsageError } from './schema.js';

export const DEFAULT_SEQ2SEQ_RUN = 'runs/seq2seq';

const d = DEFAULT_SEQ2SEQ_CONFIG;

const train = defineCommand({
  name: 'train',
  description: 'train G2P (teacher forcing) and report WER/PER on the held-out words',
  options: {
    out: str('run directory (model.safetensors is the model)', { arg: 'dir', default: DEFAULT_SEQ2SEQ_RUN }),
    ...runOptions,
    cell: choice('recurrent cell', cellNames, { default: d.cell }),
    attention: choice('score function', ATTENTION_KINDS, { arg: 'kind', default: d.attention }),
    bidirectional: flag('a bidirectional encoder', { default: true }),
    embed: int('embedding size', { min: 1, max: 4096, default: d.embedDim }),
    hidden: int('encoder hidden size per direction (decoder: 2× when bidirectional)', {
      min: 1,
      max: 4096,
      default: 64,
    }),
    layers: int('encoder layers', { min: 1, max: 4, default: d.encoderLayers }),
    dropout: float('dropout', { arg: 'p', min: 0, max: 0.9, default: d.dropout }),
    epochs: int('passes over the training words', { min: 1, max: 1000, default: 2 }),
    batch: int('batch size', { min: 1, max: 4096, default: 64 }),
    lr: float('Adam learning rate', { min: 0, minExclusive: true, max: 10, default: 3e-3 }),
    ...averageOption,
    trainSize: int('use only the first n training words (0: all)', { min: 0, default: 0 }),
    testSize: int('evaluate on the first n test words (0: all)', { min: 0, default: 0 }),
    beam: int('beam width of the final evaluation', { min: 1, max: 64, default: 1 }),
    seed: int('random seed', { default: 1 }),
    initModel: str('continue training a saved model (its architecture and vocabularies)', { arg: 'path' }),
    ...reportOption,
  },
  async run(o) {
    const r = await trainG2P({
      initModel: o.initModel,
      out: o.out,
      ...runFlags(o),
      cell: o.cell,
      attention: o.attention,
      bidirectional: o.bidirectional,
      embedDim: o.embed,
      encoderHidden: o.hidden,
      encoderLayers: o.layers,
      dropout: o.dropout,
      epochs: o.epochs,
      batchSize: o.batch,
      lr: o.lr,
      averageLast: o.averageLast,
      trainSize: o.trainSize,
      testSize: o.testSize,
      beam: o.beam,
      seed: o.seed,
      log: (m) => process.stderr.write(m + '\n'),
    });
    if (isFinished(r)) return r;
    writeReport(o.report, r);
    return { beam: o.beam, ...r };
  },
  print(r) {
    if (isFinished(r)) return console.log(r.message);
    console.log(
      `test WER ${(100 * r.test.wer).toFixed(2)}% PER ${(100 * r.test.per).toFixed(2)}% on ${r.test.words} words (beam ${r.beam}); ${r.steps} steps, ${r.seconds.toFixed(0)} s`,
    );
  },
});

const translate = defineCommand({
  name: 'translate',
  description: 'convert words to phonemes (beam search), with attention weights and an optional heatmap',
  args: [{ syntax: '<words...>', help: 'words to convert' }],
  options: {
    model: str('run directory or model file', { arg: 'path', default: DEFAULT_SEQ2SEQ_RUN }),
    beam: int('beam width (1: greedy)', { min: 1, max: 64, default: 5 }),
    nbest: int('how many outputs to list', { min: 1, max: 64, default: 1 }),
    figure: str('write the attention heatmap of the first word to <base>.svg/.png', { arg: 'base' }),
    weights: flag('print the attention weights'),
  },
  async run(o, words) {
    if (words.every((w) => w.trim() === '')) throw new KiokuError('empty input: give a word to convert');
    if (o.nbest > o.beam) throw new UsageError(`--nbest (${o.nbest}) cannot exceed --beam (${o.beam})`);
    const g = loadG2P(o.model);
    const results = words.filter((w) => w.trim() !== '').map((w) => translateWord(g, w, o.beam, o.nbest));
    for (const r of results) {
      if (r.truncated > 0)
        process.stderr.write(
          `note: '${r.word}' truncated to ${r.source.length} letters (${r.truncated} ignored)\n`,
        );
      if (r.oov > 0)
        process.stderr.write(
          `note: ${r.oov} symbol(s) of '${r.word}' are unknown to the model (read as <unk>)\n`,
        );
    }
    if (o.figure) {
      const r = results[0];
      const f = await writeFigure(
        o.figure,
        attentionHeatmap(
          r.source,
          [...r.outputs[0].phones, '</s>'],
          r.weights,
          `attention alignment: ${r.word} → ${r.outputs[0].phones.join(' ')}`,
        ),
      );
      process.stderr.write(`wrote ${f.svg} and ${f.png}\n`);
    }
    return results;
  },
  print(results, o) {
    for (const r of results) {
      r.outputs.forEach((out, i) =>
        console.log(
          `${i === 0 ? r.word : ''.padEnd(r.word.length)}\t${out.phones.join(' ')}\t(log p = ${out.logProb.toFixed(3)})`,
        ),
      );
      if (o.weights) {
        const labels = [...r.outputs[0].phones, '</s>'];
        console.log(`\t${r.source.map((s) => s.padStart(5)).join('')}`);
        r.weights.forEach((w, i) =>
          console.log(`${labels[i]}\t${w.map((a) => a.toFixed(2).padStart(5)).join('')}`),
        );
      }
    }
  },
});

export function registerSeq2seqCommands(program: Command): void {
  attachArea(
    program,
    'seq2seq',
    'Encoder–decoder with attention: grapheme-to-phoneme on the CMU dictionary',
    [train, translate],
  );
}
