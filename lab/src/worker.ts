/**
 * The engine in a Web Worker: model loading, forward passes over long texts and the
 * comparison bench's training all run here, so the page never blocks. The WASM SIMD
 * backend is used where it loads (several threads when the page is cross-origin
 * isolated), the reference backend otherwise.
 */
import { preloadWasm, useBackend, wasmUnavailableReason, getBackend } from '../../src/index.js';
import { charLMFromBytes, type LoadedCharLM } from '../../src/wings/charlm/codec.js';
import { gateSaturation, matchSelection, traceText, type CellTrace } from '../../src/wings/lab/cells.js';
import {
  compareRecord,
  planCompare,
  summarizeCompare,
  type CompareRecord,
  type PlannedRun,
} from '../../src/wings/experiments/compare-run.js';
import { hiddenGradNorms } from '../../src/wings/experiments/grad-through-time.js';
import { Rng } from '../../src/util/rng.js';
import type {
  BenchProgress,
  EngineInfo,
  Request,
  SaturationReply,
  SeriesName,
  TraceReply,
} from './protocol.js';

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<{ id: number; req: Request }>) => void) | null;
}
const scope: WorkerScope = self as unknown as WorkerScope;

let loaded: LoadedCharLM | null = null;
let corpus: CellTrace | null = null;
let benchToken = 0;

async function init(): Promise<EngineInfo> {
  const isolated = globalThis.crossOriginIsolated === true;
  const threads = isolated ? Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1)) : 1;
  let used = threads;
  // Plain SIMD128, not relaxed SIMD's fused multiply-add: the same kernels as Node 20's
  // default, so the bench gives `kioku experiment compare`'s numbers (a simple RNN's
  // training amplifies even last-bit differences).
  let ok = await preloadWasm(undefined, { threads, relaxed: false });
  if (!ok && threads > 1) {
    used = 1;
    ok = await preloadWasm(undefined, { threads: 1, relaxed: false });
  }
  if (ok) {
    try {
      useBackend('wasm', { threads: used, relaxed: false });
    } catch {
      ok = false;
    }
  }
  if (!ok) useBackend('js');
  return {
    backend: getBackend().name,
    threads: ok ? used : 1,
    isolated,
    wasmReason: ok ? null : (wasmUnavailableReason() ?? 'unknown'),
  };
}

function need(): LoadedCharLM {
  if (!loaded) throw new Error('no model loaded');
  return loaded;
}

function traceReply(tr: CellTrace, V: number): TraceReply {
  return {
    chars: tr.chars,
    unknown: tr.unknown,
    T: tr.T,
    H: tr.H,
    V,
    series: { c: tr.c, h: tr.h, i: tr.i, f: tr.f, o: tr.o },
    probs: tr.probs,
    loss: tr.loss,
  };
}

/** Let queued messages (stop, new requests) in between training chunks. */
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

async function bench(req: Extract<Request, { type: 'bench' }>): Promise<void> {
  const token = ++benchToken;
  const plan = planCompare(req.options);
  const o = plan.options;
  const runs = plan.runs;
  const probe = runs[0].task.sample(8, new Rng(o.seed + 99));
  const state = runs.map((r: PlannedRun) => ({
    cell: r.cell,
    hidden: r.hidden,
    params: r.model.numParameters(),
    steps: [] as number[],
    losses: [] as number[],
    evals: [] as { step: number; loss: number; accuracy?: number }[],
    gradNorms: null as number[] | null,
    result: null as CompareRecord | null,
  }));
  const t0 = performance.now();
  let tokens = 0;
  let lastPost = 0;
  const post = (done: boolean): void => {
    const msg: BenchProgress = {
      type: 'bench-progress',
      runs: state.map((s) => ({
        cell: s.cell,
        hidden: s.hidden,
        params: s.params,
        steps: s.steps,
        losses: s.losses,
        evals: s.evals,
        gradNorms: s.gradNorms,
      })),
      tokensPerSec: tokens / ((performance.now() - t0) / 1000),
      done,
      table: done
        ? summarizeCompare(
            plan,
            state.map((s) => s.result).filter((r): r is CompareRecord => r !== null),
          ).table
        : null,
    };
    scope.postMessage(msg);
  };
  for (let step = 1; step <= o.steps; step++) {
    for (let k = 0; k < runs.length; k++) {
      const s = state[k];
      if (s.result) continue;
      const r = runs[k].steps.next();
      if (r.done) {
        s.result = compareRecord(runs[k], r.value);
        continue;
      }
      s.steps.push(r.value.record.step);
      s.losses.push(r.value.record.loss);
      if (r.value.evaluation) s.evals.push(r.value.evaluation);
      tokens += o.batch * runs[k].length;
      if (step === 1 || step % req.gradEvery === 0) {
        s.gradNorms = hiddenGradNorms(runs[k].model, runs[k].task, probe);
      }
    }
    if (performance.now() - lastPost > 100) {
      post(false);
      lastPost = performance.now();
      await tick();
      if (token !== benchToken) return;
    }
  }
  // Drain: the final evaluation happens when each generator returns.
  for (let k = 0; k < runs.length; k++) {
    if (state[k].result) continue;
    const r = runs[k].steps.next();
    if (r.done) state[k].result = compareRecord(runs[k], r.value);
  }
  for (let k = 0; k < runs.length; k++) {
    const fin = state[k].result;
    if (fin) state[k].evals = fin.evals;
  }
  post(true);
}

async function handle(req: Request): Promise<{ value: unknown; transfer?: Transferable[] }> {
  switch (req.type) {
    case 'init':
      return { value: await init() };
    case 'load': {
      const m = charLMFromBytes(req.bytes, req.name);
      loaded = m;
      corpus = null;
      return {
        value: {
          name: req.name,
          cell: m.model.config.cell,
          layers: m.model.config.layers,
          hidden: m.model.config.hidden,
          vocab: [...m.vocab.tokens],
          params: m.model.numParameters(),
          step: m.step,
        },
      };
    }
    case 'trace': {
      const m = need();
      const tr = traceText(m.model, m.vocab, req.text);
      return { value: traceReply(tr, m.vocab.size) };
    }
    case 'corpus': {
      const m = need();
      corpus = traceText(m.model, m.vocab, req.text);
      const sat = gateSaturation(corpus);
      const value: SaturationReply = { T: corpus.T, gates: sat };
      return { value };
    }
    case 'match': {
      if (!corpus) throw new Error('the corpus has not been run yet');
      const c = corpus;
      const values = c[req.series satisfies SeriesName];
      const ms = matchSelection(values, c.T, c.H, req.units, req.threshold, req.length, { limit: 20 });
      const text = (a: number, b: number): string => c.chars.slice(Math.max(0, a), Math.min(c.T, b)).join('');
      return {
        value: {
          matches: ms.map((m) => ({
            ...m,
            before: text(m.start - 30, m.start),
            text: text(m.start, m.end),
            after: text(m.end, m.end + 30),
          })),
        },
      };
    }
    case 'bench':
      void bench(req);
      return { value: true };
    case 'stop':
      benchToken++;
      return { value: true };
  }
}

scope.onmessage = (e) => {
  const { id, req } = e.data;
  handle(req).then(
    ({ value, transfer }) => scope.postMessage({ id, ok: true, value }, transfer),
    (err: unknown) =>
      scope.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
};
