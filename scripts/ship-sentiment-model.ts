/**
 * Ship the lab's sentiment model: from a `kioku sentiment train` run write
 * models/sentiment/model.safetensors — weights, config, vocabulary and the measured test
 * accuracy only (no optimizer state). Refuses a run whose stored IMDB test accuracy (all
 * 25,000 test reviews) is below 89%. The recipe is in docs/sequence-tasks.md.
 *
 *   node --import tsx scripts/ship-sentiment-model.ts runs/sentiment-ft
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import '../src/index.node.js';
import { encodeCheckpoint } from '../src/io/checkpoint-codec.js';
import { writeFileAtomic } from '../src/node/atomic.js';
import { sentimentFromTaskModel } from '../src/wings/sentiment/predict.js';
import { loadTaskModel, resolveRunModel } from '../src/wings/taskfile.js';

const run = process.argv[2];
if (!run) throw new Error('usage: ship-sentiment-model.ts RUN_DIR_OR_MODEL');
const out = 'models/sentiment/model.safetensors';
const f = loadTaskModel<Record<string, unknown>>(run, 'sentiment');
const loaded = sentimentFromTaskModel(f.config, f.model, f.extra, resolveRunModel(run));
const acc = loaded.testAccuracy;
if (acc === undefined || acc < 0.89)
  throw new Error(`${run}: stored test accuracy ${acc ?? 'missing'} is below the 0.89 this model must reach`);
mkdirSync(dirname(out), { recursive: true });
const extra = { vocab: f.extra.vocab, testAccuracy: acc, steps: f.extra.steps };
writeFileAtomic(
  out,
  encodeCheckpoint({ config: f.config, model: loaded.model.stateDict(), step: f.step, extra }),
);
console.log(`wrote ${out}: test accuracy ${(100 * acc).toFixed(2)}%`);
