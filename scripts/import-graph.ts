/**
 * The import graph of src/: every `import … from`, `export … from` and `import('…')` between
 * source files (type-only imports included, since they also tie one floor to another).
 * Checks the floor plan of docs/DESIGN (the core never imports what stands above it) and
 * that there are no cycles. Run `node --import tsx scripts/import-graph.ts` to print the
 * floors' edges and any violation; test/import-graph.test.ts runs the same checks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The core floors: browser-safe, and never importing src/node, src/wings or src/cli. */
export const CORE_DIRS = ['tensor', 'nn', 'optim', 'io', 'train', 'util', 'data'] as const;
/** What the core must not import. */
export const ABOVE_CORE = ['node', 'wings', 'cli'] as const;

/**
 * The floors from the bottom up: a module may import its own floor and the floors below
 * it, never one above. `root` is a file at src/ other than the package entries (version.ts);
 * `entry` is src/index.ts (and src/index.node.ts), which re-export the library (the CLI loads
 * it to register the default backend); `entries/` are the package's subpath entries
 * (kioku/node, kioku/cli, …), which may re-export anything.
 */
export const FLOOR_ORDER = [
  'root',
  'util',
  'tensor',
  'io',
  'data',
  'nn',
  'optim',
  'train',
  'node',
  'wings',
  'entry',
  'cli',
  'entries',
] as const;

/** Module path (relative to src/, with .ts) → the modules it imports. */
export type ImportGraph = Map<string, string[]>;

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Build the graph of the `.ts` files under `srcDir` (relative imports only). */
export function importGraph(srcDir: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of listTs(srcDir).sort()) {
    const text = readFileSync(file, 'utf8');
    const deps = new Set<string>();
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec || !spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      deps.add(relative(srcDir, target).split('\\').join('/'));
    }
    graph.set(relative(srcDir, file).split('\\').join('/'), [...deps].sort());
  }
  return graph;
}

/** The floor of a module path: its top folder (`tensor/backend.ts` → `tensor`), `entry` or `root`. */
export function floorOf(mod: string): string {
  const i = mod.indexOf('/');
  if (i >= 0) return mod.slice(0, i);
  return /^index(\.[\w-]+)?\.ts$/.test(mod) ? 'entry' : 'root';
}

function rankOf(floor: string): number {
  const r = FLOOR_ORDER.indexOf(floor as (typeof FLOOR_ORDER)[number]);
  if (r < 0) throw new Error(`src/${floor}/ is not a known floor (add it to FLOOR_ORDER)`);
  return r;
}

/**
 * Edges that go up the floor plan (e.g. `tensor/… -> optim/…`, `train/… -> node/…`), as
 * `from -> to`. Every import of src/node, src/wings or src/cli by a core floor is one.
 */
export function backwardEdges(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, deps] of graph) {
    for (const to of deps) if (rankOf(floorOf(to)) > rankOf(floorOf(from))) out.push(`${from} -> ${to}`);
  }
  return out;
}

/** Imports of src/node, src/wings or src/cli by a core floor (a subset of `backwardEdges`). */
export function coreEscapes(graph: ImportGraph): string[] {
  const core = new Set<string>(CORE_DIRS);
  const above = new Set<string>(ABOVE_CORE);
  return backwardEdges(graph).filter((e) => {
    const [from, to] = e.split(' -> ');
    return core.has(floorOf(from)) && above.has(floorOf(to));
  });
}

/** Every elementary cycle found by a depth-first search, each as `a -> b -> … -> a`. */
export function findCycles(graph: ImportGraph): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (m: string): void => {
    state.set(m, 'open');
    stack.push(m);
    for (const d of graph.get(m) ?? []) {
      const s = state.get(d);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].join(' -> '));
      else if (s === undefined && graph.has(d)) visit(d);
    }
    stack.pop();
    state.set(m, 'done');
  };
  for (const m of graph.keys()) if (!state.has(m)) visit(m);
  return cycles;
}

/** Imports of modules that do not exist (a renamed file the regex missed would hide edges). */
export function missingTargets(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, deps] of graph) for (const to of deps) if (!graph.has(to)) out.push(`${from} -> ${to}`);
  return out;
}

/** Floor-to-floor edge counts (`tensor -> optim: 3`), for the report. */
export function floorEdges(graph: ImportGraph): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [from, deps] of graph) {
    for (const to of deps) {
      const a = floorOf(from);
      const b = floorOf(to);
      if (a === b) continue;
      const k = `${a} -> ${b}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return new Map([...counts].sort());
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const g = importGraph(src);
  for (const [k, n] of floorEdges(g)) console.log(`${k}: ${n}`);
  const back = backwardEdges(g);
  const cycles = findCycles(g);
  console.log(`backward edges (up the floor plan): ${back.length ? '\n  ' + back.join('\n  ') : 'none'}`);
  console.log(`cycles: ${cycles.length ? '\n  ' + cycles.join('\n  ') : 'none'}`);
  process.exitCode = back.length || cycles.length ? 1 : 0;
}
