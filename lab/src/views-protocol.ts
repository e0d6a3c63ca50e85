/**
 * Messages between the page and the views worker (views-worker.ts): the handwriting pad, the
 * generation explorer, the sentiment trace, the memory view and the attention explorer. One
 * request → one reply, by id, as in protocol.ts.
 */
import type { NextChars } from '../../src/wings/charlm/generate.js';
import type { SentimentPrediction } from '../../src/wings/sentiment/predict.js';
import type { G2PInput, Translation } from '../../src/wings/seq2seq/translate.js';

export type PadCell = 'rnn' | 'lstm' | 'gru';

/** A mixture in pad pixels (already scaled), plus the pen-lift probability. */
export interface PadMixture {
  e: number;
  pi: number[];
  mu1: number[];
  mu2: number[];
  sigma1: number[];
  sigma2: number[];
  rho: number[];
}

export interface PadModelInfo {
  cell: PadCell;
  hidden: number;
  layers: number;
  params: number;
  validNllPerPoint: number | null;
}

/** One model's view after a point. Offsets and positions in pad pixels. */
export interface PadView {
  cell: PadCell;
  mixture: PadMixture;
  /** Density of the next pen position on a grid centred on the current point (row-major). */
  grid: Float32Array;
  /** Top-layer activations after this point [H]. */
  activations: Float32Array;
  /** Milliseconds the worker spent on this model. */
  ms: number;
}

/** Sampled continuations from the current point ("hairs"). */
export interface PadHairs {
  cell: PadCell;
  /** Each [n, 3] rows (Δx, Δy, pen-up) in pixels. */
  hairs: Float32Array[];
  ms: number;
}

export interface PadGridSpec {
  /** Cells per side. */
  size: number;
  /** Pixels per cell. */
  cellPx: number;
}

export interface GenSample {
  temperature: number;
  text: string;
  logProb: number;
  /** Whether the fused decoding kernel drew it (one WASM call per character). */
  fused: boolean;
}

export type ViewsRequest =
  | { type: 'init' }
  | { type: 'pad-load'; cell: PadCell; bytes: Uint8Array; name: string }
  | { type: 'pad-reset' }
  | {
      type: 'pad-point';
      cells: PadCell[];
      /** Offset from the previous point in pad pixels. */
      dx: number;
      dy: number;
      eos: number;
      replaceLast: boolean;
      pxPerUnit: number;
      bias: number;
      grid: PadGridSpec;
    }
  | {
      type: 'pad-hairs';
      cells: PadCell[];
      count: number;
      length: number;
      bias: number;
      pxPerUnit: number;
      seed: number;
    }
  | { type: 'pad-finish'; cell: PadCell; pxPerUnit: number; bias: number; steps: number; seed: number }
  | { type: 'gen-load'; bytes: Uint8Array; name: string }
  | { type: 'gen-samples'; prime: string; temperatures: number[]; length: number; seed: number }
  | { type: 'gen-beam'; prime: string; width: number; length: number }
  | { type: 'gen-dist'; prime: string; text: string; k: number }
  | { type: 'gen-step'; prime: string; text: string; temperature: number; seed: number; k: number }
  | { type: 'sent-load'; bytes: Uint8Array; name: string }
  | { type: 'sent-trace'; text: string }
  | { type: 'mem-load'; bytes: Uint8Array; name: string }
  | { type: 'mem-run'; length: number; seed: number }
  | { type: 'g2p-load'; bytes: Uint8Array; name: string }
  | { type: 'g2p-translate'; word: string; beam: number };

/** The loaded G2P model, as the attention explorer describes it (reply to 'g2p-load'). */
export interface G2PInfo {
  name: string;
  cell: string;
  bidirectional: boolean;
  /** Encoder hidden size per direction. */
  hidden: number;
  layers: number;
  attention: string;
  /** The letters the model reads (its alphabet). */
  letters: string[];
  /** How many phones it writes (without the specials). */
  phones: number;
  params: number;
  /** Held-out test scores stored in the file (null when absent). */
  scores: { wer: number; per: number; words: number; beam: number | null } | null;
}

/**
 * Reply to 'g2p-translate': the word as the model reads it, and its n-best list (all beam
 * hypotheses, best first, each with its attention) — null when the word is empty or has
 * characters outside the model's alphabet (`input.unknown`), which are never guessed at.
 */
export interface G2PReply {
  input: G2PInput;
  beam: number;
  translation: Translation | null;
}

/** The loaded sentiment model, as the view describes it. */
export interface SentimentInfo {
  name: string;
  cell: string;
  bidirectional: boolean;
  hidden: number;
  vocabSize: number;
  params: number;
  /** The test accuracy `kioku sentiment train` stored in the file (null when absent). */
  testAccuracy: number | null;
}

/** A prediction with P(positive) after every token. */
export type SentimentTrace = SentimentPrediction & { trace: number[] };

/** The loaded memory model (reply to 'mem-load'); 'mem-run' replies with a `MemoryViewData`. */
export interface MemModelInfo {
  model: string;
  task: string;
  params: number;
  minLength: number;
  maxLength: number;
  step: number;
}

export interface GenDist {
  steps: NextChars[];
  logProb: number;
  unknown: string[];
}

export interface GenStepReply {
  char: string;
  dist: NextChars;
}
