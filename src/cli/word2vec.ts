/**
 * `kioku word2vec train|neighbors|analogy|export`: skip-gram / CBOW with negative sampling
 * (Mikolov et al. 2013) on the IMDB training reviews.
 */
import type { Command } from 'commander';
import { tokenize } from '../data/text.js';
import { imdbSplit, loadImdb } from '../wings/sentiment/imdb.js';
import { writeWord2vecText } from '../wings/word2vec/io.js';
import {
  analogy,
  DEFAULT_WORD2VEC_CONFIG,
  loadWord2vec,
  neighbors,
  trainWord2vec,
} from '../wings/word2vec/model.js';
import { isFinished, runFlags, runOptions } from './run-flags.js';
import { attachArea, choice, defineCommand, float, int, str } from './schema.js';

export const DEFAULT_WORD2VEC_RUN = 'runs/word2vec';

const d = DEFAULT_WORD2VEC_CONFIG;
const model = str('run directory or model file', { arg: 'path', default: DEFAULT_WORD2VEC_RUN });

const train = defineCommand({
  name: 'train',
  description: 'train on the 25k IMDB training reviews (the sentiment test reviews are never read)',
  options: {
    out: str('run directory (model.safetensors is the model)', { arg: 'dir', default: DEFAULT_WORD2VEC_RUN }),
    ...runOptions,
    arch: choice('skipgram or cbow', ['skipgram', 'cbow'] as const, { default: d.arch }),
    dim: int('vector size', { min: 1, max: 2048, default: d.dim }),
    window: int('max window radius', { min: 1, max: 50, default: d.window }),
    negative: int('negative samples', { min: 1, max: 100, default: d.negative }),
    sample: float('subsampling threshold (0: off)', { arg: 't', min: 0, max: 1, default: d.sample }),
    minCount: int('minimum word count', { min: 1, default: d.minCount }),
    maxVocab: int('vocabulary cap', { min: 4, default: d.maxVocab }),
    epochs: int('passes', { min: 1, max: 100, default: d.epochs }),
    lr: float('start learning rate (default 0.025 skip-gram, 0.05 CBOW)', {
      min: 0,
      minExclusive: true,
      max: 10,
    }),
    docs: int('use only the first n training reviews', { min: 1, max: 25000, default: 25000 }),
    export: str('also write the vectors in word2vec text format to this file', { arg: 'file' }),
    seed: int('random seed', { default: d.seed }),
  },
  async run(o) {
    // Read only once the run directory is checked (a refused --out is immediate).
    const docs = (): string[][] =>
      imdbSplit(loadImdb())
        .train.slice(0, o.docs)
        .map((r) => tokenize(r.text));
    const { lr, arch, dim, window, negative, sample, minCount, maxVocab, epochs, seed } = o;
    const cfg = { arch, dim, window, negative, sample, minCount, maxVocab, epochs, seed };
    const r = await trainWord2vec(
      docs,
      lr !== undefined ? { ...cfg, lr } : cfg,
      (m) => process.stderr.write(m + '\n'),
      { out: o.out, ...runFlags(o), settings: { docs: o.docs } },
    );
    if (isFinished(r)) return r;
    const c = r.model.config;
    if (o.export)
      writeWord2vecText(o.export, r.model.vocab.tokens.slice(2), r.model.input.subarray(2 * c.dim), c.dim);
    return {
      model: o.out,
      export: o.export,
      arch: c.arch,
      words: r.words,
      vocabulary: r.model.vocab.size - 2,
      finalLoss: r.lossCurve.at(-1),
      lossCurve: r.lossCurve,
      seconds: r.seconds,
    };
  },
  print(r) {
    if (isFinished(r)) return console.log(r.message);
    console.log(
      `${r.arch}: ${r.words} words, vocabulary ${r.vocabulary}, final loss ${r.finalLoss?.toFixed(4)}, ${r.seconds.toFixed(1)} s; saved ${r.model}${r.export ? ` and ${r.export}` : ''}`,
    );
  },
});

const near = defineCommand({
  name: 'neighbors',
  description: 'nearest words by cosine similarity',
  args: [{ syntax: '<word...>', help: 'query words' }],
  options: { model, k: int('how many', { short: true, min: 1, max: 1000, default: 10 }) },
  run(o, words) {
    const m = loadWord2vec(o.model);
    return words.map((word) => ({ word, neighbors: neighbors(m, word, o.k) }));
  },
  print(rows) {
    for (const r of rows)
      console.log(`${r.word}: ${r.neighbors.map((n) => `${n.word} ${n.similarity.toFixed(3)}`).join(', ')}`);
  },
});

const analog = defineCommand({
  name: 'analogy',
  description: 'a is to b as c is to ? (3CosAdd: b − a + c)',
  args: [
    { syntax: '<a>', help: 'a' },
    { syntax: '<b>', help: 'b' },
    { syntax: '<c>', help: 'c' },
  ],
  options: { model, k: int('how many', { short: true, min: 1, max: 1000, default: 5 }) },
  run(o, [a, b, c]) {
    return { a, b, c, answers: analogy(loadWord2vec(o.model), a, b, c, o.k) };
  },
  print(r) {
    console.log(
      `${r.a} : ${r.b} :: ${r.c} : ${r.answers.map((n) => `${n.word} ${n.similarity.toFixed(3)}`).join(', ')}`,
    );
  },
});

const exportText = defineCommand({
  name: 'export',
  description: 'write the vectors in the word2vec text format',
  args: [{ syntax: '<file>', help: 'the text file to write' }],
  options: { model },
  run(o, [file]) {
    const m = loadWord2vec(o.model);
    writeWord2vecText(file, m.vocab.tokens.slice(2), m.input.subarray(2 * m.config.dim), m.config.dim);
    return { file, vectors: m.vocab.size - 2, dim: m.config.dim };
  },
  print(r) {
    console.log(`wrote ${r.vectors} vectors of size ${r.dim} to ${r.file}`);
  },
});

export function registerWord2vecCommands(program: Command): void {
  attachArea(program, 'word2vec', 'word2vec embeddings (skip-gram, CBOW) on review text', [
    train,
    near,
    analog,
    exportText,
  ]);
}
