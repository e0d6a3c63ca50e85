/**
 * `kioku memory train|eval|export|report`: Neural Turing Machines, Differentiable Neural
 * Computers and a parameter-matched LSTM on the NTM paper's algorithmic tasks, trained by
 * the shared Trainer; `report` writes learning curves, the length-generalisation test and
 * the memory views (from the shipped NTM copy model when no run is given).
 */
import type { Command } from 'commander';
import { MODEL_KINDS } from '../wings/memory/model.js';
import { exportMemoryModel, loadMemoryRun, trainMemory } from '../wings/memory/run.js';
import { TASK_NAMES } from '../wings/memory/tasks.js';
import { evaluate } from '../wings/memory/train.js';
import {
  DEFAULT_MEMORY_MODEL,
  defaultBaseline,
  resolveMemoryModel,
  writeMemoryReport,
} from '../wings/memory/report.js';
import { isFinished, runFlags, runOptions } from './run-flags.js';
import { attachArea, choice, defineCommand, float, int, list, str } from './schema.js';

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

const train = defineCommand({
  name: 'train',
  description:
    'train an NTM, DNC or LSTM on copy, repeat copy, associative recall, priority sort or graph traversal',
  options: {
    model: choice('model', MODEL_KINDS, { arg: 'kind', default: 'ntm' }),
    task: choice('task', TASK_NAMES, { default: 'copy' }),
    out: str('run directory (default runs/memory/<model>-<task>)', { arg: 'dir' }),
    steps: int('training steps (batches)', { min: 1, default: 2000 }),
    time: float('stop after this many seconds instead', { arg: 'seconds', min: 0, minExclusive: true }),
    batch: int('sequences per batch', { min: 1, max: 4096, default: 16 }),
    lr: float('Adam learning rate', { min: 0, minExclusive: true, max: 10, default: 1e-3 }),
    clip: float('global gradient-norm clip', { min: 0, default: 10 }),
    seed: int('random seed', { min: 0, default: 0 }),
    hidden: int('controller (or LSTM) units', { min: 1, max: 4096 }),
    slots: int('memory slots N', { min: 3, max: 4096 }),
    width: int('memory slot width', { min: 1, max: 1024 }),
    reads: int('read heads', { min: 1, max: 16 }),
    initFocus: float(
      'NTM: focus the learned initial weighting on slot 0 (default ln N; 0 = near uniform as Collier & Beel)',
      { min: 0, max: 50 },
    ),
    minLength: int('shortest training length (task parameter)', { min: 1 }),
    maxLength: int('longest training length (task parameter)', { min: 1 }),
    bits: int('bits per vector (graph: nodes)', { min: 1, max: 64 }),
    every: int('print progress every n steps', { min: 1, default: 50 }),
    ...runOptions,
  },
  async run(o) {
    const out = o.out ?? `runs/memory/${o.model}-${o.task}`;
    const r = await trainMemory({
      model: o.model,
      task: o.task,
      out,
      ...runFlags(o),
      steps: o.time === undefined ? o.steps : undefined,
      timeSeconds: o.time,
      batchSize: o.batch,
      lr: o.lr,
      clip: o.clip,
      seed: o.seed,
      hiddenSize: o.hidden,
      memorySlots: o.slots,
      memoryWidth: o.width,
      readHeads: o.reads,
      initFocus: o.initFocus,
      minLength: o.minLength,
      maxLength: o.maxLength,
      bits: o.bits,
      log: (m) => process.stderr.write(`${m}\n`),
      onEvent: (e) => {
        if (e.type === 'step' && e.step % o.every === 0) {
          process.stderr.write(
            `step ${e.step}  loss ${e.loss.toFixed(4)} nats/bit  |g| ${e.gradNorm.toFixed(2)}  ${e.elapsedSeconds.toFixed(0)} s\n`,
          );
        }
        if (e.type === 'validate')
          process.stderr.write(`step ${e.step}  validation ${e.valLoss.toFixed(4)} nats/bit\n`);
      },
    });
    if (r.finished) return r;
    const e = evaluate(r.model, r.task, { sequences: 64, seed: 12345 });
    return {
      finished: false,
      model: o.model,
      task: o.task,
      checkpoint: `${out}/model.safetensors`,
      steps: r.result.steps,
      seconds: r.result.seconds,
      parameters: r.model.numParameters(),
      valLoss: r.result.valLoss,
      minLength: r.task.minLength,
      maxLength: r.task.maxLength,
      eval: e,
    };
  },
  print(r) {
    if (isFinished(r)) return console.log(r.message);
    const e = r.eval;
    console.log(
      `${r.model} ${r.task}: ${r.steps} steps in ${r.seconds.toFixed(0)} s (${r.parameters} parameters); ` +
        `validation loss ${r.valLoss.toFixed(4)} nats/bit; training lengths ${r.minLength}–${r.maxLength}: ` +
        `${e.costBitsPerSequence.toFixed(2)} bits/seq cost, ${e.wrongBitsPerSequence.toFixed(2)} wrong bits/seq, ` +
        `${pct(e.stepAccuracy)} answer steps right`,
    );
    console.log(`saved ${r.checkpoint}`);
  },
});

const evalCommand = defineCommand({
  name: 'eval',
  description: 'score a trained model at one length (or the training range): bits per sequence and accuracy',
  options: {
    model: str('run directory or checkpoint (or the name of a shipped model)', { arg: 'path', default: DEFAULT_MEMORY_MODEL }),
    length: int('task length parameter (default: random in the training range)', { min: 1 }),
    sequences: int('sequences to score', { min: 1, default: 64 }),
    seed: int('seed of the test sequences', { min: 0, default: 12345 }),
  },
  run(o) {
    const { model, task, config } = loadMemoryRun(resolveMemoryModel(o.model));
    const e = evaluate(model, task, { length: o.length, sequences: o.sequences, seed: o.seed });
    return { ...e, model: config.model.model, task: task.name, length: o.length };
  },
  print(r) {
    console.log(
      `${r.model} ${r.task}${r.length ? ` length ${r.length}` : ''}: ${r.costBitsPerSequence.toFixed(3)} bits/seq cost, ` +
        `${r.wrongBitsPerSequence.toFixed(3)} wrong bits/seq (${pct(r.bitErrorRate)} of bits), ${pct(r.stepAccuracy)} answer steps right, ` +
        `${pct(r.sequenceAccuracy)} sequences right`,
    );
  },
});

const exportCommand = defineCommand({
  name: 'export',
  description:
    'write a small shippable copy of a run: weights, config and learning curve, no optimizer state',
  options: {
    model: str('a finished run: its directory or checkpoint (e.g. runs/memory/ntm-copy)', {
      arg: 'path',
      required: true,
    }),
    out: str('where to write it (e.g. models/memory/ntm-copy.safetensors)', { arg: 'file', required: true }),
  },
  run(o) {
    return { out: o.out, ...exportMemoryModel(o.model, o.out) };
  },
  print: (r) => console.log(`wrote ${r.out} (${(r.bytes / 1024).toFixed(0)} KB, step ${r.step})`),
});

const report = defineCommand({
  name: 'report',
  description:
    'write the memory report: learning curves, error vs length (NTM vs LSTM), read/write weightings and memory heat maps',
  options: {
    model: str('NTM (or DNC) run directory or checkpoint for the memory views', {
      arg: 'path',
      default: DEFAULT_MEMORY_MODEL,
    }),
    baseline: str(
      'LSTM checkpoint for the generalisation comparison (default: the shipped LSTM of the same task)',
      { arg: 'path' },
    ),
    runs: list('more checkpoints whose learning curves to plot', str('checkpoint'), {
      arg: 'paths',
      variadic: true,
    }),
    out: str('report directory', { arg: 'dir', default: 'runs/memory/report' }),
    lengths: list('test lengths', int('length', { min: 1 }), {
      default: [10, 20, 30, 40, 50, 60, 80, 100, 120],
    }),
    sequences: int('test sequences per length', { min: 1, default: 16 }),
    viewLength: int('sequence length of the memory views', { min: 1, default: 10 }),
  },
  async run(o) {
    const r = await writeMemoryReport({
      model: o.model,
      baseline: o.baseline ?? defaultBaseline(o.model),
      runs: o.runs ?? [],
      out: o.out,
      lengths: o.lengths,
      sequences: o.sequences,
      viewLength: o.viewLength,
    });
    return r;
  },
  print: (r) => console.log(`wrote ${r.html}`),
});

export function registerMemoryCommands(program: Command): void {
  attachArea(
    program,
    'memory',
    'Memory-augmented networks: the Neural Turing Machine and the Differentiable Neural Computer',
    [train, evalCommand, exportCommand, report],
  );
}
