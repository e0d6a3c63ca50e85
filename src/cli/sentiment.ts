/**
 * `kioku sentiment train|predict`: many-to-one review classification on IMDB (Maas et al.
 * 2011) with a (Bi)LSTM/GRU; `predict` shows how P(positive) evolves token by token.
 */
import type { Command } from 'commander';
import { POOL_MODES } from '../nn/pooling.js';
import { DEFAULT_SENTIMENT_CONFIG } from '../wings/sentiment/model.js';
import { loadSentiment, predictSentiment, trainSentiment } from '../wings/sentiment/train.js';
import { writeFileAtomic } from '../node/atomic.js';
import { KiokuError } from '../util/errors.js';
import { cellNames } from '../nn/cells.js';
import { choiceArg, floatArg, intArg } from './options.js';

export const DEFAULT_SENTIMENT_MODEL = 'runs/sentiment/model.safetensors';

/** A bar of width `w` for p in [0, 1] (centre = 0.5). */
function bar(p: number, w = 20): string {
  const n = Math.round(p * w);
  return '█'.repeat(n) + '·'.repeat(w - n);
}

export function registerSentimentCommands(program: Command): void {
  const sent = program
    .command('sentiment')
    .description('Sentiment classification of review text (many-to-one), IMDB 25k/25k');
  const d = DEFAULT_SENTIMENT_CONFIG;
  sent
    .command('train')
    .description('train a (Bi)LSTM/GRU classifier on the fixed IMDB split and report test accuracy')
    .option('--out <path>', 'where to save the model', DEFAULT_SENTIMENT_MODEL)
    .option('--cell <cell>', `recurrent cell: ${cellNames().join(', ')}`, choiceArg(cellNames()), d.cell)
    .option('--no-bidirectional', 'use a unidirectional layer')
    .option('--pool <mode>', `pooling over time: ${POOL_MODES.join(', ')}`, choiceArg(POOL_MODES), d.pool)
    .option('--embed <n>', 'embedding size', intArg(1, 4096), d.embedDim)
    .option('--hidden <n>', 'hidden size per direction', intArg(1, 4096), d.hiddenSize)
    .option('--layers <n>', 'stacked layers', intArg(1, 4), d.numLayers)
    .option('--dropout <p>', 'dropout on embeddings and pooled vector', floatArg(0, 0.9), d.dropout)
    .option('--max-len <n>', 'tokens kept per review (the first ones)', intArg(1, 100000), d.maxLen)
    .option('--vocab-size <n>', 'vocabulary cap incl. <pad>, <unk>', intArg(3, 1000000), 20000)
    .option('--epochs <n>', 'passes over the training set', intArg(1, 1000), 1)
    .option('--batch <n>', 'batch size', intArg(1, 4096), 32)
    .option('--lr <x>', 'Adam learning rate', floatArg(0, 10, true), 2e-3)
    .option('--clip <x>', 'global gradient-norm clip (0: off)', floatArg(0), 5)
    .option('--train-size <n>', 'training reviews (balanced prefix of the 25k)', intArg(2, 25000), 25000)
    .option('--test-size <n>', 'test reviews (balanced prefix of the 25k)', intArg(2, 25000), 25000)
    .option('--eval-every <n>', 'held-out accuracy every n steps (0: end only)', intArg(0), 0)
    .option('--eval-size <n>', 'test reviews used for the held-out curve', intArg(1, 25000), 2000)
    .option('--init-embeddings <file>', 'word2vec text file to initialise the embeddings')
    .option('--lr-decay', 'decay the learning rate linearly to 5% over the second half')
    .option('--seed <n>', 'random seed', intArg(), 1)
    .option('--report <file>', 'write the result (accuracy, curve, config) as JSON')
    .action(async (o) => {
      const r = await trainSentiment({
        out: o.out,
        cell: o.cell,
        bidirectional: o.bidirectional,
        pool: o.pool,
        embedDim: o.embed,
        hiddenSize: o.hidden,
        numLayers: o.layers,
        dropout: o.dropout,
        maxLen: o.maxLen,
        vocabSize: o.vocabSize,
        epochs: o.epochs,
        batchSize: o.batch,
        lr: o.lr,
        lrDecay: o.lrDecay,
        clip: o.clip,
        trainSize: o.trainSize,
        testSize: o.testSize,
        evalEvery: o.evalEvery,
        evalSize: o.evalSize,
        initEmbeddings: o.initEmbeddings,
        seed: o.seed,
        log: (m) => process.stderr.write(m + '\n'),
      });
      console.log(
        `test accuracy ${(100 * r.testAccuracy).toFixed(2)}% (${r.testCount} reviews), ${r.steps} steps, ${r.seconds.toFixed(0)} s, ${Math.round(r.tokensPerSecond)} tokens/s`,
      );
      if (o.report) writeFileAtomic(o.report, new TextEncoder().encode(JSON.stringify(r, null, 2) + '\n'));
    });
  sent
    .command('predict')
    .description('classify a review and show how the prediction evolves token by token')
    .argument('<text...>', 'the review text')
    .option('--model <path>', 'trained model', DEFAULT_SENTIMENT_MODEL)
    .option('--no-trace', 'only the final prediction')
    .option('--json', 'print the result as JSON')
    .action((words: string[], o) => {
      const text = words.join(' ');
      if (text.trim() === '') throw new KiokuError('empty input: give a review text to classify');
      const loaded = loadSentiment(o.model);
      const r = predictSentiment(loaded, text, { trace: o.trace });
      if (o.json) {
        console.log(JSON.stringify(r));
        return;
      }
      if (r.truncated > 0)
        process.stderr.write(
          `note: input truncated to the model's ${r.tokens.length} tokens (${r.truncated} more ignored)\n`,
        );
      if (r.oov > 0)
        process.stderr.write(
          `note: ${r.oov} of ${r.tokens.length} tokens are unknown to the vocabulary (read as <unk>)\n`,
        );
      if (r.trace) {
        console.log('P(positive) after each token — what the many-to-one model "hears" as it reads:');
        r.tokens.forEach((t, i) => {
          const known = loaded.vocab.has(t) ? t : `${t} (<unk>)`;
          console.log(
            `${String(i + 1).padStart(4)}  ${r.trace![i].toFixed(3)} ${bar(r.trace![i])}  ${known}`,
          );
        });
      }
      console.log(`${r.label} (P(positive) = ${r.probability.toFixed(3)})`);
    });
}
