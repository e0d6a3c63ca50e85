/**
 * The engine for the pad, the generation explorer, the sentiment trace, the memory view and the
 * attention explorer, in its own Web Worker
 * (the explorer's and bench's worker stays free): the pretrained handwriting models follow the pen point by
 * point (`PadSession`), the shipped char model samples, beam-searches and reports its
 * next-character distributions (`src/wings/charlm/generate.ts`); the shipped NTM / DNC runs a
 * task sequence and reports its weightings and memory (`src/wings/memory/view.ts`); the G2P
 * model translates a word with beam search and its attention (`src/wings/seq2seq/translate.ts`).
 */
import { charLMFromBytes, type LoadedCharLM } from '../../src/wings/charlm/codec.js';
import { beamSearch, nextCharsAlong, sample } from '../../src/wings/charlm/generate.js';
import { handwritingModelFromBytes } from '../../src/wings/handwriting/codec.js';
import { mixtureGrid, type Mixture } from '../../src/wings/handwriting/mdn.js';
import { countParameters } from '../../src/wings/handwriting/model.js';
import { PadSession } from '../../src/wings/handwriting/pad.js';
import {
  predictSentiment,
  sentimentFromBytes,
  type LoadedSentiment,
} from '../../src/wings/sentiment/predict.js';
import { countSentimentParameters } from '../../src/wings/sentiment/model.js';
import { memoryRunFromBytes, type LoadedMemoryRun } from '../../src/wings/memory/codec.js';
import { memoryView } from '../../src/wings/memory/view.js';
import { countSeq2SeqParameters } from '../../src/wings/seq2seq/model.js';
import {
  g2pFromBytes,
  g2pInput,
  g2pLetters,
  translateWord,
  type LoadedG2P,
} from '../../src/wings/seq2seq/translate.js';
import { KiokuError } from '../../src/util/errors.js';
import { init } from './backend.js';
import type { EngineInfo } from './protocol.js';
import type {
  GenDist,
  GenSample,
  G2PInfo,
  G2PReply,
  GenStepReply,
  MemModelInfo,
  PadCell,
  PadHairs,
  PadMixture,
  PadModelInfo,
  PadView,
  SentimentInfo,
  SentimentTrace,
  ViewsRequest,
} from './views-protocol.js';

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<{ id: number; req: ViewsRequest }>) => void) | null;
}
const scope: WorkerScope = self as unknown as WorkerScope;

const pads = new Map<PadCell, PadSession>();
let gen: LoadedCharLM | null = null;
let sent: LoadedSentiment | null = null;
let mem: LoadedMemoryRun | null = null;
let g2p: LoadedG2P | null = null;

function pad(cell: PadCell): PadSession {
  const p = pads.get(cell);
  if (!p) throw new KiokuError(`the ${cell.toUpperCase()} handwriting model is not loaded`);
  return p;
}

/** A raw-unit mixture in pixels: μ and σ scale by px/unit; ρ, π and e do not change. */
function toPixels(m: Mixture, s: number): PadMixture {
  return {
    e: m.e,
    pi: Array.from(m.pi),
    mu1: Array.from(m.mu1, (v) => v * s),
    mu2: Array.from(m.mu2, (v) => v * s),
    sigma1: Array.from(m.sigma1, (v) => v * s),
    sigma2: Array.from(m.sigma2, (v) => v * s),
    rho: Array.from(m.rho),
  };
}

/** The density (per unit², raw units) on a grid of cells centred on the current point. */
function densityGrid(m: Mixture, size: number, cellPx: number, s: number): Float32Array {
  const half = (size * cellPx) / 2 / s;
  return Float32Array.from(mixtureGrid(m, -half, -half, cellPx / s, size, size));
}

function scaleRows(seq: { data: Float32Array; length: number }, s: number): Float32Array {
  const out = new Float32Array(seq.length * 3);
  for (let i = 0; i < seq.length; i++) {
    out[i * 3] = seq.data[i * 3] * s;
    out[i * 3 + 1] = seq.data[i * 3 + 1] * s;
    out[i * 3 + 2] = seq.data[i * 3 + 2];
  }
  return out;
}

function needGen(): LoadedCharLM {
  if (!gen) throw new KiokuError('the character model is not loaded');
  return gen;
}

async function handle(req: ViewsRequest): Promise<{ value: unknown; transfer: Transferable[] }> {
  const none: Transferable[] = [];
  switch (req.type) {
    case 'init':
      return { value: await (ready ??= init()), transfer: none };
    case 'pad-load': {
      const loaded = handwritingModelFromBytes(req.bytes, req.name);
      if (loaded.model.config.cell !== req.cell)
        throw new KiokuError(
          `${req.name} is a ${loaded.model.config.cell.toUpperCase()} model, expected ${req.cell.toUpperCase()}`,
        );
      pads.set(req.cell, new PadSession(loaded));
      const valid = loaded.info.valid;
      const nll =
        typeof valid === 'object' &&
        valid !== null &&
        'nllPerPoint' in valid &&
        typeof valid.nllPerPoint === 'number'
          ? valid.nllPerPoint
          : null;
      const info: PadModelInfo = {
        cell: req.cell,
        hidden: loaded.model.config.hiddenSize,
        layers: loaded.model.config.numLayers,
        params: countParameters(loaded.model.config),
        validNllPerPoint: nll,
      };
      return { value: info, transfer: none };
    }
    case 'pad-reset':
      for (const p of pads.values()) p.reset();
      return { value: true, transfer: none };
    case 'pad-point': {
      const s = req.pxPerUnit;
      const views: PadView[] = [];
      for (const cell of req.cells) {
        const t0 = performance.now();
        const p = pad(cell);
        const r = p.step(req.dx / s, req.dy / s, req.eos, { replaceLast: req.replaceLast, bias: req.bias });
        views.push({
          cell,
          mixture: toPixels(r.mixture, s),
          grid: densityGrid(r.mixture, req.grid.size, req.grid.cellPx, s),
          activations: r.activations,
          ms: performance.now() - t0,
        });
      }
      return { value: views, transfer: views.flatMap((v) => [v.grid.buffer, v.activations.buffer]) };
    }
    case 'pad-hairs': {
      const out: PadHairs[] = req.cells.map((cell) => {
        const t0 = performance.now();
        const hs = pad(cell).hairs({ count: req.count, length: req.length, bias: req.bias, seed: req.seed });
        return { cell, hairs: hs.map((h) => scaleRows(h, req.pxPerUnit)), ms: performance.now() - t0 };
      });
      return { value: out, transfer: out.flatMap((o) => o.hairs.map((h) => h.buffer)) };
    }
    case 'pad-finish': {
      const seq = pad(req.cell).finish({ steps: req.steps, bias: req.bias, seed: req.seed });
      const rows = scaleRows(seq, req.pxPerUnit);
      return { value: rows, transfer: [rows.buffer] };
    }
    case 'gen-load':
      gen = charLMFromBytes(req.bytes, req.name);
      return { value: { vocab: gen.vocab.tokens.length, hidden: gen.model.config.hidden }, transfer: none };
    case 'gen-samples': {
      const g = needGen();
      const out: GenSample[] = req.temperatures.map((temperature) => {
        const r = sample(g.model, g.vocab, {
          prime: req.prime,
          length: req.length,
          temperature,
          seed: req.seed,
        });
        return { temperature, text: r.text, logProb: r.logProb, fused: r.fused };
      });
      return { value: out, transfer: none };
    }
    case 'gen-beam': {
      const g = needGen();
      const r = beamSearch(g.model, g.vocab, { prime: req.prime, width: req.width, length: req.length });
      return { value: { text: r.text, logProb: r.logProb }, transfer: none };
    }
    case 'gen-dist': {
      const g = needGen();
      const d: GenDist = nextCharsAlong(g.model, g.vocab, req.prime, req.text, req.k);
      return { value: d, transfer: none };
    }
    case 'gen-step': {
      const g = needGen();
      const r = sample(g.model, g.vocab, {
        prime: req.prime + req.text,
        length: 1,
        temperature: req.temperature,
        seed: req.seed,
      });
      const d = nextCharsAlong(g.model, g.vocab, req.prime + req.text, '', req.k);
      const reply: GenStepReply = { char: r.text, dist: d.steps[0] };
      return { value: reply, transfer: none };
    }
    case 'sent-load': {
      const loaded = sentimentFromBytes(req.bytes, req.name);
      sent = loaded;
      const c = loaded.model.config;
      const acc = loaded.testAccuracy;
      const info: SentimentInfo = {
        name: req.name,
        cell: c.cell,
        bidirectional: c.bidirectional,
        hidden: c.hiddenSize,
        vocabSize: c.vocabSize,
        params: countSentimentParameters(c),
        testAccuracy: acc ?? null,
      };
      return { value: info, transfer: none };
    }
    case 'sent-trace': {
      if (!sent) throw new KiokuError('the sentiment model is not loaded');
      const p = predictSentiment(sent, req.text, { trace: true });
      const reply: SentimentTrace = { ...p, trace: p.trace ?? [] };
      return { value: reply, transfer: none };
    }
    case 'mem-load': {
      mem = memoryRunFromBytes(req.bytes, req.name);
      const info: MemModelInfo = {
        model: mem.config.model.model,
        task: mem.task.name,
        params: mem.model.numParameters(),
        minLength: mem.task.minLength,
        maxLength: mem.task.maxLength,
        step: mem.step,
      };
      return { value: info, transfer: none };
    }
    case 'mem-run': {
      if (!mem) throw new KiokuError('the memory model is not loaded');
      return {
        value: memoryView(mem.model, mem.task, { length: req.length, seed: req.seed }),
        transfer: none,
      };
    }
    case 'g2p-load': {
      const g = g2pFromBytes(req.bytes, req.name);
      g2p = g;
      const c = g.model.config;
      const s = g.scores;
      const info: G2PInfo = {
        name: req.name,
        cell: c.cell,
        bidirectional: c.bidirectional,
        hidden: c.encoderHidden,
        layers: c.encoderLayers,
        attention: c.attention,
        letters: g2pLetters(g),
        phones: g.tgt.size - g.tgt.specials.length,
        params: countSeq2SeqParameters(c),
        scores: s ? { wer: s.test.wer, per: s.test.per, words: s.test.words, beam: s.beam ?? null } : null,
      };
      return { value: info, transfer: none };
    }
    case 'g2p-translate': {
      if (!g2p) throw new KiokuError('the G2P model is not loaded');
      const input = g2pInput(g2p, req.word);
      const ok = input.word !== '' && input.unknown.length === 0;
      const reply: G2PReply = {
        input,
        beam: req.beam,
        translation: ok ? translateWord(g2p, req.word, req.beam, req.beam) : null,
      };
      return { value: reply, transfer: none };
    }
  }
}

/**
 * The backend starting (the first message is 'init'). Every other request waits for it, so
 * none runs on the reference backend while the WASM kernels load (a model loaded then would
 * keep its weights outside the WASM memory, and the first samples would not be fused).
 */
let ready: Promise<EngineInfo> | null = null;

scope.onmessage = (e) => {
  const { id, req } = e.data;
  const backend = req.type === 'init' || ready === null ? Promise.resolve() : ready.then(() => undefined);
  backend
    .then(() => handle(req))
    .then(
      ({ value, transfer }) => scope.postMessage({ id, ok: true, value }, transfer),
      (err: unknown) =>
        scope.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
};
