/**
 * Stroke data for training and evaluation: load a source (the built-in Hershey set,
 * an IAM-OnDB `lineStrokes` folder, or stroke-3 JSON), apply Graves's preprocessing (outlier
 * removal, optional smoothing, normalisation to mean 0 / std 1 over the training set) and
 * cut padded batches with masks.
 *
 * ```ts
 * const data = loadStrokeData({ source: 'builtin', seed: 1 });
 * const b = makeBatch(data.train, [0, 5, 9], 100, rng);   // x, y [T, B, 3], lengths, mask
 * ```
 */
import { generateHandwritingDataset, type HandwritingDatasetOptions } from './hershey-writer.js';
import {
  computeOffsetStats,
  type Drawing,
  drawingToOffsets,
  dropOutliers,
  hashString,
  normalizeOffsets,
  type OffsetSequence,
  type OffsetStats,
  smoothDrawing,
} from './strokes.js';
import { iamFormId } from './strokes-iam.js';
import { loadLineStrokesFolder, loadStroke3File } from './stroke-files.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';

export type StrokeSource = 'builtin' | 'iam' | 'stroke3';

export interface StrokeDataOptions {
  /** Where the lines come from (default 'builtin'). */
  source?: StrokeSource;
  /** IAM: the `lineStrokes` folder; stroke3: a JSON file of training lines. */
  path?: string;
  /** stroke3: a JSON file of validation lines (else a fraction of `path` is held out). */
  validPath?: string;
  /** Fraction of lines held out for validation when the source has no split (default 0.1). */
  validFraction?: number;
  /** Built-in set: generator options (seed, writers, ...). */
  builtin?: HandwritingDatasetOptions;
  /** Remove outlier jumps (IAM only; default true). */
  outliers?: boolean;
  /** Savitzky–Golay window for smoothing (odd ≥ 3), or 0 for none (default 0). */
  smooth?: number;
  /** Read at most this many lines (IAM). */
  limit?: number;
}

export interface StrokeData {
  /** Normalised training sequences. */
  train: OffsetSequence[];
  /** Normalised validation sequences. */
  valid: OffsetSequence[];
  /** The statistics used to normalise (from the training set). */
  stats: OffsetStats;
  /** One line saying what was loaded. */
  description: string;
  /** An acknowledgement that must travel with the data (Hershey). */
  acknowledgement?: string;
}

function splitByHash<T>(items: T[], key: (t: T) => string, fraction: number): { train: T[]; valid: T[] } {
  const train: T[] = [];
  const valid: T[] = [];
  for (const it of items) ((hashString(key(it)) % 10000) / 10000 < fraction ? valid : train).push(it);
  return { train, valid };
}

function preprocess(ds: Drawing[], opts: StrokeDataOptions, outliers: boolean): OffsetSequence[] {
  return ds.map((d) => {
    let dd = d;
    if (outliers) dd = dropOutliers(dd).drawing;
    if (opts.smooth) dd = smoothDrawing(dd, opts.smooth);
    return drawingToOffsets(dd);
  });
}

/** Load, preprocess and normalise a stroke data set (see `StrokeDataOptions`). */
export function loadStrokeData(opts: StrokeDataOptions = {}): StrokeData {
  const source = opts.source ?? 'builtin';
  const fraction = checkNumber('loadStrokeData', 'validFraction', opts.validFraction ?? 0.1, {
    min: 0,
    max: 0.9,
  });
  let train: OffsetSequence[];
  let valid: OffsetSequence[];
  let description: string;
  let acknowledgement: string | undefined;
  if (source === 'builtin') {
    const ds = generateHandwritingDataset(opts.builtin);
    train = preprocess(ds.train, opts, false);
    valid = preprocess(ds.valid, opts, false);
    acknowledgement = ds.acknowledgement;
    description = `built-in Hershey handwriting (seed ${opts.builtin?.seed ?? 1}): ${train.length} training lines, ${valid.length} validation lines by held-out writers`;
  } else if (source === 'iam') {
    if (!opts.path) throw new KiokuError('loadStrokeData: source iam needs path (the lineStrokes folder)');
    const lines = loadLineStrokesFolder(opts.path, { limit: opts.limit });
    const split = splitByHash(lines, (d) => iamFormId(d.id ?? ''), fraction);
    train = preprocess(split.train, opts, opts.outliers ?? true);
    valid = preprocess(split.valid, opts, opts.outliers ?? true);
    description = `IAM-OnDB lineStrokes ${opts.path}: ${train.length} training lines, ${valid.length} validation lines (split by form)`;
  } else if (source === 'stroke3') {
    if (!opts.path) throw new KiokuError('loadStrokeData: source stroke3 needs path (a stroke-3 JSON file)');
    const all = loadStroke3File(opts.path);
    if (opts.validPath) {
      train = all;
      valid = loadStroke3File(opts.validPath);
    } else {
      ({ train, valid } = splitByHash(all, (s) => s.id ?? '', fraction));
    }
    description = `stroke-3 ${opts.path}: ${train.length} training lines, ${valid.length} validation lines`;
  } else {
    throw new KiokuError(
      `loadStrokeData: source must be builtin, iam or stroke3, got ${JSON.stringify(source)}`,
    );
  }
  train = train.filter((s) => s.length >= 2);
  valid = valid.filter((s) => s.length >= 2);
  if (train.length === 0)
    throw new KiokuError(`loadStrokeData: no training lines with at least 2 points (${description})`);
  const stats = computeOffsetStats(train);
  return {
    train: train.map((s) => normalizeOffsets(s, stats)),
    valid: valid.map((s) => normalizeOffsets(s, stats)),
    stats,
    description,
    acknowledgement,
  };
}

/** A padded, time-major batch: inputs x_t and targets x_{t+1}. */
export interface StrokeBatch {
  x: Tensor; // [T, B, 3]
  y: Tensor; // [T, B, 3]
  lengths: number[]; // [B]
  mask: Float32Array; // [T·B], 1 for real steps
  points: number; // Σ lengths
}

/**
 * Build a batch from `seqs[indices]`. A sequence of n rows gives n − 1 (input, target)
 * pairs; with `seqLen` > 0 a longer one is cropped to a random window of `seqLen` pairs
 * (drawn from `rng`), shorter ones are padded. `seqLen` 0 keeps whole sequences.
 */
export function makeBatch(
  seqs: readonly OffsetSequence[],
  indices: readonly number[],
  seqLen: number,
  rng: Rng | null,
): StrokeBatch {
  const B = indices.length;
  const spans = indices.map((i) => {
    const s = seqs[i];
    const pairs = s.length - 1;
    if (seqLen > 0 && pairs > seqLen) {
      const start = rng ? rng.int(pairs - seqLen + 1) : 0;
      return { s, start, len: seqLen };
    }
    return { s, start: 0, len: pairs };
  });
  const T = Math.max(...spans.map((p) => p.len));
  const x = Tensor.zeros([T, B, 3]);
  const y = Tensor.zeros([T, B, 3]);
  const mask = new Float32Array(T * B);
  spans.forEach(({ s, start, len }, b) => {
    for (let t = 0; t < len; t++) {
      const o = (t * B + b) * 3;
      x.data.set(s.data.subarray((start + t) * 3, (start + t + 1) * 3), o);
      y.data.set(s.data.subarray((start + t + 1) * 3, (start + t + 2) * 3), o);
      mask[t * B + b] = 1;
    }
  });
  const lengths = spans.map((p) => p.len);
  return { x, y, lengths, mask, points: lengths.reduce((a, b) => a + b, 0) };
}
