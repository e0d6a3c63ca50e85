/**
 * `kioku word2vec train|neighbors|analogy|export`: skip-gram / CBOW with negative sampling
 * (Mikolov et al. 2013) on the IMDB training reviews.
 */
import type { Command } from 'commander';
import { imdbSplit, loadImdb } from '../wings/sentiment/imdb.js';
import { tokenize } from '../data/text.js';
import {
  analogy,
  DEFAULT_WORD2VEC_CONFIG,
  loadWord2vec,
  neighbors,
  trainWord2vec,
} from '../wings/word2vec/model.js';
import { writeWord2vecText } from '../wings/word2vec/io.js';
import { choiceArg, floatArg, intArg } from './options.js';
import { addRunFlags, runFlags } from './run-flags.js';

export const DEFAULT_WORD2VEC_RUN = 'runs/word2vec';
export const DEFAULT_WORD2VEC_MODEL = `${DEFAULT_WORD2VEC_RUN}/model.safetensors`;

export function registerWord2vecCommands(program: Command): void {
  const w2v = program.command('word2vec').description('word2vec embeddings (skip-gram, CBOW) on review text');
  const d = DEFAULT_WORD2VEC_CONFIG;
  addRunFlags(w2v.command('train'))
    .description('train on the 25k IMDB training reviews (the sentiment test reviews are never read)')
    .option('--out <dir>', 'run directory (model.safetensors is the model)', DEFAULT_WORD2VEC_RUN)
    .option('--arch <arch>', 'skipgram or cbow', choiceArg(['skipgram', 'cbow'] as const), d.arch)
    .option('--dim <n>', 'vector size', intArg(1, 2048), d.dim)
    .option('--window <n>', 'max window radius', intArg(1, 50), d.window)
    .option('--negative <n>', 'negative samples', intArg(1, 100), d.negative)
    .option('--sample <t>', 'subsampling threshold (0: off)', floatArg(0, 1), d.sample)
    .option('--min-count <n>', 'minimum word count', intArg(1), d.minCount)
    .option('--max-vocab <n>', 'vocabulary cap', intArg(4), d.maxVocab)
    .option('--epochs <n>', 'passes', intArg(1, 100), d.epochs)
    .option('--lr <x>', 'start learning rate (default 0.025 skip-gram, 0.05 CBOW)', floatArg(0, 10, true))
    .option('--docs <n>', 'use only the first n training reviews', intArg(1, 25000), 25000)
    .option('--export <file>', 'also write the vectors in word2vec text format')
    .option('--seed <n>', 'random seed', intArg(), d.seed)
    .action(async (o) => {
      const docs = (): string[][] =>
        imdbSplit(loadImdb())
          .train.slice(0, o.docs)
          .map((r) => tokenize(r.text));
      const r = await trainWord2vec(
        docs,
        {
          arch: o.arch,
          dim: o.dim,
          window: o.window,
          negative: o.negative,
          sample: o.sample,
          minCount: o.minCount,
          maxVocab: o.maxVocab,
          epochs: o.epochs,
          seed: o.seed,
          ...(o.lr !== undefined ? { lr: o.lr } : {}),
        },
        (m) => process.stderr.write(m + '\n'),
        { out: o.out, ...runFlags(o), settings: { docs: o.docs } },
      );
      if (r.finished) return console.log(r.message);
      if (o.export)
        writeWord2vecText(
          o.export,
          r.model.vocab.tokens.slice(2),
          r.model.input.subarray(2 * r.model.config.dim),
          r.model.config.dim,
        );
      console.log(
        `${r.model.config.arch}: ${r.words} words, vocabulary ${r.model.vocab.size - 2}, final loss ${r.lossCurve.at(-1)?.toFixed(4)}, ${r.seconds.toFixed(1)} s; saved ${o.out}${o.export ? ` and ${o.export}` : ''}`,
      );
    });
  w2v
    .command('neighbors')
    .description('nearest words by cosine similarity')
    .argument('<word...>', 'query words')
    .option('--model <path>', 'trained model', DEFAULT_WORD2VEC_MODEL)
    .option('-k <n>', 'how many', intArg(1, 1000), 10)
    .action((words: string[], o) => {
      const m = loadWord2vec(o.model);
      for (const w of words) {
        console.log(
          `${w}: ${neighbors(m, w, o.k)
            .map((n) => `${n.word} ${n.similarity.toFixed(3)}`)
            .join(', ')}`,
        );
      }
    });
  w2v
    .command('analogy')
    .description('a is to b as c is to ? (3CosAdd: b − a + c)')
    .argument('<a>')
    .argument('<b>')
    .argument('<c>')
    .option('--model <path>', 'trained model', DEFAULT_WORD2VEC_MODEL)
    .option('-k <n>', 'how many', intArg(1, 1000), 5)
    .action((a: string, b: string, c: string, o) => {
      const m = loadWord2vec(o.model);
      console.log(
        `${a} : ${b} :: ${c} : ${analogy(m, a, b, c, o.k)
          .map((n) => `${n.word} ${n.similarity.toFixed(3)}`)
          .join(', ')}`,
      );
    });
  w2v
    .command('export')
    .description('write the vectors in the word2vec text format')
    .argument('<file>')
    .option('--model <path>', 'trained model', DEFAULT_WORD2VEC_MODEL)
    .action((file: string, o) => {
      const m = loadWord2vec(o.model);
      writeWord2vecText(file, m.vocab.tokens.slice(2), m.input.subarray(2 * m.config.dim), m.config.dim);
      console.log(`wrote ${m.vocab.size - 2} vectors of size ${m.config.dim} to ${file}`);
    });
}
