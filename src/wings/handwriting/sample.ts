/**
 * Generating handwriting with a trained prediction network (Graves 2013 §4, Figs. 11-12):
 * at every step the network's output is turned into a mixture (eqs. 18-22), one offset is
 * drawn from it, and that offset is the next input. Optional priming feeds real strokes
 * first so the network continues them; the sampling bias b (eqs. 61-62) and a temperature
 * trade variety for neatness.
 *
 * ```ts
 * const { model, stats } = loadHandwritingModel('models/handwriting/lstm.safetensors');
 * const [s] = sampleHandwriting(model, stats, { steps: 600, bias: 0.5, seed: 1 }).samples;
 * const drawing = offsetsToDrawing(s);
 * ```
 */
import { denormalizeOffsets, normalizeOffsets, type OffsetSequence, type OffsetStats } from './strokes.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { mixtureAt, type MixtureOptions, sampleMixture } from './mdn.js';
import type { HandwritingModel, HandwritingState } from './model.js';

export interface SampleOptions extends MixtureOptions {
  /** Points to generate after the prime (default 600). */
  steps?: number;
  /** Independent samples drawn in parallel (default 1). */
  count?: number;
  /** Seed of the sampling RNG (default 1). */
  seed?: number;
  /** Strokes to continue, in raw units (rows Δx, Δy, eos; the first row's offset is ignored). */
  prime?: OffsetSequence;
}

export interface SampleResult {
  /** Each sample in raw units, the prime (if any) included at its start. */
  samples: OffsetSequence[];
  /** Rows of each sample that came from the prime. */
  primeLength: number;
}

/** The state after reading `rows` [n, 3] (normalised) replicated over B sequences; also the last output. */
export function primeState(
  model: HandwritingModel,
  rows: Float32Array,
  n: number,
  B: number,
): { state: HandwritingState; last: Float32Array } {
  const x = Tensor.zeros([n, B, 3]);
  for (let t = 0; t < n; t++)
    for (let b = 0; b < B; b++) x.data.set(rows.subarray(t * 3, t * 3 + 3), (t * B + b) * 3);
  const r = model.forward(x, {});
  const K = r.yhat.shape[2];
  const last = new Float32Array(r.yhat.data.subarray((n - 1) * B * K, n * B * K));
  return { state: r.state, last };
}

/**
 * Run the sampling loop from a state over B sequences whose last output is `last`
 * [B, 1 + 6M]: each step draws (Δx, Δy, eos) from the mixture (eqs. 18–22 with `opts.bias`)
 * and feeds it back. Returns B sequences of `steps` rows in normalised units.
 */
export function sampleFromState(
  model: HandwritingModel,
  state: HandwritingState,
  last: Float32Array,
  B: number,
  steps: number,
  rng: Rng,
  opts: MixtureOptions = {},
): Float32Array[] {
  const M = model.config.mixtures;
  const K = 1 + 6 * M;
  const outs = Array.from({ length: B }, () => new Float32Array(steps * 3));
  const x = Tensor.zeros([1, B, 3]);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < B; b++) {
      const mix = mixtureAt(last, b * K, M, opts);
      const [dx, dy, eos] = sampleMixture(mix, rng);
      outs[b].set([dx, dy, eos], t * 3);
      x.data.set([dx, dy, eos], b * 3);
    }
    if (t + 1 === steps) break;
    const r = model.forward(x, { state });
    state = r.state;
    last = r.yhat.data as Float32Array;
  }
  return outs;
}

/** Replicate a one-sequence state (and its last output [1 + 6M]) over B sequences. */
export function tileState(
  state: HandwritingState,
  last: Float32Array,
  B: number,
): { state: HandwritingState; last: Float32Array } {
  const tile = (t: Tensor): Tensor => {
    const H = t.shape[2]; // [1, 1, H] → [1, B, H]
    const out = Tensor.zeros([1, B, H]);
    for (let b = 0; b < B; b++) out.data.set(t.data.subarray(0, H), b * H);
    return out;
  };
  const lastB = new Float32Array(B * last.length);
  for (let b = 0; b < B; b++) lastB.set(last, b * last.length);
  return { state: state.map((s) => (s.c ? { h: tile(s.h), c: tile(s.c) } : { h: tile(s.h) })), last: lastB };
}

/**
 * Draw `count` samples of `steps` points. Free-running samples start from the origin with
 * the same first input every training line starts with (a zero offset); primed samples
 * continue from the prime's last point.
 */
export function sampleHandwriting(
  model: HandwritingModel,
  stats: OffsetStats,
  opts: SampleOptions = {},
): SampleResult {
  const where = 'sampleHandwriting';
  const steps = checkNumber(where, 'steps', opts.steps ?? 600, { min: 1, integer: true });
  const B = checkNumber(where, 'count', opts.count ?? 1, { min: 1, integer: true });
  const rng = new Rng(checkNumber(where, 'seed', opts.seed ?? 1, { integer: true }));
  const wasTraining = model.training;
  model.eval();
  // The prime, normalised; without one, the zero offset every line starts with.
  let primeRaw: OffsetSequence;
  if (opts.prime) {
    if (opts.prime.length < 1) throw new KiokuError(`${where}: prime has no points`);
    primeRaw = { ...opts.prime, data: new Float32Array(opts.prime.data) };
    primeRaw.data[0] = 0;
    primeRaw.data[1] = 0;
  } else {
    primeRaw = { data: new Float32Array([0, 0, 0]), length: 1 };
  }
  const prime = normalizeOffsets(primeRaw, stats);
  const { state, last } = primeState(model, prime.data, prime.length, B);
  const outs = sampleFromState(model, state, last, B, steps, rng, opts);
  model.train(wasTraining);
  const pl = opts.prime ? primeRaw.length : 0;
  const samples = outs.map((o) => {
    const gen = denormalizeOffsets({ data: o, length: steps }, stats);
    const data = new Float32Array((pl + steps) * 3);
    if (pl) data.set(primeRaw.data);
    data.set(gen.data, pl * 3);
    return { data, length: pl + steps };
  });
  return { samples, primeLength: pl };
}

/**
 * "Hairs" (the Distill article's view of the distribution): `count` short continuations
 * of `length` points sampled from the state after the first `at` + 1 points of `line`
 * (raw units). Returns the continuations in raw units, each starting at that point.
 */
export function sampleHairs(
  model: HandwritingModel,
  stats: OffsetStats,
  line: OffsetSequence,
  at: number,
  opts: { count?: number; length?: number; seed?: number } & MixtureOptions = {},
): OffsetSequence[] {
  checkNumber('sampleHairs', 'at', at, { min: 0, max: line.length - 1, integer: true });
  const prime = { data: line.data.subarray(0, (at + 1) * 3), length: at + 1 };
  const r = sampleHandwriting(model, stats, {
    ...opts,
    steps: opts.length ?? 30,
    count: opts.count ?? 50,
    prime,
  });
  return r.samples.map((s) => ({
    data: s.data.subarray(r.primeLength * 3),
    length: s.length - r.primeLength,
  }));
}
