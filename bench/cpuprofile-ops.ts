/**
 * Time per function from a V8 CPU profile (`node --cpu-prof`), inclusive of what it calls:
 * the op-by-op breakdown of docs/memory.md's profile. A sample counts once for every
 * distinct function on its stack, so nested calls are not double-counted.
 *
 *   node --cpu-prof --cpu-prof-dir /tmp/prof --cpu-prof-interval 200 --import tsx \
 *     bench/memory-step.ts --model ntm --task copy --steps 10
 *   node --import tsx bench/cpuprofile-ops.ts /tmp/prof/*.cpuprofile --steps 12 [--min 0.5]
 *
 * Prints, per function (name @ file) with at least `--min` % of the training loop's time
 * (`--root`, default the Trainer's `run`, plus garbage collection): ms per step and share. WASM kernels appear by name when the
 * binaries were built with `node asm/build.mjs --out DIR --debug` and run with KIOKU_WASM_DIR=DIR.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const file = process.argv[2];
const steps = Number(flag('steps', '1'));
const minShare = Number(flag('min', '0.5')) / 100;
const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const parent = new Map<number, number>();
const byId = new Map<number, ProfileNode>();
for (const n of prof.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}
const label = (n: ProfileNode): string => {
  const f = n.callFrame;
  const where = f.url ? basename(f.url) : '';
  return `${f.functionName || '(anonymous)'}${where ? ` @ ${where}` : ''}`;
};
// Only samples taken inside `--root` count, plus the collector's, which V8 files at the top
// level rather than under the code that made the garbage.
const root = flag('root', 'trainBatch @ train.ts');
const inclusive = new Map<string, number>();
const self = new Map<string, number>();
let total = 0;
let denom = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] / 1000; // ms
  total += dt;
  const leaf = byId.get(prof.samples[i]);
  if (!leaf) continue;
  const stack: string[] = [];
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
    const node = byId.get(id);
    if (!node) break;
    stack.push(label(node));
  }
  const gc = stack[0] === '(garbage collector)';
  if (!gc && !stack.includes(root)) continue;
  denom += dt;
  self.set(stack[0], (self.get(stack[0]) ?? 0) + dt);
  const seen = new Set(gc ? [stack[0]] : stack.slice(0, stack.indexOf(root) + 1));
  for (const l of seen) inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
}
const rows = [...inclusive.entries()].filter(([, ms]) => ms / denom >= minShare).sort((a, b) => b[1] - a[1]);
console.log(
  `profile ${basename(file)}: ${total.toFixed(0)} ms sampled, ${denom.toFixed(0)} ms in ${root} or GC, ${steps} steps`,
);
console.log('ms/step (incl)  share  ms/step (self)  function');
for (const [l, ms] of rows) {
  const s = self.get(l) ?? 0;
  console.log(
    `${(ms / steps).toFixed(2).padStart(14)}  ${((100 * ms) / denom).toFixed(1).padStart(5)}%  ${(s / steps).toFixed(2).padStart(14)}  ${l}`,
  );
}
