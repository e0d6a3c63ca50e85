/**
 * Seconds per training step of `kioku memory train` with its default configurations (the
 * paper's NTM on copy; the DNC on associative recall), for before/after comparisons of the
 * memory kernels. Each step is a full Trainer step (forward, backward, clipping, Adam) on
 * the same seeded batches, so two checkouts measured with the same flags train on the same
 * sequences; the mean over the steps after the warm-up is reported with the load average.
 *
 *   node --import tsx bench/memory-step.ts --model ntm --task copy --steps 20
 *   node --import tsx bench/memory-step.ts --model dnc --task recall --steps 20 --backend js
 *   node --cpu-prof --cpu-prof-interval 200 --import tsx bench/memory-step.ts …   # op-by-op profile
 *
 * Prints one JSON line: { model, task, backend, steps, meanMs, medianMs, cpuMsPerStep, load }
 * (wall-clock mean and median per step; process CPU time per step; 1-minute load average
 * at the start and the end).
 * KIOKU_THREADS=1 is the setting used in docs/memory.md.
 */
import { loadavg } from 'node:os';
import { getBackend } from '../src/tensor/current-backend.js';
import { type BackendName, useBackend } from '../src/tensor/select.js';
import { Trainer } from '../src/train/trainer.js';
import { memoryRunParts } from '../src/wings/memory/run.js';
import type { ModelKind } from '../src/wings/memory/model.js';
import type { TaskName } from '../src/wings/memory/tasks.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const model = flag('model', 'ntm') as ModelKind;
const task = flag('task', model === 'dnc' ? 'recall' : 'copy') as TaskName;
const steps = Number(flag('steps', '20'));
const warmup = Number(flag('warmup', '2'));
const backendName = flag('backend', 'wasm') as BackendName;
useBackend(backendName);

const parts = memoryRunParts({
  model,
  task,
  steps: warmup + steps,
  validateEvery: 1e9,
  checkpointEvery: 1e9,
});
const times: number[] = [];
let last = 0;
// CPU time of this process over the measured steps: on a busy machine it moves far less
// than wall time with how much of a core the scheduler grants.
let cpuStart = 0;
let cpuEnd = 0;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const trainer = new Trainer(parts.trainTask, parts.options, {
  onEvent: (e) => {
    if (e.type !== 'step') return;
    if (e.step > warmup) times.push((e.elapsedSeconds - last) * 1000);
    if (e.step === warmup) cpuStart = cpuMs();
    cpuEnd = cpuMs();
    last = e.elapsedSeconds;
  },
});
const load0 = loadavg()[0];
trainer.run();
const sorted = [...times].sort((a, b) => a - b);
console.log(
  JSON.stringify({
    model,
    task,
    backend: getBackend().name,
    steps: times.length,
    meanMs: Math.round((times.reduce((s, x) => s + x, 0) / times.length) * 10) / 10,
    medianMs: Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10,
    cpuMsPerStep: Math.round(((cpuEnd - cpuStart) / times.length) * 10) / 10,
    load: [load0, loadavg()[0]].map((l) => Math.round(l * 100) / 100),
  }),
);
