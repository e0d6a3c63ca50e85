/** Messages between the page and the engine worker (one request → one reply, by id). */
import type { CompareOptions, CompareRow } from '../../src/wings/experiments/compare-run.js';
import type { Match } from '../../src/wings/lab/cells.js';

export type SeriesName = 'c' | 'h' | 'i' | 'f' | 'o';

export interface EngineInfo {
  backend: string;
  threads: number;
  isolated: boolean;
  /** Why WASM is not used, when it is not. */
  wasmReason: string | null;
}

export interface ModelInfo {
  name: string;
  cell: string;
  layers: number;
  hidden: number;
  vocab: string[];
  params: number;
  step: number;
}

export interface TraceReply {
  chars: string[];
  unknown: string[];
  T: number;
  H: number;
  V: number;
  series: Record<SeriesName, Float32Array>;
  probs: Float32Array;
  loss: number;
}

export interface MatchReply {
  matches: (Match & { before: string; text: string; after: string })[];
}

export interface SaturationReply {
  T: number;
  gates: { gate: 'i' | 'f' | 'o'; left: Float32Array; right: Float32Array }[];
}

export type Request =
  | { type: 'init' }
  | { type: 'load'; name: string; bytes: Uint8Array }
  | { type: 'trace'; text: string }
  | { type: 'corpus'; text: string }
  | { type: 'match'; series: SeriesName; units: number[]; threshold: number; length: number }
  | { type: 'bench'; options: CompareOptions; gradEvery: number }
  | { type: 'stop' };

/** Streamed while the bench trains (not a reply). */
export interface BenchProgress {
  type: 'bench-progress';
  runs: {
    cell: string;
    hidden: number;
    params: number;
    steps: number[];
    losses: number[];
    evals: { step: number; loss: number; accuracy?: number }[];
    gradNorms: number[] | null;
  }[];
  tokensPerSec: number;
  done: boolean;
  table: CompareRow[] | null;
}

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
