/**
 * `kioku sentiment train|predict`: many-to-one review classification on IMDB (Maas et al.
 * 2011) with a (Bi)LSTM/GRU; `predict` shows how P(positive) evolves token by token.
 */
import type { Command } from 'commander';
import { cellNames } from '../nn/cells.js';
import { POOL_MODES } from '../nn/pooling.js';
import { KiokuError } from '../util/errors.js';
import { DEFAULT_SENTIMENT_CONFIG } from '../wings/sentiment/model.js';
import { predictSentiment } from '../wings/sentiment/predict.js';
import { loadSentiment, trainSentiment } from '../wings/sentiment/train.js';
import { averageOption, isFinished, reportOption, runFlags, runOptions, writeReport } from './run-flags.js';
import { attachArea, choice, defineCommand, flag, float, int, str } from './schema.js';

export const DEFAULT_SENTIMENT_RUN = 'runs/sentiment';

/** A bar of width `w` for p in [0, 1] (centre = 0.5). */
function bar(p: number, w = 20): string {
  const n = Math.round(p * w);
  return '█'.repeat(n) + '·'.repeat(w - n);
}

const d = DEFAULT_SENTIMENT_CONFIG;

const train = defineCommand({
  name: 'train',
  description: 'train a (Bi)LSTM/GRU classifier on the fixed IMDB split and report test accuracy',
  options: {
    out: str('run directory (model.safetensors is the model)', {
      arg: 'dir',
      default: DEFAULT_SENTIMENT_RUN,
    }),
    ...runOptions,
    cell: choice('recurrent cell', cellNames, { default: d.cell }),
    bidirectional: flag('a bidirectional layer', { default: true }),
    pool: choice('pooling over time', POOL_MODES, { arg: 'mode', default: d.pool }),
    embed: int('embedding size', { min: 1, max: 4096, default: d.embedDim }),
    hidden: int('hidden size per direction', { min: 1, max: 4096, default: d.hiddenSize }),
    layers: int('stacked layers', { min: 1, max: 4, default: d.numLayers }),
    dropout: float('dropout on embeddings and pooled vector', {
      arg: 'p',
      min: 0,
      max: 0.9,
      default: d.dropout,
    }),
    maxLen: int('tokens kept per review (the first ones)', { min: 1, max: 100000, default: d.maxLen }),
    vocabSize: int('vocabulary cap incl. <pad>, <unk>', { min: 3, max: 1000000, default: 20000 }),
    epochs: int('passes over the training set', { min: 1, max: 1000, default: 1 }),
    batch: int('batch size', { min: 1, max: 4096, default: 32 }),
    lr: float('Adam learning rate', { min: 0, minExclusive: true, max: 10, default: 2e-3 }),
    clip: float('global gradient-norm clip (0: off)', { min: 0, default: 5 }),
    trainSize: int('training reviews (balanced prefix of the 25k)', { min: 2, max: 25000, default: 25000 }),
    testSize: int('test reviews (balanced prefix of the 25k)', { min: 2, max: 25000, default: 25000 }),
    evalEvery: int('held-out accuracy every n steps (0: end only)', { min: 0, default: 0 }),
    evalSize: int('test reviews used for the held-out curve', { min: 1, max: 25000, default: 2000 }),
    initEmbeddings: str('word2vec text file to initialise the embeddings', { arg: 'file' }),
    initModel: str('trained sentiment model to start from (fine-tune; same architecture and vocabulary)', {
      arg: 'file',
    }),
    lrDecay: flag('decay the learning rate linearly to 5% over the second half'),
    ...averageOption,
    seed: int('random seed', { default: 1 }),
    ...reportOption,
  },
  async run(o) {
    const r = await trainSentiment({
      out: o.out,
      ...runFlags(o),
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
      averageLast: o.averageLast,
      clip: o.clip,
      trainSize: o.trainSize,
      testSize: o.testSize,
      evalEvery: o.evalEvery,
      evalSize: o.evalSize,
      initEmbeddings: o.initEmbeddings,
      initModel: o.initModel,
      seed: o.seed,
      log: (m) => process.stderr.write(m + '\n'),
    });
    writeReport(o.report, r);
    return r;
  },
  print(r) {
    if (isFinished(r)) return console.log(r.message);
    console.log(
      `test accuracy ${(100 * r.testAccuracy).toFixed(2)}% (${r.testCount} reviews), ${r.steps} steps, ${r.seconds.toFixed(0)} s, ${Math.round(r.tokensPerSecond)} tokens/s`,
    );
  },
});

const predict = defineCommand({
  name: 'predict',
  description: 'classify a review and show how the prediction evolves token by token',
  args: [{ syntax: '<text...>', help: 'the review text' }],
  options: {
    model: str('run directory or model file', { arg: 'path', default: DEFAULT_SENTIMENT_RUN }),
    trace: flag('show P(positive) after every token', { default: true }),
  },
  run(o, words) {
    const text = words.join(' ');
    if (text.trim() === '') throw new KiokuError('empty input: give a review text to classify');
    const loaded = loadSentiment(o.model);
    const r = predictSentiment(loaded, text, { trace: o.trace });
    if (r.truncated > 0)
      process.stderr.write(
        `note: input truncated to the model's ${r.tokens.length} tokens (${r.truncated} more ignored)\n`,
      );
    if (r.oov > 0)
      process.stderr.write(
        `note: ${r.oov} of ${r.tokens.length} tokens are unknown to the vocabulary (read as <unk>)\n`,
      );
    return { ...r, known: r.tokens.map((t) => loaded.vocab.has(t)) };
  },
  print(r) {
    if (r.trace) {
      const trace = r.trace;
      console.log('P(positive) after each token — what the many-to-one model "hears" as it reads:');
      r.tokens.forEach((t, i) => {
        const known = r.known[i] ? t : `${t} (<unk>)`;
        console.log(`${String(i + 1).padStart(4)}  ${trace[i].toFixed(3)} ${bar(trace[i])}  ${known}`);
      });
    }
    console.log(`${r.label} (P(positive) = ${r.probability.toFixed(3)})`);
  },
});

export function registerSentimentCommands(program: Command): void {
  attachArea(program, 'sentiment', 'Sentiment classification of review text (many-to-one), IMDB 25k/25k', [
    train,
    predict,
  ]);
}
