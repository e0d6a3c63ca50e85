/**
 * `kioku memory train|eval|report`: Neural Turing Machines, Differentiable Neural Computers
 * and a parameter-matched LSTM on the NTM paper's algorithmic tasks, trained by the shared
 * Trainer; `report` writes learning curves, the length-generalisation test and the memory
 * views (from the shipped NTM copy model when no run is given).
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
import { choiceArg, floatArg, intArg } from './options.js';
import { addRunFlags, runFlags } from './run-flags.js';

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function registerMemoryCommands(program: Command): void {
  const mem = program
    .command('memory')
    .description(
      'Memory-augmented networks: the Neural Turing Machine and the Differentiable Neural Computer',
    );
  addRunFlags(mem.command('train'))
    .description(
      'train an NTM, DNC or LSTM on copy, repeat copy, associative recall, priority sort or graph traversal',
    )
    .option('--model <kind>', MODEL_KINDS.join(' | '), choiceArg(MODEL_KINDS), 'ntm')
    .option('--task <name>', TASK_NAMES.join(' | '), choiceArg(TASK_NAMES), 'copy')
    .option('--out <dir>', 'run directory (default runs/memory/<model>-<task>)')
    .option('--steps <n>', 'training steps (batches)', intArg(1), 2000)
    .option('--time <seconds>', 'stop after this many seconds instead', floatArg(0, Infinity, true))
    .option('--batch <n>', 'sequences per batch', intArg(1, 4096), 16)
    .option('--lr <x>', 'Adam learning rate', floatArg(0, 10, true), 1e-3)
    .option('--clip <x>', 'global gradient-norm clip', floatArg(0), 10)
    .option('--seed <n>', 'random seed', intArg(0), 0)
    .option('--hidden <n>', 'controller (or LSTM) units', intArg(1, 4096))
    .option('--slots <n>', 'memory slots N', intArg(3, 4096))
    .option('--width <n>', 'memory slot width', intArg(1, 1024))
    .option('--reads <n>', 'read heads', intArg(1, 16))
    .option(
      '--init-focus <x>',
      'NTM: focus the learned initial weighting on slot 0 (default ln N; 0 = near uniform as Collier & Beel)',
      floatArg(0, 50),
    )
    .option('--min-length <n>', 'shortest training length (task parameter)', intArg(1))
    .option('--max-length <n>', 'longest training length (task parameter)', intArg(1))
    .option('--bits <n>', 'bits per vector (graph: nodes)', intArg(1, 64))
    .option('--every <n>', 'print progress every n steps', intArg(1), 50)
    .action(async (o) => {
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
      if (r.finished) {
        console.log(r.message);
        return;
      }
      const e = evaluate(r.model, r.task, { sequences: 64, seed: 12345 });
      console.log(
        `${o.model} ${o.task}: ${r.result.steps} steps in ${r.result.seconds.toFixed(0)} s (${r.model.numParameters()} parameters); ` +
          `validation loss ${r.result.valLoss.toFixed(4)} nats/bit; training lengths ${r.task.minLength}–${r.task.maxLength}: ` +
          `${e.costBitsPerSequence.toFixed(2)} bits/seq cost, ${e.wrongBitsPerSequence.toFixed(2)} wrong bits/seq, ` +
          `${pct(e.stepAccuracy)} answer steps right`,
      );
      console.log(`saved ${out}/model.safetensors`);
    });
  mem
    .command('eval')
    .description(
      'score a trained model at one length (or the training range): bits per sequence and accuracy',
    )
    .option('--model <path>', 'checkpoint', DEFAULT_MEMORY_MODEL)
    .option('--length <n>', 'task length parameter (default: random in the training range)', intArg(1))
    .option('--sequences <n>', 'sequences to score', intArg(1), 64)
    .option('--seed <n>', 'seed of the test sequences', intArg(0), 12345)
    .action((o) => {
      const { model, task, config } = loadMemoryRun(resolveMemoryModel(o.model));
      const e = evaluate(model, task, { length: o.length, sequences: o.sequences, seed: o.seed });
      console.log(
        `${config.model.model} ${task.name}${o.length ? ` length ${o.length}` : ''}: ${e.costBitsPerSequence.toFixed(3)} bits/seq cost, ` +
          `${e.wrongBitsPerSequence.toFixed(3)} wrong bits/seq (${pct(e.bitErrorRate)} of bits), ${pct(e.stepAccuracy)} answer steps right, ` +
          `${pct(e.sequenceAccuracy)} sequences right`,
      );
    });
  mem
    .command('export')
    .description(
      'write a small shippable copy of a run: weights, config and learning curve, no optimizer state',
    )
    .requiredOption(
      '--model <path>',
      'checkpoint of a finished run (e.g. runs/memory/ntm-copy/model.safetensors)',
    )
    .requiredOption('--out <file>', 'where to write it (e.g. models/memory/ntm-copy.safetensors)')
    .action((o) => {
      const r = exportMemoryModel(o.model, o.out);
      console.log(`wrote ${o.out} (${(r.bytes / 1024).toFixed(0)} KB, step ${r.step})`);
    });
  mem
    .command('report')
    .description(
      'write the memory report: learning curves, error vs length (NTM vs LSTM), read/write weightings and memory heat maps',
    )
    .option('--model <path>', 'NTM (or DNC) checkpoint for the memory views', DEFAULT_MEMORY_MODEL)
    .option(
      '--baseline <path>',
      'LSTM checkpoint for the generalisation comparison (default: the shipped LSTM of the same task)',
    )
    .option('--runs <paths...>', 'more checkpoints whose learning curves to plot')
    .option('--out <dir>', 'report directory', 'runs/memory/report')
    .option('--lengths <list>', 'test lengths, comma separated', '10,20,30,40,50,60,80,100,120')
    .option('--sequences <n>', 'test sequences per length', intArg(1), 16)
    .option('--view-length <n>', 'sequence length of the memory views', intArg(1), 10)
    .action(async (o) => {
      const lengths = String(o.lengths)
        .split(',')
        .map((s: string) => intArg(1)(s.trim()));
      const r = await writeMemoryReport({
        model: o.model,
        baseline: o.baseline ?? defaultBaseline(o.model),
        runs: o.runs ?? [],
        out: o.out,
        lengths,
        sequences: o.sequences,
        viewLength: o.viewLength,
      });
      console.log(`wrote ${r.html}`);
    });
}
