/**
 * `kioku seq2seq train|translate`: grapheme-to-phoneme conversion on the CMU dictionary
 * with an attention encoder–decoder, greedy or beam-search decoding, and the attention
 * alignment as a heatmap figure.
 */
import type { Command } from 'commander';
import { writeFileAtomic } from '../node/atomic.js';
import { ATTENTION_KINDS } from '../nn/attention.js';
import { DEFAULT_SEQ2SEQ_CONFIG } from '../wings/seq2seq/model.js';
import { attentionHeatmap } from '../wings/seq2seq/figure.js';
import { loadG2P, trainG2P, translateWord } from '../wings/seq2seq/train.js';
import { KiokuError } from '../util/errors.js';
import { writeFigure } from '../node/plot.js';
import { cellNames } from '../nn/cells.js';
import { choiceArg, floatArg, intArg } from './options.js';

export const DEFAULT_SEQ2SEQ_MODEL = 'runs/seq2seq/g2p.safetensors';

export function registerSeq2seqCommands(program: Command): void {
  const s2s = program
    .command('seq2seq')
    .description('Encoder–decoder with attention: grapheme-to-phoneme on the CMU dictionary');
  const d = DEFAULT_SEQ2SEQ_CONFIG;
  s2s
    .command('train')
    .description('train G2P (teacher forcing) and report WER/PER on the held-out words')
    .option('--out <path>', 'where to save the model', DEFAULT_SEQ2SEQ_MODEL)
    .option('--cell <cell>', `recurrent cell: ${cellNames().join(', ')}`, choiceArg(cellNames()), d.cell)
    .option(
      '--attention <kind>',
      `score function: ${ATTENTION_KINDS.join(', ')}`,
      choiceArg(ATTENTION_KINDS),
      d.attention,
    )
    .option('--no-bidirectional', 'unidirectional encoder')
    .option('--embed <n>', 'embedding size', intArg(1, 4096), d.embedDim)
    .option(
      '--hidden <n>',
      'encoder hidden size per direction (decoder: 2× when bidirectional)',
      intArg(1, 4096),
      64,
    )
    .option('--layers <n>', 'encoder layers', intArg(1, 4), d.encoderLayers)
    .option('--dropout <p>', 'dropout', floatArg(0, 0.9), d.dropout)
    .option('--epochs <n>', 'passes over the training words', intArg(1, 1000), 2)
    .option('--batch <n>', 'batch size', intArg(1, 4096), 64)
    .option('--lr <x>', 'Adam learning rate', floatArg(0, 10, true), 3e-3)
    .option('--train-size <n>', 'use only the first n training words (0: all)', intArg(0), 0)
    .option('--test-size <n>', 'evaluate on the first n test words (0: all)', intArg(0), 0)
    .option('--beam <n>', 'beam width of the final evaluation', intArg(1, 64), 1)
    .option('--seed <n>', 'random seed', intArg(), 1)
    .option('--init-model <path>', 'continue training a saved model (its architecture and vocabularies)')
    .option('--report <file>', 'write the result as JSON')
    .action(async (o) => {
      const r = await trainG2P({
        initModel: o.initModel,
        out: o.out,
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
        trainSize: o.trainSize,
        testSize: o.testSize,
        beam: o.beam,
        seed: o.seed,
        log: (m) => process.stderr.write(m + '\n'),
      });
      console.log(
        `test WER ${(100 * r.test.wer).toFixed(2)}% PER ${(100 * r.test.per).toFixed(2)}% on ${r.test.words} words (beam ${o.beam}); ${r.steps} steps, ${r.seconds.toFixed(0)} s`,
      );
      if (o.report) writeFileAtomic(o.report, new TextEncoder().encode(JSON.stringify(r, null, 2) + '\n'));
    });
  s2s
    .command('translate')
    .description('convert words to phonemes (beam search), with attention weights and an optional heatmap')
    .argument('<words...>', 'words to convert')
    .option('--model <path>', 'trained model', DEFAULT_SEQ2SEQ_MODEL)
    .option('--beam <n>', 'beam width (1: greedy)', intArg(1, 64), 5)
    .option('--nbest <n>', 'how many outputs to list', intArg(1, 64), 1)
    .option('--figure <base>', 'write the attention heatmap of the first word to <base>.svg/.png')
    .option('--weights', 'print the attention weights')
    .option('--json', 'print results as JSON')
    .action(async (words: string[], o) => {
      if (words.every((w) => w.trim() === '')) throw new KiokuError('empty input: give a word to convert');
      if (o.nbest > o.beam) throw new KiokuError(`--nbest (${o.nbest}) cannot exceed --beam (${o.beam})`);
      const g = loadG2P(o.model);
      const results = words.filter((w) => w.trim() !== '').map((w) => translateWord(g, w, o.beam, o.nbest));
      if (o.json) {
        console.log(JSON.stringify(results));
      } else {
        for (const r of results) {
          if (r.truncated > 0)
            process.stderr.write(
              `note: '${r.word}' truncated to ${r.source.length} letters (${r.truncated} ignored)\n`,
            );
          if (r.oov > 0)
            process.stderr.write(
              `note: ${r.oov} symbol(s) of '${r.word}' are unknown to the model (read as <unk>)\n`,
            );
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
    });
}
